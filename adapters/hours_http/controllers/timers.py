"""``/timers``: start, read and stop the caller's running entry."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from hours_core.model import ProjectId, TaskId
from hours_core.services import Caller, Services, StartTimer
from hours_http.body import PendingBody, StrictJson
from hours_http.encoding import time_entry_json
from hours_http.openapi import IdempotencyKeyHeader, OptionalBodyOperation, error_responses
from hours_http.query import STRICT_QUERY
from hours_http.responses import idempotent_write, json_response
from hours_http.wire import StartTimerBody, StopTimerBody, TimeEntryEnvelope

__all__ = ["TimerController"]


class TimerController(Controller):
    """Timers: a running entry has `startedAt` and no `stoppedAt`; one runs per user."""

    path = "/timers"
    opt = STRICT_QUERY
    tags = ["Timers"]  # noqa: RUF012 (Litestar declares it as an instance attribute)

    @post(
        "/",
        summary="Start a timer",
        dto=StrictJson[StartTimerBody],
        return_dto=None,
        status_code=201,
        sync_to_thread=True,
        responses=error_responses(400, 401, 402, 404, 409, 413, 415, 422, 500),
    )
    def start_timer(
        self,
        request: Request[Any, Any, Any],
        caller: NamedDependency[Caller],
        services: NamedDependency[Services],
        data: JSONBody[PendingBody[StartTimerBody]],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[TimeEntryEnvelope]:
        """Start a running entry now. If one is running already: 409 `timer_already_running` naming it,
        unless `"stopRunning": true`, which stops it at the same instant. `entryDate` defaults to today (UTC).
        """

        def start() -> dict[str, Any]:
            body = data.decode()
            entry = services.entries.start_timer(
                caller,
                StartTimer(
                    project_id=ProjectId(body.projectId),
                    task_id=None if body.taskId is None else TaskId(body.taskId),
                    note=body.note,
                    billable=body.billable,
                    entry_date=body.entryDate,
                    stop_running=bool(body.stopRunning),
                ),
            )
            return time_entry_json(entry, services.clock.now())

        return idempotent_write(
            request,
            services,
            caller,
            idempotency_key,
            data,
            start,
            status=201,
            location=lambda entry: f"/time-entries/{entry['id']}",
        )

    @get(
        "/current",
        summary="Get the running timer",
        sync_to_thread=True,
        responses=error_responses(401, 404, 500),
    )
    def current_timer(
        self, caller: NamedDependency[Caller], services: NamedDependency[Services]
    ) -> Response[TimeEntryEnvelope]:
        """Your running entry, with `durationSeconds` counting the seconds so far; 404 when none runs."""
        entry = services.entries.current_timer(caller)
        return json_response(time_entry_json(entry, services.clock.now()))

    @post(
        "/current/stop",
        summary="Stop the running timer",
        operation_class=OptionalBodyOperation,
        dto=StrictJson[StopTimerBody],
        return_dto=None,
        status_code=200,
        sync_to_thread=True,
        responses=error_responses(409, 400, 401, 404, 413, 415, 422, 500),
    )
    def stop_timer(
        self,
        request: Request[Any, Any, Any],
        caller: NamedDependency[Caller],
        services: NamedDependency[Services],
        idempotency_key: IdempotencyKeyHeader = None,
        data: JSONBody[PendingBody[StopTimerBody] | None] = None,
    ) -> Response[TimeEntryEnvelope]:
        """Stop your running entry now, or at `stoppedAt` (not in the future, not before the start); its
        `durationSeconds` becomes fixed. The body is optional. Stopping twice with the same
        `Idempotency-Key` replays the first answer.
        """

        def stop() -> dict[str, Any]:
            body = None if data is None else data.decode_optional()
            stopped_at = None if body is None else body.stoppedAt
            entry = services.entries.stop_timer(caller, stopped_at)
            return time_entry_json(entry, services.clock.now())

        return idempotent_write(request, services, caller, idempotency_key, data, stop)
