"""CPU per create and per replay: the hours worker's, and on PostgreSQL its backends' too.

    python -m bench.pg_cpu --postgres postgresql://postgres@127.0.0.1:5432/test [--compare DIR] [--seconds 8]
    python -m bench.pg_cpu --sqlite [--compare DIR] [--seconds 8]
    python -m bench.pg_cpu --sqlite --rates 1000 --periods 120     # an organization with a history

For this tree (and a compared one, alternately, ``--rounds`` times each), on a fresh schema of
``--postgres`` or a fresh SQLite file (``--sqlite``): ``hours serve --workers 1``, a warm-up, then
``wrk -t2 -c16`` of ``create.lua`` and of ``replay.lua`` (its 1,000 keys created first);
the CPU time (user + system, ``/proc/<pid>/stat``) of the server's processes and of the
PostgreSQL backends serving it (found in ``pg_stat_activity`` by an ``application_name`` of the
run's own) over the run, divided by the answers. ``--rates`` and ``--periods`` give the seeded
organization a history first (:mod:`bench.history`). Other work on the machine does not count in
these figures (only these processes' CPU time does), though it slows them: the figure to compare
two trees by on a busy machine, where requests per second move with the neighbours' load.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import pathlib
import secrets
import tempfile
from collections.abc import Iterator
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from bench.dataset import seed
from bench.history import add_history
from bench.load import run_wrk
from bench.servers import HOURS_FACTORY, Server, ServerKind
from bench.suite import REPLAY_KEYS, REPO, entry_body, postgres_schema, seed_with, warm_replay_keys

_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of ``pids`` (those still alive), in seconds."""
    total = 0
    for pid in pids:
        try:
            fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / _TICKS


def backends(server_url: str, application_name: str) -> list[int]:
    """The pids of the PostgreSQL backends of ``application_name``."""
    import psycopg

    with psycopg.connect(server_url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE application_name = %s", (application_name,)
        ).fetchall()
    return [int(row[0]) for row in rows]


def postgres_backends(server_url: str | None, application_name: str) -> list[int]:
    """:func:`backends`, or none on SQLite (``server_url`` is ``None``)."""
    return [] if server_url is None else backends(server_url, application_name)


def with_application_name(url: str, name: str) -> str:
    """``url`` with libpq's ``application_name``."""
    parts = urlsplit(url)
    query = [(key, value) for key, value in parse_qsl(parts.query) if key != "application_name"]
    query.append(("application_name", name))
    return parts._replace(query=urlencode(query, quote_via=quote)).geturl()


@contextlib.contextmanager
def fresh_database(server_url: str | None, name: str, workdir: pathlib.Path) -> Iterator[str]:
    """The URL of an empty database for one run: a new schema of PostgreSQL's ``server_url``
    (its connections named ``name``), or a new SQLite file in ``workdir`` when it is ``None``."""
    if server_url is None:
        yield f"sqlite:///{workdir / (name + '.db')}"
        return
    with postgres_schema(server_url) as schema_url:
        yield with_application_name(schema_url, name)


def measure(
    tree: pathlib.Path,
    server_url: str | None,
    seconds: float,
    workdir: pathlib.Path,
    history: tuple[int, int] = (0, 0),
) -> dict[str, dict[str, float]]:
    """One run of ``tree``, a create run then a replay run: for each, requests per second, and ms
    of CPU per request in hours and in PostgreSQL (0 on SQLite: ``server_url`` is ``None``).
    ``history``: the rates and closed periods the organization has (:func:`bench.history.add_history`)."""
    name = f"hours_bench_cpu_{secrets.token_hex(3)}"
    figures: dict[str, dict[str, float]] = {}
    with fresh_database(server_url, name, workdir) as url:
        seeded = seed(url) if tree == REPO else seed_with(tree, url)
        rates, periods = history
        add_history(seeded, rates=rates, periods=periods)
        kind = ServerKind("hours-serve-1", "hours-serve", "uvloop", options=("--workers", "1"))
        env = {"HOURS_DATABASE_URL": url}
        with Server(kind, HOURS_FACTORY, "/health", workdir, env=env, tree=tree) as server:
            body, nonce = entry_body(seeded), secrets.token_hex(4)
            wrk_env = {"BENCH_TOKEN": seeded.token, "BENCH_BODY": body, "BENCH_KEYS": str(REPLAY_KEYS)}
            target = server.url + "/time-entries"
            run_wrk(target, "create", connections=16, seconds=2, env={**wrk_env, "BENCH_NONCE": "warm"})
            warm_replay_keys(server.url, seeded, body, nonce)
            for run in ("create", "replay"):
                pids, pg_pids = server.pids(), postgres_backends(server_url, name)
                hours_before, pg_before = cpu_seconds(pids), cpu_seconds(pg_pids)
                run_nonce = secrets.token_hex(4) if run == "create" else nonce
                result = run_wrk(
                    target, run, connections=16, seconds=seconds, env={**wrk_env, "BENCH_NONCE": run_nonce}
                )
                pids, pg_pids = server.pids(), sorted({*pg_pids, *postgres_backends(server_url, name)})
                hours_cpu, pg_cpu = cpu_seconds(pids) - hours_before, cpu_seconds(pg_pids) - pg_before
                answers = max(result.requests, 1)
                figures[run] = {
                    "rps": result.rps,
                    "hours_ms": 1000 * hours_cpu / answers,
                    "postgres_ms": 1000 * pg_cpu / answers,
                    "non_2xx": result.non_2xx,
                }
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    store = parser.add_mutually_exclusive_group(required=True)
    store.add_argument("--postgres", help="a PostgreSQL server URL")
    store.add_argument("--sqlite", action="store_true", help="a fresh SQLite file instead")
    parser.add_argument("--compare", type=pathlib.Path, help="another source tree, measured alternately")
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--rates", type=int, default=0, help="projects with a rate each in the organization")
    parser.add_argument("--periods", type=int, default=0, help="closed periods of the organization")
    args = parser.parse_args()
    trees = [(REPO, "this tree")] + ([] if args.compare is None else [(args.compare, str(args.compare))])
    with tempfile.TemporaryDirectory(prefix="hours-bench-cpu-") as workdir:
        for round_ in range(args.rounds):
            for tree, label in trees:
                history = (args.rates, args.periods)
                for run, got in measure(
                    tree, args.postgres, args.seconds, pathlib.Path(workdir), history
                ).items():
                    print(
                        f"round {round_ + 1}, {label}, {run}: {got['rps']:.0f} req/s, CPU per request: hours "
                        f"{got['hours_ms']:.3f} ms"
                        + ("" if args.postgres is None else f", PostgreSQL {got['postgres_ms']:.3f} ms")
                        + f" ({got['non_2xx']:.0f} non-2xx)",
                        flush=True,
                    )


if __name__ == "__main__":
    main()
