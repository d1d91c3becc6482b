"""``/org``: the caller's organization and its settings."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, patch
from litestar.di import NamedDependency
from litestar.params import JSONBody

from hours_core.services import Caller, ChangeOrg, Services
from hours_http.body import PendingBody, StrictJson
from hours_http.converter import command_from, org_json
from hours_http.openapi import IdempotencyKeyHeader, Reason, documented
from hours_http.query import STRICT_QUERY
from hours_http.responses import Writer, json_response, look_up
from hours_http.wire import OrgEnvelope, UpdateOrgBody

__all__ = ["OrgController"]


class OrgController(Controller):
    """Your organization: its name, plan and settings (time zone, first day of the week)."""

    path = "/org"
    opt = STRICT_QUERY
    tags = ["Organization and team"]  # noqa: RUF012 (Litestar declares it as an instance attribute)

    @get("/", summary="Get your organization", **documented())
    async def get_org(
        self,
        request: Request[Any, Any, Any],
        caller: NamedDependency[Caller],
        services: NamedDependency[Services],
    ) -> Response[OrgEnvelope]:
        """Your organization with its settings. Any role."""

        def read() -> Response[Any]:
            return json_response(org_json(services.team.get_org(caller)))

        return await look_up(request, read)

    @patch(
        "/",
        summary="Change your organization's settings",
        dto=StrictJson[UpdateOrgBody],
        return_dto=None,
        **documented(
            Reason("forbidden", "members may not do this: owners and admins only"),
            Reason(
                "validation_failed",
                "a body field is wrong (a `timezone` that is no IANA time zone name, `plan`, which the "
                "operator sets, or an unknown field), or a query parameter unknown; `fields` names each",
            ),
            body=True,
            idempotent=True,
        ),
    )
    async def update_org(
        self,
        caller: NamedDependency[Caller],
        services: NamedDependency[Services],
        writer: NamedDependency[Writer],
        data: JSONBody[PendingBody[UpdateOrgBody]],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[OrgEnvelope]:
        """Owners and admins: rename the organization, or change its `timezone` (an IANA name such as
        `Europe/Berlin`), `weekStart` (`monday` or `sunday`) or `overlapPolicy` (`allow`, `warn` or
        `reject`: what a write of a time entry that overlaps another of its user's does). Send only
        what changes. The plan is not set here (422): it is the operator's (`hours orgs set-plan`).
        """

        def change() -> dict[str, Any]:
            command = command_from(data.decode(), ChangeOrg)
            return org_json(services.team.change_org(caller, command))

        return await writer(change, body=data, key=idempotency_key)
