"""The SQL of reports on SQLite and PostgreSQL: its per-entry arithmetic (rounding, amounts) equals
the core's, and the aggregation reads ``time_entries_for_reports`` (migration
``0012_report_indexes``) and nothing else of the entries.

The entries span four years and the report one, so that the range is selective, as in the
benchmark's dataset (on a table this small a planner would otherwise be free to read it all).
"""

from __future__ import annotations

import pathlib
import sqlite3
from contextlib import closing
from datetime import date, timedelta

import psycopg
import pytest

from hours_core.money import amount_minor
from hours_core.reports import ReportQuery, WeekStart, parse_group_by
from hours_core.rounding import Rounding
from hours_postgres.dialect import POSTGRES
from hours_sql import statements_for
from hours_sql.dialect import Dialect
from hours_sql.reports import ReportStatement, amount_sql, rounded_sql
from hours_sqlite import SqliteStore
from hours_sqlite.dialect import SQLITE
from tests.postgres_support import empty_postgres_store, run_store
from tests.postgres_url import require_postgres

from .conftest import Build, make_tenant

GROUPINGS = ["project,user", "month", "week,client", "day,task,billable"]


def query(group_by: str) -> ReportQuery:
    return ReportQuery(
        date(2024, 1, 1),
        date(2024, 12, 31),
        parse_group_by(group_by),
        WeekStart.MONDAY,
        Rounding.parse("up:15:entry"),
    )


def test_sqlite_answers_a_report_from_its_covering_index(
    sqlite_store: SqliteStore, path: pathlib.Path, build: Build
) -> None:
    a = make_tenant(build, "Acme")
    with sqlite_store.unit_of_work() as uow:
        uow.orgs.add(a.org)
        uow.users.add(a.owner)
        uow.projects.add(a.project)
        uow.entries.add_many(
            [
                build.entry(a.owner, a.project, entry_date=date(2021, 1, 1) + timedelta(days=n))
                for n in range(1500)
            ]
        )
        uow.commit()
    with closing(sqlite3.connect(path)) as raw:
        raw.execute("ANALYZE")
        for group_by in GROUPINGS:
            for amounts in (True, False):
                sql, params = ReportStatement(
                    statements_for(SQLITE), a.org.id, query(group_by), amounts=amounts
                ).aggregate()
                plan = [detail for *_, detail in raw.execute(f"EXPLAIN QUERY PLAN {sql}", params)]
                assert plan[0].startswith("SEARCH e USING COVERING INDEX time_entries_for_reports"), (
                    group_by,
                    plan,
                )
                assert not any(step.startswith("SCAN") for step in plan), (group_by, plan)


@pytest.mark.postgres
def test_postgresql_answers_a_report_from_its_index(build: Build) -> None:
    with empty_postgres_store():
        store = run_store()
        a = make_tenant(build, "Acme")
        with store.unit_of_work() as uow:
            uow.orgs.add(a.org)
            uow.users.add(a.owner)
            uow.projects.add(a.project)
            uow.entries.add_many(
                [
                    build.entry(a.owner, a.project, entry_date=date(2021, 1, 1) + timedelta(days=n))
                    for n in range(1500)
                ]
            )
            uow.commit()
        with psycopg.connect(require_postgres(), autocommit=True) as conn:
            conn.execute(f'SET search_path TO "{store.schema}"')
            conn.execute("VACUUM (ANALYZE) time_entries")
            conn.execute("SET enable_seqscan = off")  # a small table would be scanned whole anyway
            conn.execute("SET enable_bitmapscan = off")
            for group_by in GROUPINGS:
                sql, params = ReportStatement(
                    statements_for(POSTGRES), a.org.id, query(group_by), amounts=True
                ).aggregate()
                plan = "\n".join(row[0] for row in conn.execute(f"EXPLAIN {sql}", params).fetchall())  # type: ignore[arg-type]
                assert "Index Only Scan using time_entries_for_reports" in plan, (group_by, plan)


PAIRS = [
    (s, r)
    for s in (0, 1, 3, 5, 449, 450, 900, 1349, 1350, 3601, 86_400)
    for r in (1, 1800, 9050, 4030, 12_345)
]
PAIRS += [(s, 1_000_000_000) for s in (1, 7, 86_399, 86_400)]
ROUNDINGS = [
    Rounding.parse(f"{mode}:{minutes}:entry")
    for mode in ("up", "down", "nearest")
    for minutes in (1, 6, 15, 60)
]


def expected_values() -> list[tuple[int, ...]]:
    return [
        (
            amount_minor(s, r),
            *(rounding.round_seconds(s) for rounding in ROUNDINGS),
            amount_minor(ROUNDINGS[7].round_seconds(s), r),
        )
        for s, r in PAIRS
    ]


def value_sql(placeholder: str, dialect: Dialect) -> str:
    seconds, rate = "CAST(v.s AS BIGINT)", "CAST(v.r AS BIGINT)"
    columns = [
        amount_sql(seconds, rate, dialect),
        *(rounded_sql(seconds, rounding) for rounding in ROUNDINGS),
    ]
    columns.append(amount_sql(rounded_sql(seconds, ROUNDINGS[7]), rate, dialect))
    rows = ", ".join(f"({placeholder}, {placeholder})" for _ in PAIRS)
    return f"SELECT {', '.join(columns)} FROM (VALUES {rows}) AS v (s, r)"


def test_sqlite_computes_amounts_and_rounding_as_the_core_does() -> None:
    with closing(sqlite3.connect(":memory:")) as raw:
        sql = (
            value_sql("?", SQLITE)
            .replace(" AS v (s, r)", " AS v")
            .replace("v.s", "v.column1")
            .replace("v.r", "v.column2")
        )
        found = raw.execute(sql, [value for pair in PAIRS for value in pair]).fetchall()
    assert found == expected_values()


@pytest.mark.postgres
def test_postgresql_computes_amounts_and_rounding_as_the_core_does() -> None:
    with psycopg.connect(require_postgres()) as conn:
        sql = value_sql("%s", POSTGRES).replace("%", "%%").replace("%%s", "%s")
        found = conn.execute(sql, [value for pair in PAIRS for value in pair]).fetchall()  # type: ignore[arg-type]
    assert found == expected_values()
