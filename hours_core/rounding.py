"""Time rounding for reports: ``MODE:MINUTES:SCOPE``, e.g. ``up:15:entry``.

A rounding moves a number of seconds to a multiple of a step of ``minutes`` minutes:

- ``up`` to the next multiple, ``down`` to the previous one, ``nearest`` to the closer one, and
  on a tie (exactly half a step past a multiple) up;
- an exact multiple never moves, in every mode: 15 minutes rounded up to 15 minutes stays 15.

The scope says what is rounded: ``entry`` rounds each entry and sums the results; ``group``
rounds the sum of each group at the finest grouping level (parents and totals are sums of their
children). Rounding changes ``roundedSeconds``; amounts use the entry-rounded seconds with the
``entry`` scope and the raw seconds otherwise (see docs/reports.md).
"""

from __future__ import annotations

import enum

import attrs

from hours_core.errors import ValidationFailed

__all__ = [
    "ROUNDING_MINUTES",
    "Rounding",
    "RoundingMode",
    "RoundingScope",
    "entry_seconds",
]

ROUNDING_MINUTES = (1, 5, 6, 10, 12, 15, 30, 60)
"""The steps a rounding may use: the divisors of an hour that time trackers bill in."""

_MAX_TEXT_LENGTH = 40
_SHOWN_LENGTH = 20
_FORM = "MODE:MINUTES:SCOPE, e.g. up:15:entry or nearest:6:group"


class RoundingMode(enum.StrEnum):
    """Which way a rounding moves a value that is not a multiple of the step."""

    UP = "up"
    DOWN = "down"
    NEAREST = "nearest"
    """To the closer multiple; a tie goes up."""


class RoundingScope(enum.StrEnum):
    """What a rounding applies to."""

    ENTRY = "entry"
    """Each entry is rounded, then the rounded values are summed."""
    GROUP = "group"
    """The sum of each group at the finest grouping level is rounded."""


def _minutes(_instance: object, _attribute: attrs.Attribute[int], value: int) -> None:
    if type(value) is not int or value not in ROUNDING_MINUTES:
        raise ValueError(f"rounding minutes must be one of {ROUNDING_MINUTES}, got {value!r}")


@attrs.frozen
class Rounding:
    """A rounding rule: ``mode`` to a step of ``minutes`` minutes, applied per ``scope``."""

    mode: RoundingMode
    minutes: int = attrs.field(validator=_minutes)
    scope: RoundingScope

    @classmethod
    def parse(cls, text: str, field: str = "rounding") -> Rounding:
        """The rounding that ``text`` (``MODE:MINUTES:SCOPE``) spells.

        Raise :class:`ValidationFailed` keyed ``field`` naming every wrong part. The spelling is
        strict: lower case, no spaces, minutes written without leading zeros.
        """
        if len(text) > _MAX_TEXT_LENGTH:
            raise ValidationFailed.one(field, f"must be {_FORM} (got {len(text)} characters)")
        parts = text.split(":")
        if len(parts) != 3:
            raise ValidationFailed.one(field, f"must be {_FORM}, three parts separated by ':'")
        mode, minutes, scope = parts
        problems = [
            problem
            for problem in (
                _part_problem("mode", mode, [m.value for m in RoundingMode]),
                _part_problem("minutes", minutes, [str(m) for m in ROUNDING_MINUTES]),
                _part_problem("scope", scope, [s.value for s in RoundingScope]),
            )
            if problem is not None
        ]
        if problems:
            raise ValidationFailed.one(field, "; ".join(problems))
        return cls(RoundingMode(mode), int(minutes), RoundingScope(scope))

    def __str__(self) -> str:
        """The canonical spelling, which :meth:`parse` reads back: ``up:15:entry``."""
        return f"{self.mode.value}:{self.minutes}:{self.scope.value}"

    @property
    def step_seconds(self) -> int:
        """The step in seconds."""
        return self.minutes * 60

    @property
    def per_entry(self) -> bool:
        """Whether each entry is rounded (scope ``entry``)."""
        return self.scope is RoundingScope.ENTRY

    def round_seconds(self, seconds: int) -> int:
        """``seconds`` moved to a multiple of the step by the mode; a multiple stays where it is."""
        if type(seconds) is not int or seconds < 0:
            raise ValueError(f"round_seconds() needs a non-negative int, got {seconds!r}")
        step = self.step_seconds
        below, past = divmod(seconds, step)
        if past == 0:
            return seconds
        if self.mode is RoundingMode.UP or (self.mode is RoundingMode.NEAREST and 2 * past >= step):
            return (below + 1) * step
        return below * step


def entry_seconds(rounding: Rounding | None, seconds: int) -> int:
    """The seconds one entry of ``seconds`` contributes before any group rounding.

    With an ``entry``-scope rounding, the entry's rounded seconds; otherwise (no rounding, or a
    ``group``-scope one) its raw seconds. This is both what the entry adds to a group's
    ``roundedSeconds`` sum and the time its amounts are computed on.
    """
    if rounding is not None and rounding.per_entry:
        return rounding.round_seconds(seconds)
    return seconds


def _part_problem(name: str, value: str, allowed: list[str]) -> str | None:
    if value in allowed:
        return None
    choices = ", ".join(allowed[:-1]) + f" or {allowed[-1]}"
    if not value:
        return f"{name} is missing (one of {choices})"
    shown = repr(value) if len(value) <= _SHOWN_LENGTH else repr(value[:_SHOWN_LENGTH]) + "..."
    hint = ""
    canonical = value.strip().lower()
    if canonical.isdigit():
        canonical = canonical.lstrip("0")
    if canonical in allowed:
        hint = f" (write {canonical})"
    return f"{name} must be {choices}, not {shown}{hint}"
