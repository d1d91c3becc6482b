"""A sign-in raced with a new password, on PostgreSQL.

A sign-in checks the password outside any transaction (scrypt takes a while), then starts the
session. It starts it under the user's row lock, after reading the login again: a new password or a
deactivation that committed meanwhile refuses it (tests/unit/test_sign_in.py), and one that comes
after the lock waits for the sign-in to commit and then ends the session it started, as it ends
every session of the user. This test stops the sign-in right after it took the lock, runs the
password change until it waits for that lock, then lets the sign-in go on.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hours_core.errors import Unauthenticated
from hours_sql.repositories import SqlUserRepository
from tests.contract import test_lock_order_races as races
from tests.contract.test_lock_order_races import StopAfterCall
from tests.postgres_support import empty_postgres_store
from tests.world import World, make_world


@pytest.fixture
def world() -> Iterator[World]:
    with empty_postgres_store() as unit_of_work:
        yield make_world(unit_of_work)


class StopAfterLockingTheUser(StopAfterCall):
    """Stops the thread named ``first`` right after it locks a user's row, until :meth:`release`."""

    what = "locked no user"

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self._after(monkeypatch, SqlUserRepository, "lock", lambda _: True)


@pytest.mark.postgres
def test_a_new_password_that_waits_for_a_sign_in_ends_the_session_it_started(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = world.services
    signed_in, changed = races.first_then_second(
        monkeypatch,
        lambda: services.sign_in.sign_in(world.owner.email, world.owner_password),
        lambda: services.sign_in.set_password(world.owner.id, "the new password"),
        stop=StopAfterLockingTheUser("first"),
    )

    assert changed is None  # the password change waited for the sign-in, then went through
    with pytest.raises(Unauthenticated):
        services.sign_in.identify(signed_in.minted.key)
