"""Rate use cases: owners and admins set, list, delete and reapply hourly rates (plan solo,
feature ``billable_rates``); and the one rule by which a time entry stores its rate.

Checks run in this order: field validation (every wrong field at once), the caller's role, the
plan, the existence of what the rate names in the caller's organization (404), its state (a
currency that is not the client's: 422), then conflicts (409). Role and plan come before existence
so that a member, or an organization without rates, cannot probe which ids exist.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import attrs

from hours_core.clock import later
from hours_core.entry_locks import ClosedDays, lock_reason
from hours_core.errors import FieldProblem, NotFound
from hours_core.events import EventType
from hours_core.model import (
    MAX_RATE_MINOR,
    Client,
    ClientId,
    Project,
    ProjectId,
    Rate,
    RateId,
    RateScope,
    StoredRate,
    TimeEntry,
    TimeEntryId,
    UserId,
)
from hours_core.money import currency_problem
from hours_core.plans import Feature, allows
from hours_core.ports import Clock, EntryCursor, EntryQuery, IdFactory, UnitOfWork
from hours_core.rates import RateBook, check_new_rate
from hours_core.reports import check_report_range
from hours_core.services.caller import Caller, allowed_after_existence
from hours_core.services.recording import EventRecorder
from hours_core.services.transactions import Transactions
from hours_core.timesheet_locks import TimesheetLocks
from hours_core.validation import FIRST_ENTRY_DATE, LAST_ENTRY_DATE, FieldErrors

__all__ = [
    "MAX_REAPPLY_CHANGES_LISTED",
    "CreateRate",
    "RateChange",
    "RateService",
    "ReapplyRates",
    "ReapplyResult",
    "rate_for_entry",
]

MAX_REAPPLY_CHANGES_LISTED = 1000
"""The most entries a reapply lists one by one; its counts cover every entry."""

_PAGE = 1000

_TARGETS = {
    RateScope.ORG: (),
    RateScope.CLIENT: ("client_id",),
    RateScope.PROJECT: ("project_id",),
    RateScope.USER: ("user_id",),
    RateScope.USER_PROJECT: ("user_id", "project_id"),
}
"""The ids each scope needs; it must leave the others out."""


@attrs.frozen
class CreateRate:
    """A new rate. ``currency`` may be left out where the scope has a client (it is the client's)."""

    scope: RateScope
    effective_from: date
    client_id: ClientId | None = None
    project_id: ProjectId | None = None
    user_id: UserId | None = None
    billable_rate_minor: int | None = None
    cost_rate_minor: int | None = None
    currency: str | None = None


@attrs.frozen
class ReapplyRates:
    """Re-resolve the stored rate of the entries dated ``date_from`` to ``date_to`` (inclusive);
    ``dry_run`` reports what would change and changes nothing."""

    date_from: date
    date_to: date
    dry_run: bool = False


@attrs.frozen
class RateChange:
    """One entry whose stored rate a reapply changed (or would change)."""

    entry_id: TimeEntryId
    before: StoredRate | None
    after: StoredRate | None


@attrs.frozen
class ReapplyResult:
    """What a reapply did: how many entries it examined, changed (or would), and left alone because
    they are locked (invoiced, on a closed day, or in a submitted or approved week of their user); the
    first :data:`MAX_REAPPLY_CHANGES_LISTED` changes one by one."""

    date_from: date
    date_to: date
    dry_run: bool
    examined: int
    changed: int
    skipped_locked: int
    changes: Sequence[RateChange]

    @property
    def truncated(self) -> bool:
        """Whether more entries changed than :attr:`changes` lists."""
        return self.changed > len(self.changes)


class RateService:
    """Hourly rates and their reapplication to stored entries."""

    def __init__(self, transactions: Transactions, clock: Clock, ids: IdFactory) -> None:
        self._transactions = transactions
        self._clock = clock
        self._ids = ids
        self._events = EventRecorder(clock, ids)

    def list_rates(self, caller: Caller) -> Sequence[Rate]:
        """The organization's rates, oldest first (owners and admins; plan solo)."""
        _require_rates(caller, "see rates")
        with self._transactions.read() as uow:
            return uow.rates.list(caller.org_id)

    def get_rate(self, caller: Caller, rate_id: RateId) -> Rate:
        """One rate of the organization (owners and admins; plan solo)."""
        self._require_rates_of(caller, rate_id, "see rates")
        with self._transactions.read() as uow:
            rate = uow.rates.get(caller.org_id, rate_id)
        if rate is None:
            raise NotFound.of("rate")
        return rate

    def create_rate(self, caller: Caller, command: CreateRate) -> Rate:
        """A new rate; what it names must be of the organization, its currency its client's."""
        _check_fields(command)
        _require_rates(caller, "set rates")
        with self._transactions.write() as uow:
            uow.orgs.lock(caller.org_id)  # one rate per target and day: creations of one org in turn
            client = _client_of(uow, caller, command)
            currency = command.currency
            if client is not None:
                if currency is None:
                    currency = client.currency
                elif currency != client.currency:
                    errors = FieldErrors()
                    errors.add("currency", f"must be the client's currency, {client.currency}")
                    errors.raise_if_any()
            assert currency is not None  # _check_fields: required where no client can give it
            rate = Rate(
                id=RateId(self._ids.new_id()),
                org_id=caller.org_id,
                scope=command.scope,
                client_id=command.client_id,
                project_id=command.project_id,
                user_id=command.user_id,
                billable_rate_minor=command.billable_rate_minor,
                cost_rate_minor=command.cost_rate_minor,
                currency=currency,
                effective_from=command.effective_from,
                created_at=self._clock.now(),
            )
            check_new_rate(rate, uow.rates.same_start(caller.org_id, rate))
            uow.rates.add(rate)
            self._events.rate(uow, caller, EventType.RATE_CREATED, rate)
        return rate

    def delete_rate(self, caller: Caller, rate_id: RateId) -> Rate:
        """Delete a rate for good. Entries that stored it keep it (reapply to re-resolve them)."""
        self._require_rates_of(caller, rate_id, "delete rates")
        with self._transactions.write() as uow:
            rate = uow.rates.get(caller.org_id, rate_id)
            if rate is None or not uow.rates.delete(caller.org_id, rate_id):
                raise NotFound.of("rate")
            self._events.rate(uow, caller, EventType.RATE_DELETED, rate)
        return rate

    def _require_rates_of(self, caller: Caller, rate_id: RateId, action: str) -> None:
        """The role and plan of :func:`_require_rates`, after the rate exists (404 first)."""

        def look_up() -> None:
            with self._transactions.read() as uow:
                if uow.rates.get(caller.org_id, rate_id) is None:
                    raise NotFound.of("rate")

        allowed_after_existence(lambda: _require_rates(caller, action), look_up)

    def reapply_rates(self, caller: Caller, command: ReapplyRates) -> ReapplyResult:
        """Re-resolve the stored rate of every entry in the range that is not deleted or locked
        (invoiced, dated on a closed day, or in a submitted or approved week of their user: those it
        would change count as ``skipped_locked``)."""
        errors = FieldErrors()
        check_report_range(command.date_from, command.date_to, errors)
        errors.raise_if_any()
        _require_rates(caller, "reapply rates")
        examined = changed = skipped = 0
        changes: list[RateChange] = []
        with self._transactions.write() as uow:
            book = RateBook(uow.rates.list(caller.org_id))
            projects = {project.id: project for project in uow.projects.list(caller.org_id)}
            week_locks = TimesheetLocks(uow, caller.org_id)
            now = self._clock.now()
            closed = ClosedDays.read(uow.periods, caller.org, now)
            to_rerate: list[TimeEntry] = []
            for entry in _entries_in(uow, caller, command.date_from, command.date_to):
                examined += 1
                if book.stored_for(entry, projects[entry.project_id]) != entry.rate:
                    to_rerate.append(entry)
            if not command.dry_run:
                to_rerate = _as_locked(uow, caller, command, to_rerate)
            for entry in to_rerate:
                project = projects.get(entry.project_id) or uow.projects.get(caller.org_id, entry.project_id)
                assert project is not None  # an entry's project is never deleted
                after = book.stored_for(entry, project)
                if after == entry.rate:
                    continue
                if (
                    lock_reason(entry, closed) is not None
                    or week_locks.holding(entry.user_id, entry.entry_date) is not None
                ):
                    skipped += 1
                    continue
                changed += 1
                if len(changes) < MAX_REAPPLY_CHANGES_LISTED:
                    changes.append(RateChange(entry.id, entry.rate, after))
                if not command.dry_run:
                    updated = attrs.evolve(entry, rate=after, updated_at=later(now, entry.updated_at))
                    uow.entries.update(updated, expected_updated_at=entry.updated_at)
                    self._events.entry(uow, caller, EventType.TIME_ENTRY_UPDATED, entry, updated)
        return ReapplyResult(
            date_from=command.date_from,
            date_to=command.date_to,
            dry_run=command.dry_run,
            examined=examined,
            changed=changed,
            skipped_locked=skipped,
            changes=changes,
        )


def rate_for_entry(uow: UnitOfWork, caller: Caller, entry: TimeEntry, project: Project) -> StoredRate | None:
    """The rate ``entry`` (on ``project``) stores when it is created, or its project, user or date
    changes: the resolved rate's snapshot, ``None`` when no rate applies.

    On a plan without ``billable_rates`` no rate is read or resolved: the entry keeps the rate it
    stored (``entry.rate``; a new entry has none), even when its project or date changes, so that
    a downgrade never loses a stored rate and an upgrade finds it again (``POST /rates/reapply``
    re-resolves it then; docs/reports.md, "Storage")."""
    if not allows(caller.org.plan, Feature.BILLABLE_RATES):
        return entry.rate
    rates = uow.rates.matching(
        caller.org_id,
        user_id=entry.user_id,
        project_id=entry.project_id,
        client_id=project.client_id,
        on=entry.entry_date,
    )
    return RateBook(rates).stored_for(entry, project) if rates else None


def _as_locked(
    uow: UnitOfWork, caller: Caller, command: ReapplyRates, entries: list[TimeEntry]
) -> list[TimeEntry]:
    """``entries`` as they are once their rows are locked (in id order, as every writer of several
    entries takes them), in the order they were read, leaving out those deleted or moved out of the
    range since: on PostgreSQL another write may have committed between the reapply's read and its
    lock (a note edited, the entry deleted, invoiced or moved), and writing the entry as it was read
    would fail the whole reapply (``stale_update``) or undo that write. The reapply re-rates each
    entry as it is now; on SQLite and in memory, where one writer runs at a time, nothing changed."""
    ids = [entry.id for entry in entries]
    locked = {entry.id: entry for entry in uow.entries.get_many(caller.org_id, ids, lock=True)}
    current = []
    for entry in entries:
        now = locked.get(entry.id)
        if now is None or now.deleted_at is not None:
            continue
        if not command.date_from <= now.entry_date <= command.date_to:
            continue
        current.append(now)
    return current


def _entries_in(uow: UnitOfWork, caller: Caller, date_from: date, date_to: date) -> list[TimeEntry]:
    """Every entry of the organization dated in the range, deleted ones left out, in list order."""
    found: list[TimeEntry] = []
    after: EntryCursor | None = None
    while True:
        query = EntryQuery(date_from=date_from, date_to=date_to, limit=_PAGE, after=after)
        page = uow.entries.list(caller.org_id, query)
        found.extend(page)
        if len(page) < _PAGE:
            return found
        after = EntryCursor.of(page[-1])


def _require_rates(caller: Caller, action: str) -> None:
    caller.require_manager(action)
    caller.require_feature(Feature.BILLABLE_RATES)


def _check_fields(command: CreateRate) -> None:
    errors = FieldErrors()
    needed = _TARGETS[command.scope]
    for field in ("client_id", "project_id", "user_id"):
        given = getattr(command, field) is not None
        if field in needed and not given:
            errors.add(field, f"is required for a rate of scope {command.scope.value}")
        elif field not in needed and given:
            errors.add(field, f"must be left out for a rate of scope {command.scope.value}")
    for field in ("billable_rate_minor", "cost_rate_minor"):
        value = getattr(command, field)
        if value is not None and not 0 <= value <= MAX_RATE_MINOR:
            errors.add(field, f"must be from 0 to {MAX_RATE_MINOR} (minor units per hour)")
    if command.billable_rate_minor is None and command.cost_rate_minor is None:
        errors.add(
            "billable_rate_minor",
            FieldProblem(
                "a rate needs billable_rate_minor, cost_rate_minor or both",
                mentions=("billable_rate_minor", "cost_rate_minor"),
            ),
        )
    if command.currency is not None:
        problem = currency_problem(command.currency)
        if problem is not None:
            errors.add("currency", problem)
    elif command.scope not in (RateScope.CLIENT, RateScope.PROJECT, RateScope.USER_PROJECT):
        errors.add("currency", f"is required for a rate of scope {command.scope.value}")
    if not FIRST_ENTRY_DATE <= command.effective_from <= LAST_ENTRY_DATE:
        errors.add("effective_from", f"must be a date from {FIRST_ENTRY_DATE} to {LAST_ENTRY_DATE}")
    errors.raise_if_any()


def _client_of(uow: UnitOfWork, caller: Caller, command: CreateRate) -> Client | None:
    """The client whose currency the rate must be in, checking that what it names exists (404)."""
    client_id = command.client_id
    if command.project_id is not None:
        project = uow.projects.get(caller.org_id, command.project_id)
        if project is None:
            raise NotFound.of("project")
        client_id = project.client_id
    if command.user_id is not None and uow.users.get(caller.org_id, command.user_id) is None:
        raise NotFound.of("user")
    if client_id is None:
        if command.currency is None:  # a project without a client cannot give a currency
            errors = FieldErrors()
            errors.add("currency", "is required: the project has no client whose currency the rate takes")
            errors.raise_if_any()
        return None
    client = uow.clients.get(caller.org_id, client_id)
    if client is None:
        raise NotFound.of("client")
    return client
