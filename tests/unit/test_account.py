"""A caller's own tokens, through the account use cases over the in-memory store."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hours_core.errors import NotFound, TooManyTokens, Unauthenticated
from hours_core.tokens import MAX_ACTIVE_TOKENS
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


def test_a_user_holds_at_most_fifty_active_tokens_and_revoking_one_frees_a_slot(world: World) -> None:
    caller = world.caller(world.member)
    account = world.services.account
    held = len(account.list_tokens(caller))  # the world's own token of the member
    minted = [account.mint_token(caller, f"t{n}") for n in range(MAX_ACTIVE_TOKENS - held)]
    with pytest.raises(TooManyTokens) as refused:
        account.mint_token(caller, "one too many")
    assert refused.value.code == "too_many_tokens"
    assert "at most 50 active tokens" in refused.value.message
    assert len(account.list_tokens(caller)) == MAX_ACTIVE_TOKENS

    account.revoke_token(caller, minted[0].token.prefix)
    account.mint_token(caller, "in the freed slot")
    with pytest.raises(TooManyTokens):
        account.mint_token(caller, "one too many again")


def test_expired_tokens_do_not_count_against_the_cap(world: World) -> None:
    caller = world.caller(world.member)
    account = world.services.account
    held = len(account.list_tokens(caller))
    for n in range(MAX_ACTIVE_TOKENS - held):
        account.mint_token(caller, f"short {n}", 1)
    with pytest.raises(TooManyTokens):
        world.services.admin.mint_token(world.member.id, env="live")
    world.clock.advance(timedelta(days=1))
    assert account.mint_token(caller, "after the short ones expired").token.is_active(world.clock.now())


def test_the_operator_cannot_mint_past_the_cap_either(world: World) -> None:
    admin = world.services.admin
    held = len(admin.list_tokens(world.owner.id))
    for _ in range(MAX_ACTIVE_TOKENS - held):
        admin.mint_token(world.owner.id, env="live", lifetime=None)
    with pytest.raises(TooManyTokens):
        admin.mint_token(world.owner.id, env="live", lifetime=None)
