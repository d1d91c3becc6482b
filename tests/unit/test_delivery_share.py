"""The dispatcher's share of slots per organization (:class:`hours_core.delivery_share.OrgShare`)."""

from __future__ import annotations

import random
import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hours_core.delivery_share import CANDIDATES_PER_SLOT, OrgShare
from hours_core.model import Org, OrgId, Plan, WeekStart
from hours_core.subscriptions import MAX_WEBHOOKS, DeliveryId, Webhook, WebhookDelivery, WebhookId
from hours_memory import InMemoryStore

ORGS = [OrgId(uuid.UUID(int=index + 1)) for index in range(4)]
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


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


def queued_for(webhook: Webhook, fell_due: int = 0) -> WebhookDelivery:
    """The first delivery of ``webhook``, due ``fell_due`` seconds after :data:`NOW`."""
    queued = WebhookDelivery.queued(
        DeliveryId(uuid.uuid4()), webhook, 1, event_id="evt", event_type="ping", payload=b"{}", now=NOW
    )
    return attrs.evolve(queued, next_attempt_at=NOW + timedelta(seconds=fell_due))


def delivery(org_id: OrgId, fell_due: int = 0) -> WebhookDelivery:
    """The first delivery of a new webhook of ``org_id``."""
    return queued_for(webhook_of(org_id), fell_due)


def test_each_slot_goes_to_the_least_loaded_organization_then_to_what_fell_due_first() -> None:
    a1, a2, a3, b1, a4, c1 = (
        delivery(org, at) for at, org in enumerate((ORGS[0], ORGS[0], ORGS[0], ORGS[1], ORGS[0], ORGS[2]))
    )
    share = OrgShare(per_org=2, busy={ORGS[1]: 1})
    # a and c have none in flight, b one: a's oldest, then c's (a has one now), then a's next (a and
    # b at one, a's fell due first: a is then at its share), then b's.
    assert share.take([a1, a2, a3, b1, a4, c1], 4) == [a1, c1, a2, b1]
    assert share.take([c1, a4, b1, a3, a2, a1], 2) == [a1, c1]  # whatever the order read; slots first


def test_a_slot_freed_by_a_busy_organization_goes_to_an_idle_one_before_its_older_backlog() -> None:
    backlog = [delivery(ORGS[0], at) for at in range(10)]
    idle = delivery(ORGS[1], 100)
    assert OrgShare(per_org=4, busy={ORGS[0]: 3}).take([*backlog, idle], 1) == [idle]


def test_an_organization_busy_up_to_its_share_gets_nothing_more() -> None:
    due = [delivery(ORGS[0], at) for at in range(3)]
    share = OrgShare(per_org=2, busy={ORGS[0]: 2})
    assert share.take(due, 3) == []
    assert share.full() == (ORGS[0],) and share.loaded() == ()


def test_it_reads_enough_candidates_per_slot_and_needs_a_share_of_one_at_least() -> None:
    assert OrgShare(per_org=1).candidates(4) == 4 * CANDIDATES_PER_SLOT == 4 * MAX_WEBHOOKS
    assert OrgShare(per_org=1).candidates(-1) == 0
    assert OrgShare(per_org=3, busy={ORGS[0]: 1, ORGS[1]: 0, ORGS[2]: 3}).loaded() == ((ORGS[0], 1),)
    with pytest.raises(ValueError, match="per_org"):
        OrgShare(per_org=0)


def assert_fair(
    due: Sequence[WebhookDelivery],
    taken: Sequence[WebhookDelivery],
    busy: Mapping[OrgId, int],
    per_org: int,
    slots: int,
) -> None:
    """The laws of a claim: at most ``slots``; each organization's deliveries taken in the order they
    fell due; none past its share (counting what it has in flight); the load balanced (an
    organization that got a slot ends with at most one more in flight than any organization left
    with a due delivery and below its share); and a slot left free only when every due delivery
    left out is of an organization at its share."""
    assert len(taken) <= slots and len({one.id for one in taken}) == len(taken)
    for org in {one.org_id for one in due}:
        mine = [one for one in due if one.org_id == org]
        mine.sort(key=lambda one: (one.next_attempt_at, one.id))
        got = [one for one in taken if one.org_id == org]
        assert got == mine[: len(got)]
    held = Counter({org: count for org, count in busy.items() if count > 0})
    held.update(one.org_id for one in taken)
    assert all(held[org] <= max(per_org, busy.get(org, 0)) for org in held)
    taken_ids = {one.id for one in taken}
    waiting = {one.org_id for one in due if one.id not in taken_ids and held[one.org_id] < per_org}
    for org in {one.org_id for one in taken}:
        assert all(held[org] <= held[other] + 1 for other in waiting)
    if len(taken) < slots:
        assert not waiting


@given(
    st.lists(st.sampled_from(ORGS), max_size=40),
    st.dictionaries(st.sampled_from(ORGS), st.integers(0, 4)),
    st.integers(1, 4),
    st.integers(0, 12),
    st.randoms(use_true_random=False),
)
def test_what_it_takes_keeps_the_laws(
    orgs: list[OrgId], busy: dict[OrgId, int], per_org: int, slots: int, shuffle: random.Random
) -> None:
    due = [delivery(org, at) for at, org in enumerate(orgs)]
    read = list(due)
    shuffle.shuffle(read)  # the order a store read them in does not matter
    assert_fair(due, OrgShare(per_org=per_org, busy=busy).take(read, slots), busy, per_org, slots)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(0, MAX_WEBHOOKS), min_size=1, max_size=6),
    st.lists(st.integers(0, 4), min_size=6, max_size=6),
    st.integers(1, 4),
    st.integers(1, 16),
    st.randoms(use_true_random=False),
)
def test_a_claim_with_a_share_keeps_the_laws_over_what_the_store_reads(
    webhooks_per_org: list[int], busy_per_org: list[int], per_org: int, slots: int, shuffle: random.Random
) -> None:
    """The laws of a claim, not of ``take`` alone (what the store reads matters too: a window of the
    oldest rows only once kept a free slot from a waiting organization), on the in-memory store."""
    orgs = [OrgId(uuid.uuid4()) for _ in webhooks_per_org]
    webhooks = [
        webhook_of(org_id)
        for org_id, count in zip(orgs, webhooks_per_org, strict=False)
        for _ in range(count)
    ]
    shuffle.shuffle(webhooks)  # organizations' deliveries fell due interleaved, in any order
    due = [queued_for(webhook, at - len(webhooks)) for at, webhook in enumerate(webhooks)]
    store = InMemoryStore()
    with store.unit_of_work() as uow:
        for number, org_id in enumerate(orgs):
            uow.orgs.add(Org(org_id, f"Org {number}", Plan.AGENCY, "UTC", WeekStart.MONDAY, NOW))
        for webhook, queued in zip(webhooks, due, strict=True):
            uow.webhooks.add(webhook)
            uow.deliveries.add(queued)
        uow.commit()
    busy = dict(zip(orgs, busy_per_org, strict=False))

    with store.unit_of_work() as uow:
        share = OrgShare(per_org=per_org, busy=busy)
        claimed = list(uow.deliveries.claim_due(NOW, NOW + timedelta(seconds=60), slots, share=share))
        uow.commit()

    leased = {one.id: one for one in due}
    assert_fair(due, [leased[one.id] for one in claimed], busy, per_org, slots)
