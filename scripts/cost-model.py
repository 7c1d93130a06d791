#!/usr/bin/env python3
"""CoinKing's AWS capacity and cost per load, from the benchmarks' measured figures.

Prints the Markdown tables of docs/COST.md. Every input is a flag: the measured ones default to
the figures in README.md's Benchmarks section, the prices to AWS's us-east-1 list prices (check
https://aws.amazon.com/pricing before relying on them), the load model to the game's own shape
(a 90-second game polled once a second, one clickstream record per game).

    python3 scripts/cost-model.py                      # the default table (100 / 1,000 / 10,000 players)
    python3 scripts/cost-model.py --players 250 --ticker-writes-per-s 20
"""

import argparse
import math

SECONDS_PER_MONTH = 730 * 3600


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    load = p.add_argument_group("load model")
    load.add_argument("--players", type=int, nargs="+", default=[100, 1_000, 10_000],
                      help="players in a game at the same time (concurrent)")
    load.add_argument("--game-seconds", type=float, default=90, help="one game's trading time, polled once a second")
    load.add_argument("--cycle-seconds", type=float, default=120,
                      help="one game plus lobby/result screens: a player finishes one game per cycle")
    load.add_argument("--analysis-views-per-game", type=float, default=1, help="GET /get_user_analysis per game")

    measured = p.add_argument_group("measured (README Benchmarks)")
    measured.add_argument("--ticker-writes-per-s", type=float, default=None,
                          help="DynamoDB writes/s of the stream stage (dynamodb_writes bench: writes per 1,000 "
                               "messages x message rate); default: --writes-per-1000 x --ticker-msgs-per-s / 1000")
    measured.add_argument("--writes-per-1000", type=float, default=1453,
                          help="stream-stage DynamoDB writes per 1,000 ticker messages (dynamodb_writes bench)")
    measured.add_argument("--ticker-msgs-per-s", type=float, default=19,
                          help="Upbit ticker messages/s over the game markets (the shipped capture: 1,138 in 60 s)")
    measured.add_argument("--get-ticker-ms", type=float, default=8.0,
                          help="billed ms per /upbit_data call: handler p99 (bench) + one DynamoDB Query round trip")
    measured.add_argument("--post-clickstream-ms", type=float, default=20.0,
                          help="billed ms per POST: validate+envelope (bench) + one PutRecords round trip")
    measured.add_argument("--archiver-rows-per-s", type=float, default=90_000,
                          help="archiver JSON -> Parquet rows/s on one full core (archive_encode bench)")
    measured.add_argument("--archiver-put-ms", type=float, default=60.0, help="one S3 PutObject round trip")
    measured.add_argument("--get-user-analysis-ms", type=float, default=15.0,
                          help="billed ms per GET /get_user_analysis (13 small S3 GetObjects, concurrent)")
    measured.add_argument("--record-bytes", type=float, default=1_300, help="one game record with its envelope")

    sizes = p.add_argument_group("template.yaml")
    sizes.add_argument("--lambda-mb", type=float, default=128, help="MemorySize of the HTTP functions")
    sizes.add_argument("--archiver-mb", type=float, default=512, help="MemorySize of the archiver")
    sizes.add_argument("--batch-window-s", type=float, default=60, help="MaximumBatchingWindowInSeconds")
    sizes.add_argument("--batch-size", type=int, default=500, help="BatchSize of the Kinesis trigger")
    sizes.add_argument("--fargate-vcpu", type=float, default=0.5)
    sizes.add_argument("--fargate-gb", type=float, default=1.0)

    price = p.add_argument_group("prices (us-east-1 list prices, USD)")
    price.add_argument("--lambda-gb-s", type=float, default=0.0000133334, help="arm64, per GB-second")
    price.add_argument("--lambda-request", type=float, default=0.20 / 1e6)
    price.add_argument("--http-api-request", type=float, default=1.00 / 1e6)
    price.add_argument("--dynamodb-wru", type=float, default=0.625 / 1e6, help="on-demand write request unit")
    price.add_argument("--dynamodb-rru", type=float, default=0.125 / 1e6, help="on-demand read request unit")
    price.add_argument("--kinesis-shard-hour", type=float, default=0.015)
    price.add_argument("--kinesis-put-unit", type=float, default=0.014 / 1e6, help="per 25 KB PUT payload unit")
    price.add_argument("--s3-put", type=float, default=0.005 / 1000)
    price.add_argument("--s3-get", type=float, default=0.0004 / 1000)
    price.add_argument("--fargate-vcpu-hour", type=float, default=0.03238, help="arm64")
    price.add_argument("--fargate-gb-hour", type=float, default=0.00356, help="arm64")
    return p.parse_args(argv)


def lambda_cpu_share(memory_mb):
    """Lambda gives one full vCPU at 1,769 MB and CPU in proportion below that."""
    return min(1.0, memory_mb / 1769.0)


def model(args, players):
    per_s = {}
    games_per_s = players / args.cycle_seconds
    # A player polls during the game only: game_seconds polls per cycle.
    polls_per_s = players * args.game_seconds / args.cycle_seconds
    per_s["get-ticker calls"] = polls_per_s
    per_s["games (POST /set_click_stream)"] = games_per_s
    per_s["analysis views"] = games_per_s * args.analysis_views_per_game

    ticker_writes = (args.ticker_writes_per_s if args.ticker_writes_per_s is not None
                     else args.writes_per_1000 * args.ticker_msgs_per_s / 1000)

    # DynamoDB: puts of items under 1 KB are one WRU each, players or not; /upbit_data is one
    # eventually consistent Query over nine items of ~0.5 KB: 1 RRU (4 KB strongly = 2 eventually).
    wru_per_s = ticker_writes
    rru_per_s = polls_per_s * 1.0
    # Kinesis: one shard takes 1,000 records/s or 1 MiB/s.
    shards = max(1, math.ceil(max(games_per_s / 1000, games_per_s * args.record_bytes / 1_048_576)))
    # Archiver: one invocation per shard per full batch or per batching window, whichever first.
    batches_per_s = max(shards / args.batch_window_s, games_per_s / args.batch_size)
    rows_per_batch = games_per_s / batches_per_s
    cpu = lambda_cpu_share(args.archiver_mb)
    archiver_s = rows_per_batch / (args.archiver_rows_per_s * cpu) + args.archiver_put_ms / 1000
    http_gb = args.lambda_mb / 1024

    lambda_gb_s = (polls_per_s * args.get_ticker_ms / 1000 * http_gb
                   + games_per_s * args.post_clickstream_ms / 1000 * http_gb
                   + per_s["analysis views"] * args.get_user_analysis_ms / 1000 * http_gb
                   + batches_per_s * archiver_s * args.archiver_mb / 1024)
    lambda_requests = polls_per_s + games_per_s + per_s["analysis views"] + batches_per_s
    api_requests = polls_per_s + games_per_s + per_s["analysis views"]

    month = SECONDS_PER_MONTH
    cost = {
        "API Gateway HTTP API": api_requests * month * args.http_api_request,
        "Lambda (requests + GB-s)": lambda_requests * month * args.lambda_request
        + lambda_gb_s * month * args.lambda_gb_s,
        "DynamoDB on-demand (writes)": wru_per_s * month * args.dynamodb_wru,
        "DynamoDB on-demand (reads)": rru_per_s * month * args.dynamodb_rru,
        "Kinesis (shard-hours + PUT units)": shards * 730 * args.kinesis_shard_hour
        + games_per_s * month * math.ceil(args.record_bytes / 25_600) * args.kinesis_put_unit,
        "S3 requests (archiver PUTs, analysis GETs)": batches_per_s * month * args.s3_put
        + per_s["analysis views"] * 13 * month * args.s3_get,
        "Fargate ingester": 730 * (args.fargate_vcpu * args.fargate_vcpu_hour + args.fargate_gb * args.fargate_gb_hour),
    }
    capacity = {
        "DynamoDB WRU/s (stream stage)": wru_per_s,
        "DynamoDB RRU/s (/upbit_data)": rru_per_s,
        "Lambda GB-s per second": lambda_gb_s,
        "Lambda concurrency (average)": polls_per_s * args.get_ticker_ms / 1000
        + games_per_s * args.post_clickstream_ms / 1000 + batches_per_s * archiver_s,
        "Kinesis shards": shards,
        "archiver invocations/min": batches_per_s * 60,
        "archiver billed s per invocation": archiver_s,
    }
    return per_s, capacity, cost


def fmt(value):
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 1:
        return f"{value:,.2f}"
    return f"{value:.4f}"


def table(title, rows, columns):
    lines = [f"| {title} | " + " | ".join(columns) + " |", "|---|" + "---:|" * len(columns)]
    for name, values in rows.items():
        lines.append(f"| {name} | " + " | ".join(values) + " |")
    return "\n".join(lines)


def main(argv=None):
    args = parse_args(argv)
    columns = [f"{p:,} players" for p in args.players]
    results = [model(args, p) for p in args.players]
    load_rows, capacity_rows, cost_rows = {}, {}, {}
    for per_s, capacity, cost in results:
        for name, value in per_s.items():
            load_rows.setdefault(f"{name} /s", []).append(fmt(value))
        for name, value in capacity.items():
            capacity_rows.setdefault(name, []).append(fmt(value))
        for name, value in cost.items():
            cost_rows.setdefault(name, []).append(fmt(value))
        cost_rows.setdefault("**total per month (USD)**", []).append(f"**{fmt(sum(cost.values()))}**")
    print(table("load", load_rows, columns))
    print()
    print(table("capacity", capacity_rows, columns))
    print()
    print(table("USD per month", cost_rows, columns))


if __name__ == "__main__":
    main()
