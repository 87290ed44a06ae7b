"""What the HTTP benchmarks share: a free loopback port, a median in milliseconds, `agrs serve` started and ready."""

import http.client
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """Return a TCP port free on loopback now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def median_ms(function, runs: int, warmups: int = 1) -> tuple[float, object]:
    """Return the median milliseconds of `function()` over `runs` runs after `warmups` untimed ones, and a result."""
    result = None
    for _ in range(warmups):
        result = function()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        result = function()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), result


def start_server(folder: Path, port: int, log: Path, extra: Sequence[str] = (), wait: float = 120) -> subprocess.Popen:
    """Start `agrs serve` on `folder` (no write token, no access log), stderr to `log`; wait until /health answers."""
    command = [sys.executable, "-m", "agrs", "serve", "--store", str(folder), "--port", str(port),
               "--access-log", "off", *extra]  # fmt: skip
    environment = {k: v for k, v in os.environ.items() if k not in ("AGRS_WRITE_TOKEN", "AGRS_QUESTIONS")}
    with log.open("w") as stderr:  # a file, not a pipe: nobody reads a pipe while the benchmark runs
        process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=stderr, env=environment)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"agrs serve exited {process.returncode}: {log.read_text()[-2000:]}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/health")
            if connection.getresponse().status == 200:
                connection.close()
                return process
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise RuntimeError(f"agrs serve did not answer /health within {wait:.0f} s")
