"""Benchmark: a first sync of the entry list (``updatedSince``), and its running timers, on SQLite.

Run from the repository root::

    .venv/bin/python -m bench.bench_sync                    # 130,000 entries
    .venv/bin/python -m bench.bench_sync --entries 13000

It loads ``--entries`` entries of one organization into a new SQLite file (``bench.dataset``: 50
users, 200 projects, five years), then:

* pages through every entry changed since 2000-01-01, 500 a page, as a client's first sync does
  (``uow.entries.list`` with the cursor of each page), by each rule of the repository: the page
  sorts every entry changed since then (the rule before round 12, forced by raising
  ``CHANGED_SORTED_AT_MOST`` past the entry count) and the rule now (count the changed entries
  first, up to 5,000; from 5,000 on, walk the list order);
* times one page of ``running=true`` (the median of ``--runs``), the statement as it is now and
  without its index hint (``INDEXED BY time_entries_one_running_per_user``), as before round 12.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.dataset import load_entries
from hours_core.model import OrgId
from hours_core.ports import EntryCursor, EntryQuery
from hours_sql import repositories, statements_for
from hours_sql.statements import RUNNING_TIMERS_INDEX
from hours_sqlite import SqliteStore
from hours_sqlite.dialect import SQLITE

_PAGE = 500
_SINCE = datetime(2000, 1, 1, tzinfo=UTC)


def _first_sync(store: SqliteStore, org_id: OrgId) -> tuple[int, int, float]:
    """Pages, entries and seconds of paging every entry changed since :data:`_SINCE`."""
    pages, entries, after = 0, 0, None
    started = time.perf_counter()
    while True:
        with store.unit_of_work(read_only=True) as uow:
            page = uow.entries.list(org_id, EntryQuery(updated_since=_SINCE, after=after, limit=_PAGE))
        pages, entries = pages + 1, entries + len(page)
        if len(page) < _PAGE:
            return pages, entries, time.perf_counter() - started
        last = page[-1]
        after = EntryCursor(entry_date=last.entry_date, created_at=last.created_at, id=last.id)


def _median_ms(connection: sqlite3.Connection, sql: str, params: list[object], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        connection.execute(sql, params).fetchall()
        times.append(time.perf_counter() - started)
    return 1000 * statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark (see the module docstring)."""
    options = argparse.ArgumentParser(prog="python -m bench.bench_sync", description=__doc__.splitlines()[0])
    options.add_argument("--entries", type=int, default=130_000)
    options.add_argument(
        "--runs", type=int, default=7, help="reads of the running timers' page to take the median of"
    )
    arguments = options.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="hours-bench-sync-") as folder:
        path = Path(folder) / "bench.db"
        loaded = load_entries(f"sqlite:///{path}", arguments.entries)
        org_id = loaded.seeded.org_id
        print(f"{loaded.entries:,} entries of one organization loaded in {loaded.seconds:.1f} s")
        with SqliteStore.open(path) as store:
            rule_now = repositories.CHANGED_SORTED_AT_MOST
            for label, limit in (
                ("every page sorts what changed (before)", 10**12),
                ("counted (now)", rule_now),
            ):
                repositories.CHANGED_SORTED_AT_MOST = limit
                try:
                    pages, entries, seconds = _first_sync(store, org_id)
                finally:
                    repositories.CHANGED_SORTED_AT_MOST = rule_now
                print(
                    f"first sync, {label}: {entries:,} entries in {pages} pages of {_PAGE}: {seconds:.2f} s "
                    f"({1000 * seconds / pages:.1f} ms a page)"
                )
        sql, params = statements_for(SQLITE).entry_list(org_id, EntryQuery(running=True, limit=100))
        hint = SQLITE.indexed_by(RUNNING_TIMERS_INDEX)
        with sqlite3.connect(path) as connection:
            before = _median_ms(connection, sql.replace(hint, ""), params, arguments.runs)
            now = _median_ms(connection, sql, params, arguments.runs)
        print(f"running=true, one page: {before:.2f} ms without the index hint (before), {now:.2f} ms now")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
