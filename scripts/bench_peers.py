"""The peers' side of scripts/bench-peers.sh, one thread, best of N; prints `<tool> <n> <seconds>`.

Usage: python bench_peers.py <tool> <in.ndjson> <out> <repeats>
  pyarrow | duckdb | polars: JSON lines (Kinesis payloads) -> zstd level 1 Parquet at <out>, file
      to file. They read and convert; none of them validates a game record (the project checks
      every rule of docs/DESIGN.md while it decodes), so the comparison favours them.
  cryptofeed: every line an Upbit SIMPLE trade frame through cryptofeed's own Upbit handler
      (`message_handler`: JSON with Decimal prices -> `Trade` -> callback); <out> is unused. Its
      symbol table is filled from the frames' codes, so nothing goes to the network.
"""

import os
import sys
import time

# One thread each, set before the libraries start their pools.
os.environ["POLARS_MAX_THREADS"] = "1"
os.environ["OMP_NUM_THREADS"] = "1"


def run_pyarrow(src, dst):
    import pyarrow as pa
    import pyarrow.json as pj
    import pyarrow.parquet as pq

    pa.set_cpu_count(1)
    pa.set_io_thread_count(1)
    table = pj.read_json(src, read_options=pj.ReadOptions(use_threads=False, block_size=1 << 24))
    pq.write_table(table, dst, compression="zstd", compression_level=1)
    return table.num_rows


def run_duckdb(src, dst):
    import duckdb

    con = duckdb.connect()
    con.execute("SET threads = 1")
    con.execute(
        f"COPY (SELECT * FROM read_json('{src}', format = 'newline_delimited')) "
        f"TO '{dst}' (FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1)"
    )
    rows = con.execute(f"SELECT count(*) FROM read_parquet('{dst}')").fetchone()[0]
    con.close()
    return rows


def run_polars(src, dst):
    import polars as pl

    frame = pl.read_ndjson(src)
    frame.write_parquet(dst, compression="zstd", compression_level=1)
    return frame.height


def run_cryptofeed(src, _dst):
    import asyncio

    from cryptofeed.defines import TRADES
    from cryptofeed.exchanges import Upbit
    from cryptofeed.symbols import Symbols

    with open(src, encoding="utf-8") as frames_file:
        frames = [line.rstrip("\n") for line in frames_file if line.strip()]
    codes = sorted({frame.split('"cd":"', 1)[1].split('"', 1)[0] for frame in frames})
    mapping, info = Upbit._parse_symbol_data([{"market": code} for code in codes])
    Symbols.set(Upbit.id, mapping, info)
    trades = 0

    async def on_trade(_trade, _receipt_timestamp):
        nonlocal trades
        trades += 1

    symbols = [f"{code.split('-')[1]}-{code.split('-')[0]}" for code in codes]
    feed = Upbit(symbols=symbols, channels=[TRADES], callbacks={TRADES: on_trade})

    async def handle_all():
        now = time.time()
        for frame in frames:
            await feed.message_handler(frame, None, now)

    asyncio.run(handle_all())
    return trades


TOOLS = {
    "pyarrow": run_pyarrow,
    "duckdb": run_duckdb,
    "polars": run_polars,
    "cryptofeed": run_cryptofeed,
}


def main():
    if len(sys.argv) != 5 or sys.argv[1] not in TOOLS:
        sys.exit(__doc__)
    tool, src, dst, repeats = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    best, rows = float("inf"), 0
    for _ in range(max(repeats, 1)):
        started = time.perf_counter()
        rows = TOOLS[tool](src, dst)
        best = min(best, time.perf_counter() - started)
    print(f"{tool} {rows} {best:.6f}")


if __name__ == "__main__":
    main()
