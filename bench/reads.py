"""Reads at scale: list pages and single entries against a large database, and their query plans."""

from __future__ import annotations

import datetime as dt
import http.client
import json
import random
import sqlite3
import statistics
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from bench.dataset import Loaded, settings_for
from hours_app.composition import build
from hours_core.installation import CURSOR_SECRET
from hours_core.model import OrgId, TimeEntryId
from hours_core.ports import EntryQuery
from hours_http.cursors import Cursors

__all__ = [
    "Page",
    "ReadRequests",
    "ReadTiming",
    "Reader",
    "interleaved",
    "query_plans",
    "read_requests",
    "timed",
]


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
    reader: Reader, requests: Mapping[str, Sequence[tuple[str, dict[str, Any] | None]]]
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


def follow(
    reader: Reader, params: dict[str, Any], pages: int, *, last_if_shorter: bool = False
) -> tuple[str, int]:
    """The cursor that fetches page ``pages`` (1-based) of the list with ``params``, and ``pages``;
    with ``last_if_shorter``, if the list has fewer pages (but more than one), the cursor of its last
    page and that page's number instead.
    """
    cursor: str | None = None
    for page in range(1, pages):
        document = reader.get("/time-entries", {**params, **({"cursor": cursor} if cursor else {})})
        following = document["nextCursor"]
        if following is None:
            if last_if_shorter and cursor is not None:
                return cursor, page
            raise RuntimeError(f"the list {params} has fewer than {pages} pages")
        cursor = following
    assert cursor is not None
    return cursor, pages


def month_ranges(first_day: dt.date, last_day: dt.date) -> list[tuple[dt.date, dt.date]]:
    """Every whole calendar month from ``first_day`` to ``last_day``."""
    months: list[tuple[dt.date, dt.date]] = []
    day = dt.date(first_day.year, first_day.month, 1)
    if day < first_day:
        day = dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)
    while True:
        following = dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)
        if following - dt.timedelta(days=1) > last_day:
            return months
        months.append((day, following - dt.timedelta(days=1)))
        day = following


def sample_ids(database_url: str, count: int, seed: int) -> list[str]:
    """``count`` random entry ids of the database (SQLite file or PostgreSQL schema), the same for
    the same ``seed`` and data."""
    if not database_url.startswith("sqlite:///"):
        import psycopg

        with psycopg.connect(database_url) as conn:
            rows = conn.execute(
                "SELECT id::text FROM time_entries ORDER BY md5(id::text || %s) LIMIT %s", (str(seed), count)
            ).fetchall()
        return [row[0] for row in rows]
    with sqlite3.connect(database_url.removeprefix("sqlite:///")) as db:
        total = db.execute("SELECT max(rowid) FROM time_entries").fetchone()[0]
        rng = random.Random(seed)
        ids: list[str] = []
        while len(ids) < count:
            row = db.execute(
                "SELECT id FROM time_entries WHERE rowid = ?", (rng.randint(1, total),)
            ).fetchone()
            if row is not None:
                ids.append(row[0])
    return ids


@dataclass(frozen=True)
class Page:
    """A page of an owner's list: its dates, its size and the cursor that reaches it (none: the first)."""

    date_from: dt.date
    date_to: dt.date
    limit: int = 100
    cursor: str | None = None


@dataclass(frozen=True)
class ReadRequests:
    """The read benchmark's requests, by name, and the pages whose plans go with them."""

    requests: dict[str, list[tuple[str, dict[str, Any] | None]]]
    plan_pages: dict[str, Page]
    entry_id: str
    deep_page: int
    """The page the deep reads fetch (the shallowest, if a year had fewer pages than asked)."""


def read_requests(
    reader: Reader,
    loaded: Loaded,
    count: int,
    deep_page: int,
    seed: int = 20261128,
    *,
    last_if_shorter: bool = False,
) -> ReadRequests:
    """``count`` requests of each kind over the ``loaded`` dataset, after one
    warm-up pass over every month: a random month's first page, a whole calendar year's first page,
    the same year's page ``deep_page`` (its cursor found by following ``nextCursor``), and
    ``GET /time-entries/{id}`` of random entries. With ``last_if_shorter``, a year with fewer
    pages gets its last page instead (:attr:`ReadRequests.deep_page` says the shallowest reached).
    """
    first_day, last_day = loaded.first_day, loaded.last_day
    rng = random.Random(seed)
    months = month_ranges(first_day, last_day)
    years = [
        (dt.date(year, 1, 1), dt.date(year, 12, 31)) for year in range(first_day.year + 1, last_day.year)
    ]
    followed = [
        follow(reader, {"from": start, "to": end, "limit": 100}, deep_page, last_if_shorter=last_if_shorter)
        for start, end in years
    ]
    deep_cursors = [cursor for cursor, _page in followed]
    timed(
        "warm-up",
        reader,
        [("/time-entries", {"from": start, "to": end, "limit": 100}) for start, end in months],
    )
    ids = sample_ids(loaded.seeded.database_url, count, seed=seed)

    def year_page(n: int, cursor: bool) -> dict[str, Any]:
        start, end = years[n % len(years)]
        return {
            "from": start,
            "to": end,
            "limit": 100,
            **({"cursor": deep_cursors[n % len(years)]} if cursor else {}),
        }

    requests: dict[str, list[tuple[str, dict[str, Any] | None]]] = {
        "month, first page (limit 100)": [
            ("/time-entries", {"from": start, "to": end, "limit": 100})
            for start, end in (rng.choice(months) for _ in range(count))
        ],
        "year, first page (limit 100)": [("/time-entries", year_page(n, False)) for n in range(count)],
        f"year, page {deep_page} (cursor)": [("/time-entries", year_page(n, True)) for n in range(count)],
        "GET /time-entries/{id}": [(f"/time-entries/{entry_id}", None) for entry_id in ids],
    }
    month = months[len(months) // 2]
    middle = len(years) // 2
    plan_pages = {
        "month, first page": Page(month[0], month[1]),
        f"year, page {deep_page}": Page(years[middle][0], years[middle][1], cursor=deep_cursors[middle]),
    }
    return ReadRequests(requests, plan_pages, ids[0], min(page for _cursor, page in followed))


def query_plans(database_url: str, org_id: OrgId, pages: dict[str, Page], entry_id: str) -> dict[str, Any]:
    """The plan of the statement the repository runs for each page of the owner's list and for one
    ``get``, captured from the repository itself (so it is the statement the API runs) in a read-only
    unit of work of the store: SQLite's ``EXPLAIN QUERY PLAN``, PostgreSQL's ``EXPLAIN (ANALYZE,
    BUFFERS)``.
    """
    sqlite = database_url.startswith("sqlite:///")
    explain = "EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN (ANALYZE, BUFFERS) "
    application = build(settings_for(database_url))
    cursors = Cursors(lambda: application.services.installation.secret(CURSOR_SECRET))
    queries: dict[str, EntryQuery | None] = {
        name: _list_query(cursors, org_id, page) for name, page in pages.items()
    }
    queries["get by id"] = None
    plans: dict[str, Any] = {}
    try:
        for name, query in queries.items():
            with application.store.unit_of_work(read_only=True) as uow:
                session = getattr(uow.entries, "_session")  # noqa: B009 (the session the repository runs its statements on)
                run_rows = session.rows
                statements: list[tuple[str, list[Any]]] = []

                def recording(
                    sql: str, params: Any = (), run_rows: Any = run_rows, seen: Any = statements
                ) -> Any:
                    seen.append((sql, list(params)))
                    return run_rows(sql, params)

                session.rows = recording
                if query is None:
                    uow.entries.get(org_id, TimeEntryId(UUID(entry_id)))
                else:
                    uow.entries.list(org_id, query)
                sql, params = statements[-1]
                steps = [str(row[3] if sqlite else row[0]) for row in run_rows(explain + sql, params)]
            plans[name] = {"sql": sql, "params": [str(param) for param in params], "plan": steps}
    finally:
        application.close()
    return plans


def _list_query(cursors: Cursors, org_id: OrgId, page: Page) -> EntryQuery:
    """The query the service sends the repository for an owner's page (one row more than the page)."""
    return EntryQuery(
        date_from=page.date_from,
        date_to=page.date_to,
        limit=page.limit + 1,
        after=None
        if page.cursor is None
        else cursors.decode(page.cursor, descending=False, listing=f"entries:{org_id}"),
    )
