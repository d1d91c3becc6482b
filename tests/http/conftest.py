"""HTTP tests: the API through Litestar's TestClient, over every store that can back it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest
from litestar.testing import TestClient

from hours_http import create_app
from hours_memory import InMemoryStore
from hours_sqlite import SqliteStore
from tests.postgres_support import (
    drop_the_postgres_schema_at_the_end,  # noqa: F401 - a session fixture: drops the run's schema
    empty_postgres_store,
)
from tests.world import World, make_world

STORES = ["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=STORES)
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    if request.param == "memory":
        yield make_world(InMemoryStore().unit_of_work)
        return
    if request.param == "postgres":
        with empty_postgres_store() as unit_of_work:
            yield make_world(unit_of_work)
        return
    store = SqliteStore.open(tmp_path / "hours.db")
    store.migrate()
    try:  # the app reads on the loop and writes on the store's writer thread, as hours serve does
        world = make_world(store.unit_of_work)
        yield attrs.evolve(world, run_write=store.write_queue().run, reads_in_thread=False)
    finally:
        store.close()


@pytest.fixture
def client(world: World) -> Iterator[TestClient[Any]]:
    app = create_app(world.services, run_write=world.run_write, reads_in_thread=world.reads_in_thread)
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture(params=[True, False], ids=["reads-in-a-thread", "reads-on-the-loop"])
def client_reading_either_way(world: World, request: pytest.FixtureRequest) -> Iterator[TestClient[Any]]:
    """A client of an app that reads in a worker thread (PostgreSQL's setting), then of one that
    reads on the event loop (SQLite's: ``create_app(reads_in_thread=False)``)."""
    app = create_app(world.services, reads_in_thread=request.param, run_write=world.run_write)
    with TestClient(app) as test_client:
        yield test_client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
