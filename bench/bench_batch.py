"""Benchmark: ``POST /time-entries/batch`` with 500 creates, over HTTP, on SQLite.

Run from the repository root, on a quiet machine::

    .venv/bin/python -m bench.bench_batch                        # 7 timed batches after one warm-up
    .venv/bin/python -m bench.bench_batch --runs 15 --atomic false --server uvicorn-uvloop-httptools

It seeds a fresh SQLite database (:func:`bench.dataset.seed`: an agency organization, its owner,
a project), starts the server on it as shipped (``hours serve``, or another kind of
:data:`bench.servers.SERVER_KINDS`), and sends batches of 500 ``create`` operations (the body of
:func:`bench.suite.entry_body` each) over one keep-alive connection, one at a time. Each batch is
timed from the first byte sent to the last byte of the answer, and must answer 200 with 500
results of status 201. It prints each time, the median and the slowest, against the goal of
issue 15 (under 500 ms).
"""

from __future__ import annotations

import argparse
import http.client
import json
import pathlib
import statistics
import tempfile
import time
from urllib.parse import urlsplit

from bench.dataset import seed
from bench.servers import HOURS_FACTORY, SERVER_KINDS, Server
from bench.suite import entry_body

__all__ = ["main"]

GOAL_MS = 500.0
"""Issue 15: a batch of 500 creates, on SQLite."""
OPERATIONS = 500


def batch_body(entry: str, *, atomic: bool) -> bytes:
    """A batch of :data:`OPERATIONS` creates of ``entry`` (a ``POST /time-entries`` body)."""
    operation = {"op": "create", "body": json.loads(entry)}
    return json.dumps({"atomic": atomic, "operations": [operation] * OPERATIONS}).encode()


def timed_batches(url: str, token: str, body: bytes, runs: int) -> list[float]:
    """Milliseconds of each of ``runs`` batches (after one warm-up), over one connection."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=60)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    timings: list[float] = []
    try:
        for run in range(runs + 1):
            started = time.perf_counter()
            connection.request("POST", "/time-entries/batch", body=body, headers=headers)
            response = connection.getresponse()
            answer = response.read()
            elapsed = (time.perf_counter() - started) * 1000
            results = json.loads(answer)["data"]["results"] if response.status == 200 else []
            if len(results) != OPERATIONS or {result["status"] for result in results} != {201}:
                raise RuntimeError(f"the batch failed: {response.status} {answer[:500]!r}")
            if run:
                timings.append(elapsed)
    finally:
        connection.close()
    return timings


def main(argv: list[str] | None = None) -> int:
    """Seed, serve, time the batches and print the figures."""
    parser = argparse.ArgumentParser(prog="python -m bench.bench_batch", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="timed batches (default 7)")
    parser.add_argument("--atomic", choices=["true", "false"], default="true", help="the batch's atomic")
    parser.add_argument("--server", default="hours-serve", choices=sorted(SERVER_KINDS))
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="hours-bench-batch-") as folder:
        workdir = pathlib.Path(folder)
        seeded = seed(f"sqlite:///{workdir}/batch.db")
        body = batch_body(entry_body(seeded), atomic=args.atomic == "true")
        env = {"HOURS_DATABASE_URL": seeded.database_url}
        with Server(SERVER_KINDS[args.server], HOURS_FACTORY, "/health", workdir, env=env) as server:
            timings = timed_batches(server.url, seeded.token, body, args.runs)
    median, slowest = statistics.median(timings), max(timings)
    print(f"{OPERATIONS} creates per batch, atomic={args.atomic}, {len(body) / 1024:.0f} KiB, {args.server}")
    print("runs (ms): " + ", ".join(f"{value:.1f}" for value in timings))
    verdict = "meets" if median < GOAL_MS else "MISSES"
    print(f"median {median:.1f} ms, slowest {slowest:.1f} ms: {verdict} the goal of {GOAL_MS:.0f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
