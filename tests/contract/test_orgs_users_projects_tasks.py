"""The contract of the organization, user, project and task repositories, for every store."""

import uuid
from datetime import timedelta

import attrs
import pytest

from hours_core.errors import Conflict
from hours_core.model import OrgId, Plan, ProjectId, TaskId, UserId

from .conftest import T0, Build, OpenStore, World

NOBODY = uuid.UUID(int=0)
"""An id that no row has."""


# Organizations.


def test_an_added_organization_can_be_read_back(store: OpenStore, build: Build) -> None:
    org = build.org("Ærø Café ☕", plan=Plan.AGENCY, created_at=T0.replace(microsecond=123456))
    store.seed(org)

    with store.unit_of_work(read_only=True) as uow:
        assert uow.orgs.get(org.id) == org


def test_an_unknown_organization_is_none(store: OpenStore, build: Build) -> None:
    with store.unit_of_work(read_only=True) as uow:
        assert uow.orgs.get(build.org().id) is None


def test_organizations_are_listed_oldest_first_then_by_id(store: OpenStore, build: Build) -> None:
    newest = build.org("Newest", created_at=T0 + timedelta(days=2))
    first_of_two = build.org("First", created_at=T0)
    second_of_two = build.org("Second", created_at=T0)
    store.seed(newest, second_of_two, first_of_two)

    with store.unit_of_work(read_only=True) as uow:
        assert list(uow.orgs.list()) == [first_of_two, second_of_two, newest]


def test_an_updated_organization_replaces_the_stored_one(store: OpenStore, build: Build) -> None:
    org = build.org(plan=Plan.FREE)
    store.seed(org)

    with store.unit_of_work() as uow:
        uow.orgs.update(org.with_plan(Plan.SOLO))
        uow.commit()

    with store.unit_of_work(read_only=True) as uow:
        assert uow.orgs.get(org.id) == org.with_plan(Plan.SOLO)


# Users.


def test_an_added_user_can_be_read_back_and_located(store: OpenStore, world: World) -> None:
    user = world.a.member

    with store.unit_of_work(read_only=True) as uow:
        assert uow.users.get(world.a.org.id, user.id) == user
        assert uow.users.locate(user.id) == user


def test_a_user_is_invisible_through_another_organization(store: OpenStore, world: World) -> None:
    with store.unit_of_work(read_only=True) as uow:
        assert uow.users.get(world.b.org.id, world.a.member.id) is None
        assert world.a.member not in uow.users.list(world.b.org.id)


def test_locating_an_unknown_user_gives_none(store: OpenStore, build: Build) -> None:
    with store.unit_of_work(read_only=True) as uow:
        assert uow.users.locate(UserId(build.id())) is None


def test_users_are_listed_per_organization_oldest_first(store: OpenStore, world: World, build: Build) -> None:
    latecomer = build.user(world.a.org, "late@acme.example", created_at=T0 - timedelta(days=1))
    store.seed(latecomer)

    with store.unit_of_work(read_only=True) as uow:
        assert list(uow.users.list(world.a.org.id)) == [latecomer, world.a.owner, world.a.member]


def test_an_email_is_taken_once_per_organization_whatever_its_case(
    store: OpenStore, world: World, build: Build
) -> None:
    twin = build.user(world.a.org, world.a.member.email.upper())

    with pytest.raises(Conflict, match="already exists"), store.unit_of_work() as uow:
        uow.users.add(twin)

    with store.unit_of_work(read_only=True) as uow:
        assert uow.users.get(world.a.org.id, twin.id) is None


def test_the_same_email_may_be_used_in_two_organizations(
    store: OpenStore, world: World, build: Build
) -> None:
    namesake = build.user(world.b.org, world.a.member.email)
    store.seed(namesake)

    with store.unit_of_work(read_only=True) as uow:
        assert uow.users.get(world.b.org.id, namesake.id) == namesake


# Projects.


def test_an_added_project_can_be_read_back_and_located(store: OpenStore, world: World) -> None:
    with store.unit_of_work(read_only=True) as uow:
        assert uow.projects.get(world.a.org.id, world.a.project.id) == world.a.project
        assert uow.projects.locate(world.a.other_project.id) == world.a.other_project
        assert uow.projects.locate(ProjectId(NOBODY)) is None


def test_a_project_is_invisible_through_another_organization(store: OpenStore, world: World) -> None:
    with store.unit_of_work(read_only=True) as uow:
        assert uow.projects.get(world.b.org.id, world.a.project.id) is None
        assert world.a.project not in uow.projects.list(world.b.org.id)


def test_projects_are_listed_oldest_first_with_or_without_the_archived(
    store: OpenStore, world: World, build: Build
) -> None:
    archived = build.project(world.a.org, "Old site", archived=True, created_at=T0 - timedelta(days=30))
    store.seed(archived)

    with store.unit_of_work(read_only=True) as uow:
        assert list(uow.projects.list(world.a.org.id)) == [archived, world.a.project, world.a.other_project]
        assert list(uow.projects.list(world.a.org.id, include_archived=False)) == [
            world.a.project,
            world.a.other_project,
        ]


def test_active_projects_are_counted_per_organization(store: OpenStore, world: World, build: Build) -> None:
    store.seed(build.project(world.a.org, "Old site", archived=True), build.project(world.a.org, "Shop"))

    with store.unit_of_work(read_only=True) as uow:
        assert uow.projects.count_active(world.a.org.id) == 3
        assert uow.projects.count_active(world.b.org.id) == 2
        assert uow.projects.count_active(OrgId(NOBODY)) == 0


def test_an_updated_project_replaces_the_stored_one(store: OpenStore, world: World) -> None:
    revised = world.a.project.revised(T0 + timedelta(hours=1), name="Web shop", archived=True)

    with store.unit_of_work() as uow:
        stored = uow.projects.update(revised)
        uow.commit()

    assert stored == attrs.evolve(revised, version=2)
    with store.unit_of_work(read_only=True) as uow:
        assert uow.projects.get(world.a.org.id, world.a.project.id) == stored
        assert uow.projects.count_active(world.a.org.id) == 1


# Tasks.


def test_an_added_task_can_be_read_back(store: OpenStore, world: World) -> None:
    with store.unit_of_work(read_only=True) as uow:
        assert uow.tasks.get(world.a.org.id, world.a.task.id) == world.a.task
        assert uow.tasks.get(world.a.org.id, TaskId(NOBODY)) is None


def test_a_task_is_invisible_through_another_organization(store: OpenStore, world: World) -> None:
    with store.unit_of_work(read_only=True) as uow:
        assert uow.tasks.get(world.b.org.id, world.a.task.id) is None
        assert list(uow.tasks.list_for_project(world.b.org.id, world.a.project.id)) == []


def test_tasks_are_listed_per_project_oldest_first(store: OpenStore, world: World, build: Build) -> None:
    earlier = build.task(world.a.project, "Research", created_at=T0 - timedelta(hours=1))
    elsewhere = build.task(world.a.other_project, "Triage")
    store.seed(earlier, elsewhere)

    with store.unit_of_work(read_only=True) as uow:
        assert list(uow.tasks.list_for_project(world.a.org.id, world.a.project.id)) == [earlier, world.a.task]
        assert list(uow.tasks.list_for_project(world.a.org.id, world.a.other_project.id)) == [elsewhere]


def test_an_updated_task_replaces_the_stored_one(store: OpenStore, world: World) -> None:
    revised = world.a.task.revised(T0 + timedelta(minutes=5), name="UX design", archived=True)

    with store.unit_of_work() as uow:
        stored = uow.tasks.update(revised)
        uow.commit()

    assert stored == attrs.evolve(revised, version=2)
    with store.unit_of_work(read_only=True) as uow:
        assert uow.tasks.get(world.a.org.id, world.a.task.id) == stored
