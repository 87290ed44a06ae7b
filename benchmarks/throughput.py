"""Benchmark of serving throughput and latency percentiles with concurrent clients on loopback.

Servers on the same size-S triples (benchmarks/suite.py): `agrs serve`, Oxigraph server, the bare stack
(Flask + waitress + pyoxigraph, benchmarks/bare_app.py, on Oxigraph server's database opened read-only) and
rdflib-endpoint. For each server and each mix, --clients client processes (one kept-alive connection each) send
the mix's questions round-robin for --seconds seconds (after a short warm-up); the table gives requests/s, the
50th, 95th and 99th latency percentiles, errors, and ratios of requests/s to Oxigraph server and the bare stack.
Mixes (benchmarks/questions_s.py): small = ASK {}, a commune's triples, a commune's observations over years, the
members of an EPCI with a value; heavy = the population per département (an aggregate over every commune).

    .venv/bin/python benchmarks/throughput.py [--quick] [--clients 4] [--seconds 10] [--append] [--no-install]
"""

import argparse
import multiprocessing
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import questions_s
import suite

MIXES = {
    "small": ("ask", "commune-lookup", "commune-over-years", "epci-members-2025"),
    "heavy": ("population-per-departement",),
}
ORDER = ("agrs serve", "Oxigraph server", "bare stack", "rdflib-endpoint")


def client(url: str, queries: list[str], seconds: float, warmup: float, timeout: float, out) -> None:
    """Send the queries round-robin for `seconds` (after `warmup`); put (latencies in ms, errors) on `out`."""
    connection = suite.Client(url, timeout)
    paths = [suite.query_path(connection.parts, q) for q in queries]
    latencies, errors, index = [], 0, 0
    started = time.perf_counter()
    end_warmup, end = started + warmup, started + warmup + seconds
    while True:
        now = time.perf_counter()
        if now >= end and (latencies or errors):  # a question slower than the window still gets one measured run
            break
        try:
            status, _ = connection.get(paths[index % len(paths)])
            ok = status == 200
        except Exception:  # a timeout or a dropped connection counts as an error, not a crash
            ok = False
            connection.close()
            connection = suite.Client(url, timeout)
        elapsed = time.perf_counter() - now
        if now >= end_warmup:
            if ok:
                latencies.append(elapsed * 1000)
            else:
                errors += 1
        index += 1
    connection.close()
    out.put((latencies, errors, time.perf_counter() - max(end_warmup, started)))


def load(url: str, queries: list[str], clients: int, seconds: float, timeout: float) -> dict:
    """Run `clients` client processes against `url`; return req/s, percentiles, errors."""
    context = multiprocessing.get_context("fork")
    out = context.Queue()
    warmup = min(2.0, seconds / 5)
    processes = [context.Process(target=client, args=(url, queries, seconds, warmup, timeout, out))
                 for _ in range(clients)]  # fmt: skip
    for process in processes:
        process.start()
    gathered = [out.get(timeout=seconds + warmup + 2 * timeout + 60) for _ in processes]
    for process in processes:
        process.join(10)
    latencies = sorted(ms for part, _, _ in gathered for ms in part)
    errors = sum(e for _, e, _ in gathered)
    # The measured window: --seconds, or longer when a client's last (or only) request ended after it.
    window = max(seconds, max(spent for _, _, spent in gathered))

    def percentile(p: float) -> float | None:
        if not latencies:
            return None
        return latencies[min(len(latencies) - 1, round(p / 100 * (len(latencies) - 1)))]

    return {
        "requests": len(latencies), "errors": errors, "req_s": len(latencies) / window, "window_s": window,
        "p50": percentile(50), "p95": percentile(95), "p99": percentile(99),
        "mean": statistics.fmean(latencies) if latencies else None,
    }  # fmt: skip


def start_bare(database: Path) -> suite.Server:
    """Start benchmarks/bare_app.py on an Oxigraph database folder (read-only)."""
    port = suite.free_port()
    log = suite.run_dir("bare") / "serve.log"
    with log.open("w") as stderr:
        process = subprocess.Popen([sys.executable, str(Path(__file__).with_name("bare_app.py")), str(database),
                                    str(port)], stdout=subprocess.DEVNULL, stderr=stderr)  # fmt: skip
    server = suite.Server("bare stack", process, f"http://127.0.0.1:{port}/sparql", "flask+waitress", log)
    try:
        suite.wait_http(server.url + "?query=ASK%7B%7D", process, 120, log)
    except RuntimeError:
        server.stop()
        raise
    return server


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; print the table, write .bench/results/throughput.json, append to RESULTS.md if asked."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="a tiny observatory, 2 s per mix")
    parser.add_argument("--size", default="S")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--timeout", type=float, default=120, help="seconds one request may take")
    parser.add_argument("--no-rdflib", action="store_true", help="leave rdflib-endpoint out")
    parser.add_argument("--no-install", action="store_true", help="use only the servers already installed")
    suite.output_flags(parser)
    args = parser.parse_args(argv)
    if args.quick:
        args.seconds = min(args.seconds, 2)
    suite.exit_on_sigterm()
    info = suite.machine()
    nt = suite.observatory_nt("XS" if args.quick else args.size, limit=300 if args.quick else None)
    researcher = questions_s.researcher_questions()
    mixes = {mix: [researcher[name][1] for name in names] for mix, names in MIXES.items()}
    install = not args.no_install
    results: dict = {}
    peaks: dict = {}
    versions: dict = {}
    skipped: dict = {}

    def starters():
        limits = ["--max-rows", "10000000", "--query-timeout", str(args.timeout)]
        yield "agrs serve", lambda: suite.start_agrs(suite.agrs_store(nt), extra=limits)
        yield "Oxigraph server", lambda: suite.start_oxigraph(nt, install=install)[0]
        yield "bare stack", lambda: start_bare(suite.oxigraph_database(nt, install)[0])
        if not args.no_rdflib:
            yield "rdflib-endpoint", lambda: suite.start_rdflib_endpoint(nt, install=install)[0]

    for name, start in starters():
        try:
            server = start()
        except (suite.Unavailable, RuntimeError, OSError) as reason:
            skipped[name] = str(reason)[:300]
            print(f"  {name}: skipped: {reason}", file=sys.stderr, flush=True)
            continue
        try:
            versions[name] = server.version
            for mix, queries in mixes.items():
                results.setdefault(mix, {})[name] = load(server.url, queries, args.clients, args.seconds, args.timeout)
                got = results[mix][name]
                print(f"  {name} {mix}: {got['req_s']:.1f} req/s, p50 {got['p50']} ms, {got['errors']} errors",
                      file=sys.stderr, flush=True)  # fmt: skip
            peaks[name] = sum(filter(None, [suite.peak_rss_mb(server.pid)] + [
                suite.peak_rss_mb(int(c)) for t in Path(f"/proc/{server.pid}/task").glob("*/children")
                for c in t.read_text().split()]))  # fmt: skip
        finally:
            server.stop()
    lines = []
    for mix, by_server in results.items():
        oxigraph = by_server.get("Oxigraph server", {}).get("req_s")
        bare = by_server.get("bare stack", {}).get("req_s")
        for name in ORDER:
            got = by_server.get(name)
            if got is None:
                continue
            lines.append([mix, name, suite.fmt(got["req_s"], 1), suite.fmt(got["p50"], 1), suite.fmt(got["p95"], 1),
                          suite.fmt(got["p99"], 1), got["errors"], suite.ratio(got["req_s"], oxigraph),
                          suite.ratio(got["req_s"], bare), suite.fmt(peaks.get(name), 0)])  # fmt: skip
    header = ["mix", "server", "req/s", "p50 ms", "p95 ms", "p99 ms", "errors", "÷ Oxigraph server", "÷ bare stack",
              "peak RSS MB"]  # fmt: skip
    body = [
        suite.describe(info, {k: v for k, v in versions.items() if k == "rdflib-endpoint"}), "",
        f"`.venv/bin/python benchmarks/throughput.py{' --quick' if args.quick else ''} --clients {args.clients} "
        f"--seconds {args.seconds:g}` on {nt.name} ({suite.count_lines(nt):,} triples): {args.clients} client "
        "processes on loopback, one kept-alive connection each, the mix round-robin; clients and server share "
        f"the {info['cpus']} CPUs.", "",
        suite.markdown_table(header, lines, right=(2, 3, 4, 5, 6, 7, 8, 9)), "",
    ]  # fmt: skip
    if skipped:
        body += ["Servers skipped: " + "; ".join(f"{k}: {v}" for k, v in skipped.items()), ""]
    text = "\n".join(body)
    print(text)
    suite.write_json("throughput" + ("-quick" if args.quick else ""), {
        "machine": info, "clients": args.clients, "seconds": args.seconds, "results": results, "peaks": peaks,
        "versions": versions, "skipped": skipped, "mixes": MIXES,
    })  # fmt: skip
    suite.publish(args, "Serving throughput with concurrent clients (benchmarks/throughput.py)", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
