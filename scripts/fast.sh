#!/usr/bin/env bash
# The fast lane for your own loop: lint, types, and the unit and loopback tests (no kernel, no
# browser, no wheel), about a minute. Needs the .venv that `bash scripts/test.sh` installs.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || { echo "No .venv yet: run 'bash scripts/test.sh' once." >&2; exit 1; }
.venv/bin/ruff check .
.venv/bin/ruff format --check . | { grep -v "already formatted" || true; }
.venv/bin/mypy
.venv/bin/python -m pytest -q -m "not kernel and not browser and not wheel and not live and not local" "$@"
