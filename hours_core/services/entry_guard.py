"""The lock check of every write of a time entry, in one call (:func:`guard_entry_write`)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from hours_core.entry_locks import ClosedDays, LockOverride, check_entry_write
from hours_core.model import TimeEntry
from hours_core.ports import UnitOfWork
from hours_core.services.caller import Caller

__all__ = ["guard_entry_write"]


def guard_entry_write(
    uow: UnitOfWork,
    caller: Caller,
    now: datetime,
    entry: TimeEntry | None,
    days: Iterable[date],
    override: LockOverride | None,
) -> str | None:
    """Refuse the caller's write of ``entry`` (``None``: a new one) touching ``days`` if a lock holds
    (:func:`~hours_core.entry_locks.check_entry_write`); the override's reason if one was used."""
    closed = ClosedDays.read(uow.periods, caller.org, now)
    return check_entry_write(closed, caller.user.role, entry, days, override)
