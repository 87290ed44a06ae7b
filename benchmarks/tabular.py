"""The tabular reader against its baselines and the libraries it could have used: encodings and workbooks.

Encodings, on the test corpus (every CSV, text and JSON fixture of tests/data/loaders, their UTF-16 twins, a
Latin-1 file, the files that must be refused) and on the bundled population file (1.8 MB): the loaders' old
`decode` (UTF-8, else Windows-1252: the baseline), `agrs.loaders.tabular.decode`, and charset-normalizer's best
guess. Correct = the text the file holds, or an error for the files no reader may accept.

Workbooks, each read in a child process limited to 1.5 GB of address space and 60 s (peak RSS as the child
reports it, Python included): openpyxl's normal mode (the partners and XLSForm readers' old way: the baseline),
openpyxl's read-only mode with the declared dimension (the indicators and survey readers' old way),
`agrs.loaders.tabular.Workbook` (read-only, dimension dropped), and python-calamine. Files: a generated
20,000 × 10 sheet, the far-cell workbook (one stray cell at XFD1048576, 5 KB), the bundled questionnaire.

    .venv/bin/python benchmarks/tabular.py [--runs 5] [--append]

charset-normalizer and python-calamine are measured when installed (`pip install charset-normalizer
python-calamine`); the project depends on neither. `--append` adds the tables to benchmarks/RESULTS.md.
"""

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "benchmarks" / "RESULTS.md"
FIXTURES = REPO / "tests" / "data" / "loaders"
POPULATION = REPO / "data" / "indicators" / "population-2026.csv"
FORM = REPO / "data" / "survey" / "questionnaire.xlsx"
MEMORY_LIMIT, TIMEOUT = 1_500_000_000, 60
ERROR = "error"  # the expected outcome of a file no reader may accept


# --- Encodings -------------------------------------------------------------------------------------------


def baseline_decode(data: bytes) -> str:
    """The loaders' decode before the tabular reader: UTF-8 (BOM dropped), else Windows-1252."""
    try:
        return data.removeprefix(b"\xef\xbb\xbf").decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252")


def reader_decode(data: bytes) -> str:
    """The tabular reader's decode (UTF-8, UTF-16, else Windows-1252)."""
    from agrs.loaders.tabular import decode

    return decode(data)


def charset_normalizer_decode(data: bytes) -> str:
    """charset-normalizer's best guess, as its documentation shows it (`from_bytes(...).best()`)."""
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise ValueError("no encoding found")
    return str(best)


DECODERS: dict[str, Callable[[bytes], str]] = {
    "old decode (UTF-8, else cp1252)": baseline_decode,
    "tabular.decode": reader_decode,
    "charset-normalizer best()": charset_normalizer_decode,
}


def corpus(folder: Path) -> list[tuple[str, bytes, str]]:
    """Return (name, bytes, expected text or ERROR) for every text fixture, its UTF-16 twins and hostile files."""
    cases = []
    for path in sorted([*FIXTURES.rglob("*.csv"), *FIXTURES.rglob("*.txt"), *FIXTURES.rglob("*.json")]):
        if "expected" in path.parts or path.parent.name == "territories" or "territories" in path.parts:
            continue  # expected outputs; the territories' files are UTF-8 only by that loader's choice
        data = path.read_bytes()
        name = str(path.relative_to(FIXTURES))
        if "undecodable" in path.name or path.name.startswith("encoding--"):
            cases.append((name, data, ERROR))
            continue
        truth = data.decode("cp1252") if "cp1252" in path.name else data.decode("utf-8-sig")
        cases.append((name, data, truth))
        if path.suffix == ".csv":
            for codec, bom in (("utf-16-le", True), ("utf-16-be", True), ("utf-16-le", False), ("utf-16-be", False)):
                twin = ("\ufeff" if bom else "").encode(codec) + truth.encode(codec)
                cases.append((f"{name} as {codec}{' +BOM' if bom else ''}", twin, truth))
    latin = "id;nom\nile;Île-de-France, août, cœur ouvert à l'été\n".replace("œ", "oe")
    cases.append(("latin-1 text", latin.encode("latin-1"), latin))
    cases.append(("bytes undefined in cp1252 (0x81, 0x8D)", b"id;nom\nx;1\x81\x8d\n", ERROR))
    return cases


def outcome(decoder: Callable[[bytes], str], data: bytes) -> str:
    """Return the decoded text, or ERROR when the decoder refuses the bytes."""
    try:
        return decoder(data)
    except ValueError:  # UnicodeDecodeError and Undecodable are ValueErrors
        return ERROR


def bench_encodings(runs: int, folder: Path) -> tuple[str, list[str]]:
    """Return the encodings table and the names of the files each decoder got wrong."""
    cases = corpus(folder)
    big = POPULATION.read_bytes()
    rows, wrong_notes = [], []
    base_corpus = base_big = None
    for label, decoder in DECODERS.items():
        try:
            outcome(decoder, b"x")
        except ImportError:
            rows.append(f"| {label} | not installed | | | | | |")
            continue
        wrong = [name for name, data, truth in cases if outcome(decoder, data) != truth]
        corpus_s = median_time(lambda decoder=decoder: [outcome(decoder, data) for _, data, _ in cases], runs)
        big_s = median_time(lambda decoder=decoder: outcome(decoder, big), runs)
        base_corpus, base_big = base_corpus or corpus_s, base_big or big_s
        rows.append(
            f"| {label} | {len(cases) - len(wrong)}/{len(cases)} | {corpus_s * 1000:.1f} | "
            f"{base_corpus / corpus_s:.2f}× | {big_s * 1000:.1f} | {base_big / big_s:.2f}× | {len(wrong)} |"
        )
        twins = [name for name in wrong if " as utf-16" in name]
        shown = [name for name in wrong if name not in twins] + ([f"{len(twins)} UTF-16 twins"] if twins else [])
        wrong_notes.append(f"- {label}: {', '.join(shown) if shown else 'none'}")
    header = ("| decoder | correct | corpus median ms | × old | population-2026.csv (1.8 MB) median ms | × old "
              "| wrong |\n|---|---:|---:|---:|---:|---:|---:|")  # fmt: skip
    return header + "\n" + "\n".join(rows), wrong_notes


def median_time(action: Callable[[], object], runs: int) -> float:
    """Run an action `runs` times; return the median wall time in seconds."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


# --- Workbooks -------------------------------------------------------------------------------------------


def read_openpyxl_normal(path: Path) -> list[list[str]]:
    """The old partners/XLSForm way: the whole workbook in memory, rows over the sheet's extent."""
    import openpyxl

    from agrs.loaders.tabular import cell_text

    sheet = openpyxl.load_workbook(path, data_only=True).worksheets[0]
    return [[cell_text(cell.value) for cell in row] for row in sheet.iter_rows()]


def read_openpyxl_read_only(path: Path) -> list[list[str]]:
    """The old indicators/survey way: read-only, rows padded to the declared dimension."""
    import openpyxl

    from agrs.loaders.tabular import cell_text

    book = openpyxl.load_workbook(path, data_only=True, read_only=True)
    try:
        return [[cell_text(value) for value in row] for row in book.worksheets[0].iter_rows(values_only=True)]
    finally:
        book.close()


def read_tabular(path: Path) -> list[list[str]]:
    """The tabular reader: read-only, dimension dropped, rows as their cells exist."""
    from agrs.loaders.tabular import Workbook

    with Workbook(path) as book:
        return [row.cells for row in book.rows(book.first_visible())]


def read_calamine(path: Path) -> list[list[str]]:
    """python-calamine (Rust): the first sheet's rows."""
    from python_calamine import CalamineWorkbook

    from agrs.loaders.tabular import cell_text

    sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
    return [[cell_text(value) for value in row] for row in sheet.iter_rows()]


READERS: dict[str, Callable[[Path], list[list[str]]]] = {
    "openpyxl normal (old partners, XLSForm)": read_openpyxl_normal,
    "openpyxl read-only + dimension (old indicators, survey)": read_openpyxl_read_only,
    "tabular.Workbook (read-only, dimension dropped)": read_tabular,
    "python-calamine": read_calamine,
}


def child(reader: str, path: str) -> None:
    """In the child: limit the address space, read the file, print rows, cells, seconds and peak RSS as JSON."""
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    import openpyxl  # noqa: F401 - imported before the clock starts, as a loader process has it

    try:
        import python_calamine  # noqa: F401
    except ImportError:
        pass
    start = time.perf_counter()
    rows = READERS[reader](Path(path))
    seconds = time.perf_counter() - start
    # Trailing empty cells cut: readers differ in padding, not in what the rows hold.
    content = [row[: max((i + 1 for i, cell in enumerate(row) if cell), default=0)] for row in rows]
    content = [row for row in content if row]
    print(json.dumps({"seconds": seconds, "rows": len(content), "cells": sum(len(row) for row in content),
                      "rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "digest": hash(json.dumps(content))}))  # fmt: skip


def run_child(reader: str, path: Path) -> dict:
    """Run one read in a child process; its report, or what stopped it."""
    try:
        done = subprocess.run([sys.executable, __file__, "--child", reader, str(path)], capture_output=True,
                              text=True, timeout=TIMEOUT, env={**os.environ, "PYTHONHASHSEED": "0"})  # fmt: skip
    except subprocess.TimeoutExpired:
        return {"failed": f"killed after {TIMEOUT} s"}
    if done.returncode != 0:
        if "ModuleNotFoundError" in done.stderr:
            return {"failed": "not installed"}
        last = [line for line in done.stderr.splitlines() if line.strip()]
        reason = next((line for line in last if "memory allocation" in line), last[-1] if last else "")
        return {"failed": f"exit {done.returncode}: {reason[:90]}"}
    return json.loads(done.stdout)


def generated_workbook(folder: Path, rows: int = 20_000) -> Path:
    """Write a sheet of `rows` partners-like rows × 10 columns (text, numbers, dates, empty cells)."""
    import datetime

    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("partners")
    sheet.append(["id", "name", "kind", "siren", "territory", "roles", "source", "since", "share", "note"])
    for number in range(rows):
        sheet.append([f"org-{number}", f"Organisation {number}", "association", 213300635 + number, "33063",
                      "partner@project/x", "seed-004", datetime.date(2020, 1, 1 + number % 28), number / 7,
                      None if number % 3 else "une note"])  # fmt: skip
    path = folder / "generated-20000.xlsx"
    book.save(path)
    return path


def far_cell_workbook(folder: Path) -> Path:
    """Write the hostile workbook: a header, two rows, and one cell at XFD1048576."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "partners"
    for row in (["id", "name"], ["asso-une", "Association une"], ["asso-deux", "Association deux"]):
        sheet.append(row)
    sheet["XFD1048576"] = "égaré"
    path = folder / "far-cell.xlsx"
    book.save(path)
    return path


def bench_workbooks(runs: int, folder: Path) -> str:
    """Return the workbooks table: median time, peak RSS, rows and whether they agree with the baseline."""
    files = [generated_workbook(folder), far_cell_workbook(folder), FORM]
    lines = ["| file | reader | median s | × baseline | peak RSS MB | rows | same content as baseline |",
             "|---|---|---:|---:|---:|---:|---|"]  # fmt: skip
    for path in files:
        base_seconds = reference = None  # the baseline's time; the first finished reader's content
        size = f"{path.name} ({path.stat().st_size / 1024:,.0f} KB)"
        for index, label in enumerate(READERS):
            reports = []
            for _ in range(runs):
                reports.append(run_child(label, path))
                if "failed" in reports[-1]:
                    break  # a crash or a timeout is not worth repeating
            last = reports[-1]
            if "failed" in last:
                lines.append(f"| {size} | {label} | | | | | {last['failed']} |")
                continue
            seconds = statistics.median(report["seconds"] for report in reports)
            rss = max(report["rss"] for report in reports)
            if index == 0:
                base_seconds = seconds
            reference = reference or (label, last["digest"])
            ratio = f"{base_seconds / seconds:.2f}×" if base_seconds else ""
            same = "yes" if last["digest"] == reference[1] else "no"
            if index and reference[0] != next(iter(READERS)):
                same += f" (as {reference[0].split(' (')[0]})"
            lines.append(f"| {size} | {label} | {seconds:.3f} | {ratio} | {rss:,.0f} | {last['rows']:,} | {same} |")
    return "\n".join(lines)


def environment(runs: int) -> str:
    """Describe the machine and versions the figures come from."""
    from importlib.metadata import PackageNotFoundError, version

    versions = [f"Python {platform.python_version()}"]
    for package in ("openpyxl", "charset-normalizer", "python-calamine"):
        try:
            versions.append(f"{package} {version(package)}")
        except PackageNotFoundError:
            versions.append(f"{package} not installed")
    return (f"{date.today().isoformat()}, {', '.join(versions)}, {platform.machine()} with {os.cpu_count()} CPUs; "
            f"medians of {runs} runs")  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    """Run both benchmarks; print the section (and append it to RESULTS.md with --append)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--append", action="store_true")
    parser.add_argument("--child", nargs=2, metavar=("READER", "FILE"), help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.child:
        child(*options.child)
        return 0
    with tempfile.TemporaryDirectory() as folder:
        encodings, wrong = bench_encodings(options.runs, Path(folder))
        print(encodings, file=sys.stderr, flush=True)
        workbooks = bench_workbooks(options.runs, Path(folder))
    text = (f"\n## Tabular reader: encodings and workbooks ({date.today().isoformat()})\n\n"
            f"`.venv/bin/python benchmarks/tabular.py --runs {options.runs}`; {environment(options.runs)}.\n\n"
            f"### Encodings\n\n{encodings}\n\nFiles decoded wrong (or accepted where they must be refused):\n\n"
            + "\n".join(wrong) + f"\n\n### Workbooks (child process, {MEMORY_LIMIT / 1e9:.1f} GB address space, "
            f"{TIMEOUT} s)\n\n{workbooks}\n")  # fmt: skip
    print(text)
    if options.append:
        with RESULTS.open("a", encoding="utf-8") as out:
            out.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
