"""Building responses: JSON bodies, and writes that honor ``Idempotency-Key``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from litestar import MediaType, Request, Response
from litestar.concurrency import sync_to_thread

from hours_core.services import Caller, Services
from hours_http.body import PendingBody
from hours_http.encoding import encode_data
from hours_http.idempotency import keyed_request, recorded, to_response

__all__ = ["READS_IN_THREAD", "idempotent_write", "idempotent_write_from_loop", "json_response", "look_up"]

READS_IN_THREAD = "reads_in_thread"
"""The app state key of :func:`hours_http.create_app`'s ``reads_in_thread``."""


def json_response(data: object, *, status: int = 200, **extra: object) -> Response[Any]:
    """``{"data": data, **extra}`` with the given status."""
    return Response(encode_data(data, **extra), status_code=status, media_type=MediaType.JSON)


async def look_up(request: Request[Any, Any, Any], read: Callable[[], Response[Any]]) -> Response[Any]:
    """Answer with ``read``, a lookup of one row by its key: on the event loop when the app reads
    there (``create_app(reads_in_thread=False)``, a local store), else in a worker thread.

    Only for single-row reads: a page of entries decodes up to 500 rows, which would hold up every
    other request on the loop, so lists always run in a thread.
    """
    if request.app.state.get(READS_IN_THREAD, True):
        return await sync_to_thread(read)
    return read()


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
    return to_response(services.idempotent.run(caller, keyed, _recording(write, status, location)))


def _recording(
    write: Callable[[], object], status: int, location: Callable[[Any], str] | None
) -> Callable[[], bytes]:
    """``write``, turned into the work of ``IdempotentRunner.run``: its result as the response to record."""

    def work() -> bytes:
        result = write()
        where = location(result) if location is not None else None
        return recorded(status, encode_data(result), location=where)

    return work


async def idempotent_write_from_loop(
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
    """:func:`idempotent_write` for an ``async`` handler: the write runs in a worker thread (Litestar's
    executor, as for a ``sync_to_thread=True`` handler).

    When the app reads on the event loop (``create_app(reads_in_thread=False)``), the replay
    lookup runs here first, so that a replay is answered without a thread hop.
    """
    if request.app.state.get(READS_IN_THREAD, True):
        return await sync_to_thread(
            idempotent_write,
            request,
            services,
            caller,
            idempotency_key,
            body,
            write,
            status=status,
            location=location,
        )
    keyed = keyed_request(idempotency_key, request.method, request.url.path, body)
    if keyed is not None:
        replay = services.idempotent.replay(caller, keyed)
        if replay is not None:
            return to_response(replay)
    work = _recording(write, status, location)
    outcome = await sync_to_thread(services.idempotent.run, caller, keyed, work, replay_checked=True)
    return to_response(outcome)
