"""The contract of the session repository (passwords and web sessions), for every store."""

from datetime import timedelta

import pytest

from hours_core.errors import Conflict
from hours_core.ports import PasswordLogin, SessionCredentials
from hours_core.web_sessions import WebSession, hash_session_key

from .conftest import T0, Build, OpenStore, World


def _sessions(store: OpenStore, *sessions: WebSession) -> None:
    with store.unit_of_work() as uow:
        for session in sessions:
            uow.sessions.add(session)
        uow.commit()


def test_a_password_is_found_by_the_email_key_across_organizations(store: OpenStore, world: World) -> None:
    with store.unit_of_work() as uow:
        uow.sessions.set_password(world.a.member.org_id, world.a.member.id, "hash-a")
        uow.commit()

    with store.unit_of_work(read_only=True) as uow:
        found = uow.sessions.password_logins(world.a.member.email_key)
        nobody = uow.sessions.password_logins(world.a.owner.email_key)

    assert found == [PasswordLogin(user=world.a.member, org=world.a.org, password_hash="hash-a")]
    assert nobody == []


def test_one_address_in_two_organizations_gives_two_logins_oldest_first(
    store: OpenStore, world: World, build: Build
) -> None:
    later = build.user(world.b.org, "ADA@example.com", created_at=T0 + timedelta(days=1))
    earlier = build.user(world.a.org, "ada@example.com")
    store.seed(later, earlier)
    with store.unit_of_work() as uow:
        uow.sessions.set_password(later.org_id, later.id, "h2")
        uow.sessions.set_password(earlier.org_id, earlier.id, "h1")
        uow.commit()

    with store.unit_of_work(read_only=True) as uow:
        found = uow.sessions.password_logins(earlier.email_key)

    assert [(login.user.id, login.password_hash) for login in found] == [(earlier.id, "h1"), (later.id, "h2")]


def test_a_password_of_another_organizations_user_id_is_not_set(store: OpenStore, world: World) -> None:
    with store.unit_of_work() as uow:
        uow.sessions.set_password(world.b.org.id, world.a.member.id, "hash")
        uow.commit()

    with store.unit_of_work(read_only=True) as uow:
        assert uow.sessions.password_logins(world.a.member.email_key) == []


def test_clearing_a_password_removes_the_login(store: OpenStore, world: World) -> None:
    with store.unit_of_work() as uow:
        uow.sessions.set_password(world.a.owner.org_id, world.a.owner.id, "hash")
        uow.commit()
    with store.unit_of_work() as uow:
        uow.sessions.set_password(world.a.owner.org_id, world.a.owner.id, None)
        uow.commit()

    with store.unit_of_work(read_only=True) as uow:
        assert uow.sessions.password_logins(world.a.owner.email_key) == []


def test_a_session_is_found_with_its_user_and_organization(store: OpenStore, world: World) -> None:
    minted = WebSession.mint(world.a.owner.org_id, world.a.owner.id, T0)
    _sessions(store, minted.session)

    with store.unit_of_work(read_only=True) as uow:
        found = uow.sessions.find(hash_session_key(minted.key))
        unknown = uow.sessions.find(hash_session_key(minted.key + "x"))

    assert found == SessionCredentials(session=minted.session, user=world.a.owner, org=world.a.org)
    assert unknown is None


def test_a_session_of_a_user_of_another_organization_is_refused(store: OpenStore, world: World) -> None:
    minted = WebSession.mint(world.b.org.id, world.a.owner.id, T0)

    with pytest.raises(Conflict):
        _sessions(store, minted.session)


def test_a_session_ends_by_itself_and_only_in_its_organization(store: OpenStore, world: World) -> None:
    minted = WebSession.mint(world.a.owner.org_id, world.a.owner.id, T0)
    _sessions(store, minted.session)

    with store.unit_of_work() as uow:
        uow.sessions.delete(world.b.org.id, minted.session.key_hash)
        uow.commit()
    with store.unit_of_work(read_only=True) as uow:
        assert uow.sessions.find(minted.session.key_hash) is not None
    with store.unit_of_work() as uow:
        uow.sessions.delete(world.a.org.id, minted.session.key_hash)
        uow.commit()
    with store.unit_of_work(read_only=True) as uow:
        assert uow.sessions.find(minted.session.key_hash) is None


def test_every_session_of_a_user_ends_together(store: OpenStore, world: World) -> None:
    mine = [WebSession.mint(world.a.member.org_id, world.a.member.id, T0).session for _ in range(2)]
    other = WebSession.mint(world.a.owner.org_id, world.a.owner.id, T0).session
    _sessions(store, *mine, other)

    with store.unit_of_work() as uow:
        ended = uow.sessions.delete_for_user(world.a.org.id, world.a.member.id)
        uow.commit()

    with store.unit_of_work(read_only=True) as uow:
        assert ended == 2
        assert [uow.sessions.find(s.key_hash) for s in mine] == [None, None]
        assert uow.sessions.find(other.key_hash) is not None


def test_expired_sessions_of_every_organization_are_purged(store: OpenStore, world: World) -> None:
    old_a = WebSession.mint(world.a.owner.org_id, world.a.owner.id, T0).session
    old_b = WebSession.mint(world.b.owner.org_id, world.b.owner.id, T0).session
    fresh = WebSession.mint(world.a.member.org_id, world.a.member.id, T0 + timedelta(days=10)).session
    _sessions(store, old_a, old_b, fresh)

    with store.unit_of_work() as uow:
        purged = uow.sessions.purge_expired(old_a.expires_at)
        uow.commit()

    with store.unit_of_work(read_only=True) as uow:
        assert purged == 2
        assert uow.sessions.find(fresh.key_hash) is not None
        assert uow.sessions.find(old_b.key_hash) is None
