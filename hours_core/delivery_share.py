"""How one webhook dispatcher shares its sending slots between organizations.

A dispatcher sends a few deliveries at once, each in a slot of its own, and claims the due ones in
the order they fell due. Without a share, the organization with the oldest backlog (many webhooks,
each with a queue, each receiver answering slowly) would fill every slot and keep every other
organization waiting. :class:`OrgShare` caps what one organization holds at once: a claim leaves
out the organizations that hold their share already (:meth:`OrgShare.full`, excluded where the store
reads the due deliveries), and passes over those that reach it within the claim, taking the next due
deliveries of the others instead; and a free slot goes to the least loaded organization first (the
fewest deliveries in flight), so a slot that a slow tenant frees goes to an idle tenant before it
goes back to the slow tenant's older backlog. Within an organization, and within a webhook, the
order stays the order in which deliveries fell due.

The law a claim keeps (``tests/unit/test_delivery_share.py``, over the in-memory store): if a slot
stays free, every due delivery it did not take belongs to an organization at its share. It holds
because a claim reads enough: an organization has at most
:data:`~hours_core.subscriptions.MAX_WEBHOOKS` due deliveries (one per webhook) and, not being full,
gives at least one of them a slot, so :data:`CANDIDATES_PER_SLOT` rows per free slot always reach
as many organizations as there are free slots.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Final
from uuid import UUID

import attrs

from hours_core.model import OrgId
from hours_core.subscriptions import MAX_WEBHOOKS, WebhookDelivery

__all__ = ["CANDIDATES_PER_SLOT", "OrgShare"]

CANDIDATES_PER_SLOT: Final = MAX_WEBHOOKS
"""How many due deliveries a claim reads for each free slot, so that it can pass over those of
organizations that reach their share within the claim and still fill every slot (see the module)."""


def _counts(value: Mapping[OrgId, int]) -> Mapping[OrgId, int]:
    return {org_id: count for org_id, count in value.items() if count > 0}


@attrs.frozen
class OrgShare:
    """At most ``per_org`` deliveries of one organization in flight at once, counting ``busy``
    (each organization's deliveries that this dispatcher is sending already)."""

    per_org: int = attrs.field(validator=attrs.validators.ge(1))
    busy: Mapping[OrgId, int] = attrs.field(factory=dict, converter=_counts)

    def full(self) -> tuple[OrgId, ...]:
        """The organizations that hold their share already: a claim does not read their deliveries."""
        return tuple(org_id for org_id, count in self.busy.items() if count >= self.per_org)

    def loaded(self) -> tuple[tuple[OrgId, int], ...]:
        """The organizations with deliveries in flight but below their share, with how many: a claim
        reads their due deliveries after those of organizations with none in flight."""
        return tuple((org_id, count) for org_id, count in self.busy.items() if count < self.per_org)

    def candidates(self, slots: int) -> int:
        """How many due deliveries to read to fill ``slots`` slots."""
        return max(slots, 0) * CANDIDATES_PER_SLOT

    def take(self, due: Iterable[WebhookDelivery], slots: int) -> list[WebhookDelivery]:
        """The deliveries of ``due`` to claim for ``slots`` free slots, in the order the slots are
        given: each slot goes to the organization with the fewest deliveries in flight (counting
        those this claim takes), below its share, and within it to its delivery that fell due
        first; among organizations as loaded, to the one whose next delivery fell due first. So a
        slot that a busy organization frees goes to an idle one first, whatever the age of the busy
        one's backlog."""
        waiting: dict[OrgId, deque[WebhookDelivery]] = {}
        for delivery in sorted(due, key=_fell_due):
            waiting.setdefault(delivery.org_id, deque()).append(delivery)
        held = Counter(self.busy)
        taken: list[WebhookDelivery] = []
        while len(taken) < slots:
            open_orgs = [org for org, queue in waiting.items() if queue and held[org] < self.per_org]
            if not open_orgs:
                break
            org_id = min(open_orgs, key=lambda org: (held[org], _fell_due(waiting[org][0])))
            taken.append(waiting[org_id].popleft())
            held[org_id] += 1
        return taken


_LONG_AGO = datetime.min.replace(tzinfo=UTC)


def _fell_due(delivery: WebhookDelivery) -> tuple[datetime, UUID]:
    """The order deliveries fell due in, as the stores order them (``next_attempt_at``, then id)."""
    return delivery.next_attempt_at or _LONG_AGO, delivery.id
