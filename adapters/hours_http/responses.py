"""Building responses: JSON bodies, and writes that honor ``Idempotency-Key``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from litestar import MediaType, Request, Response

from hours_core.services import Caller, Services
from hours_http.body import PendingBody
from hours_http.encoding import encode_data
from hours_http.idempotency import keyed_request, recorded, to_response

__all__ = ["idempotent_write", "json_response"]


def json_response(data: object, *, status: int = 200, **extra: object) -> Response[Any]:
    """``{"data": data, **extra}`` with the given status."""
    return Response(encode_data(data, **extra), status_code=status, media_type=MediaType.JSON)


def idempotent_write(
    request: Request[Any, Any, Any],
    services: Services,
    caller: Caller,
    idempotency_key: str | None,
    body: PendingBody[Any] | None,
    write: Callable[[], object],
    *,
    status: int = 200,
    location: Callable[[Any], str] | None = None,
) -> Response[Any]:
    """Run ``write`` (which calls one use case and returns its JSON-ready result) under the key, if any.

    The response is recorded with the change in one transaction; a replay returns it as it was.
    """
    keyed = keyed_request(idempotency_key, request.method, request.url.path, body)

    def work() -> Any:
        result = write()
        where = location(result) if location is not None else None
        return recorded(status, encode_data(result), location=where)

    return to_response(services.idempotent.run(caller, keyed, work))
