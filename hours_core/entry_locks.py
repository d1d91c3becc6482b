"""Why an entry cannot change: the one question every reader of an entry may ask before offering an edit.

Today an entry is locked when it is invoiced (:attr:`~hours_core.model.TimeEntry.is_locked`; the
use cases refuse changes with :class:`~hours_core.errors.EntryLocked`). Closed periods (issue 15)
will add a reason here, :attr:`LockReason.CLOSED_PERIOD`, computed from the organization's
closing date, and every screen that asks :func:`lock_reason` shows it without a change of its own.
"""

from __future__ import annotations

import enum

from hours_core.model import TimeEntry

__all__ = ["LockReason", "lock_reason"]


class LockReason(enum.StrEnum):
    """Why an entry is read-only."""

    INVOICED = "invoiced"
    """The entry is on an invoice."""


def lock_reason(entry: TimeEntry) -> LockReason | None:
    """Why ``entry`` cannot change, or ``None`` if it can."""
    if entry.is_locked:
        return LockReason.INVOICED
    return None
