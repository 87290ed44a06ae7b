#!/usr/bin/env bash
# The main job, on a fresh machine: set up, check the ontology, write its documentation, load the ontology,
# every French territory and the bundled observatory into the embedded store, then serve it.
#   scripts/demo.sh             ... and serve on http://127.0.0.1:8000/sparql until Ctrl-C
#   scripts/demo.sh --no-serve  stop after loading
# Environment: AGRS_STORE (store folder, default ~/.local/share/agrs/store), AGRS_QUARANTINE (rejected
# records, default build/quarantine), AGRS_PORT (default 8000), AGRS_WRITE_TOKEN (enables writes).
set -euo pipefail
cd "$(dirname "$0")/.."
serve=1
[[ "${1:-}" == "--no-serve" ]] && serve=0
bash scripts/setup.sh
.venv/bin/agrs ontology check
.venv/bin/agrs ontology docs --output build/docs
echo "documentation: build/docs/index.html (class diagram: build/docs/classes.svg)" >&2
.venv/bin/agrs observatory --quarantine "${AGRS_QUARANTINE:-build/quarantine}"
if ((serve)); then
    port="${AGRS_PORT:-8000}"
    echo "query UI: http://127.0.0.1:$port/sparql   linked data: http://127.0.0.1:$port/id/commune/33063" >&2
    # The bundled diagnostics are synthetic and published on purpose (config/access/demo.txt says why).
    exec .venv/bin/agrs serve --port "$port" --access "${AGRS_ACCESS:-config/access/demo.txt}"
fi
