"""``/timesheets``: a user's week, submitted for approval (agency plan, feature ``approvals``).

A member creates and submits their own; owners and admins anyone's, and they approve, reject and
reopen. While a timesheet is submitted or approved, its user's entries of its week are locked.
Creating, submitting and approving need ``approvals``; reading, rejecting and reopening work on
every plan (the list: once the organization has timesheets), so that a week locked before a
downgrade can still be found and opened again.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter

from hours_core.model import UserId
from hours_core.services import Caller, CreateTimesheet, Services
from hours_core.timesheets import TimesheetId, TimesheetQuery, TimesheetStatus
from hours_http.body import PendingBody, StrictJson
from hours_http.converter import timesheet_json
from hours_http.cursors import id_cursor
from hours_http.openapi import IdempotencyKeyHeader, Reason, documented
from hours_http.query import STRICT_QUERY
from hours_http.responses import Writer, json_response, look_up
from hours_http.wire import (
    CreateTimesheetBody,
    RejectTimesheetBody,
    TimesheetEnvelope,
    TimesheetListEnvelope,
)

__all__ = ["TimesheetController"]

_PLAN = Reason("plan_required", "timesheets need agency (`approvals`)")
_NO_TIMESHEET = Reason(
    "not_found",
    "no such timesheet that you may see (members see their own; a `timesheet_id` that is not a UUID "
    "matches no route)",
)
_MANAGERS_ONLY = Reason(
    "forbidden", "members may not do this (not even to their own): owners and admins only"
)
_TRANSITION = "invalid_transition"


def _transition(text: str) -> Reason:
    return Reason(_TRANSITION, f"{text}; `currentStatus` says the timesheet's status")


class TimesheetController(Controller):
    """Timesheets: a user's week, submitted, then approved or rejected."""

    path = "/timesheets"
    opt = STRICT_QUERY
    tags = ["Timesheets"]  # noqa: RUF012 (Litestar declares it as an instance attribute)

    @post(
        "/",
        summary="Create a timesheet",
        dto=StrictJson[CreateTimesheetBody],
        return_dto=None,
        status_code=201,
        **documented(
            _PLAN,
            Reason("forbidden", "members may create only their own timesheets"),
            Reason("not_found", "the user the body names is not in your organization"),
            Reason(
                "conflict",
                "the user has a timesheet for this week already; `timesheetId` names it",
            ),
            body=True,
            idempotent=True,
            location="/timesheets/{id}",
        ),
    )
    async def create_timesheet(
        self,
        caller: NamedDependency[Caller],
        services: NamedDependency[Services],
        writer: NamedDependency[Writer],
        data: JSONBody[PendingBody[CreateTimesheetBody]],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[TimesheetEnvelope]:
        """A draft timesheet of `userId`'s week (left out: yours) that starts on `weekStart`, which must
        be the first day of a week by the organization's `weekStart` (`GET /org`; 422 otherwise). One per
        user and week: a second is 409 `conflict` with the existing one's `timesheetId`."""

        def create() -> dict[str, Any]:
            body = data.decode()
            user_id = None if body.userId is None else UserId(body.userId)
            command = CreateTimesheet(week_start=body.weekStart, user_id=user_id)
            return timesheet_json(services.timesheets.create_timesheet(caller, command))

        return await writer(create, body=data, key=idempotency_key)

    @get(
        "/",
        summary="List timesheets",
        sync_to_thread=True,
        **documented(
            Reason("plan_required", "below agency, for an organization that never had a timesheet"),
            Reason("forbidden", "a member filtered by another user (`userId`)"),
            Reason(
                "validation_failed",
                "a query parameter is unknown or has a wrong value, `to` is earlier than `from`, or "
                "`cursor` is not the id of a timesheet you see; `fields` names each",
            ),
        ),
    )
    def list_timesheets(
        self,
        caller: NamedDependency[Caller],
        services: NamedDependency[Services],
        status: Annotated[
            Literal["draft", "submitted", "approved", "rejected"] | None,
            QueryParameter(description="Timesheets in this status."),
        ] = None,
        user_id: Annotated[
            UUID | None, QueryParameter(name="userId", description="Timesheets of this user.")
        ] = None,
        date_from: Annotated[
            dt.date | None,
            QueryParameter(name="from", description="Timesheets whose week ends on or after this day."),
        ] = None,
        date_to: Annotated[
            dt.date | None,
            QueryParameter(name="to", description="Timesheets whose week starts on or before this day."),
        ] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=500, description="Page size, 1 to 500.")] = 100,
        cursor: Annotated[
            str | None, QueryParameter(max_length=64, description="The `nextCursor` of the previous page.")
        ] = None,
    ) -> Response[TimesheetListEnvelope]:
        """A page of the timesheets that match, newest week first (then by user): members see their
        own, owners and admins the organization's. `from` and `to` keep the weeks that overlap the
        range. Pass `nextCursor` back as `cursor`, with the same filters, for the next page. Below
        agency the list answers an organization that has timesheets (from before a downgrade) and is
        402 for one that never had any."""
        query = TimesheetQuery(
            status=None if status is None else TimesheetStatus(status),
            user_id=None if user_id is None else UserId(user_id),
            date_from=date_from,
            date_to=date_to,
        )
        after = None if cursor is None else TimesheetId(id_cursor(cursor))
        page = services.timesheets.list_timesheets(caller, query, after=after, limit=limit)
        next_cursor = None if page.next is None else str(page.next)
        return json_response([timesheet_json(view) for view in page.timesheets], nextCursor=next_cursor)

    @get("/{timesheet_id:uuid}", summary="Get a timesheet", **documented(_NO_TIMESHEET))
    async def get_timesheet(
        self,
        request: Request[Any, Any, Any],
        timesheet_id: FromPath[UUID],
        caller: NamedDependency[Caller],
        services: NamedDependency[Services],
    ) -> Response[TimesheetEnvelope]:
        """One timesheet with its totals, as they are now (on every plan)."""

        def read() -> Response[Any]:
            view = services.timesheets.get_timesheet(caller, TimesheetId(timesheet_id))
            return json_response(timesheet_json(view))

        return await look_up(request, read)

    @post(
        "/{timesheet_id:uuid}/submit",
        summary="Submit a timesheet",
        status_code=200,
        **documented(
            _PLAN,
            _NO_TIMESHEET,
            _transition("only a draft or rejected timesheet can be submitted"),
            Reason("conflict", "a timer of the timesheet's user is running in its week; stop it first"),
            idempotent=True,
        ),
    )
    async def submit_timesheet(
        self,
        timesheet_id: FromPath[UUID],
        caller: NamedDependency[Caller],
        services: NamedDependency[Services],
        writer: NamedDependency[Writer],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[TimesheetEnvelope]:
        """Submit the week for approval: its user's entries of the week lock (409 `entry_locked`,
        `lock.reason` `submitted`). A member submits their own; owners and admins anyone's. Takes no body."""

        def submit() -> dict[str, Any]:
            return timesheet_json(services.timesheets.submit(caller, TimesheetId(timesheet_id)))

        return await writer(submit, key=idempotency_key)

    @post(
        "/{timesheet_id:uuid}/approve",
        summary="Approve a timesheet",
        status_code=200,
        **documented(
            _PLAN,
            _NO_TIMESHEET,
            _MANAGERS_ONLY,
            _transition("only a submitted timesheet can be approved"),
            idempotent=True,
        ),
    )
    async def approve_timesheet(
        self,
        timesheet_id: FromPath[UUID],
        caller: NamedDependency[Caller],
        services: NamedDependency[Services],
        writer: NamedDependency[Writer],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[TimesheetEnvelope]:
        """Owners and admins: approve a submitted timesheet. Its entries stay locked (`lock.reason`
        `approved`) until an owner or admin reopens it. Takes no body."""

        def approve() -> dict[str, Any]:
            return timesheet_json(services.timesheets.approve(caller, TimesheetId(timesheet_id)))

        return await writer(approve, key=idempotency_key)

    @post(
        "/{timesheet_id:uuid}/reject",
        summary="Reject a timesheet",
        dto=StrictJson[RejectTimesheetBody],
        return_dto=None,
        status_code=200,
        **documented(
            _NO_TIMESHEET,
            _MANAGERS_ONLY,
            _transition("only a submitted timesheet can be rejected"),
            body=True,
            idempotent=True,
        ),
    )
    async def reject_timesheet(
        self,
        timesheet_id: FromPath[UUID],
        caller: NamedDependency[Caller],
        services: NamedDependency[Services],
        writer: NamedDependency[Writer],
        data: JSONBody[PendingBody[RejectTimesheetBody]],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[TimesheetEnvelope]:
        """Owners and admins, on every plan: reject a submitted timesheet with a `reason` (1 to 1,000
        characters). Its entries open again; its user fixes them and submits again."""

        def reject() -> dict[str, Any]:
            body = data.decode()
            return timesheet_json(services.timesheets.reject(caller, TimesheetId(timesheet_id), body.reason))

        return await writer(reject, body=data, key=idempotency_key)

    @post(
        "/{timesheet_id:uuid}/reopen",
        summary="Reopen a timesheet",
        status_code=200,
        **documented(
            _NO_TIMESHEET,
            _MANAGERS_ONLY,
            _transition("only a submitted or approved timesheet can be reopened"),
            idempotent=True,
        ),
    )
    async def reopen_timesheet(
        self,
        timesheet_id: FromPath[UUID],
        caller: NamedDependency[Caller],
        services: NamedDependency[Services],
        writer: NamedDependency[Writer],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[TimesheetEnvelope]:
        """Owners and admins, on every plan: take a submitted or approved timesheet back to `draft`,
        withdrawing its submission and decision (`submittedAt`, `submittedBy`, `decidedAt`, `decidedBy`
        are `null` again; the change feed keeps them); its entries open again. Takes no body."""

        def reopen() -> dict[str, Any]:
            return timesheet_json(services.timesheets.reopen(caller, TimesheetId(timesheet_id)))

        return await writer(reopen, key=idempotency_key)
