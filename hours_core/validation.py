"""Field rules shared by the use cases, and a collector that reports every wrong field at once."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hours_core.duration import DurationError, parse_duration
from hours_core.errors import FieldProblem, ValidationFailed
from hours_core.model import MAX_ENTRY_SECONDS, MAX_NOTE_LENGTH, control_character_problem

__all__ = [
    "FIRST_ENTRY_DATE",
    "FIRST_INSTANT",
    "FOREIGN_CURSOR",
    "INSTANT_RANGE",
    "LAST_ENTRY_DATE",
    "LAST_INSTANT",
    "MISSING_DURATION",
    "FieldErrors",
    "check_entry_date",
    "check_instant",
    "check_note",
    "check_span_end",
    "in_utc",
    "instant_problem",
    "resolve_duration",
]

FIRST_ENTRY_DATE = date(2000, 1, 1)
LAST_ENTRY_DATE = date(2100, 12, 31)

FIRST_INSTANT = datetime(1970, 1, 1, tzinfo=UTC)
LAST_INSTANT = datetime(2199, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC)
"""Every instant a client sends (a start, a stop, an ``updatedSince``) lies in this range, inclusive.

It is wide enough for any entry date (2000 to 2100) in any offset, and narrow enough that an
instant in it plus a day (the longest entry) is still a date-time Python can hold: arithmetic on
a checked instant never overflows.
"""

FOREIGN_CURSOR = "is not a cursor this API returned; pass nextCursor as it is"
"""The message on ``cursor`` for a cursor that no list of this installation handed out (or one of
another list, another sort order or a row the caller no longer sees): every list says it alike."""

INSTANT_RANGE = "an instant from 1970-01-01T00:00:00Z to 2199-12-31T23:59:59.999999Z"
"""How messages state the range of instants."""

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


def instant_problem(value: datetime) -> str | None:
    """What is wrong with ``value`` as an instant, or ``None``: it must carry an offset and lie
    from :data:`FIRST_INSTANT` to :data:`LAST_INSTANT`.

    Total for any aware datetime, in any offset, even one that cannot be converted to UTC (year 1
    at +01:00, year 9999 at -01:00): the comparison never converts, so it never overflows.
    """
    if value.utcoffset() is None:
        return "must be a date-time with an offset"
    if not FIRST_INSTANT <= value <= LAST_INSTANT:
        return f"must be {INSTANT_RANGE}"
    return None


def in_utc(value: datetime) -> datetime:
    """``value`` converted to UTC when it has another offset (``+02:00``, a ``ZoneInfo``), as the
    entities store instants. A naive datetime, or one UTC cannot hold (year 1 at ``+01:00``), stays
    as it is, for :func:`instant_problem` to name. The commands of the core's use cases convert
    their instants with it, so a library caller may pass any aware datetime, as the HTTP API takes
    any offset."""
    if value.tzinfo is not UTC and value.utcoffset() is not None:
        try:
            return value.astimezone(UTC)
        except OverflowError:
            return value
    return value


def check_instant(value: datetime | None, errors: FieldErrors, field: str) -> bool:
    """Record the problem of the instant ``value`` under ``field``; whether it is fine (or absent)."""
    if value is None:
        return True
    problem = instant_problem(value)
    if problem is not None:
        errors.add(field, problem)
        return False
    return True


def check_span_end(started_at: datetime, seconds: int, errors: FieldErrors, field: str) -> datetime | None:
    """``started_at`` (a checked instant) plus ``seconds`` (at most a day), or ``None`` after recording
    under ``field`` that the end passes :data:`LAST_INSTANT`."""
    end = started_at + timedelta(seconds=seconds)
    if end > LAST_INSTANT:
        errors.add(field, f"the start plus the duration must end within {INSTANT_RANGE}")
        return None
    return end


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
        if type(duration_seconds) is not int:  # a library caller's 5400.0 or True (HTTP refuses them first)
            errors.add("duration_seconds", "must be a whole number of seconds (an integer)")
            return None
        if not 0 <= duration_seconds <= MAX_ENTRY_SECONDS:
            errors.add("duration_seconds", f"must be between 0 and {MAX_ENTRY_SECONDS} (24 hours)")
            return None
        return duration_seconds
    if duration is not None:
        if not isinstance(duration, str):
            errors.add("duration", "must be a string such as 1h30m, 1:30, 90m or 1.5h")
            return None
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
        errors.add("duration", MISSING_DURATION)
    return None


MISSING_DURATION = FieldProblem(
    "send duration_seconds (an integer) or duration (a string such as 1h30m)",
    mentions=("duration_seconds", "duration"),
)
"""The problem of ``duration`` when neither member of the pair is sent (:func:`resolve_duration`)."""
