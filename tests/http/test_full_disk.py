"""A database whose disk is full: a write is answered 503 ``store_full`` with ``Retry-After``,
stores nothing, and goes through, once, when it is retried with room on the disk again.

The disk is "full" for SQLite's writer connection by ``PRAGMA max_page_count``: a write that needs
one page more than the file holds fails with SQLITE_FULL, as on a disk with no room. Before,
SQLite's error went through unchanged and the client got 500 ``internal_error``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest
from litestar.testing import TestClient

from hours_core.errors import StoreFull
from hours_http import create_app
from hours_http.errors import STORE_FULL_RETRY_AFTER_SECONDS
from hours_http.rate_limit import RateLimit
from hours_sqlite import SqliteStore
from tests.http.conftest import bearer
from tests.world import World, make_world

KEY = "01ARZ3NDEKTSV4RRFFQ69G5FAV"


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[SqliteStore]:
    store = SqliteStore.open(tmp_path / "hours.db")
    store.migrate()
    try:
        yield store
    finally:
        store.close()


@pytest.fixture
def world(sqlite_store: SqliteStore) -> World:
    world = make_world(sqlite_store.unit_of_work)
    return attrs.evolve(world, run_write=sqlite_store.write_queue().run, reads_in_thread=False)


@pytest.fixture
def client(world: World) -> Iterator[TestClient[Any]]:
    app = create_app(world.services, run_write=world.run_write, reads_in_thread=world.reads_in_thread)
    with TestClient(app) as client:
        yield client


def disk_full(store: SqliteStore, full: bool) -> None:
    """Give the writer connection no page more than the file holds (or its room back)."""
    with store._writer.held() as db:
        (pages,) = db.execute("PRAGMA page_count").fetchone()
        db.execute(f"PRAGMA max_page_count = {pages if full else 2**31:d}")


def create(client: TestClient[Any], world: World, note: str) -> Any:
    payload = {"projectId": str(world.project.id), "entryDate": "2026-03-02", "duration": "1h", "note": note}
    return client.post(
        "/time-entries", json=payload, headers={**bearer(world.owner_token), "Idempotency-Key": KEY}
    )


def batch(client: TestClient[Any], world: World, operations: list[dict[str, Any]]) -> Any:
    return client.post(
        "/time-entries/batch",
        json={"atomic": False, "operations": operations},
        headers={**bearer(world.owner_token), "Idempotency-Key": KEY},
    )


def listed(client: TestClient[Any], world: World) -> list[str]:
    response = client.get("/time-entries", headers=bearer(world.owner_token))
    assert response.status_code == 200, response.text
    return [entry["note"] for entry in response.json()["data"]]


def test_a_write_on_a_full_disk_is_503_store_full_and_its_retry_stores_it_once(
    client: TestClient[Any], world: World, sqlite_store: SqliteStore
) -> None:
    # Writes big enough to need pages of their own: the file's free pages are used first.
    disk_full(sqlite_store, full=True)
    refused = create(client, world, "x" * 4000)

    assert refused.status_code == 503, refused.text
    assert refused.headers["retry-after"] == str(STORE_FULL_RETRY_AFTER_SECONDS)
    error = refused.json()["error"]
    assert error["code"] == "store_full"
    assert "disk is full" in error["message"] and "nothing was stored" in error["message"]
    assert listed(client, world) == []

    disk_full(sqlite_store, full=False)
    stored = create(client, world, "x" * 4000)
    replayed = create(client, world, "x" * 4000)

    assert stored.status_code == 201, stored.text
    assert replayed.status_code == 201 and replayed.json() == stored.json()
    assert listed(client, world) == ["x" * 4000]


def test_a_batch_of_operations_each_on_its_own_on_a_full_disk_is_503_store_full(
    client: TestClient[Any], world: World, sqlite_store: SqliteStore
) -> None:
    # Before, its savepoint's ROLLBACK TO failed with "no such savepoint" and the client got 500.
    # Enough big notes that the writer spills its cache into a file with no room: SQLite then
    # rolls the whole transaction back, the savepoint of the operation that failed with it.
    operations = [
        {
            "op": "create",
            "body": {
                "projectId": str(world.project.id),
                "entryDate": "2026-03-02",
                "duration": "1h",
                "note": f"{i:03d}" + "x" * 4000,
            },
        }
        for i in range(200)
    ]
    disk_full(sqlite_store, full=True)
    refused = batch(client, world, operations)

    assert refused.status_code == 503, refused.text
    assert refused.json()["error"]["code"] == "store_full"
    assert listed(client, world) == []

    disk_full(sqlite_store, full=False)
    stored = batch(client, world, operations)
    assert stored.status_code == 200, stored.text
    assert [result["status"] for result in stored.json()["data"]["results"]] == [201] * 200


def test_reads_go_on_with_a_rate_limit_where_no_write_can_be_stored(sqlite_store: SqliteStore) -> None:
    """operations.md said a read got 503 store_full too when its token's last-use stamp or its rate
    limit's counter had to be written: the stamp is written after the answer, best effort, and a
    request whose limit cannot be counted is let through (the limit fails open)."""
    full = False
    refused_writes: list[int] = []

    def unit_of_work(*, read_only: bool = False) -> Any:
        if full and not read_only:
            refused_writes.append(1)
            raise StoreFull()
        return sqlite_store.unit_of_work(read_only=read_only)

    world = make_world(unit_of_work)
    full = True
    app = create_app(world.services, rate_limit=RateLimit(600, 60))
    with TestClient(app) as client:
        answers = [
            client.get("/time-entries", headers=bearer(world.owner_token)).status_code for _ in range(3)
        ]
        refused = create(client, world, "x")

    assert answers == [200, 200, 200]
    assert len(refused_writes) >= 3  # the counter, the last use, the create
    assert refused.status_code == 503 and refused.json()["error"]["code"] == "store_full"


def test_a_database_without_the_cursor_key_answers_its_first_next_page_on_a_full_disk_503_until_it_is_stored(
    sqlite_store: SqliteStore,
) -> None:
    """A database whose key that signs cursors (installation_secrets) is not stored (its row
    deleted, or a server started on a full disk) stores it with its first next-page cursor: on a
    full disk that page is 503 store_full, as a write is. A page with no next cursor needs no key,
    and once the key is stored, every page goes on. (hours serve and hours migrate store the key
    beforehand: the next test.)"""
    full = False

    def unit_of_work(*, read_only: bool = False) -> Any:
        if full and not read_only:
            raise StoreFull()
        return sqlite_store.unit_of_work(read_only=read_only)

    world = make_world(unit_of_work)
    headers = bearer(world.owner_token)
    with TestClient(create_app(world.services)) as client:
        assert create(client, world, "a").status_code == 201
        second = {"projectId": str(world.project.id), "entryDate": "2026-03-03", "duration": "1h"}
        assert client.post("/time-entries", json=second, headers=headers).status_code == 201
        full = True
        last_page = client.get("/time-entries", params={"limit": 5}, headers=headers)
        first_cursor = client.get("/time-entries", params={"limit": 1}, headers=headers)
        full = False
        assert client.get("/time-entries", params={"limit": 1}, headers=headers).status_code == 200
        full = True
        first_page = client.get("/time-entries", params={"limit": 1}, headers=headers)
        cursor = first_page.json()["nextCursor"]
        next_page = client.get("/time-entries", params={"limit": 1, "cursor": cursor}, headers=headers)

    assert last_page.status_code == 200 and len(last_page.json()["data"]) == 2
    assert first_cursor.status_code == 503 and first_cursor.json()["error"]["code"] == "store_full"
    assert first_page.status_code == 200 and next_page.status_code == 200, next_page.text
    assert len(next_page.json()["data"]) == 1


def test_a_migrated_database_pages_on_a_full_disk_from_its_first_page(tmp_path: Path) -> None:
    """operations.md said a database's first list page with a next page was 503 store_full on a full
    disk: it stored the key that signs cursors. hours migrate stores it now, as hours serve's
    startup does (tests/server/test_serve_command.py), so paging never writes."""
    from hours_app.cli import main

    assert main(["migrate", "--db", f"sqlite:///{tmp_path / 'hours.db'}"]) == 0
    store = SqliteStore.open(tmp_path / "hours.db")
    full = False

    def unit_of_work(*, read_only: bool = False) -> Any:
        if full and not read_only:
            raise StoreFull()
        return store.unit_of_work(read_only=read_only)

    try:
        world = make_world(unit_of_work)
        headers = bearer(world.owner_token)
        with TestClient(create_app(world.services)) as client:
            for day in ("2026-03-02", "2026-03-03"):
                body = {"projectId": str(world.project.id), "entryDate": day, "duration": "1h"}
                assert client.post("/time-entries", json=body, headers=headers).status_code == 201
            full = True
            first_page = client.get("/time-entries", params={"limit": 1}, headers=headers)
            cursor = first_page.json()["nextCursor"]
            next_page = client.get("/time-entries", params={"limit": 1, "cursor": cursor}, headers=headers)
    finally:
        store.close()

    assert first_page.status_code == 200, first_page.text
    assert next_page.status_code == 200 and len(next_page.json()["data"]) == 1, next_page.text
