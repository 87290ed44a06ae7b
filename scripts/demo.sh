#!/usr/bin/env bash
# The main job, on a fresh machine: set up, check the ontology, write its documentation.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/agrs ontology check
.venv/bin/agrs ontology docs --output build/docs
echo "documentation: build/docs/index.html (class diagram: build/docs/classes.svg)" >&2
