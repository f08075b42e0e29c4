#!/usr/bin/env bash
# The second test command: published-model import (spandrel), which `make test` cannot
# cover because spandrel needs a torchvision built for the installed torch (PyPI's does
# not import beside the CPU torch==2.13.0 of the main venv). Builds .venv-published with
# a matching pair (~5.5 GB, a few minutes the first time), then runs tests/published.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv-published}
PY=$VENV/bin/python
if [ ! -f "$VENV/.installed" ]; then
  test -x "$PY" || python3 -m venv "$VENV"
  "$PY" -m pip install --disable-pip-version-check "torch==2.14.1" "torchvision==0.29.1"
  "$PY" -m pip install --disable-pip-version-check -e ".[dev,published,published-restricted]"
  touch "$VENV/.installed"
fi
QT_QPA_PLATFORM=offscreen "$PY" -m pytest -q tests/published "$@"
