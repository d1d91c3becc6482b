"""``python -m bench.routes``: every write route that shares the write path, new keys and replays.

Issue 17 asks that the write routes sharing ``POST /time-entries``' path (the ``Writer`` of
``hours_http.responses``: PATCH, timers, projects) do as well as it. For each route, with a new
``Idempotency-Key`` per request (``new``: a real write each) and with keys a warm-up already used
(``replay``), ``wrk -t2 -c16`` against ``hours serve`` on a fresh SQLite file; with ``--compare
DIR``, the same against another source tree's server on a file of its own, taking turns route by
route and round by round, so that a noisy neighbour slows both alike.

    .venv/bin/python -m bench.routes --compare /tmp/before --rounds 2 --seconds 5

The routes (``bench/wrk/keyed.lua``; ``%d`` in a body is a number unique to the request):

* ``POST /time-entries`` ``{"projectId", "entryDate", "durationSeconds", "note"}``
* ``PATCH /time-entries/{id}`` ``{"note": "n%d"}``, on one entry (each a new version and event)
* ``POST /timers`` ``{"projectId", "stopRunning": true}`` (stops the running timer, starts one)
* ``POST /projects`` ``{"name": "Project %d"}``
"""

from __future__ import annotations

import argparse
import contextlib
import json
import pathlib
import secrets
import statistics
import tempfile
import uuid
from collections import defaultdict
from dataclasses import dataclass

from bench.dataset import Seeded, seed
from bench.load import WrkResult, run_wrk
from bench.servers import HOURS_FACTORY, REPO, SERVER_KINDS, Server, wrk_available
from bench.suite import entry_body, keyed_call, replay_key, seed_with

__all__ = ["main"]

WARM_KEYS = 200


@dataclass(frozen=True)
class Route:
    """One keyed write route: how to call it, given the seeded organization and one entry."""

    name: str
    method: str
    path: str
    body: str


def routes_of(seeded: Seeded, entry_id: str) -> list[Route]:
    """The measured routes of one seeded database."""
    project = str(seeded.project_id)
    return [
        Route("create entry", "POST", "/time-entries", entry_body(seeded)),
        Route("patch entry", "PATCH", f"/time-entries/{entry_id}", json.dumps({"note": "n%d"})),
        Route("start timer", "POST", "/timers", json.dumps({"projectId": project, "stopRunning": True})),
        Route("create project", "POST", "/projects", json.dumps({"name": "Project %d"})),
    ]


@dataclass
class Target:
    """One server under test and its routes."""

    name: str
    server: Server
    seeded: Seeded
    routes: list[Route]
    replay_nonces: list[str]
    """Per route, the nonce of the keys its warm-up used (``bench/wrk/common.lua``'s keys)."""

    def env(self, index: int, *, replay: bool) -> dict[str, str]:
        """What ``bench/wrk/keyed.lua`` reads for route ``index``."""
        route = self.routes[index]
        return {
            "BENCH_TOKEN": self.seeded.token,
            "BENCH_METHOD": route.method,
            "BENCH_PATH": route.path,
            "BENCH_BODY": route.body,
            "BENCH_KEYS": str(WARM_KEYS if replay else 0),
            "BENCH_NONCE": self.replay_nonces[index] if replay else secrets.token_hex(4),
        }

    def warm(self) -> None:
        """Use the replay keys of every route once (so that replay runs only replay)."""
        for route, nonce in zip(self.routes, self.replay_nonces, strict=True):
            for index in range(WARM_KEYS):
                body = route.body.replace("%d", str(index))
                key = replay_key(nonce, index)
                status, _ = keyed_call(
                    self.server.url, self.seeded.token, route.method, route.path, body, key
                )
                if status not in (200, 201):
                    raise RuntimeError(f"warm-up {route.name} answered {status}")


def start(name: str, tree: pathlib.Path | None, workdir: pathlib.Path, stack: contextlib.ExitStack) -> Target:
    """Seed a database for ``name`` (with ``tree``'s code, if given), start its server, make one entry."""
    database_url = f"sqlite:///{workdir}/routes-{len(list(workdir.glob('routes-*.db')))}.db"
    seeded = seed(database_url) if tree is None else seed_with(tree, database_url)
    server = Server(
        SERVER_KINDS["hours-serve"],
        HOURS_FACTORY,
        "/health",
        workdir,
        env={"HOURS_DATABASE_URL": database_url},
        tree=REPO if tree is None else tree,
    )
    stack.enter_context(server)
    status, body = keyed_call(
        server.url, seeded.token, "POST", "/time-entries", entry_body(seeded), str(uuid.uuid4())
    )
    if status != 201:
        raise RuntimeError(f"the first entry answered {status}: {body!r}")
    routes = routes_of(seeded, json.loads(body)["data"]["id"])
    return Target(name, server, seeded, routes, [secrets.token_hex(4) for _ in routes])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.routes", description=__doc__.split("\n\n")[0])
    parser.add_argument("--compare", type=pathlib.Path, help="another source tree, measured beside this one")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args(argv)
    if not wrk_available():
        parser.error("wrk is not installed (apt-get install wrk)")
    results: dict[tuple[str, str, str], list[WrkResult]] = defaultdict(list)
    with tempfile.TemporaryDirectory(prefix="hours-routes-") as folder, contextlib.ExitStack() as stack:
        workdir = pathlib.Path(folder)
        targets = [start("this tree", None, workdir, stack)]
        if args.compare is not None:
            targets.append(start(f"@ {args.compare.name}", args.compare, workdir, stack))
        for target in targets:
            target.warm()
        for round_number in range(args.rounds):
            order = targets if round_number % 2 == 0 else list(reversed(targets))
            for route_index in range(len(targets[0].routes)):
                for run in ("new", "replay"):
                    for target in order:
                        route = target.routes[route_index]
                        result = run_wrk(
                            target.server.url + route.path,
                            "keyed",
                            connections=args.connections,
                            seconds=args.seconds,
                            env=target.env(route_index, replay=run == "replay"),
                        )
                        results[(route.name, run, target.name)].append(result)
                        print(
                            f"round {round_number + 1} {route.name:<15} {run:<6} {target.name:<14}"
                            f" {result.rps:8,.0f} req/s  p99 {result.p99_ms:7.2f} ms"
                            f"  non-2xx {result.non_2xx}",
                            flush=True,
                        )
    names = [target.name for target in targets]
    print(f"\n| route | run | {' | '.join(f'{n} req/s (p99 ms)' for n in names)} |")
    print(f"|---|---|{'--:|' * len(names)}")
    for route in targets[0].routes:
        for run in ("new", "replay"):
            cells = []
            for name in names:
                runs = results[(route.name, run, name)]
                rps = statistics.median(r.rps for r in runs)
                p99 = statistics.median(r.p99_ms for r in runs)
                errors = sum(r.non_2xx + r.socket_errors for r in runs)
                cells.append(f"{rps:,.0f} ({p99:.1f})" + (f", {errors} errors" if errors else ""))
            print(
                f"| `{route.method} {route.path.split('/')[1]}` {route.name} | {run} | {' | '.join(cells)} |"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
