"""Timesheet use cases: create a user's week, submit it, approve, reject or reopen it.

Creating, submitting and approving need the ``approvals`` feature (agency). Reading, rejecting and
reopening work on every plan: a submitted or approved week stays locked after a downgrade (a payroll
relies on it), so it must stay possible to see it and to open it again, as closed periods are
unlocked and invoices voided on every plan. Checks run in this order: field rules (422), the plan
(402, where it applies), the timesheet or user exists and the caller may see it (404: members see
their own only), the role (403), the timesheet's status (409 ``invalid_transition``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

import attrs

from hours_core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from hours_core.events import EventType, Subject, SubjectType, changes_between
from hours_core.model import UserId, WeekStart
from hours_core.plans import Feature, allows
from hours_core.ports import Clock, EntryCursor, EntryQuery, IdFactory, UnitOfWork
from hours_core.services.caller import Caller
from hours_core.services.recording import EventRecorder
from hours_core.services.transactions import Transactions
from hours_core.timesheets import (
    WEEK,
    Timesheet,
    TimesheetExists,
    TimesheetId,
    TimesheetPosition,
    TimesheetQuery,
    first_day_of_week,
    reason_problem,
)
from hours_core.validation import FOREIGN_CURSOR, FieldErrors, check_entry_date

__all__ = ["CreateTimesheet", "TimesheetPage", "TimesheetService", "TimesheetTotals", "TimesheetView"]

_PAGE = 1_000
"""Entries read at a time when a timesheet's totals are counted."""


@attrs.frozen
class CreateTimesheet:
    """A user's week: ``user_id=None`` is the caller; ``week_start`` the week's first day."""

    week_start: date
    user_id: UserId | None = None


@attrs.frozen
class TimesheetTotals:
    """The time of a timesheet's week: the seconds of its user's entries (a running timer's so far)
    and how many there are, deleted entries left out."""

    duration_seconds: int
    entry_count: int


@attrs.frozen
class TimesheetView:
    """A timesheet and its totals, as they are now."""

    timesheet: Timesheet
    totals: TimesheetTotals


@attrs.frozen
class TimesheetPage:
    """A page of timesheets, and the id to list the next one after (``None``: the last page)."""

    timesheets: tuple[TimesheetView, ...]
    next: TimesheetId | None


class TimesheetService:
    """Timesheets and their approval; the lock they put on entries is :mod:`hours_core.timesheet_locks`."""

    def __init__(self, transactions: Transactions, clock: Clock, ids: IdFactory) -> None:
        self._transactions = transactions
        self._clock = clock
        self._ids = ids
        self._events = EventRecorder(clock, ids)

    def create_timesheet(self, caller: Caller, command: CreateTimesheet) -> TimesheetView:
        """A draft timesheet of the week that starts on ``week_start`` (the first day of a week by the
        organization's ``week_start``), for the caller or (owners and admins) another user.

        One timesheet per user and week: :class:`~hours_core.timesheets.TimesheetExists` names the one
        that exists (also one of a week that overlaps this one, after a change of the week start).
        """
        _check_week_start(command.week_start, caller.org.week_start)
        caller.require_feature(Feature.APPROVALS)
        with self._transactions.write() as uow:
            user_id = caller.user_id
            if command.user_id is not None and command.user_id != caller.user_id:
                user = uow.users.get(caller.org_id, command.user_id)
                if user is None:
                    raise NotFound.of("user")
                caller.require_manager("create timesheets for other users")
                user_id = user.id
            last_day = command.week_start + WEEK - timedelta(days=1)
            overlapping = uow.timesheets.list(
                caller.org_id, TimesheetQuery(user_id=user_id, date_from=command.week_start, date_to=last_day)
            )
            if overlapping:
                raise TimesheetExists(overlapping[0].id)
            now = self._clock.now()
            timesheet = Timesheet.new(
                TimesheetId(self._ids.new_id()), caller.org_id, user_id, command.week_start, now
            )
            uow.timesheets.add(timesheet)
            self._record(uow, caller, EventType.TIMESHEET_CREATED, None, timesheet)
            return self._view(uow, timesheet)

    def get_timesheet(self, caller: Caller, timesheet_id: TimesheetId) -> TimesheetView:
        """One timesheet the caller may see (members: their own) with its totals, on any plan."""
        with self._transactions.read() as uow:
            return self._view(uow, _visible(uow, caller, timesheet_id))

    def list_timesheets(
        self, caller: Caller, query: TimesheetQuery, *, after: TimesheetId | None = None, limit: int = 100
    ) -> TimesheetPage:
        """A page of the timesheets that match ``query``: at most ``limit``, newest week first (then by
        user), after the timesheet ``after`` (the ``next`` of the page before) if given. Members see
        their own (filtering by another user is :class:`~hours_core.errors.Forbidden`). An ``after``
        that is not a timesheet the caller sees is :class:`~hours_core.errors.ValidationFailed` on
        ``cursor``.

        Without the ``approvals`` feature the list answers an organization that has timesheets
        (from when it had the plan: their weeks may still be locked, and must be found to be
        opened again) and is :class:`~hours_core.errors.PlanRequired` for one that never had any:
        there the list is the missing feature's, as creating a timesheet is."""
        if query.date_from is not None and query.date_to is not None and query.date_from > query.date_to:
            raise ValidationFailed.one("to", "must not be earlier than from")
        query = attrs.evolve(query, user_id=_users_seen(caller, query.user_id))
        with self._transactions.read() as uow:
            if not allows(caller.org.plan, Feature.APPROVALS) and not uow.timesheets.list(
                caller.org_id, TimesheetQuery(limit=1)
            ):
                caller.require_feature(Feature.APPROVALS)
            if after is not None:
                start = uow.timesheets.get(caller.org_id, after)
                if start is None or not _sees(caller, start):
                    raise ValidationFailed.one("cursor", FOREIGN_CURSOR)
                query = attrs.evolve(query, after=TimesheetPosition.of(start))
            found = uow.timesheets.list(caller.org_id, attrs.evolve(query, limit=limit + 1))
            views = tuple(self._view(uow, timesheet) for timesheet in found[:limit])
        return TimesheetPage(views, views[-1].timesheet.id if len(found) > limit else None)

    def locking(
        self, caller: Caller, date_from: date, date_to: date, *, user_id: UserId | None = None
    ) -> Sequence[Timesheet]:
        """The submitted and approved timesheets whose week overlaps ``date_from`` to ``date_to``:
        the weeks in which their users' entries cannot change. Those of ``user_id``, or of every user
        whose entries the caller sees (members: their own; another ``user_id`` is
        :class:`~hours_core.errors.Forbidden`). What screens show before a write, as
        :meth:`~hours_core.services.PeriodService.locks` is for closed days; on any plan, since such a
        lock holds whatever the plan is now."""
        query = TimesheetQuery(user_id=_users_seen(caller, user_id), date_from=date_from, date_to=date_to)
        with self._transactions.read() as uow:
            return [each for each in uow.timesheets.list(caller.org_id, query) if each.status.locks_entries]

    def submit(self, caller: Caller, timesheet_id: TimesheetId) -> TimesheetView:
        """Submit the week for approval (from draft or rejected): its entries lock. A member submits
        their own; owners and admins anyone's. Refused while the user's timer runs in the week."""
        caller.require_feature(Feature.APPROVALS)
        with self._transactions.write() as uow:
            # A request that is refused anyway (an unknown or foreign id, a week already submitted)
            # is refused before it holds anyone's writes.
            _visible(uow, caller, timesheet_id).submitted(caller.user_id, self._clock.now())
            # Entry writes in flight finish first, new ones wait: one that checked this week before
            # the timesheet existed (it locked no row of it) cannot land after the submission.
            # Held before the timesheet's row is locked, in the order entry writes take them; then
            # everything is checked again on the locked row.
            uow.periods.hold(caller.org_id)
            timesheet = _visible(uow, caller, timesheet_id, lock=True)
            running = uow.entries.running_for_user(caller.org_id, timesheet.user_id)
            changed = timesheet.submitted(caller.user_id, self._clock.now())
            if running is not None and timesheet.holds(running.entry_date):
                raise Conflict(
                    f"A timer of this week is running (time entry {running.id}); stop it before submitting."
                )
            return self._change(uow, caller, EventType.TIMESHEET_SUBMITTED, timesheet, changed)

    def approve(self, caller: Caller, timesheet_id: TimesheetId) -> TimesheetView:
        """Approve a submitted timesheet (owners and admins): its entries stay locked."""
        caller.require_feature(Feature.APPROVALS)
        with self._transactions.write() as uow:
            timesheet = _visible(uow, caller, timesheet_id, lock=True)
            caller.require_manager("approve timesheets")
            changed = timesheet.approved(caller.user_id, self._clock.now())
            return self._change(uow, caller, EventType.TIMESHEET_APPROVED, timesheet, changed)

    def reject(self, caller: Caller, timesheet_id: TimesheetId, reason: str) -> TimesheetView:
        """Reject a submitted timesheet with ``reason`` (owners and admins, on any plan): its entries
        open again."""
        problem = reason_problem(reason)
        if problem is not None:
            raise ValidationFailed.one("reason", problem)
        with self._transactions.write() as uow:
            timesheet = _visible(uow, caller, timesheet_id, lock=True)
            caller.require_manager("reject timesheets")
            changed = timesheet.rejected(caller.user_id, self._clock.now(), reason)
            return self._change(uow, caller, EventType.TIMESHEET_REJECTED, timesheet, changed)

    def reopen(self, caller: Caller, timesheet_id: TimesheetId) -> TimesheetView:
        """Reopen a submitted or approved timesheet (owners and admins, on any plan): back to draft,
        entries open."""
        with self._transactions.write() as uow:
            timesheet = _visible(uow, caller, timesheet_id, lock=True)
            caller.require_manager("reopen timesheets")
            changed = timesheet.reopened(self._clock.now())
            return self._change(uow, caller, EventType.TIMESHEET_REOPENED, timesheet, changed)

    def _change(
        self, uow: UnitOfWork, caller: Caller, type_: EventType, old: Timesheet, new: Timesheet
    ) -> TimesheetView:
        uow.timesheets.update(new)
        self._record(uow, caller, type_, old, new)
        return self._view(uow, new)

    def _record(
        self, uow: UnitOfWork, caller: Caller, type_: EventType, old: Timesheet | None, new: Timesheet
    ) -> None:
        subject = Subject(SubjectType.TIMESHEET, str(new.id))
        changes = changes_between(old, new)
        self._events.record(uow, caller, type_, subject, changes, org_id=new.org_id, owner_id=new.user_id)

    def _view(self, uow: UnitOfWork, timesheet: Timesheet) -> TimesheetView:
        return TimesheetView(timesheet, _totals(uow, timesheet, self._clock.now()))


def _check_week_start(week_start: date, first: WeekStart) -> None:
    errors = FieldErrors()
    check_entry_date(week_start, errors, "week_start")
    if "week_start" not in errors and first_day_of_week(week_start, first) != week_start:
        errors.add(
            "week_start",
            f"must be the first day of a week: the organization's weeks start on {first.value.title()} "
            f"(see GET /org), and {week_start} is a {week_start.strftime('%A')}",
        )
    errors.raise_if_any()


def _visible(uow: UnitOfWork, caller: Caller, timesheet_id: TimesheetId, *, lock: bool = False) -> Timesheet:
    """The timesheet, if the caller may see it (their own, or any for owners and admins); else 404."""
    read = uow.timesheets.lock if lock else uow.timesheets.get
    timesheet = read(caller.org_id, timesheet_id)
    if timesheet is None or not _sees(caller, timesheet):
        raise NotFound.of("timesheet")
    return timesheet


def _users_seen(caller: Caller, user_id: UserId | None) -> UserId | None:
    """Whose timesheets a list for ``user_id`` (``None``: anyone's) may hold: members their own
    (another user is :class:`~hours_core.errors.Forbidden`), owners and admins anyone's."""
    if caller.user.role.manages_org:
        return user_id
    if user_id is not None and user_id != caller.user_id:
        raise Forbidden("Members see only their own timesheets.")
    return caller.user_id


def _sees(caller: Caller, timesheet: Timesheet) -> bool:
    """Whether the caller may see ``timesheet``: their own, or any for owners and admins."""
    return timesheet.user_id == caller.user_id or caller.user.role.manages_org


def _totals(uow: UnitOfWork, timesheet: Timesheet, now: datetime) -> TimesheetTotals:
    seconds = count = 0
    query = EntryQuery(
        user_id=timesheet.user_id, date_from=timesheet.week_start, date_to=timesheet.week_end, limit=_PAGE
    )
    while True:
        page = uow.entries.list(timesheet.org_id, query)
        seconds += sum(entry.elapsed_seconds(now) for entry in page)
        count += len(page)
        if len(page) < _PAGE:
            return TimesheetTotals(duration_seconds=seconds, entry_count=count)
        query = attrs.evolve(query, after=EntryCursor.of(page[-1]))
