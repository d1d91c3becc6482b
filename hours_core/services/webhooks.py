"""Webhook subscriptions: owners and admins of organizations on the studio plan or higher.

Every use case checks the plan first (``webhooks``, studio: :class:`~hours_core.errors.PlanRequired`)
and the role second (owners and admins: :class:`~hours_core.errors.Forbidden`). The signing secret
is minted here and returned with the webhook on creation and rotation only; the adapter shows it
then and never again.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

import attrs

from hours_core.errors import NotFound, TooManyWebhooks, ValidationFailed, WebhookInactive
from hours_core.events import Event
from hours_core.plans import Feature
from hours_core.ports import Clock, IdFactory, UnitOfWork
from hours_core.services.caller import Caller, allowed_after_existence
from hours_core.services.transactions import Transactions
from hours_core.subscriptions import (
    MAX_WEBHOOKS,
    PING_EVENT_TYPE,
    DeliveryId,
    UrlPolicy,
    Webhook,
    WebhookDelivery,
    WebhookId,
    description_problem,
    event_filter_problem,
)
from hours_core.validation import FieldErrors
from hours_core.webhooks import mint_signing_secret

__all__ = [
    "ChangeWebhook",
    "CreateWebhook",
    "DeliveryPage",
    "EventBodies",
    "NoEventBodies",
    "WebhookService",
    "add_webhook",
]


class EventBodies(Protocol):
    """Writes the bodies of deliveries (the adapter that owns the wire format knows how)."""

    def event(self, event: Event) -> bytes:
        """The JSON body of a delivery of ``event``: the event as the change feed shows it."""
        ...

    def ping(self, event_id: str, webhook: Webhook, at: datetime) -> bytes:
        """The JSON body of a ``ping`` delivery to ``webhook`` with the id ``event_id``, made at ``at``."""
        ...


class NoEventBodies:
    """The :class:`EventBodies` of a store wired without a wire format (the core library used on its
    own): anything that would send a delivery says what to pass instead."""

    def event(self, event: Event) -> bytes:
        """Refuse: deliveries need the adapter's JSON."""
        raise RuntimeError(_NO_BODIES)

    def ping(self, event_id: str, webhook: Webhook, at: datetime) -> bytes:
        """Refuse: deliveries need the adapter's JSON."""
        raise RuntimeError(_NO_BODIES)


_NO_BODIES = (
    "webhook deliveries need their JSON bodies: build the services with "
    "build_services(..., bodies=hours_http.JsonEventBodies())"
)


def add_webhook(uow: UnitOfWork, webhook: Webhook) -> Webhook:
    """Store a new webhook unless its organization has :data:`MAX_WEBHOOKS` already, active or not
    (:class:`TooManyWebhooks`); the stored webhook, which starts at the organization's latest event
    (the events before it existed are not sent to it).

    The count and the insert run under the organization's lock (``FOR NO KEY UPDATE`` on
    PostgreSQL; SQLite and the in-memory store run one writer at a time), as a new token's do, so
    concurrent creations, in one process or many, cannot both take the last slot.
    """
    uow.orgs.lock(webhook.org_id)
    if len(uow.webhooks.list(webhook.org_id)) >= MAX_WEBHOOKS:
        raise TooManyWebhooks(MAX_WEBHOOKS)
    started = attrs.evolve(webhook, event_cursor=uow.events.latest_seq(webhook.org_id))
    uow.webhooks.add(started)
    return started


@attrs.frozen
class CreateWebhook:
    """A new webhook: where to send, which event types (``*``: all), a note, and whether it is on."""

    url: str
    events: tuple[str, ...]
    description: str = ""
    active: bool = True


@attrs.frozen
class ChangeWebhook:
    """Change a webhook; ``None`` keeps a field. Turning it on again clears why hours turned it off."""

    url: str | None = None
    events: tuple[str, ...] | None = None
    description: str | None = None
    active: bool | None = None


@attrs.frozen
class DeliveryPage:
    """A page of a webhook's delivery log, newest first; ``next_before`` continues it (``None``: done)."""

    deliveries: Sequence[WebhookDelivery]
    next_before: int | None


class WebhookService:
    """Create, read, change, delete and rotate webhooks; read their delivery log; ping; redeliver."""

    def __init__(
        self,
        transactions: Transactions,
        clock: Clock,
        ids: IdFactory,
        *,
        policy: UrlPolicy,
        bodies: EventBodies,
    ) -> None:
        self._transactions = transactions
        self._clock = clock
        self._ids = ids
        self._policy = policy
        self._bodies = bodies

    @staticmethod
    def _allowed(caller: Caller) -> None:
        caller.require_feature(Feature.WEBHOOKS)
        caller.require_manager("manage webhooks")

    def _allowed_to(
        self, caller: Caller, webhook_id: WebhookId, delivery_id: DeliveryId | None = None
    ) -> None:
        """:meth:`_allowed`, after the webhook (and the delivery) exists: 404 first, with the body the
        allowed caller would get."""

        def look_up() -> None:
            with self._transactions.read() as uow:
                if delivery_id is None:
                    _webhook(uow, caller, webhook_id)
                else:
                    _delivery(uow, caller, webhook_id, delivery_id)

        allowed_after_existence(lambda: self._allowed(caller), look_up)

    def _check(
        self, errors: FieldErrors, *, url: str | None, events: Sequence[str] | None, description: str | None
    ) -> None:
        if url is not None:
            try:
                self._policy.parse(url)
            except ValidationFailed as refused:
                errors.add("url", refused.problems["url"])
        if events is not None:
            problem = event_filter_problem(events)
            if problem is not None:
                errors.add("events", problem)
        if description is not None:
            problem = description_problem(description)
            if problem is not None:
                errors.add("description", problem)

    def create(self, caller: Caller, command: CreateWebhook) -> Webhook:
        """A new webhook with a new signing secret (in ``secret``: show it to the caller once).

        The plan, the role and the fields are checked first; then an organization that has
        :data:`MAX_WEBHOOKS` webhooks, active or not, gets :class:`TooManyWebhooks` (deleting one
        frees a slot)."""
        self._allowed(caller)
        errors = FieldErrors()
        self._check(errors, url=command.url, events=command.events, description=command.description)
        errors.raise_if_any()
        now = self._clock.now()
        webhook = Webhook(
            id=WebhookId(self._ids.new_id()),
            org_id=caller.org_id,
            url=command.url,
            events=tuple(command.events),
            description=command.description,
            active=command.active,
            created_at=now,
            updated_at=now,
            disabled_at=None,
            disabled_reason=None,
            secret=mint_signing_secret(),
            previous_secret=None,
            previous_secret_expires_at=None,
            event_cursor=0,
            last_position=0,
        )
        with self._transactions.write() as uow:
            return add_webhook(uow, webhook)

    def list(self, caller: Caller) -> Sequence[Webhook]:
        """The organization's webhooks, oldest first."""
        self._allowed(caller)
        with self._transactions.read() as uow:
            return uow.webhooks.list(caller.org_id)

    def get(self, caller: Caller, webhook_id: WebhookId) -> Webhook:
        """One webhook of the organization."""
        self._allowed_to(caller, webhook_id)
        with self._transactions.read() as uow:
            return _webhook(uow, caller, webhook_id)

    def change(self, caller: Caller, webhook_id: WebhookId, command: ChangeWebhook) -> Webhook:
        """The webhook with what ``command`` changes; ``active`` true clears hours' reason for turning
        it off, and its queue resumes where it stopped."""
        self._allowed_to(caller, webhook_id)
        errors = FieldErrors()
        self._check(errors, url=command.url, events=command.events, description=command.description)
        errors.raise_if_any()
        now = self._clock.now()
        with self._transactions.write() as uow:
            webhook = _webhook(uow, caller, webhook_id, lock=True)
            changes: dict[str, object] = {
                name: value
                for name, value in attrs.asdict(command, recurse=False).items()
                if value is not None
            }
            if "events" in changes:
                changes["events"] = tuple(command.events or ())
            if command.active and not webhook.active:
                # Events that happened while it was off are not queued for it (GET /changes has them).
                changes.update(
                    disabled_at=None, disabled_reason=None, event_cursor=uow.events.latest_seq(caller.org_id)
                )
            if not changes:
                return webhook
            changed = attrs.evolve(webhook, **changes, updated_at=now)  # type: ignore[arg-type]
            uow.webhooks.update(changed)
            return changed

    def delete(self, caller: Caller, webhook_id: WebhookId) -> None:
        """Delete the webhook and its delivery log; deliveries in flight are not recorded."""
        self._allowed_to(caller, webhook_id)
        with self._transactions.write() as uow:
            if not uow.webhooks.delete(caller.org_id, webhook_id):
                raise NotFound.of("webhook")

    def rotate_secret(self, caller: Caller, webhook_id: WebhookId) -> Webhook:
        """A new signing secret (in ``secret``); the one it replaces signs beside it for 24 hours."""
        self._allowed_to(caller, webhook_id)
        with self._transactions.write() as uow:
            webhook = _webhook(uow, caller, webhook_id, lock=True)
            rotated = webhook.rotated(mint_signing_secret(), self._clock.now())
            uow.webhooks.update(rotated)
            return rotated

    def deliveries(
        self, caller: Caller, webhook_id: WebhookId, *, limit: int, before: int | None = None
    ) -> DeliveryPage:
        """A page of the webhook's delivery log, newest first (kept 30 days after they finish)."""
        self._allowed_to(caller, webhook_id)
        with self._transactions.read() as uow:
            _webhook(uow, caller, webhook_id)
            rows = uow.deliveries.list(caller.org_id, webhook_id, limit=limit + 1, before=before)
        page = list(rows[:limit])
        return DeliveryPage(page, page[-1].position if len(rows) > limit else None)

    def get_delivery(self, caller: Caller, webhook_id: WebhookId, delivery_id: DeliveryId) -> WebhookDelivery:
        """One delivery of the webhook."""
        self._allowed_to(caller, webhook_id, delivery_id)
        with self._transactions.read() as uow:
            return _delivery(uow, caller, webhook_id, delivery_id)

    def redeliver(self, caller: Caller, webhook_id: WebhookId, delivery_id: DeliveryId) -> WebhookDelivery:
        """Queue the delivery's event again, at the end of the webhook's queue: a new delivery with
        the same event id, type and body (signed anew when it is sent)."""
        self._allowed_to(caller, webhook_id, delivery_id)
        with self._transactions.write() as uow:
            webhook = _active(_webhook(uow, caller, webhook_id, lock=True))
            original = _delivery(uow, caller, webhook_id, delivery_id)
            return self._queue(
                uow,
                webhook,
                event_id=original.event_id,
                event_type=original.event_type,
                body=original.payload,
            )

    def ping(self, caller: Caller, webhook_id: WebhookId) -> WebhookDelivery:
        """Queue a ``ping`` delivery (type ``ping``, sent whatever the webhook subscribes to)."""
        self._allowed_to(caller, webhook_id)
        with self._transactions.write() as uow:
            webhook = _active(_webhook(uow, caller, webhook_id, lock=True))
            event_id = str(self._ids.new_id())
            body = self._bodies.ping(event_id, webhook, self._clock.now())
            return self._queue(uow, webhook, event_id=event_id, event_type=PING_EVENT_TYPE, body=body)

    def _queue(
        self, uow: UnitOfWork, webhook: Webhook, *, event_id: str, event_type: str, body: bytes
    ) -> WebhookDelivery:
        advanced, (position,) = webhook.queued(1)
        uow.webhooks.update(advanced)
        delivery = WebhookDelivery.queued(
            DeliveryId(self._ids.new_id()),
            webhook,
            position,
            event_id=event_id,
            event_type=event_type,
            payload=body,
            now=self._clock.now(),
        )
        uow.deliveries.add(delivery)
        return delivery


def _webhook(uow: UnitOfWork, caller: Caller, webhook_id: WebhookId, *, lock: bool = False) -> Webhook:
    found = (uow.webhooks.lock if lock else uow.webhooks.get)(caller.org_id, webhook_id)
    if found is None:
        raise NotFound.of("webhook")
    return found


def _active(webhook: Webhook) -> Webhook:
    if not webhook.active:
        raise WebhookInactive()
    return webhook


def _delivery(
    uow: UnitOfWork, caller: Caller, webhook_id: WebhookId, delivery_id: DeliveryId
) -> WebhookDelivery:
    found = uow.deliveries.get(caller.org_id, webhook_id, delivery_id)
    if found is None:
        raise NotFound.of("delivery")
    return found
