"""RFC 3339's ``date-time``: the one form in which hours reads an instant from outside.

``2026-03-02T09:00:00Z``, ``2026-03-02T09:00:00.123456+01:00``: a full date, ``T`` (or ``t``),
a time with seconds, an optional fraction (up to 9 digits, read to the microsecond), and ``Z``
(or ``z``) or an offset ``+HH:MM`` with the hour 00-23 and the minute 00-59. Python's
``datetime.fromisoformat`` reads far more (a space for ``T``, ``+05``, ``+0530``, ``+05:30:15``,
week dates, and ``+00:99`` as +01:39, moving the instant silently), so every reader of instants (a
request body or query, a JSON lines import) holds text to this grammar first. Pure text: no parser.
"""

from __future__ import annotations

import re
from datetime import datetime

__all__ = ["DATE_TIME", "NotARealDateTime", "read_date_time"]

DATE_TIME = re.compile(
    r"(?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2})[Tt](?P<time>[0-9]{2}:[0-9]{2}:[0-9]{2})"
    r"(?:\.(?P<fraction>[0-9]{1,9}))?(?P<offset>[Zz]|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])"
)
"""The grammar of the module docstring (to be matched whole)."""


class NotARealDateTime(ValueError):
    """Text of the RFC 3339 form that names no real date and time (``2026-02-30``, ``25:00:00``)."""


def read_date_time(text: str) -> datetime | None:
    """The aware datetime that ``text`` spells as an RFC 3339 date-time, in its own offset, or
    ``None`` when ``text`` is not of that form. Raises :class:`NotARealDateTime` for text of the
    form that names no real date and time. A fraction past microseconds is cut, not rounded."""
    match = DATE_TIME.fullmatch(text)
    if match is None:
        return None
    fraction = (match["fraction"] or "").ljust(6, "0")[:6]
    offset = "+00:00" if match["offset"] in "Zz" else match["offset"]
    try:
        return datetime.fromisoformat(f"{match['date']}T{match['time']}.{fraction}{offset}")
    except ValueError:
        raise NotARealDateTime(text) from None
