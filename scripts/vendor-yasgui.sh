#!/usr/bin/env bash
# Replace the query UI's vendored YASGUI (server/ui/yasgui/) by the built files of another @zazuko/yasgui release.
#   scripts/vendor-yasgui.sh 4.6.2
# The two files ship in the package (no npm at install or run time); this script is the only step that needs npm.
# It prints their SHA-256 so that the commit can say which files came in; update the version in LICENSE too.
set -euo pipefail
cd "$(dirname "$0")/.."
version="${1:?usage: scripts/vendor-yasgui.sh VERSION}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "@zazuko/yasgui@$version" >/dev/null && tar -xzf zazuko-yasgui-"$version".tgz)
for name in yasgui.min.js yasgui.min.css; do
    cp "$work/package/build/$name" "server/ui/yasgui/$name"
done
sed -i "s/@zazuko\/yasgui [0-9][0-9.]*/@zazuko\/yasgui $version/" server/ui/yasgui/LICENSE
sha256sum server/ui/yasgui/yasgui.min.js server/ui/yasgui/yasgui.min.css
