"""Webhooks and their deliveries in SQL, for every SQL database.

The claim of due deliveries is one locking read and one update per claimed row, in the claiming
transaction: on PostgreSQL the read ends with ``FOR UPDATE SKIP LOCKED``, so dispatchers of
several processes claiming at once each get other rows; on SQLite write transactions run one at a
time. A claimed row carries its lease (``leased_until``); the outcome of the attempt is written
only under that same lease (:meth:`SqlWebhookDeliveryRepository.record`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from hours_core.delivery_share import OrgShare
from hours_core.model import OrgId
from hours_core.ports import WebhookDeliveryRepository, WebhookRepository
from hours_core.subscriptions import DeliveryId, Webhook, WebhookDelivery, WebhookId
from hours_sql.repositories import _Repository
from hours_sql.statements import WebhookStatements

__all__ = ["SqlWebhookDeliveryRepository", "SqlWebhookRepository"]


class _WebhookRepository(_Repository):
    @property
    def _hooks(self) -> WebhookStatements:
        return self._sql.webhook_sql


class SqlWebhookRepository(_WebhookRepository):
    """Webhooks in SQL, and the dispatcher lease row."""

    def add(self, webhook: Webhook) -> None:
        """Store a new webhook."""
        self._write(self._hooks.webhooks.insert, self._hooks.webhooks.encode(webhook), kind="webhook")

    def get(self, org_id: OrgId, webhook_id: WebhookId) -> Webhook | None:
        """The webhook of ``org_id``, or ``None``."""
        return self._one(self._hooks.webhook_by_id, org_id, webhook_id)

    def lock(self, org_id: OrgId, webhook_id: WebhookId) -> Webhook | None:
        """The webhook, locked until the unit of work ends (PostgreSQL: ``FOR NO KEY UPDATE``)."""
        return self._one(self._hooks.webhook_locked, org_id, webhook_id)

    def _one(self, statement: str, org_id: OrgId, webhook_id: WebhookId) -> Webhook | None:
        sql = self._sql
        row = self._row(statement, (sql.uuid(webhook_id), sql.reference(org_id)))
        return None if row is None else self._hooks.webhooks.decode(row)

    def list(self, org_id: OrgId) -> Sequence[Webhook]:
        """The organization's webhooks, oldest first."""
        sql = self._sql
        return [
            self._hooks.webhooks.decode(row)
            for row in self._session.rows(self._hooks.webhooks_of_org, (sql.reference(org_id),))
        ]

    def update(self, webhook: Webhook) -> None:
        """Replace a stored webhook."""
        id_, org_id, *rest = self._hooks.webhooks.encode(webhook)
        self._write(self._hooks.webhook_update, (*rest, id_, org_id), kind="webhook")

    def delete(self, org_id: OrgId, webhook_id: WebhookId) -> bool:
        """Delete the webhook and its deliveries; whether it existed.

        The webhook is locked first (PostgreSQL: ``FOR NO KEY UPDATE``), as every writer that
        queues a delivery for it locks it (a ping, a redelivery, the fan-out): a deletion that
        meets one of them waits for its commit, and then deletes the deliveries it queued too.
        Deleting the deliveries first read them before that commit, and the webhook's own
        deletion then failed on the queued delivery's foreign key."""
        sql = self._sql
        params = (sql.uuid(webhook_id), sql.reference(org_id))
        if self._row(self._hooks.webhook_locked, params) is None:
            return False
        self._write(self._hooks.deliveries_of_webhook_deleted, params, kind="delivery")
        return self._write(self._hooks.webhook_delete, params, kind="webhook") > 0

    def behind(self, limit: int, *, after: WebhookId | None = None) -> Sequence[Webhook]:
        """Active webhooks behind their org's latest event, in id order (after ``after``), locked
        (PostgreSQL: ``SKIP LOCKED``)."""
        sql = self._sql
        if after is None:
            rows = self._session.rows(self._hooks.webhooks_behind, (sql.boolean(True), max(limit, 0)))
        else:
            params = (sql.boolean(True), sql.uuid(after), max(limit, 0))
            rows = self._session.rows(self._hooks.webhooks_behind_after, params)
        return [self._hooks.webhooks.decode(row) for row in rows]

    def take_dispatcher_lease(self, holder: str, now: datetime, until: datetime) -> bool:
        """Hold or renew the store's dispatcher lease, unless another holder's runs past ``now``."""
        sql = self._sql
        params = (holder, sql.instant(until), sql.instant(now))
        return self._write(self._hooks.dispatcher_lease, params, kind="dispatcher lease") > 0

    def release_dispatcher_lease(self, holder: str) -> bool:
        """Give the dispatcher lease up if ``holder`` holds it."""
        released = self._write(self._hooks.dispatcher_lease_release, (holder,), kind="dispatcher lease")
        return released > 0


class SqlWebhookDeliveryRepository(_WebhookRepository):
    """Webhook deliveries in SQL: each webhook's queue and its log."""

    def add(self, delivery: WebhookDelivery) -> None:
        """Queue a new delivery."""
        self._write(self._hooks.deliveries.insert, self._hooks.deliveries.encode(delivery), kind="delivery")

    def get(self, org_id: OrgId, webhook_id: WebhookId, delivery_id: DeliveryId) -> WebhookDelivery | None:
        """The delivery of the organization's webhook, or ``None``."""
        sql = self._sql
        params = (sql.uuid(delivery_id), sql.reference(org_id), sql.uuid(webhook_id))
        row = self._row(self._hooks.delivery_by_id, params)
        return None if row is None else self._hooks.deliveries.decode(row)

    def list(
        self, org_id: OrgId, webhook_id: WebhookId, *, limit: int, before: int | None = None
    ) -> Sequence[WebhookDelivery]:
        """The webhook's deliveries, newest first, below position ``before`` if given."""
        sql = self._sql
        scope = (sql.reference(org_id), sql.uuid(webhook_id))
        if before is None:
            rows = self._session.rows(self._hooks.deliveries_of_webhook, (*scope, max(limit, 0)))
        else:
            rows = self._session.rows(
                self._hooks.deliveries_of_webhook_before, (*scope, before, max(limit, 0))
            )
        return [self._hooks.deliveries.decode(row) for row in rows]

    def claim_due(
        self, now: datetime, until: datetime, limit: int, *, share: OrgShare | None = None
    ) -> Sequence[WebhookDelivery]:
        """Lease the due deliveries (the first pending one of each active webhook) until ``until``;
        with ``share``, read more of them and take those it allows (PostgreSQL: the rows read but
        not taken are locked only until this unit of work ends)."""
        sql = self._sql
        at = sql.instant(now)
        read = limit if share is None else share.candidates(limit)
        full = () if share is None else share.full()
        loaded = () if share is None else share.loaded()
        rows = self._session.rows(
            self._hooks.deliveries_due(len(full), len(loaded)),
            (
                sql.boolean(True),
                at,
                at,
                *(sql.reference(org_id) for org_id in full),
                *(value for org_id, count in loaded for value in (sql.reference(org_id), count)),
                max(read, 0),
            ),
        )
        due = [self._hooks.deliveries.decode(row) for row in rows]
        claimed = []
        for delivery in due[: max(limit, 0)] if share is None else share.take(due, limit):
            self._write(
                self._hooks.delivery_lease, (sql.instant(until), sql.uuid(delivery.id)), kind="delivery"
            )
            claimed.append(delivery.leased(until))
        return claimed

    def record(self, delivery: WebhookDelivery, *, leased_until: datetime) -> bool:
        """Store the attempt's outcome if the delivery is still held under ``leased_until``."""
        sql = self._sql
        id_, *rest = self._hooks.deliveries.encode(delivery)
        return (
            self._write(self._hooks.delivery_record, (*rest, id_, sql.instant(leased_until)), kind="delivery")
            > 0
        )

    def purge_finished_before(self, cutoff: datetime) -> int:
        """Delete deliveries that finished before ``cutoff``."""
        return self._write(self._hooks.deliveries_purge, (self._sql.instant(cutoff),), kind="delivery")


_ports: tuple[type[WebhookRepository], type[WebhookDeliveryRepository]] = (
    SqlWebhookRepository,
    SqlWebhookDeliveryRepository,
)
"""The type checker verifies that each repository implements its port."""
