"""``/periods``: closed periods. Every member reads; owners and admins lock (studio) and unlock."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from hours_core.services import Caller, Services
from hours_http.body import PendingBody, StrictJson
from hours_http.converter import closed_days_json
from hours_http.openapi import IdempotencyKeyHeader, Reason, documented
from hours_http.query import STRICT_QUERY
from hours_http.responses import Writer, json_response
from hours_http.wire import ClosedDaysEnvelope, PeriodChangeBody

__all__ = ["PeriodController"]

_MANAGERS_ONLY = Reason("forbidden", "members may not do this: owners and admins only")


class PeriodController(Controller):
    """Closed periods: days on which no entry may be written (docs/api.md, "Closed periods")."""

    path = "/periods"
    opt = STRICT_QUERY
    tags = ["Closed periods"]  # noqa: RUF012 (Litestar declares it as an instance attribute)

    @get("/", summary="List closed periods", sync_to_thread=True, **documented())
    def closed_periods(
        self, caller: NamedDependency[Caller], services: NamedDependency[Services]
    ) -> Response[ClosedDaysEnvelope]:
        """The closed periods (each with its reason, who closed it and when), oldest days first, the
        rolling rule (`lockPolicy`) and the last day it closes today (`policyThrough`). Any role."""
        return json_response(closed_days_json(services.periods.closed_days(caller)))

    @post(
        "/lock",
        summary="Close every day up to a date",
        dto=StrictJson[PeriodChangeBody],
        return_dto=None,
        status_code=200,
        **documented(
            Reason("plan_required", "closing periods needs studio (`period_locks`)"),
            _MANAGERS_ONLY,
            body=True,
            idempotent=True,
        ),
    )
    async def lock(
        self,
        caller: NamedDependency[Caller],
        services: NamedDependency[Services],
        writer: NamedDependency[Writer],
        data: JSONBody[PendingBody[PeriodChangeBody]],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[ClosedDaysEnvelope]:
        """Owners and admins: close every open day up to and including `through` (2000-01-01 to
        2100-12-31) for `reason`. Days already closed keep their period and reason. Answers the
        closed periods as `GET /periods` does; writes `period.locked` when anything closed."""

        def lock() -> dict[str, Any]:
            body = data.decode()
            return closed_days_json(services.periods.lock(caller, body.through, body.reason))

        return await writer(lock, body=data, key=idempotency_key)

    @post(
        "/unlock",
        summary="Reopen every day up to a date",
        dto=StrictJson[PeriodChangeBody],
        return_dto=None,
        status_code=200,
        **documented(_MANAGERS_ONLY, body=True, idempotent=True),
    )
    async def unlock(
        self,
        caller: NamedDependency[Caller],
        services: NamedDependency[Services],
        writer: NamedDependency[Writer],
        data: JSONBody[PendingBody[PeriodChangeBody]],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[ClosedDaysEnvelope]:
        """Owners and admins, on any plan: reopen every day up to and including `through`; a closed
        period that runs past it keeps its later days. The rolling rule is not touched (change
        `lockPolicy` with `PATCH /org`). Writes `period.unlocked` when anything reopened."""

        def unlock() -> dict[str, Any]:
            body = data.decode()
            return closed_days_json(services.periods.unlock(caller, body.through, body.reason))

        return await writer(unlock, body=data, key=idempotency_key)
