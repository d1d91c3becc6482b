"""Benchmark: importing 100,000 rows through the import use case and the bulk path (``add_many``).

Run from the repository root::

    .venv/bin/python -m bench.bench_import                          # Toggl, Clockify, Harvest on SQLite
    .venv/bin/python -m bench.bench_import --sources harvest --rows 20000
    .venv/bin/python -m bench.bench_import --postgres postgresql://postgres@127.0.0.1:5432/test

Each import runs in a fresh process against a new database (SQLite in a temporary folder, or a new
schema of the PostgreSQL database given), as ``hours import`` runs it: the file's bytes are read by
the tracker's reader, users are matched by email (the file names 50 users, created first), 200
projects and 800 tasks are created as the rows name them, the duplicates are looked up and the
entries are stored in batches through ``add_many``, all in one transaction (what the process
holds before the import is frozen out of the garbage collector's passes first, as ``hours import``
and a server's worker do). It then imports the
same file again (every row a duplicate: nothing is stored), then undoes the first import (every
entry it stored soft-deleted, each with its ``time_entry.deleted`` event, in one transaction), and
reports the three times. The issue's budget is 20 s for the first import of 100,000 rows.
``cpu_seconds`` is the process's CPU time
for the first import (the reader, the use case and SQLite's own work all run in it): on a machine
that other work shares, it says what the import costs better than the wall-clock ``seconds``.
``file_mib`` is the SQLite file after the first import (``null`` on PostgreSQL): an
event's row that no longer fits its page shows there first (docs/store.md, migration 0028).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from bench.bench_exchange import import_file

Opened = tuple[Callable[..., object], Callable[[], float | None]]
"""A store's ``unit_of_work``, and what its database takes on disk now in MiB (``None``: not measured)."""


def _sqlite_store() -> AbstractContextManager[Opened]:
    @contextmanager
    def opened() -> Iterator[Opened]:
        from hours_sqlite import SqliteStore

        with tempfile.TemporaryDirectory() as folder, SqliteStore.open(Path(folder) / "bench.db") as store:
            store.migrate()
            yield store.unit_of_work, lambda: _file_mib(Path(folder))

    return opened()


def _file_mib(folder: Path) -> float:
    """The SQLite file, in MiB (the commit's checkpoint has copied the WAL into it; the WAL file
    keeps the size it grew to, whatever it holds)."""
    return round((folder / "bench.db").stat().st_size / 2**20, 1)


def _postgres_store(url: str) -> AbstractContextManager[Opened]:
    @contextmanager
    def opened() -> Iterator[Opened]:
        import psycopg

        from hours_postgres import PostgresStore

        schema = f"bench_import_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(f"CREATE SCHEMA {schema}")
        try:
            with PostgresStore.open(url, schema=schema) as store:
                store.migrate()
                yield store.unit_of_work, lambda: None
        finally:
            with psycopg.connect(url, autocommit=True) as admin:
                admin.execute(f"DROP SCHEMA {schema} CASCADE")

    return opened()


def measure(source: str, rows: int, postgres: str | None) -> dict[str, object]:
    """Import a ``rows``-row ``source`` file twice into a new store; the figures as a dict."""
    from hours_app.garbage import freeze_what_lasts
    from hours_core.clock import SystemClock
    from hours_core.exchange import ImportLimits
    from hours_core.ids import UuidV7Ids
    from hours_core.model import Plan, Role
    from hours_core.services import ImportEntries, build_services
    from hours_exchange import FILE_FORMATS
    from hours_http import JsonEventBodies

    data = import_file(source, rows)
    store = _sqlite_store() if postgres is None else _postgres_store(postgres)
    with store as (unit_of_work, file_mib):
        services = build_services(
            unit_of_work,  # type: ignore[arg-type]
            clock=SystemClock(),
            ids=UuidV7Ids(),
            bodies=JsonEventBodies(),
            file_formats=FILE_FORMATS,
        )
        made = services.admin.bootstrap(
            org_name="Bench", plan=Plan.AGENCY, email="owner@example.com", env="live"
        )
        for number in range(50):
            services.admin.create_user(
                made.org.id, f"user{number}@example.com", Role.MEMBER, name=f"First{number} Last"
            )
        caller = services.admin.owner_caller(made.org.id)
        limits = ImportLimits(max_rows=rows, max_bytes=2**31)
        command = ImportEntries(source=source, data=data, timezone="Europe/Berlin", limits=limits)
        freeze_what_lasts()  # as ``hours import`` does before it imports (and a worker once started)
        started, cpu = time.perf_counter(), time.process_time()
        first = services.imports.import_entries(caller, command)
        first_seconds, first_cpu = time.perf_counter() - started, time.process_time() - cpu
        first_mib = file_mib()
        started = time.perf_counter()
        second = services.imports.import_entries(caller, command)
        second_seconds = time.perf_counter() - started
        started, cpu = time.perf_counter(), time.process_time()
        undone = services.imports.delete_import(caller, first.id) if first.id is not None else None
        undo_seconds, undo_cpu = time.perf_counter() - started, time.process_time() - cpu
    return {
        "store": "sqlite" if postgres is None else "postgresql",
        "source": source,
        "rows": rows,
        "created": first.created,
        "failed": first.failed,
        "seconds": round(first_seconds, 2),
        "cpu_seconds": round(first_cpu, 2),
        "rows_per_second": round(rows / first_seconds),
        "file_mib": first_mib,
        "again_duplicates": second.duplicates,
        "again_seconds": round(second_seconds, 2),
        "undone": undone is not None and undone.deleted_at is not None,
        "undo_seconds": round(undo_seconds, 2),
        "undo_cpu_seconds": round(undo_cpu, 2),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark (see the module docstring)."""
    options = argparse.ArgumentParser(
        prog="python -m bench.bench_import", description=__doc__.splitlines()[0]
    )
    options.add_argument("--rows", type=int, default=100_000, help="rows per file (default 100,000)")
    options.add_argument("--sources", default="toggl,clockify,harvest")
    options.add_argument(
        "--postgres", metavar="URL", help="import into a new schema of this database instead"
    )
    options.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    arguments = options.parse_args(argv)
    if arguments.child:
        source, rows = arguments.child
        print(json.dumps(measure(source, int(rows), arguments.postgres)))
        return 0
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
    for source in arguments.sources.split(","):
        command = [sys.executable, "-m", "bench.bench_import", "--child", source, str(arguments.rows)]
        if arguments.postgres:
            command += ["--postgres", arguments.postgres]
        output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        print(output.strip())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
