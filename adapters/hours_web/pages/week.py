"""``/app/week``: the week grid and the timer."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Annotated, Any
from uuid import UUID
from zoneinfo import ZoneInfo

import attrs
from litestar import Controller, Request, get, post
from litestar.params import QueryParameter
from litestar.response import Redirect, Template

from hours_core.errors import SUMMARY_NAME_LENGTH, HoursError, NotFound, ValidationFailed
from hours_core.model import MAX_ENTRY_SECONDS, Project, ProjectId, Task, TaskId, TimeEntry
from hours_core.services import Services, SessionCaller, StartTimer
from hours_web.notices import Notice, notice_of, status_of
from hours_web.pages import (
    Deps,
    Who,
    call,
    chosen_id,
    local_time_text,
    page,
    query_date,
    typed_instant,
    typed_note,
)
from hours_web.session import APP_PATH, form_of
from hours_web.week import CellChanged, CellKey, WeekGrid, form_date, load_week, save_cell, today_of, week_of

__all__ = ["WeekPages"]

_CELL_FIELD = "d."
_WAS_FIELD = "was."
_SEEN_FIELD = "seen."


def _extra_rows(refs: list[str] | None) -> list[tuple[ProjectId, TaskId | None]]:
    """The task rows a week page adds to the grid (``row=<project id>.<task id>``, as its "Add a task
    row" form writes them; a project id alone is a project's row); :class:`ValidationFailed` on
    ``row`` for anything else, which the app never writes (it was once ignored, silently)."""
    rows: list[tuple[ProjectId, TaskId | None]] = []
    for ref in refs or []:
        project, dot, task = ref.partition(".")
        try:
            project_id = UUID(project)
            task_id = UUID(task) if dot else None
        except ValueError as error:
            raise ValidationFailed.one("row", "is not a row of the week grid") from error
        rows.append((ProjectId(project_id), None if task_id is None else TaskId(task_id)))
    return rows


def _timer_choices(
    services: Services, who: SessionCaller
) -> tuple[list[Project], dict[ProjectId, list[Task]]]:
    projects = list(services.projects.list_projects(who.caller, include_archived=False))
    tasks = {
        project.id: [
            task for task in services.projects.list_tasks(who.caller, project.id) if not task.archived
        ]
        for project in projects
    }
    return projects, tasks


@attrs.frozen
class _Timer:
    """The running timer as the week page shows it. ``latest_stop`` is set once it has run 24 hours,
    which no entry may hold: the last time it may stop (its start plus 24 hours, a wall-clock time
    in the organization's time zone), which the stop form then asks for, as Stop alone would be
    refused."""

    entry: TimeEntry
    project: Project
    task: Task | None
    latest_stop: str | None = None


def _running(services: Services, who: SessionCaller) -> _Timer | None:
    try:
        entry = services.entries.current_timer(who.caller)
    except NotFound:
        return None
    project = services.projects.get_project(who.caller, entry.project_id)
    tasks = services.projects.list_tasks(who.caller, project.id) if entry.task_id else ()
    task = next((task for task in tasks if task.id == entry.task_id), None)
    assert entry.started_at is not None  # a running timer has its start
    latest = entry.started_at + timedelta(seconds=MAX_ENTRY_SECONDS)
    over = services.clock.now() > latest
    return _Timer(entry, project, task, local_time_text(latest, who.caller.org.timezone) if over else None)


def _load(
    services: Services,
    who: SessionCaller,
    day: date,
    rows: list[tuple[ProjectId, TaskId | None]],
) -> tuple[WeekGrid, list[Project], dict[ProjectId, list[Task]], _Timer | None]:
    grid = load_week(services, who.caller, day, rows)
    projects, tasks = _timer_choices(services, who)
    return grid, projects, tasks, _running(services, who)


async def _week_page(
    services: Services,
    who: SessionCaller,
    day: date | None,
    rows: list[str] | None = None,
    *,
    notice: Notice | None = None,
    cell_errors: Mapping[str, tuple[str | None, str]] | None = None,
    status_code: int = 200,
) -> Template:
    when = day or today_of(who.caller, services)
    grid, projects, tasks, timer = await call(_load, services, who, when, _extra_rows(rows))
    unshown = _unshown_cells(grid, tasks, cell_errors or {})
    if notice is not None and unshown:
        notice = attrs.evolve(notice, lines=unshown)
    return page(
        "week.html",
        who,
        section="week",
        grid=grid,
        projects=projects,
        tasks=tasks,
        timer=timer,
        now=services.clock.now(),
        rows=rows or [],
        notice=notice,
        cell_errors=cell_errors or {},
        status_code=status_code,
    )


class WeekPages(Controller):
    """The week grid, its cells, and the timer."""

    path = APP_PATH
    include_in_schema = False

    @get("/week")
    async def week(
        self,
        services: Deps,
        who: Who,
        week: Annotated[str | None, QueryParameter(name="week")] = None,
        row: Annotated[list[str] | None, QueryParameter(name="row")] = None,
    ) -> Template:
        """The week that holds ``week`` (default: today in the org's time zone)."""
        return await _week_page(services, who, query_date(week, "week"), row)

    @post("/week/cell")
    async def save_one_cell(
        self,
        request: Request[Any, Any, Any],
        services: Deps,
        who: Who,
    ) -> Template:
        """Save one cell (htmx, on blur): answers the cell and, out of band, the totals it changes."""
        form = await form_of(request)
        key = CellKey.parse(form.get("cell", ""), who.caller.org.week_start)
        text = form.get(_CELL_FIELD + key.ref, "")
        error: str | None = None
        typed: str | None = None
        try:
            await call(save_cell, services, who.caller, key, text, form.get(_SEEN_FIELD + key.ref, ""))
        except HoursError as failure:
            error = _cell_error(failure)
            typed = _kept(failure, text)
        grid = await call(load_week, services, who.caller, key.day, [(key.project_id, key.task_id)])
        row = next(
            (
                r
                for r in grid.rows
                if r.project.id == key.project_id and (r.task.id if r.task else None) == key.task_id
            ),
            None,
        )
        if row is None:  # a cell of a project or task the caller's organization does not have
            raise NotFound.of("task" if key.task_id else "project")
        index = grid.days.index(key.day)
        return page(
            "week_cell.html",
            who,
            grid=grid,
            row=row,
            cell=row.cells[index],
            index=index,
            typed=typed,
            error=error,
        )

    @post("/week")
    async def save_week(
        self,
        request: Request[Any, Any, Any],
        services: Deps,
        who: Who,
    ) -> Template | Redirect:
        """Save every changed cell of the grid (the form without JavaScript)."""
        form = await form_of(request)
        week = _week_field(who, form.get("week"))  # a week no grid shows is refused before any save
        start = None if week is None else week_of(who.caller, week)
        errors: dict[str, tuple[str | None, str]] = {}
        rows: dict[str, None] = {}
        changed = 0
        unstored = 0  # refused by the store (busy, its disk full): the same form goes through later
        for name, text in form.items():
            ref = name[len(_CELL_FIELD) :]
            if not name.startswith(_CELL_FIELD) or form.get(_WAS_FIELD + ref) == text:
                continue
            try:
                key = CellKey.parse(ref, who.caller.org.week_start)
                start = start or week_of(who.caller, key.day)
                if week_of(who.caller, key.day) != start:
                    raise ValidationFailed.one("cell", _not_this_week(start))
                if key.task_id is not None:
                    rows[f"{key.project_id}.{key.task_id}"] = None
                await call(save_cell, services, who.caller, key, text, form.get(_SEEN_FIELD + ref, ""))
            except HoursError as failure:
                errors[ref] = (_kept(failure, text), _cell_error(failure))
                changed += isinstance(failure, CellChanged)
                unstored += failure.transient
        week = week or start
        if errors:
            notice = Notice(text=f"{len(errors)} cell{'s' if len(errors) > 1 else ''} could not be saved.")
            status = 409 if changed == len(errors) else 503 if unstored == len(errors) else 422
            return await _week_page(
                services, who, week, list(rows), notice=notice, cell_errors=errors, status_code=status
            )
        return Redirect(f"{APP_PATH}/week" + (f"?week={week.isoformat()}" if week else ""), status_code=303)

    @post("/timer/start")
    async def start_timer(
        self,
        request: Request[Any, Any, Any],
        services: Deps,
        who: Who,
    ) -> Template | Redirect:
        """Start a timer (project, task, note): the same use case as ``POST /timers``, dated the
        organization's today (the grid's today), which ``POST /timers`` leaves to its client: its own
        default, the UTC date, is another day than the organization's for hours a day east or west
        of UTC, and puts the timer in a column, even a week, other than the one it was started from."""
        form = await form_of(request)
        note = typed_note(form.get("note", ""))  # as typed, as POST /timers keeps it
        try:
            project_id = chosen_id(form.get("project"), "project_id")
            task_id = chosen_id(form.get("task"), "task_id")
            if project_id is None:
                raise ValidationFailed.one("project_id", "choose a project")
            command = StartTimer(
                project_id=ProjectId(project_id),
                task_id=None if task_id is None else TaskId(task_id),
                note=note,
                entry_date=today_of(who.caller, services),
            )
            await call(services.entries.start_timer, who.caller, command)
        except HoursError as failure:
            return await _week_page(
                services, who, None, notice=notice_of(failure), status_code=status_of(failure)
            )
        return Redirect(f"{APP_PATH}/week", status_code=303)

    @post("/timer/stop")
    async def stop_timer(
        self, request: Request[Any, Any, Any], services: Deps, who: Who
    ) -> Template | Redirect:
        """Stop the running timer now, or at the form's ``stop`` (a wall-clock time in the
        organization's time zone, which the form asks for once the timer has run 24 hours: it must
        then stop within 24 hours of its start, as ``POST /timers/current/stop`` takes ``stoppedAt``)."""
        form = await form_of(request)
        try:
            stopped_at = typed_instant(form.get("stop", ""), "stopped_at", ZoneInfo(who.caller.org.timezone))
            await call(services.entries.stop_timer, who.caller, stopped_at)
        except HoursError as failure:
            return await _week_page(
                services, who, None, notice=notice_of(failure), status_code=status_of(failure)
            )
        return Redirect(f"{APP_PATH}/week", status_code=303)


def _week_field(who: SessionCaller, text: str | None) -> date | None:
    """The day of the week the grid form was showing (its ``week``; left out or empty: ``None``).
    :class:`ValidationFailed` on ``week`` for text that is no date, or a day of a week that no grid
    shows (:data:`~hours_web.week.WEEK_OUT_OF_RANGE`): the answer would redirect to that week."""
    if not text:
        return None
    try:
        day = form_date(text)
    except ValueError as error:
        raise ValidationFailed.one("week", "must be a date in the form YYYY-MM-DD") from error
    week_of(who.caller, day)
    return day


def _not_this_week(start: date) -> str:
    """Why the grid form refuses a cell of another week than the one it shows (from ``start``)."""
    return f"is not a day of the week the form shows, the week of {start:%-d %B %Y}"


UNSHOWN_CELLS = 10
"""How many refused cells the notice of the grid form names when the grid cannot show them."""


def _unshown_cells(
    grid: WeekGrid,
    tasks: Mapping[ProjectId, list[Task]],
    cell_errors: Mapping[str, tuple[str | None, str]],
) -> tuple[str, ...]:
    """What the notice says of each refused cell that the grid does not show (a cell of another
    week, of a project or task it has no row for, a name that is no cell): its day, its row when
    the page knows it, and the reason, as the grid would say it in the cell. At most
    :data:`UNSHOWN_CELLS` of them, then how many more."""
    shown = {cell.ref for row in grid.rows for cell in row.cells}
    projects = {row.project.id: row.project.name for row in grid.rows}
    task_names = {task.id: task.name for listed in tasks.values() for task in listed}
    lines = []
    unshown = [(ref, error) for ref, (_, error) in cell_errors.items() if ref not in shown]
    for ref, error in unshown[:UNSHOWN_CELLS]:
        project, _, rest = ref.partition(".")
        task, _, day = rest.partition(".")
        try:
            named = f"The cell of {form_date(day):%A %-d %B %Y}"
        except ValueError:
            shown_ref = ref if len(ref) <= SUMMARY_NAME_LENGTH else f"{ref[: SUMMARY_NAME_LENGTH - 1]}…"
            named = f"The cell “{shown_ref}”"
        try:
            row = projects.get(ProjectId(UUID(project)))
            if row is not None and task != "-":
                row = f"{row} · {task_names[TaskId(UUID(task))]}"
        except (ValueError, KeyError):
            row = None
        lines.append(f"{named}{f' ({row})' if row else ''}: {error}")
    if len(unshown) > UNSHOWN_CELLS:
        lines.append(f"and {len(unshown) - UNSHOWN_CELLS} more")
    return tuple(lines)


def _kept(failure: HoursError, text: str) -> str | None:
    """What a refused cell shows: what was typed, unless the cell changed since the page showed it;
    then what it holds now (``None``), so that the page never offers the stale save again."""
    return None if isinstance(failure, CellChanged) else text


def _cell_error(failure: HoursError) -> str:
    notice = notice_of(failure)
    if notice.kind == "plan":
        return f"{notice.text} (plan {notice.required_plan}, feature {notice.feature})"
    if notice.fields:
        return "; ".join(notice.fields.values())
    return notice.text
