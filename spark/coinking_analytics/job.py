"""The CoinKing analytics job on Apache Spark: the 20 results and the per-player summaries.

    spark-submit spark/coinking_analytics/job.py --input s3a://lake --output s3a://lake
    python -m coinking_analytics.job --input DIR --output DIR [--master local[2]]

Reads <input>/clickstream/dt=*/hour=*/*.parquet and writes <output>/analysis/<name>.json (20),
<output>/analysis/_results.json (the 20 in one document), <output>/analysis/users/<userName>.json
and <output>/analysis/_manifest.json (last). Every rule
mirrors the embedded Rust engine (crates/analytics; docs/ANALYTICS.md) so both produce the same
JSON; a parity test checks it. Aggregates are small, so the driver collects them and writes the
files itself (local paths with temp-then-rename; s3a:// through Hadoop's FileSystem API).
Nothing runs at import time.
"""

import argparse
import datetime
import decimal
import json
import os
import sys
import time
import uuid

LEVERAGES = [1, 10, 100, 1000]
AI_GROUPS = [True, False]
TOP_QUANTILE = 0.9
# approxQuantile's relative error: 0 asks Spark for the exact rank-ceil(q·n) element, as the original.
TOP_QUANTILE_ERROR = 0.0
# Only top_10_percent_coin_ratio's ratios are rounded (as the original did), to this many places.
TOP_COIN_RATIO_DECIMALS = 2
# Means are sums of these exact decimals (each double rounded to 10 places first), so they do not
# depend on the order Spark merges partial sums in: the same input gives the same bits every run.
EXACT_SUM_TYPE = "decimal(38,10)"
START_BALANCE_KRW = 1.6e9
COMPAT_KEYS = [
    "coin_ratio", "coin_avg_sell_time", "leverage_ratio", "ai_recommend_1_ratio", "ai_recommend_2_ratio",
    "ai_recommend_1_avg_balance", "ai_recommend_2_avg_balance", "leverage_avg_balance",
    "top_10_percent_coin_ratio", "avg_balance", "page_time_avg", "sell_time_avg",
    "top_10_percent_avg_sell_time_by_category",
]
EXTRA_KEYS = [
    "top_10_percent_leverage_ratio", "top_10_percent_leverage_avg_balance",
    "top_10_percent_ai_recommend_1_ratio", "top_10_percent_ai_recommend_2_ratio",
    "top_10_percent_ai_recommend_1_avg_balance", "top_10_percent_ai_recommend_2_avg_balance",
    "top_10_percent_coin_avg_sell_time",
]


# ---------------------------------------------------------------- pure rules (mirror results.rs)

def ratio(count, total):
    """count / total * 100, and 0 for an empty total."""
    return 0.0 if total == 0 else float(count) / float(total) * 100.0


def round_half_up(value, decimals):
    """Spark's round(col, d) on a double: HALF_UP on the shortest decimal text of the value (repr),
    so 2.675 -> 2.68 where Python's round() gives 2.67 (results.rs round_half_up)."""
    if value != value or value in (float("inf"), float("-inf")):
        return value
    quantum = decimal.Decimal(1).scaleb(-decimals)
    return float(decimal.Decimal(repr(value)).quantize(quantum, rounding=decimal.ROUND_HALF_UP)) + 0.0


def coin_ratio(stats, shape_ratio=lambda r: r):
    picks = sorted(((c, n) for c, n in stats["coin_picks"] if n > 0), key=lambda p: (-p[1], p[0].encode()))
    total = sum(n for _, n in picks)
    return [{"coin": c, "count": n, "ratio": shape_ratio(ratio(n, total))} for c, n in picks]


def top_10_percent_coin_ratio(top):
    return coin_ratio(top, lambda r: round_half_up(r, TOP_COIN_RATIO_DECIMALS))


def coin_avg_sell_time(stats):
    return [{"coin": c, "avg_sell_time": float(t)} for c, t in sorted(stats["coin_sell_time"], key=lambda p: p[0].encode())]


def complete_ratio(groups, order, key_name, total):
    counts = {k: n for k, n, _ in groups}
    return [{key_name: k, "count": counts.get(k, 0), "ratio": ratio(counts.get(k, 0), total)} for k in order]


def non_empty_avg_balance(groups, order, key_name):
    by_key = {k: (n, b) for k, n, b in groups}
    return [{key_name: k, "avg_balance": float(by_key[k][1])} for k in order if k in by_key and by_key[k][0] > 0]


def leverage_ratio(stats):
    return complete_ratio(stats["leverage"], LEVERAGES, "leverage", stats["games"])


def leverage_avg_balance(stats):
    return non_empty_avg_balance(stats["leverage"], LEVERAGES, "leverage")


def ai_recommend_ratio(stats, n):
    return complete_ratio(stats[f"ai{n}"], AI_GROUPS, f"aiRecommend_{n}", stats["games"])


def ai_recommend_avg_balance(stats, n):
    return non_empty_avg_balance(stats[f"ai{n}"], AI_GROUPS, f"aiRecommend_{n}")


def mean_or_zero(value):
    return 0.0 if value is None else float(value)


def avg_balance(stats):
    return {"avg_balance": mean_or_zero(stats["avg_balance"])}


def page_time_avg(stats):
    return {f"avg_time_{i + 1}": mean_or_zero(stats["avg_remaining_time"][i]) for i in range(3)}


def sell_time_avg(stats):
    return {f"avg_sell_time_{i + 1}": mean_or_zero(stats["avg_sell_time"][i]) for i in range(3)}


def compute_results(all_stats, top):
    return {
        "coin_ratio": coin_ratio(all_stats),
        "coin_avg_sell_time": coin_avg_sell_time(all_stats),
        "leverage_ratio": leverage_ratio(all_stats),
        "ai_recommend_1_ratio": ai_recommend_ratio(all_stats, 1),
        "ai_recommend_2_ratio": ai_recommend_ratio(all_stats, 2),
        "ai_recommend_1_avg_balance": ai_recommend_avg_balance(all_stats, 1),
        "ai_recommend_2_avg_balance": ai_recommend_avg_balance(all_stats, 2),
        "leverage_avg_balance": leverage_avg_balance(all_stats),
        "top_10_percent_coin_ratio": top_10_percent_coin_ratio(top),
        "avg_balance": avg_balance(all_stats),
        "page_time_avg": page_time_avg(all_stats),
        "sell_time_avg": sell_time_avg(all_stats),
        "top_10_percent_avg_sell_time_by_category": sell_time_avg(top),
        "top_10_percent_leverage_ratio": leverage_ratio(top),
        "top_10_percent_leverage_avg_balance": leverage_avg_balance(top),
        "top_10_percent_ai_recommend_1_ratio": ai_recommend_ratio(top, 1),
        "top_10_percent_ai_recommend_2_ratio": ai_recommend_ratio(top, 2),
        "top_10_percent_ai_recommend_1_avg_balance": ai_recommend_avg_balance(top, 1),
        "top_10_percent_ai_recommend_2_avg_balance": ai_recommend_avg_balance(top, 2),
        "top_10_percent_coin_avg_sell_time": coin_avg_sell_time(top),
    }


def empty_stats():
    return {"games": 0, "avg_balance": None, "avg_remaining_time": [None] * 3, "avg_sell_time": [None] * 3,
            "leverage": [], "ai1": [], "ai2": [], "coin_picks": [], "coin_sell_time": []}


def return_pct(balance):
    return (balance - START_BALANCE_KRW) / START_BALANCE_KRW * 100.0


def player_summary(p, context):
    coins = sorted(p["coin_picks"], key=lambda c: (-c[1], c[0].encode()))
    picks = sum(n for _, n in coins)
    lev = dict(p["leverage"])

    def sell(times):
        return {f"avg_sell_time_{i + 1}": float(times[i]) for i in range(3)}

    return {
        "userName": p["user_name"],
        "games": p["games"],
        "start_balance": START_BALANCE_KRW,
        "best_balance": float(p["best_balance"]),
        "avg_balance": float(p["avg_balance"]),
        "best_return_pct": return_pct(p["best_balance"]),
        "avg_return_pct": return_pct(p["avg_balance"]),
        "percentile_games": ratio(p["games_below_best"], context["games"]),
        "percentile_players": ratio(p["players_below"], context["players"]),
        "top_10_percent_threshold": float(context["top_threshold"]),
        "top_10_percent_games": p["top_games"],
        "coins": [{"coin": c, "count": n, "ratio": ratio(n, picks)} for c, n in coins],
        "leverage": [{"leverage": level, "count": lev.get(level, 0), "ratio": ratio(lev.get(level, 0), p["games"])}
                     for level in LEVERAGES],
        "ai_recommend_1": {"used": p["ai1_used"], "ratio": ratio(p["ai1_used"], p["games"])},
        "ai_recommend_2": {"used": p["ai2_used"], "ratio": ratio(p["ai2_used"], p["games"])},
        "sell_time": {"player": sell(p["avg_sell_time"]), "population": sell(context["avg_sell_time"]),
                      "top_10_percent": sell(context["top_avg_sell_time"])},
    }


# ---------------------------------------------------------------- Spark


def build_session(master=None):
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName("coinking-analytics")
    if master:
        builder = builder.master(master)
    return (builder.config("spark.sql.session.timeZone", "UTC")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.shuffle.partitions", os.environ.get("COINKING_SPARK_SHUFFLE_PARTITIONS", "8"))
            .getOrCreate())


def read_raw(spark, input_root):
    """Every Parquet file under <input>/clickstream (recursively; dt/hour are not columns)."""
    path = input_root.rstrip("/") + "/clickstream"
    return spark.read.option("recursiveFileLookup", "true").parquet(path)


def dedup_games(raw):
    """One row per event_id: earliest received_at, then the smallest value of every column an
    output depends on (the same order as the Rust engine's DEDUP_ORDER)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    order = [F.col("received_at"), F.col("user_name"), F.col("balance"), F.col("leverage"),
             F.col("ai_recommend_1"), F.col("ai_recommend_2"),
             F.col("remaining_time_1"), F.col("remaining_time_2"), F.col("remaining_time_3"),
             F.col("user_sell_time_1.time"), F.col("user_sell_time_2.time"), F.col("user_sell_time_3.time"),
             F.col("user_sell_time_1.coin"), F.col("user_sell_time_2.coin"), F.col("user_sell_time_3.coin"),
             F.concat_ws(",", F.col("coins"))]
    window = Window.partitionBy("event_id").orderBy(*order)
    ranked = raw.withColumn("rn", F.row_number().over(window))
    return ranked.where(F.col("rn") == 1).select(
        "user_name", "coins", F.col("leverage").cast("long").alias("leverage"),
        F.col("ai_recommend_1").alias("ai1"), F.col("ai_recommend_2").alias("ai2"),
        F.col("remaining_time_1").alias("rt1"), F.col("remaining_time_2").alias("rt2"),
        F.col("remaining_time_3").alias("rt3"),
        F.col("user_sell_time_1.coin").alias("sc1"), F.col("user_sell_time_1.time").alias("st1"),
        F.col("user_sell_time_2.coin").alias("sc2"), F.col("user_sell_time_2.time").alias("st2"),
        F.col("user_sell_time_3.coin").alias("sc3"), F.col("user_sell_time_3.time").alias("st3"),
        "balance")


def top_threshold(games):
    """The 0.9 quantile of balance exactly as the original took it: approxQuantile with relative
    error 0, which returns the balance of rank ceil(0.9 * n), a value present in the data."""
    return games.approxQuantile("balance", [TOP_QUANTILE], TOP_QUANTILE_ERROR)[0]


def exact_avg(column):
    """avg(column) summed exactly (see EXACT_SUM_TYPE); the embedded engine does the same."""
    from pyspark.sql import functions as F

    return F.avg(F.col(column).cast(EXACT_SUM_TYPE)).cast("double")


def totals(df):
    from pyspark.sql import functions as F

    row = df.agg(F.count(F.lit(1)).alias("games"), exact_avg("balance").alias("b"),
                 *[exact_avg(f"rt{i}").alias(f"rt{i}") for i in (1, 2, 3)],
                 *[exact_avg(f"st{i}").alias(f"st{i}") for i in (1, 2, 3)]).collect()[0]
    return row


def group_stats(df, column):
    from pyspark.sql import functions as F

    rows = df.groupBy(column).agg(F.count(F.lit(1)).alias("n"), exact_avg("balance").alias("b")).collect()
    return [(r[column], r["n"], r["b"]) for r in rows]


def coin_picks(df):
    from pyspark.sql import functions as F

    rows = df.select(F.explode("coins").alias("coin")).groupBy("coin").count().collect()
    return [(r["coin"], r["count"]) for r in rows]


def coin_sell_times(df):
    from pyspark.sql import functions as F

    pairs = (df.select(F.col("sc1").alias("coin"), F.col("st1").alias("t"))
             .unionAll(df.select(F.col("sc2").alias("coin"), F.col("st2").alias("t")))
             .unionAll(df.select(F.col("sc3").alias("coin"), F.col("st3").alias("t"))))
    rows = pairs.groupBy("coin").agg(exact_avg("t").alias("t")).collect()
    return [(r["coin"], r["t"]) for r in rows]


def population(df):
    row = totals(df)
    return {
        "games": row["games"],
        "avg_balance": row["b"],
        "avg_remaining_time": [row[f"rt{i}"] for i in (1, 2, 3)],
        "avg_sell_time": [row[f"st{i}"] for i in (1, 2, 3)],
        "leverage": group_stats(df, "leverage"),
        "ai1": group_stats(df, "ai1"),
        "ai2": group_stats(df, "ai2"),
        "coin_picks": coin_picks(df),
        "coin_sell_time": coin_sell_times(df),
    }


def players(games, q):
    """Per-player aggregates with exact percentile counts (games/players strictly below)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    per_player = games.groupBy("user_name").agg(
        F.count(F.lit(1)).alias("games"), F.max("balance").alias("best"), exact_avg("balance").alias("avg"),
        F.sum(F.when(F.col("ai1"), 1).otherwise(0)).alias("ai1_used"),
        F.sum(F.when(F.col("ai2"), 1).otherwise(0)).alias("ai2_used"),
        exact_avg("st1").alias("st1"), exact_avg("st2").alias("st2"), exact_avg("st3").alias("st3"),
        F.sum(F.when(F.col("balance") >= F.lit(q), 1).otherwise(0)).alias("top_games"))
    # Games strictly below a balance: running count over distinct balances (one partition: the
    # table has one row per distinct balance).
    by_balance = games.groupBy("balance").count()
    below = by_balance.withColumn(
        "games_below", F.sum("count").over(Window.orderBy("balance").rowsBetween(Window.unboundedPreceding, -1)))
    per_player = per_player.join(below.select(F.col("balance").alias("best"), "games_below"), "best", "left")
    per_player = per_player.withColumn("players_below", F.rank().over(Window.orderBy("best")) - 1)
    result = {}
    for r in per_player.collect():
        result[r["user_name"]] = {
            "user_name": r["user_name"], "games": r["games"], "best_balance": r["best"], "avg_balance": r["avg"],
            "ai1_used": r["ai1_used"], "ai2_used": r["ai2_used"], "avg_sell_time": [r["st1"], r["st2"], r["st3"]],
            "top_games": r["top_games"], "games_below_best": r["games_below"] or 0,
            "players_below": r["players_below"], "leverage": [], "coin_picks": [],
        }
    for r in games.groupBy("user_name", "leverage").count().collect():
        result[r["user_name"]]["leverage"].append((r["leverage"], r["count"]))
    for r in games.select("user_name", F.explode("coins").alias("coin")).groupBy("user_name", "coin").count().collect():
        result[r["user_name"]]["coin_picks"].append((r["coin"], r["count"]))
    return result


# ---------------------------------------------------------------- output


class Writer:
    """Local directory (temp then rename) or any Hadoop filesystem URI (s3a://) via the JVM."""

    def __init__(self, spark, root):
        self.root = root.rstrip("/")
        self.spark = spark
        self.local = "://" not in root or root.startswith("file://")
        if self.local:
            self.root = self.root.removeprefix("file://")

    def write(self, relative, value):
        data = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
        if self.local:
            target = os.path.join(self.root, relative)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            temporary = f"{target}.tmp-{os.getpid()}"
            with open(temporary, "wb") as f:
                f.write(data)
            os.replace(temporary, target)
            return
        jvm = self.spark.sparkContext._jvm
        conf = self.spark.sparkContext._jsc.hadoopConfiguration()
        path = jvm.org.apache.hadoop.fs.Path(f"{self.root}/{relative}")
        fs = path.getFileSystem(conf)
        stream = fs.create(path, True)  # S3A uploads on close: one atomic PUT
        try:
            stream.write(bytearray(data))
        finally:
            stream.close()


def relative_input(path, input_root):
    root = input_root.rstrip("/").removeprefix("file://")
    path = path.removeprefix("file://").removeprefix("file:")
    marker = "/clickstream/"
    index = path.find(marker)
    return path[index + 1:] if index >= 0 else os.path.relpath(path, root)


def run(spark, input_root, output_root):
    """The whole job; returns the manifest."""
    from pyspark.sql.utils import AnalysisException

    started = time.time()
    try:
        raw = read_raw(spark, input_root)
        input_files = sorted(relative_input(p, input_root) for p in raw.inputFiles())
    except AnalysisException:
        # No clickstream/ directory yet: an empty lake.
        raw, input_files = None, []
    results_all, results_top, q, people = empty_stats(), empty_stats(), None, {}
    rows_read = 0
    if raw is not None:
        rows_read = raw.count()
        games = dedup_games(raw).cache()
        if games.count() > 0:
            q = top_threshold(games)
            top = games.where(games.balance >= q).cache()
            results_all = population(games)
            results_top = population(top)
            people = players(games, q)
    writer = Writer(spark, output_root)
    run_id = str(uuid.uuid4())
    now = datetime.datetime.now(datetime.timezone.utc)
    generated_at_ms = int(now.timestamp() * 1000)
    results = compute_results(results_all, results_top)
    for name in COMPAT_KEYS + EXTRA_KEYS:
        writer.write(f"analysis/{name}.json", results[name])
    # All 20 in one document, so a reader never mixes two runs (the files above are replaced one
    # by one while a run writes them).
    writer.write("analysis/_results.json", {
        "run_id": run_id, "generated_at_ms": generated_at_ms,
        "results": {name: results[name] for name in COMPAT_KEYS + EXTRA_KEYS},
    })
    if people:
        context = {
            "games": results_all["games"], "players": len(people),
            "avg_sell_time": [mean_or_zero(t) for t in results_all["avg_sell_time"]],
            "top_avg_sell_time": [mean_or_zero(t) for t in results_top["avg_sell_time"]],
            "top_threshold": q,
        }
        for name in sorted(people):
            writer.write(f"analysis/users/{name}.json", player_summary(people[name], context))
    manifest = {
        "run_id": run_id,
        "engine": "spark",
        "generated_at": now.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "generated_at_ms": generated_at_ms,
        "input_files": input_files,
        "record_count": rows_read,
        "game_count": results_all["games"],
        "duplicates_dropped": rows_read - results_all["games"],
        "player_count": len(people),
        "top_10_percent_threshold": q,
        "top_10_percent_games": results_top["games"],
        "results": COMPAT_KEYS + EXTRA_KEYS,
    }
    writer.write("analysis/_manifest.json", manifest)
    print(f"coinking-analytics: {manifest['game_count']} games, {len(people)} players in "
          f"{time.time() - started:.1f}s", file=sys.stderr)
    return manifest


def main(argv=None):
    parser = argparse.ArgumentParser(description="CoinKing analytics on Spark")
    parser.add_argument("--input", required=True, help="lake root (dir, file://, s3a://bucket/prefix)")
    parser.add_argument("--output", required=True, help="output root; results go to <output>/analysis/")
    parser.add_argument("--master", default=None, help="e.g. local[2]; default: spark-submit's")
    args = parser.parse_args(argv)
    spark = build_session(args.master)
    try:
        run(spark, args.input, args.output)
    finally:
        spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
