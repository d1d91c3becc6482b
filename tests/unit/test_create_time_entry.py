from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from hours_core.errors import Forbidden, NotFound, PlanRequired, ValidationFailed
from hours_core.model import Plan, ProjectId, TaskId, UserId
from hours_core.services import CreateTimeEntry
from tests.world import START, World


def command(world: World, **changes: Any) -> CreateTimeEntry:
    fields: dict[str, Any] = {
        "project_id": world.project.id,
        "entry_date": date(2026, 3, 2),
        "duration": "1h30m",
    }
    fields.update(changes)
    return CreateTimeEntry(**fields)


def fields_of(error: pytest.ExceptionInfo[ValidationFailed]) -> dict[str, str]:
    return dict(error.value.fields)


def test_an_entry_is_logged_for_the_caller_with_the_projects_billable_default(world: World) -> None:
    entry = world.services.entries.create_time_entry(world.caller(world.member), command(world))
    assert entry.duration_seconds == 5400
    assert entry.user_id == world.member.id and entry.org_id == world.org.id
    assert entry.billable is False
    assert entry.created_at == entry.updated_at == START
    assert world.services.entries.get_time_entry(world.caller(world.member), entry.id) == entry


def test_duration_seconds_wins_over_a_malformed_duration(world: World) -> None:
    entry = world.services.entries.create_time_entry(
        world.caller(world.owner), command(world, duration_seconds=60, duration="nonsense")
    )
    assert entry.duration_seconds == 60


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"duration": None}, "duration"),
        ({"duration": "90"}, "duration"),
        ({"duration": "25h"}, "duration"),
        ({"duration": None, "duration_seconds": 86_401}, "duration_seconds"),
        ({"duration": None, "duration_seconds": -1}, "duration_seconds"),
        ({"duration": None, "duration_seconds": 5400.0}, "duration_seconds"),  # a library caller's float
        ({"duration": None, "duration_seconds": True}, "duration_seconds"),
        ({"duration": 90}, "duration"),
        ({"entry_date": date(1999, 12, 31)}, "entry_date"),
        ({"entry_date": date(2101, 1, 1)}, "entry_date"),
        ({"note": "x" * 5001}, "note"),
        ({"note": "bell\x07"}, "note"),
        ({"stopped_at": START}, "stopped_at"),
        ({"started_at": START, "stopped_at": START - timedelta(seconds=1)}, "stopped_at"),
        ({"started_at": START, "stopped_at": START + timedelta(hours=1)}, "duration"),
        (
            {
                "started_at": START,
                "stopped_at": START + timedelta(hours=1),
                "duration": None,
                "duration_seconds": 3601,
            },
            "duration_seconds",
        ),
    ],
)
def test_each_invalid_field_is_named(world: World, changes: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationFailed) as raised:
        world.services.entries.create_time_entry(world.caller(world.owner), command(world, **changes))
    assert field in fields_of(raised)


def test_every_wrong_field_is_reported_at_once(world: World) -> None:
    with pytest.raises(ValidationFailed) as raised:
        world.services.entries.create_time_entry(
            world.caller(world.owner),
            command(world, entry_date=date(1990, 1, 1), note="\x00", duration="1 d"),
        )
    assert set(fields_of(raised)) == {"entry_date", "note", "duration"}


def test_notes_keep_tabs_and_newlines_and_accept_exactly_5000_code_points(world: World) -> None:
    note = "é\t\r\n" + "x" * 4996
    entry = world.services.entries.create_time_entry(world.caller(world.owner), command(world, note=note))
    assert entry.note == note


def test_a_start_without_a_stop_is_completed_by_the_duration(world: World) -> None:
    entry = world.services.entries.create_time_entry(
        world.caller(world.owner), command(world, started_at=START)
    )
    assert entry.stopped_at == START + timedelta(seconds=5400)
    assert not entry.is_running


@pytest.mark.parametrize("kind", ["project", "task", "user"])
def test_unknown_references_are_not_found(world: World, kind: str) -> None:
    unknown = UUID(int=99)
    changes = {
        "project": {"project_id": ProjectId(unknown)},
        "task": {"task_id": TaskId(unknown)},
        "user": {"user_id": UserId(unknown)},
    }[kind]
    with pytest.raises(NotFound, match=kind):
        world.services.entries.create_time_entry(world.caller(world.owner), command(world, **changes))


def test_another_orgs_project_is_not_found(world: World) -> None:
    other = world.services.admin.create_org("Other", Plan.AGENCY)
    foreign = world.services.admin.create_project(other.id, "Theirs")
    with pytest.raises(NotFound):
        world.services.entries.create_time_entry(
            world.caller(world.owner), command(world, project_id=foreign.id)
        )


def test_a_task_of_another_project_is_refused(world: World) -> None:
    second = world.services.admin.create_project(world.org.id, "Second")
    with pytest.raises(ValidationFailed) as raised:
        world.services.entries.create_time_entry(
            world.caller(world.owner), command(world, project_id=second.id, task_id=world.task.id)
        )
    assert "task_id" in fields_of(raised)


def test_a_member_may_not_log_time_for_someone_else(world: World) -> None:
    with pytest.raises(Forbidden):
        world.services.entries.create_time_entry(
            world.caller(world.member), command(world, user_id=world.owner.id)
        )


def test_an_admin_logs_time_for_a_member(world: World) -> None:
    entry = world.services.entries.create_time_entry(
        world.caller(world.admin), command(world, user_id=world.member.id)
    )
    assert entry.user_id == world.member.id


@pytest.mark.parametrize(
    ("plan", "changes", "feature", "required"),
    [
        (Plan.FREE, {"billable": True}, "billable_time", "solo"),
        (Plan.SOLO, {"task_id": "task"}, "tasks", "studio"),
        (Plan.SOLO, {"user_id": "member"}, "team_entries", "studio"),
    ],
)
def test_plan_gates_name_the_plan_and_feature(
    world: World, plan: Plan, changes: dict[str, Any], feature: str, required: str
) -> None:
    world.set_plan(plan)
    resolved = {
        name: world.task.id if value == "task" else world.member.id if value == "member" else value
        for name, value in changes.items()
    }
    with pytest.raises(PlanRequired) as raised:
        world.services.entries.create_time_entry(world.caller(world.owner), command(world, **resolved))
    assert (raised.value.feature, raised.value.required_plan) == (feature, required)


def test_the_plan_gate_applies_to_the_effective_billable_value(world: World) -> None:
    billable_project = world.services.admin.create_project(world.org.id, "Client", billable_by_default=True)
    world.set_plan(Plan.FREE)
    with pytest.raises(PlanRequired):
        world.services.entries.create_time_entry(
            world.caller(world.owner), command(world, project_id=billable_project.id)
        )
    entry = world.services.entries.create_time_entry(
        world.caller(world.owner), command(world, project_id=billable_project.id, billable=False)
    )
    assert entry.billable is False


def test_role_is_checked_before_the_plan(world: World) -> None:
    world.set_plan(Plan.FREE)
    with pytest.raises(Forbidden):
        world.services.entries.create_time_entry(
            world.caller(world.member), command(world, user_id=world.owner.id)
        )


def test_an_archived_project_takes_no_new_entries(world: World, store: Any) -> None:
    with store.unit_of_work() as uow:
        uow.projects.update(world.project.revised(START, archived=True))
        uow.commit()
    with pytest.raises(ValidationFailed) as raised:
        world.services.entries.create_time_entry(world.caller(world.owner), command(world))
    assert "project_id" in fields_of(raised)


def test_a_member_cannot_read_someone_elses_entry(world: World) -> None:
    entry = world.services.entries.create_time_entry(world.caller(world.owner), command(world))
    with pytest.raises(NotFound):
        world.services.entries.get_time_entry(world.caller(world.member), entry.id)
    assert world.services.entries.get_time_entry(world.caller(world.admin), entry.id) == entry


def test_timestamps_are_utc(world: World) -> None:
    entry = world.services.entries.create_time_entry(
        world.caller(world.owner), command(world, started_at=datetime(2026, 3, 2, 8, tzinfo=UTC))
    )
    assert entry.started_at is not None and entry.started_at.tzinfo is not None
