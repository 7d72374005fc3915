#!/usr/bin/env bash
# Installs venice-jupyter with JupyterLab into .venv and opens the quickstart notebook.
# With no VENICE_API_KEY (and no VENICE_BASE_URL) it runs against the built-in offline server,
# on a free port (VENICE_OFFLINE_PORT=N asks for a given one). Arguments go to `jupyter lab`.
set -euo pipefail
cd "$(dirname "$0")/.."
python="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$python" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[lab]' 2> >(grep -v '^WARNING: Location' >&2)
lab_args=()
# Containers (and this machine kind) run as root, where Lab refuses to start without this.
if [ "$(id -u)" = 0 ]; then lab_args+=(--allow-root); fi
if [ -z "${VENICE_API_KEY:-}" ] && [ -z "${VENICE_BASE_URL:-}" ]; then
  port="${VENICE_OFFLINE_PORT:-0}"
  # The server prints its URL once it listens; reading that line (not a fixed port) means the
  # kernel is never pointed at whatever else might hold a port.
  exec 3< <(exec .venv/bin/python -m venice_jupyter.offline --port "$port")
  server=$!
  trap 'kill "$server" 2>/dev/null || true' EXIT
  if ! read -r -t 60 url <&3 || [ -z "$url" ]; then
    echo "The offline server did not start (see its message above)." >&2
    if [ -n "${VENICE_OFFLINE_PORT:-}" ]; then
      echo "Unset VENICE_OFFLINE_PORT to use any free port, or choose another one." >&2
    fi
    exit 1
  fi
  export VENICE_BASE_URL="$url"
  echo "No VENICE_API_KEY: using the offline server at $VENICE_BASE_URL"
fi
.venv/bin/jupyter lab notebooks/quickstart.ipynb ${lab_args[@]+"${lab_args[@]}"} "$@"
