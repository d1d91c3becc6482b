"""How cost grows: list, get, report and export at several dataset sizes, on SQLite and PostgreSQL.

Run from the repository root::

    .venv/bin/python -m bench.bench_growth --postgres postgresql://postgres@127.0.0.1:5432/test
    .venv/bin/python -m bench.bench_growth --sizes 10000,100000 --runs 5   # a quick look, SQLite only

For each database and each size, a fresh dataset (:func:`bench.dataset.load_entries`: one
organization, 50 users, 200 projects, five years ending 2026-06-30, so a calendar year holds about a
fifth of the entries) goes into a new SQLite file or a new PostgreSQL schema (dropped afterwards),
the planner's statistics are gathered (:func:`bench.bench_reports.analyze`), and ``hours serve
--workers 1`` serves it. Everything is measured over HTTP against that server with the owner's
token, one keep-alive connection, client-side, as the suite's read benchmark does:

* the suite's reads (:func:`bench.reads.read_requests`): a random month's first page, a year's 20th
  page, ``GET /time-entries/{id}`` of random entries;
* ``GET /reports/time`` for the one-year reports of :func:`bench.bench_reports.cases` (the year
  ending on the dataset's last day, by ``project,user`` and by ``month``);

``--runs`` requests of each, interleaved (one of each in turn, so that a noisy neighbour slows them
alike), after one warm-up pass; each report is followed by an untimed ``GET /time-entries/{id}``,
which absorbs what the server still does after a large answer (freeing it), so that the next timed
request does not pay for it. Then ``--export-runs`` exports of that same year to CSV
(``GET /time-entries/export?format=csv&from=&to=``, read to the end). Each cell is the median and,
in brackets, the slowest run. The statements' query plans are printed for every dataset.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import pathlib
import statistics
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from bench.bench_export import ONE_WORKER, stream_export
from bench.bench_reports import GOALS_MS, analyze, cases
from bench.dataset import load_entries
from bench.reads import Reader, interleaved, query_plans, read_requests
from bench.servers import HOURS_FACTORY, Server
from bench.suite import postgres_schema

__all__ = ["Column", "main", "table"]

DEEP_PAGE = 20
DEEP_READ = f"list: a year, page {DEEP_PAGE}"
READS = {
    "list: a month, first page": "month, first page (limit 100)",
    DEEP_READ: f"year, page {DEEP_PAGE} (cursor)",
    "get by id": "GET /time-entries/{id}",
}
"""The rows of the table taken from the suite's reads, and the suite's names for them."""
REPORTS = {f"report: a year by {group_by}": group_by for group_by in GOALS_MS}
"""The rows of the one-year reports, and their ``groupBy``."""
EXPORT = "export: the year to CSV"
EXPORT_RATE = "export: rows/s"
YEAR_ENTRIES = "entries in the year"
MEASURES = [*READS, *REPORTS, EXPORT, EXPORT_RATE, YEAR_ENTRIES]


@dataclass
class Column:
    """The figures of one database at one size: the cell of each measure, by measure."""

    database: str
    entries: int
    cells: dict[str, str] = field(default_factory=dict)


def table(columns: Sequence[Column], measures: Sequence[str]) -> str:
    """A Markdown table: one row per measure, one column per database and size; ``–`` where a
    column has no figure for a measure."""
    header = (
        "| measure | " + " | ".join(f"{column.database}, {column.entries:,}" for column in columns) + " |"
    )
    lines = [header, "|---|" + "--:|" * len(columns)]
    for measure in measures:
        cells = " | ".join(column.cells.get(measure, "–") for column in columns)
        lines.append(f"| {measure} | {cells} |")
    return "\n".join(lines) + "\n"


def cell(median_ms: float, slowest_ms: float) -> str:
    """A median and, in brackets, the slowest, in milliseconds."""
    return f"{_ms(median_ms)} ({_ms(slowest_ms)})"


def _ms(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def measure(database: str, database_url: str, entries: int, args: argparse.Namespace) -> Column:
    """Load ``entries`` into the empty ``database_url``, serve it, and measure every row of the table."""
    column = Column(database, entries)
    started = time.perf_counter()
    loaded = load_entries(database_url, entries)
    analyze(database_url)
    print(
        f"\n## {database}, {loaded.entries:,} entries (loaded and analyzed in"
        f" {time.perf_counter() - started:.0f} s; load average {_load()})",
        flush=True,
    )
    token = loaded.seeded.token
    year = cases(loaded.last_day)[0].request
    span: dict[str, Any] = {"from": year.date_from, "to": year.date_to}
    with (
        tempfile.TemporaryDirectory(prefix="hours-growth-server-") as workdir,
        Server(
            ONE_WORKER,
            HOURS_FACTORY,
            "/health",
            pathlib.Path(workdir),
            env={"HOURS_DATABASE_URL": database_url},
        ) as server,
    ):
        reader = Reader(server.url, token)
        try:
            reads = read_requests(reader, loaded, args.runs, DEEP_PAGE, last_if_shorter=True)
            requests = {row: reads.requests[name] for row, name in READS.items()}
            settle: list[tuple[str, dict[str, Any] | None]] = [(f"/time-entries/{reads.entry_id}", None)]
            settle *= args.runs
            for row, group_by in REPORTS.items():
                report = ("/reports/time", {**span, "groupBy": group_by})
                reader.get(*report)  # the warm-up run
                requests[row] = [report] * args.runs
                requests[f"after {row}"] = settle
            for timing in interleaved(reader, requests):
                if timing.name in MEASURES:
                    column.cells[timing.name] = cell(timing.median_ms, timing.max_ms)
            if reads.deep_page < DEEP_PAGE:  # a small dataset's year has fewer pages
                column.cells[DEEP_READ] += f", page {reads.deep_page}"
        finally:
            reader.close()
        exports = [
            stream_export(server.url, token, {"format": "csv", **span}) for _ in range(args.export_runs)
        ]
    if any(export.status != 200 for export in exports):
        raise RuntimeError(f"an export answered {[export.status for export in exports]}")
    rows = exports[0].lines - 1  # the header
    seconds = statistics.median(export.total for export in exports)
    column.cells[EXPORT] = cell(seconds * 1000, max(export.total for export in exports) * 1000)
    column.cells[EXPORT_RATE] = f"{rows / seconds:,.0f}"
    column.cells[YEAR_ENTRIES] = f"{rows:,}"
    for measure_name in MEASURES:
        print(f"- {measure_name}: {column.cells[measure_name]}", flush=True)
    for name, plan in query_plans(
        database_url, loaded.seeded.org_id, reads.plan_pages, reads.entry_id
    ).items():
        print(f"  plan of {name}:", *(f"    {line}" for line in plan["plan"]), sep="\n", flush=True)
    return column


@contextlib.contextmanager
def empty_database(database: str, server_url: str | None) -> Iterator[str]:
    """A new, empty SQLite file or PostgreSQL schema (of ``server_url``); removed afterwards."""
    if database == "PostgreSQL":
        assert server_url is not None
        with postgres_schema(server_url) as url:
            yield url
        return
    with tempfile.TemporaryDirectory(prefix="hours-growth-") as folder:
        yield f"sqlite:///{folder}/growth.db"


def _load() -> str:
    return ", ".join(f"{value:.2f}" for value in os.getloadavg())


def main(argv: list[str] | None = None) -> int:
    """Measure every database at every size, then print the table."""
    options = argparse.ArgumentParser(
        prog="python -m bench.bench_growth", description=__doc__.split("\n\n")[0]
    )
    options.add_argument(
        "--postgres", metavar="URL", help="also measure fresh schemas of this PostgreSQL server"
    )
    options.add_argument("--no-sqlite", action="store_true", help="skip SQLite")
    options.add_argument(
        "--sizes",
        default="10000,100000,1000000",
        type=lambda text: [int(size) for size in text.split(",")],
        help="comma-separated entry counts (default: 10000,100000,1000000)",
    )
    options.add_argument("--runs", type=int, default=20, help="timed requests of each read and report")
    options.add_argument("--export-runs", type=int, default=3, help="timed exports of the year")
    args = options.parse_args(argv)
    databases = ([] if args.no_sqlite else ["SQLite"]) + ([] if args.postgres is None else ["PostgreSQL"])
    print(f"load average at start: {_load()}", flush=True)
    columns = []
    for database in databases:
        for entries in args.sizes:
            with empty_database(database, args.postgres) as database_url:
                columns.append(measure(database, database_url, entries, args))
    print(f"\nload average at the end: {_load()}\n\n{table(columns, MEASURES)}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
