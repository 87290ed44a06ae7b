"""agrs.rdf_input, the one safe RDF parse, through its users: the RDF loader (`agrs load rdf`) and the Graph Store.

Each hostile input of issue 15 has its test here: XML entities (billion laughs, external ones), a remote JSON-LD
context (a loopback server that must receive nothing), IRIs with a space or `>`, ill-typed literals (quarantined,
no registry triple left behind), deep JSON-LD, huge numbers, syntax errors without a line. The corpus under
tests/data/bad/rdf/ (run by test_bad_corpus.py) covers the same ground file by file.
"""

import http.server
import json
import re
import threading
import time
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from agrs import rdf_input
from agrs.loaders.cli import load
from agrs.loaders.rdf import RdfLoader
from agrs.rdf_input import Limits, RdfInputError, literal_problem, parse_bytes
from agrs.records import ReadError

RDF = 'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://example.org/"'
PREFIXES = "@prefix ex: <http://example.org/> .\n@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n"
XSD = "http://www.w3.org/2001/XMLSchema#"


def laughs(levels: int) -> str:
    """RDF/XML whose one literal expands to 3 × 10^levels characters through nested entities (under 1 KB)."""
    entities = "".join(
        f' <!ENTITY l{i} "{f"&l{i - 1};" * 10 if i else "lol"}">\n' for i in range(levels + 1)
    )  # fmt: skip
    return (
        f'<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [\n{entities}]>\n<rdf:RDF {RDF}>\n'
        f' <rdf:Description rdf:about="http://example.org/a"><ex:p>&l{levels};</ex:p></rdf:Description>\n</rdf:RDF>\n'
    )


def read(path: Path) -> list:
    """The raw records of one file through the RDF loader."""
    return list(RdfLoader().read(path))


class ContextServer:
    """A loopback HTTP server that would serve a JSON-LD context, and records every request it receives."""

    def __init__(self):
        hits = self.hits = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                hits.append(self.path)
                body = json.dumps({"@context": {"name": "http://example.org/name"}}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/ld+json")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/context.jsonld"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def context_server():
    server = ContextServer()
    yield server
    server.close()


# --- XML entities -------------------------------------------------------------------------------------------------


def test_billion_laughs_is_refused_at_once_by_the_loader(tmp_path):
    # 10^5 expansions: rdflib took them (and 85 s of CPU for a 768-byte file with more levels).
    source = tmp_path / "laughs.rdf"
    source.write_text(laughs(5), encoding="utf-8")
    started = time.monotonic()
    with pytest.raises(ReadError) as caught:
        read(source)
    assert time.monotonic() - started < 2
    assert caught.value.line == 4 and "DOCTYPE refused" in str(caught.value)  # the first nested entity


def test_billion_laughs_payload_is_refused_before_parsing():
    data = laughs(9).encode()  # 3 GB once expanded, from under 1 KB
    assert len(data) < 1024
    started = time.monotonic()
    with pytest.raises(RdfInputError, match="DOCTYPE"):
        parse_bytes(data, ox.RdfFormat.RDF_XML, source="the body", base="http://example.org/")
    assert time.monotonic() - started < 1


def test_external_entity_is_refused(tmp_path):
    source = tmp_path / "passwd.rdf"
    source.write_text(
        f'<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [ <!ENTITY x SYSTEM "file:///etc/passwd"> ]>\n<rdf:RDF {RDF}>\n'
        ' <rdf:Description rdf:about="http://example.org/a"><ex:p>&x;</ex:p></rdf:Description>\n</rdf:RDF>\n',
        encoding="utf-8",
    )
    with pytest.raises(ReadError, match="DOCTYPE"):
        read(source)


def test_plain_entities_are_written_out_bounded(tmp_path):
    # Protégé's OWL files and Semantic MediaWiki's exports abbreviate namespaces with entities: those load.
    source = tmp_path / "owl.rdf"
    source.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [\n <!ENTITY owl "http://www.w3.org/2002/07/owl#" >\n'
        f" <!ENTITY ex 'http://example.org/' >\n]>\n<rdf:RDF {RDF}>\n"
        ' <rdf:Description rdf:about="&ex;a"><rdf:type rdf:resource="&owl;Class"/><ex:p>&ex; &amp; co</ex:p>'
        "</rdf:Description>\n</rdf:RDF>\n",
        encoding="utf-8",
    )
    [record] = read(source)
    assert {(str(p), str(o)) for _, p, o in record.fields["_triples"]} == {
        ("http://www.w3.org/1999/02/22-rdf-syntax-ns#type", "http://www.w3.org/2002/07/owl#Class"),
        ("http://example.org/p", "http://example.org/ & co"),
    }
    flat = (
        f'<!DOCTYPE rdf:RDF [ <!ENTITY big "{"x" * 2000}"> ]>\n<rdf:RDF {RDF}><rdf:Description rdf:about="http://e/a">'
    )
    flat += f"<ex:p>{'&big;' * 2000}</ex:p></rdf:Description></rdf:RDF>"
    with pytest.raises(RdfInputError, match="would add 4000000 bytes") as caught:
        parse_bytes(flat.encode(), ox.RdfFormat.RDF_XML, source="s")
    assert caught.value.too_large


def test_doctype_text_inside_cdata_is_data(tmp_path):
    source = tmp_path / "cdata.rdf"
    source.write_text(
        f'<rdf:RDF {RDF}><rdf:Description rdf:about="http://example.org/a">'
        '<ex:p><![CDATA[<!DOCTYPE x [<!ENTITY y "z">]>]]></ex:p></rdf:Description></rdf:RDF>',
        encoding="utf-8",
    )
    [record] = read(source)
    assert "<!DOCTYPE x" in record.original


def test_truncated_rdf_xml_is_refused_with_its_line(tmp_path):
    source = tmp_path / "cut.rdf"
    source.write_text(f'<rdf:RDF {RDF}>\n <rdf:Description rdf:about="http://example.org/a"><ex:p>x</ex:p>\n')
    with pytest.raises(ReadError, match="no element found") as caught:
        read(source)  # pyoxigraph alone loaded the triple and said nothing
    assert caught.value.line == 3


# --- no network ---------------------------------------------------------------------------------------------------


def test_remote_json_ld_context_is_refused_and_never_fetched(tmp_path, context_server):
    source = tmp_path / "remote.jsonld"
    document = {"@context": context_server.url, "@id": "http://example.org/a", "name": "A"}
    source.write_text(json.dumps(document, indent=1), encoding="utf-8")
    with pytest.raises(ReadError, match="remote JSON-LD context") as caught:
        read(source)
    assert context_server.url in str(caught.value) and "inline" in str(caught.value)
    nested = {"@id": "http://example.org/a", "http://example.org/p": {"@context": [{}, context_server.url]}}
    with pytest.raises(RdfInputError, match="remote JSON-LD context"):
        parse_bytes(json.dumps(nested).encode(), ox.RdfFormat.JSON_LD, source="the body")
    imported = {"@context": {"@version": 1.1, "@import": context_server.url}, "@id": "http://example.org/a"}
    with pytest.raises(RdfInputError, match="remote JSON-LD context"):
        parse_bytes(json.dumps(imported).encode(), ox.RdfFormat.JSON_LD, source="the body")
    assert context_server.hits == []


def test_the_ontology_check_refuses_entities_and_remote_contexts_before_rdflib(tmp_path, context_server):
    from agrs.closure import parse_file

    laughing = tmp_path / "extension.owl"
    laughing.write_text(laughs(6), encoding="utf-8")  # rdflib spent 53 s of CPU on this one
    started = time.monotonic()
    graph, fault = parse_file(laughing)
    assert graph is None and fault.line == 4 and "DOCTYPE refused" in fault.message
    assert time.monotonic() - started < 2
    remote = tmp_path / "extension.jsonld"
    remote.write_text(json.dumps({"@context": context_server.url, "@id": "http://example.org/a", "name": "A"}))
    graph, fault = parse_file(remote)
    assert graph is None and "remote JSON-LD context" in fault.message
    assert context_server.hits == []
    protege = tmp_path / "protege.owl"
    protege.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [ <!ENTITY owl "http://www.w3.org/2002/07/owl#" > ]>\n'
        f"<rdf:RDF {RDF}>"
        '<rdf:Description rdf:about="http://example.org/C"><rdf:type rdf:resource="&owl;Class"/></rdf:Description>'
        "</rdf:RDF>\n",
        encoding="utf-8",
    )
    graph, fault = parse_file(protege)
    assert fault is None and len(graph) == 1


# --- syntax errors, IRIs ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, text, line, column",
    [
        ("a.nt", '<http://e/a> <http://e/p> "x" .\n<http://e/a> <http://e/p> "x"\n<http://e/b> <http://e/p> "y" .\n',
         3, 1),
        ("a.nq", '<http://e/a> <http://e/p> "x" <http://e/g> .\n<http://e/a> <http://e/p> .\n', 2, 27),
        ("a.ttl", PREFIXES + 'ex:a ex:b ex:c .\nex:a ex:b .\n', 4, 11),
        ("a.trig", PREFIXES + 'ex:g { ex:a ex:b "x" . \n ex:a ex:b }\n', 4, 12),
        ("space.ttl", PREFIXES + 'ex:a ex:b "A" .\n<http://example.org/b c> ex:b "B" .\n', 4, 1),
        ("gt.ttl", PREFIXES + 'ex:a ex:b "A" .\n<http://example.org/b>c> ex:b "B" .\n', 4, 23),
        ("lang.ttl", PREFIXES + 'ex:a ex:b "A"@en-toolongtag123 .\n', 3, 15),
        ("subject.nt", '"lit" <http://e/p> <http://e/o> .\n', 1, 1),
    ],
)  # fmt: skip
def test_syntax_errors_name_line_and_column(tmp_path, name, text, line, column):
    source = tmp_path / name
    source.write_text(text, encoding="utf-8")
    with pytest.raises(ReadError) as caught:
        read(source)
    assert caught.value.line == line, caught.value
    assert f"column {column}" in str(caught.value)
    assert "\n" not in str(caught.value)


def test_an_iri_with_a_space_names_the_term(tmp_path):
    source = tmp_path / "space.ttl"
    source.write_text(PREFIXES + '<http://example.org/b c> ex:b "B" .\n', encoding="utf-8")
    with pytest.raises(ReadError, match=re.escape("<http://example.org/b c>")):
        read(source)
    document = tmp_path / "space.jsonld"  # JSON-LD would drop this node without a word
    document.write_text(json.dumps({"@id": "http://example.org/a b", "http://example.org/p": "x"}))
    with pytest.raises(ReadError, match=re.escape("invalid IRI 'http://example.org/a b'")):
        read(document)


@pytest.mark.parametrize(
    "name, text",
    [
        ("rel.ttl", PREFIXES + '<thing> ex:p "x" .\n'),
        ("rel.jsonld", json.dumps({"@id": "thing", "http://example.org/p": "x"})),
        ("rel.rdf", f'<rdf:RDF {RDF}><rdf:Description rdf:about="thing"><ex:p>x</ex:p></rdf:Description></rdf:RDF>'),
    ],
)
def test_relative_iris_without_a_base_are_refused(tmp_path, name, text):
    source = tmp_path / name
    source.write_text(text, encoding="utf-8")
    with pytest.raises(ReadError, match="relative IRI 'thing' and no base"):
        read(source)  # rdflib resolved them against the file's path: file:///…/thing


@pytest.mark.parametrize(
    "document, loaded",
    [
        ({"@context": {"name": "http://e/name"}, "@id": "http://e/a", "name": "A", "nom": "B"}, None),
        ([{"@context": {"q": "http://e/q"}, "@id": "http://e/a", "q": {"@id": "http://e/b", "zz": 2}}], None),
        ({"@context": {"@vocab": "http://e/"}, "@id": "http://e/a", "name": "A"}, 1),
        ({"@context": {"label": {"@id": "http://e/label", "@container": "@language"}}, "@id": "http://e/a",
          "label": {"en": "x", "fr": "y"}}, 2),
        ({"@context": {"id": "@id", "q": "http://e/q"}, "id": "http://e/a", "q": {"@value": "A", "@language": "fr"}},
         1),
    ],
)  # fmt: skip
def test_json_ld_properties_no_context_defines_are_refused(document, loaded):
    data = json.dumps(document, indent=1).encode()
    if loaded is None:  # JSON-LD would drop them without a word
        with pytest.raises(RdfInputError, match="defined by no @context"):
            parse_bytes(data, ox.RdfFormat.JSON_LD, source="s")
    else:
        assert len(parse_bytes(data, ox.RdfFormat.JSON_LD, source="s")) == loaded


def test_a_declared_base_resolves_relative_iris(tmp_path):
    source = tmp_path / "based.ttl"
    source.write_text('@base <http://example.org/> .\n<thing> <p> "x" .\n', encoding="utf-8")
    [record] = read(source)
    assert record.fields["subject"] == "http://example.org/thing"


def test_encodings(tmp_path):
    bom = tmp_path / "bom.nt"
    bom.write_bytes(b'\xef\xbb\xbf<http://e/a> <http://e/p> "x" .\n')
    assert len(read(bom)) == 1  # pyoxigraph alone took the BOM for the subject
    utf16 = tmp_path / "utf16.ttl"
    utf16.write_bytes('<http://e/a> <http://e/p> "x" .\n'.encode("utf-16"))
    with pytest.raises(ReadError, match="UTF-16"):
        read(utf16)


def test_size_and_depth_are_bounded():
    with pytest.raises(RdfInputError) as caught:
        parse_bytes(b'<http://e/a> <http://e/p> "x" .\n', ox.RdfFormat.N_TRIPLES, source="s", limits=Limits(10))
    assert caught.value.too_large
    deep = '{"@id": "http://e/a", "http://e/p": ' + '{"http://e/p": ' * 200 + '"x"' + "}" * 200 + "}"
    with pytest.raises(RdfInputError, match="nested more than 100 levels"):
        parse_bytes(deep.encode(), ox.RdfFormat.JSON_LD, source="s")
    deeper = '{"http://e/p": ' + "[" * 50_000 + "1" + "]" * 50_000 + "}"
    with pytest.raises(RdfInputError, match="nested too deeply"):
        parse_bytes(deeper.encode(), ox.RdfFormat.JSON_LD, source="s")


# --- literals -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "lexical, datatype, problem",
    [
        ("abc", "integer", "ill-typed literal"),
        ("2020-13-45", "date", "ill-typed literal"),
        ("maybe", "boolean", "ill-typed literal"),
        ("1.0E5000", "double", "number out of range"),
        ("42", "integer", None),
        ("INF", "double", None),
        ("2020-12-31", "date", None),
        ("anything", "string", None),
    ],
)
def test_literal_problem(lexical, datatype, problem):
    found = literal_problem(ox.Literal(lexical, datatype=ox.NamedNode(XSD + datatype)))
    assert (found is None) if problem is None else (problem in found and lexical in found)


def test_blank_nodes_in_a_cycle_are_kept(tmp_path):
    source = tmp_path / "cycle.ttl"
    source.write_text(PREFIXES + "_:a ex:next _:b .\n_:b ex:next _:c .\n_:c ex:next _:a .\n", encoding="utf-8")
    records = read(source)
    assert sum(len(record.fields["_triples"]) for record in records) == 3  # all three were dropped before


def test_huge_json_numbers_are_quarantined_not_a_traceback(tmp_path):
    source = tmp_path / "huge.jsonld"
    source.write_text('{"@id": "http://example.org/a", "http://example.org/n": 1' + "0" * 5000 + "}")
    [raw] = read(source)
    record = RdfLoader().map(raw)
    assert record.rejected and "number out of range" in record.problems[0].message


# --- the CLI: exit codes, quarantine, the store unchanged ----------------------------------------------------------


def _content(store: Path) -> list[str]:
    """Every quad of a closed embedded store (data, versions, registry, provenance) as sorted text."""
    opened = ox.Store.read_only(str(store))
    try:
        return sorted(str(quad) for quad in opened)
    finally:
        del opened


def _agrs_load(source: Path, store: Path, quarantine: Path):
    result = CliRunner().invoke(load, ["rdf", str(source), "--store", str(store), "--quarantine", str(quarantine)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output + result.stderr
    return result


def test_cli_ill_typed_literals_are_quarantined_and_leave_nothing_behind(tmp_path):
    store, quarantine = tmp_path / "store", tmp_path / "q"
    base = tmp_path / "base.ttl"
    base.write_text(PREFIXES + 'ex:x ex:name "X" .\n', encoding="utf-8")
    assert _agrs_load(base, store, quarantine).exit_code == 0
    before = _content(store)
    only = tmp_path / "only.ttl"
    only.write_text(PREFIXES + 'ex:b ex:count "abc"^^xsd:integer .\n', encoding="utf-8")
    result = CliRunner().invoke(
        load, ["rdf", str(only), "--key", "other", "--store", str(store), "--quarantine", str(quarantine)]
    )
    assert result.exit_code == 1, result.output
    assert f"{only}:3" in result.stderr and '"abc" is not a valid xsd:integer' in result.stderr
    assert "Traceback" not in result.stderr
    assert _content(store) == before  # no version, no registry triple, no provenance
    entry = json.loads((quarantine / "rdf-other.jsonl").read_text(encoding="utf-8"))
    assert entry["line"] == 3 and "ill-typed literal" in entry["problems"][0]["message"]


@pytest.mark.parametrize(
    "name, text, message",
    [
        ("space.ttl", PREFIXES + 'ex:a ex:b "A" .\n<http://example.org/b c> ex:b "B" .\n', "space.ttl:4: column 1"),
        ("lang.ttl", PREFIXES + 'ex:a ex:b "A"@en-toolongtag123 .\n', "lang.ttl:3: column 15"),
        ("deep.jsonld", '{"@id": "http://e/a", "http://e/p": ' + '{"http://e/p": ' * 600 + "{}" + "}" * 601,
         "nested more than 100 levels"),
    ],
)  # fmt: skip
def test_cli_unreadable_files_exit_2_and_change_nothing(tmp_path, name, text, message):
    store, quarantine = tmp_path / "store", tmp_path / "q"
    base = tmp_path / "base.ttl"
    base.write_text(PREFIXES + 'ex:x ex:name "X" .\n', encoding="utf-8")
    assert _agrs_load(base, store, quarantine).exit_code == 0
    before = _content(store)
    source = tmp_path / name
    source.write_text(text, encoding="utf-8")
    result = _agrs_load(source, store, quarantine)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert _content(store) == before


# --- the Graph Store ----------------------------------------------------------------------------------------------


def test_graph_store_refuses_entities_remote_contexts_and_ill_typed_literals(live_server, context_server):
    from test_server_graph_store import WRITE, gsp, http

    server = live_server()
    url = gsp(server, "http://example.org/g")
    started = time.monotonic()
    status, _, body = http("PUT", url, laughs(9), {**WRITE, "Content-Type": "application/rdf+xml"})
    assert status == 400 and b"DOCTYPE" in body
    assert time.monotonic() - started < 10  # the server took 11 GB before
    document = json.dumps({"@context": context_server.url, "@id": "http://example.org/a", "name": "A"})
    status, _, body = http("PUT", url, document, {**WRITE, "Content-Type": "application/ld+json"})
    assert status == 400 and b"remote JSON-LD context" in body
    ill_typed = f'<http://example.org/a> <http://example.org/n> "abc"^^<{XSD}integer> .'
    status, _, body = http("PUT", url, ill_typed, {**WRITE, "Content-Type": "application/n-triples"})
    assert status == 400 and b"ill-typed literal" in body and b"line 1" in body
    assert http("GET", url)[0] == 404  # nothing was written
    assert context_server.hits == []


def test_every_payload_syntax_has_a_suffix():
    assert set(rdf_input.SUFFIXES.values()) == {
        ox.RdfFormat.TURTLE, ox.RdfFormat.N_TRIPLES, ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG, ox.RdfFormat.RDF_XML,
        ox.RdfFormat.JSON_LD,
    }  # fmt: skip
