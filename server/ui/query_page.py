"""The browser query UI: YASGUI (npm `@zazuko/yasgui`, MIT) served by this server, aimed at its own `/sparql`.

`GET /sparql` from a browser (the sparql blueprint calls `query_page()`) answers the page. YASGUI's two built files
ship in the package (`agrs/server/ui/yasgui/`, with their licence; `scripts/vendor-yasgui.sh` replaces them by
another release), so an installed wheel serves the whole UI with no npm; $AGRS_YASGUI_DIR names another folder
holding them. They are served under `/ui/yasgui/`, the page's own script and style under `/ui/static/`. When the
files are missing, the page answers 503 and says what to do (the endpoint itself keeps answering queries).

The page makes no request off this host, whatever YASGUI's defaults: its prefix autocompleter uses YASGUI's
bundled list plus the project's prefixes (never prefix.cc), its class and property autocompleters ask this
endpoint for the classes and properties the store declares (never LOV), and a Content-Security-Policy limits
scripts, styles, fonts, images and requests to this origin.
"""

import json
import os
from html import escape
from importlib.resources import files
from pathlib import Path

from flask import Blueprint, Response, abort, request, send_from_directory

from agrs.ns import prefixes

blueprint = Blueprint("ui", __name__, static_folder="static", static_url_path="/ui/static")

YASGUI_ENV = "AGRS_YASGUI_DIR"  # another folder holding yasgui.min.js and yasgui.min.css
YASGUI_FILES = ("yasgui.min.js", "yasgui.min.css")
#: the browser may load and connect to this origin only (inline styles: YASGUI and CodeMirror set them)
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'self'",
    )
)
#: the query the editor shows in a new tab: a meaningful question answered in about 0.2 s on the bundled observatory
#: (the previous one, every class by its number of instances, took 16.7 s). The twenty largest populations are taken
#: first, in a subquery, and only then labelled and placed in their département: joined over every commune first,
#: the same question takes Oxigraph 2.5 s (the level test) to 18 s (an OPTIONAL).
DEFAULT_QUERY = """\
PREFIX agrs: <https://w3id.org/agrs/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>

# The twenty most populous communes (and municipal arrondissements), with their département
SELECT ?place ?name ?population ?departement ?departementName WHERE {
  {
    SELECT ?place ?population WHERE { ?place agrs:legalPopulation ?population }
    ORDER BY DESC(?population)
    LIMIT 20
  }
  ?place rdfs:label ?name ;
    agrs:within ?departement .
  ?departement agrs:inLevel <https://w3id.org/agrs/level/departement> ;
    rdfs:label ?departementName .
}
ORDER BY DESC(?population)
"""


def packaged_yasgui_dir() -> Path:
    """Return the folder of the YASGUI files shipped in the package (agrs/server/ui/yasgui/)."""
    return Path(str(files("agrs.server.ui") / "yasgui"))


def yasgui_dir() -> Path:
    """Return the folder of YASGUI's built assets: $AGRS_YASGUI_DIR (read per request), else the package's."""
    configured = os.environ.get(YASGUI_ENV)
    if configured:
        return Path(configured)
    return packaged_yasgui_dir()


def missing_assets(folder: Path) -> list[str]:
    """Return the YASGUI files the page needs that `folder` lacks (empty when it is complete)."""
    return [name for name in YASGUI_FILES if not (folder / name).is_file()]


def stored_examples() -> list[dict[str, str]]:
    """Return the stored questions of queries/ as {name, title, query}: cq/*.rq, else the qc/*-violation.rq checks.

    The title is the file's `#+ summary:` line when it has one, else its name.
    """
    from agrs.paths import queries_dir

    folder = queries_dir()
    files = sorted((folder / "cq").glob("*.rq")) or sorted((folder / "qc").glob("*-violation.rq"))
    examples = []
    for path in files:
        text = path.read_text(encoding="utf-8")
        title = path.stem
        for line in text.splitlines():
            if line.startswith("#+ summary:"):
                title = f"{path.stem}: {line.removeprefix('#+ summary:').strip()}"
                break
        examples.append({"name": path.stem, "title": title, "query": text})
    return examples


def script_json(value: object) -> str:
    """Return `value` as JSON safe inside an HTML <script> element (no `<`, `>` or `&` that could close it)."""
    text = json.dumps(value, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def query_page() -> Response:
    """Answer the query UI for the current request: 200 with YASGUI, or 503 saying how to install its assets."""
    root = request.script_root
    folder = yasgui_dir()
    missing = missing_assets(folder)
    if missing:
        return _page(_missing_body(folder, missing), status=503)
    config = {
        "endpoint": f"{root}/sparql",
        "prefixes": prefixes(),
        "examples": stored_examples(),
        "defaultQuery": DEFAULT_QUERY,
    }
    head = (
        f'<link rel="stylesheet" href="{escape(root)}/ui/yasgui/yasgui.min.css">\n'
        f'<link rel="stylesheet" href="{escape(root)}/ui/static/query.css">\n'
    )
    body = f"""<header>
<form class="search-box" action="{escape(root)}/search" method="get" role="search"><input type="search" name="q"
 placeholder="Chercher / Search…" aria-label="Chercher un nom / Search by name" maxlength="200">
 <button type="submit">OK</button></form>
<h1>AGRS SPARQL endpoint</h1>
<p>Query the AGRS knowledge graph with SPARQL 1.1. The endpoint is <code>{escape(root)}/sparql</code>; a query
that names no dataset sees the union of all graphs. Its service description (the same URL, asked for RDF, e.g.
<code>Accept: text/turtle</code>) lists the formats and features; <a href="{escape(root)}/.well-known/void">VoID</a>
describes the graphs.</p>
<details id="agrs-examples"><summary>Example queries</summary><ul></ul></details>
<p id="agrs-questions"><a href="{escape(root)}/api/">Questions (fr/en)</a>: the same stored questions, with their
parameters, as a REST API and forms to try them.</p>
</header>
<main id="yasgui"></main>
<script type="application/json" id="agrs-ui-config">{script_json(config)}</script>
<script src="{escape(root)}/ui/yasgui/yasgui.min.js"></script>
<script src="{escape(root)}/ui/static/query.js"></script>
"""
    return _page(body, head=head)


def _missing_body(folder: Path, missing: list[str]) -> str:
    names = ", ".join(missing)
    endpoint = request.host_url.rstrip("/") + request.script_root + "/sparql"
    return f"""<h1>The query UI is not installed</h1>
<p>The browser query UI needs YASGUI (the npm package <code>@zazuko/yasgui</code>), and this server did not find
{escape(names)} in <code>{escape(str(folder))}</code>.</p>
<p>The package ships them in <code>{escape(str(packaged_yasgui_dir()))}</code>: unset <code>{YASGUI_ENV}</code> or
point it at a folder holding YASGUI's built <code>yasgui.min.js</code> and <code>yasgui.min.css</code> (in a checkout,
<code>scripts/vendor-yasgui.sh VERSION</code> fetches them), or reinstall the package; then reload this page.</p>
<p>The SPARQL endpoint itself works: send queries to <code>{escape(endpoint)}</code>, e.g.
<code>curl --data-urlencode 'query=ASK {{}}' {escape(endpoint)}</code>.</p>
"""


def _page(body: str, *, head: str = "", status: int = 200) -> Response:
    html = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>AGRS SPARQL query</title>
<link rel="icon" href="data:,">
{head}</head>
<body>
{body}</body>
</html>
"""
    response = Response(html, status=status, mimetype="text/html")
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["Vary"] = "Accept"
    return response


@blueprint.get("/ui/yasgui/<path:name>")
def yasgui_asset(name: str):
    """Serve one of YASGUI's built files (404 when missing)."""
    folder = yasgui_dir()
    if not folder.is_dir():
        abort(404)
    return send_from_directory(folder, name, max_age=3600)
