"""Deterministic clickstream dataset generator (the archive's exact Parquet schema and layout).

    python -m coinking_analytics.gen --out DIR --games N [--seed S] [--rows-per-file R]

Writes DIR/clickstream/dt=YYYY-MM-DD/hour=HH/shardId-000000000000-<seq>.parquet (zstd). The data
is built to exercise every rule of docs/ANALYTICS.md:
- duplicate event_ids (about 2 % extra rows, in later files): exact re-deliveries, later
  re-sends with another balance (the earliest received_at must win), and same-instant
  conflicts (the tie-break order must decide);
- ties at the 0.9 quantile: balances are whole millions of KRW, so many games share one;
- one-row groups: exactly one game has aiRecommend_2 = true, exactly one picks KRW-SXP;
- an empty group: nobody chooses leverage 1000;
- player names with non-ASCII and punctuation (they become file names).
Vectorised with numpy so 10 million games take about a minute.
"""

import argparse
import os
import sys

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

MARKETS = ["KRW-BTC", "KRW-ETH", "KRW-DOGE", "KRW-BIGTIME", "KRW-SUI", "KRW-UXLINK", "KRW-SOL", "KRW-XRP"]
RARE_MARKET = "KRW-SXP"
BASE_MS = 1732492800000  # 2024-11-25T00:00:00Z
START_KRW = 1.6e9

STR = pa.field("element", pa.string(), nullable=False)
PAIR_MONEY = pa.struct([pa.field("coin", pa.string(), False), pa.field("money", pa.float64(), False)])
PAIR_TIME = pa.struct([pa.field("coin", pa.string(), False), pa.field("time", pa.float64(), False)])
DL_FIELDS = [pa.field("code", pa.string(), False)] + [
    pa.field(f, pa.bool_(), False)
    for f in ["fastest_decline", "fastest_growth", "largest_drop", "largest_rise", "largest_spike", "least_volatile", "most_volatile"]
] + [
    pa.field("percentage", pa.float64(), False),
    pa.field("rank", pa.int32(), False),
    # The hint's sell band: nullable (absent from records written before it).
    pa.field("sell_up", pa.float64(), True),
    pa.field("sell_down", pa.float64(), True),
]
DL = pa.struct(DL_FIELDS)


def schema():
    """The clickstream Parquet schema (must equal coinking_analytics::fixture::clickstream_schema)."""
    fields = [
        pa.field("event_id", pa.string(), False),
        pa.field("received_at", pa.timestamp("ms", tz="UTC"), False),
        pa.field("schema_version", pa.int32(), False),
        pa.field("user_name", pa.string(), False),
        pa.field("user_affiliation", pa.string(), False),
        # Only a keyed hash of the nickname (an e-mail) is archived, never the nickname.
        pa.field("user_nickname_hash", pa.string(), True),
    ]
    fields += [pa.field(f"remaining_time_{i}", pa.float64(), False) for i in (1, 2, 3)]
    fields += [
        pa.field("coins", pa.list_(STR), False),
        pa.field("deeplearning_data", pa.list_(pa.field("element", DL, False)), False),
        pa.field("ai_recommend_1", pa.bool_(), False),
        pa.field("ai_recommend_2", pa.bool_(), False),
        pa.field("leverage", pa.int32(), False),
    ]
    fields += [pa.field(f"user_buy_coin_money_{i}", PAIR_MONEY, False) for i in (1, 2, 3)]
    fields += [pa.field(f"user_sell_time_{i}", PAIR_TIME, False) for i in (1, 2, 3)]
    fields += [pa.field("balance", pa.float64(), False)]
    return pa.schema(fields)


def user_names(count):
    names = []
    for i in range(count):
        if i % 97 == 5:
            names.append(f"김철수-{i}")
        elif i % 131 == 7:
            names.append(f"p {i}#?%~[x]")
        else:
            names.append(f"player-{i:07d}")
    return names


def uuid_strings(rng, n):
    """n lower-case hyphenated v4-shaped UUIDs as a pyarrow string array, without a Python loop."""
    raw = rng.integers(0, 256, size=(n, 16), dtype=np.uint8)
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    hexdigits = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
    nibbles = np.empty((n, 32), dtype=np.uint8)
    nibbles[:, 0::2] = hexdigits[raw >> 4]
    nibbles[:, 1::2] = hexdigits[raw & 0x0F]
    out = np.full((n, 36), ord("-"), dtype=np.uint8)
    for dst, src in ((0, 0), (9, 8), (14, 12), (19, 16), (24, 20)):
        length = {0: 8, 9: 4, 14: 4, 19: 4, 24: 12}[dst]
        out[:, dst:dst + length] = nibbles[:, src:src + length]
    offsets = np.arange(0, 36 * n + 1, 36, dtype=np.int64)
    return pa.LargeStringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(out.tobytes())).cast(pa.string())


def build(rng, n, names):
    """Column arrays (numpy / pyarrow) for n unique games."""
    users = rng.integers(0, len(names), size=n)
    users[: len(names)] = np.arange(len(names))[: min(n, len(names))]  # everyone plays at least once
    n_coins = rng.integers(1, 4, size=n)
    coin_idx = rng.integers(0, len(MARKETS), size=int(n_coins.sum()))
    coin_values = np.array(MARKETS, dtype=object)[coin_idx]
    if n > 0:
        coin_values[0] = RARE_MARKET
    offsets = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(n_coins, out=offsets[1:])
    first_coin = coin_values[offsets[:-1]]
    leverage = np.array([1, 10, 100], dtype=np.int32)[rng.integers(0, 3, size=n)]
    ai1 = rng.random(n) < 0.4
    ai2 = np.zeros(n, dtype=bool)
    if n > 1:
        ai2[1] = True
    # Whole millions of KRW: many equal balances, so the quantile falls inside a run of ties.
    factor = np.exp(rng.normal(0.0, 0.35, size=n)) * (1 + (leverage == 100) * 0.2)
    balance = np.round(START_KRW * factor / 1e6) * 1e6
    remaining = [np.round(rng.uniform(0, 90, size=n), 3) for _ in range(3)]
    sell_times = [np.round(rng.uniform(0, 90, size=n), 2) for _ in range(3)]
    sell_coins = [np.array(MARKETS, dtype=object)[rng.integers(0, len(MARKETS), size=n)] for _ in range(3)]
    sell_coins[0] = first_coin
    return {
        "users": users, "n_coins": n_coins, "coin_values": coin_values, "offsets": offsets,
        "leverage": leverage, "ai1": ai1, "ai2": ai2, "balance": balance,
        "remaining": remaining, "sell_times": sell_times, "sell_coins": sell_coins,
    }


def to_table(cols, rows, event_ids, received_ms, names_arr):
    """The rows `rows` (numpy index array) of the built columns as a Table in the schema."""
    n = len(rows)
    starts = cols["offsets"][rows]
    lengths = cols["n_coins"][rows]
    new_offsets = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(lengths, out=new_offsets[1:])
    gather = np.repeat(starts - new_offsets[:-1], lengths) + np.arange(int(new_offsets[-1]))
    coins = pa.ListArray.from_arrays(
        pa.array(new_offsets), pa.array(cols["coin_values"][gather], type=pa.string()), type=pa.list_(STR)
    )
    # One deep-learning entry per game keeps the column real without dominating file size.
    dl_values = pa.StructArray.from_arrays(
        [pa.array(cols["sell_coins"][1][rows], type=pa.string())]
        + [pa.array(np.zeros(n, dtype=bool)) for _ in range(7)]
        + [pa.array(np.round(cols["sell_times"][1][rows] / 9.0, 2)), pa.array(np.ones(n, dtype=np.int32))]
        + [pa.nulls(n, type=pa.float64()), pa.nulls(n, type=pa.float64())],
        fields=DL_FIELDS,
    )
    deeplearning = pa.ListArray.from_arrays(
        pa.array(np.arange(n + 1, dtype=np.int32)), dl_values, type=pa.list_(pa.field("element", DL, False))
    )
    user_names_col = pa.DictionaryArray.from_arrays(pa.array(cols["users"][rows].astype(np.int32)), names_arr).cast(pa.string())

    def pair(kind, coins_arr, values):
        typ = PAIR_MONEY if kind == "money" else PAIR_TIME
        return pa.StructArray.from_arrays([pa.array(coins_arr, type=pa.string()), pa.array(values)], fields=list(typ))

    arrays = [
        event_ids,
        pa.array(received_ms, type=pa.timestamp("ms", tz="UTC")),
        pa.array(np.ones(n, dtype=np.int32)),
        user_names_col,
        pa.array(np.full(n, "", dtype=object), type=pa.string()),
        pa.nulls(n, type=pa.string()),
        *[pa.array(cols["remaining"][i][rows]) for i in range(3)],
        coins,
        deeplearning,
        pa.array(cols["ai1"][rows]),
        pa.array(cols["ai2"][rows]),
        pa.array(cols["leverage"][rows]),
        *[pair("money", cols["sell_coins"][i][rows], np.full(n, 1e8)) for i in range(3)],
        *[pair("time", cols["sell_coins"][i][rows], cols["sell_times"][i][rows]) for i in range(3)],
        pa.array(cols["balance"][rows]),
    ]
    return pa.Table.from_arrays(arrays, schema=schema())


def write_file(out, table, first_ms, seq):
    hour_ms = 3600 * 1000
    hour_index = (first_ms - BASE_MS) // hour_ms
    day = 25 + hour_index // 24
    hour = hour_index % 24
    directory = os.path.join(out, "clickstream", f"dt=2024-11-{day:02d}", f"hour={hour:02d}")
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, f"shardId-000000000000-{seq:020d}.parquet")
    pq.write_table(table, path, compression="zstd")
    return path


def generate(out, games, seed=7, rows_per_file=250_000):
    """Writes the dataset; returns (unique games, total rows written)."""
    rng = np.random.default_rng(seed)
    names = user_names(max(1, games // 20))
    names_arr = pa.array(names, type=pa.string())
    cols = build(rng, games, names)
    event_ids = uuid_strings(rng, games)
    # Spread arrival over ~48 hours so files land in several dt/hour partitions.
    step = max(1, (48 * 3600 * 1000) // max(games, 1))
    received = BASE_MS + np.arange(games, dtype=np.int64) * step
    seq = 0
    for start in range(0, games, rows_per_file):
        rows = np.arange(start, min(games, start + rows_per_file))
        write_file(out, to_table(cols, rows, event_ids.slice(start, len(rows)), received[rows], names_arr), int(received[rows[0]]), seq)
        seq += len(rows)
    # Duplicates: ~2 % of games again, in one extra file per kind.
    n_dup = max(3, games // 50) if games >= 3 else 0
    written = games
    if n_dup:
        pick = np.sort(rng.choice(games, size=min(n_dup, games), replace=False))
        thirds = np.array_split(pick, 3)
        # 1. exact re-deliveries (same envelope).
        exact = to_table(cols, thirds[0], event_ids.take(pa.array(thirds[0])), received[thirds[0]], names_arr)
        # 2. a later re-send with another balance: the earliest received_at must win.
        later_cols = dict(cols)
        later_cols["balance"] = cols["balance"] + 7e6
        later = to_table(later_cols, thirds[1], event_ids.take(pa.array(thirds[1])), received[thirds[1]] + 1000, names_arr)
        # 3. same instant, another balance: the tie-break order (smaller balance) decides.
        other_cols = dict(cols)
        other_cols["balance"] = cols["balance"] - 3e6
        same = to_table(other_cols, thirds[2], event_ids.take(pa.array(thirds[2])), received[thirds[2]], names_arr)
        for table in (exact, later, same):
            if table.num_rows:
                write_file(out, table, int(received[-1]), seq)
                seq += table.num_rows
                written += table.num_rows
    return games, written


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--games", type=int, required=True)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rows-per-file", type=int, default=250_000)
    args = parser.parse_args(argv)
    games, rows = generate(args.out, args.games, args.seed, args.rows_per_file)
    print(f"wrote {games} games, {rows} rows (with duplicates) under {args.out}/clickstream", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
