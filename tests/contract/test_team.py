"""The contract of what the organization's settings and its team need from a store, for every store:
the settings and user fields round-trip, users are counted and updated, emails are unique by their
key, and the organization's lock."""

from __future__ import annotations

import threading
from datetime import timedelta

import attrs
import pytest

from hours_core.errors import EmailTaken
from hours_core.model import OrgId, Plan, Role, WeekStart

from .conftest import T0, Build, OpenStore, World


def test_an_organizations_settings_round_trip(store: OpenStore, build: Build) -> None:
    org = build.org("Zeitgeist", timezone="America/Argentina/Buenos_Aires", week_start=WeekStart.SUNDAY)
    store.seed(org)
    changed = org.with_settings(name="Zeitgeist AG", timezone="Europe/Zurich", week_start=WeekStart.MONDAY)

    with store.unit_of_work() as uow:
        assert uow.orgs.get(org.id) == org
        uow.orgs.update(changed)
        uow.commit()

    with store.unit_of_work(read_only=True) as uow:
        assert uow.orgs.get(org.id) == changed
        assert list(uow.orgs.list()) == [changed]


def test_locking_an_organization_reads_it(store: OpenStore, world: World, build: Build) -> None:
    with store.unit_of_work() as uow:
        assert uow.orgs.lock(world.a.org.id) == world.a.org
        assert uow.orgs.lock(OrgId(build.id())) is None


def test_a_users_name_and_deactivation_round_trip(store: OpenStore, world: World, build: Build) -> None:
    left = build.user(world.a.org, "left@acme.example", name="Lee Ft", deactivated_at=T0 + timedelta(days=3))
    store.seed(left)

    with store.unit_of_work(read_only=True) as uow:
        assert uow.users.get(world.a.org.id, left.id) == left
        assert uow.users.list(world.a.org.id)[-1] == left


def test_active_users_are_counted_per_organization_and_role(
    store: OpenStore, world: World, build: Build
) -> None:
    org = world.a.org
    store.seed(
        build.user(org, role=Role.OWNER),
        build.user(org, role=Role.OWNER, deactivated_at=T0),
        build.user(org, role=Role.ADMIN, deactivated_at=T0),
    )

    with store.unit_of_work(read_only=True) as uow:
        assert uow.users.count_active(org.id) == 3
        assert uow.users.count_active(org.id, role=Role.OWNER) == 2
        assert uow.users.count_active(org.id, role=Role.ADMIN) == 0
        assert uow.users.count_active(org.id, role=Role.MEMBER) == 1
        assert uow.users.count_active(world.b.org.id) == 2
        assert uow.users.count_active(OrgId(build.id())) == 0


def test_an_update_changes_a_users_name_role_and_deactivation_only(store: OpenStore, world: World) -> None:
    member = world.a.member
    changed = attrs.evolve(
        member.revised(name="Mia", role=Role.ADMIN).deactivated(T0 + timedelta(hours=1)),
        email="someone.else@acme.example",
        created_at=T0 + timedelta(days=9),
    )

    with store.unit_of_work() as uow:
        uow.users.update(changed)
        uow.commit()

    with store.unit_of_work(read_only=True) as uow:
        assert uow.users.get(world.a.org.id, member.id) == attrs.evolve(
            member, name="Mia", role=Role.ADMIN, deactivated_at=T0 + timedelta(hours=1)
        )
    with store.unit_of_work() as uow:
        uow.users.update(changed.reactivated())
        uow.commit()
    with store.unit_of_work(read_only=True) as uow:
        found = uow.users.get(world.a.org.id, member.id)
        assert found is not None and found.deactivated_at is None


def test_an_update_never_reaches_another_organization(store: OpenStore, world: World) -> None:
    intruder = attrs.evolve(world.a.member.revised(name="Pwned"), org_id=world.b.org.id)

    with store.unit_of_work() as uow:
        uow.users.update(intruder)
        uow.commit()

    with store.unit_of_work(read_only=True) as uow:
        assert uow.users.get(world.a.org.id, world.a.member.id) == world.a.member


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Ada@Acme.example", "ada@ACME.example"),
        ("ÉLODIE@acme.example", "élodie@acme.example"),
        ("STRASSE@acme.example", "straße@acme.example"),
    ],
)
def test_an_email_is_taken_by_its_key_on_every_store(
    store: OpenStore, world: World, build: Build, first: str, second: str
) -> None:
    store.seed(build.user(world.a.org, first))
    with store.unit_of_work() as uow:
        with pytest.raises(EmailTaken) as raised:
            uow.users.add(build.user(world.a.org, second))
        assert second in raised.value.message
        uow.users.add(build.user(world.a.org, f"other.{second}"))  # the unit of work goes on
        uow.commit()
    store.seed(build.user(world.b.org, second))  # another organization may have it


def test_a_deactivated_user_comes_with_their_token_credentials(
    store: OpenStore, world: World, build: Build
) -> None:
    token = build.token(world.a.member)
    store.seed(token)
    with store.unit_of_work() as uow:
        uow.users.update(world.a.member.deactivated(T0))
        uow.commit()

    with store.unit_of_work(read_only=True) as uow:
        credentials = uow.tokens.find_credentials(token.prefix)
    assert (
        credentials is not None and credentials.user.deactivated_at == T0 and not credentials.user.is_active
    )


def test_a_second_writer_locking_an_organization_waits_and_then_sees_the_first_ones_change(
    store: OpenStore, world: World
) -> None:
    """Two units of work lock one organization: the second reads the owners only after the first
    committed its demotion, whatever the store (PostgreSQL's row lock; one writer at a time elsewhere)."""
    second_owner = attrs.evolve(world.a.member, role=Role.OWNER)
    with store.unit_of_work() as uow:
        uow.users.update(second_owner)
        uow.commit()
    first_locked = threading.Event()
    counted: list[int] = []

    def second_writer() -> None:
        first_locked.wait()
        with store.unit_of_work() as uow:
            uow.orgs.lock(world.a.org.id)
            counted.append(uow.users.count_active(world.a.org.id, role=Role.OWNER))

    waiting = threading.Thread(target=second_writer)
    waiting.start()
    with store.unit_of_work() as uow:
        uow.orgs.lock(world.a.org.id)
        first_locked.set()
        uow.users.update(second_owner.revised(role=Role.MEMBER))
        uow.commit()
    waiting.join()

    assert counted == [1]


def test_an_organization_on_any_plan_can_be_locked_by_many_writers_in_turn(
    store: OpenStore, build: Build
) -> None:
    org = build.org(plan=Plan.FREE)
    store.seed(org)
    results: list[object] = []

    def lock() -> None:
        with store.unit_of_work() as uow:
            results.append(uow.orgs.lock(org.id))
            uow.commit()

    threads = [threading.Thread(target=lock) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [org] * 8
