"""Building responses: JSON bodies, single-row lookups, and the one way every write runs.

Where a read runs is decided once, by the composition root (``create_app(reads_in_thread=...)``,
from ``OpenedStore.reads_are_local``), and kept in the app state: :func:`look_up` and
:class:`Writer` both read it there. Writes run off the event loop as ``create_app(run_write=...)``
says: in a worker thread by default, or on the one writer thread of a SQLite store.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any, TypeVar

from litestar import MediaType, Request, Response
from litestar.concurrency import sync_to_thread
from litestar.di import NamedDependency

from hours_core.services import Caller, KeyedRequest, Outcome, Services
from hours_core.write_warnings import WriteWarning, collecting
from hours_http.body import PendingBody
from hours_http.converter import encode_data
from hours_http.errors import respelled
from hours_http.idempotency import keyed_request, recorded, to_response
from hours_http.openapi import ETAG, LOCATION
from hours_http.preconditions import ETAG_HEADER, EntityTags, entity_tag, not_modified
from hours_http.replays import LOOKED_UP

__all__ = [
    "READS_IN_THREAD",
    "RUN_WRITE",
    "RunWrite",
    "Writer",
    "json_response",
    "look_up",
    "provide_writer",
    "versioned_response",
]

READS_IN_THREAD = "reads_in_thread"
"""The app state key of :func:`hours_http.create_app`'s ``reads_in_thread``."""

RUN_WRITE = "run_write"
"""The app state key of :func:`hours_http.create_app`'s ``run_write``."""

_T = TypeVar("_T")

RunWrite = Callable[[Callable[[], Any]], Awaitable[Any]]
"""How the app runs a write off the event loop: ``await run_write(work)`` returns ``work()``'s
result. The default is a worker thread (Litestar's executor); a store with one writer offers
a queue that one thread drains (SQLite's :class:`~hours_sqlite.WriteQueue`)."""


def json_response(data: object, *, status: int = 200, **extra: object) -> Response[Any]:
    """``{"data": data, **extra}`` with the given status."""
    return Response(encode_data(data, **extra), status_code=status, media_type=MediaType.JSON)


def versioned_response(document: dict[str, Any], if_none_match: EntityTags | None = None) -> Response[Any]:
    """``{"data": document}`` with the ``ETag`` of ``document["version"]``; or, when
    ``if_none_match`` names that version, the 304 that answers it (the ``ETag``, no body)."""
    version: int = document["version"]
    headers = {ETAG_HEADER: entity_tag(version)}
    if not_modified(if_none_match, version):
        return Response(None, status_code=304, headers=headers)
    return Response(encode_data(document), media_type=MediaType.JSON, headers=headers)


def _reads_in_thread(request: Request[Any, Any, Any]) -> bool:
    return bool(request.app.state.get(READS_IN_THREAD, True))


async def in_a_worker_thread(work: Callable[[], _T]) -> _T:
    """The default :data:`RunWrite`: ``work`` in Litestar's executor."""
    return await sync_to_thread(work)


async def look_up(request: Request[Any, Any, Any], read: Callable[[], Response[Any]]) -> Response[Any]:
    """Answer with ``read``, a lookup of one row by its key: on the event loop when the app reads
    there (``create_app(reads_in_thread=False)``, a local store), else in a worker thread.

    Only for single-row reads: a page of entries decodes up to 500 rows, which would hold up every
    other request on the loop, so lists always run in a thread.
    """
    if _reads_in_thread(request):
        return await sync_to_thread(read)
    return read()


class Writer:
    """The one way a write route runs its use case; handlers get it as the ``writer`` dependency.

    ``await writer(work, body=data, key=idempotency_key)``: ``work`` calls one use case and returns
    its JSON-ready result (``None`` for a 204). With a key, the claim, ``work`` and the recorded
    response commit in one write transaction off the loop, as the app runs writes
    (``create_app(run_write=...)``: a worker thread, or SQLite's writer thread)
    (:class:`~hours_core.services.IdempotentRunner`). There is no lookup before it: the replays the
    process remembers were answered before the route (:mod:`hours_http.replays`), and the claim
    answers any other replay, which saves every create a read transaction that would find nothing.
    Without one (no header, or a route that takes none: DELETE, ``POST /tokens``), ``work`` runs
    in that same transaction, unrecorded. The status is the route's; a route declared with a
    ``location`` (see :func:`hours_http.openapi.documented`) answers ``Location`` built from the
    result's ``id``, and one declared with ``etag`` answers the ``ETag`` of the result's ``version``.
    Warnings the use case passed on (:mod:`hours_core.write_warnings`) become the body's
    ``warnings`` (left out when there are none), recorded like the rest for a replay.
    """

    def __init__(self, request: Request[Any, Any, Any], services: Services, caller: Caller) -> None:
        self._request = request
        self._services = services
        self._caller = caller

    async def __call__(
        self,
        work: Callable[[], object],
        *,
        body: PendingBody[Any] | None = None,
        key: str | None = None,
        unbounded: bool = False,
    ) -> Response[Any]:
        """Run ``work`` once per ``key`` and answer with its recorded response (or its replay).

        ``unbounded``: ``work`` may change any number of rows, whatever the request holds (an
        import's undo, a rates reapply over a year): it runs in a worker thread of its own, never
        in SQLite's write queue, whose group transactions keep their savepoints' journal in memory
        (a copy of every page a work changes: about 1 GB for the undo of a 100,000-row import); in
        its own thread it keeps the journal in a file, as an import does."""
        request, runner = self._request, self._services.idempotent
        keyed: KeyedRequest | None = request.scope.get(LOOKED_UP)  # type: ignore[assignment]
        if keyed is None:
            keyed = keyed_request(key, request.method, request.url.path, body)
        run_write: RunWrite = (
            in_a_worker_thread if unbounded else self._request.app.state.get(RUN_WRITE) or in_a_worker_thread
        )
        outcome: Outcome = await run_write(partial(runner.run, self._caller, keyed, self._recording(work)))
        return to_response(outcome)

    def _recording(self, work: Callable[[], object]) -> Callable[[], bytes]:
        """``work`` as the work of ``IdempotentRunner.run``: its result as the response to record."""
        handler = self._request.route_handler
        status = handler.status_code
        template: str | None = handler.opt.get(LOCATION)
        tagged = bool(handler.opt.get(ETAG))

        def run() -> bytes:
            with collecting() as warnings:
                result = work()
            if result is None:
                return recorded(status, b"")
            where = None if template is None else template.format(id=result["id"])  # type: ignore[index]
            etag = entity_tag(result["version"]) if tagged else None  # type: ignore[index]
            extra = {"warnings": [warning_json(each) for each in warnings]} if warnings else {}
            return recorded(status, encode_data(result, **extra), location=where, etag=etag)

        return run


def warning_json(warning: WriteWarning) -> dict[str, Any]:
    """A warning as the body's ``warnings`` list holds it: ``code``, ``message`` and its details,
    named by the naming rule (:class:`~hours_http.wire.WarningOut`)."""
    return {"code": warning.code, "message": warning.message, **respelled(warning.details)}


def provide_writer(
    request: Request[Any, Any, Any], services: NamedDependency[Services], caller: NamedDependency[Caller]
) -> Writer:
    """The ``writer`` dependency of write routes (resolved after ``caller``, which follows ``services``)."""
    return Writer(request, services, caller)
