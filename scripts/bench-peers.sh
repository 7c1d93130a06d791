#!/usr/bin/env bash
# The archiver's JSON -> zstd Parquet next to the general-purpose tools, in one run, on one input:
# installs the peers at pinned versions in their own venv, generates the input (synthetic
# Kinesis payloads, as post-clickstream puts them on the stream), runs the project and each peer
# file to file on one thread (best of REPEATS), and prints rows/s and the project's ratio to each.
# Absolute rates on a shared machine move 20-30 % between runs; the ratios are the figure.
#
# Usage: bash scripts/bench-peers.sh
# Env: BENCH_ROWS (default 100000), BENCH_REPEATS (default 3), BENCH_DIR (default a temp dir),
#      COINKING_PEERS_VENV (default ~/.cache/coinking/tools/peers-venv)
set -euo pipefail
shopt -s inherit_errexit

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO_ROOT"
export PATH=$HOME/.cargo/bin:$PATH

ROWS=${BENCH_ROWS:-100000}
REPEATS=${BENCH_REPEATS:-3}
VENV=${COINKING_PEERS_VENV:-$HOME/.cache/coinking/tools/peers-venv}
# Pinned: a changed peer version is a changed benchmark.
PEERS=(pyarrow==26.0.1 duckdb==2.0.1 polars==2.1.0)
MARKER=$VENV/.coinking-peers-$(printf '%s\n' "${PEERS[@]}" | sha256sum | cut -c1-16)

log() { printf 'bench-peers: %s\n' "$*" >&2; }

if [[ ! -f $MARKER ]]; then
    log "installing ${PEERS[*]} into $VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "${PEERS[@]}"
    touch "$MARKER"
fi

work=${BENCH_DIR:-$(mktemp -d)}
[[ -n ${BENCH_DIR:-} ]] || trap 'rm -rf "$work"' EXIT
mkdir -p "$work"
input=$work/payloads.ndjson

project() { cargo bench --quiet -p coinking-clickstream --bench peers -- "$@"; }

log "building the project's side (bench profile)"
cargo bench --quiet -p coinking-clickstream --bench peers --no-run
log "generating $ROWS payloads into $input"
project gen "$input" "$ROWS"
log "input: $(du -h "$input" | cut -f1)"

results=()
results+=("$(project run "$input" "$work/project.parquet" "$REPEATS")")
for tool in pyarrow duckdb polars; do
    log "running $tool"
    results+=("$("$VENV/bin/python" scripts/bench_peers.py "$tool" "$input" "$work/$tool.parquet" "$REPEATS")")
done

echo
echo "JSON game records -> zstd(1) Parquet, $ROWS rows, one thread, best of $REPEATS, $(date -u +%Y-%m-%d) on $(nproc) cores ($(uname -m))"
printf '%s\n' "${results[@]}" | python3 -c '
import sys
rows = [line.split() for line in sys.stdin if line.strip()]
rate = {tool: int(n) / float(s) for tool, n, s in rows}
project = rate["project"]
print(f"| tool | rows/s | project ÷ tool |")
print(f"|---|---:|---:|")
for tool, n, s in rows:
    print(f"| {tool} | {rate[tool]:,.0f} | {project / rate[tool]:.2f}× |")
fastest = max((r, t) for t, r in rate.items() if t != "project")
print(f"\nfastest peer: {fastest[1]}; project ÷ fastest peer = {project / fastest[0]:.2f}× (goal ≥ 2×)")
'
