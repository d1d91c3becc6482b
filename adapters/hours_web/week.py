"""The week grid: the caller's time of one week as project/task rows and day columns.

:func:`load_week` reads it through the use cases (entries, projects, tasks, the running timer);
:func:`save_cell` turns what a person typed into one cell into the one use case it means:
an empty cell logs a new entry (``create_time_entry``), a cell of one entry changes that entry's
duration (``update_time_entry``), an emptied cell deletes it (``delete_time_entry``, undone from
the entries page). A cell of several entries, of an entry with a lock (:func:`lock_reason`), of a
day that no write may touch (a closed day, a week whose timesheet is submitted or approved:
:class:`DayLocks`), or of a running timer is read-only here and says why.

A save carries what the page showed of the cell (:attr:`Cell.shown`: its entry's id and version, or
nothing for an empty cell) and writes only if the cell still holds that; otherwise it is
:class:`CellChanged` and nothing is written. The update or delete of the entry passes that version
as ``if_match``, so the core checks it in its write transaction: a writer in between wins, never
this save (no lost update).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

import attrs

from hours_core.duration import DurationError, format_clock, parse_duration
from hours_core.entry_locks import ClosedDays, LockReason, day_lock_reason, lock_reason
from hours_core.errors import HoursError, NotFound, PreconditionFailed, ValidationFailed
from hours_core.model import OverlapPolicy, Project, ProjectId, Task, TaskId, TimeEntry, UserId, WeekStart
from hours_core.ports import EntryQuery
from hours_core.services import CreateTimeEntry, ListOverlaps, OverlapCluster, Services, UpdateTimeEntry
from hours_core.services.caller import Caller
from hours_core.timesheets import Timesheet, first_day_of_entry_week
from hours_core.validation import FIRST_ENTRY_DATE, LAST_ENTRY_DATE

__all__ = [
    "LOCK_TEXT",
    "WEEK_OUT_OF_RANGE",
    "Cell",
    "CellChanged",
    "CellKey",
    "CellReadOnly",
    "DayLocks",
    "Row",
    "WeekGrid",
    "all_entries",
    "form_date",
    "load_week",
    "save_cell",
    "today_of",
    "week_of",
]

LOCK_TEXT = {
    LockReason.INVOICED: "Invoiced: an invoiced entry cannot change",
    LockReason.SUBMITTED: "Submitted: the week's timesheet awaits approval",
    LockReason.APPROVED: "Approved: the week's timesheet is approved",
    LockReason.CLOSED_PERIOD: "Closed: the day is in a closed period",
}
"""What a read-only cell says for each lock reason."""

_PAGE = 500
_WEEK = timedelta(days=7)

WEEK_OUT_OF_RANGE = (
    f"must be a day of a week with a date from {FIRST_ENTRY_DATE} to {LAST_ENTRY_DATE}: "
    "time is logged on those days only"
)
"""Why a week is not shown (``?week=``, the grid form's ``week``): it holds no day an entry can have."""


class CellReadOnly(HoursError):
    """The cell cannot be typed into (several entries, a lock, a running timer); the message says why."""

    code = "cell_read_only"


class CellChanged(HoursError):
    """The cell no longer holds what the page showed (another tab, the API, a colleague wrote
    meanwhile); nothing was written. The message says what it holds now."""

    code = "cell_changed"


@attrs.frozen
class DayLocks:
    """What locks entries on the days a page shows: the organization's closed days, and the submitted
    or approved timesheets of the users whose entries it shows (:meth:`read`)."""

    closed: ClosedDays
    weeks: tuple[Timesheet, ...] = ()

    @classmethod
    def read(
        cls, services: Services, caller: Caller, first: date, last: date, *, user_id: UserId | None = None
    ) -> DayLocks:
        """The locks from ``first`` to ``last`` on the entries of ``user_id`` (``None``: of every
        user whose entries the caller sees)."""
        weeks = services.timesheets.locking(caller, first, last, user_id=user_id)
        return cls(services.periods.locks(caller, (first, last)), tuple(weeks))

    def day_text(self, caller: Caller, day: date) -> str | None:
        """What a page says of ``day`` if no entry of the caller may be written on it
        (:func:`day_lock_reason`), or ``None``."""
        return self._text(day_lock_reason(caller.org_id, caller.user_id, day, self.closed, self.weeks), day)

    def entry_text(self, entry: TimeEntry) -> str | None:
        """What a page says of ``entry`` if it is read-only (:func:`lock_reason`), or ``None``."""
        return self._text(lock_reason(entry, self.closed, self.weeks), entry.entry_date)

    def _text(self, reason: LockReason | None, day: date) -> str | None:
        """:data:`LOCK_TEXT` of ``reason``; for a closed day, with the reason it was closed for (the
        admin's ``reason`` of the closed period, or the rolling rule's), as the API's 409 names it."""
        if reason is None:
            return None
        lock = self.closed.lock_of(day) if reason is LockReason.CLOSED_PERIOD else None
        return LOCK_TEXT[reason] if lock is None else f"{LOCK_TEXT[reason]}. Reason: {lock.reason}"


_FORM_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def form_date(text: str) -> date:
    """A date a form sent, in the one form the app writes: ``YYYY-MM-DD``. ``ValueError`` for
    anything else, even what ``date.fromisoformat`` would read (``20000101``, ``2000-W01-1``), so
    that a name or field the app never wrote is refused rather than read as some date."""
    if not _FORM_DATE.fullmatch(text):
        raise ValueError(f"not a date in the form YYYY-MM-DD: {text!r}")
    return date.fromisoformat(text)


@attrs.frozen
class CellKey:
    """Which cell: a project, a task or none, a day. Its ``ref`` names it in forms."""

    project_id: ProjectId
    task_id: TaskId | None
    day: date

    @property
    def ref(self) -> str:
        """``<project id>.<task id or ->.<YYYY-MM-DD>``."""
        return f"{self.project_id}.{self.task_id or '-'}.{self.day.isoformat()}"

    @classmethod
    def parse(cls, ref: str, week_start: WeekStart) -> CellKey:
        """The key a ``ref`` names; :class:`ValidationFailed` (``cell``) for anything else, a day of
        a week that no grid shows included (one without a date an entry can have, such as year 9999:
        :func:`~hours_core.timesheets.first_day_of_entry_week`; its organization's weeks start on
        ``week_start``)."""
        try:
            project, task, day = ref.split(".")
            key = cls(ProjectId(UUID(project)), None if task == "-" else TaskId(UUID(task)), form_date(day))
        except ValueError as error:
            raise ValidationFailed.one("cell", "is not a cell of the week grid") from error
        if first_day_of_entry_week(key.day, week_start) is None:
            raise ValidationFailed.one("cell", "is not a cell of the week grid")
        return key


@attrs.frozen
class Cell:
    """One project/task on one day: its entries, their time, and why it is read-only (or ``None``)."""

    key: CellKey
    entries: tuple[TimeEntry, ...]
    seconds: int
    read_only: str | None
    ref: str = attrs.field(init=False)
    """The key's ``ref``, made once (a page names each cell several times)."""

    @ref.default
    def _ref(self) -> str:
        return self.key.ref

    @property
    def text(self) -> str:
        """The time as ``H:MM`` (``H:MM:SS`` with seconds); empty for no entries."""
        return format_clock(self.seconds) if self.entries else ""

    @property
    def shown(self) -> str:
        """What a save of this cell must find in it (the form's ``seen.<ref>``): ``<entry id>:<version>``
        for a cell of one entry, empty for an empty cell (a cell of several is read-only)."""
        return _shown(self.entries)


def _shown(entries: Sequence[TimeEntry]) -> str:
    return ",".join(f"{entry.id}:{entry.version}" for entry in entries)


@attrs.frozen
class Row:
    """A project (and task) across the week."""

    project: Project
    task: Task | None
    cells: tuple[Cell, ...]

    @property
    def seconds(self) -> int:
        """The row's total."""
        return sum(cell.seconds for cell in self.cells)


@attrs.frozen
class WeekGrid:
    """The week from ``start``: its days, rows, totals, and the caller's running timer."""

    start: date
    today: date
    days: tuple[date, ...]
    rows: tuple[Row, ...]
    timer: TimeEntry | None
    overlaps: tuple[str, ...] = ()
    """Each group of the caller's entries of the week that overlap, as a sentence, when the
    organization's overlap policy is ``warn`` or ``reject`` (under ``allow`` overlaps are fine)."""

    @property
    def day_seconds(self) -> tuple[int, ...]:
        """Each day's total."""
        return tuple(sum(row.cells[index].seconds for row in self.rows) for index in range(len(self.days)))

    @property
    def seconds(self) -> int:
        """The week's total."""
        return sum(row.seconds for row in self.rows)

    @property
    def previous(self) -> date | None:
        """The start of the week before, or ``None`` when that week holds no date an entry can have
        (this week starts on or before 2000-01-01)."""
        return self.start - _WEEK if self.start > FIRST_ENTRY_DATE else None

    @property
    def next(self) -> date | None:
        """The start of the week after, or ``None`` when that week holds no date an entry can have
        (it would start after 2100-12-31)."""
        following = self.start + _WEEK
        return following if following <= LAST_ENTRY_DATE else None


def today_of(caller: Caller, services: Services) -> date:
    """Today in the organization's time zone."""
    return services.clock.now().astimezone(ZoneInfo(caller.org.timezone)).date()


def week_of(caller: Caller, day: date) -> date:
    """The first day of the organization's week (its ``week_start``) that holds ``day``;
    :class:`ValidationFailed` (``week``: :data:`WEEK_OUT_OF_RANGE`) for a week that holds no date an
    entry can have, which no grid shows (:func:`~hours_core.timesheets.first_day_of_entry_week`)."""
    first = first_day_of_entry_week(day, caller.org.week_start)
    if first is None:
        raise ValidationFailed.one("week", WEEK_OUT_OF_RANGE)
    return first


def all_entries(services: Services, caller: Caller, query: EntryQuery) -> list[TimeEntry]:
    """Every entry of ``query`` the caller may see, page after page (``list_time_entries``)."""
    entries: list[TimeEntry] = []
    query = attrs.evolve(query, limit=_PAGE)
    while True:
        page = services.entries.list_time_entries(caller, query)
        entries.extend(page.entries)
        if page.next_cursor is None:
            return entries
        query = attrs.evolve(query, after=page.next_cursor)


def _read_only(
    entries: Sequence[TimeEntry],
    project: Project,
    task: Task | None,
    locks: DayLocks,
    caller: Caller,
    day: date,
) -> str | None:
    for entry in entries:
        text = locks.entry_text(entry)
        if text is not None:
            return text
    day_text = locks.day_text(caller, day)
    if day_text is not None:
        return day_text
    if any(entry.is_running for entry in entries):
        return "A timer is running: stop it to change this day"
    if len(entries) > 1:
        return f"{len(entries)} entries: change them under Entries"
    if not entries and (project.archived or (task is not None and task.archived)):
        return "Archived: takes no new time"
    return None


def load_week(
    services: Services, caller: Caller, day: date, extra_rows: Iterable[tuple[ProjectId, TaskId | None]] = ()
) -> WeekGrid:
    """The caller's week that holds ``day``: a row for each active project, for each project and
    task with time this week, and for each of ``extra_rows`` (a row added to the view).
    :class:`ValidationFailed` (``week``) for a week without a date an entry can have (:func:`week_of`)."""
    start = week_of(caller, day)
    days = tuple(start + timedelta(days=offset) for offset in range(7))
    now = services.clock.now()
    entries = all_entries(
        services, caller, EntryQuery(date_from=days[0], date_to=days[-1], user_id=caller.user_id)
    )
    projects = {project.id: project for project in services.projects.list_projects(caller)}
    locks = DayLocks.read(services, caller, days[0], days[-1], user_id=caller.user_id)
    by_cell: dict[tuple[ProjectId, TaskId | None, date], list[TimeEntry]] = {}
    for entry in entries:
        by_cell.setdefault((entry.project_id, entry.task_id, entry.entry_date), []).append(entry)
    keys: dict[tuple[ProjectId, TaskId | None], None] = {
        (project.id, None): None for project in projects.values() if not project.archived
    }
    keys.update({(project_id, task_id): None for project_id, task_id, _ in by_cell})
    keys.update({pair: None for pair in extra_rows if pair[0] in projects})
    tasks = _tasks(services, caller, {project_id for project_id, task_id in keys if task_id is not None})
    rows = []
    for project_id, task_id in keys:
        project = projects[project_id]
        task = None if task_id is None else tasks.get(task_id)
        if task_id is not None and task is None:
            continue
        cells = []
        for each in days:
            found = tuple(by_cell.get((project_id, task_id, each), ()))
            cells.append(
                Cell(
                    key=CellKey(project_id, task_id, each),
                    entries=found,
                    seconds=sum(entry.elapsed_seconds(now) for entry in found),
                    read_only=_read_only(found, project, task, locks, caller, each),
                )
            )
        rows.append(Row(project=project, task=task, cells=tuple(cells)))
    rows.sort(
        key=lambda row: (row.project.name.casefold(), row.task is not None, row.task.name if row.task else "")
    )
    running = next((entry for entry in entries if entry.is_running), None)
    return WeekGrid(
        start=start,
        today=today_of(caller, services),
        days=days,
        rows=tuple(rows),
        timer=running,
        overlaps=_overlaps(services, caller, days[0], days[-1], projects),
    )


def _overlaps(
    services: Services,
    caller: Caller,
    first: date,
    last: date,
    projects: Mapping[ProjectId, Project],
) -> tuple[str, ...]:
    """The caller's groups of overlapping entries that cover time from ``first`` to ``last``, each as
    a sentence, if the organization cares (``warn``; ``reject``: overlaps older than the policy)."""
    if caller.org.overlap_policy is OverlapPolicy.ALLOW:
        return ()
    # The first and last weeks of the grid run past the entry dates, which the use case keeps to.
    first, last = max(first, FIRST_ENTRY_DATE), min(last, LAST_ENTRY_DATE)
    found = services.overlaps.list_overlaps(caller, ListOverlaps(first, last, user_id=caller.user_id))
    zone = ZoneInfo(caller.org.timezone)
    return tuple(_overlap_sentence(cluster, projects, zone) for cluster in found.clusters)


def _overlap_sentence(cluster: OverlapCluster, projects: Mapping[ProjectId, Project], zone: ZoneInfo) -> str:
    """``Tue 3 Mar 09:00–10:30 Website, Tue 3 Mar 10:00–now Backend`` (and how many more)."""
    spans = []
    for entry in cluster.entries:
        assert entry.started_at is not None  # only entries with a start overlap
        start = entry.started_at.astimezone(zone)
        stop = None if entry.stopped_at is None else entry.stopped_at.astimezone(zone)
        if stop is None:
            until = "now"
        elif stop.date() == start.date():
            until = f"{stop:%H:%M}"
        else:
            until = f"{stop:%a %-d %b %H:%M}"
        project = projects.get(entry.project_id)
        spans.append(f"{start:%a %-d %b %H:%M}–{until} {project.name if project else 'another project'}")
    more = cluster.count - len(cluster.entries)
    return ", ".join(spans) + (f", and {more} more" if more else "")


def _tasks(services: Services, caller: Caller, project_ids: Iterable[ProjectId]) -> dict[TaskId, Task]:
    tasks: dict[TaskId, Task] = {}
    for project_id in project_ids:
        tasks.update({task.id: task for task in services.projects.list_tasks(caller, project_id)})
    return tasks


def _cell_entries(services: Services, caller: Caller, key: CellKey) -> list[TimeEntry]:
    query = EntryQuery(date_from=key.day, date_to=key.day, project_id=key.project_id, user_id=caller.user_id)
    return [entry for entry in all_entries(services, caller, query) if entry.task_id == key.task_id]


def save_cell(
    services: Services, caller: Caller, key: CellKey, text: str, shown: str = ""
) -> TimeEntry | None:
    """Apply what was typed into a cell through one use case; return the entry it made, changed or
    deleted (``None`` when nothing changed). ``shown`` is what the page showed of the cell
    (:attr:`Cell.shown`; empty, or left out of the form: an empty cell). :class:`CellChanged`, with
    nothing written, when the cell holds anything else now, or when its entry changes before the
    write (the core's ``if_match``)."""
    text = text.strip()
    if not text and not shown:
        return None  # nothing typed into a cell that showed nothing
    entries = _cell_entries(services, caller, key)
    if _shown(entries) != shown:
        if _already_holds(entries, text):
            return None  # the same save a second time (the cell's own save, then the week's form)
        raise CellChanged(_changed_text(services, entries))
    locks = DayLocks.read(services, caller, key.day, key.day, user_id=caller.user_id)
    if not entries:
        day_text = locks.day_text(caller, key.day)
        if day_text is not None:
            raise CellReadOnly(day_text)
        command = CreateTimeEntry(
            project_id=key.project_id, task_id=key.task_id, entry_date=key.day, duration=text
        )
        return services.entries.create_time_entry(caller, command)
    project = services.projects.get_project(caller, key.project_id)
    reason = _read_only(entries, project, None, locks, caller, key.day)
    if reason is not None:
        raise CellReadOnly(reason)
    (entry,) = entries
    try:
        if not text:
            return services.entries.delete_time_entry(caller, entry.id, if_match=entry.version)
        change = UpdateTimeEntry(duration=text)
        return services.entries.update_time_entry(caller, entry.id, change, if_match=entry.version)
    except (PreconditionFailed, NotFound) as raced:  # written (or deleted) since the read above
        raise CellChanged(_changed_text(services, _cell_entries(services, caller, key))) from raced


def _already_holds(entries: Sequence[TimeEntry], text: str) -> bool:
    """Whether a cell of ``entries`` already holds what was typed (``text``, stripped): empty for an
    empty cell, else the duration of its one stopped entry. With JavaScript on, leaving a cell saves
    it, and a click on "Save the week" then sends the same cell with what the page showed before that
    save: nothing is left to write, and nothing was lost."""
    if not text:
        return not entries
    if len(entries) != 1 or entries[0].is_running:
        return False
    try:
        return parse_duration(text) == entries[0].duration_seconds
    except DurationError:
        return False


def _changed_text(services: Services, entries: Sequence[TimeEntry]) -> str:
    """What a save says of a cell that changed since the page showed it: what it holds now."""
    now = services.clock.now()
    if not entries:
        holds = "empty"
    else:
        total = format_clock(sum(entry.elapsed_seconds(now) for entry in entries))
        holds = total if len(entries) == 1 else f"{len(entries)} entries, {total}"
    return (
        f"Not saved: changed since you loaded the page, now {holds}. "
        "The cell shows it; type again to change it."
    )
