#!/usr/bin/env bash
# Installs venice-jupyter with JupyterLab into .venv and opens the quickstart notebook.
# With no VENICE_API_KEY (and no VENICE_BASE_URL) it runs against the built-in offline server.
set -euo pipefail
cd "$(dirname "$0")/.."
python="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$python" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[lab]' 2> >(grep -v '^WARNING: Location' >&2)
if [ -z "${VENICE_API_KEY:-}" ] && [ -z "${VENICE_BASE_URL:-}" ]; then
  port="${VENICE_OFFLINE_PORT:-8765}"
  .venv/bin/python -m venice_jupyter.offline --port "$port" &
  server=$!
  trap 'kill "$server" 2>/dev/null || true' EXIT
  export VENICE_BASE_URL="http://127.0.0.1:$port/api/v1"
  echo "No VENICE_API_KEY: using the offline server at $VENICE_BASE_URL"
fi
.venv/bin/jupyter lab notebooks/quickstart.ipynb "$@"
