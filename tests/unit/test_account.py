"""A caller's own tokens, through the account use cases over the in-memory store."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hours_core.errors import NotFound, Unauthenticated
from tests.world import START, World


def test_a_minted_token_authenticates_and_lists_without_its_secret(world: World) -> None:
    caller = world.caller(world.member)
    minted = world.services.account.mint_token(caller, "laptop", 30)
    assert minted.token.expires_at == START + timedelta(days=30)
    assert world.services.authenticator.authenticate(minted.plaintext).user == world.member
    listed = world.services.account.list_tokens(caller)
    assert minted.token.prefix in [token.prefix for token in listed]
    assert all(minted.plaintext not in repr(token) for token in listed)


def test_the_default_lifetime_is_ninety_days(world: World) -> None:
    minted = world.services.account.mint_token(world.caller(world.member), "ci")
    assert minted.token.expires_at == START + timedelta(days=90)


def test_revoking_takes_effect_at_once_and_a_second_revoke_keeps_the_first_time(world: World) -> None:
    caller = world.caller(world.member)
    minted = world.services.account.mint_token(caller, "ci")
    world.services.account.revoke_token(caller, minted.token.prefix)
    with pytest.raises(Unauthenticated):
        world.services.authenticator.authenticate(minted.plaintext)
    world.clock.advance(timedelta(minutes=1))
    world.services.account.revoke_token(caller, minted.token.prefix)
    [revoked] = [t for t in world.services.account.list_tokens(caller) if t.prefix == minted.token.prefix]
    assert revoked.revoked_at == START


def test_another_users_token_is_not_found_even_for_an_owner(world: World) -> None:
    minted = world.services.account.mint_token(world.caller(world.member), "ci")
    with pytest.raises(NotFound):
        world.services.account.revoke_token(world.caller(world.owner), minted.token.prefix)
    assert minted.token not in world.services.account.list_tokens(world.caller(world.owner))
