"""``/timers``: start, read and stop the caller's running entry."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from hours_core.services import Caller, Services, StartTimer
from hours_http.body import PendingBody, StrictJson
from hours_http.converter import command_from, time_entry_json
from hours_http.openapi import IdempotencyKeyHeader, Reason, documented
from hours_http.overrides import override_of
from hours_http.query import STRICT_QUERY
from hours_http.responses import Writer, look_up, versioned_response
from hours_http.wire import StartTimerBody, StopTimerBody, TimeEntryEnvelope, TimeEntryOnlyEnvelope

__all__ = ["TimerController"]

_NO_TIMER = Reason("not_found", "no timer of yours is running")


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
        **documented(
            Reason(
                "plan_required",
                "a billable timer (`billable`, or the project's `billableByDefault`) needs solo "
                "(`billable_time`); a task needs studio (`tasks`)",
            ),
            Reason("not_found", "the project or task the body names is not in your organization"),
            Reason(
                "timer_already_running",
                "a timer of yours is running and `stopRunning` is not `true`; the message names its id",
            ),
            Reason("stale_update", "the running timer that `stopRunning` stops changed concurrently; retry"),
            Reason("conflict", "another timer of yours started concurrently; retry"),
            "entry_overlaps",
            Reason(
                "entry_locked",
                "the timer's `entryDate` is in a closed period, or in a week whose timesheet is submitted "
                "or approved; `lock` says which",
            ),
            Reason("forbidden", "only owners may send `overrideLock`"),
            body=True,
            idempotent=True,
            location="/time-entries/{id}",
            etag=True,
        ),
    )
    async def start_timer(
        self,
        caller: NamedDependency[Caller],
        services: NamedDependency[Services],
        writer: NamedDependency[Writer],
        data: JSONBody[PendingBody[StartTimerBody]],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[TimeEntryEnvelope]:
        """Start a running entry now. If one is running already: 409 `timer_already_running` naming it,
        unless `"stopRunning": true`, which stops it at the same instant. `entryDate` defaults to today (UTC).
        """

        def start() -> dict[str, Any]:
            body = data.decode()
            command = command_from(body, StartTimer)
            entry = services.entries.start_timer(caller, command, override=override_of(body))
            return time_entry_json(entry, services.clock.now())

        return await writer(start, body=data, key=idempotency_key)

    @get("/current", summary="Get the running timer", **documented(_NO_TIMER, etag=True))
    async def current_timer(
        self,
        request: Request[Any, Any, Any],
        caller: NamedDependency[Caller],
        services: NamedDependency[Services],
    ) -> Response[TimeEntryOnlyEnvelope]:
        """Your running entry, with `durationSeconds` counting the seconds so far, and its `ETag`; 404
        when none runs."""

        def read() -> Response[Any]:
            entry = services.entries.current_timer(caller)
            return versioned_response(time_entry_json(entry, services.clock.now()))

        return await look_up(request, read)

    @post(
        "/current/stop",
        summary="Stop the running timer",
        dto=StrictJson[StopTimerBody],
        return_dto=None,
        status_code=200,
        **documented(
            _NO_TIMER,
            Reason("stale_update", "the timer changed concurrently; retry"),
            Reason("invalid_json", "a body was sent and it is not a JSON object"),
            Reason(
                "unsupported_media_type", "a non-empty body sent without `Content-Type: application/json`"
            ),
            Reason("entry_locked", "the timer's `entryDate` is in a closed period; `lock` says which"),
            Reason("forbidden", "only owners may send `overrideLock`"),
            optional_body=True,
            idempotent=True,
            etag=True,
        ),
    )
    async def stop_timer(
        self,
        caller: NamedDependency[Caller],
        services: NamedDependency[Services],
        writer: NamedDependency[Writer],
        idempotency_key: IdempotencyKeyHeader = None,
        data: JSONBody[PendingBody[StopTimerBody] | None] = None,
    ) -> Response[TimeEntryOnlyEnvelope]:
        """Stop your running entry now, or at `stoppedAt` (not in the future, not before the start); its
        `durationSeconds` becomes fixed. The body is optional. Stopping twice with the same
        `Idempotency-Key` replays the first answer.
        """

        def stop() -> dict[str, Any]:
            body = None if data is None else data.decode_optional()
            stopped_at = None if body is None else body.stoppedAt
            entry = services.entries.stop_timer(caller, stopped_at, override=override_of(body))
            return time_entry_json(entry, services.clock.now())

        return await writer(stop, body=data, key=idempotency_key)
