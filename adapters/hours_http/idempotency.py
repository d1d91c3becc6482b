"""The HTTP side of idempotency: the ``Idempotency-Key`` header in, the replay headers out."""

from __future__ import annotations

from typing import Any

from litestar import MediaType, Response

from hours_core.idempotency import RecordedResponse, fingerprint, parse_key
from hours_core.services import KeyedRequest, Outcome
from hours_http.body import PendingBody
from hours_http.decoding import NOT_JSON

__all__ = ["IDEMPOTENCY_HEADER", "keyed_request", "recorded", "to_response"]

IDEMPOTENCY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"


def keyed_request(
    header: str | None, method: str, path: str, body: PendingBody[Any] | None
) -> KeyedRequest | None:
    """The request's idempotency key and fingerprint; ``None`` without the header.

    Raises :class:`~hours_core.errors.IdempotencyKeyInvalid` for a malformed key.
    """
    if header is None:
        return None
    key = parse_key(header)
    if body is None:
        content: object | bytes = b""
    else:
        document = body.document
        content = body.raw if document is NOT_JSON else document
    return KeyedRequest(key=key, fingerprint=fingerprint(method, path, content))


def recorded(status: int, body: bytes, *, location: str | None = None) -> RecordedResponse:
    """A JSON response as the idempotency record keeps it."""
    headers = (("Location", location),) if location is not None else ()
    return RecordedResponse(status=status, body=body, headers=headers)


def to_response(outcome: Outcome) -> Response[Any]:
    """The Litestar response for an outcome, marking replays with ``Idempotent-Replayed: true``."""
    headers = dict(outcome.response.headers)
    if outcome.replayed:
        headers[REPLAYED_HEADER] = "true"
    return Response(
        outcome.response.body,
        status_code=outcome.response.status,
        media_type=MediaType.JSON,
        headers=headers or None,
    )
