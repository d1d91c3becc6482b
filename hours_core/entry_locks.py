"""Why an entry cannot change: the one question every reader of an entry may ask before offering an edit.

An entry is locked when it is invoiced (:attr:`~hours_core.model.TimeEntry.is_locked`), or when a
submitted or approved timesheet of its user holds its date (:mod:`hours_core.timesheet_locks`; the
caller passes the timesheets it read, since this function reads nothing). The use cases refuse
changes with :class:`~hours_core.errors.EntryLocked`. Closed periods (issue 15) will add a reason
here, computed from the organization's closing date, and every screen that asks :func:`lock_reason`
shows it without a change of its own.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

from hours_core.model import TimeEntry
from hours_core.timesheets import Timesheet

__all__ = ["LockReason", "lock_reason"]


class LockReason(enum.StrEnum):
    """Why an entry is read-only."""

    INVOICED = "invoiced"
    """The entry is on an invoice."""
    SUBMITTED = "submitted"
    """The entry's week is in a submitted timesheet of its user."""
    APPROVED = "approved"
    """The entry's week is in an approved timesheet of its user."""


def lock_reason(entry: TimeEntry, timesheets: Iterable[Timesheet] = ()) -> LockReason | None:
    """Why ``entry`` cannot change, or ``None`` if it can; ``timesheets`` are timesheets the caller
    read (any user's, any week: those of the entry's user that hold its date and lock count)."""
    if entry.is_locked:
        return LockReason.INVOICED
    for timesheet in timesheets:
        if (
            timesheet.user_id == entry.user_id
            and timesheet.org_id == entry.org_id
            and timesheet.holds(entry.entry_date)
            and timesheet.status.locks_entries
        ):
            return LockReason(timesheet.status.value)
    return None
