#!/usr/bin/env bash
# Benchmarks the two analytics engines on the same generated lake, in the same run:
# wall time and peak memory (max RSS, /usr/bin/time -v) of the embedded DataFusion engine
# (`coinking-analyze`, release build) and of the Spark job (local[N] on this machine), their
# ratio, and whether their outputs are identical (the parity test's comparison).
#
# Usage: bash scripts/bench-analytics.sh [games...]      default: 1000000
#   e.g. bash scripts/bench-analytics.sh 1000000 10000000
# Env: BENCH_DIR (default ~/.cache/coinking/bench-analytics), SPARK_MASTER (default local[*]),
#      SPARK_DRIVER_MEMORY (default 8g).
set -euo pipefail
shopt -s inherit_errexit

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO_ROOT"
BENCH_DIR=${BENCH_DIR:-$HOME/.cache/coinking/bench-analytics}
SPARK_MASTER=${SPARK_MASTER:-local[*]}
export SPARK_LOCAL_IP=127.0.0.1 PYTHONPATH=$REPO_ROOT/spark
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/coinking/target-analytics}
GAMES=("$@")
if ((${#GAMES[@]} == 0)); then GAMES=(1000000); fi

PY=$(bash scripts/analytics-env.sh)
export PYSPARK_PYTHON=$PY
# The release profile is the Lambdas' (fat LTO, one codegen unit): far too slow to build
# DataFusion with on 2 cores, and no faster at this. Thin settings for the bench binary.
CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 CARGO_PROFILE_RELEASE_PANIC=unwind \
    cargo build --release -p coinking-analytics --bin coinking-analyze >&2
ANALYZE=$CARGO_TARGET_DIR/release/coinking-analyze

# Runs a command under /usr/bin/time -v; prints "<wall seconds> <max RSS MiB>".
measure() {
    local log=$1
    shift
    /usr/bin/time -v "$@" >"$log.out" 2>"$log.err"
    local wall rss
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$log.err" |
        awk -F: '{ if (NF == 3) print $1*3600 + $2*60 + $3; else print $1*60 + $2 }')
    rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2 / 1024}' "$log.err")
    echo "$wall $rss"
}

printf '%-10s %-9s %10s %12s\n' games engine wall_s peak_rss_MiB
for games in "${GAMES[@]}"; do
    lake=$BENCH_DIR/lake-$games
    if [[ ! -f $lake/.complete ]]; then
        rm -rf "$lake"
        "$PY" -m coinking_analytics.gen --out "$lake" --games "$games" >&2
        touch "$lake/.complete"
    fi
    rm -rf "$BENCH_DIR/out-rust-$games" "$BENCH_DIR/out-spark-$games"
    read -r rust_wall rust_rss < <(measure "$BENCH_DIR/rust-$games" "$ANALYZE" --input "$lake" --output "$BENCH_DIR/out-rust-$games")
    printf '%-10s %-9s %10.2f %12s\n' "$games" datafusion "$rust_wall" "$rust_rss"
    read -r spark_wall spark_rss < <(measure "$BENCH_DIR/spark-$games" env SPARK_DRIVER_MEMORY="${SPARK_DRIVER_MEMORY:-8g}" \
        "$PY" -m coinking_analytics.job --input "$lake" --output "$BENCH_DIR/out-spark-$games" --master "$SPARK_MASTER")
    printf '%-10s %-9s %10.2f %12s\n' "$games" spark "$spark_wall" "$spark_rss"
    "$PY" -m coinking_analytics.compare "$BENCH_DIR/out-rust-$games/analysis" "$BENCH_DIR/out-spark-$games/analysis"
    awk -v r="$rust_wall" -v s="$spark_wall" -v g="$games" 'BEGIN { printf "%-10s ratio     spark/datafusion wall = %.1fx\n", g, s / r }'
done
