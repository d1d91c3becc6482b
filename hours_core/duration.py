"""The duration grammar: ``1h30m``, ``1:30``, ``90m``, ``1.5h``, ``PT1H30M`` and friends.

One meaning per string, and an error wherever time trackers disagree (a bare ``90``, days,
``1,5h``). The grammar and its choices are documented in ``docs/duration.md``; in short::

    duration   = ows (unit-form | clock-form | iso-form | zero) ows
    unit-form  = [number H] [number M] [number S]     at least one part, in this order
    clock-form = H:MM or H:MM:SS                      minutes and seconds exactly two digits
    iso-form   = PT[nH][nM][nS]                       the time part of ISO 8601, no spaces
    zero       = a bare number whose value is 0

The first part is unbounded, later parts are below 60, only the last part may have a
fraction, and the exact value is rounded once to whole seconds, half to even.

How it reads: :func:`_scan` is the reference parser, a single pass over the maximal runs of
digits, letters and blanks (one C-level ``findall``), then a small hand-written state machine
that knows every rule and raises positioned errors. In front of it, a fast path (one anchored
regex for the common valid shapes, without backtracking blowups on 64 characters) answers most
valid input; whatever it does not accept, including every error, goes to :func:`_scan`. The
property tests check that the fast path never disagrees with the scanner.

Arithmetic stays in integers: a fraction ``a.b`` is ``(a * 10**len(b) + b) / 10**len(b)``,
rounded once, half to even; no float is involved.
"""

from __future__ import annotations

import re
import string
import unicodedata
from typing import ClassVar, Final

from hours_core.errors import HoursError

__all__ = [
    "MAX_DURATION_SECONDS",
    "MAX_DURATION_TEXT_LENGTH",
    "DurationError",
    "DurationOutOfRange",
    "DurationTooLong",
    "format_clock",
    "format_duration",
    "parse_duration",
]

MAX_DURATION_SECONDS: Final = 359_999_999
"""The largest duration, 99999:59:59 (``99999h59m59s``)."""

MAX_DURATION_TEXT_LENGTH: Final = 64
"""The longest text :func:`parse_duration` reads; longer text is refused before anything else."""


class DurationError(HoursError, ValueError):
    """A duration text that does not follow the grammar, or a value outside the range.

    ``code`` is stable (clients may branch on it), ``message`` is for a person and names the
    place and what was expected, ``position`` is the 0-based index into the text where the
    problem is, or ``None`` when it concerns the whole text (empty, out of range).
    """

    code: ClassVar[str] = "invalid_duration"
    default_message = "The duration is not valid; write e.g. 1h30m, 90m or 1:30."

    def __init__(self, message: str, position: int | None = None) -> None:
        self.position = position
        super().__init__(message)


class DurationTooLong(DurationError):
    """The text is longer than :data:`MAX_DURATION_TEXT_LENGTH` characters."""

    code = "duration_too_long"


class DurationOutOfRange(DurationError):
    """The value is negative or above :data:`MAX_DURATION_SECONDS` (never clamped)."""

    code = "duration_out_of_range"


_HOUR: Final = 3600
_MINUTE: Final = 60
_SECOND: Final = 1

_UNITS: Final[dict[str, int]] = {
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), _HOUR),
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), _MINUTE),
    **dict.fromkeys(("s", "sec", "secs", "second", "seconds"), _SECOND),
}
_ISO_UNITS: Final[dict[str, int]] = {"h": _HOUR, "m": _MINUTE, "s": _SECOND}
_UNIT_NAMES: Final[dict[int, str]] = {_HOUR: "hour", _MINUTE: "minute", _SECOND: "second"}
_NOT_ACCEPTED_UNITS: Final = frozenset(
    (
        "d",
        "day",
        "days",
        "w",
        "wk",
        "wks",
        "week",
        "weeks",
        "mo",
        "month",
        "months",
        "y",
        "yr",
        "year",
        "years",
    )
)

_ALLOWED_CHARACTERS: Final = frozenset(string.ascii_letters + string.digits + ".: \t")
_RUNS: Final = re.compile(r"[0-9]+|[A-Za-z]+|[ \t]+|[.:]").findall
"""Maximal runs of digits, of letters, of blanks, and single ``.`` or ``:``; covers every allowed text."""

_CHARACTER_HINTS: Final[dict[str, str]] = {
    ",": "use '.' for a fraction (1.5h, not 1,5h)",
    "-": "a duration cannot be negative or a range",
    "+": "write the parts one after the other without '+' (1h30m)",
    "_": "write digits without separators",
    "\n": "a duration is one line",
    "\r": "a duration is one line",
}


_NUMBER: Final = r"([0-9]++)(?:\.([0-9]++))?"
_FAST_MATCH: Final = re.compile(
    r"[ \t]*+(?:"
    rf"(?:{_NUMBER}[ \t]*+(?:hours|hour|hrs|hr|h)[ \t]*+)?"
    rf"(?:{_NUMBER}[ \t]*+(?:minutes|minute|mins|min|m)[ \t]*+)?"
    rf"(?:{_NUMBER}[ \t]*+(?:seconds|second|secs|sec|s))?"
    r"|([0-9]++):([0-5][0-9])(?::([0-5][0-9]))?"
    rf"|PT(?:{_NUMBER}H)?(?:{_NUMBER}M)?(?:{_NUMBER}S)?"
    r")[ \t]*+",
    re.IGNORECASE | re.ASCII,
).fullmatch
"""The common valid shapes. A unit is followed by a blank, a digit or the end, so it is always a
whole run of letters; which later parts are below 60 and where the fraction sits is checked by
:func:`_fast_parts`. Groups 1-6: unit form; 7-9: clock; 10-15: ISO form. Runs of digits and of
blanks are possessive (``*+``, ``++``): what follows them can never continue them, so giving
characters back could never help a match, and refusing to try keeps failures linear."""
_UNITS_LAST_GROUP: Final = 6
_CLOCK_LAST_GROUP: Final = 9


def parse_duration(text: str) -> int:
    """The whole seconds that ``text`` means, e.g. ``parse_duration("1h30m") == 5400``.

    Accepts units (``1h30m``, ``1 h 30 m``, ``90m``, ``1.5h``, ``2 hours 5 minutes``), clock
    times (``1:30``, ``0:45:30``), the time part of ISO 8601 (``PT1H30M``) and a bare zero.
    Letters are case-insensitive; leading and trailing spaces and tabs are ignored.

    Raises:
        DurationError: the text does not follow the grammar (code ``invalid_duration``); its
            subclasses :class:`DurationTooLong` (over 64 characters) and
            :class:`DurationOutOfRange` (above 99999:59:59 after rounding).
        TypeError: ``text`` is not a ``str``.
    """
    if not isinstance(text, str):
        raise TypeError(f"parse_duration() needs a str, not {type(text).__name__}")
    if len(text) > MAX_DURATION_TEXT_LENGTH:
        raise DurationTooLong(
            f"a duration has at most {MAX_DURATION_TEXT_LENGTH} characters; this one has {len(text)}, "
            f"so everything from character {MAX_DURATION_TEXT_LENGTH + 1} on is too much",
            MAX_DURATION_TEXT_LENGTH,
        )
    match = _FAST_MATCH(text)
    if match is not None and match.lastindex is not None:  # not blank, not "PT" alone
        last = match.lastindex
        seconds: int | None
        if last <= _UNITS_LAST_GROUP:
            seconds = _fast_parts(match.groups()[:_UNITS_LAST_GROUP])
        elif last <= _CLOCK_LAST_GROUP:
            hours, minutes, secs = match.group(7, 8, 9)
            seconds = int(hours) * _HOUR + int(minutes) * _MINUTE + (int(secs) if secs else 0)
        else:
            seconds = _fast_parts(match.groups()[_CLOCK_LAST_GROUP:])
        if seconds is not None and seconds <= MAX_DURATION_SECONDS:
            return seconds
    return _scan(text)


def _scan(text: str) -> int:
    """The reference parser: every rule, with a positioned error for every refusal.

    ``text`` is at most :data:`MAX_DURATION_TEXT_LENGTH` characters long.
    """
    if not _ALLOWED_CHARACTERS.issuperset(text):
        raise _invalid_character(text)
    runs: list[str] = _RUNS(text)
    first = 0
    end = len(runs)
    if end and runs[0].isspace():
        first = 1
    if end > first and runs[-1].isspace():
        end -= 1
    if first >= end:
        raise DurationError(
            "a duration is required, e.g. 1h30m, 90m or 1:30; the text is " + ("blank" if text else "empty")
        )
    head = runs[first]
    if head.isdigit() or head == ".":
        whole, fraction, k = _read_number(runs, first, end, iso=False)
        if k == end:
            seconds = _zero(runs, first, end, whole=whole, fraction=fraction)
        elif runs[k] == ":":
            seconds = _clock(runs, first, k, end, hours=whole, fraction=fraction)
        else:
            seconds = _parts(runs, first, k, end, whole=whole, fraction=fraction, iso=False)
    elif head.lower() == "pt":
        k = first + 1
        if k == end:
            raise DurationError(
                f"expected a number after 'PT' at character {_column(runs, k)}, e.g. PT1H30M",
                _position(runs, k),
            )
        whole, fraction, after = _read_number(runs, k, end, iso=True)
        seconds = _parts(runs, k, after, end, whole=whole, fraction=fraction, iso=True)
    else:
        raise _unexpected_start(runs, first)
    if seconds > MAX_DURATION_SECONDS:
        raise DurationOutOfRange(
            f"a duration must be at most 99999:59:59 ({MAX_DURATION_SECONDS} seconds); "
            f"'{_quote(runs, first, end)}' is {seconds} seconds"
        )
    return seconds


def format_duration(seconds: int) -> str:
    """The canonical text for ``seconds``: ``0s``, else the non-zero parts of h, m and s.

    ``format_duration(5400) == "1h30m"``, ``format_duration(90) == "1m30s"``,
    ``format_duration(86400) == "24h"``; ``parse_duration`` reads it back to ``seconds``.

    Raises:
        DurationError: ``seconds`` is not an ``int`` (a ``bool`` is not one here).
        DurationOutOfRange: ``seconds`` is negative or above :data:`MAX_DURATION_SECONDS`.
    """
    _check_seconds(seconds, "format_duration")
    if seconds == 0:
        return "0s"
    hours, rest = divmod(seconds, _HOUR)
    minutes, secs = divmod(rest, _MINUTE)
    text = f"{hours}h" if hours else ""
    if minutes:
        text += f"{minutes}m"
    if secs:
        text += f"{secs}s"
    return text


def format_clock(seconds: int) -> str:
    """The clock text for ``seconds``: ``H:MM`` when the seconds are zero, else ``H:MM:SS``.

    ``format_clock(5400) == "1:30"``, ``format_clock(5415) == "1:30:15"``,
    ``format_clock(0) == "0:00"``; ``parse_duration`` reads it back to ``seconds``.

    Raises:
        DurationError: ``seconds`` is not an ``int`` (a ``bool`` is not one here).
        DurationOutOfRange: ``seconds`` is negative or above :data:`MAX_DURATION_SECONDS`.
    """
    _check_seconds(seconds, "format_clock")
    hours, rest = divmod(seconds, _HOUR)
    minutes, secs = divmod(rest, _MINUTE)
    if secs:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{hours}:{minutes:02d}"


def _check_seconds(seconds: object, caller: str) -> None:
    if isinstance(seconds, bool) or not isinstance(seconds, int):
        raise DurationError(f"{caller}() needs an int number of seconds, not {type(seconds).__name__}")
    if not 0 <= seconds <= MAX_DURATION_SECONDS:
        raise DurationOutOfRange(
            f"{caller}() needs seconds between 0 and {MAX_DURATION_SECONDS} (99999:59:59), got {seconds}"
        )


# The scanner. ``runs`` are the maximal runs of the text; ``k`` indexes them. Positions are
# only computed on the error path, from the lengths of the runs before ``k``.


def _read_number(runs: list[str], k: int, end: int, *, iso: bool) -> tuple[int, str | None, int]:
    """The number at run ``k``: its whole part, its fraction digits (or None) and the next run."""
    run = runs[k]
    if run.isdigit():
        whole = int(run)
        k += 1
        if k == end or runs[k] != ".":
            return whole, None, k
    elif run == ".":
        whole = 0
    else:
        raise _expected_number(runs, k, iso=iso)
    k += 1  # past the "."
    if k == end or not runs[k].isdigit():
        found = f", found '{runs[k]}'" if k < end else ""
        raise DurationError(
            f"expected a digit after '.' at character {_column(runs, k)}{found}; write e.g. 1.5h or 0.5h",
            _position(runs, k),
        )
    fraction = runs[k]
    k += 1
    if k < end and runs[k] == ".":
        raise DurationError(
            f"unexpected second '.' at character {_column(runs, k)}; a number has at most one '.'",
            _position(runs, k),
        )
    return whole, fraction, k


def _parts(
    runs: list[str],
    number_k: int,
    k: int,
    end: int,
    *,
    whole: int,
    fraction: str | None,
    iso: bool,
) -> int:
    """A unit form (``1h 30m``) or an ISO form (``PT1H30M``) whose first number is already read."""
    units = _ISO_UNITS if iso else _UNITS
    first_k = number_k
    total = 0
    previous = 0
    while True:
        if not iso and k < end and runs[k].isspace():
            k += 1
        if k == end or not runs[k].isalpha():
            raise _missing_unit(runs, number_k, k, end, previous, iso=iso)
        unit_run = runs[k]
        unit = units.get(unit_run)
        if unit is None:
            unit = units.get(unit_run.lower())
            if unit is None:
                raise _unknown_unit(runs, k, previous, iso=iso)
        if previous:
            if unit >= previous:
                raise _out_of_order(runs, k, unit, previous)
            if whole >= 60:
                raise _not_below_sixty(
                    runs,
                    first_k=first_k,
                    number_k=number_k,
                    unit_k=k,
                    unit=unit,
                    previous=previous,
                    total=total,
                    whole=whole,
                    fraction=fraction,
                    iso=iso,
                )
        k += 1
        if not iso and k < end and runs[k].isspace():
            k += 1
        if fraction is not None:
            if k != end:
                raise _after_fraction(runs, number_k, k, iso=iso)
            return _round_half_even(total + whole * unit, int(fraction) * unit, 10 ** len(fraction))
        total += whole * unit
        if k == end:
            return total
        previous = unit
        number_k = k
        whole, fraction, k = _read_number(runs, k, end, iso=iso)


def _round_half_even(whole_seconds: int, fraction_numerator: int, scale: int) -> int:
    """``whole_seconds + fraction_numerator / scale`` rounded to an int, half to even."""
    carry, remainder = divmod(fraction_numerator, scale)
    seconds = whole_seconds + carry
    twice = 2 * remainder
    if twice > scale or (twice == scale and seconds & 1):
        seconds += 1
    return seconds


def _fast_parts(parts: tuple[str | None, ...]) -> int | None:
    """The seconds of matched unit or ISO parts, or None when a rule is broken (the scanner says which).

    ``parts`` is the match groups hours, hours fraction, minutes, minutes fraction, seconds, seconds fraction.
    """
    hours, hours_fraction, minutes, minutes_fraction, secs, secs_fraction = parts
    if hours is not None:
        seconds = int(hours) * _HOUR
        if hours_fraction is not None:
            if minutes is None and secs is None:
                return _round_half_even(seconds, int(hours_fraction) * _HOUR, 10 ** len(hours_fraction))
            return None
        if minutes is not None:
            value = int(minutes)
            if value >= 60:
                return None
            seconds += value * _MINUTE
            if minutes_fraction is not None:
                if secs is None:
                    return _round_half_even(
                        seconds, int(minutes_fraction) * _MINUTE, 10 ** len(minutes_fraction)
                    )
                return None
    elif minutes is not None:
        seconds = int(minutes) * _MINUTE
        if minutes_fraction is not None:
            if secs is None:
                return _round_half_even(seconds, int(minutes_fraction) * _MINUTE, 10 ** len(minutes_fraction))
            return None
    elif secs is not None:
        seconds = int(secs)
        if secs_fraction is not None:
            return _round_half_even(seconds, int(secs_fraction), 10 ** len(secs_fraction))
        return seconds
    else:
        return None
    if secs is not None:
        value = int(secs)
        if value >= 60:
            return None
        seconds += value
        if secs_fraction is not None:
            return _round_half_even(seconds, int(secs_fraction), 10 ** len(secs_fraction))
    return seconds


def _clock(
    runs: list[str], number_k: int, colon_k: int, end: int, *, hours: int, fraction: str | None
) -> int:
    """``H:MM`` or ``H:MM:SS``; ``colon_k`` is the first ``:``."""
    if fraction is not None:
        raise DurationError(
            f"a clock duration takes whole hours before ':'; '{_quote(runs, number_k, colon_k)}' "
            f"at character {_column(runs, number_k)} has a fraction (write e.g. 1:30 for 1.5 hours)",
            _position(runs, number_k),
        )
    seconds = hours * _HOUR
    seconds += _clock_field(runs, number_k, colon_k + 1, end, unit=_MINUTE, before=seconds)
    k = colon_k + 2
    if k == end:
        return seconds
    if runs[k] != ":":
        raise _after_clock(runs, number_k, k)
    seconds += _clock_field(runs, number_k, k + 1, end, unit=_SECOND, before=seconds)
    k += 2
    if k != end:
        raise _after_clock(runs, number_k, k)
    return seconds


def _clock_field(runs: list[str], number_k: int, k: int, end: int, *, unit: int, before: int) -> int:
    """The seconds of the two-digit minutes or seconds at run ``k``; ``before`` is the value so far."""
    name = _UNIT_NAMES[unit] + "s"
    run = runs[k] if k < end else ""
    if len(run) != 2 or not run.isdigit():
        found = f", found '{run}'" if run else ", found the end"
        written = _quote(runs, number_k, k)
        example = f"{written}0{run}" if len(run) == 1 and run.isdigit() else f"{written}05"
        raise DurationError(
            f"expected two digits for the {name} at character {_column(runs, k)}{found}; "
            f"write e.g. {example}",
            _position(runs, k),
        )
    value = int(run)
    if value >= 60:
        message = f"{name} must be below 60 in a clock duration ('{run}' at character {_column(runs, k)})"
        if before + value * unit <= MAX_DURATION_SECONDS:
            message += f"; write {format_clock(before + value * unit)}"
        raise DurationError(message, _position(runs, k))
    return value * unit


def _zero(runs: list[str], first: int, end: int, *, whole: int, fraction: str | None) -> int:
    """A bare number: zero is fine (``0``, ``0.0``), anything else lacks its unit."""
    if whole == 0 and (fraction is None or not fraction.strip("0")):
        return 0
    number = _quote(runs, first, end)
    if fraction is None and whole * _MINUTE <= MAX_DURATION_SECONDS:
        advice = f"write {number}m, {number}s or {format_clock(whole * _MINUTE)}"
    else:
        advice = f"write {number}h, {number}m or {number}s"
    raise DurationError(
        f"a bare number needs a unit: {advice} ('{number}' at character {_column(runs, first)} "
        "has none, and time trackers disagree on what it means)",
        _position(runs, first),
    )


# Error builders: each names the place (1-based "character N") and what was expected.


def _position(runs: list[str], k: int) -> int:
    return sum(map(len, runs[:k]))


def _column(runs: list[str], k: int) -> int:
    return _position(runs, k) + 1


def _quote(runs: list[str], start: int, stop: int) -> str:
    return "".join(runs[start:stop])


def _describe_character(character: str) -> str:
    if character.isprintable() and character.isascii():
        return f"'{character}'"
    name = unicodedata.name(character, "") or repr(character)
    return f"U+{ord(character):04X} ({name})"


def _invalid_character(text: str) -> DurationError:
    index, character = next((i, c) for i, c in enumerate(text) if c not in _ALLOWED_CHARACTERS)
    if character in _CHARACTER_HINTS:
        hint = _CHARACTER_HINTS[character]
    elif character.isdigit():
        hint = "only the ASCII digits 0-9 are accepted"
    elif character.isspace():
        hint = "only spaces and tabs may separate the parts"
    else:
        hint = "a duration has only ASCII digits and letters, '.', ':', spaces and tabs"
    return DurationError(
        f"unexpected character {_describe_character(character)} at character {index + 1}; {hint}", index
    )


_NOTHING_AFTER_SECONDS: Final = "the end (nothing may follow the seconds part)"


def _expected_units(previous: int, *, iso: bool) -> str:
    if iso:
        return {0: "H, M or S", _HOUR: "M or S", _MINUTE: "S"}.get(previous, _NOTHING_AFTER_SECONDS)
    return {0: "h, m or s (or hours, minutes, seconds)", _HOUR: "m or s", _MINUTE: "s"}.get(
        previous, _NOTHING_AFTER_SECONDS
    )


def _unexpected_start(runs: list[str], k: int) -> DurationError:
    run = runs[k]
    lowered = run.lower()
    if lowered == "p" or lowered.startswith("pt"):
        message = (
            f"unexpected '{run}' at character {_column(runs, k)}; an ISO 8601 duration is PT followed by "
            "hours, minutes or seconds, e.g. PT1H30M (days, weeks, months and years are not accepted)"
        )
    elif lowered in _UNITS:
        message = f"expected a number before the unit '{run}' at character {_column(runs, k)}, e.g. 1{run}"
    else:
        message = (
            f"expected a number at character {_column(runs, k)}, found '{run}'; write e.g. 1h30m or 1:30"
        )
    return DurationError(message, _position(runs, k))


def _expected_number(runs: list[str], k: int, *, iso: bool) -> DurationError:
    run = runs[k]
    if run.isspace():
        return DurationError(
            f"unexpected space at character {_column(runs, k)}; "
            "an ISO 8601 duration has no spaces, e.g. PT1H30M",
            _position(runs, k),
        )
    if run == ":":
        return DurationError(
            f"unexpected ':' at character {_column(runs, k)}; "
            "':' belongs only in a clock duration such as 1:30",
            _position(runs, k),
        )
    return DurationError(
        f"expected a number at character {_column(runs, k)}, found '{run}'", _position(runs, k)
    )


def _missing_unit(
    runs: list[str], number_k: int, k: int, end: int, previous: int, *, iso: bool
) -> DurationError:
    number = "".join(runs[number_k:k]).rstrip(" \t")
    if previous == _SECOND:
        return DurationError(
            f"unexpected '{number}' at character {_column(runs, number_k)}; "
            "nothing may follow the seconds part",
            _position(runs, number_k),
        )
    expected = _expected_units(previous, iso=iso)
    if k == end:
        return DurationError(
            f"the number '{number}' at character {_column(runs, number_k)} needs a unit after it; "
            f"expected {expected}",
            _position(runs, number_k),
        )
    run = runs[k]
    if iso and run.isspace():
        what = "a space (an ISO 8601 duration has no spaces)"
    elif run == ":":
        what = "':' (no spaces or units inside a clock duration such as 1:30)"
    else:
        what = f"'{run}'"
    return DurationError(
        f"expected a unit at character {_column(runs, k)} after '{number}', found {what}; "
        f"expected {expected}",
        _position(runs, k),
    )


def _unknown_unit(runs: list[str], k: int, previous: int, *, iso: bool) -> DurationError:
    run = runs[k]
    if iso:
        message = (
            f"unknown designator '{run}' at character {_column(runs, k)}; "
            f"expected {_expected_units(previous, iso=True)} (e.g. PT1H30M)"
        )
    else:
        message = (
            f"unknown unit '{run}' at character {_column(runs, k)}; "
            f"expected {_expected_units(previous, iso=False)}"
        )
        if run.lower() in _NOT_ACCEPTED_UNITS:
            message += "; days and longer are not accepted (a day is 8 h in some tools, 24 h in others)"
    return DurationError(message, _position(runs, k))


def _out_of_order(runs: list[str], k: int, unit: int, previous: int) -> DurationError:
    name = _UNIT_NAMES[unit]
    if unit == previous:
        message = (
            f"the {name} part appears twice ('{runs[k]}' at character {_column(runs, k)}); "
            "write each of hours, minutes and seconds at most once"
        )
    else:
        message = (
            f"the {name} part ('{runs[k]}' at character {_column(runs, k)}) comes after the "
            f"{_UNIT_NAMES[previous]} part; write hours, then minutes, then seconds, e.g. 1h30m"
        )
    return DurationError(message, _position(runs, k))


def _not_below_sixty(
    runs: list[str],
    *,
    first_k: int,
    number_k: int,
    unit_k: int,
    unit: int,
    previous: int,
    total: int,
    whole: int,
    fraction: str | None,
    iso: bool,
) -> DurationError:
    """A later part of 60 or more: ``1h90m`` should be written ``2h30m``."""
    quoted = _quote(runs, first_k - 1 if iso else first_k, unit_k + 1)
    number = _quote(runs, number_k, unit_k).rstrip(" \t")
    message = (
        f"{_UNIT_NAMES[unit]}s must be below 60 after a{'n' if previous == _HOUR else ''} "
        f"{_UNIT_NAMES[previous]} part ('{quoted}'): '{number}' at character {_column(runs, number_k)}"
    )
    scale = 10 ** len(fraction) if fraction is not None else 1
    numerator = int(fraction) * unit if fraction is not None else 0
    if numerator % scale == 0:
        seconds = total + whole * unit + numerator // scale
        if seconds <= MAX_DURATION_SECONDS:
            canonical = format_duration(seconds)
            message += f"; write {'PT' + canonical.upper() if iso else canonical}"
    return DurationError(message, _position(runs, number_k))


def _after_fraction(runs: list[str], number_k: int, k: int, *, iso: bool) -> DurationError:
    run = runs[k]
    if run.isdigit() or run == ".":
        part = _quote(runs, number_k, k).rstrip(" \t")
        return DurationError(
            f"only the last part may have a fraction: '{part}' is followed by more at character "
            f"{_column(runs, k)}; write whole numbers before the last part, e.g. 1h 30m or 1.5h",
            _position(runs, k),
        )
    return _expected_number(runs, k, iso=iso)


def _after_clock(runs: list[str], number_k: int, k: int) -> DurationError:
    return DurationError(
        f"unexpected '{runs[k]}' at character {_column(runs, k)} after the clock duration "
        f"'{_quote(runs, number_k, k)}'; a clock duration is H:MM or H:MM:SS with no units or fractions",
        _position(runs, k),
    )
