"""An app whose writes run in SQLite's write queue, and what the writer connection's savepoint journal
setting was as a use case ran: for the tests of writes that must not run in the queue."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from hours_http import create_app
from hours_sqlite import SqliteStore
from tests.world import World, make_world

__all__ = ["journal_setting", "journals_seen_by", "served_by_the_write_queue"]


@contextmanager
def served_by_the_write_queue(folder: Path) -> Iterator[tuple[World, TestClient[Any], sqlite3.Connection]]:
    """A world on a fresh SQLite file in ``folder``, a client of an app whose writes run in the
    store's write queue (as ``hours serve`` runs them), and the store's writer connection."""
    store = SqliteStore.open(folder / "hours.db")
    store.migrate()
    try:
        world = make_world(store.unit_of_work)
        app = create_app(world.services, run_write=store.write_queue().run, reads_in_thread=False)
        with TestClient(app) as client:
            yield world, client, store._writer.db.conn
    finally:
        store.close()


def journal_setting(conn: sqlite3.Connection) -> int:
    """The connection's ``temp_store``: 2 (MEMORY) as the queue's groups leave it, 0 (DEFAULT) else."""
    return int(conn.execute("PRAGMA temp_store").fetchone()[0])


def journals_seen_by(
    monkeypatch: pytest.MonkeyPatch, conn: sqlite3.Connection, service: object, method: str
) -> list[int]:
    """The list that ``service.method`` notes :func:`journal_setting` in each time it runs, in the
    write transaction it joins: the setting that transaction began with."""
    seen: list[int] = []
    original = getattr(service, method)

    def noting_the_journal(*args: Any, **kwargs: Any) -> Any:
        seen.append(journal_setting(conn))
        return original(*args, **kwargs)

    monkeypatch.setattr(service, method, noting_the_journal)
    return seen
