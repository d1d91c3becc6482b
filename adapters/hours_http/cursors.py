"""Opaque list cursors: the position of the last row of a page, and the order it was read in,
signed so that only a cursor this API issued is ever read.

A cursor is URL-safe base64 (no padding) of a 16-byte MAC followed by a small JSON array. The MAC
is HMAC-SHA256 of the JSON, cut to 16 bytes, under the installation's cursor secret (kept in the
database, shared by every process: :mod:`hours_core.installation`). A cursor is checked in this
order, and anything else is 422 on ``cursor``: its text is the canonical encoding of its bytes (no
padding, no other alphabet, nothing re-encoded), its MAC is right (compared in constant time),
and only then is its JSON parsed, by a parser that checks every type and accepts nothing else.
A forged, truncated or altered cursor is refused before its JSON is read.

The position is a row position (entry date, creation time, id), not an offset, so it stays
correct while rows are inserted or deleted between pages. Every cursor names its listing (an
organization's entry list, audit trail, an entry's history, a webhook's delivery log), and is read
by that listing only: a cursor of another organization is a foreign cursor, as a forged one is.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import json
import threading
from collections.abc import Callable
from uuid import UUID

from hours_core.model import TimeEntryId
from hours_core.ports import EntryCursor
from hours_core.validation import FOREIGN_CURSOR
from hours_http.decoding import DATE_SHAPE, UUID_SHAPE
from hours_http.errors import InvalidWireFields

__all__ = ["MAC_BYTES", "Cursors", "id_cursor"]

MAC_BYTES = 16
"""The length of a cursor's MAC: 128 bits of HMAC-SHA256."""

_VERSION = 1
_ENTRY_VERSION = 2
"""The form of an entry-list cursor that names its listing (the first form, 1, did not)."""
_OTHER_ORDER = "was returned for the other sort order; keep the sort of the first page"
_BEFORE_UPGRADE = "was returned before this server was upgraded; start again from the first page"


class Cursors:
    """Signs and reads cursors under the key ``load_key`` returns, loaded once, on first use."""

    def __init__(self, load_key: Callable[[], bytes]) -> None:
        self._load_key = load_key
        self._key: bytes | None = None
        self._lock = threading.Lock()

    def _mac(self, payload: bytes) -> bytes:
        if self._key is None:
            with self._lock:
                if self._key is None:
                    self._key = self._load_key()
        return hmac.new(self._key, payload, hashlib.sha256).digest()[:MAC_BYTES]

    def encode(self, cursor: EntryCursor, *, descending: bool, listing: str) -> str:
        """The opaque, signed form of ``cursor`` for ``listing`` (``entries:<org id>``: an
        organization's entry list) read in the given order."""
        payload = json.dumps(
            [
                _ENTRY_VERSION,
                listing,
                "desc" if descending else "asc",
                cursor.entry_date.isoformat(),
                cursor.created_at.astimezone(dt.UTC).isoformat(),
                str(cursor.id),
            ],
            separators=(",", ":"),
        ).encode()
        return _text(self._mac(payload) + payload)

    def encode_events(self, seq: int, *, listing: str) -> str:
        """The opaque, signed cursor of the next page of ``listing``, a list paged by a sequence
        number: events (``audit:<org id>``, or ``history:<entry id>``: an organization's audit trail
        and an entry's history are each a listing of their own, so that a cursor is refused on
        another organization's trail or another entry's history) after (or before, for the newest-first audit
        trail) ``seq``, or a webhook's delivery log (``deliveries:<webhook id>``, newest first) before
        the position ``seq``."""
        payload = json.dumps([_VERSION, listing, seq], separators=(",", ":")).encode()
        return _text(self._mac(payload) + payload)

    def decode_events(self, text: str, *, listing: str) -> int:
        """The sequence number ``text`` encodes; 422 naming ``cursor`` for any cursor this API did
        not issue, and for a cursor of another listing (an entry list's, the audit trail's, another
        entry's history, another webhook's delivery log)."""
        document = self._verified(text)
        if type(document) is not list or len(document) != 3:
            raise InvalidWireFields.one("cursor", FOREIGN_CURSOR)
        version, kind, seq = document
        if type(version) is not int or version != _VERSION or kind != listing:
            raise InvalidWireFields.one("cursor", FOREIGN_CURSOR)
        if type(seq) is not int or seq < 0:
            raise InvalidWireFields.one("cursor", FOREIGN_CURSOR)
        return seq

    def _verified(self, text: str) -> object:
        """The JSON of a cursor whose text and MAC check; 422 naming ``cursor`` otherwise."""
        raw = _bytes(text)
        if raw is None or len(raw) <= MAC_BYTES:
            raise InvalidWireFields.one("cursor", FOREIGN_CURSOR)
        mac, payload = raw[:MAC_BYTES], raw[MAC_BYTES:]
        if not hmac.compare_digest(mac, self._mac(payload)):
            raise InvalidWireFields.one("cursor", FOREIGN_CURSOR)
        try:
            document: object = json.loads(payload)
        except (ValueError, RecursionError):
            raise InvalidWireFields.one("cursor", FOREIGN_CURSOR) from None
        return document

    def decode(self, text: str, *, descending: bool, listing: str) -> EntryCursor:
        """The position ``text`` encodes; 422 naming ``cursor`` for any cursor this API did not
        issue (forged, truncated, altered, re-encoded), one of another listing (another
        organization's entry list, any list of events), one of the other order, and one of the
        first form (issued before cursors named their listing: it may be another organization's)."""
        document = self._verified(text)
        if _is_first_form(document):
            raise InvalidWireFields.one("cursor", _BEFORE_UPGRADE)
        parsed = _parse(document)
        if parsed is None or parsed[0] != listing:
            raise InvalidWireFields.one("cursor", FOREIGN_CURSOR)
        _, order, cursor = parsed
        if order != ("desc" if descending else "asc"):
            raise InvalidWireFields.one("cursor", _OTHER_ORDER)
        return cursor


def _text(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _bytes(text: str) -> bytes | None:
    """The bytes of ``text`` if it is exactly how :func:`_text` writes them, else ``None``."""
    try:
        raw = base64.urlsafe_b64decode(text.encode("ascii") + b"=" * (-len(text) % 4))
    except (ValueError, binascii.Error, UnicodeEncodeError):
        return None
    return raw if _text(raw) == text else None


def _is_first_form(document: object) -> bool:
    """Whether a signed ``document`` is an entry-list cursor of the first form, which named no
    listing: ``[1, order, entry date, creation time, id]``."""
    if type(document) is not list or len(document) != 5:
        return False
    version, *position = document
    return type(version) is int and version == 1 and _position(*position) is not None


def _parse(document: object) -> tuple[str, str, EntryCursor] | None:
    """The listing, order and position of a signed entry-list cursor; ``None`` for any other shape
    (a total parser: every member's type is checked, nothing is converted on trust)."""
    if type(document) is not list or len(document) != 6:
        return None
    version, listing, *position = document
    if type(version) is not int or version != _ENTRY_VERSION or type(listing) is not str:
        return None
    return None if (parsed := _position(*position)) is None else (listing, *parsed)


def _position(
    order: object, entry_date: object, created_at: object, entry_id: object
) -> tuple[str, EntryCursor] | None:
    """The order and position that a cursor's last four members spell; ``None`` for any other shape."""
    if type(order) is not str or order not in ("asc", "desc"):
        return None
    if type(entry_date) is not str or type(created_at) is not str or type(entry_id) is not str:
        return None
    if DATE_SHAPE.fullmatch(entry_date) is None or UUID_SHAPE.fullmatch(entry_id) is None:
        return None
    try:
        day = dt.date.fromisoformat(entry_date)
        created = dt.datetime.fromisoformat(created_at)
    except ValueError:
        return None
    if created.utcoffset() != dt.timedelta(0):
        return None
    return order, EntryCursor(entry_date=day, created_at=created, id=TimeEntryId(UUID(entry_id)))


def id_cursor(text: str) -> UUID:
    """The row id that ``text`` names, for a list whose ``nextCursor`` is the id of its last row
    (invoices, timesheets: their ids order them, or the store finds the row's place); 422 on
    ``cursor`` for anything but a UUID in its one form."""
    if not UUID_SHAPE.fullmatch(text):
        raise InvalidWireFields.one("cursor", FOREIGN_CURSOR)
    return UUID(text)
