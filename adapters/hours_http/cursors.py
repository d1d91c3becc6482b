"""Opaque list cursors: the position of the last row of a page, and the order it was read in.

A cursor is URL-safe base64 of a small JSON array. It names a row position (entry date, creation
time, id), not an offset, so it stays correct while rows are inserted or deleted between pages.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from uuid import UUID

from hours_core.model import TimeEntryId
from hours_core.ports import EntryCursor
from hours_http.errors import InvalidWireFields

__all__ = ["decode_cursor", "decode_event_cursor", "encode_cursor", "encode_event_cursor"]

_VERSION = 1


def encode_cursor(cursor: EntryCursor, *, descending: bool) -> str:
    """The opaque form of ``cursor`` for a list read in the given order."""
    payload = [
        _VERSION,
        "desc" if descending else "asc",
        cursor.entry_date.isoformat(),
        cursor.created_at.astimezone(dt.UTC).isoformat(),
        str(cursor.id),
    ]
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def encode_event_cursor(seq: int, *, listing: str) -> str:
    """The opaque cursor of the next page of events of ``listing`` (``history``, ``audit``), after ``seq``."""
    raw = json.dumps([_VERSION, listing, seq], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_event_cursor(text: str, *, listing: str) -> int:
    """The sequence number ``text`` encodes; 422 naming ``cursor`` for a cursor of another listing."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        version, kind, seq = json.loads(raw)
        if version != _VERSION or kind != listing or type(seq) is not int or seq < 0:
            raise ValueError("not an event cursor of this listing")
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise InvalidWireFields.one(
            "cursor", "is not a cursor this API returned; pass nextCursor as it is"
        ) from None
    return seq


def decode_cursor(text: str, *, descending: bool) -> EntryCursor:
    """The position ``text`` encodes; 422 naming ``cursor`` for a foreign cursor or another order."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        version, order, entry_date, created_at, entry_id = json.loads(raw)
        if version != _VERSION:
            raise ValueError("unknown cursor version")
        cursor = EntryCursor(
            entry_date=dt.date.fromisoformat(entry_date),
            created_at=dt.datetime.fromisoformat(created_at).astimezone(dt.UTC),
            id=TimeEntryId(UUID(entry_id)),
        )
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise InvalidWireFields.one(
            "cursor", "is not a cursor this API returned; pass nextCursor as it is"
        ) from None
    if order != ("desc" if descending else "asc"):
        raise InvalidWireFields.one(
            "cursor", "was returned for the other sort order; keep the sort of the first page"
        )
    return cursor
