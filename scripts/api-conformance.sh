#!/usr/bin/env bash
# API conformance: runs schemathesis (from the deploy-tools venv) with openapi.yaml against
# `coinking up` on a free loopback port. The platform uses the built-in simulator, in-memory
# stores and a temporary lake directory, so nothing leaves 127.0.0.1 and nothing persists.
#
# Usage: bash scripts/api-conformance.sh [extra `st run` options]
#
# Environment:
#   COINKING_CONFORMANCE_EXAMPLES  test cases per operation and phase (default 150, ~1 min)
#   COINKING_CONFORMANCE_SEED      schemathesis seed (default 20241125: the same cases every run)
#   COINKING_BIN                   a prebuilt `coinking` binary (default: cargo build -p coinking)
#
# Checks: not_a_server_error (any 5xx is a bug), status_code_conformance,
# content_type_conformance, response_headers_conformance, response_schema_conformance,
# negative_data_rejection (schema-invalid input must get a 4xx), missing_required_header,
# unsupported_method (405 with `Allow`). Not positive_data_acceptance: some rules span
# parameters (`from` must not be after `to`) and OpenAPI cannot state them, so schema-valid
# requests can rightly get a 400.
# The exit code is schemathesis' (non-zero on any failure); the platform is stopped on exit,
# whatever the outcome, and its log is printed when the run fails.
set -euo pipefail
shopt -s inherit_errexit

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO_ROOT"

EXAMPLES=${COINKING_CONFORMANCE_EXAMPLES:-150}
SEED=${COINKING_CONFORMANCE_SEED:-20241125}
CHECKS=not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance,negative_data_rejection,missing_required_header,unsupported_method

log() { echo "api-conformance: $*" >&2; }

tools_bin=$(bash scripts/deploy-tools.sh)
st=$tools_bin/st
[[ -x $st ]] || st=$tools_bin/schemathesis
[[ -x $st ]] || {
    log "schemathesis not found in $tools_bin"
    exit 1
}

if [[ -n ${COINKING_BIN:-} ]]; then
    coinking=$COINKING_BIN
else
    log "building coinking"
    cargo build --quiet -p coinking
    target_dir=$(cargo metadata --format-version 1 --no-deps |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
    coinking=$target_dir/debug/coinking
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/coinking-conformance.XXXXXX")
platform_pid=
finish() {
    local rc=$?
    trap - EXIT INT TERM
    if [[ -n $platform_pid ]] && kill -0 "$platform_pid" 2>/dev/null; then
        kill -TERM "$platform_pid" 2>/dev/null || true
        # Graceful stop drains the archiver (bounded at 10 s); then make sure it is gone.
        for _ in $(seq 1 100); do
            kill -0 "$platform_pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$platform_pid" 2>/dev/null || true
        wait "$platform_pid" 2>/dev/null || true
    fi
    if ((rc != 0)) && [[ -f $work/platform.log ]]; then
        log "platform log (last 40 lines):"
        tail -n 40 "$work/platform.log" >&2
    fi
    rm -rf "$work"
    exit "$rc"
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
url=http://127.0.0.1:$port

# POST /set_deeplearning takes a bearer token off AWS: one per run, given to schemathesis so it
# can test the route both with the token and without it (401).
hints_token=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
# The embedded defaults whatever the shell exports (test.sh exports the stand-ins' endpoints).
env -u COINKING_DYNAMODB_ENDPOINT -u COINKING_MARKET_STORE -u COINKING_KAFKA_BROKERS \
    -u COINKING_GAME_MARKETS -u COINKING_S3_ENDPOINT \
    COINKING_ANALYSIS_INTERVAL_SECS=1 COINKING_LOG_FORMAT=human RUST_LOG=warn \
    COINKING_HINTS_TOKEN="$hints_token" \
    "$coinking" up --source simulator --listen "127.0.0.1:$port" --lake-dir "$work/lake" \
    >"$work/platform.log" 2>&1 &
platform_pid=$!
log "coinking up (pid $platform_pid) on $url, lake $work/lake"

# Ready: the market data answers with every game market, and the seed game (the test event's
# body, player 김철수, the spec's example userName) has been analysed, so every route can answer
# 200 and the success schemas are exercised too.
ready() {
    python3 - "$url" "$REPO_ROOT/events/post-clickstream/valid.json" <<'EOF'
import json, sys, urllib.parse, urllib.request
base = sys.argv[1]
try:
    with urllib.request.urlopen(base + "/upbit_data", timeout=1) as r:
        if len(json.load(r)) < 9:
            sys.exit(1)
    with open(sys.argv[2], encoding="utf-8") as f:
        body = json.load(f)["body"].encode()
    seed = urllib.request.Request(base + "/set_click_stream", data=body, method="POST",
        headers={"Content-Type": "application/json", "Idempotency-Key": "conformance-seed"})
    with urllib.request.urlopen(seed, timeout=2) as r:
        if r.status != 200:
            sys.exit(1)
    player = base + "/users/" + urllib.parse.quote("김철수") + "/analysis"
    with urllib.request.urlopen(player, timeout=1) as r:
        sys.exit(0 if r.status == 200 else 1)
except Exception:
    sys.exit(1)
EOF
}
deadline=$((SECONDS + 30))
until ready; do
    if ! kill -0 "$platform_pid" 2>/dev/null; then
        log "coinking up exited during start"
        exit 1
    fi
    if ((SECONDS >= deadline)); then
        log "coinking up not ready within 30 s"
        exit 1
    fi
    sleep 0.2
done
log "ready; schemathesis: $EXAMPLES examples per operation, seed $SEED"

# From the temporary directory: schemathesis keeps its cache (`.schemathesis/`) in the working
# directory, which must not be the checkout.
cd "$work"
"$st" run "$REPO_ROOT/openapi.yaml" \
    --url "$url" \
    --checks "$CHECKS" \
    --max-examples "$EXAMPLES" \
    --seed "$SEED" \
    --phases examples,coverage,fuzzing \
    --workers 1 \
    --request-timeout 10 \
    --suppress-health-check too_slow,filter_too_much \
    --header "Authorization: Bearer $hints_token" \
    "$@"
