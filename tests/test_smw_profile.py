"""Semantic MediaWiki's SPARQLStore profile, replayed against a live `agrs serve`.

The requests are those of SMW's generic connector (SemanticMediaWiki 7.x, src/SPARQLStore/RepositoryConnectors/
GenericRepositoryConnector.php, with SPARQLStore.php, TurtleTriplesBuilder.php and the Exporter's
TurtleSerializer for the payloads), byte for byte where it matters:

- queries: `POST` form `query=…` (plus `&default-graph-uri=…` when $smwgSparqlDefaultGraph is set),
  `Content-Type: application/x-www-form-urlencoded;charset=UTF-8`,
  `Accept: application/sparql-results+xml,application/xml;q=0.8`; the answer is read as SPARQL XML results;
- updates: `POST` form `update=…`, same content type; with a default graph, `WITH <graph>` opens DELETE/INSERT;
- data: `POST {data endpoint}?default` (or `?graph=<urlencoded graph>`), `Content-Type: application/x-turtle`,
  a Turtle body of `@prefix` lines then the triples as TurtleSerializer writes them (sparql mode);
- a page save (SPARQLStore::doSparqlDataUpdate): delete what has `swivt:masterPage` the page (its subobjects), delete
  the page's own triples, then insert the new ones; a page delete is the first two; a rename is `insertDelete`;
  `drop()` is `deleteAll()`; the optional ping is `HEAD` on the query endpoint.

Both settings of $smwgSparqlDefaultGraph are replayed: '' (SMW's default: the server's default graph of writes,
`?default`) and a graph IRI (all the wiki's data in that one graph). SMW sends no credentials: here the requests
carry the server's write token (see the report, H4, for the ways to give it one).
"""

import base64
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ElementTree

import pytest

TOKEN = "test-token"
WIKI = "https://wiki.resilience-territoire.ademe.fr/wiki/"
RESOLVER = WIKI + "Special:URIResolver/"
PREFIXES = {  # GenericRepositoryConnector::getPrefixString, in its order
    "wiki": RESOLVER,
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "swivt": "http://semantic-mediawiki.org/swivt/1.0#",
    "property": RESOLVER + "Property-3A",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}
EXTRA = {"category": RESOLVER + "Category-3A", "wikiurl": WIKI}  # TurtleSerializer's further namespaces
RESULTS = "{http://www.w3.org/2005/sparql-results#}"
FORM = "application/x-www-form-urlencoded;charset=UTF-8"
AGRS_PAGE = "Approche_Globale_R-C3-A9siliente_et_Solidaire_pour_les_territoires_et_les_entreprises"
DIAGNOSTIC_PAGE = "Diagnostic_360-C2-B0_de_r-C3-A9silience_territoriale"


def page_turtle(name: str, label: str, url: str, level: str, modified: str, subobject: bool = False) -> str:
    """A page's triples as SMW's TurtleSerializer writes them in sparql mode (tabs, `;` lines, ` .` ends)."""
    block = (
        f'wiki:{name}\n \trdf:type  swivt:Subject ;\n \trdfs:label  "{label}" ;\n \tswivt:page  <{url}> ;\n'
        f' \tswivt:wikiNamespace  "0"^^xsd:integer ;\n \tswivt:wikiPageSortKey  "{label}" ;\n'
        f' \tswivt:wikiPageModificationDate  "{modified}"^^xsd:dateTime ;\n'
        f' \tproperty:Niveau_de_d-C3-A9veloppement  "{level}" ;\n \trdf:type  category:Communs .\n\n'
    )
    if subobject:  # a subobject (#_…) of the page: its own subject, tied to the page by swivt:masterPage
        block += (
            f"wiki:{name}-23_a1b2c3\n \trdf:type  swivt:Subject ;\n \tswivt:masterPage  wiki:{name} ;\n"
            f' \tproperty:Tags  "diagnostic" .\n\n'
        )
    return block + f"<{PREFIXES['property']}Niveau_de_d-C3-A9veloppement> rdf:type owl:DatatypeProperty .\n"


class Connector:
    """The requests of SMW's GenericRepositoryConnector, sent to one `agrs serve`."""

    def __init__(self, base: str, default_graph: str, authorization: str | None = f"Bearer {TOKEN}"):
        self.query_endpoint, self.update_endpoint = base + "/sparql", base + "/sparql"
        self.data_endpoint = base + "/graph-store"
        self.default_graph = default_graph
        self.authorization = authorization
        self.statuses: list[int] = []

    def _send(self, url: str, method: str, body: bytes | None, headers: dict[str, str]) -> tuple[int, bytes]:
        if self.authorization:
            headers = {**headers, "Authorization": self.authorization}
        request = urllib.request.Request(url, data=body, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=60) as answer:
                status, content = answer.status, answer.read()
        except urllib.error.HTTPError as error:
            status, content = error.code, error.read()
        self.statuses.append(status)
        return status, content

    @staticmethod
    def prefix_string(extra: dict[str, str] | None = None, sparql: bool = True) -> str:
        """getPrefixString: the seven namespaces, then the extra ones (PREFIX lines, or Turtle @prefix lines)."""
        intro, outro = ("PREFIX ", "\n") if sparql else ("@prefix ", " .\n")
        names = {**PREFIXES, **{k: v for k, v in (extra or {}).items() if k not in PREFIXES}}
        return "".join(f"{intro}{name}: <{iri}>{outro}" for name, iri in names.items())

    def ping(self) -> bool:
        """ping(ENDP_QUERY): HEAD on the query endpoint; SMW counts 400 and 500 as reachable too."""
        status, _ = self._send(self.query_endpoint, "HEAD", None, {})
        return status < 300 or status in (400, 500)

    def do_query(self, sparql: str) -> ElementTree.Element:
        """doQuery: the form POST; returns the parsed SPARQL XML results (fails on anything else)."""
        body = "query=" + urllib.parse.quote_plus(sparql)
        if self.default_graph:
            body += "&default-graph-uri=" + urllib.parse.quote_plus(self.default_graph)
        headers = {"Accept": "application/sparql-results+xml,application/xml;q=0.8", "Content-Type": FORM}
        status, content = self._send(self.query_endpoint, "POST", body.encode(), headers)
        assert status == 200, content
        return ElementTree.fromstring(content)

    def do_update(self, sparql: str) -> bool:
        """doUpdate: the form POST of `update=`."""
        body = "update=" + urllib.parse.quote_plus(sparql)
        status, content = self._send(self.update_endpoint, "POST", body.encode(), {"Content-Type": FORM})
        assert status < 300, content
        return True

    def do_http_post(self, payload: str) -> bool:
        """doHttpPost: Turtle to the data endpoint, `?graph=` the default graph or `?default`."""
        suffix = "?graph=" + urllib.parse.quote_plus(self.default_graph) if self.default_graph else "?default"
        status, content = self._send(self.data_endpoint + suffix, "POST", payload.encode(),
                                     {"Content-Type": "application/x-turtle"})  # fmt: skip
        assert status < 300, content
        return True

    def select(self, variables: str, where: str, options: dict[str, object]) -> ElementTree.Element:
        sparql = self.prefix_string() + "SELECT " + ("DISTINCT " if "DISTINCT" in options else "") + variables
        sparql += " WHERE {\n" + where + "\n}"
        for key in ("ORDER BY", "OFFSET", "LIMIT"):
            if key in options:
                sparql += f"\n{key} {options[key]}"
        return self.do_query(sparql)

    def select_count(self, variable: str, where: str) -> ElementTree.Element:
        sparql = self.prefix_string() + "SELECT (COUNT(DISTINCT " + variable + ") AS ?count) WHERE {\n" + where + "\n}"
        return self.do_query(sparql)

    def ask(self, where: str) -> ElementTree.Element:
        return self.do_query(self.prefix_string() + "ASK {\n" + where + "\n}")

    def _with(self) -> str:
        return f"WITH <{self.default_graph}> " if self.default_graph else ""

    def delete(self, pattern: str, where: str, extra: dict[str, str] | None = None) -> bool:
        return self.do_update(self.prefix_string(extra) + self._with() + f"DELETE {{ {pattern} }} WHERE {{ {where} }}")

    def insert_delete(self, insert: str, delete: str, where: str) -> bool:
        sparql = (
            self.prefix_string() + self._with() + f"DELETE {{ {delete} }} INSERT {{ {insert} }} WHERE {{ {where} }}"
        )
        return self.do_update(sparql)

    def insert_data(self, triples: str, extra: dict[str, str]) -> bool:
        return self.do_http_post(self.prefix_string(extra, sparql=False) + triples)

    def delete_all(self) -> bool:
        return self.delete("?s ?p ?o", "?s ?p ?o")

    # --- SPARQLStore ----------------------------------------------------------------------------------------------

    def data_delete(self, name: str) -> bool:
        """SPARQLStore::doSparqlDataDelete: the page's subobjects (swivt:masterPage), then the page's triples."""
        extra = {"wiki": RESOLVER}
        self.delete("?s ?p ?o", f"?s swivt:masterPage wiki:{name} . ?s ?p ?o", extra)
        return self.delete(f"wiki:{name} ?p ?o", f"wiki:{name} ?p ?o", extra)

    def data_update(self, name: str, turtle: str) -> None:
        """SPARQLStore::doSparqlDataUpdate: delete the page's data, then insert its triples in chunks (one here)."""
        self.data_delete(name)
        chunks = turtle.split(" .")  # TurtleTriplesBuilder::getChunkedTriples, 80 statements a chunk
        for start in range(0, len(chunks), 80):
            self.insert_data(" .".join(chunks[start : start + 80]) + "\n", EXTRA)


def rows(results: ElementTree.Element) -> list[dict[str, tuple[str, str | None]]]:
    """The rows of SPARQL XML results, {variable: (kind value, datatype or lang)}, as SMW's XmlResponseParser reads."""
    answer = []
    for result in results.iter(RESULTS + "result"):
        row = {}
        for binding in result.findall(RESULTS + "binding"):
            (term,) = list(binding)
            kind = term.tag.removeprefix(RESULTS)
            extra = term.get("datatype") or term.get("{http://www.w3.org/XML/1998/namespace}lang")
            row[binding.get("name")] = (f"{kind} {term.text or ''}", extra)
        answer.append(row)
    return answer


def boolean(results: ElementTree.Element) -> bool:
    (element,) = results.iter(RESULTS + "boolean")
    return element.text.strip() == "true"


def page_url(name: str) -> str:
    return WIKI + urllib.parse.quote(name.replace("-C3-A9", "é").replace("-C2-B0", "°"), safe="")


SAVES = [
    (AGRS_PAGE, "Approche Globale Résiliente et Solidaire pour les territoires et les entreprises", "Idée",
     "2021-06-18T14:02:11Z", False),
    (DIAGNOSTIC_PAGE, "Diagnostic 360° de résilience territoriale", "Idée", "2022-01-27T10:15:40Z", True),
]  # fmt: skip
COMMONS_QUERY = (
    "?result swivt:wikiPageSortKey ?resultsk .\n{ ?result rdf:type wiki:Category-3ACommuns . }\n"
    '?result property:Niveau_de_d-C3-A9veloppement "Idée" .'
)


def http(url: str, accept: str = "text/turtle", token: bool = False) -> tuple[int, str]:
    headers = {"Accept": accept, **({"Authorization": f"Bearer {TOKEN}"} if token else {})}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=60) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


@pytest.mark.parametrize("default_graph", ["", "http://wiki.example.org/smw"], ids=["default", "named-graph"])
def test_semantic_mediawiki_profile(live_server, default_graph):
    server = live_server()
    wiki = Connector(server.url, default_graph)
    assert wiki.ping()
    for name, label, level, modified, subobject in SAVES:
        wiki.data_update(name, page_turtle(name, label, page_url(name), level, modified, subobject))

    # Special:Ask [[Category:Communs]] [[Niveau de développement::Idée]], sorted by the pages' sort keys.
    options = {"DISTINCT": True, "ORDER BY": "ASC(?resultsk) ", "LIMIT": 51, "OFFSET": 0}
    answer = wiki.select("?result", COMMONS_QUERY, options)
    assert [row["result"] for row in rows(answer)] == [
        (f"uri {RESOLVER}{AGRS_PAGE}", None),
        (f"uri {RESOLVER}{DIAGNOSTIC_PAGE}", None),
    ]
    (count,) = rows(wiki.select_count("?result", COMMONS_QUERY))
    assert count["count"] == ("literal 2", PREFIXES["xsd"] + "integer")
    assert boolean(wiki.ask(f"wiki:{DIAGNOSTIC_PAGE}-23_a1b2c3 swivt:masterPage wiki:{DIAGNOSTIC_PAGE} ."))
    modified = rows(wiki.select("?m", f"wiki:{AGRS_PAGE} swivt:wikiPageModificationDate ?m .", {}))
    assert modified == [{"m": ("literal 2021-06-18T14:02:11Z", PREFIXES["xsd"] + "dateTime")}]

    # An edit: the page's old values are gone, the new ones are there (one level, not two).
    wiki.data_update(AGRS_PAGE, page_turtle(AGRS_PAGE, SAVES[0][1], page_url(AGRS_PAGE), "Prototype",
                                            "2024-03-12T09:41:07Z"))  # fmt: skip
    levels = rows(wiki.select("?l", f"wiki:{AGRS_PAGE} property:Niveau_de_d-C3-A9veloppement ?l .", {}))
    assert levels == [{"l": ("literal Prototype", None)}]
    assert [row["result"][0] for row in rows(wiki.select("?result", COMMONS_QUERY, options))] == [
        f"uri {RESOLVER}{DIAGNOSTIC_PAGE}"
    ]

    # The data is where the setting says: the server's default graph of writes, or the one named graph.
    where = "?graph=" + urllib.parse.quote(default_graph, safe="") if default_graph else "?default"
    status, turtle = http(server.url + "/graph-store" + where)
    assert status == 200 and DIAGNOSTIC_PAGE in turtle and "Prototype" in turtle

    # A rename (SPARQLStore::changeTitle): objects pointing to the old page now point to the new one.
    wiki.insert_delete(f"?s ?p wiki:{AGRS_PAGE}_V2", f"?s ?p wiki:{AGRS_PAGE}", f"?s ?p wiki:{AGRS_PAGE}")
    assert boolean(wiki.ask(f"wiki:{DIAGNOSTIC_PAGE}-23_a1b2c3 swivt:masterPage wiki:{DIAGNOSTIC_PAGE} ."))

    # A page delete removes its subobjects with it.
    wiki.data_delete(DIAGNOSTIC_PAGE)
    assert not boolean(wiki.ask(f"?s swivt:masterPage wiki:{DIAGNOSTIC_PAGE} ."))
    assert not boolean(wiki.ask(f"wiki:{DIAGNOSTIC_PAGE} ?p ?o ."))
    assert boolean(wiki.ask(f"wiki:{AGRS_PAGE} ?p ?o ."))

    # drop(): deleteAll empties the wiki's graph, and only it. With no default graph set, SMW's queries see the
    # server's whole union (the server's own graphs too), so the check is on the wiki's subjects.
    wiki.delete_all()
    (count,) = rows(wiki.select_count("?s", f'?s ?p ?o FILTER(STRSTARTS(STR(?s), "{WIKI}"))'))
    assert count["count"] == ("literal 0", PREFIXES["xsd"] + "integer")
    status, turtle = http(server.url + "/graph-store" + where)
    assert status == 200 and WIKI not in turtle
    assert all(status < 300 for status in wiki.statuses), wiki.statuses


def test_graph_store_put_and_delete_of_the_wiki_graph(live_server):
    """Beyond the generic connector: a whole graph replaced (PUT, N-Triples) and dropped (DELETE), `?default` too."""
    server = live_server()
    wiki = Connector(server.url, "")
    triple = f'<{RESOLVER}{AGRS_PAGE}> <{PREFIXES["rdfs"]}label> "AGRS" .\n'
    for where in ("?default", "?graph=" + urllib.parse.quote("http://wiki.example.org/smw", safe="")):
        status, _ = wiki._send(server.url + "/graph-store" + where, "PUT", triple.encode(),
                               {"Content-Type": "application/n-triples"})  # fmt: skip
        assert status in (200, 201, 204)
        status, turtle = http(server.url + "/graph-store" + where)
        assert status == 200 and '"AGRS"' in turtle
        status, _ = wiki._send(server.url + "/graph-store" + where, "DELETE", None, {})
        assert status in (200, 204)
        status, turtle = http(server.url + "/graph-store" + where)
        assert '"AGRS"' not in turtle


def test_without_credentials_writes_are_refused(live_server):
    """SMW sends no Authorization header: a token-protected server refuses its updates and its data."""
    server = live_server()
    body = "update=" + urllib.parse.quote_plus("INSERT DATA { <http://a.example/s> <http://a.example/p> 1 }")
    status, _ = Connector(server.url, "", authorization=None)._send(server.url + "/sparql", "POST", body.encode(),
                                                                  {"Content-Type": FORM})  # fmt: skip
    assert status in (401, 403)


def test_the_write_token_as_basic_password(live_server):
    """What a wiki can send: HTTP Basic from the endpoint URL's user info, the token as password."""
    server = live_server()
    basic = "Basic " + base64.b64encode(f"smw:{TOKEN}".encode()).decode()
    wiki = Connector(server.url, "", authorization=basic)
    body = "update=" + urllib.parse.quote_plus("INSERT DATA { <http://a.example/s> <http://a.example/p> 1 }")
    status, content = wiki._send(server.url + "/sparql", "POST", body.encode(), {"Content-Type": FORM})
    assert status == 204, content


def test_a_wrong_basic_password_is_refused(live_server):
    """The token as Basic password must be the token: any other password is refused, and nothing is written."""
    server = live_server()
    basic = "Basic " + base64.b64encode(b"smw:not-the-token").decode()
    wiki = Connector(server.url, "", authorization=basic)
    body = "update=" + urllib.parse.quote_plus("INSERT DATA { <http://a.example/s> <http://a.example/p> 1 }")
    status, _ = wiki._send(server.url + "/sparql", "POST", body.encode(), {"Content-Type": FORM})
    assert status == 403
    answer = Connector(server.url, "", authorization=None).ask("<http://a.example/s> ?p ?o")
    assert answer.find("{http://www.w3.org/2005/sparql-results#}boolean").text == "false"
