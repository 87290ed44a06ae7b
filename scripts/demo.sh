#!/usr/bin/env bash
# The main job, on a fresh machine: set up, check the ontology, write its documentation, then load the
# ontology, every French territory and the bundled observatory into the embedded store.
#   AGRS_STORE        the store folder (default ~/.local/share/agrs/store)
#   AGRS_QUARANTINE   where rejected records go (default build/quarantine)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/agrs ontology check
.venv/bin/agrs ontology docs --output build/docs
echo "documentation: build/docs/index.html (class diagram: build/docs/classes.svg)" >&2
.venv/bin/agrs observatory --quarantine "${AGRS_QUARANTINE:-build/quarantine}"
