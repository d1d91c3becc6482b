"""Recording a token's last use never delays or fails the request it belongs to."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from litestar.testing import TestClient

from hours_core.tokens import ApiToken
from hours_http import create_app
from hours_sqlite import SqliteStore
from tests.http.conftest import bearer
from tests.world import START, World, make_world


def stored_token(world: World, token: str) -> ApiToken:
    prefix = token.split("_")[2]
    return next(t for t in world.services.admin.list_tokens(world.member.id) if t.prefix == prefix)


@pytest.mark.parametrize("reads_in_thread", [True, False], ids=["reads-in-a-thread", "reads-on-the-loop"])
def test_get_me_answers_200_while_another_connection_holds_the_sqlite_write_lock(
    tmp_path: Path, reads_in_thread: bool
) -> None:
    """The token's last use is due (never recorded), and another connection holds the database's
    write lock for as long as the request runs. The request cannot have waited for the lock: it
    would have waited out the busy timeout and answered 503. It answers 200 while the lock is
    still held; the use is written once the lock is free."""
    store = SqliteStore.open(tmp_path / "hours.db")
    store.migrate()
    world = make_world(store.unit_of_work)
    assert stored_token(world, world.member_token).last_used_at is None
    other_writer = sqlite3.connect(tmp_path / "hours.db", isolation_level=None)
    try:
        with TestClient(create_app(world.services, reads_in_thread=reads_in_thread)) as client:
            other_writer.execute("BEGIN IMMEDIATE")
            try:
                response = client.get("/me", headers=bearer(world.member_token))
                assert other_writer.in_transaction
                prober = sqlite3.connect(tmp_path / "hours.db", isolation_level=None, timeout=0)
                with pytest.raises(sqlite3.OperationalError, match="locked"):
                    prober.execute("BEGIN IMMEDIATE")  # the lock was held all along
                prober.close()
            finally:
                other_writer.execute("ROLLBACK")
            assert response.status_code == 200
            assert response.json()["data"]["token"]["lastUsedAt"] == START.isoformat().replace("+00:00", "Z")
            # If the background write gave up while the lock was held, this request notes the use again.
            assert client.get("/me", headers=bearer(world.member_token)).status_code == 200
        # The app's shutdown writes what is still noted.
        assert stored_token(world, world.member_token).last_used_at == START
    finally:
        other_writer.close()
        store.close()
