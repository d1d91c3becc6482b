"""One PostgreSQL schema per test run, shared by the contract tests and the HTTP tests.

The first test that needs PostgreSQL opens a :class:`~hours_postgres.PostgresStore` on a new
schema ``hours_test_<pid>_<random hex>`` and migrates it; each test then starts from empty
tables (:func:`empty_postgres_store` empties them), and the end of the session drops the
schema (:func:`drop_the_postgres_schema_at_the_end`, a session fixture each conftest imports).
So concurrent runs on one server never see each other's rows, and a run leaves nothing behind.
"""

from __future__ import annotations

import pathlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest

from hours_core.ports import UnitOfWorkFactory
from hours_postgres import PostgresStore
from hours_sql import TABLES
from tests.postgres_url import new_schema_name, require_postgres

__all__ = ["drop_the_postgres_schema_at_the_end", "empty_postgres_store", "run_store"]

_EMPTY_ALL = "; ".join(
    f"DELETE FROM {name}"
    for name in (
        "webhook_dispatcher_lease",
        "rate_counters",
        "event_drafts",
        "events",
        "event_counters",
        *(table.name for table in reversed(TABLES)),
    )
)
"""Every table, referring ones first. DELETE is several times faster than TRUNCATE on a few rows."""
_CLEANUP_LOCK_TIMEOUT = "10s"


class _Run:
    """This process's schema: its store, and a connection that empties it between tests."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._store: PostgresStore | None = None
        self._cleaner: psycopg.Connection[tuple[object, ...]] | None = None

    def store(self) -> PostgresStore:
        url = require_postgres()
        with self._lock:
            if self._store is None:
                store = PostgresStore.open(url, schema=new_schema_name())
                store.migrate()
                assert store.schema is not None
                cleaner = psycopg.connect(url, autocommit=True)
                cleaner.execute(f'SET search_path TO "{store.schema}"')
                cleaner.execute(f"SET lock_timeout = '{_CLEANUP_LOCK_TIMEOUT}'")
                self._store, self._cleaner = store, cleaner
            return self._store

    def empty(self) -> PostgresStore:
        store = self.store()
        assert self._cleaner is not None
        self._cleaner.execute(_EMPTY_ALL)
        return store

    def finish(self) -> None:
        with self._lock:
            store, self._store = self._store, None
            cleaner, self._cleaner = self._cleaner, None
        if cleaner is not None:
            cleaner.close()
        if store is not None:
            try:
                store.drop_schema()
            finally:
                store.close()


_RUN = _Run()


def run_store() -> PostgresStore:
    """The run's migrated store (skips, or fails under CI=true, without a reachable server)."""
    return _RUN.store()


@contextmanager
def empty_postgres_store(_directory: pathlib.Path | None = None) -> Iterator[UnitOfWorkFactory]:
    """The run's store with every table emptied: its unit-of-work factory."""
    yield _RUN.empty().unit_of_work


@pytest.fixture(scope="session", autouse=True)
def drop_the_postgres_schema_at_the_end() -> Iterator[None]:
    """Drop the run's schema when the session ends (nothing happens if no test opened it)."""
    yield
    _RUN.finish()
