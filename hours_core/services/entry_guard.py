"""The lock check of every write of a time entry, in one call (:func:`guard_entry_write`)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from hours_core.entry_locks import ClosedDays, LockOverride, check_entry_write
from hours_core.errors import Unauthenticated, ValidationFailed
from hours_core.model import TimeEntry, UserId
from hours_core.ports import UnitOfWork
from hours_core.services.caller import Caller

__all__ = ["DEACTIVATED_USER", "guard_entry_write", "require_active"]


def guard_entry_write(
    uow: UnitOfWork,
    caller: Caller,
    now: datetime,
    entry: TimeEntry | None,
    days: Iterable[date],
    override: LockOverride | None,
) -> str | None:
    """Refuse the caller's write of ``entry`` (``None``: a new one) touching ``days`` if a lock holds
    (:func:`~hours_core.entry_locks.check_entry_write`); the override's reason if one was used.

    Reading the closed days of ``days`` holds the organization's entry writes
    (``PeriodRepository.holding`` in a write unit of work), which a period lock, a timesheet
    submission and a deactivation wait for and then hold until they commit. So the caller is read
    again after it (:func:`require_active`): a caller deactivated since the request was
    authenticated writes nothing (401), whichever process deactivated them.
    """
    touched = tuple(days)
    closed = ClosedDays.read(uow.periods, caller.org, now, days=touched)
    require_active(uow, caller, caller.user_id)
    return check_entry_write(closed, caller.user.role, entry, touched, override)


DEACTIVATED_USER = "the user is deactivated and takes no new entries"
"""The field message for an entry written for a deactivated user (``user_id``)."""


def require_active(uow: UnitOfWork, caller: Caller, user_id: UserId) -> None:
    """Refuse an entry write for ``user_id`` if the user is deactivated now. Read once the write
    holds the organization's entry writes (:func:`guard_entry_write`), so what this reads is what a
    deactivation in progress left: a caller deactivated since the request was authenticated acts no
    more (:class:`~hours_core.errors.Unauthenticated`, as their next request would be); another user
    takes no new entries (:class:`~hours_core.errors.ValidationFailed` on ``user_id``)."""
    user = uow.users.get(caller.org_id, user_id)
    if user is not None and user.is_active:
        return
    if user_id == caller.user_id:
        raise Unauthenticated(token_sent=True)
    raise ValidationFailed.one("user_id", DEACTIVATED_USER)
