"""Benchmark: ``GET /reports/time``'s use case over the 1,000,000-entry dataset, on SQLite and PostgreSQL.

Run from the repository root, on a quiet machine::

    .venv/bin/python -m bench.bench_reports                                   # SQLite, 1,000,000 entries
    .venv/bin/python -m bench.bench_reports --postgres postgresql://postgres@127.0.0.1:5432/test
    .venv/bin/python -m bench.bench_reports --entries 100000 --runs 5         # a quick look at the shape

The dataset is :func:`bench.dataset.load_entries` (one organization, 50 users, 200 projects, five
years ending 2026-06-30, so a year holds about a fifth of the entries), stored through the bulk path
into a fresh SQLite file and, with ``--postgres``, a fresh schema that is dropped afterwards. Each
case is the report use case itself (``services.reports.time_report``: the ``GROUP BY`` in the
database, the labels, the tree), timed ``--runs`` times after one warm-up run; the median and the
slowest are printed with the goal of issue 13 (one year by ``project,user`` under 300 ms, by
``month`` under 150 ms). The query plan of each case's aggregation is printed too (SQLite's
``EXPLAIN QUERY PLAN``; PostgreSQL's ``EXPLAIN (ANALYZE, BUFFERS)``), for docs/performance.md.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import date
from typing import Any

import attrs

from bench.dataset import Loaded, load_entries, settings_for
from bench.suite import postgres_schema
from hours_app.composition import build
from hours_core.model import OrgId
from hours_core.reports import ReportQuery, WeekStart
from hours_core.services import Caller, TimeReportRequest

GOALS_MS = {"project,user": 300.0, "month": 150.0}
"""Issue 13: the median of a one-year report, by grouping."""


@attrs.frozen
class Case:
    """One report to time: a name and the request."""

    name: str
    request: TimeReportRequest


def cases(last_day: date) -> list[Case]:
    """The one-year reports of the issue, ending on the dataset's last day."""
    first = last_day.replace(year=last_day.year - 1) + (date(2001, 1, 2) - date(2001, 1, 1))
    return [
        Case(group_by, TimeReportRequest(date_from=first, date_to=last_day, group_by=group_by))
        for group_by in GOALS_MS
    ]


def owner_caller(application: Any, org_id: OrgId) -> Caller:
    """The organization's owner, as the API would see them."""
    admin = application.services.admin
    org = next(org for org in admin.list_orgs() if org.id == org_id)
    user = next(user for user in admin.list_users(org_id) if user.role.value == "owner")
    return Caller(user=user, org=org)


def time_case(application: Any, caller: Caller, case: Case, runs: int) -> list[float]:
    """Milliseconds of each run of ``case`` (after one warm-up run)."""
    reports = application.services.reports
    reports.time_report(caller, case.request)
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        reports.time_report(caller, case.request)
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def explain(database_url: str, org_id: OrgId, case: Case) -> Iterator[str]:
    """The plan of the case's aggregation, line by line."""
    query = ReportQuery.parse(
        date_from=case.request.date_from,
        date_to=case.request.date_to,
        group_by=case.request.group_by,
        week_start=None,
        rounding=None,
        default_week_start=WeekStart.MONDAY,
    )
    if database_url.startswith("sqlite:///"):
        import sqlite3

        from hours_sql import statements_for
        from hours_sql.reports import ReportStatement
        from hours_sqlite.dialect import SQLITE

        sql, params = ReportStatement(statements_for(SQLITE), org_id, query, amounts=True).aggregate()
        connection = sqlite3.connect(database_url.removeprefix("sqlite:///"))
        try:
            for row in connection.execute(f"EXPLAIN QUERY PLAN {sql}", params):
                yield str(row[-1])
        finally:
            connection.close()
        return
    import psycopg

    from hours_postgres.dialect import POSTGRES
    from hours_sql import statements_for
    from hours_sql.reports import ReportStatement

    sql, params = ReportStatement(statements_for(POSTGRES), org_id, query, amounts=True).aggregate()
    with psycopg.connect(database_url) as connection:
        for row in connection.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params):  # type: ignore[arg-type]
            yield str(row[0])


def analyze(database_url: str) -> None:
    """Gather the planner's statistics after the bulk load, as a live database has them (PostgreSQL's
    autovacuum, SQLite's ``PRAGMA optimize``); a fresh bulk load has none yet."""
    if database_url.startswith("sqlite:///"):
        import sqlite3

        connection = sqlite3.connect(database_url.removeprefix("sqlite:///"))
        try:
            connection.execute("ANALYZE")
        finally:
            connection.close()
        return
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as connection:
        connection.execute("VACUUM (ANALYZE) time_entries")


def run(label: str, database_url: str, entries: int, runs: int) -> None:
    """Load ``entries`` into ``database_url``, then time and explain every case."""
    started = time.perf_counter()
    loaded: Loaded = load_entries(database_url, entries)
    analyze(database_url)
    print(f"\n## {label}: {loaded.entries:,} entries loaded in {time.perf_counter() - started:.0f} s")
    application = build(settings_for(database_url))
    try:
        caller = owner_caller(application, loaded.seeded.org_id)
        for case in cases(loaded.last_day):
            timings = time_case(application, caller, case, runs)
            median = statistics.median(timings)
            goal = GOALS_MS[case.name]
            verdict = "met" if median < goal else "NOT met"
            print(
                f"- one year by {case.name}: median {median:.1f} ms, slowest {max(timings):.1f} ms "
                f"over {runs} runs (goal < {goal:.0f} ms: {verdict})"
            )
            print("  plan:")
            for line in explain(database_url, loaded.seeded.org_id, case):
                print(f"    {line}")
    finally:
        application.close()


def main() -> None:
    """Parse the arguments and run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=1_000_000, help="entries in the dataset")
    parser.add_argument("--runs", type=int, default=15, help="timed runs per case")
    parser.add_argument("--postgres", help="also run on a fresh schema of this PostgreSQL server URL")
    parser.add_argument("--no-sqlite", action="store_true", help="skip SQLite")
    args = parser.parse_args()
    with ExitStack() as stack:
        if not args.no_sqlite:
            workdir = stack.enter_context(tempfile.TemporaryDirectory(prefix="hours-bench-reports-"))
            run("SQLite", f"sqlite:///{workdir}/reports.db", args.entries, args.runs)
        if args.postgres is not None:
            run("PostgreSQL", stack.enter_context(postgres_schema(args.postgres)), args.entries, args.runs)


if __name__ == "__main__":
    main()
