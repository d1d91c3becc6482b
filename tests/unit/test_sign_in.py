"""Signing in to the web app: passwords, sessions, and who a session is."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from hours_core.errors import NotFound, SignInFailed, Unauthenticated, ValidationFailed
from hours_core.passwords import (
    MIN_PASSWORD_LENGTH,
    hash_password,
    password_problem,
    verify_password,
)
from hours_core.services import sign_in as sign_in_module
from hours_core.web_sessions import SESSION_LIFETIME
from tests.world import World


def test_the_bootstrap_password_signs_the_owner_in(world: World) -> None:
    signed_in = world.services.sign_in.sign_in("Owner@ACME.test", world.owner_password)

    assert signed_in.caller.user == world.owner
    assert signed_in.caller.org.id == world.org.id
    assert signed_in.caller.token is None
    assert signed_in.minted.session.expires_at == world.clock.now() + SESSION_LIFETIME


def test_a_session_key_identifies_its_user_until_sign_out(world: World) -> None:
    signed_in = world.services.sign_in.sign_in(world.owner.email, world.owner_password)

    found = world.services.sign_in.identify(signed_in.minted.key)
    assert found.caller.user_id == world.owner.id
    assert found.session.csrf_token == signed_in.minted.session.csrf_token

    world.services.sign_in.sign_out(found.session)
    with pytest.raises(Unauthenticated):
        world.services.sign_in.identify(signed_in.minted.key)


def test_signing_in_again_ends_the_session_the_browser_held(world: World) -> None:
    first = world.services.sign_in.sign_in(world.owner.email, world.owner_password)
    other_browser = world.services.sign_in.sign_in(world.owner.email, world.owner_password)

    second = world.services.sign_in.sign_in(
        world.owner.email, world.owner_password, replacing=first.minted.key
    )

    with pytest.raises(Unauthenticated):
        world.services.sign_in.identify(first.minted.key)
    assert world.services.sign_in.identify(second.minted.key).caller.user_id == world.owner.id
    assert world.services.sign_in.identify(other_browser.minted.key).caller.user_id == world.owner.id


@pytest.mark.parametrize("replacing", ["", "not-a-session-key", "x" * 10_000])
def test_a_held_key_that_is_no_session_is_ignored(world: World, replacing: str) -> None:
    signed_in = world.services.sign_in.sign_in(world.owner.email, world.owner_password, replacing=replacing)

    assert world.services.sign_in.identify(signed_in.minted.key).caller.user_id == world.owner.id


def test_a_failed_sign_in_ends_no_session(world: World) -> None:
    held = world.services.sign_in.sign_in(world.owner.email, world.owner_password)

    with pytest.raises(SignInFailed):
        world.services.sign_in.sign_in(world.owner.email, "not the password", replacing=held.minted.key)

    assert world.services.sign_in.identify(held.minted.key).caller.user_id == world.owner.id


@pytest.mark.parametrize(
    ("email", "password"),
    [
        ("owner@acme.test", "wrong password!"),
        ("nobody@acme.test", "whatever it is"),
        ("member@acme.test", "no password set"),
    ],
    ids=["wrong-password", "unknown-email", "no-password"],
)
def test_every_failed_sign_in_is_the_same_error(world: World, email: str, password: str) -> None:
    with pytest.raises(SignInFailed) as failure:
        world.services.sign_in.sign_in(email, password)

    assert failure.value.code == "sign_in_failed"
    assert failure.value.message == "The email or password is wrong."


def test_a_set_password_signs_in_and_ends_the_users_sessions(world: World) -> None:
    services = world.services
    services.sign_in.set_password(world.member.id, "member secret 1")
    first = services.sign_in.sign_in(world.member.email, "member secret 1")

    services.sign_in.set_password(world.member.id, "member secret 2")

    with pytest.raises(Unauthenticated):
        services.sign_in.identify(first.minted.key)
    with pytest.raises(SignInFailed):
        services.sign_in.sign_in(world.member.email, "member secret 1")
    assert services.sign_in.sign_in(world.member.email, "member secret 2").caller.user_id == world.member.id


def test_a_short_password_is_refused_naming_the_field(world: World) -> None:
    with pytest.raises(ValidationFailed) as failure:
        world.services.sign_in.set_password(world.member.id, "short")

    assert list(failure.value.fields) == ["password"]


@pytest.mark.parametrize("surrogate", [0xD800, 0xDBFF, 0xDC00, 0xDFFF])
def test_a_password_with_a_lone_surrogate_is_refused_naming_the_field(world: World, surrogate: int) -> None:
    """A Python string may hold a lone surrogate (JSON's ``"\\ud800"``, bytes read with
    ``surrogateescape``); UTF-8 cannot, so it could never be hashed: refused, never a crash."""
    with pytest.raises(ValidationFailed) as failure:
        world.services.sign_in.set_password(world.member.id, "abcdefghij" + chr(surrogate))

    assert f"lone surrogate U+{surrogate:04X} at position 11" in failure.value.fields["password"]


def test_a_password_for_an_unknown_user_is_not_found(world: World) -> None:
    with pytest.raises(NotFound):
        world.services.sign_in.set_password(world.org.id, "long enough password")  # type: ignore[arg-type]


def test_a_deactivated_user_neither_signs_in_nor_keeps_a_session(world: World) -> None:
    services = world.services
    services.sign_in.set_password(world.admin.id, "admin password")
    session = services.sign_in.sign_in(world.admin.email, "admin password")

    services.admin.deactivate_user(world.admin.id)

    with pytest.raises(Unauthenticated):
        services.sign_in.identify(session.minted.key)
    with pytest.raises(SignInFailed):
        services.sign_in.sign_in(world.admin.email, "admin password")


@pytest.mark.parametrize("by", ["operator", "owner"])
def test_a_deactivation_ends_the_users_sessions_for_good(world: World, by: str) -> None:
    """The report's nit 6: the old cookie worked again after a reactivation."""
    services = world.services
    services.sign_in.set_password(world.admin.id, "admin password")
    session = services.sign_in.sign_in(world.admin.email, "admin password")
    kept = services.sign_in.sign_in(world.owner.email, world.owner_password)

    if by == "operator":
        services.admin.deactivate_user(world.admin.id)
        services.admin.reactivate_user(world.admin.id)
    else:
        services.team.deactivate_user(world.caller(world.owner), world.admin.id)
        services.team.reactivate_user(world.caller(world.owner), world.admin.id)

    with pytest.raises(Unauthenticated):
        services.sign_in.identify(session.minted.key)
    services.sign_in.identify(kept.minted.key)  # another user's session stays
    again = services.sign_in.sign_in(world.admin.email, "admin password")  # the password stays
    assert services.sign_in.identify(again.minted.key).caller.user.id == world.admin.id


def _while_the_password_is_checked(monkeypatch: pytest.MonkeyPatch, change: Callable[[], object]) -> None:
    """Make ``change`` happen after a sign-in has checked the password and before it starts the
    session: the scrypt check takes a noticeable time, in which another request may commit."""
    check = sign_in_module.verify_password

    def check_then_change(password: str, stored: str) -> bool:
        matched = check(password, stored)
        change()
        return matched

    monkeypatch.setattr(sign_in_module, "verify_password", check_then_change)


def test_a_sign_in_with_the_password_changed_meanwhile_starts_no_session(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new password ends the user's sessions: a sign-in that checked the old one while the
    operator changed it must not start a session that the change did not see (a session left
    with whoever knew the old password, for 14 days)."""
    services = world.services
    _while_the_password_is_checked(
        monkeypatch, lambda: services.sign_in.set_password(world.owner.id, "the new password")
    )

    with pytest.raises(SignInFailed):
        services.sign_in.sign_in(world.owner.email, world.owner_password)

    monkeypatch.undo()
    with pytest.raises(SignInFailed):
        services.sign_in.sign_in(world.owner.email, world.owner_password)
    assert services.sign_in.sign_in(world.owner.email, "the new password").caller.user.id == world.owner.id


def test_a_sign_in_of_a_user_deactivated_meanwhile_leaves_no_session_for_a_reactivation(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = world.services
    services.sign_in.set_password(world.admin.id, "admin password")
    started: list[str] = []

    def sign_in() -> None:
        started.append(services.sign_in.sign_in(world.admin.email, "admin password").minted.key)

    _while_the_password_is_checked(monkeypatch, lambda: services.admin.deactivate_user(world.admin.id))
    with pytest.raises(SignInFailed):
        sign_in()
    monkeypatch.undo()
    services.admin.reactivate_user(world.admin.id)

    assert started == []
    sign_in()  # signing in again works
    assert services.sign_in.identify(started[0]).caller.user.id == world.admin.id


def test_a_session_expires_after_its_lifetime(world: World) -> None:
    session = world.services.sign_in.sign_in(world.owner.email, world.owner_password)

    world.clock.advance(SESSION_LIFETIME - timedelta(seconds=1))
    world.services.sign_in.identify(session.minted.key)
    world.clock.advance(timedelta(seconds=1))

    with pytest.raises(Unauthenticated):
        world.services.sign_in.identify(session.minted.key)


def test_a_garbage_session_key_is_unauthenticated(world: World) -> None:
    with pytest.raises(Unauthenticated):
        world.services.sign_in.identify("not a key \udcff")


@given(st.text(min_size=MIN_PASSWORD_LENGTH, max_size=40).filter(lambda p: password_problem(p) is None))
def test_a_hash_verifies_its_password_and_no_other(password: str) -> None:
    stored = hash_password(password, cost=2**4)

    assert verify_password(password, stored)
    assert not verify_password(password + "x", stored)


@given(st.text(st.characters(exclude_categories=()), min_size=MIN_PASSWORD_LENGTH, max_size=40))
@example("abcdefghij\ud800")
def test_a_password_the_rule_accepts_always_hashes(password: str) -> None:
    """Any string, surrogates included: the rule refuses it or the hash takes it (never an error)."""
    if password_problem(password) is None:
        assert verify_password(password, hash_password(password, cost=2**4))


@given(st.text(max_size=80))
def test_a_malformed_stored_hash_never_matches(stored: str) -> None:
    assert verify_password("any password at all", stored) is False


def test_a_password_takes_ten_printable_characters() -> None:
    assert password_problem("123456789") == "must be at least 10 characters (got 9)"
    assert password_problem("1234567890") is None
    assert password_problem("12345\n67890") == "contains the control character U+000A at position 6"
    assert password_problem("x" * 1025) == "must be at most 1024 characters (got 1025)"


def test_one_email_in_two_organizations_signs_in_to_the_oldest_active_user_whose_password_matches(
    world: World,
) -> None:
    services = world.services
    other = services.admin.create_org("Globex")
    same_email = services.admin.create_user(other.id, world.member.email)
    services.sign_in.set_password(world.member.id, "shared password")
    services.sign_in.set_password(same_email.id, "shared password")

    assert services.sign_in.sign_in(world.member.email, "shared password").caller.org.id == world.org.id

    services.admin.deactivate_user(world.member.id)

    assert services.sign_in.sign_in(world.member.email, "shared password").caller.org.id == other.id
