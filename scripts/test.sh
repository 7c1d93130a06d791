#!/usr/bin/env bash
# The one test command: start the local stand-ins, run every test against them, stop them again.
#
# Usage: bash scripts/test.sh [package selection]   default --workspace, e.g. -p coinking-adapters
#
# Services that were already running (a developer's `scripts/services.sh up`) are left running;
# the ones this script started are stopped on exit, whatever the outcome. The exit code is the
# failing stage's (the tests' when they fail).
set -euo pipefail
shopt -s inherit_errexit

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO_ROOT"

now_us() { echo "${EPOCHREALTIME/[.,]/}"; }
elapsed() {
    local ms=$((($(now_us) - $1) / 1000))
    printf '%d.%ds' $((ms / 1000)) $((ms % 1000 / 100))
}

# Runs one stage, prints its wall time, returns its exit code.
stage() {
    local name=$1 start rc
    shift
    start=$(now_us)
    echo "==> $name"
    # A subshell with its own errexit: under `cmd || …` bash would ignore set -e inside cmd.
    set +e
    (
        set -e
        "$@"
    )
    rc=$?
    set -e
    echo "<== $name: $(elapsed "$start")$( ((rc == 0)) || echo " (failed, exit $rc)")"
    return "$rc"
}

services() { bash "$REPO_ROOT/scripts/services.sh" "$@"; }

TOTAL_START=$(now_us)
ALL_SERVICES=(kafka dynamodb kinesis s3 redis)
already_running=" $(services running | tr '\n' ' ') "
ours=()
for svc in "${ALL_SERVICES[@]}"; do
    [[ $already_running == *" $svc "* ]] || ours+=("$svc")
done

finish() {
    local rc=$?
    trap - EXIT INT TERM
    if ((${#ours[@]} > 0)); then
        stage "services down" services down "${ours[@]}" || true
    fi
    echo "test.sh: total $(elapsed "$TOTAL_START"), exit $rc"
    exit "$rc"
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Ports: explicit COINKING_*_PORT values, else those of our running services, else the defaults,
# else free ones (another checkout on this machine may hold the defaults).
eval "$(services ports)"
stage "services up" services up
eval "$(services env)"
env | grep '^COINKING_' | sort

selection=("$@")
full_run=false
if ((${#selection[@]} == 0)); then
    selection=(--workspace)
    full_run=true
fi
# Every feature: the Redis adapter tests need `coinking-adapters/redis`, which some Lambdas
# leave off.
selection+=(--all-features)

if cargo nextest --version >/dev/null 2>&1; then
    stage "cargo nextest run" cargo nextest run "${selection[@]}" --no-fail-fast
else
    stage "cargo test" cargo test "${selection[@]}" --all-targets --no-fail-fast
fi
# Doc tests exist only in library targets: a selection of binary-only packages (`-p coinking`)
# has none, and `cargo test --doc` would refuse it.
has_library() {
    cargo metadata --format-version 1 --no-deps | python3 -c '
import json, sys
wanted = set(sys.argv[1:])
for package in json.load(sys.stdin)["packages"]:
    if (not wanted or package["name"] in wanted) and any("lib" in t["kind"] for t in package["targets"]):
        sys.exit(0)
sys.exit(1)' "$@"
}
selected_packages=()
for ((i = 0; i < ${#selection[@]}; i++)); do
    case ${selection[$i]} in
        -p | --package) selected_packages+=("${selection[$((i + 1))]}") ;;
        --package=*) selected_packages+=("${selection[$i]#--package=}") ;;
        -p?*) selected_packages+=("${selection[$i]#-p}") ;;
    esac
done
if [[ $full_run == true ]] || has_library "${selected_packages[@]}"; then
    stage "doc tests" cargo test "${selection[@]}" --doc
else
    echo "doc tests: none (the selected packages have no library target)"
fi
# The Spark job's pure rules (its parity with the engine is a Rust test: coinking-analytics `it`).
if [[ $full_run == true ]]; then
    # No import cycle between a crate's modules; the ingester's stages import only earlier ones.
    stage "module graph" bash -c 'python3 scripts/module-graph.py --self-test && python3 scripts/module-graph.py'
    # Every file README.md and docs/*.md name (links, root-relative paths) exists.
    stage "doc links" bash -c 'python3 scripts/doc-links.py --self-test && python3 scripts/doc-links.py'
    stage "spark pytest" bash -c 'cd spark && "$(bash ../scripts/analytics-env.sh)" -m pytest -q tests'
    # openapi.yaml against `coinking up` (schemathesis, fixed seed; loopback only).
    stage "api conformance" bash scripts/api-conformance.sh
fi
