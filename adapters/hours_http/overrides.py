"""``overrideLock`` and ``reason``: an owner's override of a closed period, from a body or a query."""

from __future__ import annotations

from typing import Annotated

from litestar.params import QueryParameter

from hours_core.entry_locks import LockOverride, lock_override
from hours_core.periods import MAX_LOCK_REASON_LENGTH
from hours_http.wire import ABSENT, ONE_LINE_TEXT

__all__ = ["OverrideLockQuery", "OverrideReasonQuery", "override_of", "override_of_query"]

OverrideLockQuery = Annotated[
    bool | None,
    QueryParameter(
        name="overrideLock",
        description="Owners only: `true` writes through a closed period (never an invoice); needs `reason`.",
    ),
]
OverrideReasonQuery = Annotated[
    str | None,
    QueryParameter(
        description=(
            "Why the owner overrides the closed period (with `overrideLock=true`): 1 to 500 characters, "
            "not blank, one line (no control characters, line separators or bidirectional controls)."
        ),
        # Documented as the body's `reason` is; hours_core.periods.reason_problem is the check (422),
        # with the body's messages ("must not be blank"), which Litestar's own bounds would replace.
        schema_extra={"minLength": 1, "maxLength": MAX_LOCK_REASON_LENGTH, "pattern": ONE_LINE_TEXT},
    ),
]


def override_of(body: object | None) -> LockOverride | None:
    """The override a decoded body asks for (its ``overrideLock`` and ``reason``), or ``None``."""
    flag = getattr(body, "overrideLock", None)
    reason = getattr(body, "reason", None)
    return lock_override(None if flag is ABSENT else flag, None if reason is ABSENT else reason)


def override_of_query(override_lock: bool | None, reason: str | None) -> LockOverride | None:
    """The override the query parameters ``overrideLock`` and ``reason`` ask for, or ``None``."""
    return lock_override(override_lock, reason)
