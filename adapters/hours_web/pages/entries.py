"""``/app/entries``: the list with filters, edit, delete and undo (restore)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, get, post
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Template

from hours_core.errors import HoursError, ValidationFailed
from hours_core.model import Project, ProjectId, Task, TaskId, TimeEntry, TimeEntryId
from hours_core.ports import EntryQuery
from hours_core.services import UNSET, Services, SessionCaller, UpdateTimeEntry
from hours_web.notices import Notice, notice_of, status_of
from hours_web.pages import Deps, Who, call, checked, chosen_id, page
from hours_web.session import APP_PATH, form_of, signed, unsigned
from hours_web.week import DayLocks, form_date

__all__ = ["EntriesPages"]

LIST_LIMIT = 200
"""The most entries one page of the list shows (newest first); narrow the filters for older ones."""


def _choices(services: Services, who: SessionCaller) -> tuple[list[Project], dict[TaskId, Task]]:
    projects = list(services.projects.list_projects(who.caller))
    tasks = {
        task.id: task for project in projects for task in services.projects.list_tasks(who.caller, project.id)
    }
    return projects, tasks


def _listing(
    services: Services, who: SessionCaller, query: EntryQuery
) -> tuple[list[TimeEntry], bool, list[Project], dict[TaskId, Task]]:
    result = services.entries.list_time_entries(who.caller, query)
    projects, tasks = _choices(services, who)
    return list(result.entries), result.next_cursor is not None, projects, tasks


def _billable(text: str | None) -> bool | None:
    """The billable filter: ``yes``, ``no``, or nothing (left out or empty: both);
    :class:`ValidationFailed` on ``billable`` for anything else, which no option sends."""
    if not text:
        return None
    if text not in _BILLABLE_CHOICES:
        raise ValidationFailed.one("billable", "is not one of the choices: choose from the list")
    return _BILLABLE_CHOICES[text]


_BILLABLE_CHOICES = {"yes": True, "no": False}


class EntriesPages(Controller):
    """The caller's entries (owners and admins: the organization's)."""

    path = f"{APP_PATH}/entries"
    include_in_schema = False

    @get("/")
    async def entries(
        self,
        services: Deps,
        who: Who,
        date_from: Annotated[date | None, QueryParameter(name="from")] = None,
        date_to: Annotated[date | None, QueryParameter(name="to")] = None,
        project: Annotated[str | None, QueryParameter(name="project")] = None,
        billable: Annotated[str | None, QueryParameter(name="billable")] = None,
        deleted: Annotated[str | None, QueryParameter(name="deleted")] = None,
    ) -> Template:
        """The list, newest first, filtered by dates, project and billable."""
        notice: Notice | None = None
        project_id: UUID | None = None
        try:
            project_id = chosen_id(project, "project_id")
            query = EntryQuery(
                date_from=date_from,
                date_to=date_to,
                project_id=None if project_id is None else ProjectId(project_id),
                billable=_billable(billable),
                descending=True,
                limit=LIST_LIMIT,
                user_id=None if who.caller.user.role.manages_org else who.caller.user_id,
            )
            if date_from and date_to and date_from > date_to:
                raise ValidationFailed.one("entry_date", "the first date is after the last")
            rows, more, projects, tasks = await call(_listing, services, who, query)
        except HoursError as failure:
            notice = notice_of(failure)
            rows, more = [], False
            projects, tasks = await call(_choices, services, who)
        locks = await call(_locks_of, services, who, rows)
        return page(
            "entries.html",
            who,
            section="entries",
            entries=rows,
            more=more,
            limit=LIST_LIMIT,
            projects={p.id: p for p in projects},
            tasks=tasks,
            filters={"from": date_from, "to": date_to, "project": project_id, "billable": billable or ""},
            deleted=_uuid(unsigned(who, deleted)),  # only an entry this session just deleted
            locks={entry.id: locks.entry_text(entry) for entry in rows},
            notice=notice,
            now=services.clock.now(),
        )

    @get("/{entry_id:uuid}/edit")
    async def edit_form(
        self,
        services: Deps,
        who: Who,
        entry_id: FromPath[UUID],
    ) -> Template:
        """The form that edits one entry."""
        entry = await call(services.entries.get_time_entry, who.caller, TimeEntryId(entry_id))
        return await _edit_page(services, who, entry)

    @post("/{entry_id:uuid}/edit")
    async def edit(
        self,
        request: Request[Any, Any, Any],
        services: Deps,
        who: Who,
        entry_id: FromPath[UUID],
    ) -> Template | Redirect:
        """Save the edit through ``update_time_entry`` (the use case of ``PATCH /time-entries/{id}``)."""
        form = await form_of(request)
        entry = await call(services.entries.get_time_entry, who.caller, TimeEntryId(entry_id))
        try:
            command = _update_of(form, entry)
            await call(services.entries.update_time_entry, who.caller, entry.id, command)
        except HoursError as failure:
            return await _edit_page(
                services, who, entry, form=form, notice=notice_of(failure), status_code=status_of(failure)
            )
        return Redirect(f"{APP_PATH}/entries", status_code=303)

    @post("/{entry_id:uuid}/delete")
    async def delete(
        self,
        services: Deps,
        who: Who,
        entry_id: FromPath[UUID],
    ) -> Redirect:
        """Delete (softly); the list then offers to undo (``deleted`` is the entry's id signed for
        this session, so a link with another id offers nothing)."""
        await call(services.entries.delete_time_entry, who.caller, TimeEntryId(entry_id))
        return Redirect(f"{APP_PATH}/entries?deleted={signed(who, str(entry_id))}", status_code=303)

    @post("/{entry_id:uuid}/restore")
    async def restore(
        self,
        services: Deps,
        who: Who,
        entry_id: FromPath[UUID],
    ) -> Redirect:
        """Undo a delete."""
        await call(services.entries.restore_time_entry, who.caller, TimeEntryId(entry_id))
        return Redirect(f"{APP_PATH}/entries", status_code=303)


def _locks_of(services: Services, who: SessionCaller, rows: list[TimeEntry]) -> DayLocks:
    """The locks on the days of ``rows`` (closed days; the timesheets of the users shown)."""
    if not rows:
        return DayLocks(services.periods.locks(who.caller))
    days = [entry.entry_date for entry in rows]
    return DayLocks.read(services, who.caller, min(days), max(days))


async def _edit_page(
    services: Services,
    who: SessionCaller,
    entry: TimeEntry,
    *,
    form: dict[str, str] | None = None,
    notice: Notice | None = None,
    status_code: int = 200,
) -> Template:
    projects, tasks = await call(_choices, services, who)
    day = entry.entry_date
    locks = await call(DayLocks.read, services, who.caller, day, day, user_id=entry.user_id)
    return page(
        "entry_edit.html",
        who,
        section="entries",
        entry=entry,
        form=form,
        projects=projects,
        tasks=tasks,
        lock=locks.entry_text(entry),
        notice=notice,
        now=services.clock.now(),
        status_code=status_code,
    )


def _uuid(text: str | None) -> UUID | None:
    try:
        return UUID(text) if text else None
    except ValueError:
        return None


def _update_of(form: dict[str, str], entry: TimeEntry) -> UpdateTimeEntry:
    """The update the edit form asks for: only what differs from the entry."""
    project_id = chosen_id(form.get("project"), "project_id")
    if project_id is None:
        raise ValidationFailed.one("project_id", "choose a project")
    task_id = chosen_id(form.get("task"), "task_id")
    try:
        entry_date = form_date(form.get("date", ""))
    except ValueError as error:
        raise ValidationFailed.one("entry_date", "must be a date like 2026-03-02") from error
    note = form.get("note", "").strip() or None
    billable = checked(form.get("billable"), "billable")
    duration = form.get("duration", "").strip()
    return UpdateTimeEntry(
        project_id=ProjectId(project_id) if project_id != entry.project_id else UNSET,
        task_id=(None if task_id is None else TaskId(task_id)) if task_id != entry.task_id else UNSET,
        entry_date=entry_date if entry_date != entry.entry_date else UNSET,
        duration=duration if not entry.is_running and duration else UNSET,
        billable=billable if billable != entry.billable else UNSET,
        note=note if note != entry.note else UNSET,
    )
