"""The authentication cache on and off, side by side: ``GET /me`` and a replay.

    .venv/bin/python -m bench.auth_cache [SECONDS [ROUNDS [POSTGRES_URL]]]

Serves this tree with ``HOURS_AUTH_CACHE_SECONDS=0`` (authenticates with a read every request, as
before the cache) then ``=1`` (the default), alternating ``ROUNDS`` times (default 2), on SQLite and,
given a server URL, on a fresh schema of PostgreSQL; each run is wrk at concurrency 16 for ``SECONDS``
(default 5) after a 1 s warm-up. Prints req/s and the server process's CPU time per request (every
thread, from ``/proc``) as a Markdown table (docs/performance.md, "Authentication cache").
"""

from __future__ import annotations

import contextlib
import os
import pathlib
import secrets
import sys
import tempfile

from bench.dataset import Seeded, seed
from bench.load import run_wrk
from bench.servers import HOURS_FACTORY, SERVER_KINDS, Server, ServerKind
from bench.suite import REPLAY_KEYS, entry_body, postgres_schema, warm_replay_keys

CONNECTIONS = 16
TICKS = os.sysconf("SC_CLK_TCK")
Row = tuple[str, str, str, int, float, float]


def cpu_seconds(pids: list[int]) -> float:
    """User plus system time of every thread of ``pids`` so far."""
    ticks = 0
    for pid in pids:
        for task in pathlib.Path(f"/proc/{pid}/task").glob("*"):
            try:
                fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            ticks += int(fields[11]) + int(fields[12])
    return ticks / TICKS


def measure(
    kind: ServerKind, workdir: pathlib.Path, url: str, seeded: Seeded, ttl: str, seconds: float, nonce: str
) -> dict[str, tuple[float, float]]:
    """req/s and CPU ms per request of ``GET /me`` and of a replay, with the cache's ttl ``ttl``."""
    env = {"HOURS_DATABASE_URL": url, "HOURS_AUTH_CACHE_SECONDS": ttl}
    wrk_env = {
        "BENCH_TOKEN": seeded.token,
        "BENCH_BODY": entry_body(seeded),
        "BENCH_KEYS": str(REPLAY_KEYS),
        "BENCH_NONCE": nonce,
        "BENCH_PATH": "/me",
    }
    found = {}
    with Server(kind, HOURS_FACTORY, "/health", workdir, env=env) as server:
        for name, script in (("GET /me", "get"), ("replay", "replay")):
            run_wrk(server.url, script, connections=CONNECTIONS, seconds=1, env=wrk_env)
            before = cpu_seconds(server.pids())
            result = run_wrk(server.url, script, connections=CONNECTIONS, seconds=seconds, env=wrk_env)
            spent = cpu_seconds(server.pids()) - before
            if result.non_2xx or result.socket_errors:
                raise RuntimeError(f"{name} with ttl {ttl}: {result}")
            found[name] = (result.rps, 1000 * spent / result.requests)
    return found


def main(argv: list[str]) -> None:
    """Measure and print the table (see the module docstring)."""
    seconds = float(argv[0]) if argv else 5.0
    rounds = int(argv[1]) if len(argv) > 1 else 2
    kind = next(iter(SERVER_KINDS.values()))
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as folder, contextlib.ExitStack() as stack:
        workdir = pathlib.Path(folder)
        stores = [("SQLite", f"sqlite:///{workdir}/auth-cache.db")]
        if len(argv) > 2:
            stores.append(("PostgreSQL", stack.enter_context(postgres_schema(argv[2]))))
        for store, url in stores:
            seeded, nonce = seed(url), secrets.token_hex(4)
            with Server(kind, HOURS_FACTORY, "/health", workdir, env={"HOURS_DATABASE_URL": url}) as server:
                warm_replay_keys(server.url, seeded, entry_body(seeded), nonce)
            for round_ in range(1, rounds + 1):
                for ttl in ("0", "1"):
                    for name, (rps, cpu_ms) in measure(
                        kind, workdir, url, seeded, ttl, seconds, nonce
                    ).items():
                        rows.append((store, name, "off" if ttl == "0" else "on", round_, rps, cpu_ms))
                        print(rows[-1], flush=True)
    print("\n| store | request | cache | round | req/s | server CPU ms/request |")
    print("|---|---|---|--:|--:|--:|")
    for store, name, cache, round_, rps, cpu_ms in rows:
        print(f"| {store} | {name} | {cache} | {round_} | {rps:,.0f} | {cpu_ms:.2f} |")


if __name__ == "__main__":
    main(sys.argv[1:])
