"""Idempotency keys: the rules, without storage.

A client sends ``Idempotency-Key`` with a write. The first success is recorded with its
result; a replay of the same request within :data:`REPLAY_WINDOW` gets the recorded result
and writes nothing. Keys are scoped to (organization, user).

This module holds the pure parts: key validation (:func:`parse_key`), the request fingerprint
(:func:`fingerprint`), the record, and the decision (:func:`decide`). The transaction that claims
a key and commits the outcome with the change lives in :mod:`hours_core.services.idempotent`.

The record keeps the outcome of the request as opaque bytes (:attr:`IdempotencyRecord.result`),
encoded by the adapter that ran the request and decoded only by it: the core knows nothing of
status codes or headers.
"""

from __future__ import annotations

import enum
import hashlib
import json
import re
from datetime import datetime, timedelta

import attrs

from hours_core.errors import IdempotencyKeyInvalid
from hours_core.model import OrgId, UserId

__all__ = [
    "REPLAY_WINDOW",
    "Decision",
    "IdempotencyRecord",
    "decide",
    "fingerprint",
    "parse_key",
]

REPLAY_WINDOW = timedelta(hours=24)
"""How long after its completion a key replays; after that it counts as new."""

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_ULID = re.compile(
    r"[0-7][0-9a-hjkmnp-tv-z]{25}"
)  # Crockford base32; the first char keeps it within 128 bits


def parse_key(header: str) -> str:
    """Validate an ``Idempotency-Key`` header value and return its canonical (lowercase) form.

    Accepts a hyphenated UUID of any version or a 26-character ULID, case-insensitively,
    optionally wrapped in double quotes (the structured-field string form of the IETF draft).
    Anything else raises :class:`IdempotencyKeyInvalid`.
    """
    value = header
    if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
        value = value[1:-1]
    value = value.lower()
    if _UUID.fullmatch(value) or _ULID.fullmatch(value):
        return value
    raise IdempotencyKeyInvalid()


def canonical_json(document: object) -> bytes:
    """``document`` as JSON with sorted keys and no insignificant whitespace."""
    return json.dumps(
        document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def fingerprint(method: str, route: str, body: object | bytes) -> str:
    """The SHA-256 (hex) that identifies a request for idempotency.

    ``body`` is the decoded JSON document, so key order and whitespace do not count; pass the
    raw bytes when the body is not JSON (then the bytes themselves count).
    """
    digest = hashlib.sha256()
    digest.update(method.upper().encode("ascii"))
    digest.update(b"\n")
    digest.update(route.encode("utf-8"))
    digest.update(b"\n")
    if isinstance(body, bytes | bytearray):
        digest.update(b"raw:")
        digest.update(body)
    else:
        digest.update(b"json:")
        digest.update(canonical_json(body))
    return digest.hexdigest()


def _completed_together(record: IdempotencyRecord, _attribute: object, value: datetime | None) -> None:
    if (value is None) != (record.result is None):
        raise ValueError("a record has a result exactly when it has a completion time")


@attrs.frozen
class IdempotencyRecord:
    """One key's claim and, once the request succeeded, its result."""

    org_id: OrgId
    user_id: UserId
    key: str
    fingerprint: str
    created_at: datetime
    result: bytes | None = None
    """The outcome of the request that succeeded, encoded by the adapter that ran it (the HTTP
    adapter keeps the response it sent); the core stores it and hands it back, never reads it."""
    completed_at: datetime | None = attrs.field(default=None, validator=_completed_together)

    @property
    def is_complete(self) -> bool:
        """Whether the request succeeded and its result is recorded."""
        return self.result is not None

    def expires_at(self) -> datetime | None:
        """When the key stops replaying (``None`` while the request is in progress)."""
        return None if self.completed_at is None else self.completed_at + REPLAY_WINDOW

    def completed(self, result: bytes, now: datetime) -> IdempotencyRecord:
        """The record of a request that succeeded with ``result`` (the adapter's encoding of it)."""
        return attrs.evolve(self, result=bytes(result), completed_at=now)


class Decision(enum.Enum):
    """What to do with a request whose key is already on record."""

    NEW = "new"
    """No usable record: run the request."""
    REPLAY = "replay"
    """The same request succeeded: answer with the recorded result."""
    IN_PROGRESS = "in_progress"
    """The same key is still being processed elsewhere."""
    REUSED = "reused"
    """The key was used for a different request."""
    EXPIRED = "expired"
    """The record is past the replay window: run the request as new, replacing the record."""


def decide(existing: IdempotencyRecord | None, request_fingerprint: str, now: datetime) -> Decision:
    """Decide what a request with ``request_fingerprint`` does, given the record for its key."""
    if existing is None:
        return Decision.NEW
    expires_at = existing.expires_at()
    if expires_at is not None and now >= expires_at:
        return Decision.EXPIRED
    if existing.fingerprint != request_fingerprint:
        return Decision.REUSED
    if not existing.is_complete:
        return Decision.IN_PROGRESS
    return Decision.REPLAY
