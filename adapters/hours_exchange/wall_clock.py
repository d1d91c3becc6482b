"""Dates, times of day and durations as time trackers write them, and wall-clock time to UTC.

Each parser returns its value or raises :class:`CellProblem` with a stable code and a message
that says what was expected; the CSV readers turn that into a :class:`~hours_exchange.RowError`
naming the column. The rules are documented in docs/export-import.md ("Readers").
"""

from __future__ import annotations

import functools
import re
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from fractions import Fraction
from zoneinfo import ZoneInfo

import attrs

from hours_core.errors import ValidationFailed
from hours_core.timezones import timezone_problem
from hours_core.validation import FIRST_ENTRY_DATE, LAST_ENTRY_DATE
from hours_exchange.import_rows import DateFormat

__all__ = [
    "CellProblem",
    "ClockTime",
    "Duration",
    "Span",
    "SpanProblem",
    "check_duration_length",
    "check_start_date",
    "date_order_evidence",
    "parse_boolean",
    "parse_date",
    "parse_duration_text",
    "parse_time_of_day",
    "place_span",
    "time_zone",
]

MAX_ENTRY_SECONDS = 86_400


class CellProblem(ValueError):
    """A cell that does not read: ``code`` (stable snake_case) and a message for a person."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        self.message = message
        super().__init__(message)


def time_zone(name: str | tzinfo) -> tzinfo:
    """The IANA time zone ``name`` (``Europe/Berlin``), or :class:`ValidationFailed` naming ``timezone``.

    The names are those an organization's zone may have (``PATCH /org``), checked by the same rule
    (:func:`hours_core.timezones.timezone_problem`), with the same message: ``localtime`` (the
    server's own zone) and ``Factory`` are not zones, and a name in the wrong case is told its
    spelling. A ``tzinfo`` (the CLI's and the tests') is taken as it is.
    """
    if isinstance(name, tzinfo):
        return name
    problem = timezone_problem(name)
    if problem is not None:
        raise ValidationFailed.one("timezone", problem)
    return ZoneInfo(name)  # a listed name is a zone file zoneinfo reads


# Dates ------------------------------------------------------------------------------------------

_YEAR_FIRST = re.compile(r"(\d{4})([-/.])(\d{1,2})\2(\d{1,2})", re.ASCII)
_YEAR_LAST = re.compile(r"(\d{1,2})([-/.])(\d{1,2})\2(\d{4})", re.ASCII)


def date_order_evidence(text: str) -> DateFormat | bool | None:
    """What one date cell says about the file's date order.

    ``DateFormat.DMY`` or ``MDY`` when the cell settles it (it is a real date in that order only:
    ``25/04/2024``, ``04/25/2024``), ``None`` when it reads as two days (``09/04/2025``), ``False``
    when the order does not matter for it (ISO ``2025-04-09``; ``03/03/2025``, the same day either
    way; empty; or not a date at all, such as ``32/05/2024`` or ``31/02/2024``: a number above 12
    there is a typo, not a day, and the row reader reports it).
    """
    match = _YEAR_LAST.fullmatch(text.strip())
    if match is None:
        return False
    first, second, year = int(match[1]), int(match[3]), int(match[4])
    month_first, day_first = _is_date(year, first, second), _is_date(year, second, first)
    if month_first and day_first:
        return None if first != second else False  # 03/03/2025 is the same day either way
    if month_first:
        return DateFormat.MDY
    if day_first:
        return DateFormat.DMY
    return False  # not a date either way; the row reader says so


def _is_date(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


@functools.lru_cache(maxsize=4096)
def parse_date(text: str, order: DateFormat | None) -> date:
    """``YYYY-MM-DD`` (also with ``/`` or ``.``), or ``MM/DD/YYYY`` / ``DD/MM/YYYY`` per ``order``.

    The separators ``/``, ``-`` and ``.`` are accepted in either form; two-digit years are not.
    """
    value = text.strip()
    if match := _YEAR_FIRST.fullmatch(value):
        year, month, day = int(match[1]), int(match[3]), int(match[4])
    elif match := _YEAR_LAST.fullmatch(value):
        first, second, year = int(match[1]), int(match[3]), int(match[4])
        if order is None:
            # Reached only when no cell of the file needed the order, i.e. this one cannot be read.
            order = DateFormat.DMY if first > 12 else DateFormat.MDY
        month, day = (first, second) if order is DateFormat.MDY else (second, first)
    else:
        raise CellProblem(
            "invalid_date", f"must be a date like 2025-04-09, 04/09/2025 or 09/04/2025, got {value!r}"
        )
    try:
        return date(year, month, day)
    except ValueError:
        shape = {None: "YYYY-MM-DD", DateFormat.MDY: "MM/DD/YYYY", DateFormat.DMY: "DD/MM/YYYY"}
        expected = "YYYY-MM-DD" if _YEAR_FIRST.fullmatch(value) else shape[order]
        raise CellProblem("invalid_date", f"is not a real date when read as {expected}: {value!r}") from None


# Spaces -----------------------------------------------------------------------------------------

_SPACES = str.maketrans(
    dict.fromkeys(["\u00a0", "\u1680", *map(chr, range(0x2000, 0x200B)), "\u202f", "\u205f", "\u3000"], " ")
)
"""Unicode's space separators, made an ASCII space: CLDR 42 (Java 20, ICU 72, today's browsers)
writes ``10:23\u202fAM`` with a narrow no-break space, and a spreadsheet may save ``1.5\u00a0h``.
The patterns below read ASCII only (their digits must be ASCII), so the cell's spaces are made
ASCII first."""


# Times of day -----------------------------------------------------------------------------------

_TIME = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\s*([AaPp])\.?\s*[Mm]\.?)?", re.ASCII)


@attrs.frozen
class ClockTime:
    """A time of day and whether the text had seconds (``10:23 AM`` has not)."""

    value: time
    has_seconds: bool


@functools.lru_cache(maxsize=4096)
def parse_time_of_day(text: str) -> ClockTime:
    """``HH:MM:SS``, ``HH:MM``, or 12-hour ``hh:mm:ss AM`` / ``hh:mm PM`` (``12 AM`` is midnight),
    with any Unicode space before AM/PM (``10:23\u202fAM``)."""
    value = text.strip().translate(_SPACES)
    match = _TIME.fullmatch(value)
    if match is None:
        raise CellProblem(
            "invalid_time", f"must be a time of day like 14:05, 14:05:30 or 2:05:30 PM, got {value!r}"
        )
    hour, minute = int(match[1]), int(match[2])
    second = int(match[3]) if match[3] is not None else 0
    half = match[4]
    if half is not None:
        if not 1 <= hour <= 12:
            raise CellProblem("invalid_time", f"has an hour outside 1..12 before AM/PM: {value!r}")
        hour = hour % 12 + (12 if half in "Pp" else 0)
    if hour > 23 or minute > 59 or second > 59:
        raise CellProblem("invalid_time", f"is not a time of day: {value!r}")
    return ClockTime(time(hour, minute, second), has_seconds=match[3] is not None)


# Durations --------------------------------------------------------------------------------------

_MAX_DURATION_CHARS = 32
"""The longest duration cell read (``1.234.567,891234 h`` has 18 characters). A longer one is not
converted: Python refuses to read an integer of over 4,300 digits, and none would be a duration."""

_CLOCK = re.compile(r"(\d{1,6}):(\d{2})(?::(\d{2}))?(?:\s*(h|min))?", re.ASCII)
_DECIMAL = re.compile(r"(\d{1,3}(?:([.,])\d{3})*|\d+)(?:([.,])(\d+))?(?:\s*h)?", re.ASCII)


@attrs.frozen
class Duration:
    """A duration cell: whole seconds, and the smallest step the text can express (its precision)."""

    seconds: int
    precision: int


@functools.lru_cache(maxsize=4096)
def parse_duration_text(text: str) -> Duration:
    """A duration as trackers export it, to whole seconds (rounded half to even).

    ``H:MM:SS`` (Toggl, Clockify; hours may exceed 24), ``H:MM`` (Clockify's compact format,
    Harvest's hh:mm setting), ``M:SS min`` (Toggl's classic format under an hour), and decimal
    hours with a dot or a comma (``1.85``, ``20,0``, ``1.5 h``). A value with both a dot and a
    comma reads the last one as the decimal mark (``1.234,5``). Any Unicode space may come before
    the unit (``1.5\u00a0h``).
    """
    value = text.strip().translate(_SPACES)
    if len(value) > _MAX_DURATION_CHARS:
        raise CellProblem(
            "invalid_duration",
            f"is {len(value):,} characters long; a duration like 1:30:00, 1:30 or 1.5 (hours) has at most "
            f"{_MAX_DURATION_CHARS}",
        )
    if match := _CLOCK.fullmatch(value):
        first, second, third, unit = int(match[1]), int(match[2]), match[3], match[4]
        if second > 59 or (third is not None and int(third) > 59):
            raise CellProblem("invalid_duration", f"has minutes or seconds above 59: {value!r}")
        if unit == "min":
            if third is not None:
                raise CellProblem("invalid_duration", f"must be M:SS before 'min', got {value!r}")
            return Duration(first * 60 + second, precision=1)
        if third is None:
            return Duration(first * 3600 + second * 60, precision=60)
        return Duration(first * 3600 + second * 60 + int(third), precision=1)
    if match := _DECIMAL.fullmatch(value):
        return _decimal_hours(value, match)
    raise CellProblem(
        "invalid_duration", f"must be a duration like 1:30:00, 1:30 or 1.5 (hours), got {value!r}"
    )


def _decimal_hours(value: str, match: re.Match[str]) -> Duration:
    whole, grouping, mark, fraction = match[1], match[2], match[3], match[4] or ""
    if grouping is not None and mark is None and whole.count(grouping) == 1:
        # "1.234" or "1,234": one separator is a decimal mark, not thousands grouping.
        whole, fraction = whole.split(grouping)
    elif grouping is not None and mark == grouping:
        raise CellProblem("invalid_duration", f"has the decimal mark more than once: {value!r}")
    hours = int(whole.replace(".", "").replace(",", "")) + Fraction(int(fraction or "0"), 10 ** len(fraction))
    seconds = hours * 3600
    return Duration(round(seconds), precision=max(1, round(Fraction(3600, 10 ** len(fraction)))))


# Booleans ---------------------------------------------------------------------------------------

_TRUE = frozenset({"yes", "true", "1", "y"})
_FALSE = frozenset({"no", "false", "0", "n"})


def parse_boolean(text: str) -> bool | None:
    """``Yes``/``No`` (also true/false, 1/0, any case); ``None`` when empty."""
    value = text.strip().casefold()
    if not value:
        return None
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise CellProblem("invalid_boolean", f"must be Yes or No, got {text.strip()!r}")


# Wall-clock time to UTC -------------------------------------------------------------------------


def _instants(local: datetime, zone: tzinfo) -> list[datetime]:
    """The UTC instants a wall-clock time names in ``zone``: none (a gap), one, or two (a fold).

    Raises ``OverflowError`` for a time so near the ends of Python's calendar (year 1, year 9999)
    that its UTC instant is not a date Python can hold.
    """
    aware = local.replace(tzinfo=zone)
    first = aware.astimezone(UTC)
    second = aware.replace(fold=1).astimezone(UTC)
    if first == second:
        return [first]
    # The two folds differ in a fold (both real) or in a gap (neither real): the round trip tells.
    return sorted(
        instant for instant in (first, second) if instant.astimezone(zone).replace(tzinfo=None) == local
    )


@attrs.frozen
class Span:
    """Where an entry lies in UTC, and its duration."""

    started_at: datetime
    stopped_at: datetime
    duration_seconds: int


class SpanProblem(CellProblem):
    """A problem of the start and end together; ``column`` says which cell to blame."""

    def __init__(self, column: str, code: str, message: str) -> None:
        self.column = column
        super().__init__(code, message)


def place_span(
    start: datetime,
    end: datetime | None,
    duration: Duration | None,
    zone: tzinfo,
    *,
    minute_precision: bool,
) -> Span:
    """The UTC span of an entry from its wall-clock start and end in ``zone``, and its duration.

    - ``end`` ``None``: the entry ends ``duration`` after its start.
    - ``duration`` ``None``: the duration is the span.
    - A wall-clock time the clocks skipped (a DST gap) is refused: the file cannot have come from
      a tracker set to ``zone``, so the time zone is probably wrong.
    - A wall-clock time that happened twice (a DST fold) is the occurrence that makes the span
      agree with the duration; when nothing tells them apart, the first one.
    - A duration longer than the span is refused, except by less than the precision of the times
      (a minute when they have no seconds): then the end moves to start + duration.

    The start's date must be an entry date (2000-01-01 to 2100-12-31, ``invalid_date`` on
    ``start_date``, the import use case's message), checked before any arithmetic in the zone; an
    end so far away that its instant is beyond Python's calendar is ``invalid_date`` on
    ``end_date``. So the function raises nothing but :class:`SpanProblem`, for any wall-clock
    times and zone.
    """
    check_start_date(start.date())
    starts = _instants(start, zone)
    if not starts:
        raise SpanProblem("start", "nonexistent_local_time", _gap_message(start, zone))
    if end is None:
        if duration is None:
            raise SpanProblem("duration", "missing_value", "is empty, and the row has no end time")
        _check_length(duration.seconds, "duration")
        first = starts[0]
        return Span(first, first + timedelta(seconds=duration.seconds), duration.seconds)
    try:
        ends = _instants(end, zone)
    except OverflowError:
        raise SpanProblem(
            "end_date",
            "invalid_date",
            f"is {end.date()}, too far from the start date {start.date()} for one entry (at most 24:00:00)",
        ) from None
    if not ends:
        raise SpanProblem("end", "nonexistent_local_time", _gap_message(end, zone))
    pairs = [(s, e) for s in starts for e in ends if e >= s]
    if not pairs:
        raise SpanProblem("end", "end_before_start", f"is earlier than the start ({end} < {start})")
    wanted = duration.seconds if duration is not None else None

    def distance(pair: tuple[datetime, datetime]) -> tuple[float, datetime, datetime]:
        span = (pair[1] - pair[0]).total_seconds()
        return (abs(span - wanted) if wanted is not None else span, pair[0], pair[1])

    started_at, stopped_at = min(pairs, key=distance)
    span_seconds = int((stopped_at - started_at).total_seconds())
    seconds = span_seconds if duration is None else duration.seconds
    _check_length(seconds, "duration" if duration is not None else "end")
    if seconds > span_seconds:
        tolerance = max(60 if minute_precision else 1, duration.precision if duration else 1)
        if seconds - span_seconds >= tolerance:
            raise SpanProblem(
                "duration",
                "duration_exceeds_span",
                f"is {seconds} s, longer than the {span_seconds} s from the start to the end",
            )
        stopped_at = started_at + timedelta(seconds=seconds)
    return Span(started_at, stopped_at, seconds)


def check_start_date(day: date) -> None:
    """Refuse a start date that is no entry date (2000-01-01 to 2100-12-31): :class:`SpanProblem`
    ``invalid_date`` on ``start_date``, with the import use case's message. Readers check it before
    any arithmetic on the start (the zone's, or a day added for a span that crosses midnight),
    which would overflow near the ends of the calendar."""
    if not FIRST_ENTRY_DATE <= day <= LAST_ENTRY_DATE:
        raise SpanProblem(
            "start_date",
            "invalid_date",
            f"the date must be from {FIRST_ENTRY_DATE} to {LAST_ENTRY_DATE}, got {day}",
        )


def _check_length(seconds: int, column: str) -> None:
    if seconds > MAX_ENTRY_SECONDS:
        hours, rest = divmod(seconds, 3600)
        raise SpanProblem(
            column,
            "duration_over_24_hours",
            f"is {hours}:{rest // 60:02d}:{rest % 60:02d}; one entry in hours is at most 24:00:00 "
            "(split it in the source, or import it as several entries)",
        )


def check_duration_length(seconds: int) -> None:
    """Refuse a duration over 24 hours (:class:`CellProblem` ``duration_over_24_hours``)."""
    _check_length(seconds, "duration")


def _gap_message(local: datetime, zone: tzinfo) -> str:
    return (
        f"{local:%Y-%m-%d %H:%M:%S} does not exist in {zone}: the clocks skipped it (daylight saving "
        "time); check that the time zone is the one the file was exported in"
    )
