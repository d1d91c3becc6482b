"""``/webhooks``: signed webhooks, their secrets and their delivery log (studio plan; owners and admins)."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter

from hours_core.services import ChangeWebhook, CreateWebhook, Services
from hours_core.services.caller import Caller
from hours_core.subscriptions import MAX_WEBHOOKS, DeliveryId, WebhookId
from hours_http.body import PendingBody, StrictJson
from hours_http.converter import command_from, delivery_json, webhook_json
from hours_http.cursors import Cursors
from hours_http.openapi import IdempotencyKeyHeader, Reason, documented
from hours_http.query import STRICT_QUERY
from hours_http.responses import Writer, json_response, look_up
from hours_http.wire import (
    CreateWebhookBody,
    DeliveryEnvelope,
    DeliveryListEnvelope,
    UpdateWebhookBody,
    WebhookEnvelope,
    WebhookListEnvelope,
    WebhookWithSecretEnvelope,
)

__all__ = ["WebhookController"]

_PLAN = Reason(
    "plan_required", "the organization's plan lacks webhooks: `requiredPlan` studio, `feature` webhooks"
)
_MANAGERS_ONLY = Reason("forbidden", "members may not manage webhooks: owners and admins only")
_NO_WEBHOOK = Reason("not_found", "no such webhook in your organization")
_NO_DELIVERY = Reason("not_found", "no such webhook in your organization, or no such delivery of it")
_INACTIVE = Reason("webhook_inactive", "the webhook is not active; set `active` to true first")
_WRONG_QUERY = Reason(
    "validation_failed",
    "a query parameter is unknown or has a wrong value, or `cursor` is not one this endpoint returned "
    "for this webhook; `fields` names each",
)
_GATES = (_PLAN, _MANAGERS_ONLY)


class WebhookController(Controller):
    """Webhooks: hours POSTs each event to your URL, signed (docs/webhooks.md)."""

    path = "/webhooks"
    opt = STRICT_QUERY
    tags = ["Webhooks"]  # noqa: RUF012 (Litestar declares it as an instance attribute)

    @post(
        "/",
        summary="Create a webhook",
        dto=StrictJson[CreateWebhookBody],
        return_dto=None,
        status_code=201,
        **documented(
            *_GATES,
            Reason(
                "validation_failed",
                "a body field is wrong (a URL that is not https, names a local host or an internal address; "
                "an unknown event type), or a query parameter unknown; `fields` names each",
            ),
            Reason(
                "too_many_webhooks",
                f"the organization has {MAX_WEBHOOKS} webhooks (active or not), the most it may have; delete "
                "one first",
            ),
            body=True,
            idempotent=True,
            location="/webhooks/{id}",
        ),
    )
    async def create_webhook(
        self,
        caller: NamedDependency[Caller],
        services: NamedDependency[Services],
        writer: NamedDependency[Writer],
        data: JSONBody[PendingBody[CreateWebhookBody]],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[WebhookWithSecretEnvelope]:
        """Owners and admins, studio plan or higher: a webhook for `events` (`["*"]`: every event) at
        `url`. The answer holds the signing `secret`, shown this once: store it now. `active` defaults to
        true, `description` to empty. An organization may have at most 20 webhooks, active or not; the
        21st is 422 `too_many_webhooks` until you delete one.
        """

        def create() -> dict[str, Any]:
            webhook = services.webhooks.create(caller, command_from(data.decode(), CreateWebhook))
            return webhook_json(webhook, with_secret=True)

        return await writer(create, body=data, key=idempotency_key)

    @get("/", summary="List webhooks", sync_to_thread=True, **documented(*_GATES))
    def list_webhooks(
        self, caller: NamedDependency[Caller], services: NamedDependency[Services]
    ) -> Response[WebhookListEnvelope]:
        """Your organization's webhooks, oldest first, without their secrets."""
        return json_response([webhook_json(webhook) for webhook in services.webhooks.list(caller)])

    @get("/{webhook_id:uuid}", summary="Get a webhook", **documented(*_GATES, _NO_WEBHOOK))
    async def get_webhook(
        self,
        request: Request[Any, Any, Any],
        webhook_id: FromPath[UUID],
        caller: NamedDependency[Caller],
        services: NamedDependency[Services],
    ) -> Response[WebhookEnvelope]:
        """One webhook, without its secret; `disabledReason` says why hours turned it off, if it did."""

        def read() -> Response[Any]:
            return json_response(webhook_json(services.webhooks.get(caller, WebhookId(webhook_id))))

        return await look_up(request, read)

    @patch(
        "/{webhook_id:uuid}",
        summary="Change a webhook",
        dto=StrictJson[UpdateWebhookBody],
        return_dto=None,
        **documented(*_GATES, _NO_WEBHOOK, body=True, idempotent=True),
    )
    async def update_webhook(
        self,
        webhook_id: FromPath[UUID],
        caller: NamedDependency[Caller],
        services: NamedDependency[Services],
        writer: NamedDependency[Writer],
        data: JSONBody[PendingBody[UpdateWebhookBody]],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[WebhookEnvelope]:
        """Change `url`, `events`, `description` or `active`; send only what changes. Setting `active` to
        true on a webhook hours turned off clears `disabledAt` and `disabledReason`, and its queue resumes
        where it stopped.
        """

        def change() -> dict[str, Any]:
            command = command_from(data.decode(), ChangeWebhook)
            if command.events is not None:
                command = ChangeWebhook(
                    url=command.url,
                    events=tuple(command.events),
                    description=command.description,
                    active=command.active,
                )
            return webhook_json(services.webhooks.change(caller, WebhookId(webhook_id), command))

        return await writer(change, body=data, key=idempotency_key)

    @delete(
        "/{webhook_id:uuid}", summary="Delete a webhook", status_code=204, **documented(*_GATES, _NO_WEBHOOK)
    )
    async def delete_webhook(
        self,
        webhook_id: FromPath[UUID],
        caller: NamedDependency[Caller],
        services: NamedDependency[Services],
        writer: NamedDependency[Writer],
    ) -> None:
        """Delete the webhook and its delivery log; nothing more is sent to it."""

        def remove() -> None:
            services.webhooks.delete(caller, WebhookId(webhook_id))

        await writer(remove)

    @post(
        "/{webhook_id:uuid}/rotate-secret",
        summary="Rotate a webhook's signing secret",
        status_code=200,
        **documented(*_GATES, _NO_WEBHOOK, idempotent=True),
    )
    async def rotate_secret(
        self,
        webhook_id: FromPath[UUID],
        caller: NamedDependency[Caller],
        services: NamedDependency[Services],
        writer: NamedDependency[Writer],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[WebhookWithSecretEnvelope]:
        """A new signing `secret`, shown this once. For the next 24 hours (`previousSecretExpiresAt`) every
        delivery is signed with both secrets (two `v1` in `Hours-Signature`); a secret replaced before
        stops signing at once. Takes no body.
        """

        def rotate() -> dict[str, Any]:
            return webhook_json(
                services.webhooks.rotate_secret(caller, WebhookId(webhook_id)), with_secret=True
            )

        return await writer(rotate, key=idempotency_key)

    @get(
        "/{webhook_id:uuid}/deliveries",
        summary="List a webhook's deliveries",
        sync_to_thread=True,
        **documented(*_GATES, _NO_WEBHOOK, _WRONG_QUERY),
    )
    def list_deliveries(
        self,
        webhook_id: FromPath[UUID],
        caller: NamedDependency[Caller],
        services: NamedDependency[Services],
        cursors: NamedDependency[Cursors],
        limit: Annotated[int, QueryParameter(ge=1, le=100, description="Page size, 1 to 100.")] = 50,
        cursor: Annotated[
            str | None, QueryParameter(max_length=512, description="The `nextCursor` of the previous page.")
        ] = None,
    ) -> Response[DeliveryListEnvelope]:
        """The webhook's deliveries, newest first: each event (or ping) queued for it, its `status`
        (`pending`, `delivered`, `failed`), `attempt` (attempts made), and the last attempt's
        `responseCode`, `durationMs` and `error`. Finished deliveries are kept 30 days. Pass `nextCursor`
        back as `cursor`, as it is; `null` means the last page. A cursor this API did not return, or one
        of another webhook's log, is 422.
        """
        listing = f"deliveries:{webhook_id}"  # a cursor of one webhook's log is refused on another's
        before = None if cursor is None else cursors.decode_events(cursor, listing=listing)
        page = services.webhooks.deliveries(caller, WebhookId(webhook_id), limit=limit, before=before)
        next_cursor = (
            None if page.next_before is None else cursors.encode_events(page.next_before, listing=listing)
        )
        return json_response([delivery_json(d) for d in page.deliveries], nextCursor=next_cursor)

    @get(
        "/{webhook_id:uuid}/deliveries/{delivery_id:uuid}",
        summary="Get a delivery",
        **documented(*_GATES, _NO_DELIVERY),
    )
    async def get_delivery(
        self,
        request: Request[Any, Any, Any],
        webhook_id: FromPath[UUID],
        delivery_id: FromPath[UUID],
        caller: NamedDependency[Caller],
        services: NamedDependency[Services],
    ) -> Response[DeliveryEnvelope]:
        """One delivery of the webhook."""

        def read() -> Response[Any]:
            found = services.webhooks.get_delivery(caller, WebhookId(webhook_id), DeliveryId(delivery_id))
            return json_response(delivery_json(found))

        return await look_up(request, read)

    @post(
        "/{webhook_id:uuid}/deliveries/{delivery_id:uuid}/redeliver",
        summary="Redeliver an event",
        status_code=202,
        **documented(*_GATES, _NO_DELIVERY, _INACTIVE, idempotent=True),
    )
    async def redeliver(
        self,
        webhook_id: FromPath[UUID],
        delivery_id: FromPath[UUID],
        caller: NamedDependency[Caller],
        services: NamedDependency[Services],
        writer: NamedDependency[Writer],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[DeliveryEnvelope]:
        """Queue the delivery's event again, at the end of the webhook's queue: a new delivery (answered
        here, `pending`) with the same `Hours-Event-Id`, type and body, signed when it is sent. Takes no
        body.
        """

        def again() -> dict[str, Any]:
            queued = services.webhooks.redeliver(caller, WebhookId(webhook_id), DeliveryId(delivery_id))
            return delivery_json(queued)

        return await writer(again, key=idempotency_key)

    @post(
        "/{webhook_id:uuid}/ping",
        summary="Send a test delivery",
        status_code=202,
        **documented(*_GATES, _NO_WEBHOOK, _INACTIVE, idempotent=True),
    )
    async def ping(
        self,
        webhook_id: FromPath[UUID],
        caller: NamedDependency[Caller],
        services: NamedDependency[Services],
        writer: NamedDependency[Writer],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[DeliveryEnvelope]:
        """Queue a `ping` delivery (`Hours-Event-Type: ping`), sent whatever the webhook subscribes to, in
        its turn after the deliveries queued before it. The answer is the queued delivery; follow it in
        the delivery log. Takes no body.
        """

        def queue() -> dict[str, Any]:
            return delivery_json(services.webhooks.ping(caller, WebhookId(webhook_id)))

        return await writer(queue, key=idempotency_key)
