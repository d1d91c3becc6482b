"""``/time-entries``."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from hours_core.model import ProjectId, TaskId, UserId
from hours_core.services import Caller, CreateTimeEntry, Services
from hours_http.body import PendingBody, StrictJson
from hours_http.encoding import encode_data, time_entry_json
from hours_http.idempotency import keyed_request, recorded, to_response
from hours_http.openapi import IdempotencyKeyHeader, error_responses
from hours_http.wire import CreateTimeEntryBody, TimeEntryEnvelope

__all__ = ["TimeEntryController"]


def create_command(body: CreateTimeEntryBody) -> CreateTimeEntry:
    """The core command for a decoded ``POST /time-entries`` body."""
    return CreateTimeEntry(
        project_id=ProjectId(body.projectId),
        entry_date=body.entryDate,
        duration_seconds=body.durationSeconds,
        duration=None if body.durationSeconds is not None else body.duration,
        task_id=None if body.taskId is None else TaskId(body.taskId),
        billable=body.billable,
        note=body.note,
        started_at=body.startedAt,
        stopped_at=body.stoppedAt,
        user_id=None if body.userId is None else UserId(body.userId),
    )


class TimeEntryController(Controller):
    """Time entries: the time one user spent on one project on one day."""

    path = "/time-entries"
    tags = ["Time entries"]  # noqa: RUF012 (Litestar declares it as an instance attribute)

    @post(
        "/",
        summary="Create a time entry",
        dto=StrictJson[CreateTimeEntryBody],
        return_dto=None,
        status_code=201,
        sync_to_thread=True,
        responses=error_responses(400, 401, 402, 403, 404, 409, 413, 415, 422, 500),
        response_headers=None,
    )
    def create_time_entry(
        self,
        request: Request[Any, Any, Any],
        caller: NamedDependency[Caller],
        services: NamedDependency[Services],
        data: JSONBody[PendingBody[CreateTimeEntryBody]],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[TimeEntryEnvelope]:
        """Log time on a project. Send exactly one of `durationSeconds` (an integer) or `duration`
        (a string such as `1h30m`, `1:30`, `90m`, `1.5h`); if both are sent, `durationSeconds` wins.

        Checks run in this order: authentication, the idempotency key and replay, JSON decoding and
        validation, existence in your organization, your role, your plan.
        """
        keyed = keyed_request(idempotency_key, "POST", request.url.path, data)

        def create() -> Any:
            entry = services.entries.create_time_entry(caller, create_command(data.decode()))
            body = encode_data(time_entry_json(entry, services.clock.now()))
            return recorded(201, body, location=f"/time-entries/{entry.id}")

        return to_response(services.idempotent.run(caller, keyed, create))
