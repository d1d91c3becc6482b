"""``python -m bench.stack``: the server stacks side by side, on hours' own create and replay runs.

Each stack serves the hours app on a database of its own (seeded and warmed up the same way);
then, for each round, each concurrency and each stack in turn (the order rotates every round, so
that a noisy neighbour slows them alike), a ``create`` run and a ``replay`` run
(``bench/wrk/create.lua``, ``bench/wrk/replay.lua``, as in the suite). It prints every run, then
the median req/s and p99 of each stack over the rounds and its memory (peak RSS summed over its
processes, and PSS), and writes ``bench/results/stack-<UTC time>.json``.

    .venv/bin/python -m bench.stack                                   # hours serve against uvicorn
    .venv/bin/python -m bench.stack --stacks hours-serve,granian-uvloop-st --rounds 2 --seconds 5

The default stacks are ``uvicorn-uvloop-httptools`` (how ``hours serve`` ran until it moved to
granian) and ``hours-serve`` (the command itself, as shipped). Compare stacks by these absolute
rates measured in one run, never across runs: the machine is shared.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import pathlib
import secrets
import statistics
import tempfile
from collections import defaultdict
from dataclasses import dataclass

from bench.dataset import seed
from bench.load import WrkResult, run_wrk
from bench.servers import HOURS_FACTORY, SERVER_KINDS, Server, wrk_available
from bench.suite import RESULTS, entry_body, machine, warm_replay_keys

__all__ = ["main"]

DEFAULT_STACKS = ("uvicorn-uvloop-httptools", "hours-serve")
RUNS = ("create", "replay")


@dataclass
class Stack:
    """One server stack under test: its server, its token and body, and the replay keys it knows."""

    name: str
    server: Server
    wrk_env: dict[str, str]
    replay_nonce: str


def start(name: str, workdir: pathlib.Path, stack: contextlib.ExitStack) -> Stack:
    """Seed a database for ``name``, start its server on it, and warm it up."""
    database_url = f"sqlite:///{workdir}/stack-{name}.db"
    seeded = seed(database_url)
    body = entry_body(seeded)
    env = {"HOURS_DATABASE_URL": database_url}
    server = stack.enter_context(Server(SERVER_KINDS[name], HOURS_FACTORY, "/health", workdir, env=env))
    wrk_env = {"BENCH_TOKEN": seeded.token, "BENCH_BODY": body, "BENCH_KEYS": "1000"}
    run_wrk(
        server.url + "/time-entries",
        "create",
        connections=16,
        seconds=3,
        env={**wrk_env, "BENCH_NONCE": secrets.token_hex(4)},
    )
    replay_nonce = secrets.token_hex(4)
    warm_replay_keys(server.url, seeded, body, replay_nonce)
    return Stack(name, server, wrk_env, replay_nonce)


def measure(stack: Stack, run: str, connections: int, seconds: float) -> WrkResult:
    """One create or replay run against ``stack``."""
    nonce = secrets.token_hex(4) if run == "create" else stack.replay_nonce
    return run_wrk(
        stack.server.url + "/time-entries",
        run,
        connections=connections,
        seconds=seconds,
        env={**stack.wrk_env, "BENCH_NONCE": nonce},
    )


def main(argv: list[str] | None = None) -> int:
    """Run the rounds and print the medians."""
    parser = argparse.ArgumentParser(prog="python -m bench.stack", description=__doc__.splitlines()[0])
    parser.add_argument("--stacks", default=",".join(DEFAULT_STACKS), help="comma-separated server kinds")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of runs (default 3)")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each wrk run (default 10)")
    parser.add_argument("--concurrency", default="16,64", help="comma-separated (default 16,64)")
    args = parser.parse_args(argv)
    wrk_available()
    names = args.stacks.split(",")
    unknown = [name for name in names if name not in SERVER_KINDS]
    if unknown:
        parser.error(f"unknown stacks {unknown}; choose from {sorted(SERVER_KINDS)}")
    concurrency = [int(value) for value in args.concurrency.split(",")]
    started = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    machine_at_start = machine()
    results: dict[tuple[str, str, int], list[WrkResult]] = defaultdict(list)
    with tempfile.TemporaryDirectory(prefix="hours-bench-stack-") as folder, contextlib.ExitStack() as stack:
        workdir = pathlib.Path(folder)
        stacks = [start(name, workdir, stack) for name in names]
        commands = {each.name: " ".join(each.server.command) for each in stacks}
        for round_number in range(args.rounds):
            turn = round_number % len(stacks)
            for connections in concurrency:
                for each in stacks[turn:] + stacks[:turn]:
                    for run in RUNS:
                        result = measure(each, run, connections, args.seconds)
                        results[each.name, run, connections].append(result)
                        print(f"round {round_number + 1}  {each.name:<26} {_line(run, result)}", flush=True)
        memory = {
            each.name: {
                "peak_rss_mib": round(each.server.peak_rss_kib() / 1024, 1),
                "pss_mib": round(each.server.pss_kib() / 1024, 1),
            }
            for each in stacks
        }
    print(f"\nmedians over {args.rounds} rounds of {args.seconds:g} s runs")
    print(f"{'stack':<26} {'run':<7} {'conc.':>5} {'req/s':>8} {'p99 ms':>8}   req/s of each round")
    summary = []
    for (name, run, connections), mine in results.items():
        line = {
            "stack": name,
            "run": run,
            "connections": connections,
            "median_rps": round(statistics.median(result.rps for result in mine)),
            "median_p99_ms": round(statistics.median(result.p99_ms for result in mine), 2),
            "errors": sum(result.non_2xx + result.socket_errors for result in mine),
        }
        summary.append(line)
        rates = ", ".join(f"{result.rps:,.0f}" for result in mine)
        print(
            f"{name:<26} {run:<7} {connections:>5} {line['median_rps']:>8,} {line['median_p99_ms']:>8.2f}"
            f"   {rates}"
        )
    for name, sizes in memory.items():
        print(
            f"memory of {name}: peak RSS (VmHWM, summed over its processes) {sizes['peak_rss_mib']} MiB;"
            f" PSS now, summed, {sizes['pss_mib']} MiB"
        )
    RESULTS.mkdir(parents=True, exist_ok=True)
    report = {
        "started": started,
        "machine": machine_at_start,
        "settings": vars(args),
        "commands": commands,
        "runs": {
            f"{name} {run} c{conc}": [r.as_dict() for r in mine]
            for (name, run, conc), mine in results.items()
        },
        "summary": summary,
        "memory": memory,
        "loadavg_end": os.getloadavg(),
    }
    path = RESULTS / f"stack-{started}.json"
    path.write_text(json.dumps(report, indent=2))
    print(f"\nresults: {path}")
    return 0


def _line(run: str, result: WrkResult) -> str:
    return (
        f"{run:<7} c{result.connections:<3} {result.rps:8,.0f} req/s  p50 {result.p50_ms:7.2f} ms"
        f"  p99 {result.p99_ms:7.2f} ms  non-2xx {result.non_2xx}  socket errors {result.socket_errors}"
    )


if __name__ == "__main__":
    raise SystemExit(main())
