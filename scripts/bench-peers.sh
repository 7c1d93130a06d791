#!/usr/bin/env bash
# The project next to its peers, in one run, on one input each, one thread, best of REPEATS;
# prints rates and the project's ratio to each. Installs the peers at pinned versions in their
# own venv. Absolute rates on a shared machine move 20-30 % between runs; the ratios are the figure.
#   1. the archiver's JSON game records (synthetic Kinesis payloads) -> zstd Parquet, file to
#      file: project vs pyarrow, DuckDB, Polars;
#   2. Upbit frames -> normalised records: the ingester's transform vs cryptofeed's Upbit handler
#      on the same SIMPLE trade frames (cryptofeed has no Upbit ticker handler: the project's
#      ticker rate is printed alone).
#
# Usage: bash scripts/bench-peers.sh
# Each tool runs once per round, the tools taking turns, and its best over every round and repeat
# is kept: a load that comes and goes during the run then falls on every tool, not on one.
# Env: BENCH_ROWS (default 100000), BENCH_FRAMES (default 200000), BENCH_REPEATS (default 3),
#      BENCH_ROUNDS (default 2), BENCH_DIR (default a temp dir),
#      COINKING_PEERS_VENV (default ~/.cache/coinking/tools/peers-venv)
set -euo pipefail
shopt -s inherit_errexit

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO_ROOT"
export PATH=$HOME/.cargo/bin:$PATH

ROWS=${BENCH_ROWS:-100000}
FRAMES=${BENCH_FRAMES:-200000}
REPEATS=${BENCH_REPEATS:-3}
ROUNDS=${BENCH_ROUNDS:-2}
VENV=${COINKING_PEERS_VENV:-$HOME/.cache/coinking/tools/peers-venv}
# Pinned: a changed peer version is a changed benchmark.
PEERS=(pyarrow==26.0.1 duckdb==2.0.1 polars==2.1.0 cryptofeed==2.4.1)
MARKER=$VENV/.coinking-peers-$(printf '%s\n' "${PEERS[@]}" | sha256sum | cut -c1-16)

log() { printf 'bench-peers: %s\n' "$*" >&2; }

work=${BENCH_DIR:-$(mktemp -d)}
[[ -n ${BENCH_DIR:-} ]] || trap 'rm -rf "$work"' EXIT
mkdir -p "$work"

# The peers install (downloads) runs beside the project's build (CPU) on a fresh machine; the
# first peer waits for it. Its output goes to a log that is shown if it fails.
install_pid=
if [[ ! -f $MARKER ]]; then
    log "installing ${PEERS[*]} into $VENV (beside the build)"
    (
        python3 -m venv "$VENV"
        "$VENV/bin/pip" install --quiet --disable-pip-version-check "${PEERS[@]}"
        touch "$MARKER"
    ) >"$work/peers-install.log" 2>&1 &
    install_pid=$!
fi
peers_installed() {
    [[ -z $install_pid ]] && return 0
    if ! wait "$install_pid"; then
        cat "$work/peers-install.log" >&2
        log "installing the peers failed"
        exit 1
    fi
    install_pid=
}
input=$work/payloads.ndjson

project() { cargo bench --quiet -p coinking-clickstream --bench peers -- "$@"; }

# Both benches in one build: on a cold target one's dependencies compile while the other links
# (the bench profile's LTO link is single-threaded), which keeps a fresh clone's run short.
log "building the project's side (bench profile: peers, frame_peers)"
cargo bench --quiet -p coinking-clickstream -p coinking-ingester --bench peers --bench frame_peers --no-run
log "generating $ROWS payloads into $input"
project gen "$input" "$ROWS"
log "input: $(du -h "$input" | cut -f1)"

# Prints a markdown table of `<tool> <n> <seconds>` lines from stdin (several per tool: the
# fastest is kept), ratios to `project`.
table() {
    python3 -c '
import sys
rows = [line.split() for line in sys.stdin if line.strip()]
rate = {}
for tool, n, s in rows:
    rate[tool] = max(rate.get(tool, 0.0), int(n) / float(s))
project = rate["project"]
print("| tool | per second | project ÷ tool |")
print("|---|---:|---:|")
for tool, tool_rate in rate.items():
    print(f"| {tool} | {tool_rate:,.0f} | {project / tool_rate:.2f}× |")
peers = [(r, t) for t, r in rate.items() if t != "project"]
if peers:
    best, name = max(peers)
    print(f"\nfastest peer: {name}; project ÷ fastest peer = {project / best:.2f}× (goal ≥ '"$1"'×)")
'
}

peer() { "$VENV/bin/python" scripts/bench_peers.py "$@"; }
stamp="$(date -u +%Y-%m-%d) on $(nproc) cores ($(uname -m)), one thread, best of $ROUNDS rounds × $REPEATS"

peers_installed
results=()
for round in $(seq "$ROUNDS"); do
    log "round $round of $ROUNDS: project, pyarrow, duckdb, polars"
    results+=("$(project run "$input" "$work/project.parquet" "$REPEATS")")
    for tool in pyarrow duckdb polars; do
        results+=("$(peer "$tool" "$input" "$work/$tool.parquet" "$REPEATS")")
    done
done

frames() { cargo bench --quiet -p coinking-ingester --bench frame_peers -- "$@"; }
frames gen "$work" "$FRAMES"
trades=()
for round in $(seq "$ROUNDS"); do
    log "round $round of $ROUNDS: project, cryptofeed"
    trades+=("$(frames run "$work/trades.ndjson" "$REPEATS")")
    trades+=("$(peer cryptofeed "$work/trades.ndjson" - "$REPEATS")")
done
tickers=$(frames run "$work/tickers.ndjson" "$REPEATS")

echo
echo "1. JSON game records -> zstd(1) Parquet, $ROWS rows, $stamp"
printf '%s\n' "${results[@]}" | table 2
echo
echo "2. Upbit SIMPLE trade frames -> normalised trades, $FRAMES frames, $stamp"
printf '%s\n' "${trades[@]}" | table 5
echo
read -r _ ticker_count ticker_secs <<<"$tickers"
echo "   project, ticker frames -> normalised tickers: $(python3 -c "print(f'{$ticker_count / $ticker_secs:,.0f}')")/s (cryptofeed has no Upbit ticker handler)"
