#!/usr/bin/env bash
# Benchmarks the analytics engines on the same generated lake, in the same run: wall time and
# peak memory (max RSS, /usr/bin/time -v) of the embedded engine (`coinking-analyze`,
# release build), of DuckDB running the same SQL over the same Parquet
# (scripts/analytics_duckdb.py, DuckDB pinned below) and of the Spark job (local[N] on this
# machine); the engine's ratios to DuckDB and to Spark, and whether each output is identical to
# the engine's (the parity test's comparison; for DuckDB also byte for byte).
#
# Usage: bash scripts/bench-analytics.sh [games...]      default: 1000000
#   e.g. bash scripts/bench-analytics.sh 1000000 10000000
# Env: BENCH_DIR (default ~/.cache/coinking/bench-analytics: lakes and logs), BENCH_OUT (default
#      BENCH_DIR: the outputs, e.g. /dev/shm), SPARK_MASTER (default local[*]),
#      SPARK_DRIVER_MEMORY (default 8g), BENCH_SPARK (default 1; 0 skips Spark),
#      ANALYTICS_THREADS (default nproc: the engine's --partitions and DuckDB's SET threads),
#      COINKING_PEERS_VENV (default ~/.cache/coinking/tools/peers-venv: DuckDB's venv, shared
#      with bench-peers.sh).
set -euo pipefail
shopt -s inherit_errexit

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO_ROOT"
BENCH_DIR=${BENCH_DIR:-$HOME/.cache/coinking/bench-analytics}
# Where the engines write their outputs. Half a million small files per run at 10M games: on a
# disk their time moves several-fold with what the disk did just before (ext4 with `discard`
# here), so BENCH_OUT=/dev/shm (tmpfs) takes the disk out and compares the engines themselves.
OUT_DIR=${BENCH_OUT:-$BENCH_DIR}
SPARK_MASTER=${SPARK_MASTER:-local[*]}
BENCH_SPARK=${BENCH_SPARK:-1}
THREADS=${ANALYTICS_THREADS:-$(nproc)}
export SPARK_LOCAL_IP=127.0.0.1 PYTHONPATH=$REPO_ROOT/spark
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/coinking/target-analytics}
GAMES=("$@")
if ((${#GAMES[@]} == 0)); then GAMES=(1000000); fi
mkdir -p "$BENCH_DIR" "$OUT_DIR"

PY=$(bash scripts/analytics-env.sh)
export PYSPARK_PYTHON=$PY
# DuckDB in the peers' venv, at the version bench-peers.sh pins (a changed peer version is a
# changed benchmark).
DUCKDB_PIN=duckdb==2.0.1
PEERS_VENV=${COINKING_PEERS_VENV:-$HOME/.cache/coinking/tools/peers-venv}
DUCK_PY=$PEERS_VENV/bin/python
if ! "$DUCK_PY" -c "import duckdb, sys; sys.exit(duckdb.__version__ != '${DUCKDB_PIN#duckdb==}')" 2>/dev/null; then
    printf 'bench-analytics: installing %s into %s\n' "$DUCKDB_PIN" "$PEERS_VENV" >&2
    [[ -x $DUCK_PY ]] || python3 -m venv "$PEERS_VENV"
    "$PEERS_VENV/bin/pip" install --quiet --disable-pip-version-check "$DUCKDB_PIN" >&2
fi
# The release profile is the Lambdas' (fat LTO, one codegen unit): far too slow to build
# the engine with on 2 cores, and no faster at this. Thin settings for the bench binary.
CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 CARGO_PROFILE_RELEASE_PANIC=unwind \
    cargo build --release -p coinking-analytics --bin coinking-analyze >&2
ANALYZE=$CARGO_TARGET_DIR/release/coinking-analyze

# Runs a command under /usr/bin/time -v; prints "<wall seconds> <max RSS MiB>". A failed command
# stops the benchmark with the end of its stderr. Starts after a sync: otherwise the writeback of
# the previous run's files (half a million per run at 10M games) and of the deletion of the last
# outputs lands in this run's time (ext4 here is mounted with `discard`).
measure() {
    local log=$1
    shift
    sync
    if ! /usr/bin/time -v "$@" >"$log.out" 2>"$log.err"; then
        printf 'bench-analytics: failed: %s\n' "$*" >&2
        tail -n 30 "$log.err" >&2
        return 1
    fi
    local wall rss
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$log.err" |
        awk -F: '{ if (NF == 3) print $1*3600 + $2*60 + $3; else print $1*60 + $2 }')
    rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2 / 1024}' "$log.err")
    echo "$wall $rss"
}

# Compares <dir> with the engine's output: the parity comparison (1e-9 relative), and for a
# peer meant to write the same bytes, every file but the two that carry run ids and times.
# Prints one word for the table: identical, identical-bytes or DIFFERENT.
compare_to_engine() {
    local engine=$1 other=$2 bytes=$3 verdict=identical
    if ! "$PY" -m coinking_analytics.compare "$engine" "$other" >&2; then
        echo DIFFERENT
        return
    fi
    if [[ $bytes == 1 ]]; then
        if diff -rq -x _manifest.json -x _results.json "$engine" "$other" >&2; then
            verdict=identical-bytes
        else
            printf 'bench-analytics: equal under the comparison, but the bytes differ (above)\n' >&2
        fi
    fi
    echo "$verdict"
}

# Where each one's time went, from their logs: the engine's steps (RUST_LOG debug) and the
# DuckDB script's phases. Output = the per-player files (and, for the engine, serialising all).
split() {
    local engine_compute engine_output duck_sql duck_output
    engine_compute=$(sed 's/\x1b\[[0-9;]*m//g' "$2" | awk -F'elapsed_ms=' '/engine pass done/ { s += $2 } END { printf "%.1f", s / 1000 }')
    engine_output=$(sed 's/\x1b\[[0-9;]*m//g' "$2" | awk -F'elapsed_ms=' '/player summaries written/ { s += $2 } END { printf "%.1f", s / 1000 }')
    duck_sql=$(awk '/^analytics_duckdb: (read and deduplicate|quantile|population statistics|per-player query):/ { s += $NF } END { printf "%.1f", s }' "$3")
    duck_output=$(awk '/^analytics_duckdb: .* player files / { s += $NF } END { printf "%.1f", s }' "$3")
    printf '%-10s split      embedded: passes %s s, player files %s s; duckdb: queries %s s, player files (Python) %s s\n' \
        "$1" "$engine_compute" "$engine_output" "$duck_sql" "$duck_output"
}

summary=()
loads=()
failed=0
printf '%-10s %-10s %10s %12s\n' games engine wall_s peak_rss_MiB
for games in "${GAMES[@]}"; do
    lake=$BENCH_DIR/lake-$games
    if [[ ! -f $lake/.complete ]]; then
        rm -rf "$lake"
        "$PY" -m coinking_analytics.gen --out "$lake" --games "$games" >&2
        touch "$lake/.complete"
    fi
    # The last run's outputs are moved aside and deleted only after this size's runs: deleting
    # half a million files leaves the filesystem busy for a while after rm returns, which made
    # whichever engine ran first up to 2x slower. (The next size's runs still follow that rm.)
    trash=$OUT_DIR/trash-$games
    rm -rf "$trash"
    mkdir -p "$trash"
    for tool in rust duckdb spark; do
        if [[ -e $OUT_DIR/out-$tool-$games ]]; then mv "$OUT_DIR/out-$tool-$games" "$trash/"; fi
    done
    loads+=("$games: $(cut -d' ' -f1-3 /proc/loadavg)")
    result=$(measure "$BENCH_DIR/rust-$games" env RUST_LOG="${RUST_LOG:-info,coinking_analytics=debug}" \
        "$ANALYZE" --input "$lake" --output "$OUT_DIR/out-rust-$games" --partitions "$THREADS")
    read -r rust_wall rust_rss <<<"$result"
    printf '%-10s %-10s %10.2f %12s\n' "$games" embedded "$rust_wall" "$rust_rss"
    files=$(find "$OUT_DIR/out-rust-$games/analysis" -name '*.json' | wc -l)

    result=$(measure "$BENCH_DIR/duckdb-$games" "$DUCK_PY" scripts/analytics_duckdb.py --input "$lake" \
        --output "$OUT_DIR/out-duckdb-$games" --threads "$THREADS")
    read -r duck_wall duck_rss <<<"$result"
    printf '%-10s %-10s %10.2f %12s\n' "$games" duckdb "$duck_wall" "$duck_rss"
    split "$games" "$BENCH_DIR/rust-$games.err" "$BENCH_DIR/duckdb-$games.err"
    duck_same=$(compare_to_engine "$OUT_DIR/out-rust-$games/analysis" "$OUT_DIR/out-duckdb-$games/analysis" 1)
    [[ $duck_same != DIFFERENT ]] || failed=1

    spark_row=""
    if [[ $BENCH_SPARK != 0 ]]; then
        result=$(measure "$BENCH_DIR/spark-$games" env SPARK_DRIVER_MEMORY="${SPARK_DRIVER_MEMORY:-8g}" \
            "$PY" -m coinking_analytics.job --input "$lake" --output "$OUT_DIR/out-spark-$games" --master "$SPARK_MASTER")
        read -r spark_wall spark_rss <<<"$result"
        printf '%-10s %-10s %10.2f %12s\n' "$games" spark "$spark_wall" "$spark_rss"
        spark_same=$(compare_to_engine "$OUT_DIR/out-rust-$games/analysis" "$OUT_DIR/out-spark-$games/analysis" 0)
        [[ $spark_same != DIFFERENT ]] || failed=1
        awk -v r="$rust_wall" -v s="$spark_wall" -v g="$games" 'BEGIN { printf "%-10s ratio      spark/embedded wall = %.1fx\n", g, s / r }'
        spark_row=$(printf '| | Spark, %s | %.2f s | %s MiB | %s |' "$SPARK_MASTER" "$spark_wall" "$spark_rss" "$spark_same")
    fi
    rm -rf "$trash"
    summary+=("$(awk -v g="$games" -v f="$files" -v t="$THREADS" -v rw="$rust_wall" -v rr="$rust_rss" \
        -v dw="$duck_wall" -v dr="$duck_rss" -v same="$duck_same" -v spark="$spark_row" -v dv="${DUCKDB_PIN#duckdb==}" 'BEGIN {
        speed = dw / rw; memory = rr / dr
        goal = (speed >= 1 && memory <= 0.5 && same != "DIFFERENT") ? "met" : "not met"
        printf "| %s | embedded (%s partitions) | %.2f s | %s MiB | %s files |\n", g, t, rw, rr, f
        printf "| | DuckDB %s (%s threads) | %.2f s | %s MiB | %s |\n", dv, t, dw, dr, same
        if (spark != "") print spark
        printf "| | **engine ÷ DuckDB** | **%.2f× speed** | **%.2f× peak RSS** | goal (≥ 1× speed, ≤ 0.5× RSS, identical): %s |\n", speed, memory, goal
    }')")
done

printf '\n%s\n' "$(date -u +%Y-%m-%d) on $(nproc) cores ($(uname -m)); load average (1, 5, 15 min) before each size: ${loads[*]/%/;}"
printf '| games | engine | wall time | peak RSS | output vs engine |\n|---|---|---|---|---|\n'
printf '%s\n' "${summary[@]}"
exit "$failed"
