"""How one webhook dispatcher shares its sending slots between organizations.

A dispatcher sends a few deliveries at once, each in a slot of its own, and claims the due ones in
the order they fell due. Without a share, the organization with the oldest backlog (many webhooks,
each with a queue, each receiver answering slowly) would fill every slot and keep every other
organization waiting. :class:`OrgShare` caps what one organization holds at once: a claim leaves
out the organizations that hold their share already (:meth:`OrgShare.full`, excluded where the store
reads the due deliveries), and passes over those that reach it within the claim, taking the next due
deliveries of the others instead. Within an organization, and within a webhook, the order stays the
order in which deliveries fell due.

The law a claim keeps (``tests/unit/test_delivery_share.py``, over the in-memory store): if a slot
stays free, every due delivery it did not take belongs to an organization at its share. It holds
because a claim reads enough: an organization has at most
:data:`~hours_core.subscriptions.MAX_WEBHOOKS` due deliveries (one per webhook) and, not being full,
gives at least one of them a slot, so :data:`CANDIDATES_PER_SLOT` rows per free slot always reach
as many organizations as there are free slots.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Final

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

    def candidates(self, slots: int) -> int:
        """How many due deliveries to read to fill ``slots`` slots."""
        return max(slots, 0) * CANDIDATES_PER_SLOT

    def take(self, due: Iterable[WebhookDelivery], slots: int) -> list[WebhookDelivery]:
        """The deliveries of ``due`` (in the order they fell due) to claim for ``slots`` free slots:
        in that order, passing over an organization once it holds ``per_org``."""
        held = Counter(self.busy)
        taken: list[WebhookDelivery] = []
        for delivery in due:
            if len(taken) >= slots:
                break
            if held[delivery.org_id] >= self.per_org:
                continue
            held[delivery.org_id] += 1
            taken.append(delivery)
        return taken
