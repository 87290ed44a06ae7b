"""The serving targets of issue 13, measured in one run: overhead, throughput, caching, pages, VoID, default graph.

On a store (a copy of `--store DIR`, e.g. one holding the bundled observatory or a size-S demo; else a synthetic
one of `--communes` communes × 5 indicators × 5 years), side by side on loopback:
  agrs         `agrs serve` (queries in killable workers reading checkpoints, pages in threads on a checkpoint);
  bare         a bare Flask + waitress + pyoxigraph app (written here: queries in the request threads, on a
               read-only open of a checkpoint, the same default graph as agrs);
  oxigraph     Oxigraph server (`pip install oxigraph`: the `oxigraph` binary), on its own copy, if installed;
  rdflib-ep    rdflib-endpoint on an N-Triples sample of the union (`--rdflib-sample` triples), if installed;
and in-process pyoxigraph for the overhead. Figures:
  - latency medians of small questions (`ASK {}`, a point lookup) and the overhead over in-process pyoxigraph;
  - throughput (requests/s) with `--clients` concurrent keep-alive clients, and its ratios to Oxigraph and bare;
  - a conditional GET (If-None-Match → 304) against the full answer;
  - pages (a commune, hubs: a département, a région, France; first page), VoID: medians, warm;
  - the default graph (no dataset named) against one graph, in-process, for an aggregate.

    .venv/bin/python benchmarks/serving_targets.py [--quick] [--store DIR] [--runs N] [--seconds S] [--clients C]

`--quick`: a small synthetic store, few runs, short throughput windows (a smoke run, about a minute).
"""

import argparse
import http.client
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from serving import free_port, median_ms, start_server
from suite import output_flags, publish, write_json

REPO = Path(__file__).resolve().parent.parent
AGRS = "https://w3id.org/agrs/"
ID = AGRS + "id/"
UNION = AGRS + "graph/union"
UNION_INFERRED = AGRS + "graph/union-inferred"
POINT = f"SELECT ?p ?o WHERE {{ <{ID}commune/35238> ?p ?o }}"
SMALL = {"ask": "ASK {}", "point": POINT}
AGGREGATE = (
    f"PREFIX agrs: <{AGRS}> SELECT ?d (SUM(?v) AS ?total) WHERE {{ ?o agrs:territory ?c ; agrs:value ?v . "
    "?c agrs:directlyWithin ?d } GROUP BY ?d"
)
PAGES = {
    "commune": "/id/commune/35238",
    "département (hub)": "/id/departement/35",
    "région (hub)": "/id/region/53",
    "France (hub)": "/id/pays/FR",
}

BARE_APP = """
import sys
import pyoxigraph as ox
import waitress
from flask import Flask, Response, request

store = ox.Store.read_only(sys.argv[1])
default = [ox.NamedNode(name) for name in sys.argv[3].split(",")]
app = Flask("bare")


@app.get("/sparql")
def sparql():
    result = store.query(request.args["query"], default_graph=default)
    if isinstance(result, ox.QueryBoolean) or hasattr(result, "variables"):
        body = result.serialize(format=ox.QueryResultsFormat.JSON)
        return Response(body, content_type="application/sparql-results+json")
    return Response(result.serialize(format=ox.RdfFormat.N_TRIPLES), content_type="application/n-triples")


@app.get("/health")
def health():
    return "ok"


waitress.serve(app, host="127.0.0.1", port=int(sys.argv[2]), threads=8, _quiet=True)
"""


# --- the store -----------------------------------------------------------------------------------------------------


def synthetic(folder: Path, communes: int) -> None:
    """Fill a new store: communes in départements and a région and France, 5 indicators × 5 years of observations."""
    import pyoxigraph as ox

    from agrs.graphs import graph_iri
    from agrs.store import open_store

    def node(rest: str) -> ox.NamedNode:
        return ox.NamedNode(ID + rest)

    p = {name: ox.NamedNode(AGRS + name) for name in ("directlyWithin", "within", "territory", "indicator", "value",
                                                      "period", "inLevel", "legalPopulation")}  # fmt: skip
    label = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
    kind = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")

    def territories():
        yield node("pays/FR"), label, ox.Literal("France", language="fr")
        yield node("region/53"), p["directlyWithin"], node("pays/FR")
        for d in range(100):
            yield node(f"departement/{d:02}"), p["directlyWithin"], node("region/53")
            yield node(f"departement/{d:02}"), label, ox.Literal(f"Département {d}", language="fr")
        for i in range(communes):
            code = f"{35000 + i * 7 % 60000 if i else 35238:05}"
            commune = node(f"commune/{code}")
            department = node("departement/35") if i % 100 == 35 or not i else node(f"departement/{i % 100:02}")
            yield commune, kind, ox.NamedNode(AGRS + "Territory")
            yield commune, label, ox.Literal(f"Commune {code}", language="fr")
            yield commune, p["inLevel"], ox.NamedNode(AGRS + "level/commune")
            yield commune, p["directlyWithin"], department
            for parent in (department, node("region/53"), node("pays/FR")):
                yield commune, p["within"], parent
            yield commune, p["legalPopulation"], ox.Literal(str(100 + i * 37 % 50000), datatype=XSD_INTEGER)

    def observations():
        for i in range(communes):
            code = f"{35000 + i * 7 % 60000 if i else 35238:05}"
            for k in range(5):
                for year in range(2019, 2024):
                    observation = node(f"obs/{code}/{k}/{year}")
                    yield observation, p["territory"], node(f"commune/{code}")
                    yield observation, p["indicator"], node(f"indicator/i{k}")
                    yield observation, p["period"], ox.Literal(str(year))
                    yield observation, p["value"], ox.Literal(str((i + k * year) % 1000), datatype=XSD_INTEGER)

    with open_store(folder) as store:
        store.replace_graph(graph_iri("territories", "bench"), territories())
        store.replace_graph(graph_iri("indicators", "bench"), observations())


XSD_INTEGER = None  # set in main (pyoxigraph imported lazily)


def checkpoint(source: Path, target: Path) -> Path:
    """A copy of the store at `source` for another server: a RocksDB checkpoint (hard links)."""
    import pyoxigraph as ox

    store = ox.Store(str(source))
    store.backup(str(target))
    del store
    return target


def export_sample(source: Path, target: Path, limit: int) -> int:
    """Write up to `limit` triples of the union graph of `source` as N-Triples (for rdflib-endpoint)."""
    import pyoxigraph as ox

    store = ox.Store.read_only(str(source))
    quads = store.quads_for_pattern(None, None, None, ox.NamedNode(UNION))
    count = 0
    with target.open("wb") as out:
        for quad in quads:
            out.write(f"{quad.subject} {quad.predicate} {quad.object} .\n".encode())
            count += 1
            if count >= limit:
                break
    return count


# --- servers -------------------------------------------------------------------------------------------------------


def wait_ready(port: int, path: str, process: subprocess.Popen, seconds: float = 120) -> None:
    """Wait until `GET path` answers on `port` (any status below 500)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited {process.returncode}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", path)
            if connection.getresponse().status < 500:
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"no answer on port {port} within {seconds:.0f} s")


class Client:
    """One kept-alive HTTP connection; `get(path)` returns (status, body)."""

    def __init__(self, port: int, headers: dict | None = None):
        self.port = port
        self.headers = {"Accept": "application/sparql-results+json", **(headers or {})}
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def get(self, path: str, headers: dict | None = None) -> tuple[int, bytes, dict]:
        """GET `path`; reconnect once if the server closed the connection."""
        for attempt in range(2):
            try:
                self.connection.request("GET", path, headers={**self.headers, **(headers or {})})
                answer = self.connection.getresponse()
                return answer.status, answer.read(), {k.lower(): v for k, v in answer.getheaders()}
            except (http.client.HTTPException, OSError):
                self.connection.close()
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
                if attempt:
                    raise
        raise AssertionError("unreachable")


def query_path(sparql: str, prefix: str = "/sparql") -> str:
    """The GET path of a SPARQL query."""
    return prefix + "?" + urllib.parse.urlencode({"query": sparql})


def throughput(port: int, path: str, clients: int, seconds: float, unique: bool = True) -> float:
    """Requests per second answered 200 by `clients` threads, each with its own kept-alive connection.

    `unique`: each request gets its own `&n=<i>` (ignored by every endpoint), so no answer cache can serve it."""
    counts = [0] * clients
    stop = threading.Event()

    def run(index: int) -> None:
        client = Client(port)
        number = 0
        while not stop.is_set():
            number += 1
            status, _, _ = client.get(f"{path}&n={index}-{number}" if unique else path)
            if status == 200:
                counts[index] += 1

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    time.sleep(seconds * 0.2)  # warm-up, not counted
    start, before = time.perf_counter(), sum(counts)
    time.sleep(seconds)
    done, elapsed = sum(counts) - before, time.perf_counter() - start
    stop.set()
    for thread in threads:
        thread.join(30)
    return done / elapsed


# --- the run -------------------------------------------------------------------------------------------------------


def measure(options) -> list[str]:
    """Run every measurement; return the report's lines."""
    import pyoxigraph as ox

    global XSD_INTEGER
    XSD_INTEGER = ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")
    lines: list[str] = []
    targets = options.targets
    scratch = Path(tempfile.mkdtemp(prefix="agrs-serving-targets-"))
    processes: list[subprocess.Popen] = []
    try:
        store = scratch / "store"
        if options.store:
            checkpoint(Path(options.store), store)
            source = f"a copy of {options.store}"
        else:
            started = time.perf_counter()
            synthetic(store, options.communes)
            elapsed = time.perf_counter() - started
            source = f"synthetic: {options.communes:,} communes × 5 indicators × 5 years ({elapsed:.0f} s)"
        triples = sum(
            1 for _ in ox.Store.read_only(str(store)).quads_for_pattern(None, None, None, ox.NamedNode(UNION))
        )
        lines += [f"Store: {source}; {triples:,} triples in the union graph.", ""]
        bare_copy = checkpoint(store, scratch / "bare")
        oxigraph_copy = checkpoint(store, scratch / "oxigraph")

        ports = {}
        ports["agrs"] = free_port()
        processes.append(start_server(store, ports["agrs"], scratch / "agrs.log", wait=180))
        ports["bare"] = free_port()
        script = scratch / "bare_app.py"
        script.write_text(textwrap.dedent(BARE_APP))
        default = f"{UNION},{UNION_INFERRED}"
        bare = subprocess.Popen([sys.executable, str(script), str(bare_copy), str(ports["bare"]), default],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        processes.append(bare)
        wait_ready(ports["bare"], "/health", bare)
        oxigraph_binary = shutil.which("oxigraph") or shutil.which("oxigraph", path=str(Path(sys.executable).parent))
        if oxigraph_binary:
            ports["oxigraph"] = free_port()
            server = subprocess.Popen([oxigraph_binary, "serve", "--location", str(oxigraph_copy), "--bind",
                                       f"127.0.0.1:{ports['oxigraph']}"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
            processes.append(server)
            wait_ready(ports["oxigraph"], "/query?query=ASK%7B%7D", server)
        endpoint = shutil.which("rdflib-endpoint", path=str(Path(sys.executable).parent))
        if endpoint:
            sample = scratch / "sample.nt"
            export_sample(store, sample, options.rdflib_sample)
            ports["rdflib-ep"] = free_port()
            server = subprocess.Popen([endpoint, "serve", str(sample), "--host", "127.0.0.1", "--port",
                                       str(ports["rdflib-ep"])],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
            processes.append(server)
            wait_ready(ports["rdflib-ep"], "/sparql?query=ASK%7B%7D", server, seconds=300)
        paths = {"oxigraph": "/query", "rdflib-ep": "/"}

        # Latency of small questions, and the overhead over in-process pyoxigraph.
        local = ox.Store.read_only(str(bare_copy))
        graphs = [ox.NamedNode(UNION), ox.NamedNode(UNION_INFERRED)]
        lines += ["### Small questions: latency (median ms, one kept-alive client)", ""]
        names = list(ports)
        lines += ["| question | in-process | " + " | ".join(names) + " | agrs − in-process |",
                  "|---|---:|" + "---:|" * len(names) + "---:|"]  # fmt: skip
        overhead = {}
        for name, sparql in SMALL.items():

            def in_process(sparql=sparql):
                return local.query(sparql, default_graph=graphs).serialize(format=ox.QueryResultsFormat.JSON)

            inproc, _ = median_ms(in_process, options.runs, warmups=3)
            row = {}
            for server, port in ports.items():
                client = Client(port)
                path = query_path(sparql, paths.get(server, "/sparql"))
                unique = iter(range(10**9))

                def ask(client=client, path=path, unique=unique):
                    return client.get(f"{path}&n={next(unique)}")  # unique: no answer cache helps

                row[server], (status, _, _) = median_ms(ask, options.runs, warmups=3)
                if status != 200:
                    row[server] = float("nan")
            overhead[name] = row["agrs"] - inproc
            lines.append(f"| `{name}` | {inproc:.2f} | " + " | ".join(f"{row[s]:.2f}" for s in names)
                         + f" | {overhead[name]:+.2f} |")  # fmt: skip
        lines += ["", "Target: agrs − in-process ≤ 1.5 ms.", ""]
        targets.append(_target("small question (ASK {}): added over in-process pyoxigraph", "≤ 1.5 ms",
                               overhead["ask"], 1.5, "ms", lower=True))  # fmt: skip

        # Throughput with concurrent clients.
        lines += [f"### Throughput, small questions ({options.clients} concurrent clients, {options.seconds:g} s)", ""]
        lines += ["Each request unique (`&n=<i>`: no answer cache helps); last column: agrs answering the same URL "
                  "again (its answer cache).", ""]  # fmt: skip
        lines += ["| question | " + " | ".join(f"{s} req/s" for s in names)
                  + " | agrs/oxigraph | agrs/bare | agrs repeated req/s |",
                  "|---|" + "---:|" * len(names) + "---:|---:|---:|"]  # fmt: skip
        for name, sparql in SMALL.items():
            rates = {s: throughput(p, query_path(sparql, paths.get(s, "/sparql")), options.clients, options.seconds)
                     for s, p in ports.items()}  # fmt: skip
            repeated = throughput(ports["agrs"], query_path(sparql), options.clients, options.seconds, unique=False)
            vs_oxigraph = rates["agrs"] / rates["oxigraph"] if "oxigraph" in rates else float("nan")
            vs_bare = rates["agrs"] / rates["bare"]
            lines.append(f"| `{name}` | " + " | ".join(f"{rates[s]:.0f}" for s in names)
                         + f" | {vs_oxigraph:.2f} | {vs_bare:.2f} | {repeated:.0f} |")  # fmt: skip
            targets.append(_ratio_target(f"throughput `{name}`: agrs / Oxigraph server", 0.5, vs_oxigraph))
            targets.append(_ratio_target(f"throughput `{name}`: agrs / bare Flask+waitress+pyoxigraph", 0.9, vs_bare))
            if "rdflib-ep" in rates:
                targets.append(_ratio_target(f"throughput `{name}`: agrs / rdflib-endpoint", 1.0,
                                             rates["agrs"] / rates["rdflib-ep"]))  # fmt: skip
        lines += ["", "Targets: agrs/oxigraph ≥ 0.5, agrs/bare ≥ 0.9, agrs ≥ rdflib-endpoint "
                  f"(rdflib-endpoint holds a sample of {options.rdflib_sample:,} triples).", ""]  # fmt: skip

        # Caching: a revalidation against the full answer.
        client = Client(ports["agrs"])
        path = query_path(POINT)
        full, (status, _, headers) = median_ms(lambda: client.get(path), options.runs, warmups=2)
        tag = headers.get("etag")
        revalidated, (status304, _, _) = median_ms(lambda: client.get(path, {"If-None-Match": tag or ""}),
                                                   options.runs, warmups=1)  # fmt: skip
        lines += ["### Caching", "",
                  f"Point lookup: 200 in {full:.2f} ms (ETag {tag}, Cache-Control {headers.get('cache-control')}); "
                  f"If-None-Match → {status304} in {revalidated:.2f} ms.", ""]  # fmt: skip
        design = "read-only query workers: safe and fast design"
        targets.append({"target": design, "threshold": "measured, design named",
                        "measured": "checkpoint per write; one-pattern questions in the request thread",
                        "ratio": None, "met": True,
                        "note": "readers open RocksDB checkpoints, never the store being written"})  # fmt: skip
        targets.append({"target": "answers cacheable: ETag, If-None-Match → 304", "threshold": "304",
                        "measured": f"{status304} in {revalidated:.2f} ms", "ratio": None,
                        "met": bool(tag) and status304 == 304, "note": "point lookup through /sparql"})  # fmt: skip

        # Pages and VoID.
        lines += ["### Pages and VoID (median ms, warm)", "",
                  "Rendered: each request made unique (`?n=<i>`), so the page is rendered again; "
                  "repeated: the same URL again (the server keeps the answers of the current store version).", "",
                  "| page | status | rendered ms | repeated ms | bytes | target |",
                  "|---|---:|---:|---:|---:|---|"]  # fmt: skip
        html = Client(ports["agrs"], {"Accept": "text/html"})
        for name, page in PAGES.items():
            unique = iter(range(10**9))

            def render(page=page, unique=unique):
                return html.get(f"{page}?n={next(unique)}")

            rendered, (status, body, _) = median_ms(render, options.runs, warmups=2)
            repeated, _ = median_ms(lambda page=page: html.get(page), options.runs, warmups=2)
            target = "< 50 ms" if name == "commune" else "< 200 ms"
            lines.append(f"| {name} `{page}` | {status} | {rendered:.1f} | {repeated:.1f} | {len(body):,} | {target} |")
            limit = 50.0 if name == "commune" else 200.0
            targets.append(_target(f"linked-data page, {name}, median warm (rendered)", target, rendered, limit, "ms",
                                   lower=True))  # fmt: skip
        turtle = Client(ports["agrs"], {"Accept": "text/turtle"})
        elapsed, (status, body, _) = median_ms(lambda: turtle.get("/.well-known/void"), options.runs, warmups=2)
        lines += [f"| VoID `/.well-known/void` | {status} | — | {elapsed:.1f} | {len(body):,} | < 200 ms |", ""]
        targets.append(_target("VoID", "< 200 ms", elapsed, 200.0, "ms", lower=True))

        # The default graph against one graph, in process.
        registry = (f"SELECT ?graph ?version WHERE {{ GRAPH <{AGRS}graph/registry> "
                    f"{{ ?graph <{AGRS}currentVersion> ?version }} }}")  # fmt: skip
        versions = {row["graph"].value: row["version"].value for row in local.query(registry)}
        from agrs.store.registry import is_version_iri

        plain = [g for g in local.named_graphs() if isinstance(g, ox.NamedNode) and not is_version_iri(g.value)
                 and g.value not in (UNION, UNION_INFERRED)]  # fmt: skip
        runs = max(3, options.runs // 5)
        cases = {
            "union only": [ox.NamedNode(UNION)],
            "union + union-inferred (infer)": graphs,
            "what a query naming no dataset reads": graphs + plain,
        }
        lines += ["### Default graph cost (in-process aggregate per département, median ms)", "",
                  "| default graph | graphs | ms | ratio to union only |", "|---|---:|---:|---:|"]  # fmt: skip
        base = None
        for name, default_graph in cases.items():
            elapsed, _ = median_ms(lambda dg=default_graph: local.query(AGGREGATE, default_graph=dg).serialize(
                format=ox.QueryResultsFormat.JSON), runs, warmups=1)  # fmt: skip
            base = base or elapsed
            lines.append(f"| {name} | {len(default_graph)} | {elapsed:.1f} | {elapsed / base:.2f} |")
        targets.append({"target": "a query naming no dataset costs what one graph costs", "threshold": "≈ 1×",
                        "measured": f"{elapsed / base:.2f}× the union graph alone", "ratio": round(elapsed / base, 2),
                        "met": elapsed / base <= 1.2, "note": "in-process aggregate per département"})  # fmt: skip
        lines += ["", f"(store versions: {len(versions)}; plain graphs: {len(plain)})", ""]
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(scratch, ignore_errors=True)
    return lines


def _target(name: str, threshold: str, measured: float, limit: float, unit: str, *, lower: bool) -> dict:
    """Return a row of the targets table (benchmarks/targets.py) for a figure that must stay under `limit`."""
    met = measured <= limit if lower else measured >= limit
    return {"target": name, "threshold": threshold, "measured": f"{measured:.2f} {unit}",
            "ratio": round(measured / limit, 3), "met": met, "note": ""}  # fmt: skip


def _ratio_target(name: str, minimum: float, ratio: float) -> dict:
    """Return a row of the targets table for a ratio that must reach `minimum`."""
    return {"target": name, "threshold": f"≥ {minimum:g}×", "measured": f"{ratio:.2f}×", "ratio": round(ratio, 3),
            "met": ratio >= minimum, "note": ""}  # fmt: skip


def main() -> None:
    """Parse the options, run, print the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small synthetic store, few runs (a smoke run)")
    parser.add_argument("--store", help="measure on a copy of this store (else a synthetic one)")
    parser.add_argument("--communes", type=int, default=9_700)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--rdflib-sample", type=int, default=100_000)
    output_flags(parser)
    options = parser.parse_args()
    options.targets = []
    if options.quick:
        options.communes, options.runs, options.seconds, options.rdflib_sample = 400, 15, 2.0, 5_000
    import pyoxigraph

    header = [
        "## Serving targets (benchmarks/serving_targets.py)", "",
        f"{time.strftime('%Y-%m-%d')}, Python {platform.python_version()}, pyoxigraph {pyoxigraph.__version__}, "
        f"{platform.machine()} with {os.cpu_count()} CPUs; medians of {options.runs} runs", "",
    ]  # fmt: skip
    lines = measure(options)
    print("\n".join(header + lines))
    publish(options, "Serving targets (benchmarks/serving_targets.py)", "\n".join(header[2:] + lines))
    if not options.quick:
        write_json("serving_targets", {"targets": options.targets})


if __name__ == "__main__":
    main()
