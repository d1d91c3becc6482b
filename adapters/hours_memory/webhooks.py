"""Webhooks and their deliveries in memory, refusing what the SQL schemas refuse.

The tables are those of the store's transaction (:mod:`hours_memory.store`): ``webhooks`` by id,
``deliveries`` by id, and ``dispatcher_lease`` (one row). As in SQL, a webhook belongs to an
existing organization, a delivery to a webhook of its own organization, a position is unique per
webhook, and deleting a webhook deletes its deliveries. Writers run one at a time, so a claim
needs no lock of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

import attrs

from hours_core.delivery_share import OrgShare
from hours_core.errors import Conflict
from hours_core.model import OrgId
from hours_core.ports import WebhookDeliveryRepository, WebhookRepository
from hours_core.subscriptions import DeliveryId, DeliveryStatus, Webhook, WebhookDelivery, WebhookId

__all__ = ["InMemoryWebhookDeliveryRepository", "InMemoryWebhookRepository"]


class _Tables(Protocol):
    def read(self, name: str) -> dict[Any, Any]: ...

    def write(self, name: str) -> dict[Any, Any]: ...


def _missing_reference(kind: str) -> Conflict:
    return Conflict(
        f"The {kind} refers to an organization, user, project or task that does not exist "
        "in its organization."
    )


class _Repository:
    def __init__(self, tables: _Tables) -> None:
        self.tables = tables

    def _webhook(self, org_id: OrgId, webhook_id: WebhookId) -> Webhook | None:
        webhook: Webhook | None = self.tables.read("webhooks").get(webhook_id)
        return webhook if webhook is not None and webhook.org_id == org_id else None


class InMemoryWebhookRepository(_Repository):
    """Webhooks in memory."""

    def add(self, webhook: Webhook) -> None:
        if webhook.org_id not in self.tables.read("orgs"):
            raise _missing_reference("webhook")
        if webhook.id in self.tables.read("webhooks"):
            raise Conflict("The webhook already exists.")
        self.tables.write("webhooks")[webhook.id] = webhook

    def get(self, org_id: OrgId, webhook_id: WebhookId) -> Webhook | None:
        return self._webhook(org_id, webhook_id)

    def lock(self, org_id: OrgId, webhook_id: WebhookId) -> Webhook | None:
        self.tables.write("webhooks")  # writers run one at a time: holding the writer lock is the lock
        return self._webhook(org_id, webhook_id)

    def list(self, org_id: OrgId) -> Sequence[Webhook]:
        found = [webhook for webhook in self.tables.read("webhooks").values() if webhook.org_id == org_id]
        return sorted(found, key=lambda webhook: (webhook.created_at, webhook.id))

    def update(self, webhook: Webhook) -> None:
        if self._webhook(webhook.org_id, webhook.id) is not None:
            self.tables.write("webhooks")[webhook.id] = webhook

    def delete(self, org_id: OrgId, webhook_id: WebhookId) -> bool:
        if self._webhook(org_id, webhook_id) is None:
            return False
        deliveries = self.tables.read("deliveries")
        doomed = [key for key, delivery in deliveries.items() if delivery.webhook_id == webhook_id]
        if doomed:
            table = self.tables.write("deliveries")
            for key in doomed:
                del table[key]
        del self.tables.write("webhooks")[webhook_id]
        return True

    def behind(self, limit: int, *, after: WebhookId | None = None) -> Sequence[Webhook]:
        self.tables.write("webhooks")  # writers run one at a time: holding the writer lock is the lock
        counters = self.tables.read("event_counters")
        found = [
            webhook
            for webhook in self.tables.read("webhooks").values()
            if webhook.active
            and webhook.event_cursor < counters.get(webhook.org_id, (0, 0))[0]
            and (after is None or webhook.id > after)
        ]
        return sorted(found, key=lambda webhook: webhook.id)[: max(limit, 0)]

    def take_dispatcher_lease(self, holder: str, now: datetime, until: datetime) -> bool:
        current: tuple[str, datetime] | None = self.tables.read("dispatcher_lease").get("dispatcher")
        if current is not None and current[0] != holder and current[1] > now:
            return False
        self.tables.write("dispatcher_lease")["dispatcher"] = (holder, until)
        return True

    def release_dispatcher_lease(self, holder: str) -> bool:
        current: tuple[str, datetime] | None = self.tables.read("dispatcher_lease").get("dispatcher")
        if current is None or current[0] != holder:
            return False
        del self.tables.write("dispatcher_lease")["dispatcher"]
        return True


class InMemoryWebhookDeliveryRepository(_Repository):
    """Webhook deliveries in memory."""

    def add(self, delivery: WebhookDelivery) -> None:
        if self._webhook(delivery.org_id, delivery.webhook_id) is None:
            raise _missing_reference("delivery")
        deliveries = self.tables.read("deliveries")
        if delivery.id in deliveries:
            raise Conflict("The delivery already exists.")
        if any(
            other.webhook_id == delivery.webhook_id and other.position == delivery.position
            for other in deliveries.values()
        ):
            raise Conflict("The delivery already exists.")
        self.tables.write("deliveries")[delivery.id] = delivery

    def get(self, org_id: OrgId, webhook_id: WebhookId, delivery_id: DeliveryId) -> WebhookDelivery | None:
        delivery: WebhookDelivery | None = self.tables.read("deliveries").get(delivery_id)
        if delivery is None or delivery.org_id != org_id or delivery.webhook_id != webhook_id:
            return None
        return delivery

    def list(
        self, org_id: OrgId, webhook_id: WebhookId, *, limit: int, before: int | None = None
    ) -> Sequence[WebhookDelivery]:
        found = [
            delivery
            for delivery in self.tables.read("deliveries").values()
            if delivery.org_id == org_id
            and delivery.webhook_id == webhook_id
            and (before is None or delivery.position < before)
        ]
        found.sort(key=lambda delivery: delivery.position, reverse=True)
        return found[: max(limit, 0)]

    def claim_due(
        self, now: datetime, until: datetime, limit: int, *, share: OrgShare | None = None
    ) -> Sequence[WebhookDelivery]:
        heads: dict[WebhookId, WebhookDelivery] = {}
        for delivery in self.tables.read("deliveries").values():
            if delivery.status is not DeliveryStatus.PENDING:
                continue
            head = heads.get(delivery.webhook_id)
            if head is None or delivery.position < head.position:
                heads[delivery.webhook_id] = delivery
        webhooks = self.tables.read("webhooks")
        due = [
            head
            for head in heads.values()
            if head.next_attempt_at is not None
            and head.next_attempt_at <= now
            and (head.leased_until is None or head.leased_until <= now)
            and webhooks[head.webhook_id].active
        ]
        due.sort(key=lambda delivery: (delivery.next_attempt_at, delivery.id))
        if share is not None:  # as the SQL stores read: the full left out, the least loaded first
            full, load = set(share.full()), dict(share.loaded())
            due = [delivery for delivery in due if delivery.org_id not in full]
            due.sort(key=lambda delivery: load.get(delivery.org_id, 0))  # stable: due order within
            due = due[: share.candidates(limit)]
        taken = due[: max(limit, 0)] if share is None else share.take(due, limit)
        claimed = [delivery.leased(until) for delivery in taken]
        if claimed:
            table = self.tables.write("deliveries")
            for delivery in claimed:
                table[delivery.id] = delivery
        return claimed

    def record(self, delivery: WebhookDelivery, *, leased_until: datetime) -> bool:
        stored: WebhookDelivery | None = self.tables.read("deliveries").get(delivery.id)
        if stored is None or stored.leased_until != leased_until:
            return False
        self.tables.write("deliveries")[delivery.id] = attrs.evolve(
            delivery, org_id=stored.org_id, webhook_id=stored.webhook_id
        )
        return True

    def purge_finished_before(self, cutoff: datetime) -> int:
        doomed = [
            key
            for key, delivery in self.tables.read("deliveries").items()
            if delivery.status is not DeliveryStatus.PENDING
            and delivery.completed_at is not None
            and delivery.completed_at < cutoff
        ]
        if doomed:
            table = self.tables.write("deliveries")
            for key in doomed:
                del table[key]
        return len(doomed)


_ports: tuple[type[WebhookRepository], type[WebhookDeliveryRepository]] = (
    InMemoryWebhookRepository,
    InMemoryWebhookDeliveryRepository,
)
