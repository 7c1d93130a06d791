"""Asks real Spark the two definitions both engines reproduce, for the tests that hold the Rust
engine to them (crates/analytics/tests/it/spark_oracle.rs):

- `quantile`: `DataFrame.approxQuantile(col, [q], 0.0)`, the original's top-10 % threshold;
- `round`: `round(col, 2)` on doubles, the original's rounding of top_10_percent_coin_ratio.

    python -m coinking_analytics.spark_probe < request.json > answer.json

Request: {"q": 0.9, "quantile": [[values], ...], "round": [values], "decimals": 2}, either part
optional. Answer: {"quantile": [one threshold per list], "round": [one value per input]}, each
double as its IEEE-754 bit pattern (an integer), so the comparison is exact whatever JSON parser
reads it.
"""

import json
import struct
import sys

# Lists up to this long share one wide DataFrame (one column each, padded with nulls, which
# approxQuantile ignores) so that hundreds of cases cost one Spark job.
WIDE_MAX_ROWS = 2000


def quantiles(spark, lists, q):
    lists = [[float(v) for v in values] for values in lists]
    answers = [None] * len(lists)
    small = [i for i, values in enumerate(lists) if 0 < len(values) <= WIDE_MAX_ROWS]
    if small:
        rows = max(len(lists[i]) for i in small)
        data = [tuple(lists[i][r] if r < len(lists[i]) else None for i in small) for r in range(rows)]
        columns = [f"c{i}" for i in small]
        frame = spark.createDataFrame(data, ", ".join(f"{c} double" for c in columns)).repartition(3)
        for i, answer in zip(small, frame.approxQuantile(columns, [q], 0.0)):
            answers[i] = answer[0]
    for i, values in enumerate(lists):
        if len(values) > WIDE_MAX_ROWS:
            frame = spark.createDataFrame([(v,) for v in values], "balance double").repartition(4)
            answers[i] = frame.approxQuantile("balance", [q], 0.0)[0]
    return answers


def rounded(spark, values, decimals):
    from pyspark.sql import functions as F

    frame = spark.createDataFrame([(i, float(v)) for i, v in enumerate(values)], "i long, x double")
    rows = frame.select("i", F.round("x", decimals).alias("r")).orderBy("i").collect()
    return [r["r"] for r in rows]


def bits(value):
    return struct.unpack("<Q", struct.pack("<d", value))[0]


def main():
    from coinking_analytics.job import build_session

    request = json.load(sys.stdin)
    spark = build_session("local[2]")
    spark.sparkContext.setLogLevel("ERROR")
    try:
        answer = {}
        if "quantile" in request:
            answer["quantile"] = [bits(v) for v in quantiles(spark, request["quantile"], request.get("q", 0.9))]
        if "round" in request:
            answer["round"] = [bits(v) for v in rounded(spark, request["round"], request.get("decimals", 2))]
    finally:
        spark.stop()
    json.dump(answer, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
