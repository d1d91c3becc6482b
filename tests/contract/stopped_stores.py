"""Stores whose schema stops before a given migration, for the tests of migrations.

A test writes rows of the older schema through :attr:`StoppedStore.execute` (a connection outside
the store, in the store's own parameter style and storage forms: :attr:`StoppedStore.dialect`),
then migrates the store and reads the rows back through today's repositories.
"""

from __future__ import annotations

import pathlib
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from typing import Any

import attrs
import psycopg
import pytest

from hours_postgres import PostgresStore
from hours_postgres.dialect import POSTGRES
from hours_sql import Dialect
from hours_sqlite import SqliteStore
from hours_sqlite.dialect import SQLITE
from tests.postgres_url import new_schema_name, require_postgres

__all__ = ["STOPPED_STORES", "Statement", "StoppedStore"]

Statement = tuple[str, tuple[object, ...]]


@attrs.frozen
class StoppedStore:
    """A store migrated up to, not including, a migration, and a connection outside it."""

    store: SqliteStore | PostgresStore
    dialect: Dialect
    execute: Callable[[list[Statement]], list[Any]]
    """Runs statements (written with the dialect's placeholders); returns the rows of the last one."""


@contextmanager
def _sqlite(migration: str, directory: pathlib.Path) -> Iterator[StoppedStore]:
    path = directory / "hours.db"
    with SqliteStore.open(path) as store:
        store.migrate(stop_before=migration)

        def execute(statements: list[Statement]) -> list[Any]:
            rows: list[Any] = []
            with closing(sqlite3.connect(path, isolation_level=None)) as raw:
                for sql, params in statements:
                    rows = raw.execute(sql, params).fetchall()
            return rows

        yield StoppedStore(store, SQLITE, execute)


@contextmanager
def _postgres(migration: str, _directory: pathlib.Path) -> Iterator[StoppedStore]:
    url = require_postgres()
    store = PostgresStore.open(url, schema=new_schema_name("migration"))
    try:
        store.migrate(stop_before=migration)

        def execute(statements: list[Statement]) -> list[Any]:
            rows: list[Any] = []
            with psycopg.connect(url, autocommit=True) as raw:
                raw.execute(f'SET search_path TO "{store.schema}"')
                for sql, params in statements:
                    cursor = raw.execute(sql, params)  # type: ignore[arg-type]
                    rows = cursor.fetchall() if cursor.description else []
            return rows

        yield StoppedStore(store, POSTGRES, execute)
    finally:
        store.drop_schema()
        store.close()


STOPPED_STORES = [
    pytest.param(_sqlite, id="sqlite"),
    pytest.param(_postgres, id="postgres", marks=pytest.mark.postgres),
]
"""``params`` of a fixture that opens each database stopped before a migration."""
