from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hours_core.errors import Unauthenticated, ValidationFailed
from hours_core.model import OrgId, UserId
from hours_core.tokens import TOKEN_PATTERN, ApiToken, MintedToken, hash_token, lifetime_in_days, parse_token
from hours_core.validation import FieldErrors
from tests.world import World

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def mint(
    env: str = "live", lifetime: timedelta | None = timedelta(days=90), name: str = "laptop"
) -> MintedToken:
    return ApiToken.mint(
        token_id=UUID(int=1),
        org_id=OrgId(UUID(int=2)),
        user_id=UserId(UUID(int=3)),
        name=name,
        env=env,
        now=NOW,
        lifetime=lifetime,
    )


def test_a_minted_token_has_the_published_shape_and_stores_only_its_hash() -> None:
    minted = mint()
    assert TOKEN_PATTERN.fullmatch(minted.plaintext)
    assert minted.plaintext.startswith(f"hsk_live_{minted.token.prefix}_")
    assert minted.token.secret_hash == hash_token(minted.plaintext)
    assert minted.plaintext not in repr(minted) and minted.plaintext not in repr(minted.token)


def test_two_mints_never_share_a_prefix_or_secret() -> None:
    first, second = mint(), mint()
    assert first.token.prefix != second.token.prefix
    assert first.plaintext != second.plaintext


def test_the_right_token_verifies() -> None:
    minted = mint()
    minted.token.verify(parse_token(minted.plaintext), env="live", now=NOW + timedelta(days=1))


@pytest.mark.parametrize(
    "tamper",
    [
        lambda text: text[:-1] + ("A" if text[-1] != "A" else "B"),
        lambda text: text.replace("hsk_live_", "hsk_test_"),
    ],
    ids=["wrong secret", "other env"],
)
def test_a_tampered_token_is_refused(tamper: object) -> None:
    minted = mint()
    tampered = tamper(minted.plaintext)  # type: ignore[operator]
    with pytest.raises(Unauthenticated):
        minted.token.verify(parse_token(tampered), env="live", now=NOW)


def test_a_token_of_another_environment_is_refused_even_with_the_right_secret() -> None:
    minted = mint(env="test")
    with pytest.raises(Unauthenticated):
        minted.token.verify(parse_token(minted.plaintext), env="live", now=NOW)


def test_revoked_and_expired_tokens_are_refused() -> None:
    minted = mint(lifetime=timedelta(days=1))
    parsed = parse_token(minted.plaintext)
    with pytest.raises(Unauthenticated):
        minted.token.revoked(NOW).verify(parsed, env="live", now=NOW)
    with pytest.raises(Unauthenticated):
        minted.token.verify(parsed, env="live", now=NOW + timedelta(days=1))


def test_a_token_that_never_expires_has_no_expiry() -> None:
    minted = mint(lifetime=None)
    assert minted.token.expires_at is None
    minted.token.verify(parse_token(minted.plaintext), env="live", now=NOW + timedelta(days=3650))


@pytest.mark.parametrize("lifetime", [timedelta(hours=1), timedelta(days=366)])
def test_a_lifetime_outside_one_day_to_one_year_is_refused(lifetime: timedelta) -> None:
    with pytest.raises(ValidationFailed) as raised:
        mint(lifetime=lifetime)
    assert raised.value.fields == {"lifetime": "must be 1 to 365 days"}


@pytest.mark.parametrize("lifetime", [timedelta(days=1), timedelta(days=365)])
def test_a_lifetime_of_one_day_or_one_year_is_allowed(lifetime: timedelta) -> None:
    assert mint(lifetime=lifetime).token.expires_at == NOW + lifetime


@pytest.mark.parametrize("name", ["", " ", "\t\n", "\u3000"])
def test_a_blank_token_name_is_refused_as_blank(name: str) -> None:
    with pytest.raises(ValidationFailed) as raised:
        mint(name=name)
    assert raised.value.fields == {"name": "must not be blank"}


def test_a_token_name_may_have_100_characters_but_not_101() -> None:
    assert mint(name="n" * 100).token.name == "n" * 100
    with pytest.raises(ValidationFailed) as raised:
        mint(name="n" * 101)
    assert raised.value.fields == {"name": "must be at most 100 characters (got 101)"}


def test_minting_reports_a_wrong_env_name_and_lifetime_together() -> None:
    with pytest.raises(ValidationFailed) as raised:
        mint(env="Live", name=" ", lifetime=timedelta(days=400))
    assert set(raised.value.fields) == {"env", "name", "lifetime"}
    assert raised.value.fields["name"] == "must not be blank"


def test_a_stored_token_with_a_blank_name_cannot_exist() -> None:
    token = mint().token
    with pytest.raises(ValidationFailed) as raised:
        attrs.evolve(token, name="  ")
    assert raised.value.fields == {"name": "must not be blank"}


@pytest.mark.parametrize("days", [0, -1, 366, 10**30, -(10**30)])
def test_a_number_of_days_out_of_range_is_a_field_error_and_never_overflows(days: int) -> None:
    errors = FieldErrors()
    assert lifetime_in_days(days, errors) is None
    with pytest.raises(ValidationFailed) as raised:
        errors.raise_if_any()
    assert raised.value.fields == {"expires_in_days": "must be 1 to 365 days"}


def test_the_account_service_reports_a_blank_name_and_a_wrong_lifetime_together(world: World) -> None:
    caller = world.caller(world.member)
    before = world.services.account.list_tokens(caller)
    with pytest.raises(ValidationFailed) as raised:
        world.services.account.mint_token(caller, " ", 400)
    assert raised.value.fields == {"name": "must not be blank", "expires_in_days": "must be 1 to 365 days"}
    assert world.services.account.list_tokens(caller) == before


def test_the_account_service_mints_for_the_default_90_days_when_no_lifetime_is_given(world: World) -> None:
    minted = world.services.account.mint_token(world.caller(world.member), "ci")
    assert minted.token.expires_at == minted.token.created_at + timedelta(days=90)


@pytest.mark.parametrize("env", ["", "l", "Live", "1abc", "a" * 17, "li-ve"])
def test_a_malformed_environment_is_refused(env: str) -> None:
    with pytest.raises(ValidationFailed):
        mint(env=env)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "hsk_live_abc_def",
        "hsk_live_AAAAAAAAAAAA_" + "a" * 31,
        "hsk_live_AAAAAAAAAAAA_" + "a" * 33,
        "hsk_LIVE_AAAAAAAAAAAA_" + "a" * 32,
        "hsk_live_AAAAAAAAAAA-_" + "a" * 32,
        "Bearer hsk_live_AAAAAAAAAAAA_" + "a" * 32,
        "hsk_live_AAAAAAAAAAAA_" + "a" * 32 + "\n",
    ],
)
def test_text_without_the_token_shape_is_unauthenticated(text: str) -> None:
    with pytest.raises(Unauthenticated):
        parse_token(text)


@given(st.text(max_size=80))
def test_parsing_any_text_returns_a_token_or_raises_unauthenticated(text: str) -> None:
    try:
        parsed = parse_token(text)
    except Unauthenticated:
        return
    assert parsed.plaintext == text


def test_last_use_is_written_at_most_once_a_minute() -> None:
    token = mint().token
    assert token.needs_last_used_update(NOW)
    used = token.used(NOW)
    assert not used.needs_last_used_update(NOW + timedelta(seconds=59))
    assert used.needs_last_used_update(NOW + timedelta(minutes=1))


def test_revoking_twice_keeps_the_first_revocation_time() -> None:
    token = mint().token.revoked(NOW)
    assert token.revoked(NOW + timedelta(hours=1)).revoked_at == NOW
