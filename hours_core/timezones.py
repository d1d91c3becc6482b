"""Time zones of organizations: IANA names, checked against the zone database ``zoneinfo`` reads.

The names are those of :func:`zoneinfo.available_timezones` (the system's database, or the
``tzdata`` package hours depends on), exactly as spelled there (``Europe/Berlin``, ``UTC``,
``America/Argentina/Buenos_Aires``), without ``localtime`` (the server's own zone, which means
something else on every machine) and ``Factory`` (a placeholder). ``UTC`` is always valid.
"""

from __future__ import annotations

import functools
import zoneinfo

__all__ = ["DEFAULT_TIMEZONE", "timezone_names", "timezone_problem"]

DEFAULT_TIMEZONE = "UTC"
"""The time zone of a new organization."""

_NOT_ZONES = frozenset({"localtime", "Factory", "posixrules"})


@functools.cache
def timezone_names() -> frozenset[str]:
    """Every valid time zone name (read once per process)."""
    return frozenset(zoneinfo.available_timezones() - _NOT_ZONES) | {DEFAULT_TIMEZONE}


@functools.cache
def _by_folded_name() -> dict[str, str]:
    return {name.casefold(): name for name in timezone_names()}


def timezone_problem(name: str) -> str | None:
    """What is wrong with ``name`` as a time zone, or ``None``; a name in the wrong case is told
    its right spelling."""
    if name in timezone_names():
        return None
    problem = "must be an IANA time zone name such as Europe/Berlin, America/New_York or UTC"
    spelled = _by_folded_name().get(name.casefold())
    return problem if spelled is None else f"{problem} (did you mean {spelled}?)"
