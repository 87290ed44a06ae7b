"""The main job end to end: `scripts/demo.sh` (what `make demo` runs) loads the real COG and the observatory.

One run (about four minutes: the ontology check, its documentation, then `agrs observatory`) into a fresh
store; every test then reads the store as a researcher would, with SPARQL, and compares it with the sources.
"""

import json
import os
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from agrs.graphs import PROVENANCE_GRAPH
from agrs.loaders.bundled import bundled_sources, default_etalab_dir
from agrs.store.embedded import EmbeddedStore

from conftest import REPO, free_port, run_agrs

pytestmark = pytest.mark.slow

PREFIXES = """PREFIX agrs: <https://w3id.org/agrs/>
PREFIX level: <https://w3id.org/agrs/level/>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
"""
ID = "https://w3id.org/agrs/id/"


@pytest.fixture(scope="module")
def loaded(tmp_path_factory) -> dict:
    """Run the main job once into a new store; return the store path, the run and the etalab sources."""
    etalab = default_etalab_dir()
    if not (etalab / "communes.json").is_file():
        pytest.fail(f"{etalab} is missing: run scripts/setup.sh (npm ci)")
    folder = tmp_path_factory.mktemp("observatory")
    store, quarantine = folder / "store", folder / "quarantine"
    environment = {**os.environ, "AGRS_STORE": str(store), "AGRS_QUARANTINE": str(quarantine)}
    run = subprocess.run(["bash", "scripts/demo.sh", "--no-serve"], cwd=REPO, env=environment,
                         capture_output=True, text=True, timeout=1800)  # fmt: skip
    sources = {name: json.loads((etalab / f"{name}.json").read_text(encoding="utf-8")) for name in
               ("communes", "epci", "departements", "regions")}  # fmt: skip
    return {"store": store, "quarantine": quarantine, "run": run, "source": sources}


def select(store_path: Path, query: str) -> list[dict]:
    """Run a SELECT on the store, read-only; return rows of plain string values."""
    with EmbeddedStore(store_path, read_only=True) as store:
        solutions = store.query(PREFIXES + query)
        names = [variable.value for variable in solutions.variables]
        return [{name: row[name].value for name in names if row[name] is not None} for row in solutions]


def test_everything_loads_without_rejection(loaded):
    run = loaded["run"]
    assert run.returncode == 0, run.stderr[-3000:]
    assert not list(loaded["quarantine"].glob("*.jsonl"))
    for source in bundled_sources():
        assert f"== {source.label}" in run.stdout
    assert "rejected 0" in run.stdout and "loaded 53" in run.stdout  # the 53 partners


def test_every_source_is_a_current_graph_with_its_provenance(loaded):
    rows = select(loaded["store"], f"""
        SELECT ?kind ?read ?loaded ?rejected WHERE {{ GRAPH <{PROVENANCE_GRAPH}> {{
            ?load a agrs:Load ; agrs:loaderKind ?kind ; agrs:recordsRead ?read ;
                  agrs:recordsLoaded ?loaded ; agrs:recordsRejected ?rejected .
        }} }}""")  # fmt: skip
    by_kind = {row["kind"]: row for row in rows}
    assert set(by_kind) == {"ontology", "rollup", "reason", *(source.kind for source in bundled_sources())}
    assert len(rows) == 3 + len(bundled_sources())  # one load each, one roll-up, one reasoning run
    assert all(row["rejected"] == "0" for row in rows)
    assert all(row["read"] == row["loaded"] for row in rows if row["kind"] != "reason")
    assert by_kind["partners"]["loaded"] == "53"


@pytest.mark.parametrize(
    "level, segment, count_of",
    [
        ("commune", "commune", lambda s: sum(e["type"] == "commune-actuelle" for e in s["communes"])),
        ("departement", "departement", lambda s: sum(e["zone"] != "com" for e in s["departements"])),
        ("region", "region", lambda s: sum(e["zone"] != "com" for e in s["regions"])),
    ],
)
def test_exactly_the_territories_of_the_source(loaded, level, segment, count_of):
    rows = select(loaded["store"], f"SELECT ?t WHERE {{ ?t agrs:hasLevel level:{level} }}")
    stored = {row["t"] for row in rows}
    expected = {
        f"{ID}{segment}/{entry['code']}"
        for entry in loaded["source"][level + "s"]
        if (entry["type"] == "commune-actuelle" if level == "commune" else entry["zone"] != "com")
    }
    assert stored == expected and len(stored) == count_of(loaded["source"])


def test_exactly_the_epci_of_the_source_with_their_members(loaded):
    rows = select(loaded["store"], """
        SELECT ?epci ?member WHERE { ?epci agrs:hasLevel ?level . ?member agrs:directlyWithin ?epci ;
                                      agrs:hasLevel level:commune .
                                     FILTER(STRSTARTS(STR(?epci), "https://w3id.org/agrs/id/epci/")) }""")  # fmt: skip
    stored = Counter((row["epci"], row["member"]) for row in rows)
    expected = Counter(
        (f"{ID}epci/{epci['code']}", f"{ID}commune/{member['code']}")
        for epci in loaded["source"]["epci"]
        for member in epci["membres"]
    )
    assert stored == expected
    assert len({epci for epci, _ in stored}) == len(loaded["source"]["epci"]) == 1255


def test_every_commune_has_its_departement_and_region(loaded):
    rows = select(loaded["store"], """
        SELECT ?commune ?dep ?reg WHERE {
            ?commune agrs:hasLevel level:commune ; agrs:directlyWithin ?dep .
            ?dep agrs:hasLevel level:departement ; agrs:directlyWithin ?reg .
            ?reg agrs:hasLevel level:region .
        }""")  # fmt: skip
    stored = {row["commune"]: (row["dep"], row["reg"]) for row in rows}
    expected = {
        f"{ID}commune/{e['code']}": (f"{ID}departement/{e['departement']}", f"{ID}region/{e['region']}")
        for e in loaded["source"]["communes"]
        if e["type"] == "commune-actuelle" and e["zone"] != "com"
    }
    assert stored == expected


def test_partners_reach_the_projects_of_the_observatory_files(loaded):
    rows = select(loaded["store"], """
        SELECT DISTINCT ?organisation WHERE {
            ?participation agrs:participant ?organisation ; agrs:participationIn ?endeavour .
            ?endeavour a agrs:Endeavour ; dcterms:source ?source .
        }""")  # fmt: skip
    assert len(rows) >= 40
    pilots = select(loaded["store"], """
        SELECT ?name WHERE { ?org agrs:governs <https://w3id.org/agrs/id/commune/33063> ; rdfs:label ?name }
        """)  # fmt: skip
    assert pilots, "Bordeaux's local authority governs the commune 33063"


def test_rolled_up_population_equals_the_sum_over_the_communes_of_the_source(loaded):
    """Issue 5's Done-when: every département, région and France, through the bundled load and `agrs rollup`."""
    communes = [e for e in loaded["source"]["communes"] if e["type"] == "commune-actuelle" and e.get("population")]
    expected: Counter = Counter()
    for commune in communes:
        # Overseas collectivities (zone "com") are neither départements nor régions; France counts them.
        within = [] if commune["zone"] == "com" else [f"departement/{commune['departement']}",
                                                       f"region/{commune['region']}"]  # fmt: skip
        for node in (*within, "pays/FR"):
            expected[f"{ID}{node}"] += commune["population"]
    rows = select(loaded["store"], """
        SELECT ?territory ?value WHERE {
            ?o a agrs:DerivedObservation ; agrs:indicator <https://w3id.org/agrs/id/indicator/population> ;
               agrs:territory ?territory ; agrs:value ?value .
            ?territory agrs:hasLevel ?level . VALUES ?level { level:departement level:region level:country }
        }""")  # fmt: skip
    stored = {row["territory"]: int(float(row["value"])) for row in rows}
    assert stored == dict(expected)
    assert stored[f"{ID}pays/FR"] == sum(commune["population"] for commune in communes) > 60_000_000


def test_the_synthetic_sources_say_so_in_their_provenance(loaded):
    rows = select(loaded["store"], f"""
        SELECT ?kind ?comment WHERE {{ GRAPH <{PROVENANCE_GRAPH}> {{
            ?load a agrs:Load ; agrs:loaderKind ?kind ; rdfs:comment ?comment . FILTER(LANG(?comment) = "en")
        }} }}""")  # fmt: skip
    # the survey and GASPAR samples, and the demonstration observatory (its diagnostics, series, dataset, survey)
    synthetic_kinds = {"survey", "risks", "diagnostic", "indicators", "rdf"}
    assert {row["kind"] for row in rows if row["comment"].startswith("Synthetic data")} == synthetic_kinds
    marked = select(loaded["store"], f"""
        SELECT ?kind WHERE {{ GRAPH <{PROVENANCE_GRAPH}> {{
            ?load agrs:loaderKind ?kind ; agrs:synthetic true ; <http://www.w3.org/ns/prov#generated> ?version .
            ?version agrs:synthetic true }} }}""")  # fmt: skip
    assert {row["kind"] for row in marked} == synthetic_kinds  # the queryable mark the pages and /api read
    assert len(marked) == 14  # 2 surveys, 1 CatNat sample, 9 diagnostics, the series and their dataset
    respondents = select(loaded["store"], """
        SELECT ?r ?territory WHERE { ?r a agrs:Respondent ; agrs:territory ?territory }""")  # fmt: skip
    pilots = {f"{ID}commune/{code}" for code in ("33063", "78440", "69123", "69266", "69259", "69029")}
    # 36 respondents of the pilot sample, 84 of the demonstration's survey (6 in each of its 14 communes)
    assert len(respondents) == 36 + 84 and pilots <= {row["territory"] for row in respondents}


def test_the_entailments_are_materialised(loaded):
    """`agrs reason` ran last: what no loader asserts (agrs:involves, the GeoSPARQL alignment) is in the graph."""
    with EmbeddedStore(loaded["store"], read_only=True) as store:
        inferred = {info.graph: info.triples for info in store.graphs()}.get("https://w3id.org/agrs/graph/inferred")
    assert inferred and inferred > 100_000
    # agrs:involves is the super-property of carriedBy, fundedBy…: no loader asserts it, the reasoner does.
    rows = select(loaded["store"], "SELECT (COUNT(*) AS ?n) WHERE { ?endeavour agrs:involves ?actor }")
    asserted = select(loaded["store"], """
        SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?endeavour agrs:involves ?actor }
            FILTER (!STRSTARTS(STR(?g), "https://w3id.org/agrs/graph/inferred")) }""")  # fmt: skip
    assert int(rows[0]["n"]) > int(asserted[0]["n"])
    bordeaux_in_france = select(loaded["store"], """
        SELECT ?g WHERE { GRAPH ?g { <https://w3id.org/agrs/id/commune/33063>
            <http://www.opengis.net/ont/geosparql#sfWithin> <https://w3id.org/agrs/id/pays/FR> } }""")  # fmt: skip
    graphs = [row["g"] for row in bordeaux_in_france]
    assert graphs and all("/graph/inferred/" in graph for graph in graphs)


def test_a_second_run_reports_every_source_unchanged(loaded):
    again = run_agrs("observatory", "--store", str(loaded["store"]), "--quarantine", str(loaded["quarantine"]))
    assert again.returncode == 0, again.stderr
    assert again.stdout.count("unchanged: ") == len(bundled_sources())
    assert "rollup" not in again.stdout  # nothing changed: the roll-up is not computed again
    assert "== reason" not in again.stdout  # nor the entailments


def test_missing_etalab_files_exit_2_naming_them(tmp_path):
    result = run_agrs("observatory", "--store", str(tmp_path / "store"), "--etalab", str(tmp_path))
    assert result.returncode == 2
    assert str(tmp_path / "communes.json") in result.stderr and "make setup" in result.stderr


def test_the_main_job_ends_serving_the_observatory(loaded, tmp_path):
    """`scripts/demo.sh` without --no-serve: the sources are unchanged, so it goes straight to serving."""
    import time
    import urllib.parse
    import urllib.request

    port = free_port()
    environment = {**os.environ, "AGRS_STORE": str(loaded["store"]), "AGRS_QUARANTINE": str(loaded["quarantine"]),
                   "AGRS_PORT": str(port)}  # fmt: skip
    environment.pop("AGRS_WRITE_TOKEN", None)
    log = tmp_path / "demo.log"
    with log.open("w") as output:
        demo = subprocess.Popen(["bash", "scripts/demo.sh"], cwd=REPO, env=environment, stdout=output, stderr=output,
                                start_new_session=True)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while True:
            assert demo.poll() is None, log.read_text()
            try:
                with urllib.request.urlopen(base + "/health", timeout=2) as answer:
                    health = json.loads(answer.read())
                    break
            except OSError:
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(1)
        assert health["triples"] > 400_000
        query = PREFIXES + "SELECT (COUNT(?c) AS ?n) WHERE { ?c agrs:hasLevel level:commune }"
        request = urllib.request.Request(
            base + "/sparql?" + urllib.parse.urlencode({"query": query}),
            headers={"Accept": "application/sparql-results+json"},
        )
        with urllib.request.urlopen(request, timeout=60) as answer:
            rows = json.loads(answer.read())["results"]["bindings"]
        assert rows[0]["n"]["value"] == str(sum(e["type"] == "commune-actuelle" for e in loaded["source"]["communes"]))
        page = urllib.request.Request(base + "/sparql", headers={"Accept": "text/html"})
        with urllib.request.urlopen(page, timeout=30) as answer:
            assert "yasgui" in answer.read().decode().lower()
        with urllib.request.urlopen(base + "/id/commune/33063", timeout=30) as answer:
            assert "Bordeaux" in answer.read().decode()
    finally:
        import signal

        os.killpg(demo.pid, signal.SIGTERM)
        demo.wait(timeout=60)
    assert "unchanged" in log.read_text()
