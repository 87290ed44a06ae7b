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
# npm only to fetch the COG data below, so only when that data is missing.
if [[ ! -d node_modules/@etalab/decoupage-administratif ]] && ! command -v npm >/dev/null 2>&1; then
    need_debs+=(nodejs npm)
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

# --- Python: a virtualenv with the package (editable) and, for tests, its test extras --------------
python=${PYTHON:-python3}
"$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
    echo "setup: Python 3.11 or newer is needed ($python is $("$python" --version 2>&1))" >&2; exit 2; }
[[ -x .venv/bin/python ]] || "$python" -m venv .venv

extras=""
((want_tests)) && extras="[test]"
# Reinstall only when pyproject.toml or the wanted extras changed since the last install.
stamp=".venv/.agrs-installed"
wanted="$(sha256sum pyproject.toml | cut -d' ' -f1) $extras"
installed="$(cat "$stamp" 2>/dev/null || true)"
# An install with the test extras serves the main job too.
if [[ "$installed" != "$wanted" && "$installed" != "$wanted[test]" ]] || ! .venv/bin/python -c 'import agrs' 2>/dev/null; then
    echo "setup: installing the agrs package into .venv" >&2
    .venv/bin/python -m pip install -q --disable-pip-version-check -e ".$extras"
    echo "$wanted" > "$stamp"
fi

# --- Data: France's official geographic code (COG), the npm package pinned in package-lock.json ----
# node_modules/ is not committed; `npm ci` installs exactly the locked version.
if [[ ! -d node_modules/@etalab/decoupage-administratif ]]; then
    echo "setup: installing the COG data (npm ci)" >&2
    npm ci --no-audit --no-fund >/dev/null
fi
