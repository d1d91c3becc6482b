from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from hours_core.errors import StoreBusy, Unauthenticated
from hours_core.ports import UnitOfWork, UnitOfWorkFactory
from hours_core.services import Authenticator
from hours_core.services.transactions import Transactions
from hours_memory import InMemoryStore
from tests.world import World


def test_a_valid_token_identifies_its_user_and_org(world: World) -> None:
    caller = world.services.authenticator.authenticate(world.member_token)
    assert caller.user == world.member and caller.org.id == world.org.id


def test_revocation_takes_effect_on_the_next_request(world: World) -> None:
    prefix = world.member_token.split("_")[2]
    world.services.admin.revoke_token(prefix)
    with pytest.raises(Unauthenticated):
        world.services.authenticator.authenticate(world.member_token)


def test_an_expired_token_is_refused(world: World) -> None:
    world.clock.advance(timedelta(days=90))
    with pytest.raises(Unauthenticated):
        world.services.authenticator.authenticate(world.member_token)


def test_an_unknown_prefix_and_a_wrong_secret_get_the_same_error(world: World) -> None:
    token = world.member_token
    unknown = token.replace(token.split("_")[2], "A" * 12)
    wrong_secret = token[:-4] + "AAAA" if not token.endswith("AAAA") else token[:-4] + "BBBB"
    errors = []
    for text in (unknown, wrong_secret):
        with pytest.raises(Unauthenticated) as raised:
            world.services.authenticator.authenticate(text)
        errors.append(raised.value.message)
    assert errors[0] == errors[1]


def last_used(world: World, token: str) -> datetime | None:
    prefix = token.split("_")[2]
    return next(
        t for t in world.services.admin.list_tokens(world.member.id) if t.prefix == prefix
    ).last_used_at


def test_last_use_is_noted_at_most_once_a_minute(world: World) -> None:
    authenticator = world.services.authenticator
    first = authenticator.authenticate(world.member_token)
    assert authenticator.last_uses.write() == 1
    world.clock.advance(timedelta(seconds=30))
    second = authenticator.authenticate(world.member_token)
    assert authenticator.last_uses.pending() == 0
    assert first.token is not None and second.token is not None
    assert first.token.last_used_at == second.token.last_used_at == last_used(world, world.member_token)


def test_authentication_only_reads_and_the_noted_use_is_written_later(world: World) -> None:
    authenticator = world.services.authenticator
    caller = authenticator.authenticate(world.member_token)
    assert caller.token is not None and caller.token.last_used_at == world.clock.now()
    assert last_used(world, world.member_token) is None
    assert authenticator.last_uses.pending() == 1
    assert authenticator.last_uses.write() == 1
    assert last_used(world, world.member_token) == world.clock.now()
    assert not authenticator.use_is_stale(authenticator.identify(world.member_token))


def test_uses_noted_before_a_write_coalesce_to_the_latest(world: World) -> None:
    authenticator = world.services.authenticator
    authenticator.authenticate(world.member_token)
    world.clock.advance(timedelta(minutes=2))
    authenticator.authenticate(world.member_token)
    assert authenticator.last_uses.pending() == 1
    assert authenticator.last_uses.write() == 1
    assert last_used(world, world.member_token) == world.clock.now()


def test_a_use_the_store_refuses_to_write_is_dropped_and_noted_again_by_a_later_request(
    world: World, store: InMemoryStore
) -> None:
    busy = BusyWrites(store.unit_of_work)
    authenticator = Authenticator(Transactions(busy), world.clock, "live")
    caller = authenticator.authenticate(world.member_token)  # answers without waiting for the store
    assert caller.token is not None and caller.token.last_used_at == world.clock.now()
    busy.refuse = True
    assert authenticator.last_uses.write() == 0
    assert busy.refused == 1
    assert authenticator.last_uses.pending() == 0
    assert last_used(world, world.member_token) is None
    busy.refuse = False
    authenticator.authenticate(world.member_token)  # the cached caller still carries the dropped use
    assert authenticator.last_uses.pending() == 0
    world.clock.advance(authenticator.cache.ttl)  # once it ages out, the stored (old) last use shows
    authenticator.authenticate(world.member_token)
    assert authenticator.last_uses.write() == 1
    assert last_used(world, world.member_token) == world.clock.now()


class BusyWrites:
    """A unit-of-work factory whose write units of work raise ``StoreBusy`` while ``refuse`` is set."""

    def __init__(self, unit_of_work: UnitOfWorkFactory) -> None:
        self._unit_of_work = unit_of_work
        self.refuse = False
        self.refused = 0

    def __call__(self, *, read_only: bool = False) -> UnitOfWork:
        if self.refuse and not read_only:
            self.refused += 1
            raise StoreBusy()
        return self._unit_of_work(read_only=read_only)
