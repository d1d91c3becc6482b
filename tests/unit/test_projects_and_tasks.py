"""Projects and tasks, through the use cases over the in-memory store."""

from __future__ import annotations

import pytest

from hours_core.errors import Forbidden, NotFound, PlanRequired, ValidationFailed
from hours_core.model import Plan
from hours_core.services import ChangeProject, ChangeTask
from tests.world import World


def test_a_manager_creates_renames_and_archives_a_project(world: World) -> None:
    caller = world.caller(world.admin)
    project = world.services.projects.create_project(caller, "Relaunch", billable_by_default=True)
    assert project.billable_by_default and not project.archived
    changed = world.services.projects.change_project(
        caller, project.id, ChangeProject(name="Site", archived=True)
    )
    assert (changed.name, changed.archived, changed.billable_by_default) == ("Site", True, True)
    assert world.services.projects.get_project(world.caller(world.member), project.id) == changed
    assert changed in world.services.projects.list_projects(world.caller(world.member))


def test_members_read_projects_but_may_not_write_them(world: World) -> None:
    member = world.caller(world.member)
    with pytest.raises(Forbidden):
        world.services.projects.create_project(member, "Mine")
    with pytest.raises(Forbidden):
        world.services.projects.change_project(member, world.project.id, ChangeProject(name="Mine"))
    with pytest.raises(Forbidden):
        world.services.projects.create_task(member, world.project.id, "Mine")
    with pytest.raises(Forbidden):
        world.services.projects.change_task(member, world.task.id, ChangeTask(archived=True))


def test_a_name_is_checked_before_anything_else(world: World) -> None:
    with pytest.raises(ValidationFailed) as raised:
        world.services.projects.create_project(world.caller(world.member), " ")
    assert dict(raised.value.fields) == {"name": "must not be blank"}
    with pytest.raises(ValidationFailed):
        world.services.projects.change_task(
            world.caller(world.member), world.task.id, ChangeTask(name="x" * 201)
        )


def test_the_free_plan_holds_three_active_projects_and_archiving_frees_a_slot(world: World) -> None:
    world.set_plan(Plan.FREE)
    owner = world.caller(world.owner)
    second = world.services.projects.create_project(owner, "Two")
    world.services.projects.create_project(owner, "Three")
    with pytest.raises(PlanRequired) as raised:
        world.services.projects.create_project(owner, "Four")
    assert (raised.value.feature, raised.value.required_plan) == ("unlimited_projects", "solo")
    world.services.projects.change_project(owner, second.id, ChangeProject(archived=True))
    world.services.projects.create_project(owner, "Four")
    with pytest.raises(PlanRequired):
        world.services.projects.change_project(owner, second.id, ChangeProject(archived=False))


def test_billable_by_default_needs_billable_time(world: World) -> None:
    world.set_plan(Plan.FREE)
    owner = world.caller(world.owner)
    with pytest.raises(PlanRequired):
        world.services.projects.create_project(owner, "Paid", billable_by_default=True)
    with pytest.raises(PlanRequired):
        world.services.projects.change_project(
            owner, world.project.id, ChangeProject(billable_by_default=True)
        )


def test_tasks_need_studio_and_belong_to_their_project(world: World) -> None:
    owner = world.caller(world.owner)
    task = world.services.projects.create_task(owner, world.project.id, "Design")
    assert task.project_id == world.project.id
    assert task in world.services.projects.list_tasks(world.caller(world.member), world.project.id)
    archived = world.services.projects.change_task(owner, task.id, ChangeTask(archived=True))
    assert archived.archived and archived.name == "Design"
    world.set_plan(Plan.SOLO)
    with pytest.raises(PlanRequired) as raised:
        world.services.projects.create_task(world.caller(world.owner), world.project.id, "Build")
    assert raised.value.feature == "tasks"


def test_another_organizations_project_and_task_are_not_found(world: World) -> None:
    other = world.services.admin.bootstrap(
        org_name="Other", plan=Plan.AGENCY, email="o@other.test", env="live"
    )
    owner = world.caller(world.owner)
    with pytest.raises(NotFound):
        world.services.projects.get_project(owner, other.project.id)
    with pytest.raises(NotFound):
        world.services.projects.list_tasks(owner, other.project.id)
    with pytest.raises(NotFound):
        world.services.projects.change_task(owner, other.task.id, ChangeTask(name="Mine"))
