"""The HTTP side of idempotency: the ``Idempotency-Key`` header in, the recorded response out.

The core records the result of a keyed write as opaque bytes; for the HTTP adapter that result
is the response it sent, framed as HTTP/1.1 frames a response message: a status line, one line
per header field, an empty line, then the body bytes exactly as sent::

    HTTP/1.1 201 \\r\\n
    Location: /time-entries/0190...\\r\\n
    \\r\\n
    {"data":{...}}

(the reason phrase is empty; header fields are UTF-8). :func:`recorded` frames a response,
:func:`to_response` unframes a recorded one into the Litestar response, so a replay sends the
status, the headers and the very bytes of the body of the first answer. Only successful (2xx)
responses are recorded: an error releases the key instead (see
:mod:`hours_core.services.idempotent`), so a corrected retry runs as new.

The schema migrations that turned the records of earlier versions (status, body and headers in
columns of their own) into this framing are the ``0002_idempotency_result`` of each database; a
record written before an upgrade replays after it, byte for byte.
"""

from __future__ import annotations

import hashlib
from typing import Any

import attrs
from litestar import MediaType, Response

from hours_core.idempotency import fingerprint, parse_key
from hours_core.services import KeyedRequest, Outcome
from hours_http.body import PendingBody
from hours_http.decoding import NOT_JSON

__all__ = [
    "IDEMPOTENCY_HEADER",
    "IDEMPOTENT",
    "REPLAYED_HEADER",
    "RecordedResponse",
    "frame",
    "keyed_request",
    "recorded",
    "to_response",
    "unframe",
]

IDEMPOTENCY_HEADER = "Idempotency-Key"
IDEMPOTENT = "idempotent"
"""The ``opt`` key of a route that honors ``Idempotency-Key`` (set by
:func:`hours_http.openapi.documented`)."""
REPLAYED_HEADER = "Idempotent-Replayed"

_VERSION = b"HTTP/1.1"
_LINE_END = b"\r\n"
_HEAD_END = b"\r\n\r\n"
_FIELD_SEPARATOR = b": "


def keyed_request(
    header: str | None, method: str, path: str, body: PendingBody[Any] | None
) -> KeyedRequest | None:
    """The request's idempotency key and fingerprint; ``None`` without the header.

    Raises :class:`~hours_core.errors.IdempotencyKeyInvalid` for a malformed key, and
    ``invalid_json`` for a body nested too deep.
    """
    if header is None:
        return None
    key = parse_key(header)
    if body is None:
        return KeyedRequest(key=key, fingerprint=fingerprint(method, path, b""))
    return KeyedRequest(key=key, fingerprint=_FINGERPRINTS.of(method, path, body))


class _FingerprintMemo:
    """The fingerprints of recent request bodies, by their bytes' SHA-256: a retry sends the same
    bytes, whose fingerprint (a JSON parse, a canonical encoding and a hash) then costs one hash.

    Bounded to :attr:`MAX_ENTRIES` (emptied when full: the next retries fill it again), and only
    bodies of at most :attr:`MAX_BODY_BYTES` count (a larger one is fingerprinted each time).
    The bytes' own digest keys it, not the bytes, so it holds about 200 bytes an entry.
    """

    MAX_ENTRIES = 4_096
    MAX_BODY_BYTES = 16 * 1024

    def __init__(self) -> None:
        self._fingerprints: dict[tuple[str, str, bytes], str] = {}

    def of(self, method: str, path: str, body: PendingBody[Any]) -> str:
        """The fingerprint of a request with ``body`` (:func:`hours_core.idempotency.fingerprint`)."""
        raw = body.raw
        slot = (method, path, hashlib.sha256(raw).digest()) if len(raw) <= self.MAX_BODY_BYTES else None
        known = None if slot is None else self._fingerprints.get(slot)
        if known is not None:
            return known
        document = body.document
        # A body that is no JSON, or names a member twice (which a parser keeping the first reads as
        # another request than one keeping the last), counts by its bytes: it never matches the
        # record of a well-formed body, so a key reused with it is idempotency_key_reused.
        unambiguous = document is not NOT_JSON and body.repeated_member is None
        computed = fingerprint(method, path, document if unambiguous else raw)
        if slot is not None:
            if len(self._fingerprints) >= self.MAX_ENTRIES:
                self._fingerprints.clear()
            self._fingerprints[slot] = computed
        return computed


_FINGERPRINTS = _FingerprintMemo()


@attrs.frozen
class RecordedResponse:
    """A response as the client received it: status, header fields in order, and the body bytes."""

    status: int
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()


def frame(response: RecordedResponse) -> bytes:
    """``response`` as the bytes the idempotency record keeps (see the module's docstring).

    Raises ``ValueError`` for a status outside 2xx (only successes are recorded) and for a header
    field that cannot be framed (a name with a colon or white space, CR or LF anywhere).
    """
    if not 200 <= response.status < 300:
        raise ValueError(f"only successful (2xx) responses are recorded, not {response.status}")
    lines = [b"%s %d " % (_VERSION, response.status)]
    for name, value in response.headers:
        if not name or any(char in name for char in ": \t\r\n") or "\r" in value or "\n" in value:
            raise ValueError(f"a header field that cannot be recorded: {name!r}: {value!r}")
        lines.append(name.encode() + _FIELD_SEPARATOR + value.encode())
    return _LINE_END.join(lines) + _HEAD_END + response.body


def unframe(result: bytes) -> RecordedResponse:
    """The response that :func:`frame` made ``result`` of; ``ValueError`` for anything else."""
    head, separator, body = result.partition(_HEAD_END)
    lines = head.split(_LINE_END)
    version, _, rest = lines[0].partition(b" ")
    status, _, _reason = rest.partition(b" ")
    if (
        not separator
        or version != _VERSION
        or len(status) != 3
        or not status.startswith(b"2")
        or not status.isdigit()
    ):
        raise ValueError("not a response recorded by the HTTP adapter")
    headers = []
    for line in lines[1:]:
        name, found, value = line.partition(_FIELD_SEPARATOR)
        if not found or not name:
            raise ValueError("not a response recorded by the HTTP adapter (a malformed header field)")
        headers.append((name.decode(), value.decode()))
    return RecordedResponse(status=int(status), body=body, headers=tuple(headers))


def recorded(status: int, body: bytes, *, location: str | None = None, etag: str | None = None) -> bytes:
    """A 2xx JSON response (with its ``Location`` and ``ETag``, if any), framed for the idempotency
    record (a replay sends the same headers).

    ``ValueError`` for any other status: only successes are recorded.
    """
    headers: tuple[tuple[str, str], ...] = (("Location", location),) if location is not None else ()
    if etag is not None:
        headers += (("ETag", etag),)
    return frame(RecordedResponse(status=status, body=body, headers=headers))


def to_response(outcome: Outcome) -> Response[Any]:
    """The Litestar response for an outcome, marking replays with ``Idempotent-Replayed: true``.

    A JSON body goes out as it was recorded; an empty one (a 204) as no content at all.
    """
    response = unframe(outcome.result)
    headers = dict(response.headers)
    if outcome.replayed:
        headers[REPLAYED_HEADER] = "true"
    if not response.body:
        return Response(None, status_code=response.status, headers=headers or None)
    return Response(
        response.body,
        status_code=response.status,
        media_type=MediaType.JSON,
        headers=headers or None,
    )
