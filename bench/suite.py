"""The benchmark suite: every figure of docs/performance.md from one command.

    .venv/bin/python -m bench            # the published settings (about 10 minutes)
    .venv/bin/python -m bench --quick    # a smoke run: 5 s per load run, 100,000 entries

Each throughput figure is a ratio to the *ceiling* measured in the same run, right before it,
with the same server and the same settings: a bare Litestar ``POST`` route that decodes a JSON body
like the create run's and answers a small JSON object (``bench/ceiling.py``); the same app's ``GET
/ping`` is measured and shown beside it. Results go to ``bench/results/<UTC time>.json`` (and
``.md``); the Markdown table is printed at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import pathlib
import platform
import secrets
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit
from uuid import UUID

from bench.dataset import Seeded, load_entries, seed
from bench.load import WrkResult, run_wrk
from bench.reads import Reader, interleaved, query_plans, read_requests
from bench.servers import (
    CEILING_FACTORY,
    HOURS_FACTORY,
    SERVER_KINDS,
    Server,
    ServerKind,
    run_in_tree,
    wrk_available,
)
from bench.variants import VARIANTS
from hours_core.model import OrgId, ProjectId, UserId

__all__ = ["main"]

REPO = pathlib.Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results"
REPLAY_KEYS = 1000
GOALS = {
    "create_ratio": 0.25,
    "create_p99_ms_c16": 25.0,
    "replay_ratio": 0.60,
    "read_median_ms": 10.0,
    "peak_rss_mib": 150.0,
    "postgres_scaling": 1.5,
}


@dataclass
class Settings:
    """How long and how big: the published settings, or ``--quick``."""

    seconds: float = 20.0
    warmup_seconds: float = 3.0
    concurrency: tuple[int, ...] = (16, 64)
    entries: int = 1_000_000
    read_requests: int = 200
    deep_page: int = 20
    duration_count: int = 100_000


@dataclass
class Report:
    """Everything measured, for the JSON file and the table."""

    started: str
    machine: dict[str, Any]
    settings: dict[str, Any]
    commands: dict[str, str] = field(default_factory=dict)
    writes: list[dict[str, Any]] = field(default_factory=list)
    memory: list[dict[str, Any]] = field(default_factory=list)
    load: dict[str, Any] = field(default_factory=dict)
    reads: list[dict[str, Any]] = field(default_factory=list)
    plans: dict[str, Any] = field(default_factory=dict)
    duration: dict[str, Any] = field(default_factory=dict)
    checks: list[str] = field(default_factory=list)
    scaling: list[dict[str, Any]] = field(default_factory=list)


def machine() -> dict[str, Any]:
    """nproc, CPU model, RAM, Python, kernel, load average, git commit."""
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    mem_kib = next(
        int(line.split()[1])
        for line in pathlib.Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal:")
    )

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=REPO, capture_output=True, text=True, check=False
        ).stdout.strip()

    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False).stdout
    return {
        "nproc": os.cpu_count(),
        "cpu": model,
        "ram_gib": round(mem_kib / 1024 / 1024, 1),
        "python": platform.python_version(),
        "kernel": platform.release(),
        "loadavg_start": os.getloadavg(),
        "commit": git("rev-parse", "--short", "HEAD")
        + (" (with uncommitted changes)" if git("status", "--porcelain") else ""),
        "wrk": wrk_version.splitlines()[0] if wrk_version else "?",
        "versions": _versions(),
    }


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for name in ("litestar", "uvicorn", "uvloop", "httptools", "granian", "msgspec", "sqlite-utils"):
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            continue
    found["sqlite"] = sqlite3.sqlite_version
    return found


def entry_body(seeded: Seeded) -> str:
    """A valid ``POST /time-entries`` body (the same bytes for every request of a run)."""
    return json.dumps(
        {
            "projectId": str(seeded.project_id),
            "entryDate": "2026-11-27",
            "durationSeconds": 1800,
            "note": "bench",
        }
    )


def count_entries(database_url: str) -> int:
    """Rows in ``time_entries``, read with a plain connection outside the server (SQLite or PostgreSQL)."""
    if database_url.startswith("postgresql://"):
        import psycopg

        with psycopg.connect(database_url) as conn:
            row = conn.execute("SELECT count(*) FROM time_entries").fetchone()
            assert row is not None
            return int(row[0])
    path = database_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as db:
        return int(db.execute("SELECT count(*) FROM time_entries").fetchone()[0])


def settled_count(database_url: str) -> int:
    """Rows in ``time_entries`` once the server has finished the requests still in flight when wrk
    stopped (the count stays the same for half a second).
    """
    count = count_entries(database_url)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        time.sleep(0.5)
        again = count_entries(database_url)
        if again == count:
            return count
        count = again
    return count


def replay_key(nonce: str, index: int) -> str:
    """The key ``bench/wrk/common.lua`` makes for thread 0 and counter ``index``."""
    return f"{nonce}-0000-4000-8000-0000{index:08x}"


def keyed_call(url: str, token: str, method: str, path: str, body: str, key: str) -> tuple[int, bytes]:
    """One request with a JSON ``body`` and an ``Idempotency-Key``, on a connection of its own;
    its status and body."""
    import http.client

    host, port = url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        headers = {
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Idempotency-Key": key,
        }
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def warm_replay_keys(url: str, seeded: Seeded, body: str, nonce: str) -> None:
    """Create one entry per replay key, so that the replay run only replays."""
    for index in range(REPLAY_KEYS):
        status, _ = keyed_call(url, seeded.token, "POST", "/time-entries", body, replay_key(nonce, index))
        if status != 201:
            raise RuntimeError(f"warm-up create answered {status}")


@dataclass
class Target:
    """One hours server of a write run, with its own database and seeded organization."""

    name: str
    server: Server
    database_url: str
    seeded: Seeded
    body: str

    def wrk_env(self, nonce: str) -> dict[str, str]:
        """What ``bench/wrk/*.lua`` reads: this target's token and body, the keys and the nonce."""
        return {
            "BENCH_TOKEN": self.seeded.token,
            "BENCH_BODY": self.body,
            "BENCH_KEYS": str(REPLAY_KEYS),
            "BENCH_NONCE": nonce,
        }


def seed_with(tree: pathlib.Path, database_url: str) -> Seeded:
    """Seed ``database_url`` with the code of another source tree (its own migrations and schema).

    A tree from before a schema change cannot open a database this tree has migrated, so each
    compared tree gets its own file, created and seeded by that tree's ``bench.dataset.seed``.
    """
    script = (
        "import json, sys; from bench.dataset import seed; s = seed(sys.argv[1]); "
        "print(json.dumps([s.token, str(s.org_id), str(s.owner_id), str(s.project_id)]))"
    )
    done = run_in_tree(tree, script, database_url)
    token, org_id, owner_id, project_id = json.loads(done.stdout.strip().splitlines()[-1])
    return Seeded(
        database_url, token, OrgId(UUID(org_id)), UserId(UUID(owner_id)), ProjectId(UUID(project_id))
    )


POSTGRES_WORKERS = (1, 2)


@contextlib.contextmanager
def postgres_schema(server_url: str) -> Iterator[str]:
    """A new, empty schema on ``server_url`` for one run, dropped afterwards; yields its URL."""
    import psycopg

    name = f"hours_bench_{os.getpid()}_{secrets.token_hex(4)}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{name}"')
    try:
        yield with_search_path(server_url, name)
    finally:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{name}" CASCADE')


def with_search_path(url: str, schema: str) -> str:
    """``url`` with libpq ``options=-csearch_path=<schema>`` (the server processes take only a URL)."""
    parts = urlsplit(url)
    query = [(key, value) for key, value in parse_qsl(parts.query) if key != "options"]
    query.append(("options", f"-csearch_path={schema}"))
    return parts._replace(query=urlencode(query, quote_via=quote)).geturl()


def postgres_name(app: str, workers: int) -> str:
    """The name of the PostgreSQL row of ``app`` ("hours", or a compared tree's) with ``workers``."""
    return f"{app}, PostgreSQL, {workers} worker{'s' if workers > 1 else ''}"


def record_scaling(report: Report, label: str, connections: int) -> None:
    """Two PostgreSQL workers over one, for each run of this concurrency (just measured), for this
    tree and for a compared one."""
    rows = {
        (row["app"], row["run"]): row
        for row in report.writes
        if row["server"] == label and row["connections"] == connections
    }
    apps = sorted(
        {app.removesuffix(", PostgreSQL, 1 worker") for app, _run in rows if app.endswith(", 1 worker")}
    )
    for app in apps:
        for run in ("create", "replay"):
            one = rows.get((postgres_name(app, 1), run))
            two = rows.get((postgres_name(app, 2), run))
            if one is None or two is None or one["rps"] == 0:
                continue
            factor = two["rps"] / one["rps"]
            entry = {"run": run, "connections": connections, "factor": round(factor, 2)}
            report.scaling.append(entry if app == "hours" else {"app": app, **entry})
            print(
                f"   PostgreSQL scaling, {app}, {run} c{connections}: 2 workers / 1 worker = {factor:.2f}x",
                flush=True,
            )


def write_runs(
    report: Report,
    kind: ServerKind,
    synchronous: str,
    settings: Settings,
    workdir: pathlib.Path,
    variants: list[str],
    compare: pathlib.Path | None = None,
    postgres: str | None = None,
) -> None:
    """Ceiling, create and replay at each concurrency, side by side; then the peak RSS.

    With ``postgres`` (a server URL), ``hours serve --workers 1`` and ``--workers 2`` on a fresh
    schema of that server are measured beside the rest, and the scaling factor (two processes over
    one) is recorded for each run and concurrency.

    Each variant (a what-if factory of :mod:`bench.variants`) gets its own server on the shipped
    server's database; a compared tree (``--compare``) gets its own database file, made by its own
    code, since an older tree cannot open a schema this one has migrated. Every target gets its own
    create and replay rows, interleaved with the shipped server's at each concurrency.
    """
    label = f"{kind.name}, synchronous={synchronous.upper()}"
    print(f"\n== writes: {label}", flush=True)

    def hours_env(database_url: str) -> dict[str, str]:
        return {"HOURS_DATABASE_URL": database_url, "HOURS_SQLITE_SYNCHRONOUS": synchronous}

    database_url = f"sqlite:///{workdir}/bench-{kind.name}-{synchronous}.db"
    seeded = seed(database_url)
    with contextlib.ExitStack() as stack:
        ceiling = stack.enter_context(Server(kind, CEILING_FACTORY, "/ping", workdir))
        shipped = Server(kind, HOURS_FACTORY, "/health", workdir, env=hours_env(database_url))
        targets = [Target("hours", stack.enter_context(shipped), database_url, seeded, entry_body(seeded))]
        if compare is not None:
            compared_url = f"sqlite:///{workdir}/bench-{kind.name}-{synchronous}-compared.db"
            compared_seed = seed_with(compare, compared_url)
            server = Server(
                kind, HOURS_FACTORY, "/health", workdir, env=hours_env(compared_url), tree=compare
            )
            targets.append(
                Target(
                    f"hours @ {compare.name}",
                    stack.enter_context(server),
                    compared_url,
                    compared_seed,
                    entry_body(compared_seed),
                )
            )
        if postgres is not None:
            trees = [(REPO, "hours")] + ([] if compare is None else [(compare, f"hours @ {compare.name}")])
            for tree, app in trees:
                schema_url = stack.enter_context(postgres_schema(postgres))
                postgres_seed = seed(schema_url) if tree == REPO else seed_with(tree, schema_url)
                for workers in POSTGRES_WORKERS:
                    serve = ServerKind(
                        f"hours-serve-{workers}", "hours-serve", "uvloop", options=("--workers", str(workers))
                    )
                    server = Server(
                        serve,
                        HOURS_FACTORY,
                        "/health",
                        workdir,
                        env={"HOURS_DATABASE_URL": schema_url},
                        tree=tree,
                    )
                    targets.append(
                        Target(
                            postgres_name(app, workers),
                            stack.enter_context(server),
                            schema_url,
                            postgres_seed,
                            entry_body(postgres_seed),
                        )
                    )
        for variant in variants:
            server = Server(kind, VARIANTS[variant], "/health", workdir, env=hours_env(database_url))
            targets.append(
                Target(
                    f"hours, {variant}", stack.enter_context(server), database_url, seeded, entry_body(seeded)
                )
            )
        report.commands[f"ceiling server ({kind.name})"] = " ".join(ceiling.command)
        for target in targets:
            report.commands[f"{target.name} server ({kind.name})"] = (
                " ".join(f"{key}={value}" for key, value in target.server.env.items())
                + " "
                + " ".join(target.server.command)
            )
        run_wrk(ceiling.url + "/ping", "ceiling-post", connections=16, seconds=settings.warmup_seconds)
        for target in targets:
            run_wrk(
                target.server.url + "/time-entries",
                "create",
                connections=16,
                seconds=settings.warmup_seconds,
                env=target.wrk_env(secrets.token_hex(4)),
            )
        replay_nonce = secrets.token_hex(4)
        warmed: set[str] = set()
        for target in targets:
            if target.database_url not in warmed:  # variants share the shipped server's keys
                warm_replay_keys(target.server.url, target.seeded, target.body, replay_nonce)
                warmed.add(target.database_url)

        def keyed_run(target: Target, run: str, nonce: str, connections: int, top: WrkResult) -> None:
            """One create or replay run against ``target``: measured, checked and recorded."""
            before = settled_count(target.database_url)
            result = run_wrk(
                target.server.url + "/time-entries",
                run,
                connections=connections,
                seconds=settings.seconds,
                env=target.wrk_env(nonce),
            )
            made = settled_count(target.database_url) - before
            report.commands.setdefault(f"wrk {run}", result.command)
            if run == "create":
                text = f"{made} entries stored for {result.requests} answers"
                ok = result.requests <= made <= result.requests + connections  # the rest were in flight
            else:
                text, ok = f"{made} entries stored by {result.requests} replays", made == 0
            _check(
                report, f"{label}, {target.name}, c{connections} {run}: {text}", ok and result.non_2xx == 0
            )
            _print(target.name, run, result, top)
            report.writes.append(_row(label, kind, synchronous, target.name, run, result, top))

        for connections in settings.concurrency:
            bare_get = run_wrk(
                ceiling.url + "/ping", "ceiling", connections=connections, seconds=settings.seconds
            )
            top = run_wrk(
                ceiling.url + "/ping", "ceiling-post", connections=connections, seconds=settings.seconds
            )
            report.commands.setdefault("wrk ceiling GET", bare_get.command)
            report.commands.setdefault("wrk ceiling POST", top.command)
            _print(label, "GET", bare_get, top)
            _print(label, "ceiling", top, top)
            report.writes.append(_row(label, kind, synchronous, "ceiling", "GET /ping", bare_get, top))
            report.writes.append(_row(label, kind, synchronous, "ceiling", "ceiling", top, top))
            for target in targets:
                keyed_run(target, "create", secrets.token_hex(4), connections, top)
                keyed_run(target, "replay", replay_nonce, connections, top)
            if postgres is not None:
                record_scaling(report, label, connections)
        for target in targets:
            peak = target.server.peak_rss_kib()
            report.memory.append(
                {
                    "server": f"{label}, {target.name}",
                    "peak_rss_mib": round(peak / 1024, 1),
                    "pids": target.server.pids(),
                }
            )
            print(
                f"   peak RSS of {target.name} (VmHWM, all its processes): {peak / 1024:.1f} MiB", flush=True
            )


def _row(
    label: str, kind: ServerKind, synchronous: str, app: str, run: str, result: WrkResult, top: WrkResult
) -> dict[str, Any]:
    return {
        "server": label,
        "app": app,
        "kind": kind.name,
        "synchronous": synchronous,
        "run": run,
        **result.as_dict(),
        "ratio": result.rps / top.rps,
    }


def _print(label: str, run: str, result: WrkResult, top: WrkResult) -> None:
    print(
        f"   {run:<8} c{result.connections:<3} {result.rps:9,.0f} req/s  p50 {result.p50_ms:7.2f} ms"
        f"  p99 {result.p99_ms:7.2f} ms  non-2xx {result.non_2xx}  socket errors {result.socket_errors}"
        f"  {result.rps / top.rps:6.1%} of ceiling",
        flush=True,
    )


def _check(report: Report, text: str, ok: bool) -> None:
    line = f"{'ok' if ok else 'FAILED'}: {text}"
    report.checks.append(line)
    print(f"   {line}", flush=True)


def read_runs(report: Report, kind: ServerKind, settings: Settings, workdir: pathlib.Path) -> None:
    """Load the entries through the bulk path, then time list pages and single reads."""
    database_url = f"sqlite:///{workdir}/reads.db"
    path = database_url.removeprefix("sqlite:///")
    print(f"\n== reads: loading {settings.entries:,} entries through uow.entries.add_many", flush=True)
    started = time.perf_counter()
    loaded = load_entries(database_url, settings.entries)
    total = time.perf_counter() - started
    report.load = {
        "entries": loaded.entries,
        "store_seconds": round(loaded.seconds, 1),
        "entries_per_second": round(loaded.entries / loaded.seconds),
        "total_seconds": round(total, 1),
        "first_day": loaded.first_day.isoformat(),
        "last_day": loaded.last_day.isoformat(),
        "file_mib": round(os.path.getsize(path) / 1024 / 1024),
    }
    print(
        f"   stored {loaded.entries:,} entries in {loaded.seconds:.1f} s"
        f" ({loaded.entries / loaded.seconds:,.0f}/s); {total:.1f} s with building the entities and the seed",
        flush=True,
    )
    seeded = loaded.seeded
    hours_env = {"HOURS_DATABASE_URL": database_url}
    with Server(kind, HOURS_FACTORY, "/health", workdir, env=hours_env) as hours:
        reader = Reader(hours.url, seeded.token)
        try:
            reads = read_requests(reader, loaded, settings.read_requests, settings.deep_page)
            timings = interleaved(reader, reads.requests)
        finally:
            reader.close()
    for timing in timings:
        report.reads.append(timing.as_dict())
        print(
            f"   {timing.name:<34} median {timing.median_ms:6.2f} ms  p90 {timing.p90_ms:6.2f} ms"
            f"  ({timing.requests} requests, {timing.rows_per_page:.0f} rows each)",
            flush=True,
        )
    report.plans = query_plans(database_url, seeded.org_id, reads.plan_pages, reads.entry_id)
    for name, plan in report.plans.items():
        print(f"   EXPLAIN QUERY PLAN ({name}): {' | '.join(plan['plan'])}", flush=True)


def duration_run(report: Report, settings: Settings) -> None:
    """``bench/bench_duration.py`` as it is, and the ratio it prints."""
    command = [sys.executable, "-m", "bench.bench_duration", "--count", str(settings.duration_count)]
    print("\n== duration parser: " + " ".join(["python", *command[1:]]), flush=True)
    output = subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=True).stdout
    print("   " + output.strip().replace("\n", "\n   "), flush=True)
    ratio_line = next(line for line in output.splitlines() if line.startswith("ratio"))
    best = float(ratio_line.split(":")[1].split("x")[0])
    median = float(ratio_line.split("(best),")[1].split("x")[0])
    rates = {}
    for line in output.splitlines():
        for name in ("hours parse_duration", "pytimeparse (minutes)"):
            if line.startswith(name):
                numbers = line[len(name) :].split()
                rates[name] = {
                    "best": int(numbers[0].replace(",", "")),
                    "median": int(numbers[1].replace(",", "")),
                }
    report.duration = {
        "command": " ".join(["python", *command[1:]]),
        "ratio_best": best,
        "ratio_median": median,
        "rates": rates,
    }


def markdown(report: Report) -> str:
    """The tables of docs/performance.md."""
    lines = [
        f"Run of {report.started} on {report.machine['nproc']} CPUs ({report.machine['cpu']}),"
        f" {report.machine['ram_gib']} GiB RAM, Python {report.machine['python']},"
        f" load average at start {report.machine['loadavg_start'][0]:.2f}; settings: {report.settings}.",
        "",
    ]
    if report.writes:
        lines += [
            "| server, durability | app | run | conc. | req/s | p50 ms | p99 ms | non-2xx | socket errors"
            " | of ceiling | goal |",
            "|---|---|---|--:|--:|--:|--:|--:|--:|--:|---|",
        ]
        for row in report.writes:
            goal = ""
            if row["run"] == "create":
                goal = (
                    f"≥ {GOALS['create_ratio']:.0%}"
                    + (f", p99 < {GOALS['create_p99_ms_c16']:.0f} ms" if row["connections"] == 16 else "")
                    + ": "
                    + ("met" if _create_met(row) else "**not met**")
                )
            elif row["run"] == "replay":
                goal = f"≥ {GOALS['replay_ratio']:.0%}: " + (
                    "met" if row["ratio"] >= GOALS["replay_ratio"] and row["non_2xx"] == 0 else "**not met**"
                )
            lines.append(
                f"| {row['server']} | {row['app']} | {row['run']} | {row['connections']} | {row['rps']:,.0f}"
                f" | {row['p50_ms']:.2f} | {row['p99_ms']:.2f} | {row['non_2xx']} | {row['socket_errors']}"
                f" | {row['ratio']:.1%} | {goal} |"
            )
        lines.append("")
    for scaling in report.scaling:
        met = "met" if scaling["factor"] >= GOALS["postgres_scaling"] else "**not met**"
        lines.append(
            f"- PostgreSQL{'' if 'app' not in scaling else ', ' + scaling['app']}, {scaling['run']}"
            f" c{scaling['connections']}: 2 workers over 1 worker ="
            f" **{scaling['factor']:.2f}x** (goal ≥ {GOALS['postgres_scaling']}x: {met})."
        )
    for memory in report.memory:
        met = "met" if memory["peak_rss_mib"] < GOALS["peak_rss_mib"] else "**not met**"
        lines.append(
            f"- Peak RSS of the hours server ({memory['server']}), VmHWM summed over its processes after the"
            f" write runs: **{memory['peak_rss_mib']} MiB** (goal < {GOALS['peak_rss_mib']:.0f} MiB: {met})."
        )
    if report.load:
        load = report.load
        lines += [
            "",
            f"- Bulk load: {load['entries']:,} entries stored through `uow.entries.add_many` in"
            f" {load['store_seconds']} s (**{load['entries_per_second']:,} entries/s**;"
            f" {load['total_seconds']} s with building the entities), {load['file_mib']} MiB file,"
            f" entry dates {load['first_day']} to"
            f" {load['last_day']}.",
            "",
            "| read (owner token, 1 org, 50 users, 200 projects) | requests | median ms | p90 ms | goal |",
            "|---|--:|--:|--:|---|",
        ]
        first_year = next((r for r in report.reads if r["name"].startswith("year, first")), None)
        for read in report.reads:
            goal = f"median < {GOALS['read_median_ms']:.0f} ms: " + (
                "met" if read["median_ms"] < GOALS["read_median_ms"] else "**not met**"
            )
            if read["name"].startswith("year, page") and first_year is not None:
                goal += f"; {read['median_ms'] / first_year['median_ms']:.2f}x the first page"
            lines.append(
                f"| {read['name']} | {read['requests']} | {read['median_ms']:.2f} | {read['p90_ms']:.2f}"
                f" | {goal} |"
            )
    if report.duration:
        duration = report.duration
        lines += [
            "",
            f"- Duration parser: hours/pytimeparse **{duration['ratio_best']:.2f}x** (best of runs),"
            f" {duration['ratio_median']:.2f}x (median) (goal ≥ 2x:"
            f" {'met' if duration['ratio_best'] >= 2 else '**not met**'}).",
        ]
    if report.checks:
        lines += ["", "Checks: " + "; ".join(report.checks) + "."]
    return "\n".join(lines) + "\n"


def _create_met(row: dict[str, Any]) -> bool:
    ok = row["ratio"] >= GOALS["create_ratio"] and row["non_2xx"] == 0 and row["socket_errors"] == 0
    if row["connections"] == 16:
        ok = ok and row["p99_ms"] < GOALS["create_p99_ms_c16"]
    return ok


def main(argv: list[str] | None = None) -> int:
    """Run the suite (see the module docstring and ``--help``)."""
    options = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    options.add_argument("--quick", action="store_true", help="5 s runs, 100,000 entries: a smoke run")
    options.add_argument(
        "--servers",
        default=next(iter(SERVER_KINDS)),
        help=f"comma-separated, from: {', '.join(SERVER_KINDS)} (default: the first)",
    )
    options.add_argument(
        "--synchronous",
        default="full",
        choices=["full", "normal", "both"],
        help="SQLite synchronous level(s)",
    )
    options.add_argument("--only", default="writes,reads,duration", help="any of writes,reads,duration")
    options.add_argument(
        "--variants",
        default=",".join(VARIANTS),
        help=f"what-if servers measured beside the shipped one: any of {', '.join(VARIANTS)}, or none",
    )
    options.add_argument(
        "--compare",
        type=pathlib.Path,
        help="another source tree of hours (e.g. `git archive HEAD | tar -x -C /tmp/before`) whose server"
        " is measured beside this one's in the write runs",
    )
    options.add_argument(
        "--postgres",
        metavar="URL",
        help="also measure `hours serve --workers 1` and `--workers 2` on a fresh schema of this PostgreSQL"
        " server (e.g. postgresql://postgres@127.0.0.1:5432/test) in the write runs",
    )
    options.add_argument("--seconds", type=float, help="override the length of each load run")
    options.add_argument("--entries", type=int, help="override the number of entries loaded for the reads")
    options.add_argument(
        "--keep", action="store_true", help="keep the temporary folder (databases, server logs)"
    )
    args = options.parse_args(argv)
    wrk_available()
    settings = Settings()
    if args.quick:
        settings = Settings(
            seconds=5.0, warmup_seconds=1.0, entries=100_000, read_requests=100, duration_count=20_000
        )
    if args.seconds:
        settings.seconds = args.seconds
    if args.entries:
        settings.entries = args.entries
    kinds = [SERVER_KINDS[name.strip()] for name in args.servers.split(",")]
    levels = ["full", "normal"] if args.synchronous == "both" else [args.synchronous]
    only = {part.strip() for part in args.only.split(",")}
    variants = [name.strip() for name in args.variants.split(",") if name.strip() not in ("", "none")]
    started = dt.datetime.now(dt.UTC)
    report = Report(
        started=started.strftime("%Y-%m-%d %H:%M UTC"),
        machine=machine(),
        settings={
            "seconds": settings.seconds,
            "concurrency": list(settings.concurrency),
            "entries": settings.entries,
            "read_requests": settings.read_requests,
            "servers": [kind.name for kind in kinds],
            "synchronous": levels,
            "variants": variants,
            "compare": None if args.compare is None else str(args.compare),
            "postgres": args.postgres is not None,
            "quick": args.quick,
        },
    )
    report.commands["suite"] = "python -m bench " + " ".join(argv if argv is not None else sys.argv[1:])
    workdir = pathlib.Path(tempfile.mkdtemp(prefix="hours-bench-"))
    try:
        if "writes" in only:
            for kind in kinds:
                for level in levels:
                    write_runs(report, kind, level, settings, workdir, variants, args.compare, args.postgres)
        if "reads" in only:
            read_runs(report, kinds[0], settings, workdir)
        if "duration" in only:
            duration_run(report, settings)
    finally:
        if args.keep:
            print(f"\nkept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    report.machine["loadavg_end"] = os.getloadavg()
    RESULTS.mkdir(parents=True, exist_ok=True)
    stem = started.strftime("%Y%m%dT%H%M%SZ") + ("-quick" if args.quick else "")
    (RESULTS / f"{stem}.json").write_text(json.dumps(report.__dict__, indent=2, default=str))
    table = markdown(report)
    (RESULTS / f"{stem}.md").write_text(table)
    print(f"\n{table}\nresults: {RESULTS / stem}.json")
    return 0 if all(check.startswith("ok") for check in report.checks) else 1
