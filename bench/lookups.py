"""``python -m bench.lookups``: ``GET /time-entries/{id}`` with the lookup on the event loop or in a thread.

Starts the shipped server (SQLite: single-row lookups on the event loop) and the ``threaded-reads``
variant (:mod:`bench.variants`: every read in a worker thread, as on PostgreSQL) on one database,
then sends them the same request in turn over one keep-alive connection each, and prints the
median and p90 of each after a warm-up.
"""

from __future__ import annotations

import argparse
import http.client
import json
import pathlib
import statistics
import tempfile
import time
from contextlib import ExitStack

from bench.dataset import seed
from bench.servers import HOURS_FACTORY, SERVER_KINDS, Server
from bench.suite import entry_body
from bench.variants import VARIANTS

__all__ = ["main"]

WARM_UP = 200


def _connection(server: Server) -> http.client.HTTPConnection:
    host, port = server.url.removeprefix("http://").split(":")
    return http.client.HTTPConnection(host, int(port), timeout=30)


def main(argv: list[str] | None = None) -> int:
    """Run the interleaved requests and print one line per server."""
    parser = argparse.ArgumentParser(prog="python -m bench.lookups", description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000, help="requests per server (default 3000)")
    args = parser.parse_args(argv)
    kind = SERVER_KINDS[next(iter(SERVER_KINDS))]  # the stack hours serve runs
    with tempfile.TemporaryDirectory(prefix="hours-bench-lookups-") as folder, ExitStack() as stack:
        workdir = pathlib.Path(folder)
        database_url = f"sqlite:///{workdir}/lookups.db"
        seeded = seed(database_url)
        env = {"HOURS_DATABASE_URL": database_url}
        factories = {"event loop (shipped)": HOURS_FACTORY, "worker thread": VARIANTS["threaded-reads"]}
        servers = {
            name: stack.enter_context(Server(kind, factory, "/health", workdir, env=env))
            for name, factory in factories.items()
        }
        connections = {name: _connection(server) for name, server in servers.items()}
        headers = {"Authorization": f"Bearer {seeded.token}", "Content-Type": "application/json"}
        first = next(iter(connections.values()))
        first.request("POST", "/time-entries", body=entry_body(seeded), headers=headers)
        entry_id = json.loads(first.getresponse().read())["data"]["id"]
        timings: dict[str, list[float]] = {name: [] for name in connections}
        names = list(connections)
        for turn in range(args.requests):
            for name in names if turn % 2 else reversed(names):  # alternate who goes first
                connection = connections[name]
                started = time.perf_counter()
                connection.request("GET", f"/time-entries/{entry_id}", headers=headers)
                response = connection.getresponse()
                response.read()
                timings[name].append((time.perf_counter() - started) * 1000)
                if response.status != 200:
                    raise RuntimeError(f"{name}: GET answered {response.status}")
        for name, values in timings.items():
            kept = sorted(values[WARM_UP:])
            median, p90 = statistics.median(kept), kept[int(len(kept) * 0.9)]
            print(f"{name:<22} median {median:.3f} ms   p90 {p90:.3f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
