"""Reads at scale: list pages and single entries against a large database, and their query plans."""

from __future__ import annotations

import datetime as dt
import http.client
import json
import random
import sqlite3
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from sqlite_utils import Database

from hours_core.installation import CURSOR_SECRET
from hours_core.model import OrgId, TimeEntryId
from hours_core.ports import EntryQuery
from hours_http.cursors import Cursors
from hours_sql import statements_for
from hours_sql.repositories import SqlTimeEntryRepository
from hours_sqlite.dialect import SQLITE
from hours_sqlite.session import SqliteSession

__all__ = ["ReadTiming", "Reader", "interleaved", "query_plans", "timed"]


@dataclass(frozen=True)
class ReadTiming:
    """Client-side latency of sequential requests over one keep-alive connection."""

    name: str
    requests: int
    median_ms: float
    p90_ms: float
    max_ms: float
    rows_per_page: float

    def as_dict(self) -> dict[str, object]:
        """For the JSON results."""
        return dict(self.__dict__)


class Reader:
    """A keep-alive HTTP/1.1 client with a bearer token (``http.client``: little client overhead)."""

    def __init__(self, base_url: str, token: str) -> None:
        host, port = base_url.removeprefix("http://").split(":")
        self._connection = http.client.HTTPConnection(host, int(port), timeout=30)
        self._headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}

    def get(self, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """The JSON body of ``GET path?params``; raises unless 200."""
        target = path + ("?" + urlencode(params) if params else "")
        self._connection.request("GET", target, headers=self._headers)
        response = self._connection.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"GET {target} answered {response.status}: {body[:300]!r}")
        document: dict[str, Any] = json.loads(body)
        return document

    def close(self) -> None:
        """Close the connection."""
        self._connection.close()


def timed(name: str, reader: Reader, requests: Sequence[tuple[str, dict[str, Any] | None]]) -> ReadTiming:
    """Send ``requests`` one after the other; the latency of each, client-side."""
    return interleaved(reader, {name: requests})[0]


def interleaved(
    reader: Reader, requests: dict[str, Sequence[tuple[str, dict[str, Any] | None]]]
) -> list[ReadTiming]:
    """Send the requests of every name in turn (one of each, then the next of each, ...), so that a
    noisy neighbour slows them alike; the latency of each, client-side, summed up per name.
    """
    seconds: dict[str, list[float]] = {name: [] for name in requests}
    rows = dict.fromkeys(requests, 0)
    for round_ in zip(*requests.values(), strict=True):
        for name, (path, params) in zip(requests, round_, strict=True):
            started = time.perf_counter()
            document = reader.get(path, params)
            seconds[name].append(time.perf_counter() - started)
            data = document["data"]
            rows[name] += len(data) if isinstance(data, list) else 1
    timings = []
    for name, measured in seconds.items():
        ordered = sorted(measured)
        timings.append(
            ReadTiming(
                name=name,
                requests=len(ordered),
                median_ms=statistics.median(ordered) * 1000,
                p90_ms=ordered[int(0.9 * (len(ordered) - 1))] * 1000,
                max_ms=ordered[-1] * 1000,
                rows_per_page=rows[name] / len(ordered),
            )
        )
    return timings


def follow(reader: Reader, params: dict[str, Any], pages: int) -> str:
    """The cursor that fetches page ``pages`` (1-based) of the list with ``params``."""
    cursor: str | None = None
    for _ in range(pages - 1):
        document = reader.get("/time-entries", {**params, **({"cursor": cursor} if cursor else {})})
        cursor = document["nextCursor"]
        if cursor is None:
            raise RuntimeError(f"the list {params} has fewer than {pages} pages")
    assert cursor is not None
    return cursor


def month_ranges(first_day: dt.date, last_day: dt.date) -> list[tuple[dt.date, dt.date]]:
    """Every whole calendar month from ``first_day`` to ``last_day``."""
    months = []
    day = dt.date(first_day.year, first_day.month, 1)
    if day < first_day:
        day = dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)
    while True:
        following = dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)
        if following - dt.timedelta(days=1) > last_day:
            return months
        months.append((day, following - dt.timedelta(days=1)))
        day = following


def sample_ids(path: str, count: int, seed: int) -> list[str]:
    """``count`` random entry ids from the database file."""
    with sqlite3.connect(path) as db:
        total = db.execute("SELECT max(rowid) FROM time_entries").fetchone()[0]
        rng = random.Random(seed)
        ids = []
        while len(ids) < count:
            row = db.execute(
                "SELECT id FROM time_entries WHERE rowid = ?", (rng.randint(1, total),)
            ).fetchone()
            if row is not None:
                ids.append(row[0])
    return ids


class _RecordingSession(SqliteSession):
    """A read-only session that remembers each statement the repository runs."""

    def __init__(self, db: Database) -> None:
        super().__init__(db, writable=False)
        self.statements: list[tuple[str, list[Any]]] = []

    def rows(self, sql: str, params: Any = ()) -> list[Any]:
        self.statements.append((sql, list(params)))
        return super().rows(sql, params)


def query_plans(path: str, org_id: OrgId, queries: dict[str, EntryQuery], entry_id: str) -> dict[str, Any]:
    """``EXPLAIN QUERY PLAN`` of the statements the SQLite repository runs for each list query and
    for one ``get``, captured from the repository itself (so they are the statements the API runs).
    """
    plans: dict[str, Any] = {}
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("PRAGMA query_only = ON")
        runs: dict[str, Any] = {
            name: (lambda repository, query=query: repository.list(org_id, query))
            for name, query in queries.items()
        }
        runs["get by id"] = lambda repository: repository.get(org_id, TimeEntryId(UUID(entry_id)))
        for name, run in runs.items():
            session = _RecordingSession(Database(connection, execute_plugins=False))
            run(SqlTimeEntryRepository(session, statements_for(SQLITE)))
            session.rollback()
            sql, params = session.statements[-1]
            steps = [row[3] for row in connection.execute(f"EXPLAIN QUERY PLAN {sql}", params)]
            plans[name] = {"sql": sql, "params": params, "plan": steps}
    finally:
        connection.close()
    return plans


def list_query(path: str, date_from: dt.date, date_to: dt.date, limit: int, cursor: str | None) -> EntryQuery:
    """The query the service sends the repository for an owner's page (one row more than the page);
    ``cursor`` is checked with the cursor secret of the database file at ``path``."""

    def load_key() -> bytes:
        with sqlite3.connect(path) as db:
            row = db.execute("SELECT secret FROM installation_secrets WHERE name = ?", (CURSOR_SECRET,))
            return bytes(row.fetchone()[0])

    return EntryQuery(
        date_from=date_from,
        date_to=date_to,
        limit=limit + 1,
        after=None if cursor is None else Cursors(load_key).decode(cursor, descending=False),
    )
