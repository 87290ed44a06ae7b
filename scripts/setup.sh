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
# The npm packages of package-lock.json: the COG data and YASGUI (the query UI `agrs serve` offers).
npm_missing=0
for package in @etalab/decoupage-administratif @zazuko/yasgui; do
    [[ -d "node_modules/$package" ]] || npm_missing=1
done
# npm only to fetch those packages, so only when one is missing.
if ((npm_missing)) && ! command -v npm >/dev/null 2>&1; then
    need_debs+=(nodejs npm)
fi
# The query UI's test drives Debian's Chromium headless through chromedriver.
if ((want_tests)); then
    [[ -x /usr/bin/chromium ]] || need_debs+=(chromium)
    [[ -x /usr/bin/chromedriver ]] || need_debs+=(chromium-driver)
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

# --- npm packages pinned in package-lock.json: the COG data and YASGUI's built assets -----------
# node_modules/ is not committed; `npm ci` installs exactly the locked versions. Both are files AGRS reads
# or serves, so their install scripts are not run.
if ((npm_missing)); then
    echo "setup: installing the COG data and the query UI (npm ci)" >&2
    npm ci --no-audit --no-fund --ignore-scripts >/dev/null
fi
