#!/usr/bin/env bash
# The test suite, on a fresh machine: set up with the test extras, lint, then every test (slow ones too).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
.venv/bin/ruff check .
.venv/bin/python -m pytest "$@"
