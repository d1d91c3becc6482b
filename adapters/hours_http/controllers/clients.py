"""``/clients``: owners and admins write, members read; clients are on every plan."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from hours_core.model import ClientId
from hours_core.services import Caller, ChangeClient, Services
from hours_http.body import PendingBody, StrictJson
from hours_http.converter import client_json, command_from
from hours_http.openapi import IdempotencyKeyHeader, Reason, documented
from hours_http.preconditions import IfMatchHeader, IfNoneMatchHeader, if_match_versions, if_none_match_tags
from hours_http.query import STRICT_QUERY
from hours_http.responses import Writer, json_response, look_up, versioned_response
from hours_http.wire import ClientEnvelope, ClientListEnvelope, CreateClientBody, UpdateClientBody

__all__ = ["ClientController"]

_NO_CLIENT = Reason(
    "not_found", "no such client in your organization (a `client_id` that is not a UUID matches no route)"
)
_MANAGERS_ONLY = Reason("forbidden", "members may not do this: owners and admins only")
_BILLABLE_DEFAULT = Reason("plan_required", "`billableByDefault: true` needs solo (`billable_time`)")


class ClientController(Controller):
    """Clients: whom projects are for, and the currency of their rates."""

    path = "/clients"
    opt = STRICT_QUERY
    tags = ["Clients"]  # noqa: RUF012 (Litestar declares it as an instance attribute)

    @get("/", summary="List clients", sync_to_thread=True, **documented())
    def list_clients(
        self, caller: NamedDependency[Caller], services: NamedDependency[Services]
    ) -> Response[ClientListEnvelope]:
        """The organization's clients, archived ones included, oldest first."""
        return json_response([client_json(c) for c in services.clients.list_clients(caller)])

    @post(
        "/",
        summary="Create a client",
        dto=StrictJson[CreateClientBody],
        return_dto=None,
        status_code=201,
        **documented(
            _BILLABLE_DEFAULT,
            _MANAGERS_ONLY,
            "conflict",
            body=True,
            idempotent=True,
            location="/clients/{id}",
            etag=True,
        ),
    )
    async def create_client(
        self,
        caller: NamedDependency[Caller],
        services: NamedDependency[Services],
        writer: NamedDependency[Writer],
        data: JSONBody[PendingBody[CreateClientBody]],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[ClientEnvelope]:
        """Owners and admins only. `currency` is an ISO 4217 code with a minor unit, in capitals
        (422 otherwise, naming the field)."""

        def create() -> dict[str, Any]:
            body = data.decode()
            client = services.clients.create_client(
                caller, body.name, body.currency, billable_by_default=body.billableByDefault
            )
            return client_json(client)

        return await writer(create, body=data, key=idempotency_key)

    @get(
        "/{client_id:uuid}",
        summary="Get a client",
        **documented(_NO_CLIENT, etag=True, if_none_match=True),
    )
    async def get_client(
        self,
        request: Request[Any, Any, Any],
        client_id: FromPath[UUID],
        caller: NamedDependency[Caller],
        services: NamedDependency[Services],
        if_none_match: IfNoneMatchHeader = None,
    ) -> Response[ClientEnvelope]:
        """One client of your organization, with its `ETag`; 304 if `If-None-Match` names its version."""
        tags = if_none_match_tags(if_none_match)

        def read() -> Response[Any]:
            client = services.clients.get_client(caller, ClientId(client_id))
            return versioned_response(client_json(client), tags)

        return await look_up(request, read)

    @patch(
        "/{client_id:uuid}",
        summary="Change a client",
        dto=StrictJson[UpdateClientBody],
        return_dto=None,
        **documented(
            _BILLABLE_DEFAULT,
            _MANAGERS_ONLY,
            _NO_CLIENT,
            Reason("conflict", "a new `currency` while rates of the client or its projects exist"),
            body=True,
            idempotent=True,
            etag=True,
            if_match=True,
        ),
    )
    async def update_client(
        self,
        client_id: FromPath[UUID],
        caller: NamedDependency[Caller],
        services: NamedDependency[Services],
        writer: NamedDependency[Writer],
        data: JSONBody[PendingBody[UpdateClientBody]],
        idempotency_key: IdempotencyKeyHeader = None,
        if_match: IfMatchHeader = None,
    ) -> Response[ClientEnvelope]:
        """Rename, archive (`archived: true`), unarchive, change `currency` or `billableByDefault`
        (`null` clears it). An archived client keeps its projects but takes no new ones. With
        `If-Match`, only the version it names changes (412 `precondition_failed` otherwise)."""

        def change() -> dict[str, Any]:
            versions = if_match_versions(if_match)
            change = command_from(data.decode(), ChangeClient)
            client = services.clients.change_client(caller, ClientId(client_id), change, if_match=versions)
            return client_json(client)

        return await writer(change, body=data, key=idempotency_key)
