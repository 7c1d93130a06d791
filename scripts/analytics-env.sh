#!/usr/bin/env bash
# Installs (once) the Python environment of the Spark job and its tests, and prints its python.
#
#   PY=$(bash scripts/analytics-env.sh)     # idempotent: a complete venv is reused as it is
#
# The venv lives in ${COINKING_ANALYTICS_VENV:-~/.cache/coinking/tools/analytics-venv}; a marker
# file records the pinned requirement line, so changing a pin rebuilds the venv. Progress goes to
# stderr, only the python path to stdout. Spark also needs Java 17 (`java` on PATH).
set -euo pipefail
shopt -s inherit_errexit

PYTHON=${COINKING_PYTHON:-python3}
VENV=${COINKING_ANALYTICS_VENV:-$HOME/.cache/coinking/tools/analytics-venv}
REQUIREMENTS=(pyspark==4.3.0 pyarrow==26.0.1 'pandas<3' numpy pytest)
MARKER=$VENV/.coinking-requirements

log() { printf 'analytics-env: %s\n' "$*" >&2; }

if [[ -x $VENV/bin/python && -f $MARKER && "$(cat "$MARKER")" == "${REQUIREMENTS[*]}" ]]; then
    echo "$VENV/bin/python"
    exit 0
fi

log "installing ${REQUIREMENTS[*]} into $VENV (about 2 minutes, ~650 MB)"
rm -rf "$VENV"
"$PYTHON" -m venv "$VENV" >&2 ||
    { log "could not create a venv with $PYTHON (on Debian: apt-get install python3-venv)"; exit 1; }
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "${REQUIREMENTS[@]}" >&2
if ! command -v java >/dev/null; then
    log "warning: java is not on PATH; Spark needs Java 17 (apt-get install openjdk-17-jre-headless)"
fi
echo "${REQUIREMENTS[*]}" >"$MARKER"
echo "$VENV/bin/python"
