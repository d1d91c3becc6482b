"""Time entry use cases."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, Final

import attrs

from hours_core.clock import later
from hours_core.entry_locks import LockOverride, invoiced_lock, require_override_allowed
from hours_core.errors import (
    Conflict,
    ExternalRefTaken,
    FieldProblem,
    Forbidden,
    Hint,
    NotFound,
    PreconditionFailed,
    StaleUpdate,
    TimerAlreadyRunning,
    ValidationFailed,
)
from hours_core.events import EventType
from hours_core.model import (
    MAX_ENTRY_SECONDS,
    Project,
    ProjectId,
    TaskId,
    TimeEntry,
    TimeEntryId,
    User,
    UserId,
)
from hours_core.plans import Feature
from hours_core.ports import Clock, EntryCursor, EntryQuery, IdFactory, UnitOfWork
from hours_core.services.caller import Caller
from hours_core.services.entry_guard import DEACTIVATED_USER, guard_entry_write, require_active
from hours_core.services.overlaps import check_overlaps
from hours_core.services.rates import rate_for_entry
from hours_core.services.recording import EventRecorder
from hours_core.services.transactions import Transactions
from hours_core.services.versions import IfMatch, check_if_match, raced
from hours_core.timesheet_locks import check_timesheet_lock
from hours_core.validation import (
    FieldErrors,
    check_entry_date,
    check_instant,
    check_note,
    check_span_end,
    in_utc,
    resolve_duration,
)

__all__ = [
    "MAX_PAGE_SIZE",
    "UNSET",
    "CreateTimeEntry",
    "EntryPage",
    "StartTimer",
    "TimeEntryService",
    "UpdateTimeEntry",
    "visible_query",
]


class _Unset(enum.Enum):
    UNSET = "unset"

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = _Unset.UNSET
"""A field an update leaves as it is (``None`` clears a nullable field)."""


def _utc_unless_none(value: datetime | None) -> datetime | None:
    """A command's instant in UTC (:func:`~hours_core.validation.in_utc`)."""
    return in_utc(value) if isinstance(value, datetime) else value


def _utc_unless_unset(value: datetime | _Unset | None) -> datetime | _Unset | None:
    """An update's instant in UTC; ``UNSET`` and ``None`` as they are."""
    return in_utc(value) if isinstance(value, datetime) else value


MAX_PAGE_SIZE: Final = 500
"""The most entries one page of :meth:`TimeEntryService.list_time_entries` holds (``limit``)."""


@attrs.frozen
class CreateTimeEntry:
    """Log time: what a new entry needs, already of the right types.

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
    started_at: datetime | None = attrs.field(default=None, converter=_utc_unless_none)
    stopped_at: datetime | None = attrs.field(default=None, converter=_utc_unless_none)
    user_id: UserId | None = None


@attrs.frozen
class UpdateTimeEntry:
    """Change some fields of an entry; :data:`UNSET` leaves a field as it is.

    ``None`` clears a nullable field (task, note, start, stop). Sending ``duration_seconds`` or
    ``duration`` replaces the duration (``duration_seconds`` wins when both are sent: ``duration``
    is then ignored).
    """

    project_id: ProjectId | _Unset = UNSET
    task_id: TaskId | _Unset | None = UNSET
    entry_date: date | _Unset = UNSET
    duration_seconds: int | _Unset = UNSET
    duration: str | _Unset = UNSET
    billable: bool | _Unset = UNSET
    note: str | _Unset | None = UNSET
    started_at: datetime | _Unset | None = attrs.field(default=UNSET, converter=_utc_unless_unset)
    stopped_at: datetime | _Unset | None = attrs.field(default=UNSET, converter=_utc_unless_unset)


@attrs.frozen
class StartTimer:
    """Start a running entry now. ``entry_date`` defaults to the start's UTC date; ``stop_running``
    stops a timer that is running at the same instant, instead of :class:`TimerAlreadyRunning`.
    """

    project_id: ProjectId
    task_id: TaskId | None = None
    note: str | None = None
    billable: bool | None = None
    entry_date: date | None = None
    stop_running: bool = False


@attrs.frozen
class EntryPage:
    """One page of a list, and where the next one starts (``None`` on the last page)."""

    entries: Sequence[TimeEntry]
    next_cursor: EntryCursor | None


@attrs.frozen
class _Draft:
    """The state an entry should have, before validation: a new entry, or an old one with an update."""

    project_id: ProjectId
    task_id: TaskId | None
    entry_date: date
    duration_seconds: int | None
    duration: str | None
    billable: bool | None
    note: str | None
    started_at: datetime | None
    stopped_at: datetime | None

    @classmethod
    def merge(cls, entry: TimeEntry, update: UpdateTimeEntry) -> _Draft:
        """``entry`` with ``update`` applied."""

        def pick(new: Any, old: Any) -> Any:
            return old if new is UNSET else new

        new_duration = update.duration_seconds is not UNSET or update.duration is not UNSET
        return cls(
            project_id=pick(update.project_id, entry.project_id),
            task_id=pick(update.task_id, entry.task_id),
            entry_date=pick(update.entry_date, entry.entry_date),
            duration_seconds=(
                pick(update.duration_seconds, None) if new_duration else entry.duration_seconds
            ),
            duration=pick(update.duration, None) if new_duration else None,
            billable=pick(update.billable, entry.billable),
            note=pick(update.note, entry.note),
            started_at=pick(update.started_at, entry.started_at),
            stopped_at=pick(update.stopped_at, entry.stopped_at),
        )

    def validate(
        self, *, running: bool, changed: frozenset[str] | None = None
    ) -> tuple[int, datetime | None]:
        """Check every field rule; return the duration in seconds and the effective stop time.

        A start without a stop is completed by the duration, unless the entry is a running timer.
        ``changed`` (the fields an update sent) picks which field an error about the span names.
        """
        errors = FieldErrors()
        check_entry_date(self.entry_date, errors)
        check_note(self.note, errors)
        duration_field = "duration_seconds" if self.duration_seconds is not None else "duration"
        seconds = resolve_duration(self.duration_seconds, self.duration, errors)
        started_at, stopped_at = self.started_at, self.stopped_at
        check_instant(started_at, errors, "started_at")
        check_instant(stopped_at, errors, "stopped_at")
        start_sent_alone = changed is not None and "started_at" in changed and "stopped_at" not in changed
        if stopped_at is not None and started_at is None:
            if start_sent_alone:  # an update clears the start of an entry that keeps its stop
                errors.add("started_at", _START_CLEARED_ALONE)
            else:
                errors.add("stopped_at", FieldProblem("needs started_at", mentions=("started_at",)))
        elif started_at is not None and stopped_at is not None and stopped_at < started_at:
            if start_sent_alone:  # an update moves the start past the stop it keeps
                errors.add(
                    "started_at", FieldProblem("must not be later than stopped_at", mentions=("stopped_at",))
                )
            else:
                errors.add(
                    "stopped_at",
                    FieldProblem("must not be earlier than started_at", mentions=("started_at",)),
                )
        errors.raise_if_any()
        assert seconds is not None
        if started_at is not None and stopped_at is None and not running:
            span_field = "started_at"
            if changed is not None and "started_at" not in changed:
                span_field = duration_field
            stopped_at = check_span_end(started_at, seconds, errors, span_field)
            errors.raise_if_any()
        elif started_at is not None and stopped_at is not None and seconds > _span(started_at, stopped_at):
            field = duration_field
            if changed is not None and not changed & {"duration", "duration_seconds"}:
                field = (
                    "stopped_at" if "stopped_at" in changed or "started_at" not in changed else "started_at"
                )
            errors.add(field, _SPAN_EXCEEDED)
            errors.raise_if_any()
        return seconds, stopped_at


_START_CLEARED_ALONE = FieldProblem(
    "cannot be cleared while the entry keeps its stopped_at: clear stopped_at too to drop the times",
    mentions=("stopped_at",),
)
"""An update that clears ``started_at`` of an entry with a stop: the error names the field it sent."""


class TimeEntryService:
    """Creates, reads and changes time entries, enforcing tenancy, roles and plan gates."""

    def __init__(self, transactions: Transactions, clock: Clock, ids: IdFactory) -> None:
        self._transactions = transactions
        self._clock = clock
        self._ids = ids
        self._events = EventRecorder(clock, ids)

    def create_time_entry(
        self, caller: Caller, command: CreateTimeEntry, *, override: LockOverride | None = None
    ) -> TimeEntry:
        """Log time for the caller (or, for owners and admins, another member).

        Checks run in the documented order: field validation, existence in the caller's
        organization, the state of what the entry refers to, the caller's role, the plan.
        """
        draft = _Draft(
            project_id=command.project_id,
            task_id=command.task_id,
            entry_date=command.entry_date,
            duration_seconds=command.duration_seconds,
            duration=command.duration,
            billable=command.billable,
            note=command.note,
            started_at=command.started_at,
            stopped_at=command.stopped_at,
        )
        seconds, stopped_at = draft.validate(running=False)
        with self._transactions.write() as uow:
            project = _project(uow, caller, draft.project_id)
            user = caller.user if command.user_id is None else _user(uow, caller, command.user_id)
            _check_references(uow, caller, project, draft.task_id)
            on_behalf = user.id != caller.user_id
            if on_behalf:
                caller.require_manager("log time for other users")
            billable = project.billable_by_default if command.billable is None else command.billable
            _require_features(caller, billable=billable, task=draft.task_id is not None, on_behalf=on_behalf)
            now = self._clock.now()
            # Closed periods first, then the timesheet's row, as every entry write takes them: what
            # holds the periods (a period lock, a submission) takes them in the same order.
            overridden = guard_entry_write(uow, caller, now, None, [command.entry_date], override)
            if on_behalf:
                require_active(uow, caller, user.id)  # read again, as the guard read the caller
            check_timesheet_lock(uow, caller.org_id, user.id, command.entry_date)
            entry = TimeEntry(
                id=TimeEntryId(self._ids.new_id()),
                org_id=caller.org_id,
                user_id=user.id,
                project_id=project.id,
                task_id=draft.task_id,
                invoice_id=None,
                duration_seconds=seconds,
                billable=billable,
                note=command.note,
                entry_date=command.entry_date,
                started_at=draft.started_at,
                stopped_at=stopped_at,
                created_at=now,
                updated_at=now,
            )
            entry = attrs.evolve(entry, rate=rate_for_entry(uow, caller, entry, project))
            check_overlaps(uow, caller, entry, now)
            uow.entries.add(entry)
            self._events.entry(uow, caller, EventType.TIME_ENTRY_CREATED, None, entry, override=overridden)
        return entry

    def get_time_entry(self, caller: Caller, entry_id: TimeEntryId) -> TimeEntry:
        """One entry the caller may see: their own, or any of the org's for owners and admins."""
        with self._transactions.read() as uow:
            return _visible_entry(uow, caller, entry_id)

    def list_time_entries(self, caller: Caller, query: EntryQuery) -> EntryPage:
        """A page of the entries the caller may see, and the cursor of the next page.

        Members see their own entries; filtering by another user is :class:`Forbidden`. A page
        holds 1 to :data:`MAX_PAGE_SIZE` entries (``query.limit``), else :class:`ValidationFailed`.
        """
        errors = FieldErrors()
        if not 1 <= query.limit <= MAX_PAGE_SIZE:
            errors.add("limit", f"must be an integer from 1 to {MAX_PAGE_SIZE}")
        check_instant(query.updated_since, errors, "updated_since")
        errors.raise_if_any()
        query = visible_query(caller, query)
        with self._transactions.read() as uow:
            rows = list(uow.entries.list(caller.org_id, attrs.evolve(query, limit=query.limit + 1)))
        if len(rows) > query.limit:
            rows = rows[: query.limit]
            return EntryPage(entries=rows, next_cursor=EntryCursor.of(rows[-1]))
        return EntryPage(entries=rows, next_cursor=None)

    def update_time_entry(
        self,
        caller: Caller,
        entry_id: TimeEntryId,
        command: UpdateTimeEntry,
        *,
        if_match: IfMatch = None,
        override: LockOverride | None = None,
    ) -> TimeEntry:
        """Change some fields of an entry; the merged result is validated as a whole.

        Invoiced entries and entries whose old or new date is closed are locked
        (:class:`~hours_core.errors.EntryLocked`; owners may override a closed period). Plan gates
        apply to what the update sets. ``created_at`` never changes; ``updated_at`` does.
        ``if_match``: the version the caller read (:class:`~hours_core.errors.PreconditionFailed` if
        it is not the entry's).
        """
        if command.duration_seconds is not UNSET:
            command = attrs.evolve(command, duration=UNSET)
        with self._transactions.write() as uow:
            entry = _visible_entry(uow, caller, entry_id)
            check_if_match(entry, if_match)
            new_date = entry.entry_date if command.entry_date is UNSET else command.entry_date
            overridden = guard_entry_write(
                uow, caller, self._clock.now(), entry, [entry.entry_date, new_date], override
            )
            if entry.is_running:
                _check_running_update(command, self._clock.now())
            draft = _Draft.merge(entry, command)
            seconds, stopped_at = draft.validate(running=entry.is_running, changed=_sent_fields(command))
            project = _project(uow, caller, draft.project_id) if command.project_id is not UNSET else None
            if project is not None or command.task_id is not UNSET:
                project = project or _project(uow, caller, draft.project_id)
                _check_references(uow, caller, project, draft.task_id, kept=entry)
            _require_features(
                caller,
                billable=command.billable is True,
                task=command.task_id is not UNSET and command.task_id is not None,
                on_behalf=False,
            )
            check_timesheet_lock(uow, caller.org_id, entry.user_id, entry.entry_date, draft.entry_date)
            changed = attrs.evolve(
                entry,
                project_id=draft.project_id,
                task_id=draft.task_id,
                entry_date=draft.entry_date,
                duration_seconds=seconds,
                billable=entry.billable if draft.billable is None else draft.billable,
                note=draft.note,
                started_at=draft.started_at,
                stopped_at=stopped_at,
                updated_at=later(self._clock.now(), entry.updated_at),
            )
            if (changed.project_id, changed.entry_date) != (entry.project_id, entry.entry_date):
                project = project or _project(uow, caller, changed.project_id)
                changed = attrs.evolve(changed, rate=rate_for_entry(uow, caller, changed, project))
            check_overlaps(uow, caller, changed, self._clock.now(), before=entry)
            changed = _replace(uow, entry, changed, if_match)
            self._events.entry(uow, caller, EventType.TIME_ENTRY_UPDATED, entry, changed, override=overridden)
        return changed

    def delete_time_entry(
        self,
        caller: Caller,
        entry_id: TimeEntryId,
        *,
        if_match: IfMatch = None,
        override: LockOverride | None = None,
    ) -> TimeEntry:
        """Soft-delete an entry: it vanishes from reads and lists until restored (``if_match``: as
        for :meth:`update_time_entry`)."""
        with self._transactions.write() as uow:
            entry = _visible_entry(uow, caller, entry_id)
            check_if_match(entry, if_match)
            overridden = guard_entry_write(
                uow, caller, self._clock.now(), entry, [entry.entry_date], override
            )
            check_timesheet_lock(uow, caller.org_id, entry.user_id, entry.entry_date)
            deleted = entry.deleted(later(self._clock.now(), entry.updated_at))
            deleted = _replace(uow, entry, deleted, if_match)
            self._events.entry(uow, caller, EventType.TIME_ENTRY_DELETED, entry, deleted, override=overridden)
        return deleted

    def restore_time_entry(
        self,
        caller: Caller,
        entry_id: TimeEntryId,
        *,
        if_match: IfMatch = None,
        override: LockOverride | None = None,
    ) -> TimeEntry:
        """Undo a soft delete; restoring an entry that is not deleted changes nothing (``if_match``:
        as for :meth:`update_time_entry`, checked first). An ``override`` from a caller who is not
        an owner is :class:`~hours_core.errors.Forbidden` either way, as on every entry write."""
        with self._transactions.write() as uow:
            entry = _visible_entry(uow, caller, entry_id, include_deleted=True)
            check_if_match(entry, if_match)
            require_override_allowed(caller.user.role, override)
            if not entry.is_deleted:
                return entry
            if entry.released_ref is not None:
                # Taking back a source row writes an external_ref, as an import does: first, the
                # organization's imports end (their own first lock), so that an import in progress
                # cannot add a copy of the row between this restore's look and its write (PostgreSQL).
                uow.imports.hold(caller.org_id)
            overridden = guard_entry_write(
                uow, caller, self._clock.now(), entry, [entry.entry_date], override
            )
            check_timesheet_lock(uow, caller.org_id, entry.user_id, entry.entry_date)
            if entry.is_running:
                _require_restartable(uow, caller, entry)
                running = uow.entries.running_for_user(caller.org_id, entry.user_id)
                if running is not None:
                    raise TimerAlreadyRunning(str(running.id), restoring=True)
            self._free_source_row(uow, caller, entry)
            restored = entry.restored(later(self._clock.now(), entry.updated_at))
            check_overlaps(uow, caller, restored, self._clock.now(), before=entry)
            try:
                restored = _replace(uow, entry, restored, if_match)
            except StaleUpdate:
                now = uow.entries.get(caller.org_id, entry.id, include_deleted=True)
                if now is not None and not now.is_deleted:
                    return now  # restored meanwhile: as a restore of an entry that is not deleted
                raise
            self._events.entry(
                uow, caller, EventType.TIME_ENTRY_RESTORED, entry, restored, override=overridden
            )
        return restored

    def _free_source_row(self, uow: UnitOfWork, caller: Caller, entry: TimeEntry) -> None:
        """Make way for ``entry``'s restore to take back the source row its import's undo released
        (``released_ref``), so that importing the file again finds the entry a duplicate.

        Nobody holds it: nothing to do. A live entry holds it (the file was imported again after the
        undo): :class:`ExternalRefTaken`, since the row would count twice. A deleted entry holds it
        (imported again, then deleted): that entry gives it up as an undo would (``released_ref``,
        one version up, a ``time_entry.updated`` event), so each row stays held by one entry. Both
        rows are taken in id order, as every writer of several entries takes them.
        """
        ref = entry.released_ref
        if ref is None:
            return
        holder = uow.entries.holding_external_ref(caller.org_id, ref)
        if holder is None:
            return
        if not holder.is_deleted:
            raise ExternalRefTaken(str(holder.id) if _may_see(caller, holder) else None)
        both = {
            each.id: each for each in uow.entries.get_many(caller.org_id, [entry.id, holder.id], lock=True)
        }
        mine = both.get(entry.id)
        if mine is None or mine.updated_at != entry.updated_at:
            return  # changed meanwhile (restored, say): the restore's write answers as after that change
        holder = both.get(holder.id, holder)
        if holder.external_ref != ref:  # another copy's restore took it meanwhile: retry to see which
            raise StaleUpdate()
        if not holder.is_deleted:
            raise ExternalRefTaken(str(holder.id) if _may_see(caller, holder) else None)
        given_up = holder.source_row_given_up(later(self._clock.now(), holder.updated_at))
        given_up = uow.entries.update(given_up, expected_updated_at=holder.updated_at)
        self._events.entry(uow, caller, EventType.TIME_ENTRY_UPDATED, holder, given_up)

    def start_timer(
        self, caller: Caller, command: StartTimer, *, override: LockOverride | None = None
    ) -> TimeEntry:
        """Start a running entry for the caller; one runs at a time unless ``stop_running`` stops it."""
        errors = FieldErrors()
        now = self._clock.now()
        entry_date = command.entry_date or now.date()
        check_entry_date(entry_date, errors)
        check_note(command.note, errors)
        errors.raise_if_any()
        with self._transactions.write() as uow:
            project = _project(uow, caller, command.project_id)
            _check_references(uow, caller, project, command.task_id)
            billable = project.billable_by_default if command.billable is None else command.billable
            _require_features(caller, billable=billable, task=command.task_id is not None, on_behalf=False)
            overridden = guard_entry_write(uow, caller, now, None, [entry_date], override)
            check_timesheet_lock(uow, caller.org_id, caller.user_id, entry_date)
            # The user's row serializes the starts and stops of their timers (PostgreSQL runs
            # writers side by side): a start reads the timer that runs once the starts before it
            # committed, so stop_running stops that one instead of failing on it.
            uow.users.lock(caller.org_id, caller.user_id)
            running = uow.entries.running_for_user(caller.org_id, caller.user_id)
            if running is not None:
                if not command.stop_running:
                    raise TimerAlreadyRunning(str(running.id))
                now = _not_before_start(running, now, self._clock)
                stopping = guard_entry_write(uow, caller, now, running, [running.entry_date], override)
                stopped = _stopped_unless_deleted(uow, running, _stop(running, now, now))
                if stopped is not None:
                    self._events.entry(
                        uow, caller, EventType.TIMER_STOPPED, running, stopped, override=stopping
                    )
            entry = TimeEntry(
                id=TimeEntryId(self._ids.new_id()),
                org_id=caller.org_id,
                user_id=caller.user_id,
                project_id=project.id,
                task_id=command.task_id,
                invoice_id=None,
                duration_seconds=0,
                billable=billable,
                note=command.note,
                entry_date=entry_date,
                started_at=now,
                stopped_at=None,
                created_at=now,
                updated_at=now,
            )
            entry = attrs.evolve(entry, rate=rate_for_entry(uow, caller, entry, project))
            check_overlaps(uow, caller, entry, now)
            uow.entries.add(entry)
            self._events.entry(uow, caller, EventType.TIMER_STARTED, None, entry, override=overridden)
        return entry

    def current_timer(self, caller: Caller) -> TimeEntry:
        """The caller's running entry, or :class:`NotFound`."""
        with self._transactions.read() as uow:
            running = uow.entries.running_for_user(caller.org_id, caller.user_id)
        if running is None:
            raise NotFound("No timer is running.")
        return running

    def stop_timer(
        self, caller: Caller, stopped_at: datetime | None = None, *, override: LockOverride | None = None
    ) -> TimeEntry:
        """Stop the caller's running entry at ``stopped_at`` (default: now); its duration becomes fixed."""
        stopped_at = _utc_unless_none(stopped_at)
        errors = FieldErrors()
        check_instant(stopped_at, errors, "stopped_at")
        errors.raise_if_any()
        now = self._clock.now()
        with self._transactions.write() as uow:
            running = uow.entries.running_for_user(caller.org_id, caller.user_id)
            if running is None:
                raise NotFound("No timer is running.")
            # The locks in their order: the entry writes' key (the guard reads the closed days in
            # share mode), then the user's row, which serializes this user's starts and stops (a
            # start with stop_running that committed meanwhile started the timer to stop now).
            guard_entry_write(uow, caller, now, running, [running.entry_date], override)
            uow.users.lock(caller.org_id, caller.user_id)
            running = uow.entries.running_for_user(caller.org_id, caller.user_id)
            if running is None:
                raise NotFound("No timer is running.")
            now = _not_before_start(running, now, self._clock)
            overridden = guard_entry_write(uow, caller, now, running, [running.entry_date], override)
            stopped = _stopped_unless_deleted(uow, running, _stop(running, stopped_at or now, now))
            if stopped is None:
                raise NotFound("No timer is running.")
            self._events.entry(uow, caller, EventType.TIMER_STOPPED, running, stopped, override=overridden)
        return stopped


def visible_query(caller: Caller, query: EntryQuery) -> EntryQuery:
    """``query`` limited to what the caller may see: members their own entries (filtering by
    another user is :class:`Forbidden`), owners and admins the organization's."""
    if caller.user.role.manages_org:
        return query
    if query.user_id is not None and query.user_id != caller.user_id:
        raise Forbidden("Members see only their own time entries.")
    return attrs.evolve(query, user_id=caller.user_id)


_SPAN_EXCEEDED = FieldProblem(
    "the duration must not exceed the time between started_at and stopped_at",
    mentions=("started_at", "stopped_at"),
)


def _sent_fields(command: UpdateTimeEntry) -> frozenset[str]:
    """The names of the fields ``command`` sets."""
    return frozenset(
        field.name for field in attrs.fields(UpdateTimeEntry) if getattr(command, field.name) is not UNSET
    )


def _check_running_update(command: UpdateTimeEntry, now: datetime) -> None:
    """A running timer's stop and duration belong to :meth:`TimeEntryService.stop_timer`, not to an
    update; and its start stays in the past (a timer that starts in the future could never be stopped:
    a stop is never in the future, nor before the start)."""
    errors = FieldErrors()
    advice = FieldProblem("the entry is a running timer", hint=Hint.STOP_THE_TIMER)
    if command.stopped_at is not UNSET:
        errors.add("stopped_at", advice)
    if command.duration_seconds is not UNSET:
        errors.add("duration_seconds", advice)
    if command.duration is not UNSET:
        errors.add("duration", advice)
    if command.started_at is None:
        errors.add("started_at", "a running timer needs its start; stop or delete it instead")
    elif (
        isinstance(command.started_at, datetime)
        and check_instant(command.started_at, errors, "started_at")
        and command.started_at > now
    ):
        errors.add("started_at", "must not be in the future: the entry is a running timer")
    errors.raise_if_any()


def _not_before_start(running: TimeEntry, now: datetime, clock: Clock) -> datetime:
    """The time to stop ``running`` at when no stop time was sent: ``now``, read when the request
    began, unless the timer started after it. That is a timer another request started while this
    one waited for the store (or a clock of another host a little ahead): then the clock again, and
    never before the timer's start. Before, such a stop was 422 on a ``stopped_at`` nobody sent."""
    assert running.started_at is not None
    if running.started_at <= now:
        return now
    return max(clock.now(), running.started_at)


def _stop(running: TimeEntry, at: datetime, now: datetime) -> TimeEntry:
    assert running.started_at is not None
    if at > now:
        raise ValidationFailed.one("stopped_at", "must not be in the future")
    if at < running.started_at:
        raise ValidationFailed.one("stopped_at", "must not be earlier than the timer's start")
    if _span(running.started_at, at) > MAX_ENTRY_SECONDS:
        raise ValidationFailed.one(
            "stopped_at",
            FieldProblem(
                "the timer would exceed 24 hours; send a stopped_at within 24 hours of its start",
                mentions=("stopped_at",),
            ),
        )
    return running.stopped(at, later(now, running.updated_at))


def _replace(uow: UnitOfWork, entry: TimeEntry, changed: TimeEntry, if_match: IfMatch) -> TimeEntry:
    """Store ``changed`` over ``entry`` (as read in this unit of work); return it as stored, one
    version up. A writer that got in between is :class:`~hours_core.errors.PreconditionFailed` when
    the caller sent ``if_match`` (:func:`~hours_core.services.versions.raced`), else ``StaleUpdate``;
    but when it deleted a live ``entry``, the write is :class:`NotFound`, and when it invoiced
    ``entry`` (an invoice this write waited for, on PostgreSQL), the write is the invoiced entry's
    :class:`~hours_core.errors.EntryLocked`, as each is on the stores that run one writer at a
    time, where the write reads the entry after that writer."""

    def reread() -> TimeEntry | None:
        return uow.entries.get(entry.org_id, entry.id, include_deleted=True)

    try:
        with raced(if_match, reread):
            return uow.entries.update(changed, expected_updated_at=entry.updated_at)
    except (StaleUpdate, PreconditionFailed) as error:
        now = reread()
        if not entry.is_deleted and (now is None or now.is_deleted):
            raise NotFound.of("time entry") from None
        if isinstance(error, StaleUpdate) and now is not None and now.is_locked:
            raise invoiced_lock(now) from None  # a stale If-Match stays 412, as checked before the lock
        raise


def _stopped_unless_deleted(uow: UnitOfWork, running: TimeEntry, stopped: TimeEntry) -> TimeEntry | None:
    """Store ``stopped`` over the ``running`` timer; ``None`` when another request deleted the timer
    meanwhile (PostgreSQL runs writers side by side): no timer runs then, as a stop that read it
    after the delete would have found. Another change of it stays ``StaleUpdate``."""
    try:
        return uow.entries.update(stopped, expected_updated_at=running.updated_at)
    except StaleUpdate:
        now = uow.entries.get(running.org_id, running.id, include_deleted=True)
        if now is None or now.is_deleted:
            return None
        raise


def _require_features(caller: Caller, *, billable: bool, task: bool, on_behalf: bool) -> None:
    if billable:
        caller.require_feature(Feature.BILLABLE_TIME)
    if task:
        caller.require_feature(Feature.TASKS)
    if on_behalf:
        caller.require_feature(Feature.TEAM_ENTRIES)


def _visible_entry(
    uow: UnitOfWork, caller: Caller, entry_id: TimeEntryId, *, include_deleted: bool = False
) -> TimeEntry:
    entry = uow.entries.get(caller.org_id, entry_id, include_deleted=include_deleted)
    if entry is None or not _may_see(caller, entry):
        raise NotFound.of("time entry")
    return entry


def _may_see(caller: Caller, entry: TimeEntry) -> bool:
    return entry.user_id == caller.user_id or caller.user.role.manages_org


def _span(started_at: datetime, stopped_at: datetime) -> int:
    return int((stopped_at - started_at).total_seconds())


def _project(uow: UnitOfWork, caller: Caller, project_id: ProjectId) -> Project:
    project = uow.projects.get(caller.org_id, project_id)
    if project is None:
        raise NotFound.of("project")
    return project


def _user(uow: UnitOfWork, caller: Caller, user_id: UserId) -> User:
    """The user to log time for: of the org (else 404), and active (else 422: like an archived project,
    a deactivated user keeps their entries but takes no new ones)."""
    user = uow.users.get(caller.org_id, user_id)
    if user is None:
        raise NotFound.of("user")
    if not user.is_active:
        raise ValidationFailed.one("user_id", DEACTIVATED_USER)
    return user


def _require_restartable(uow: UnitOfWork, caller: Caller, entry: TimeEntry) -> None:
    """A deleted running entry restored runs again: not for a deactivated user (409), whose timer
    the deactivation stopped or would have stopped (their own restore is already 401)."""
    user = uow.users.get(caller.org_id, entry.user_id)
    if user is None or not user.is_active:
        raise Conflict(
            f"Time entry {entry.id} is a running timer of a deactivated user: restored, it would run "
            "again. Reactivate the user first."
        )


def _check_references(
    uow: UnitOfWork,
    caller: Caller,
    project: Project,
    task_id: TaskId | None,
    *,
    kept: TimeEntry | None = None,
) -> None:
    """The task exists in the org (else 404), belongs to the project, and neither is archived (else 422).

    ``kept``: the entry an update changes. The project and the task it already has are not new to
    it, so their being archived refuses nothing (sending them back, or clearing the task, leaves
    the entry where it was: an archived project keeps its entries)."""
    errors = FieldErrors()
    if task_id is not None:
        task = uow.tasks.get(caller.org_id, task_id)
        if task is None:
            raise NotFound.of("task")
        if task.project_id != project.id:
            errors.add("task_id", "the task belongs to another project")
        elif task.archived and (kept is None or kept.task_id != task.id):
            errors.add("task_id", "the task is archived and takes no new entries")
    if project.archived and (kept is None or kept.project_id != project.id):
        errors.add("project_id", "the project is archived and takes no new entries")
    errors.raise_if_any()
