"""An organization with a history: rates and closed periods written beside the seeded one.

An entry write reads the rates that may apply to it and the closed periods of its days; before,
it read every rate and every period of its organization, so its cost grew with the years an
organization had been running. ``bench.pg_cpu --rates N --periods M`` measures a create in such
an organization: ``N`` projects, each with a project rate, and ``M`` closed periods of two days
each, every third day from 2000-01-01 on (none near the runs' entry date).

The rows are written with a plain connection (``sqlite3`` or psycopg), not through hours, so that
a compared tree (``--compare``) gets the very same rows in the schema its own migrations made.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import uuid
from typing import Any

from bench.dataset import Seeded

__all__ = ["add_history"]

_STAMP = "2026-01-01T00:00:00.000000Z"
_FIRST_DAY = dt.date(2000, 1, 1)


def _rows(seeded: Seeded, rates: int, periods: int) -> dict[str, list[tuple[Any, ...]]]:
    org, owner = str(seeded.org_id), str(seeded.owner_id)
    projects = [
        (str(uuid.uuid4()), org, f"History project {index}", _STAMP, _STAMP) for index in range(rates)
    ]
    return {
        "INSERT INTO projects (id, org_id, name, archived, billable_by_default, created_at, updated_at,"
        " client_id, version) VALUES ({p}, {p}, {p}, false, true, {p}, {p}, NULL, 1)": projects,
        "INSERT INTO rates (id, org_id, scope, client_id, project_id, user_id, billable_rate_minor,"
        " cost_rate_minor, currency, effective_from, created_at)"
        " VALUES ({p}, {p}, 'project', NULL, {p}, NULL, {p}, NULL, 'EUR', {p}, {p})": [
            (
                str(uuid.uuid4()),
                org,
                project[0],
                10_000 + index,
                (_FIRST_DAY + dt.timedelta(days=index % 7)).isoformat(),
                _STAMP,
            )
            for index, project in enumerate(projects)
        ],
        "INSERT INTO closed_periods (org_id, first_day, last_day, reason, locked_by, locked_at)"
        " VALUES ({p}, {p}, {p}, 'History', {p}, {p})": [
            (
                org,
                (_FIRST_DAY + dt.timedelta(days=3 * index)).isoformat(),
                (_FIRST_DAY + dt.timedelta(days=3 * index + 1)).isoformat(),
                owner,
                _STAMP,
            )
            for index in range(periods)
        ],
    }


def add_history(seeded: Seeded, *, rates: int, periods: int) -> None:
    """Write ``rates`` projects with a project rate each and ``periods`` closed periods into the
    seeded organization (see the module's docstring)."""
    rows = _rows(seeded, rates, periods)
    url = seeded.database_url
    if url.startswith("postgresql://"):
        import psycopg

        with psycopg.connect(url) as conn, conn.cursor() as cursor:
            for statement, values in rows.items():
                if values:
                    cursor.executemany(statement.format(p="%s"), values)
        return
    with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
        for statement, values in rows.items():
            db.executemany(statement.format(p="?").replace("false", "0").replace("true", "1"), values)
