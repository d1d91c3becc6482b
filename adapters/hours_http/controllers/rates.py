"""``/rates``: hourly rates, for owners and admins only (reads included), on plan solo
(feature ``billable_rates``)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from hours_core.model import ClientId, ProjectId, RateId, RateScope, UserId
from hours_core.services import Caller, CreateRate, ReapplyRates, Services
from hours_http.body import PendingBody, StrictJson
from hours_http.converter import rate_json, reapply_json
from hours_http.openapi import IdempotencyKeyHeader, Reason, documented
from hours_http.query import STRICT_QUERY
from hours_http.responses import Writer, json_response, look_up
from hours_http.wire import (
    CreateRateBody,
    RateEnvelope,
    RateListEnvelope,
    ReapplyRatesBody,
    ReapplyResultEnvelope,
)

__all__ = ["RateController"]

_PLAN = Reason("plan_required", "rates need solo (`billable_rates`)")
_MANAGERS_ONLY = Reason("forbidden", "members may not do this: owners and admins only")
_NO_RATE = Reason(
    "not_found", "no such rate in your organization (a `rate_id` that is not a UUID matches no route)"
)


class RateController(Controller):
    """Hourly billable and cost rates, and their reapplication to stored entries."""

    path = "/rates"
    opt = STRICT_QUERY
    tags = ["Rates"]  # noqa: RUF012 (Litestar declares it as an instance attribute)

    @get("/", summary="List rates", sync_to_thread=True, **documented(_PLAN, _MANAGERS_ONLY))
    def list_rates(
        self, caller: NamedDependency[Caller], services: NamedDependency[Services]
    ) -> Response[RateListEnvelope]:
        """Every rate of your organization, oldest first. Owners and admins only (rates include what
        people cost)."""
        return json_response([rate_json(rate) for rate in services.rates.list_rates(caller)])

    @post(
        "/",
        summary="Set a rate",
        dto=StrictJson[CreateRateBody],
        return_dto=None,
        status_code=201,
        **documented(
            _PLAN,
            _MANAGERS_ONLY,
            Reason("not_found", "no such client, project or user in your organization"),
            Reason("conflict", "a rate of the same scope and target already takes effect on `effectiveFrom`"),
            body=True,
            idempotent=True,
            location="/rates/{id}",
        ),
    )
    async def create_rate(
        self,
        caller: NamedDependency[Caller],
        services: NamedDependency[Services],
        writer: NamedDependency[Writer],
        data: JSONBody[PendingBody[CreateRateBody]],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[RateEnvelope]:
        """A rate from `effectiveFrom` on, at one scope. Its currency must be its client's where the
        scope has one (a client rate, or a rate of a project that has a client): 422 on `currency`
        otherwise. Stored entries keep their rate: reapply to re-resolve them."""

        def create() -> dict[str, Any]:
            body = data.decode()
            command = CreateRate(
                scope=RateScope(body.scope),
                effective_from=body.effectiveFrom,
                client_id=None if body.clientId is None else ClientId(body.clientId),
                project_id=None if body.projectId is None else ProjectId(body.projectId),
                user_id=None if body.userId is None else UserId(body.userId),
                billable_rate_minor=body.billableRateMinor,
                cost_rate_minor=body.costRateMinor,
                currency=body.currency,
            )
            return rate_json(services.rates.create_rate(caller, command))

        return await writer(create, body=data, key=idempotency_key)

    @get("/{rate_id:uuid}", summary="Get a rate", **documented(_PLAN, _MANAGERS_ONLY, _NO_RATE))
    async def get_rate(
        self,
        request: Request[Any, Any, Any],
        rate_id: FromPath[UUID],
        caller: NamedDependency[Caller],
        services: NamedDependency[Services],
    ) -> Response[RateEnvelope]:
        """One rate of your organization. Owners and admins only."""

        def read() -> Response[Any]:
            return json_response(rate_json(services.rates.get_rate(caller, RateId(rate_id))))

        return await look_up(request, read)

    @delete(
        "/{rate_id:uuid}",
        summary="Delete a rate",
        status_code=204,
        **documented(_PLAN, _MANAGERS_ONLY, _NO_RATE),
    )
    async def delete_rate(
        self,
        rate_id: FromPath[UUID],
        caller: NamedDependency[Caller],
        services: NamedDependency[Services],
        writer: NamedDependency[Writer],
    ) -> None:
        """Delete a rate for good. Entries that stored it keep their rate until a reapply."""

        def remove() -> None:
            services.rates.delete_rate(caller, RateId(rate_id))

        await writer(remove)

    @post(
        "/reapply",
        summary="Reapply rates to stored entries",
        dto=StrictJson[ReapplyRatesBody],
        return_dto=None,
        status_code=200,
        **documented(_PLAN, _MANAGERS_ONLY, "stale_update", body=True, idempotent=True),
    )
    async def reapply_rates(
        self,
        caller: NamedDependency[Caller],
        services: NamedDependency[Services],
        writer: NamedDependency[Writer],
        data: JSONBody[PendingBody[ReapplyRatesBody]],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[ReapplyResultEnvelope]:
        """Re-resolve the stored rate of every entry dated `from` to `to` (inclusive, at most 366 days
        apart) with today's rates, and report each change (the first 1,000; `truncated` says more).
        Deleted and locked entries (invoiced, on a closed day, or in a submitted or approved
        timesheet's week) are never touched; `dryRun: true` changes nothing."""

        def reapply() -> dict[str, Any]:
            body = data.decode()
            command = ReapplyRates(date_from=body.from_, date_to=body.to, dry_run=body.dryRun)
            return reapply_json(services.rates.reapply_rates(caller, command))

        return await writer(reapply, body=data, key=idempotency_key, unbounded=True)  # a year of entries
