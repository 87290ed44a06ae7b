"""`agrs query`: listing, running a stored question read-only on a store, formats, pages, and exit 2 on bad input.

The questions are the small test library tests/data/questions/valid/ (via --questions), the store a real embedded
one filled with the five projects of test_questions.py.
"""

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_questions import BORDEAUX, GRAPH, ID, LYON, project_triples, write

from agrs.query_cli import query
from agrs.store import open_store

from conftest import run_agrs

QUESTIONS = Path(__file__).parent / "data" / "questions" / "valid"
INFERRED = "https://w3id.org/agrs/graph/inferred/test"


@pytest.fixture(scope="module")
def store_path(tmp_path_factory) -> Path:
    import pyoxigraph as ox

    path = tmp_path_factory.mktemp("query-cli") / "store"
    with open_store(path) as store:
        store.replace_graph(GRAPH, project_triples())
        extra = ox.NamedNode(ID + "project/inferred")
        store.replace_graph(INFERRED, [(extra, ox.NamedNode("https://w3id.org/agrs/territory"), ox.NamedNode(LYON))])
    return path


def agrs_query(*args: str):
    return CliRunner().invoke(query, ["--questions", str(QUESTIONS), *args], catch_exceptions=False)


def test_list_shows_every_question_in_english_and_french():
    result = agrs_query("--list")
    assert result.exit_code == 0
    for path in QUESTIONS.glob("*.rq"):
        assert path.stem in result.output
    assert "Projects located in a territory" in result.output and "Projets situés sur un territoire" in result.output
    listing = json.loads(agrs_query("--list", "--format", "json").output)
    assert {item["name"] for item in listing} == {path.stem for path in QUESTIONS.glob("*.rq")}
    (territory,) = next(item for item in listing if item["name"] == "projects-of-territory")["parameters"]
    assert territory == {"name": "territory", "type": "iri", "required": True, "default": BORDEAUX}


def test_a_question_runs_with_its_default_as_a_table(store_path):
    result = agrs_query("projects-of-territory", "--store", str(store_path))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["project", "label", "commons"]
    assert [line.split()[0] for line in lines[2:]] == ["id:project/p0", "id:project/p1", "id:project/p2"]


def test_params_and_csv(store_path):
    result = agrs_query("projects-of-territory", "--store", str(store_path), "--param", f"territory={LYON}",
                        "--format", "csv")  # fmt: skip
    assert result.exit_code == 0
    rows = list(csv.reader(io.StringIO(result.output)))
    assert rows[0] == ["project", "label", "commons"]
    assert [row[1] for row in rows[1:]] == ["projet 3", "projet 4"]


def test_json_is_sparql_results(store_path):
    result = agrs_query("count-by-type", "--store", str(store_path), "-p", "minimum=20", "--format", "json")
    document = json.loads(result.output)
    assert document["head"]["vars"] == ["territory", "projects"]
    counts = {b["territory"]["value"]: b["projects"]["value"] for b in document["results"]["bindings"]}
    assert counts == {BORDEAUX: "2", LYON: "1"}


def test_ask_prints_a_boolean(store_path):
    assert agrs_query("ask-and-subquery", "--store", str(store_path)).stdout.strip() == "true"


def test_limit_and_offset(store_path):
    result = agrs_query("projects-of-territory", "--store", str(store_path), "--limit", "1", "--offset", "1",
                        "--format", "csv")  # fmt: skip
    assert [row[1] for row in csv.reader(io.StringIO(result.output))][1:] == ["projet 1"]


def test_no_infer_leaves_the_inferred_graphs_out(store_path, tmp_path):
    write(tmp_path, "located", "SELECT ?p WHERE { ?p agrs:territory ?_territory_iri }\n")

    def count(*extra):
        result = CliRunner().invoke(query, ["--questions", str(tmp_path), "located", "--store", str(store_path),
                                            "-p", f"territory={LYON}", "--format", "json", *extra])  # fmt: skip
        return len(json.loads(result.output)["results"]["bindings"])

    assert (count(), count("--no-infer")) == (3, 2)


def test_show_sparql_binds_without_running():
    result = agrs_query("projects-of-territory", "--show-sparql", "-p", f"territory={LYON}")
    assert result.exit_code == 0 and f"VALUES ?_territory_iri {{ <{LYON}> }}" in result.output


def test_describe_lists_the_parameters():
    result = agrs_query("count-by-type", "--describe")
    assert "--param minimum=" in result.output and "integer, required, default 1" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["projects-of-territry"], "did you mean projects-of-territory"),
        (["nothing-like-it"], "agrs query --list"),
        ([], "give a question NAME"),
        (["projects-of-territory", "-p", "territory=x> } ; DROP ALL ; #"], "not an absolute IRI"),
        (["projects-of-territory", "-p", "region=x"], "no parameter 'region'"),
        (["projects-of-territory", "-p", "territory"], "NAME=VALUE"),
        (["projects-of-territory", "-p", f"territory={LYON}", "-p", f"territory={LYON}"], "given twice"),
        (["construct-template"], "needs a value for: territory"),
        (["count-by-type", "-p", "minimum=many"], "not an integer"),
    ],
)
def test_bad_input_exits_2_with_a_message(store_path, args, message):
    result = agrs_query(*args, "--store", str(store_path))
    assert result.exit_code == 2
    assert message in result.stderr


def test_a_missing_store_exits_2(tmp_path):
    result = agrs_query("projects-of-territory", "--store", str(tmp_path / "none"))
    assert result.exit_code == 2 and "no store" in result.stderr


def test_a_broken_library_exits_2(tmp_path):
    (tmp_path / "broken.rq").write_text("SELECT * WHERE { ?s ?p ?o }\n")
    result = CliRunner().invoke(query, ["--questions", str(tmp_path), "--list"])
    assert result.exit_code == 2 and "broken.rq:1:" in result.stderr


def test_the_command_reads_a_store_another_process_holds_for_writing(store_path):
    """What a user does while `agrs serve` runs: the store is opened read-only, the writer keeps it."""
    with open_store(store_path) as writer:
        assert writer.graphs()
        done = run_agrs("query", "--questions", str(QUESTIONS), "projects-of-territory", "--store", str(store_path),
                        "--format", "csv", timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[1].startswith(f"{ID}project/p0,projet 0,")


def test_the_real_library_lists():
    done = run_agrs("query", "--list", "--format", "json", timeout=120)
    assert done.returncode == 0, done.stderr
    names = {item["name"] for item in json.loads(done.stdout)}
    assert names == {path.stem for path in (Path(__file__).parent.parent / "queries" / "cq").glob("*.rq")}
    assert names, "queries/cq/*.rq: no stored question yet"
