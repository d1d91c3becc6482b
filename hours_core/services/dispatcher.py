"""The webhook dispatcher's steps: fan events out to the webhooks' queues, claim due deliveries,
send each once, record what happened.

:meth:`WebhookDispatcher.fan_out` reads the outbox after each active webhook's ``event_cursor`` and
queues a delivery (the event's JSON, as the change feed shows it) for each event its ``events``
filter takes, at the next positions of its queue, moving the cursor past every event read, in one
transaction that holds the webhook (PostgreSQL: ``FOR UPDATE SKIP LOCKED``).

A delivery is sent outside any transaction: :meth:`WebhookDispatcher.claim` leases due deliveries
in one short write (so that no other dispatcher takes them), :meth:`WebhookDispatcher.deliver`
signs and sends one and records the outcome in another short write, under the same lease. A
dispatcher that dies in between leaves its leased deliveries pending: once the lease has run out
they are due again and go out again (at least once, never lost). The lease must outlast an attempt
(DNS, connect, TLS and the 10 s read); :data:`DEFAULT_LEASE` does with room to spare.

The outcome of an attempt (:class:`~hours_core.webhooks.DeliveryOutcome`): a 2xx answer delivers;
a 410 gives the delivery up and disables the webhook at once; anything else is retried after
:func:`~hours_core.webhooks.next_attempt`, and the last failed attempt (about 3 days after the
first) gives the delivery up and disables the webhook, with the reason in ``disabled_reason``.

The loop that calls these steps runs in the composition root (``hours serve``'s background
thread, ``hours worker``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

import attrs

from hours_core.delivery_share import OrgShare
from hours_core.events import EventQuery
from hours_core.ports import Clock, IdFactory
from hours_core.services.transactions import Transactions
from hours_core.services.webhooks import EventBodies
from hours_core.subscriptions import (
    DELIVERY_RETENTION,
    DeliveryId,
    DeliveryStatus,
    Webhook,
    WebhookDelivery,
    WebhookId,
    matches,
)
from hours_core.webhooks import (
    MAX_DELIVERY_ATTEMPTS,
    DeliveryOutcome,
    DeliveryResult,
    WebhookSender,
    delivery_headers,
    next_attempt,
)

__all__ = ["DEFAULT_LEASE", "EVENTS_PER_FAN_OUT", "Claim", "WebhookDispatcher"]

DEFAULT_LEASE = timedelta(seconds=60)
"""How long a claimed delivery is held: longer than any attempt (5 s DNS, 3 x 5 s connect, TLS, 10 s read)."""


EVENTS_PER_FAN_OUT = 200
"""The most events one fan-out reads for one webhook (the next round reads on)."""


@attrs.frozen
class Claim:
    """A leased delivery and its webhook, as they were when claimed."""

    delivery: WebhookDelivery
    webhook: Webhook


class WebhookDispatcher:
    """Claims, sends and records webhook deliveries (see the module's docstring)."""

    def __init__(
        self,
        transactions: Transactions,
        clock: Clock,
        sender: WebhookSender,
        random: Callable[[], float],
        *,
        ids: IdFactory,
        bodies: EventBodies,
        lease: timedelta = DEFAULT_LEASE,
    ) -> None:
        if lease <= timedelta(0):
            raise ValueError("the lease must be positive")
        self._transactions = transactions
        self._clock = clock
        self._ids = ids
        self._bodies = bodies
        self._sender = sender
        self._random = random
        self.lease = lease
        self._fan_out_after: WebhookId | None = None
        """Where the last fan-out that reached its limit stopped: the next one starts after it."""

    def hold_the_store(self, holder: str) -> bool:
        """Take or renew the store's one dispatcher lease for ``holder`` (for stores that allow one
        dispatcher, SQLite); whether ``holder`` has it."""
        now = self._clock.now()
        with self._transactions.write() as uow:
            return uow.webhooks.take_dispatcher_lease(holder, now, now + self.lease)

    def release_the_store(self, holder: str) -> bool:
        """Give the store's dispatcher lease up if ``holder`` holds it (a dispatcher that stops), so
        that the next one takes it at once instead of after the lease; whether it was held."""
        with self._transactions.write() as uow:
            return uow.webhooks.release_dispatcher_lease(holder)

    def fan_out(self, limit: int = 50) -> int:
        """Queue the new events of at most ``limit`` webhooks that are behind; how many deliveries
        were queued.

        The webhooks take turns, in id order: a fan-out that reaches its limit remembers the last
        webhook it took, and the next one starts after it (and goes round to the first ids when it
        reaches the end). Always starting from the first ids, webhooks beyond the first ``limit``
        would wait for as long as those kept getting new events (busy organizations under load)."""
        now = self._clock.now()
        queued = 0
        with self._transactions.write() as uow:
            webhooks = list(uow.webhooks.behind(limit, after=self._fan_out_after))
            if len(webhooks) < limit and self._fan_out_after is not None:  # round to the first ids
                first = {webhook.id for webhook in webhooks}
                webhooks += [w for w in uow.webhooks.behind(limit - len(webhooks)) if w.id not in first]
            for webhook in webhooks:
                events = uow.events.list(
                    webhook.org_id, EventQuery(after=webhook.event_cursor, limit=EVENTS_PER_FAN_OUT)
                )
                if not events:  # purged past the cursor: nothing left to read up to the latest
                    uow.webhooks.update(
                        attrs.evolve(webhook, event_cursor=uow.events.latest_seq(webhook.org_id))
                    )
                    continue
                taken = [event for event in events if matches(webhook.events, event.type.value)]
                advanced, positions = webhook.queued(len(taken))
                for event, position in zip(taken, positions, strict=True):
                    uow.deliveries.add(
                        WebhookDelivery.queued(
                            DeliveryId(self._ids.new_id()),
                            webhook,
                            position,
                            event_id=str(event.id),
                            event_type=event.type.value,
                            payload=self._bodies.event(event),
                            now=now,
                        )
                    )
                uow.webhooks.update(attrs.evolve(advanced, event_cursor=events[-1].seq))
                queued += len(taken)
        self._fan_out_after = webhooks[-1].id if len(webhooks) >= limit > 0 else None
        return queued

    def claim(self, limit: int, share: OrgShare | None = None) -> list[Claim]:
        """Lease at most ``limit`` due deliveries (each the first pending one of its webhook), in the
        order they fell due; with ``share``, within each organization's share
        (:class:`~hours_core.delivery_share.OrgShare`)."""
        now = self._clock.now()
        with self._transactions.write() as uow:
            leased = uow.deliveries.claim_due(now, now + self.lease, limit, share=share)
            claims = []
            for delivery in leased:
                webhook = uow.webhooks.get(delivery.org_id, delivery.webhook_id)
                if webhook is not None:
                    claims.append(Claim(delivery, webhook))
            return claims

    def deliver(self, claim: Claim) -> WebhookDelivery:
        """Sign and send the claimed delivery once, and record the outcome; the delivery as recorded."""
        delivery, webhook = claim.delivery, claim.webhook
        sent_at = self._clock.now()
        body = delivery.payload
        headers = delivery_headers(
            webhook.signing_secrets(sent_at),
            body,
            event_id=delivery.event_id,
            event_type=delivery.event_type,
            t=sent_at,
        )
        result = self._sender.send(webhook.url, headers, body)
        return self._record(claim, result, sent_at)

    def _record(self, claim: Claim, result: DeliveryResult, sent_at: datetime) -> WebhookDelivery:
        delivery = claim.delivery
        outcome = result.outcome
        error = None if result.error is None else f"{result.error.kind.value}: {result.error.message}"
        retry_at = None
        if outcome is DeliveryOutcome.RETRY:
            retry_at = next_attempt(delivery.attempt + 1, sent_at, self._random)
        if outcome is DeliveryOutcome.DELIVERED:
            status = DeliveryStatus.DELIVERED
        elif retry_at is not None:
            status = DeliveryStatus.PENDING
        else:
            status = DeliveryStatus.FAILED
        attempted = delivery.attempted(
            at=sent_at,
            response_code=result.status_code,
            duration=result.duration,
            error=error,
            status=status,
            next_attempt_at=retry_at,
        )
        with self._transactions.write() as uow:
            leased_until = delivery.leased_until
            # A give-up disables the webhook: it locks the webhook before it writes the delivery, in
            # the order of every writer that takes both (a ping, the fan-out, a deletion), so that
            # it and a deletion of the webhook wait for each other instead of deadlocking.
            webhook = (
                uow.webhooks.lock(delivery.org_id, delivery.webhook_id)
                if status is DeliveryStatus.FAILED
                else None
            )
            if leased_until is None or not uow.deliveries.record(attempted, leased_until=leased_until):
                return attempted
            if webhook is not None and webhook.active:
                reason = _disabled_reason(outcome, attempted)
                uow.webhooks.update(webhook.disabled(reason, self._clock.now()))
        return attempted

    def purge(self) -> int:
        """Delete deliveries that finished more than 30 days ago; how many went."""
        with self._transactions.write() as uow:
            return uow.deliveries.purge_finished_before(self._clock.now() - DELIVERY_RETENTION)

    def run_due(self, limit: int) -> Sequence[WebhookDelivery]:
        """Fan out new events, claim at most ``limit`` due deliveries and deliver each in turn (one
        thread); what was recorded."""
        self.fan_out()
        return [self.deliver(claim) for claim in self.claim(limit)]


def _disabled_reason(outcome: DeliveryOutcome, delivery: WebhookDelivery) -> str:
    when = f"{delivery.last_attempt_at:%Y-%m-%dT%H:%M:%SZ}" if delivery.last_attempt_at else "now"
    if outcome is DeliveryOutcome.GONE:
        return f"The receiver answered 410 Gone to delivery {delivery.id} at {when}."
    return (
        f"Delivery {delivery.id} ({delivery.event_type}) failed {MAX_DELIVERY_ATTEMPTS} times over about "
        f"3 days and was given up at {when}; the last error: {delivery.error}."
    )
