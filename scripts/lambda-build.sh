#!/usr/bin/env bash
# Builds the five Lambda functions the way they are deployed and prints each bootstrap's size.
#
# arm64 (the template's architecture) through `sam build` when the aarch64 Rust target can be
# installed; otherwise `cargo lambda build --release` for x86_64. Either way it says which.
# Usage: bash scripts/lambda-build.sh [--x86_64]
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO_ROOT"

FUNCTIONS=(get-ticker post-clickstream clickstream-archiver get-user-analysis leaderboard)
# template.yaml's logical ids, in the same order.
LOGICAL_IDS=(GetTickerFunction PostClickstreamFunction ClickstreamArchiverFunction GetUserAnalysisFunction LeaderboardFunction)

TOOLS_BIN=$(bash scripts/deploy-tools.sh)
export PATH=$TOOLS_BIN:$PATH
export SAM_CLI_TELEMETRY=0

size_of() { stat -c %s "$1"; }
report() {
    local name=$1 path=$2 bytes
    bytes=$(size_of "$path")
    printf '  %-22s %9d bytes (%s MiB)  %s\n' "$name" "$bytes" "$(awk -v b="$bytes" 'BEGIN{printf "%.2f", b/1048576}')" "$path"
}

mode=arm64
if [[ ${1:-} == --x86_64 ]]; then
    mode=x86_64
elif ! rustup target list --installed | grep -qx aarch64-unknown-linux-gnu; then
    if ! rustup target add aarch64-unknown-linux-gnu; then
        echo "lambda-build: the aarch64 target cannot be installed here; building x86_64 instead"
        mode=x86_64
    fi
fi

if [[ $mode == arm64 ]]; then
    echo "lambda-build: sam build (arm64, provided.al2023, rust-cargolambda)"
    sam build --beta-features --template-file template.yaml
    echo "bootstrap sizes (arm64, sam build):"
    for i in "${!FUNCTIONS[@]}"; do
        report "${FUNCTIONS[$i]}" ".aws-sam/build/${LOGICAL_IDS[$i]}/bootstrap"
    done
else
    echo "lambda-build: cargo lambda build --release (x86_64)"
    packages=()
    for fn in "${FUNCTIONS[@]}"; do packages+=(-p "$fn"); done
    cargo lambda build --release "${packages[@]}"
    target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
    echo "bootstrap sizes (x86_64, cargo lambda):"
    for fn in "${FUNCTIONS[@]}"; do
        report "$fn" "$target_dir/lambda/$fn/bootstrap"
    done
fi
