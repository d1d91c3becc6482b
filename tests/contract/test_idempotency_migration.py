"""Idempotency records written before ``0002_idempotency_result`` replay after it, byte for byte.

Before that migration a record kept the HTTP response in three columns (status, body, headers);
after it, one opaque result that the HTTP adapter frames. A record lives 24 hours, so an upgrade
meets records of the old form: each database's migration reframes them, and the HTTP adapter
must answer a replay of them exactly as it answered the first request.
"""

from __future__ import annotations

import json
import pathlib
from collections.abc import Iterator

import pytest

from hours_core.idempotency import IdempotencyRecord
from hours_core.ports import UnitOfWorkFactory
from hours_core.services import Outcome
from hours_http.idempotency import RecordedResponse, to_response, unframe
from hours_sql import statements_for

from .conftest import T0, Build, Tenant, make_tenant, rows_before_0004
from .stopped_stores import STOPPED_STORES, StoppedStore

BEFORE = "0002_idempotency_result"

BODY = b'{"data":{"id":"e1","note":"caf\xc3\xa9 \\u0000"}}'
HEADERS = (("Location", "/time-entries/e1"), ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2"))

OldRow = tuple[object, ...]
"""A row of the 0001 table: org, user, key, fingerprint, created, status, body, headers, completed."""


@pytest.fixture(params=STOPPED_STORES)
def before_upgrade(request: pytest.FixtureRequest, tmp_path: pathlib.Path) -> Iterator[StoppedStore]:
    """SQLite and PostgreSQL, each migrated up to, not including, 0002."""
    with request.param(BEFORE, tmp_path) as opened:
        yield opened


def write_old_records(stopped: StoppedStore, rows: list[OldRow]) -> None:
    """Idempotency records in the form of 0001 (status, body and headers in columns of their own)."""
    sql = statements_for(stopped.dialect)
    insert = stopped.dialect.sql("INSERT INTO idempotency_records VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")

    def instant(value: object) -> object:
        return None if value is None else sql.instant(value)

    stopped.execute(
        [
            (
                insert,
                (
                    sql.reference(org),
                    sql.reference(user),
                    key,
                    fingerprint,
                    instant(created),
                    status,
                    body,
                    None if headers is None else json.dumps(headers),
                    instant(completed),
                ),
            )
            for org, user, key, fingerprint, created, status, body, headers, completed in rows
        ]
    )


def stored(unit_of_work: UnitOfWorkFactory, tenant: Tenant, key: str) -> IdempotencyRecord | None:
    with unit_of_work(read_only=True) as uow:
        return uow.idempotency.get(tenant.org.id, tenant.member.id, key)


def test_a_response_recorded_before_the_upgrade_replays_byte_for_byte_after_it(
    before_upgrade: StoppedStore, build: Build
) -> None:
    store = before_upgrade.store
    tenant = make_tenant(build, "Acme")
    before_upgrade.execute(rows_before_0004(before_upgrade.dialect, tenant.org, tenant.owner, tenant.member))
    member = (tenant.org.id, tenant.member.id)
    write_old_records(
        before_upgrade,
        [
            (*member, "done", "f" * 64, T0, 201, BODY, [list(pair) for pair in HEADERS], T0),
            (*member, "empty", "e" * 64, T0, 204, b"", [], T0),
            (*member, "in-progress", "p" * 64, T0, None, None, None, None),
        ],
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
