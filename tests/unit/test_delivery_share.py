"""The dispatcher's share of slots per organization (:class:`hours_core.delivery_share.OrgShare`)."""

from __future__ import annotations

import random
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hours_core.delivery_share import CANDIDATES_PER_SLOT, OrgShare
from hours_core.model import Org, OrgId, Plan, WeekStart
from hours_core.subscriptions import (
    MAX_WEBHOOKS,
    DeliveryId,
    Webhook,
    WebhookDelivery,
    WebhookId,
)
from hours_memory import InMemoryStore

ORGS = [OrgId(uuid.UUID(int=index + 1)) for index in range(4)]
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def delivery(org_id: OrgId) -> WebhookDelivery:
    """The first delivery of a new webhook of ``org_id``, due now."""
    return queued_for(webhook_of(org_id))


def queued_for(webhook: Webhook) -> WebhookDelivery:
    return WebhookDelivery.queued(
        DeliveryId(uuid.uuid4()), webhook, 1, event_id="evt", event_type="ping", payload=b"{}", now=NOW
    )


def test_it_takes_in_order_and_passes_over_an_organization_at_its_share() -> None:
    a1, a2, a3, b1, a4, c1 = (delivery(org) for org in (ORGS[0], ORGS[0], ORGS[0], ORGS[1], ORGS[0], ORGS[2]))
    share = OrgShare(per_org=2, busy={ORGS[1]: 1})
    assert share.take([a1, a2, a3, b1, a4, c1], 4) == [a1, a2, b1, c1]
    assert share.take([a1, a2, a3, b1, a4, c1], 2) == [a1, a2]  # slots first: no more than asked


def test_an_organization_busy_up_to_its_share_gets_nothing_more() -> None:
    due = [delivery(ORGS[0]) for _ in range(3)]
    assert OrgShare(per_org=2, busy={ORGS[0]: 2}).take(due, 3) == []


def test_it_reads_a_few_candidates_per_slot_and_needs_a_share_of_one_at_least() -> None:
    assert OrgShare(per_org=1).candidates(4) == 4 * CANDIDATES_PER_SLOT
    assert OrgShare(per_org=1).candidates(-1) == 0
    with pytest.raises(ValueError, match="per_org"):
        OrgShare(per_org=0)


@given(
    st.lists(st.sampled_from(ORGS), max_size=40),
    st.dictionaries(st.sampled_from(ORGS), st.integers(0, 4)),
    st.integers(1, 4),
    st.integers(0, 12),
)
def test_what_it_takes_is_the_greedy_fair_choice(
    orgs: list[OrgId], busy: dict[OrgId, int], per_org: int, slots: int
) -> None:
    """The law: an in-order subsequence of what was due, at most ``slots`` long, no organization over
    its share (counting what it has in flight), and nothing passed over that could have been taken."""
    due = [delivery(org) for org in orgs]
    taken = OrgShare(per_org=per_org, busy=busy).take(due, slots)

    positions = [due.index(one) for one in taken]
    assert positions == sorted(positions)
    assert len(taken) <= slots
    held = Counter({org: count for org, count in busy.items() if count > 0})
    held.update(one.org_id for one in taken)
    assert all(count <= max(per_org, busy.get(org, 0)) for org, count in held.items())
    if len(taken) < slots:  # a slot stayed free: every delivery left out was of an org at its share
        for one in due:
            if one not in taken:
                assert held[one.org_id] >= per_org


def webhook_of(org_id: OrgId) -> Webhook:
    return Webhook(
        id=WebhookId(uuid.uuid4()),
        org_id=org_id,
        url="https://hooks.example.com/hours",
        events=("*",),
        description="",
        active=True,
        created_at=NOW,
        updated_at=NOW,
        disabled_at=None,
        disabled_reason=None,
        secret="whsec_" + "a" * 32,
        previous_secret=None,
        previous_secret_expires_at=None,
        event_cursor=0,
        last_position=0,
    )


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(0, MAX_WEBHOOKS), min_size=1, max_size=6),
    st.lists(st.integers(0, 4), min_size=6, max_size=6),
    st.integers(1, 4),
    st.integers(1, 16),
    st.randoms(use_true_random=False),
)
def test_a_claim_with_a_share_leaves_no_slot_free_that_a_due_delivery_could_take(
    webhooks_per_org: list[int], busy_per_org: list[int], per_org: int, slots: int, shuffle: random.Random
) -> None:
    """The law of a claim (not of ``take`` alone: what the store reads matters too), on the in-memory
    store: in the order they fell due, at most ``slots``, no organization past its share counting what
    it has in flight, and a slot left free only when every due delivery left out is of a full org."""
    orgs = [OrgId(uuid.uuid4()) for _ in webhooks_per_org]
    heads = []
    for org_id, count in zip(orgs, webhooks_per_org, strict=False):
        for _ in range(count):
            webhook = webhook_of(org_id)
            heads.append((webhook, queued_for(webhook)))
    shuffle.shuffle(heads)  # organizations' deliveries fell due interleaved, in any order
    store = InMemoryStore()
    with store.unit_of_work() as uow:
        for number, org_id in enumerate(orgs):
            uow.orgs.add(Org(org_id, f"Org {number}", Plan.AGENCY, "UTC", WeekStart.MONDAY, NOW))
        for offset, (webhook, queued) in enumerate(heads):
            uow.webhooks.add(webhook)
            uow.deliveries.add(
                attrs.evolve(queued, next_attempt_at=NOW - timedelta(seconds=len(heads) - offset))
            )
        uow.commit()
    busy = dict(zip(orgs, busy_per_org, strict=False))
    share = OrgShare(per_org=per_org, busy=busy)

    with store.unit_of_work() as uow:
        claimed = list(uow.deliveries.claim_due(NOW, NOW + timedelta(seconds=60), slots, share=share))
        uow.commit()

    due_order = [queued.id for _, queued in heads]
    positions = [due_order.index(delivery.id) for delivery in claimed]
    assert positions == sorted(positions) and len(claimed) <= slots
    held = Counter({org: count for org, count in busy.items() if count > 0})
    held.update(delivery.org_id for delivery in claimed)
    assert all(held[org] <= max(per_org, busy[org]) for org in orgs)
    if len(claimed) < slots:
        taken = {delivery.id for delivery in claimed}
        assert all(held[queued.org_id] >= per_org for _, queued in heads if queued.id not in taken)
