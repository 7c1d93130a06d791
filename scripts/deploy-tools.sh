#!/usr/bin/env bash
# Installs (once) the deploy and API-test tools into one venv and prints its bin directory:
# aws-sam-cli + cfn-lint (template checks, `sam build`), cargo-lambda (prebuilt, brings zig) and
# schemathesis (the OpenAPI conformance run). Idempotent: a venv whose pins match is reused.
#
# Usage: bash scripts/deploy-tools.sh        prints the venv's bin dir on stdout, logs on stderr
set -euo pipefail

TOOLS_DIR=${COINKING_TOOLS_DIR:-$HOME/.cache/coinking/tools}
VENV=$TOOLS_DIR/deploy-venv
PINS=(
    "aws-sam-cli==1.170.0"
    "cfn-lint==1.58.0"
    "cargo-lambda==1.9.2"
    "schemathesis==4.32.5"
)
STAMP=$VENV/.pins

want=$(printf '%s\n' "${PINS[@]}")
if [[ -x $VENV/bin/sam && -f $STAMP && $(cat "$STAMP") == "$want" ]]; then
    echo "deploy tools present in $VENV" >&2
else
    echo "installing deploy tools into $VENV (~2 min)" >&2
    mkdir -p "$TOOLS_DIR"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "${PINS[@]}" >&2
    echo "$want" >"$STAMP"
fi
echo "$VENV/bin"
