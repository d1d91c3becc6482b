"""How SQLite stores hours' values: the SQLite :class:`~hours_sql.dialect.Dialect`.

SQLite has no UUID, date, timestamp or boolean type, and every table is ``STRICT`` (see
:mod:`hours_sqlite.migrations`), so values are stored as:

* ids as ``TEXT`` in canonical form (lowercase, hyphenated), so text order is UUID order;
* dates as ``TEXT`` ``YYYY-MM-DD``; instants as ``TEXT`` ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` (UTC,
  fixed width), so text order is time order;
* booleans as ``INTEGER`` 0/1 (a ``CHECK`` refuses anything else, and so does the decoder);
* bytes as ``BLOB``.

These codecs sit on the hot paths (a list page decodes up to 500 entries, the bulk load encodes
a million), so they are the C functions of the types themselves where one fits (``date.isoformat``,
``int`` of a bool, ``fromisoformat``), and the ids that many rows refer to (organizations, users,
projects, tasks) are memoized both ways: a page of entries names a few users and projects
hundreds of times.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import lru_cache
from uuid import UUID

from hours_sql import AS_IS, JSON_STRINGS, Dialect, Kind, ScalarCodec

__all__ = ["SQLITE", "decode_instant", "encode_instant"]


def encode_instant(value: datetime) -> str:
    """``value`` as fixed-width UTC text, ``YYYY-MM-DDTHH:MM:SS.ffffffZ``; naive values are refused."""
    offset = value.utcoffset()
    if offset is None:
        raise ValueError(f"cannot store a naive datetime: {value!r}")
    if offset:
        value = value.astimezone(UTC)
    # "YYYY-MM-DDTHH:MM:SS.ffffff+00:00": the first 26 characters, then "Z" (the bulk path
    # encodes millions of these; slicing is cheaper than replace(tzinfo=None)).
    return value.isoformat(timespec="microseconds")[:26] + "Z"


decode_instant = datetime.fromisoformat
"""The UTC datetime of text made by :func:`encode_instant` (Python 3.11 reads the ``Z``)."""


_REFERENCES_CACHED = 8192


@lru_cache(maxsize=_REFERENCES_CACHED)
def _reference_text(value: UUID) -> str:
    """The text of an id that many rows refer to, memoized."""
    return str(value)


@lru_cache(maxsize=_REFERENCES_CACHED)
def _reference(text: str) -> UUID:
    """The id of the text of an id that many rows refer to, memoized (UUIDs are immutable)."""
    return UUID(text)


def _decode_boolean(value: int) -> bool:
    if value == 1:
        return True
    if value == 0:
        return False
    raise ValueError(f"expected a stored boolean (0 or 1), got {value!r}")


SQLITE = Dialect(
    name="sqlite",
    placeholder="?",
    codecs={
        Kind.UUID: ScalarCodec(str, UUID),
        Kind.REFERENCE: ScalarCodec(_reference_text, _reference),
        Kind.DATE: ScalarCodec(date.isoformat, date.fromisoformat),
        Kind.INSTANT: ScalarCodec(encode_instant, decode_instant),
        Kind.BOOLEAN: ScalarCodec(int, _decode_boolean),
        Kind.BYTES: AS_IS,  # sqlite3 takes and returns bytes for a BLOB
        Kind.STRINGS: JSON_STRINGS,
    },
    # Dates are ISO text: a month or a year is a prefix of it; a week goes back by the days since
    # its first day (strftime's %w counts Sunday as 0). Checked against hours_core.reports in the
    # contract suite.
    one_if_true="({condition})",
    index_hint=" INDEXED BY {index}",
    period_starts={
        "week": (
            "date({column}, '-' || ((CAST(strftime('%w', {column}) AS INTEGER) + 7 - {first}) % 7)"
            " || ' days')"
        ),
        "month": "substr({column}, 1, 8) || '01'",
        "year": "substr({column}, 1, 5) || '01-01'",
    },
)
"""SQLite's dialect: ``?`` parameters and the storage forms above."""
