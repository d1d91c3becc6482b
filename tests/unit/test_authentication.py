from __future__ import annotations

from datetime import timedelta

import pytest

from hours_core.errors import Unauthenticated
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


def test_last_use_is_recorded_at_most_once_a_minute(world: World) -> None:
    prefix = world.member_token.split("_")[2]
    world.services.authenticator.authenticate(world.member_token)
    first = next(t for t in world.services.admin.list_tokens(world.member.id) if t.prefix == prefix)
    world.clock.advance(timedelta(seconds=30))
    world.services.authenticator.authenticate(world.member_token)
    second = next(t for t in world.services.admin.list_tokens(world.member.id) if t.prefix == prefix)
    assert first.last_used_at == second.last_used_at is not None


def test_identify_only_reads_and_record_use_writes_the_last_use(world: World) -> None:
    prefix = world.member_token.split("_")[2]
    authenticator = world.services.authenticator

    def last_used():  # type: ignore[no-untyped-def]
        return next(
            t for t in world.services.admin.list_tokens(world.member.id) if t.prefix == prefix
        ).last_used_at

    caller = authenticator.identify(world.member_token)
    assert authenticator.use_is_stale(caller)
    assert last_used() is None
    recorded = authenticator.record_use(caller)
    assert recorded.token is not None and recorded.token.last_used_at == world.clock.now()
    assert last_used() == world.clock.now()
    assert not authenticator.use_is_stale(authenticator.identify(world.member_token))
