"""Idempotency records written before ``0002_idempotency_result`` replay after it, byte for byte.

Before that migration a record kept the HTTP response in three columns (status, body, headers);
after it, one opaque result that the HTTP adapter frames. A record lives 24 hours, so an upgrade
meets records of the old form: each database's migration reframes them, and the HTTP adapter
must answer a replay of them exactly as it answered the first request.
"""

from __future__ import annotations

import json
import pathlib
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager

import psycopg
import pytest

from hours_core.idempotency import IdempotencyRecord
from hours_core.ports import UnitOfWorkFactory
from hours_core.services import Outcome
from hours_http.idempotency import RecordedResponse, to_response, unframe
from hours_postgres import PostgresStore
from hours_sqlite import SqliteStore
from tests.postgres_url import new_schema_name, require_postgres

from .conftest import T0, Build, OpenStore, Tenant, make_tenant

BEFORE = "0002_idempotency_result"

BODY = b'{"data":{"id":"e1","note":"caf\xc3\xa9 \\u0000"}}'
HEADERS = (("Location", "/time-entries/e1"), ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2"))

OldRow = tuple[object, ...]
"""A row of the 0001 table: org, user, key, fingerprint, created, status, body, headers, completed."""

WriteOld = Callable[[list[OldRow]], None]


@contextmanager
def sqlite_before(directory: pathlib.Path) -> Iterator[tuple[SqliteStore, WriteOld]]:
    with SqliteStore.open(directory / "hours.db") as store:
        store.migrate(stop_before=BEFORE)

        def write(rows: list[OldRow]) -> None:
            with closing(sqlite3.connect(directory / "hours.db", isolation_level=None)) as raw:
                raw.executemany(
                    "INSERT INTO idempotency_records VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        (
                            str(org),
                            str(user),
                            key,
                            fingerprint,
                            "2024-03-01T09:00:00.000000Z",
                            status,
                            body,
                            None if headers is None else json.dumps(headers),
                            None if completed is None else "2024-03-01T09:00:01.000000Z",
                        )
                        for org, user, key, fingerprint, _created, status, body, headers, completed in rows
                    ],
                )

        yield store, write


@contextmanager
def postgres_before(_directory: pathlib.Path) -> Iterator[tuple[PostgresStore, WriteOld]]:
    url = require_postgres()
    store = PostgresStore.open(url, schema=new_schema_name("migration"))
    try:
        store.migrate(stop_before=BEFORE)

        def write(rows: list[OldRow]) -> None:
            with psycopg.connect(url, autocommit=True) as raw:
                raw.execute(f'SET search_path TO "{store.schema}"')
                for org, user, key, fingerprint, created, status, body, headers, completed in rows:
                    raw.execute(
                        "INSERT INTO idempotency_records VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                        (
                            org,
                            user,
                            key,
                            fingerprint,
                            created,
                            status,
                            body,
                            None if headers is None else json.dumps(headers),
                            completed,
                        ),
                    )

        yield store, write
    finally:
        store.drop_schema()
        store.close()


OPENERS = {
    "sqlite": sqlite_before,
    "postgres": pytest.param(postgres_before, marks=pytest.mark.postgres),
}


@pytest.fixture(params=list(OPENERS.values()), ids=list(OPENERS))
def before_upgrade(
    request: pytest.FixtureRequest, tmp_path: pathlib.Path
) -> Iterator[tuple[SqliteStore | PostgresStore, WriteOld]]:
    """A store migrated up to, not including, 0002, and a way to write records of the old form."""
    with request.param(tmp_path) as opened:
        yield opened


def stored(unit_of_work: UnitOfWorkFactory, tenant: Tenant, key: str) -> IdempotencyRecord | None:
    with unit_of_work(read_only=True) as uow:
        return uow.idempotency.get(tenant.org.id, tenant.member.id, key)


def test_a_response_recorded_before_the_upgrade_replays_byte_for_byte_after_it(
    before_upgrade: tuple[SqliteStore | PostgresStore, WriteOld], build: Build
) -> None:
    store, write_old = before_upgrade
    tenant = make_tenant(build, "Acme")
    OpenStore("old", store.unit_of_work).seed(tenant.org, tenant.owner, tenant.member, tenant.project)
    member = (tenant.org.id, tenant.member.id)
    write_old(
        [
            (*member, "done", "f" * 64, T0, 201, BODY, [list(pair) for pair in HEADERS], T0),
            (*member, "empty", "e" * 64, T0, 204, b"", [], T0),
            (*member, "in-progress", "p" * 64, T0, None, None, None, None),
        ]
    )

    assert store.migrate()[0] == BEFORE  # later migrations may follow it
    done = stored(store.unit_of_work, tenant, "done")
    empty = stored(store.unit_of_work, tenant, "empty")
    in_progress = stored(store.unit_of_work, tenant, "in-progress")

    assert done is not None and done.result is not None and done.is_complete
    assert unframe(done.result) == RecordedResponse(201, BODY, HEADERS)
    replay = to_response(Outcome(done.result, replayed=True))
    assert replay.status_code == 201
    assert replay.content == BODY
    assert empty is not None and empty.result is not None
    assert unframe(empty.result) == RecordedResponse(204, b"")
    assert in_progress is not None and not in_progress.is_complete and in_progress.completed_at is None
