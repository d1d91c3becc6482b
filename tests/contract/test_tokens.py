"""The contract of the token repository, for every store."""

import threading
from datetime import timedelta

import attrs
import pytest

from hours_core.errors import Conflict, TooManyTokens
from hours_core.model import Role
from hours_core.ports import Credentials
from hours_core.services.account import add_token
from hours_core.tokens import MAX_ACTIVE_TOKENS, ApiToken

from .conftest import T0, Build, OpenStore, World


def stored_token(store: OpenStore, world: World, token: ApiToken) -> ApiToken | None:
    with store.unit_of_work(read_only=True) as uow:
        return uow.tokens.get(token.org_id, token.prefix)


def test_an_added_token_can_be_read_back(store: OpenStore, world: World, build: Build) -> None:
    token = build.token(world.a.member, expires_at=None)
    store.seed(token)

    assert stored_token(store, world, token) == token


def test_a_minted_token_is_stored_without_its_plaintext(store: OpenStore, world: World, build: Build) -> None:
    minted = ApiToken.mint(
        token_id=build.id(), org_id=world.a.org.id, user_id=world.a.owner.id, name="CI", env="test", now=T0
    )
    store.seed(minted.token)

    stored = stored_token(store, world, minted.token)
    assert stored == minted.token
    assert minted.plaintext not in repr(stored)


def test_credentials_are_the_token_its_user_and_its_organization(
    store: OpenStore, world: World, build: Build
) -> None:
    token = build.token(world.a.owner)
    store.seed(token)

    with store.unit_of_work(read_only=True) as uow:
        found = uow.tokens.find_credentials(token.prefix)

    assert found == Credentials(token=token, user=world.a.owner, org=world.a.org)
    assert found.user.role is Role.OWNER


def test_credentials_of_an_unknown_prefix_are_none(store: OpenStore, world: World, build: Build) -> None:
    store.seed(build.token(world.a.owner, prefix="AAAAAAAAAAAA"))

    with store.unit_of_work(read_only=True) as uow:
        assert uow.tokens.find_credentials("AAAAAAAAAAAB") is None
        assert uow.tokens.find_credentials("aaaaaaaaaaaa") is None


def test_a_prefix_is_taken_once(store: OpenStore, world: World, build: Build) -> None:
    store.seed(build.token(world.a.owner, prefix="AAAAAAAAAAAA"))

    with pytest.raises(Conflict), store.unit_of_work() as uow:
        uow.tokens.add(build.token(world.b.owner, prefix="AAAAAAAAAAAA"))


def test_a_token_is_invisible_through_another_organization(
    store: OpenStore, world: World, build: Build
) -> None:
    token = build.token(world.a.owner)
    store.seed(token)

    with store.unit_of_work(read_only=True) as uow:
        assert uow.tokens.get(world.b.org.id, token.prefix) is None
        assert list(uow.tokens.list_for_user(world.b.org.id, world.a.owner.id)) == []


def test_a_users_tokens_are_listed_newest_first(store: OpenStore, world: World, build: Build) -> None:
    oldest = build.token(world.a.member, created_at=T0 - timedelta(days=2))
    newest = build.token(world.a.member, created_at=T0)
    middle = build.token(world.a.member, created_at=T0 - timedelta(days=1))
    someone_elses = build.token(world.a.owner)
    store.seed(middle, someone_elses, oldest, newest)

    with store.unit_of_work(read_only=True) as uow:
        assert list(uow.tokens.list_for_user(world.a.org.id, world.a.member.id)) == [newest, middle, oldest]


def test_recording_a_use_touches_only_the_last_use(store: OpenStore, world: World, build: Build) -> None:
    token = build.token(world.a.member)
    store.seed(token)
    used_at = T0 + timedelta(hours=3, microseconds=7)

    with store.unit_of_work() as uow:
        uow.tokens.record_use(world.a.org.id, token.prefix, used_at)
        uow.commit()

    assert stored_token(store, world, token) == attrs.evolve(token, last_used_at=used_at)


def test_a_use_recorded_through_another_organization_changes_nothing(
    store: OpenStore, world: World, build: Build
) -> None:
    token = build.token(world.a.member)
    store.seed(token)

    with store.unit_of_work() as uow:
        uow.tokens.record_use(world.b.org.id, token.prefix, T0 + timedelta(hours=1))
        assert uow.tokens.revoke(world.b.org.id, token.prefix, T0 + timedelta(hours=1)) is False
        uow.commit()

    assert stored_token(store, world, token) == token


def test_a_revoked_token_keeps_its_first_revocation_time(
    store: OpenStore, world: World, build: Build
) -> None:
    token = build.token(world.a.member)
    store.seed(token)
    first, second = T0 + timedelta(days=1), T0 + timedelta(days=2)

    with store.unit_of_work() as uow:
        assert uow.tokens.revoke(world.a.org.id, token.prefix, first) is True
        uow.commit()
    with store.unit_of_work() as uow:
        assert uow.tokens.revoke(world.a.org.id, token.prefix, second) is False  # revoked already
        assert uow.tokens.revoke(world.a.org.id, "hsk_nope", second) is False  # no such token
        uow.commit()

    assert stored_token(store, world, token) == attrs.evolve(token, revoked_at=first)


def test_active_tokens_are_counted_per_user_without_the_revoked_and_the_expired(
    store: OpenStore, world: World, build: Build
) -> None:
    live = build.token(world.a.member)
    forever = build.token(world.a.member, expires_at=None)
    expired = build.token(world.a.member, created_at=T0 - timedelta(days=2), expires_at=T0)
    revoked = attrs.evolve(build.token(world.a.member), revoked_at=T0)
    store.seed(live, forever, expired, revoked, build.token(world.a.owner), build.token(world.b.member))

    with store.unit_of_work(read_only=True) as uow:
        assert uow.tokens.count_active(world.a.org.id, world.a.member.id, T0) == 2
        assert uow.tokens.count_active(world.a.org.id, world.a.member.id, T0 - timedelta(days=1)) == 3
        assert uow.tokens.count_active(world.b.org.id, world.a.member.id, T0) == 0


def test_concurrent_mints_never_take_a_user_past_the_cap_of_active_tokens(
    store: OpenStore, world: World, build: Build
) -> None:
    """Eight writers race for the last two slots: exactly two get one, on every store (PostgreSQL
    serializes them on the organization's row lock; the others run one writer at a time)."""
    member = world.a.member
    store.seed(*(build.token(member) for _ in range(MAX_ACTIVE_TOKENS - 2)))
    start = threading.Barrier(8)
    outcomes: list[str] = []

    def mint(token: ApiToken) -> None:
        start.wait()
        try:
            with store.unit_of_work() as uow:
                add_token(uow, token, T0)
                uow.commit()
            outcomes.append("minted")
        except TooManyTokens as refused:
            outcomes.append(f"refused at {refused.limit}")

    threads = [threading.Thread(target=mint, args=(build.token(member),)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["minted"] * 2 + [f"refused at {MAX_ACTIVE_TOKENS}"] * 6
    with store.unit_of_work(read_only=True) as uow:
        assert uow.tokens.count_active(world.a.org.id, member.id, T0) == MAX_ACTIVE_TOKENS


def test_a_revoked_token_frees_its_slot(store: OpenStore, world: World, build: Build) -> None:
    member = world.a.member
    held = [build.token(member) for _ in range(MAX_ACTIVE_TOKENS)]
    store.seed(*held)
    with pytest.raises(TooManyTokens), store.unit_of_work() as uow:
        add_token(uow, build.token(member), T0)

    with store.unit_of_work() as uow:
        uow.tokens.revoke(world.a.org.id, held[0].prefix, T0)
        add_token(uow, build.token(member), T0)
        uow.commit()

    with store.unit_of_work(read_only=True) as uow:
        assert uow.tokens.count_active(world.a.org.id, member.id, T0) == MAX_ACTIVE_TOKENS
