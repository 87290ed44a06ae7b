#!/usr/bin/env bash
# Download Apache Jena Fuseki 5 (the one-jar server, jena-fuseki-server) into .cache/fuseki/ for the remote-store
# tests (tests/servers.py's fuseki_server fixture) and benchmarks/remote_stores.py. Fuseki is in no Debian, PyPI or
# npm package (Debian's libapache-jena-java 4.5 has the Jena libraries and TDB2, not the server), so it comes from
# Maven Central, checked against the SHA-1 Maven Central publishes beside it.
#
# Never fails the setup: when Maven Central cannot be reached it says so and exits 0 (the Fuseki tests then skip,
# with the reason). Environment:
#   AGRS_FUSEKI_VERSION     default 5.6.0 (the newest Fuseki that runs on Java 17; 6.x needs Java 21 or newer)
#   AGRS_MAVEN_REPOSITORY   default https://repo1.maven.org/maven2 (a mirror of Maven Central works as well)
#   AGRS_FUSEKI_JAR         a jar you already have: then nothing is downloaded
set -euo pipefail
cd "$(dirname "$0")/.."

version="${AGRS_FUSEKI_VERSION:-5.6.0}"
repository="${AGRS_MAVEN_REPOSITORY:-https://repo1.maven.org/maven2}"
folder=".cache/fuseki"
jar="$folder/jena-fuseki-server-$version.jar"
url="$repository/org/apache/jena/jena-fuseki-server/$version/jena-fuseki-server-$version.jar"

if [[ -n "${AGRS_FUSEKI_JAR:-}" ]]; then
    if [[ -f "$AGRS_FUSEKI_JAR" ]]; then
        echo "install-fuseki: using AGRS_FUSEKI_JAR=$AGRS_FUSEKI_JAR" >&2
    else
        echo "install-fuseki: AGRS_FUSEKI_JAR=$AGRS_FUSEKI_JAR is not a file; the Fuseki tests will skip" >&2
    fi
    exit 0
fi
if [[ -s "$jar" ]]; then
    exit 0  # already there (checked when it was downloaded)
fi
if ! command -v curl >/dev/null 2>&1; then
    echo "install-fuseki: curl is missing; Fuseki not installed (its tests will skip)" >&2
    exit 0
fi
java_major="$(java -XshowSettings:properties -version 2>&1 | sed -n 's/ *java.specification.version = //p' || true)"
if [[ -z "$java_major" || "$java_major" -lt 17 ]]; then
    echo "install-fuseki: Fuseki $version needs Java 17 or newer (found: ${java_major:-none}); scripts/setup.sh installs it" >&2
fi

mkdir -p "$folder"
partial="$jar.part"
errors="$(mktemp)"
trap 'rm -f "$errors"' EXIT
# A short connect timeout: on a machine without the Internet (or without DNS for Maven Central) this must not hang.
if ! expected="$(curl -fsS --connect-timeout 10 --max-time 30 "$url.sha1" 2>"$errors")"; then
    reason="$(tr '\n' ' ' <"$errors")"
    cat >&2 <<MESSAGE
install-fuseki: Maven Central cannot be reached from here ($reason).
  Fuseki $version is NOT installed; the Fuseki tests will be skipped (the Virtuoso and Oxigraph server ones run).
  To install it: download $url
  (or apache-jena-fuseki-$version.zip from https://jena.apache.org/download/, which contains fuseki-server.jar)
  on a machine that can, then either copy it to $jar or set AGRS_FUSEKI_JAR=/path/to/the.jar.
MESSAGE
    exit 0
fi
expected="$(printf '%s' "$expected" | cut -d' ' -f1 | tr -d '[:space:]')"
echo "install-fuseki: downloading jena-fuseki-server $version (about 60 MB)" >&2
if ! curl -fsS --connect-timeout 10 --max-time 600 -o "$partial" "$url"; then
    rm -f "$partial"
    echo "install-fuseki: the download of $url failed; Fuseki not installed (its tests will skip)" >&2
    exit 0
fi
actual="$(sha1sum "$partial" | cut -d' ' -f1)"
if [[ "$actual" != "$expected" ]]; then
    rm -f "$partial"
    echo "install-fuseki: SHA-1 mismatch for $url (expected $expected, got $actual); not installed" >&2
    exit 1  # a corrupt or tampered download is an error, not a missing network
fi
mv "$partial" "$jar"
echo "install-fuseki: installed $jar (SHA-1 $actual)" >&2
