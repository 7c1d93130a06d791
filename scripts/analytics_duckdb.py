"""The clickstream analysis on DuckDB: the peer of the embedded engine in bench-analytics.sh.

    python scripts/analytics_duckdb.py --input LAKE --output OUT [--threads N]

Reads every Parquet file under <LAKE>/clickstream/ (the files the engine lists; dt=/hour= are not
columns) and writes what `coinking-analyze` writes: <OUT>/analysis/<name>.json (the 20 results),
analysis/_results.json, analysis/users/<userName>.json and analysis/_manifest.json (last), with
the engine's rules (crates/analytics/src/engine.rs, results.rs, users.rs; docs/ANALYTICS.md) and
the engine's SQL: deduplication by event_id (only the ids seen more than once are ranked by the
engine's DEDUP_ORDER), the 0.9 quantile as Spark's approxQuantile(balance, [0.9], 0.0) (the
balance of rank ceil(0.9 n)), every mean an exact DECIMAL(38,10) sum divided as the engine
divides it, top_10_percent_coin_ratio rounded half-up to 2 places on the shortest decimal text.
JSON is written as serde_json writes it (sorted object keys, compact, the same float text), so
the files are meant to be byte-identical to the engine's, not only equal under
coinking_analytics.compare.

Only DuckDB (pinned in scripts/bench-analytics.sh) and the standard library: the per-player
rows are joined in SQL and streamed (fetchmany), so the Python side holds one batch at a time.
Phase times go to stderr; the manifest goes to stdout.
"""

import argparse
import datetime
import decimal
import json
import math
import os
import queue
import re
import shutil
import sys
import threading
import time
import uuid

import duckdb

# The rules every engine shares (pure Python, no Spark at import time): the 20 results from the
# population statistics, the constants, and the number rules. Only the SQL and the exact means
# are DuckDB's own here.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "spark"))
from coinking_analytics.job import (  # noqa: E402
    COMPAT_KEYS, EXTRA_KEYS, LEVERAGES, START_BALANCE_KRW, TOP_QUANTILE, compute_results, empty_stats,
    mean_or_zero, ratio, return_pct,
)

# DuckDB's spelling of the job's EXACT_SUM_TYPE, and its scale.
EXACT_SUM_TYPE = "DECIMAL(38, 10)"
EXACT_SCALE = 10

# engine.rs DEDUP_ORDER and GAME_COLUMNS, unchanged (DuckDB reads the same syntax).
DEDUP_ORDER = (
    "received_at, user_name, balance, leverage, ai_recommend_1, "
    "ai_recommend_2, remaining_time_1, remaining_time_2, remaining_time_3, "
    "user_sell_time_1['time'], user_sell_time_2['time'], user_sell_time_3['time'], "
    "user_sell_time_1['coin'], user_sell_time_2['coin'], user_sell_time_3['coin'], "
    "array_to_string(coins, ',')"
)
GAME_COLUMNS = (
    "user_name, coins, CAST(leverage AS BIGINT) AS leverage, "
    "ai_recommend_1 AS ai1, ai_recommend_2 AS ai2, "
    "remaining_time_1 AS rt1, remaining_time_2 AS rt2, remaining_time_3 AS rt3, "
    "user_sell_time_1['coin'] AS sc1, user_sell_time_1['time'] AS st1, "
    "user_sell_time_2['coin'] AS sc2, user_sell_time_2['time'] AS st2, "
    "user_sell_time_3['coin'] AS sc3, user_sell_time_3['time'] AS st3, "
    "balance"
)


def exact_sum(column):
    return f"sum(CAST({column} AS {EXACT_SUM_TYPE}))"


# ---------------------------------------------------------------- numbers as the engine makes them

_WIDE = decimal.Context(prec=80)


def unscaled(value):
    """A DECIMAL(38,10) sum (decimal.Decimal) as its exact unscaled integer (sum × 10^10)."""
    return int(value.scaleb(EXACT_SCALE, context=_WIDE))


def mean(total, count):
    """engine.rs mean_at: sum / (count × 10^scale) as a whole part plus a fraction, each rounded
    once to a double, so the bits equal the engine's. None for a null sum or no rows."""
    if total is None or count <= 0:
        return None
    denominator = count * 10 ** EXACT_SCALE
    whole, fraction = divmod(unscaled(total), denominator)
    return float(whole) + float(fraction) / float(denominator)


def approx_quantile_rank(count, q):
    """results.rs approx_quantile_exact: the 1-based rank ceil(q × n) (in f64), clamped to 1..=n."""
    return min(max(math.ceil(q * count), 1), count)


# ---------------------------------------------------------------- JSON as serde_json writes it

# Python's repr of a double and serde_json's (zmij) agree on the digits; they differ only in the
# exponent form: Python writes 5e-05 and 1e+16, zmij writes 0.00005 (fixed notation from 1e-5)
# and 1e+16, 5e-6 (no zero padding). Strings are matched first so their text is never touched.
_NEEDS_FIX = re.compile(r"\de[+-]\d")
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|(-?)(\d)(?:\.(\d+))?e([+-]\d+)')


def _fix_number(match):
    if match.group(2) is None:
        return match.group(0)
    sign, lead, rest, exponent = match.group(1), match.group(2), match.group(3) or "", int(match.group(4))
    if exponent == -5:
        return f"{sign}0.0000{lead}{rest}"
    mantissa = f"{lead}.{rest}" if rest else lead
    return f"{sign}{mantissa}e{'+' if exponent >= 0 else '-'}{abs(exponent)}"


def to_json(value, sort_keys=True):
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=sort_keys, allow_nan=False)
    if _NEEDS_FIX.search(text):
        text = _TOKEN.sub(_fix_number, text)
    return text.encode()


# ---------------------------------------------------------------- DuckDB (engine.rs)

def population(con, table):
    """engine.rs population(): the same queries, over `games` or `top`."""
    sums = ", ".join(exact_sum(c) for c in ["balance", "rt1", "rt2", "rt3", "st1", "st2", "st3"])
    row = con.execute(f"SELECT count(*), {sums} FROM {table}").fetchone()
    games = row[0]
    stats = empty_stats()
    stats["games"] = games
    stats["avg_balance"] = mean(row[1], games)
    stats["avg_remaining_time"] = [mean(row[2 + i], games) for i in range(3)]
    stats["avg_sell_time"] = [mean(row[5 + i], games) for i in range(3)]
    for column, key in (("leverage", "leverage"), ("ai1", "ai1"), ("ai2", "ai2")):
        rows = con.execute(f"SELECT {column}, count(*), {exact_sum('balance')} FROM {table} GROUP BY {column}").fetchall()
        stats[key] = [(k, n, mean(s, n)) for k, n, s in rows]
    stats["coin_picks"] = con.execute(
        f"SELECT coin, count(*) FROM (SELECT unnest(coins) AS coin FROM {table}) GROUP BY coin").fetchall()
    rows = con.execute(
        f"SELECT coin, count(*), {exact_sum('t')} FROM ( "
        f"SELECT sc1 AS coin, st1 AS t FROM {table} "
        f"UNION ALL SELECT sc2 AS coin, st2 AS t FROM {table} "
        f"UNION ALL SELECT sc3 AS coin, st3 AS t FROM {table}) GROUP BY coin").fetchall()
    stats["coin_sell_time"] = [(c, mean(s, n)) for c, n, s in rows]
    return stats


# Per-player aggregates: the engine's four per-player queries (games, top, leverage, coins),
# joined here in SQL instead of in Rust, plus games strictly below each best balance and players
# with a strictly lower best (the engine counts both with binary searches over sorted values).
PLAYERS_SQL = f"""
WITH p AS (
    SELECT user_name, count(*) AS games, max(balance) AS best, {exact_sum('balance')} AS sb,
        sum(CASE WHEN ai1 THEN 1 ELSE 0 END) AS ai1_used, sum(CASE WHEN ai2 THEN 1 ELSE 0 END) AS ai2_used,
        {exact_sum('st1')} AS s1, {exact_sum('st2')} AS s2, {exact_sum('st3')} AS s3
    FROM games GROUP BY user_name),
t AS (SELECT user_name, count(*) AS top_games FROM top GROUP BY user_name),
l AS (SELECT user_name, list(leverage) AS lk, list(n) AS ln
      FROM (SELECT user_name, leverage, count(*) AS n FROM games GROUP BY user_name, leverage)
      GROUP BY user_name),
c AS (SELECT user_name, list(coin) AS ck, list(n) AS cn
      FROM (SELECT user_name, coin, count(*) AS n
            FROM (SELECT user_name, unnest(coins) AS coin FROM games) GROUP BY user_name, coin)
      GROUP BY user_name),
below AS (SELECT balance,
              coalesce(sum(n) OVER (ORDER BY balance ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)
                  AS games_below
          FROM by_balance)
SELECT p.user_name, p.games, p.best, p.sb, p.ai1_used, p.ai2_used, p.s1, p.s2, p.s3,
    coalesce(t.top_games, 0), below.games_below, rank() OVER (ORDER BY p.best) - 1,
    l.lk, l.ln, c.ck, c.cn, count(*) OVER () AS players
FROM p LEFT JOIN t USING (user_name) LEFT JOIN l USING (user_name) LEFT JOIN c USING (user_name)
    JOIN below ON below.balance = p.best
"""


def num(value):
    """One double as serde_json writes it (see _fix_number); the common case is repr itself."""
    text = repr(value)
    if "e" in text or "n" in text:
        if not math.isfinite(value):
            raise ValueError(f"not a finite number: {value}")
        text = _TOKEN.sub(_fix_number, text)
    return text


_string = json.encoder.encode_basestring  # serde_json's escaping, non-ASCII kept (ensure_ascii=False)


def sell_times(times):
    return ",".join(f'"avg_sell_time_{i + 1}":{num(t)}' for i, t in enumerate(times))


def player_summary(row, context):
    """users.rs player_summary for one row of PLAYERS_SQL, as serde_json writes the document
    (keys sorted: serde_json's Map is ordered by key). Written out here rather than built as a
    dict for json.dumps: half a million of these at 10M games, and this is 3x faster."""
    (name, games, best, sb, ai1, ai2, s1, s2, s3, top_games, games_below, players_below,
     lk, ln, ck, cn, _) = row
    avg = mean(sb, games)
    coins = sorted(zip(ck or [], cn or []), key=lambda p: (-p[1], p[0]))
    picks = sum(n for _, n in coins)
    lev = dict(zip(lk or [], ln or []))
    coin_text = ",".join(f'{{"coin":{_string(c)},"count":{n},"ratio":{num(ratio(n, picks))}}}' for c, n in coins)
    leverage_text = ",".join(
        f'{{"count":{lev.get(k, 0)},"leverage":{k},"ratio":{num(ratio(lev.get(k, 0), games))}}}' for k in LEVERAGES)
    player = sell_times([mean(s, games) for s in (s1, s2, s3)])
    return (
        f'{{"ai_recommend_1":{{"ratio":{num(ratio(ai1, games))},"used":{ai1}}},'
        f'"ai_recommend_2":{{"ratio":{num(ratio(ai2, games))},"used":{ai2}}},'
        f'"avg_balance":{num(avg)},"avg_return_pct":{num(return_pct(avg))},'
        f'"best_balance":{num(best)},"best_return_pct":{num(return_pct(best))},'
        f'"coins":[{coin_text}],"games":{games},"leverage":[{leverage_text}],'
        f'"percentile_games":{num(ratio(games_below, context["games"]))},'
        f'"percentile_players":{num(ratio(players_below, context["players"]))},'
        f'"sell_time":{{"player":{{{player}}},"population":{{{context["sell"]}}},'
        f'"top_10_percent":{{{context["top_sell"]}}}}},'
        f'"start_balance":{num(START_BALANCE_KRW)},"top_10_percent_games":{top_games},'
        f'"top_10_percent_threshold":{context["threshold"]},"userName":{_string(name)}}}'
    ).encode()


# ---------------------------------------------------------------- output (local directory)

CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)


def write_file(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    temporary = f"{path}.tmp-{os.getpid()}"
    with open(temporary, "wb") as f:
        f.write(data)
    os.replace(temporary, path)


def write_batches(directory, batches):
    """Writes each batch of (file name, bytes) from `batches` until None; on an error, drains the
    queue and leaves the error in it for the producer."""
    try:
        while (batch := batches.get()) is not None:
            for name, data in batch:
                # os.open/os.write: Python's open() adds an fstat, an isatty ioctl and a buffer.
                fd = os.open(os.path.join(directory, name), CREATE, 0o644)
                try:
                    view = memoryview(data)
                    while view:
                        view = view[os.write(fd, view):]
                finally:
                    os.close(fd)
        batches.put(None)
    except BaseException as error:  # reported by the producer
        print(f"analytics_duckdb: {error!r}", file=sys.stderr)
        while batches.get() is not None:
            pass
        batches.put(error)


def list_inputs(root):
    base = os.path.join(root, "clickstream")
    found = []
    for directory, _, names in os.walk(base):
        found += [os.path.relpath(os.path.join(directory, n), root) for n in names if n.endswith(".parquet")]
    return sorted(found)


def log(started, step):
    print(f"analytics_duckdb: {step}: {time.monotonic() - started:.2f}s", file=sys.stderr)
    return time.monotonic()


def run(input_root, output_root, threads):
    started = phase = time.monotonic()
    con = duckdb.connect(":memory:")
    con.execute(f"SET threads = {int(threads)}")
    inputs = list_inputs(input_root)
    rows_read, q = 0, None
    all_stats, top_stats = empty_stats(), empty_stats()
    if inputs:
        files = ", ".join("'" + os.path.join(input_root, f).replace("'", "''") + "'" for f in inputs)
        con.execute(f"CREATE VIEW raw AS SELECT * FROM read_parquet([{files}], hive_partitioning = false)")
        rows_read = con.execute("SELECT count(*) FROM raw").fetchone()[0]
        # engine.rs: the duplicated ids (hash aggregate), then the other ids' rows as they are plus
        # the first row by DEDUP_ORDER of each duplicated id; `games` kept in memory.
        con.execute("CREATE TEMP TABLE duplicated AS SELECT event_id FROM raw GROUP BY event_id HAVING count(*) > 1")
        con.execute(
            f"CREATE TEMP TABLE games AS "
            f"SELECT {GAME_COLUMNS} FROM raw WHERE event_id NOT IN (SELECT event_id FROM duplicated) "
            f"UNION ALL "
            f"SELECT {GAME_COLUMNS} FROM ( "
            f"  SELECT *, row_number() OVER (PARTITION BY event_id ORDER BY {DEDUP_ORDER}) AS rn "
            f"  FROM raw WHERE event_id IN (SELECT event_id FROM duplicated)) "
            f"WHERE rn = 1")
        phase = log(phase, "read and deduplicate")
        games = con.execute("SELECT count(*) FROM games").fetchone()[0]
        if games > 0:
            # The balance of rank ceil(0.9 n): the smallest balance whose running count reaches it.
            con.execute("CREATE TEMP TABLE by_balance AS SELECT balance, count(*) AS n FROM games GROUP BY balance")
            q = con.execute(
                "SELECT balance FROM (SELECT balance, sum(n) OVER (ORDER BY balance) AS seen FROM by_balance) "
                "WHERE seen >= ? ORDER BY balance LIMIT 1", [approx_quantile_rank(games, TOP_QUANTILE)]).fetchone()[0]
            con.execute(f"CREATE VIEW top AS SELECT * FROM games WHERE balance >= CAST('{q!r}' AS DOUBLE)")
            phase = log(phase, "quantile")
            all_stats, top_stats = population(con, "games"), population(con, "top")
            phase = log(phase, "population statistics")

    analysis = os.path.join(output_root, "analysis")
    results = compute_results(all_stats, top_stats)
    run_id = str(uuid.uuid4())
    now = datetime.datetime.now(datetime.timezone.utc)
    generated_at_ms = int(now.timestamp() * 1000)
    for name in COMPAT_KEYS + EXTRA_KEYS:
        write_file(os.path.join(analysis, f"{name}.json"), to_json(results[name]))
    # run.rs ResultsSnapshot: struct fields in declaration order, the results map sorted.
    head = to_json({"run_id": run_id, "generated_at_ms": generated_at_ms}, sort_keys=False)[:-1]
    write_file(os.path.join(analysis, "_results.json"), head + b',"results":' + to_json(results) + b"}")

    players = 0
    if q is not None:
        context = {
            "games": all_stats["games"],
            "threshold": num(q),
            "sell": sell_times([mean_or_zero(t) for t in all_stats["avg_sell_time"]]),
            "top_sell": sell_times([mean_or_zero(t) for t in top_stats["avg_sell_time"]]),
        }
        # Written into a fresh staging directory, then put in place of analysis/users (run.rs).
        users = os.path.join(analysis, "users")
        staging = os.path.join(analysis, f".users.staging-{run_id}")
        os.makedirs(staging)
        cursor = con.execute(PLAYERS_SQL)
        phase = log(phase, "per-player query")
        # One writer thread creates the files (system calls, the GIL released) while this thread
        # fetches and formats the next batch: the machine has cores to spare in this phase.
        batches = queue.Queue(maxsize=2)
        writer = threading.Thread(target=write_batches, args=(staging, batches))
        writer.start()
        try:
            while batch := cursor.fetchmany(2048):
                context["players"] = batch[0][-1]
                batches.put([(f"{row[0]}.json", player_summary(row, context)) for row in batch])
                players += len(batch)
        finally:
            batches.put(None)
            writer.join()
        if batches.get() is not None:
            raise RuntimeError("writing the player files failed (above)")
        if os.path.exists(users):
            old = f"{staging}.old"
            os.rename(users, old)
            os.rename(staging, users)
            shutil.rmtree(old)
        else:
            os.rename(staging, users)
        phase = log(phase, f"{players} player files fetched, formatted and written")

    manifest = {
        "run_id": run_id,
        "engine": "duckdb",
        "generated_at": now.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "generated_at_ms": generated_at_ms,
        "input_files": inputs,
        "record_count": rows_read,
        "game_count": all_stats["games"],
        "duplicates_dropped": rows_read - all_stats["games"],
        "player_count": players,
        "top_10_percent_threshold": q,
        "top_10_percent_games": top_stats["games"],
        "results": COMPAT_KEYS + EXTRA_KEYS,
    }
    write_file(os.path.join(analysis, "_manifest.json"), to_json(manifest, sort_keys=False))
    log(started, "total")
    return manifest


def main(argv=None):
    parser = argparse.ArgumentParser(description="CoinKing analytics on DuckDB (benchmark peer)")
    parser.add_argument("--input", required=True, help="lake root (local directory)")
    parser.add_argument("--output", required=True, help="output root; results go to <output>/analysis/")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 2, help="DuckDB threads")
    args = parser.parse_args(argv)
    manifest = run(os.path.abspath(args.input), os.path.abspath(args.output), args.threads)
    print(json.dumps(manifest, ensure_ascii=False, separators=(",", ":")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
