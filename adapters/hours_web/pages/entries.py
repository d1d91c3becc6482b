"""``/app/entries``: the list with filters, edit, delete and undo (restore)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any
from urllib.parse import urlencode
from uuid import UUID
from zoneinfo import ZoneInfo

from litestar import Controller, Request, get, post
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Template

from hours_core.duration import DurationError, parse_duration
from hours_core.errors import HoursError, NotFound, PreconditionFailed, ValidationFailed
from hours_core.model import Project, ProjectId, Task, TaskId, TimeEntry, TimeEntryId, UserId
from hours_core.ports import EntryCursor, EntryQuery
from hours_core.reports import reversed_range
from hours_core.services import UNSET, Services, SessionCaller, UpdateTimeEntry
from hours_web.notices import Notice, notice_of, status_of
from hours_web.pages import (
    Deps,
    Who,
    call,
    checked,
    chosen_id,
    local_time_text,
    page,
    query_date,
    typed_instant,
    typed_note,
    whole_number,
)
from hours_web.session import APP_PATH, form_of, signed, unsigned
from hours_web.week import DayLocks, form_date

__all__ = ["STALE_ENTRY", "EntriesPages"]

LIST_LIMIT = 200
"""The most entries one page of the list shows (newest first); narrow the filters for older ones."""

STALE_ENTRY = (
    "This entry changed since you opened it (someone saved it meanwhile), so nothing was saved: "
    "reload to see the new values, then make your change again."
)
"""What a form that acts on an entry says when the entry's version is no longer the one the page
was built from (the core's :class:`PreconditionFailed`, the API's ``If-Match`` refusal)."""


def _choices(services: Services, who: SessionCaller) -> tuple[list[Project], dict[TaskId, Task]]:
    projects = list(services.projects.list_projects(who.caller))
    tasks = {
        task.id: task for project in projects for task in services.projects.list_tasks(who.caller, project.id)
    }
    return projects, tasks


def _listing(
    services: Services, who: SessionCaller, query: EntryQuery
) -> tuple[list[TimeEntry], EntryCursor | None, list[Project], dict[TaskId, Task]]:
    result = services.entries.list_time_entries(who.caller, query)
    projects, tasks = _choices(services, who)
    return list(result.entries), result.next_cursor, projects, tasks


def _billable(text: str | None) -> bool | None:
    """The billable filter: ``yes``, ``no``, or nothing (left out or empty: both);
    :class:`ValidationFailed` on ``billable`` for anything else, which no option sends."""
    if not text:
        return None
    if text not in _BILLABLE_CHOICES:
        raise ValidationFailed.one("billable", "is not one of the choices: choose from the list")
    return _BILLABLE_CHOICES[text]


_BILLABLE_CHOICES = {"yes": True, "no": False}


def check_range(date_from: date | None, date_to: date | None) -> None:
    """:class:`ValidationFailed` on ``to`` when it is before ``from``, in the words of the reports
    page (:func:`hours_core.reports.reversed_range`), so both pages refuse it alike."""
    problem = reversed_range(date_from, date_to)
    if problem is not None:
        raise ValidationFailed.one("to", problem)


def refusal(failure: HoursError) -> tuple[Notice, int]:
    """The notice and status of a refused entry form: a stale version is :data:`STALE_ENTRY`, 409."""
    if isinstance(failure, PreconditionFailed):
        return Notice(text=STALE_ENTRY), 409
    return notice_of(failure), status_of(failure)


def form_version(form: dict[str, str]) -> int:
    """The entry version a form was built from (its hidden ``version``), required: a form that acts
    on an entry without it could overwrite a change made since, unseen."""
    version = whole_number(form.get("version"), "version", "must be the entry's version: reload the page")
    if version is None:
        raise ValidationFailed.one("version", "is missing: reload the page, then make your change again")
    return version


class EntriesPages(Controller):
    """The caller's entries (owners and admins: the organization's)."""

    path = f"{APP_PATH}/entries"
    include_in_schema = False

    @get("/")
    async def entries(
        self,
        services: Deps,
        who: Who,
        date_from: Annotated[str | None, QueryParameter(name="from")] = None,
        date_to: Annotated[str | None, QueryParameter(name="to")] = None,
        project: Annotated[str | None, QueryParameter(name="project")] = None,
        billable: Annotated[str | None, QueryParameter(name="billable")] = None,
        user: Annotated[str | None, QueryParameter(name="user")] = None,
        after: Annotated[str | None, QueryParameter(name="after")] = None,
        deleted: Annotated[str | None, QueryParameter(name="deleted")] = None,
    ) -> Template:
        """One page of the list, newest first, filtered by dates, project, billable and (owners and
        admins) user; ``after`` is the next-page link's position."""
        filters = {
            "from": query_date(date_from, "from"),
            "to": query_date(date_to, "to"),
            "project": project,
            "billable": billable,
            "user": user,
        }
        undo = _deleted(unsigned(who, deleted))
        if undo is not None and not await call(_still_deleted, services, who, undo[0]):
            undo = None  # restored since (the Undo itself, then the back button): nothing to undo
        return await _list_page(services, who, filters, after=after or None, deleted=undo)

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
        """Save the edit through ``update_time_entry`` (the use case of ``PATCH /time-entries/{id}``),
        on the condition that the entry is still at the version the form was built from."""
        form = await form_of(request)
        entry = await call(services.entries.get_time_entry, who.caller, TimeEntryId(entry_id))
        try:
            version = form_version(form)
            command = _update_of(form, entry, who.caller.org.timezone)
            await call(services.entries.update_time_entry, who.caller, entry.id, command, if_match=version)
        except HoursError as failure:
            notice, status = refusal(failure)
            return await _edit_page(services, who, entry, form=form, notice=notice, status_code=status)
        return Redirect(f"{APP_PATH}/entries", status_code=303)

    @post("/{entry_id:uuid}/delete")
    async def delete(
        self,
        request: Request[Any, Any, Any],
        services: Deps,
        who: Who,
        entry_id: FromPath[UUID],
    ) -> Template | Redirect:
        """Delete (softly) the entry at the version the list showed; the list then offers to undo
        (``deleted`` is the entry's id and new version signed for this session, so a link with
        another id offers nothing)."""
        delete = services.entries.delete_time_entry
        gone = await _at_shown_version(request, services, who, delete, entry_id)
        if isinstance(gone, Template):
            return gone
        token = signed(who, f"{entry_id}:{gone.version}")
        return Redirect(f"{APP_PATH}/entries?deleted={token}", status_code=303)

    @post("/{entry_id:uuid}/restore")
    async def restore(
        self,
        request: Request[Any, Any, Any],
        services: Deps,
        who: Who,
        entry_id: FromPath[UUID],
    ) -> Template | Redirect:
        """Undo a delete, unless the entry changed since (restored and changed elsewhere)."""
        restore = services.entries.restore_time_entry
        restored = await _at_shown_version(request, services, who, restore, entry_id)
        if isinstance(restored, Template):
            return restored
        return Redirect(f"{APP_PATH}/entries", status_code=303)


async def _at_shown_version(
    request: Request[Any, Any, Any],
    services: Services,
    who: SessionCaller,
    use_case: Callable[..., TimeEntry],
    entry_id: UUID,
) -> TimeEntry | Template:
    """The entry after ``use_case`` (a delete or a restore) ran on it at the version the list showed
    (the form's ``version``, as ``if_match``); or, refused, the list page saying why."""
    form = await form_of(request)
    try:
        return await call(use_case, who.caller, TimeEntryId(entry_id), if_match=form_version(form))
    except HoursError as failure:
        notice, status = refusal(failure)
        return await _list_page(services, who, {}, notice=notice, status_code=status)


async def _list_page(
    services: Services,
    who: SessionCaller,
    filters: dict[str, Any],
    *,
    after: str | None = None,
    deleted: tuple[UUID, int] | None = None,
    notice: Notice | None = None,
    status_code: int = 200,
) -> Template:
    """One page of the list under ``filters`` (the query's ``from``, ``to``, ``project``,
    ``billable``, ``user``), from the position ``after`` (a signed next-page cursor); a filter that
    is refused is the page's notice over an empty list, with the refusal's status."""
    manages = who.caller.user.role.manages_org
    team = {user.id: user for user in await call(services.team.list_users, who.caller)} if manages else {}
    project_id = user_id = None
    next_cursor: EntryCursor | None = None
    try:
        project_id = chosen_id(filters.get("project"), "project_id")
        user_id = chosen_id(filters.get("user"), "user")
        if user_id is not None and manages and user_id not in team:
            raise ValidationFailed.one("user", "is not one of the choices: choose from the list")
        check_range(filters.get("from"), filters.get("to"))
        query = EntryQuery(
            date_from=filters.get("from"),
            date_to=filters.get("to"),
            project_id=None if project_id is None else ProjectId(project_id),
            billable=_billable(filters.get("billable")),
            descending=True,
            limit=LIST_LIMIT,
            user_id=_user_filter(who, user_id),
            after=None if after is None else _cursor_of(who, after),
        )
        rows, next_cursor, projects, tasks = await call(_listing, services, who, query)
    except HoursError as failure:
        notice, status_code = notice_of(failure), status_of(failure)
        rows = []
        projects, tasks = await call(_choices, services, who)
    shown = {
        **{name: value for name, value in filters.items() if value},
        "project": project_id,
        "user": user_id,
        "billable": filters.get("billable") or "",
    }
    locks = await call(_locks_of, services, who, rows)
    return page(
        "entries.html",
        who,
        section="entries",
        entries=rows,
        next_page=None if next_cursor is None else _page_link(who, filters, next_cursor),
        first_page=None if after is None else _page_link(who, filters, None),
        limit=LIST_LIMIT,
        projects={p.id: p for p in projects},
        tasks=tasks,
        team=sorted(team.values(), key=lambda user: (user.name.casefold(), user.email)),
        users=team,
        filters=shown,
        deleted=deleted,  # only an entry this session just deleted
        locks={entry.id: locks.entry_text(entry) for entry in rows},
        notice=notice,
        now=services.clock.now(),
        status_code=status_code,
    )


def _user_filter(who: SessionCaller, chosen: UUID | None) -> UserId | None:
    """Whose entries the list asks for: the one chosen; else, for an owner or admin, everyone's;
    for a member, their own (a member who names another user gets the use case's refusal)."""
    if chosen is not None:
        return UserId(chosen)
    return None if who.caller.user.role.manages_org else who.caller.user_id


def _page_link(who: SessionCaller, filters: dict[str, Any], after: EntryCursor | None) -> str:
    """The address of the list under ``filters`` from the position ``after`` (``None``: the first
    page). The position is the list use case's own keyset cursor, signed for this session."""
    query = {name: str(value) for name, value in filters.items() if value}
    if after is not None:
        text = f"{after.entry_date.isoformat()}|{after.created_at.isoformat()}|{after.id}"
        query["after"] = signed(who, text)
    return f"{APP_PATH}/entries" + (f"?{urlencode(query)}" if query else "")


def _cursor_of(who: SessionCaller, after: str) -> EntryCursor:
    """The position a next-page link carries; :class:`ValidationFailed` on ``after`` for one this
    session did not sign (another session's, altered, made by hand)."""
    parts = (unsigned(who, after) or "").split("|")
    try:
        day, created_at, entry_id = parts
        return EntryCursor(
            date.fromisoformat(day), datetime.fromisoformat(created_at), TimeEntryId(UUID(entry_id))
        )
    except ValueError as error:
        raise ValidationFailed.one(
            "after", "is not a next-page link of this session: start again from the first page"
        ) from error


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
    others = entry.user_id != who.caller.user_id
    return page(
        "entry_edit.html",
        who,
        section="entries",
        entry=entry,
        entry_user=await call(services.team.get_user, who.caller, entry.user_id) if others else None,
        form=form,
        projects=projects,
        tasks=tasks,
        lock=locks.entry_text(entry),
        timezone=who.caller.org.timezone,
        start=local_time_text(entry.started_at, who.caller.org.timezone),
        stop=local_time_text(entry.stopped_at, who.caller.org.timezone),
        notice=notice,
        now=services.clock.now(),
        status_code=status_code,
    )


def _still_deleted(services: Services, who: SessionCaller, entry_id: UUID) -> bool:
    """Whether the entry an Undo link names is still deleted: the list offers no Undo of an entry
    that is back (it would be refused as changed since)."""
    try:
        services.entries.get_time_entry(who.caller, TimeEntryId(entry_id))
    except NotFound:
        return True
    return False


def _deleted(text: str | None) -> tuple[UUID, int] | None:
    """The entry id and version of a signed ``deleted`` (``<id>:<version>``), or ``None``."""
    entry_id, colon, version = (text or "").partition(":")
    if not colon or not (version.isascii() and version.isdigit()):
        return None
    try:
        return UUID(entry_id), int(version)
    except ValueError:
        return None


def _update_of(form: dict[str, str], entry: TimeEntry, org_timezone: str) -> UpdateTimeEntry:
    """The update the edit form asks for: only what differs from the entry (the times read in the
    organization's ``org_timezone``), as a client of ``PATCH /time-entries/{id}`` sends it."""
    project_id = chosen_id(form.get("project"), "project_id")
    if project_id is None:
        raise ValidationFailed.one("project_id", "choose a project")
    task_id = chosen_id(form.get("task"), "task_id")
    entry_date = _entry_date(form.get("date", ""))
    note = typed_note(form.get("note", ""))
    billable = checked(form.get("billable"), "billable")
    duration = form.get("duration", "").strip()
    zone = ZoneInfo(org_timezone)
    started_at = typed_instant(form.get("start", ""), "started_at", zone)
    stopped_at = None if entry.is_running else typed_instant(form.get("stop", ""), "stopped_at", zone)
    return UpdateTimeEntry(
        project_id=ProjectId(project_id) if project_id != entry.project_id else UNSET,
        task_id=(None if task_id is None else TaskId(task_id)) if task_id != entry.task_id else UNSET,
        entry_date=entry_date if entry_date != entry.entry_date else UNSET,
        duration=UNSET if entry.is_running or _same_duration(duration, entry) else duration,
        billable=billable if billable != entry.billable else UNSET,
        note=note if note != typed_note(entry.note or "") else UNSET,
        started_at=UNSET if _same_instant(started_at, entry.started_at) else started_at,
        # a running timer's form has no Stop: it stops with the timer's Stop button
        stopped_at=UNSET if entry.is_running or _same_instant(stopped_at, entry.stopped_at) else stopped_at,
    )


def _same_duration(text: str, entry: TimeEntry) -> bool:
    """Whether the form's Duration is the entry's (then it is not sent, as the times are not: a span
    error names what the person changed, as over the API). One that cannot be read is sent, so that
    the core says why."""
    try:
        return parse_duration(text) == entry.duration_seconds
    except DurationError:
        return False


def _same_instant(typed: datetime | None, stored: datetime | None) -> bool:
    """Whether the form's time is the entry's as the form showed it (to the second: an entry written
    over the API may carry a fraction, which a form left as it was must not cut)."""
    if typed is None or stored is None:
        return typed is stored
    return typed in (stored, stored.replace(microsecond=0))


def _entry_date(text: str) -> date:
    """The edit form's date: ``YYYY-MM-DD`` and a real day of the calendar, else
    :class:`ValidationFailed` on ``entry_date`` saying which."""
    try:
        return form_date(text)
    except ValueError as error:
        if _DATE_SHAPE.fullmatch(text):
            raise ValidationFailed.one("entry_date", f"is not a real calendar date: {text}") from error
        raise ValidationFailed.one("entry_date", "must be a date like 2026-03-02") from error


_DATE_SHAPE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
"""A date's shape, ``YYYY-MM-DD``, whether or not the calendar has that day."""
