"""Batches of time entry writes: creates, updates, deletes and restores applied in order.

A batch runs in one write transaction (the outermost scope, or the one it joins: an idempotent
request's). Each operation is the single-entry use case of :class:`TimeEntryService`, so every
rule (fields, tenancy, roles, plans, locks, and whatever rule a use case gains) applies to each
operation, and each writes its own events.

- **All or nothing** (``atomic=True``): if any operation could not be read by its adapter, none
  runs and :class:`~hours_core.errors.BatchFailed` names every such operation. Otherwise they run
  in order, and the first failure stops the batch (later operations may depend on it) and raises
  :class:`BatchFailed` naming it; the transaction rolls back, so nothing is stored.
- **Each on its own** (``atomic=False``): every operation runs in a savepoint
  (:meth:`~hours_core.ports.UnitOfWork.savepoint`); a failure undoes that operation alone and is
  reported in its outcome, and the batch goes on.

Before the first operation runs, atomic or not, the batch takes the locks its operations will take
(:func:`hold_rows`: the organization's entry writes, then the timesheet rows of the users and days
it touches, then those users' rows where the overlap check locks them, then the entries it changes
by id), in the one order every writer takes them (docs/store.md, "The order of locks"); taken one
operation at a time, in the order of the operations, they made a batch and an invoice (or another
batch) of the same entries in another order wait for each other until PostgreSQL broke the
deadlock.

Either way an error of the store itself (:attr:`~hours_core.errors.HoursError.transient`: a busy
or unreachable database) stops the whole batch: nothing is stored and the error propagates; so
does a caller deactivated since the request was authenticated
(:class:`~hours_core.errors.Unauthenticated`: the request is 401, not one of its operations).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import attrs

from hours_core.entry_locks import LockOverride
from hours_core.errors import BatchFailed, HoursError, Unauthenticated, ValidationFailed
from hours_core.model import OverlapPolicy, TimeEntry, TimeEntryId, UserId
from hours_core.ports import UnitOfWork
from hours_core.services.caller import Caller
from hours_core.services.time_entries import CreateTimeEntry, TimeEntryService, UpdateTimeEntry
from hours_core.services.transactions import Transactions
from hours_core.services.versions import IfMatch

__all__ = [
    "MAX_BATCH_OPERATIONS",
    "Applied",
    "BatchOutcome",
    "BatchService",
    "CreateOperation",
    "DeleteOperation",
    "Failed",
    "Operation",
    "RestoreOperation",
    "UnreadableOperation",
    "UpdateOperation",
    "check_batch_size",
    "hold_rows",
]

MAX_BATCH_OPERATIONS = 500
"""The most operations one batch may hold."""


@attrs.frozen
class CreateOperation:
    """Log a new entry (:meth:`TimeEntryService.create_time_entry`)."""

    command: CreateTimeEntry
    override: LockOverride | None = None
    """An owner's override of a closed period (``overrideLock`` and ``reason`` in the body)."""


@attrs.frozen
class UpdateOperation:
    """Change an entry (:meth:`TimeEntryService.update_time_entry`)."""

    entry_id: TimeEntryId
    command: UpdateTimeEntry
    if_match: IfMatch = None
    override: LockOverride | None = None
    """An owner's override of a closed period (``overrideLock`` and ``reason`` in the body)."""


@attrs.frozen
class DeleteOperation:
    """Soft-delete an entry (:meth:`TimeEntryService.delete_time_entry`)."""

    entry_id: TimeEntryId
    if_match: IfMatch = None


@attrs.frozen
class RestoreOperation:
    """Undo an entry's soft delete (:meth:`TimeEntryService.restore_time_entry`)."""

    entry_id: TimeEntryId
    if_match: IfMatch = None


@attrs.frozen
class UnreadableOperation:
    """An operation its adapter could not read (a wrong field, an unknown kind): it fails with ``error``."""

    error: HoursError


Operation = CreateOperation | UpdateOperation | DeleteOperation | RestoreOperation | UnreadableOperation
"""One operation of a batch."""


@attrs.frozen
class Applied:
    """An operation that succeeded: its index, the operation, and the entry as it left it."""

    index: int
    operation: Operation
    entry: TimeEntry


@attrs.frozen
class Failed:
    """An operation that failed (and changed nothing): its index and its error."""

    index: int
    error: HoursError


BatchOutcome = Applied | Failed
"""What became of one operation."""


class BatchService:
    """Applies batches of time entry operations through :class:`TimeEntryService`."""

    def __init__(self, transactions: Transactions, entries: TimeEntryService) -> None:
        self._transactions = transactions
        self._entries = entries

    def run_batch(
        self, caller: Caller, operations: Sequence[Operation], *, atomic: bool
    ) -> list[BatchOutcome]:
        """Apply ``operations`` in order; return one outcome per operation, in order.

        ``atomic``: all or nothing (every outcome is :class:`Applied`, or :class:`BatchFailed` is
        raised); otherwise each operation succeeds or fails on its own. 1 to
        :data:`MAX_BATCH_OPERATIONS` operations, else :class:`ValidationFailed` on ``operations``.
        """
        check_batch_size(len(operations))
        if atomic:
            return self._all_or_nothing(caller, operations)
        return self._each_on_its_own(caller, operations)

    def _all_or_nothing(self, caller: Caller, operations: Sequence[Operation]) -> list[BatchOutcome]:
        unreadable = [
            (index, operation.error)
            for index, operation in enumerate(operations)
            if isinstance(operation, UnreadableOperation)
        ]
        if unreadable:
            raise BatchFailed(unreadable)
        outcomes: list[BatchOutcome] = []
        with self._transactions.write() as uow:
            hold_rows(uow, caller, operations)
            for index, operation in enumerate(operations):
                try:
                    entry = self._apply(caller, operation)
                except HoursError as error:
                    if error.transient or isinstance(error, Unauthenticated):
                        raise  # the store's, or the caller's: not this operation's
                    raise BatchFailed([(index, error)]) from error
                outcomes.append(Applied(index, operation, entry))
        return outcomes

    def _each_on_its_own(self, caller: Caller, operations: Sequence[Operation]) -> list[BatchOutcome]:
        outcomes: list[BatchOutcome] = []
        with self._transactions.write() as uow:
            hold_rows(uow, caller, operations)
            for index, operation in enumerate(operations):
                try:
                    with uow.savepoint():
                        entry = self._apply(caller, operation)
                except HoursError as error:
                    if error.transient or isinstance(error, Unauthenticated):
                        raise  # the store's, or the caller's: not this operation's
                    outcomes.append(Failed(index, error))
                    continue
                outcomes.append(Applied(index, operation, entry))
        return outcomes

    def _apply(self, caller: Caller, operation: Operation) -> TimeEntry:
        entries = self._entries
        match operation:
            case CreateOperation(command=command, override=override):
                return entries.create_time_entry(caller, command, override=override)
            case UpdateOperation(entry_id=entry_id, command=command, if_match=if_match, override=override):
                return entries.update_time_entry(
                    caller, entry_id, command, if_match=if_match, override=override
                )
            case DeleteOperation(entry_id=entry_id, if_match=if_match):
                return entries.delete_time_entry(caller, entry_id, if_match=if_match)
            case RestoreOperation(entry_id=entry_id, if_match=if_match):
                return entries.restore_time_entry(caller, entry_id, if_match=if_match)
            case UnreadableOperation(error=error):
                raise error


def hold_rows(uow: UnitOfWork, caller: Caller, operations: Sequence[Operation]) -> None:
    """Take the locks that ``operations`` will take, in the order every writer takes them
    (docs/store.md, "The order of locks"), before the first of them runs: the organization's entry
    writes (in share mode, as :func:`~hours_core.services.entry_guard.guard_entry_write` takes
    them), then the timesheet rows of each user and day the operations touch (by user, then day),
    then, unless the organization allows overlaps, those users' rows (by id: the overlap check's
    lock), and last the rows of the entries they change (by id). Before all of them, the
    organization's imports key if a restore will take back a source row an undo released.

    Each operation then takes its own locks again, already held. What the operations are about
    to do is read before they run, so an operation may still need a lock this did not foresee
    (an entry that another writer moved to another day meanwhile, an update of an entry the
    batch itself creates): it takes it then, as it always did. Where one writer runs at a time
    (SQLite, the in-memory store) nothing is locked, and this only reads.
    """
    changed = [operation.entry_id for operation in operations if isinstance(operation, _OF_AN_ENTRY)]
    entries = {
        entry.id: entry
        for entry in uow.entries.get_many(caller.org_id, changed)
        if entry.user_id == caller.user_id or caller.user.role.manages_org
    }
    restored = (entries.get(op.entry_id) for op in operations if isinstance(op, RestoreOperation))
    if any(entry is not None and entry.released_ref is not None for entry in restored):
        # A restore that takes back its source row waits for the organization's imports first
        # (TimeEntryService.restore_time_entry), before the entry writes an undo takes after it.
        uow.imports.hold(caller.org_id)
    uow.periods.list(caller.org_id)  # the entry writes, in share mode, before what they protect
    days: dict[UserId, set[date]] = {}
    for operation in operations:
        match operation:
            case CreateOperation(command=command):
                days.setdefault(command.user_id or caller.user_id, set()).add(command.entry_date)
            case UpdateOperation() | DeleteOperation() | RestoreOperation() if operation.entry_id in entries:
                entry = entries[operation.entry_id]
                touched = days.setdefault(entry.user_id, set())
                touched.add(entry.entry_date)
                if isinstance(operation, UpdateOperation) and isinstance(operation.command.entry_date, date):
                    touched.add(operation.command.entry_date)
    for user_id in sorted(days):
        for day in sorted(days[user_id]):
            uow.timesheets.covering(caller.org_id, user_id, day)
    if caller.org.overlap_policy is not OverlapPolicy.ALLOW:
        for user_id in sorted(days):
            uow.users.lock(caller.org_id, user_id)
    uow.entries.get_many(caller.org_id, entries, lock=True)


_OF_AN_ENTRY = (UpdateOperation, DeleteOperation, RestoreOperation)
"""The operations that change a stored entry."""


def check_batch_size(count: int) -> None:
    """:class:`ValidationFailed` on ``operations`` unless a batch of ``count`` operations may run."""
    if count == 0:
        raise ValidationFailed.one("operations", "must hold at least one operation")
    if count > MAX_BATCH_OPERATIONS:
        raise ValidationFailed.one(
            "operations", f"must hold at most {MAX_BATCH_OPERATIONS} operations, got {count}"
        )
