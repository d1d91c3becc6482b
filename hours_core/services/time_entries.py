"""Time entry use cases."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import attrs

from hours_core.errors import NotFound
from hours_core.model import (
    Project,
    ProjectId,
    TaskId,
    TimeEntry,
    TimeEntryId,
    User,
    UserId,
)
from hours_core.plans import Feature
from hours_core.ports import Clock, IdFactory, UnitOfWork
from hours_core.services.caller import Caller
from hours_core.services.transactions import Transactions
from hours_core.validation import FieldErrors, check_entry_date, check_note, resolve_duration

__all__ = ["CreateTimeEntry", "TimeEntryService"]


@attrs.frozen
class CreateTimeEntry:
    """Log time: the fields of ``POST /time-entries``, already of the right types.

    Exactly one of ``duration_seconds`` and ``duration`` (a string in the duration grammar) is
    needed; when both are given ``duration_seconds`` wins. ``billable=None`` takes the project's
    default. ``user_id=None`` logs the time for the caller.
    """

    project_id: ProjectId
    entry_date: date
    duration_seconds: int | None = None
    duration: str | None = None
    task_id: TaskId | None = None
    billable: bool | None = None
    note: str | None = None
    started_at: datetime | None = None
    stopped_at: datetime | None = None
    user_id: UserId | None = None


class TimeEntryService:
    """Creates, reads and changes time entries, enforcing tenancy, roles and plan gates."""

    def __init__(self, transactions: Transactions, clock: Clock, ids: IdFactory) -> None:
        self._transactions = transactions
        self._clock = clock
        self._ids = ids

    def create_time_entry(self, caller: Caller, command: CreateTimeEntry) -> TimeEntry:
        """Log time for the caller (or, for owners and admins, another member).

        Checks run in the documented order: field validation, existence in the caller's
        organization, the state of what the entry refers to, the caller's role, the plan.
        """
        errors = FieldErrors()
        check_entry_date(command.entry_date, errors)
        check_note(command.note, errors)
        duration_field = "durationSeconds" if command.duration_seconds is not None else "duration"
        seconds = resolve_duration(command.duration_seconds, command.duration, errors)
        started_at, stopped_at = command.started_at, command.stopped_at
        if stopped_at is not None and started_at is None:
            errors.add("stoppedAt", "needs startedAt")
        elif started_at is not None and stopped_at is not None and stopped_at < started_at:
            errors.add("stoppedAt", "must not be earlier than startedAt")
        errors.raise_if_any()
        assert seconds is not None
        if started_at is not None and stopped_at is None:
            stopped_at = started_at + _seconds(seconds)
        elif started_at is not None and stopped_at is not None and seconds > _span(started_at, stopped_at):
            errors.add(duration_field, "must not exceed the time between startedAt and stoppedAt")
            errors.raise_if_any()

        with self._transactions.write() as uow:
            project = _project(uow, caller, command.project_id)
            if command.task_id is not None:
                _check_task(uow, caller, command.task_id, project, errors)
            user = caller.user if command.user_id is None else _user(uow, caller, command.user_id)
            if project.archived:
                errors.add("projectId", "the project is archived and takes no new entries")
            errors.raise_if_any()
            on_behalf = user.id != caller.user_id
            if on_behalf:
                caller.require_manager("log time for other users")
            billable = project.billable_by_default if command.billable is None else command.billable
            if billable:
                caller.require_feature(Feature.BILLABLE_TIME)
            if command.task_id is not None:
                caller.require_feature(Feature.TASKS)
            if on_behalf:
                caller.require_feature(Feature.TEAM_ENTRIES)
            now = self._clock.now()
            entry = TimeEntry(
                id=TimeEntryId(self._ids.new_id()),
                org_id=caller.org_id,
                user_id=user.id,
                project_id=project.id,
                task_id=command.task_id,
                invoice_id=None,
                duration_seconds=seconds,
                billable=billable,
                note=command.note,
                entry_date=command.entry_date,
                started_at=started_at,
                stopped_at=stopped_at,
                created_at=now,
                updated_at=now,
            )
            uow.entries.add(entry)
        return entry

    def get_time_entry(self, caller: Caller, entry_id: TimeEntryId) -> TimeEntry:
        """One entry the caller may see: their own, or any of the org's for owners and admins."""
        with self._transactions.read() as uow:
            entry = uow.entries.get(caller.org_id, entry_id)
        if entry is None or not _may_see(caller, entry):
            raise NotFound.of("time entry")
        return entry


def _may_see(caller: Caller, entry: TimeEntry) -> bool:
    return entry.user_id == caller.user_id or caller.user.role.manages_org


def _seconds(seconds: int) -> timedelta:
    return timedelta(seconds=seconds)


def _span(started_at: datetime, stopped_at: datetime) -> int:
    return int((stopped_at - started_at).total_seconds())


def _project(uow: UnitOfWork, caller: Caller, project_id: ProjectId) -> Project:
    project = uow.projects.get(caller.org_id, project_id)
    if project is None:
        raise NotFound.of("project")
    return project


def _user(uow: UnitOfWork, caller: Caller, user_id: UserId) -> User:
    user = uow.users.get(caller.org_id, user_id)
    if user is None:
        raise NotFound.of("user")
    return user


def _check_task(
    uow: UnitOfWork, caller: Caller, task_id: TaskId, project: Project, errors: FieldErrors
) -> None:
    task = uow.tasks.get(caller.org_id, task_id)
    if task is None:
        raise NotFound.of("task")
    if task.project_id != project.id:
        errors.add("taskId", "the task belongs to another project")
    elif task.archived:
        errors.add("taskId", "the task is archived and takes no new entries")
