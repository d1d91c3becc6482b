"""The dispatcher's share of slots per organization (:class:`hours_core.delivery_share.OrgShare`)."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hours_core.delivery_share import CANDIDATES_PER_SLOT, OrgShare
from hours_core.model import OrgId
from hours_core.subscriptions import DeliveryId, DeliveryStatus, WebhookDelivery, WebhookId

ORGS = [OrgId(uuid.UUID(int=index + 1)) for index in range(4)]
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def delivery(org_id: OrgId) -> WebhookDelivery:
    return WebhookDelivery(
        id=DeliveryId(uuid.uuid4()),
        org_id=org_id,
        webhook_id=WebhookId(uuid.uuid4()),
        position=1,
        event_id="evt",
        event_type="ping",
        payload=b"{}",
        status=DeliveryStatus.PENDING,
        attempt=0,
        next_attempt_at=NOW,
        leased_until=None,
        last_attempt_at=None,
        response_code=None,
        duration_ms=None,
        error=None,
        created_at=NOW,
        completed_at=None,
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
