"""Field rules shared by the use cases, and a collector that reports every wrong field at once."""

from __future__ import annotations

from datetime import date

from hours_core.duration import DurationError, parse_duration
from hours_core.errors import FieldProblem, ValidationFailed
from hours_core.model import MAX_ENTRY_SECONDS, MAX_NOTE_LENGTH, control_character_problem

__all__ = [
    "FIRST_ENTRY_DATE",
    "LAST_ENTRY_DATE",
    "FieldErrors",
    "check_entry_date",
    "check_note",
    "resolve_duration",
]

FIRST_ENTRY_DATE = date(2000, 1, 1)
LAST_ENTRY_DATE = date(2100, 12, 31)

_ALLOWED_CONTROLS = "\t\n\r"


class FieldErrors:
    """Collects per-field messages; :meth:`raise_if_any` raises one :class:`ValidationFailed`."""

    def __init__(self) -> None:
        self._fields: dict[str, str | FieldProblem] = {}

    def add(self, field: str, message: str | FieldProblem) -> None:
        """Record ``message`` for ``field`` (its core name); the first message for a field wins."""
        self._fields.setdefault(field, message)

    def __contains__(self, field: str) -> bool:
        return field in self._fields

    def __bool__(self) -> bool:
        return bool(self._fields)

    def raise_if_any(self) -> None:
        """Raise the collected errors, if there are any."""
        if self._fields:
            raise ValidationFailed(self._fields)


def check_entry_date(value: date, errors: FieldErrors, field: str = "entry_date") -> None:
    """Entry dates lie between 2000-01-01 and 2100-12-31."""
    if not FIRST_ENTRY_DATE <= value <= LAST_ENTRY_DATE:
        errors.add(field, f"must be a date from {FIRST_ENTRY_DATE} to {LAST_ENTRY_DATE}")


def check_note(value: str | None, errors: FieldErrors, field: str = "note") -> None:
    """Notes are at most 5,000 code points, with no control characters but tab, LF and CR."""
    if value is None:
        return
    if len(value) > MAX_NOTE_LENGTH:
        errors.add(field, f"must be at most {MAX_NOTE_LENGTH} characters (got {len(value)})")
        return
    problem = control_character_problem(value, allowed=_ALLOWED_CONTROLS)
    if problem is not None:
        errors.add(field, problem)


def resolve_duration(
    duration_seconds: int | None, duration: str | None, errors: FieldErrors, *, required: bool = True
) -> int | None:
    """The entry's duration from the pair ``duration_seconds`` / ``duration``.

    ``duration_seconds`` wins when both are given (``duration`` is then ignored, even when it is
    malformed). Either must lie in 0..86400: one entry belongs to one day.
    """
    if duration_seconds is not None:
        if not 0 <= duration_seconds <= MAX_ENTRY_SECONDS:
            errors.add("duration_seconds", f"must be between 0 and {MAX_ENTRY_SECONDS} (24 hours)")
            return None
        return duration_seconds
    if duration is not None:
        try:
            seconds = parse_duration(duration)
        except DurationError as error:
            errors.add("duration", error.message)
            return None
        if seconds > MAX_ENTRY_SECONDS:
            errors.add("duration", f"must be at most 24h ({MAX_ENTRY_SECONDS} seconds); one entry is one day")
            return None
        return seconds
    if required:
        errors.add(
            "duration",
            FieldProblem(
                "send duration_seconds (an integer) or duration (a string such as 1h30m)",
                mentions=("duration_seconds", "duration"),
            ),
        )
    return None
