"""The contract of the webhook and delivery repositories, for every store (and claims on PostgreSQL)."""

from __future__ import annotations

import threading
from datetime import timedelta

import attrs
import pytest

from hours_core.delivery_share import OrgShare
from hours_core.errors import Conflict
from hours_core.subscriptions import DeliveryId, DeliveryStatus, Webhook, WebhookDelivery, WebhookId
from tests.postgres_support import empty_postgres_store

from .conftest import T0, Build, OpenStore, Tenant, World, make_tenant
from .test_events import new_event

LEASE = T0 + timedelta(seconds=60)


def a_webhook(
    build: Build, tenant: Tenant, *, active: bool = True, events: tuple[str, ...] = ("*",)
) -> Webhook:
    return Webhook(
        id=WebhookId(build.id()),
        org_id=tenant.org.id,
        url="https://hooks.example.com/hours",
        events=events,
        description="Payroll",
        active=active,
        created_at=T0,
        updated_at=T0,
        disabled_at=None,
        disabled_reason=None,
        secret="whsec_" + "a" * 32,
        previous_secret=None,
        previous_secret_expires_at=None,
        event_cursor=0,
        last_position=0,
    )


def a_delivery(
    build: Build, webhook: Webhook, position: int, *, due: timedelta = timedelta(0)
) -> WebhookDelivery:
    queued = WebhookDelivery.queued(
        DeliveryId(build.id()),
        webhook,
        position,
        event_id=f"evt_{position}",
        event_type="time_entry.created",
        payload=b'{"id":"evt"}',
        now=T0,
    )
    return attrs.evolve(queued, next_attempt_at=T0 + due)


def add(store: OpenStore, *rows: Webhook | WebhookDelivery) -> None:
    with store.unit_of_work() as uow:
        for row in rows:
            if isinstance(row, Webhook):
                uow.webhooks.add(row)
            else:
                uow.deliveries.add(row)
        uow.commit()


def claim(store: OpenStore, *, now: timedelta = timedelta(0), limit: int = 10) -> list[WebhookDelivery]:
    with store.unit_of_work() as uow:
        claimed = list(uow.deliveries.claim_due(T0 + now, T0 + now + timedelta(seconds=60), limit))
        uow.commit()
    return claimed


# Webhooks.


def test_an_added_webhook_reads_back_with_its_event_types(
    store: OpenStore, world: World, build: Build
) -> None:
    webhook = a_webhook(build, world.a, events=("time_entry.created", "project.*", "é"))
    add(store, webhook)

    with store.unit_of_work(read_only=True) as uow:
        assert uow.webhooks.get(world.a.org.id, webhook.id) == webhook
        assert uow.webhooks.get(world.b.org.id, webhook.id) is None
        assert list(uow.webhooks.list(world.a.org.id)) == [webhook]
        assert list(uow.webhooks.list(world.b.org.id)) == []


def test_webhooks_are_listed_oldest_first(store: OpenStore, world: World, build: Build) -> None:
    later = attrs.evolve(a_webhook(build, world.a), created_at=T0 + timedelta(seconds=1))
    earlier = a_webhook(build, world.a)
    add(store, later, earlier)

    with store.unit_of_work(read_only=True) as uow:
        assert [webhook.id for webhook in uow.webhooks.list(world.a.org.id)] == [earlier.id, later.id]


def test_a_webhook_of_an_unknown_organization_is_refused(
    store: OpenStore, world: World, build: Build
) -> None:
    stranger = make_tenant(build, "Nowhere")
    with store.unit_of_work() as uow, pytest.raises(Conflict):
        uow.webhooks.add(a_webhook(build, stranger))


def test_an_update_replaces_the_webhook_of_its_organization_only(
    store: OpenStore, world: World, build: Build
) -> None:
    webhook = a_webhook(build, world.a)
    add(store, webhook)
    changed = webhook.rotated("whsec_" + "b" * 32, T0).disabled("gone", T0)
    foreign = attrs.evolve(changed, org_id=world.b.org.id, url="https://evil.example.com/")

    with store.unit_of_work() as uow:
        uow.webhooks.update(changed)
        uow.webhooks.update(foreign)
        uow.commit()

    with store.unit_of_work(read_only=True) as uow:
        assert uow.webhooks.get(world.a.org.id, webhook.id) == changed


def test_deleting_a_webhook_deletes_its_deliveries(store: OpenStore, world: World, build: Build) -> None:
    webhook, kept = a_webhook(build, world.a), a_webhook(build, world.a)
    add(store, webhook, kept, a_delivery(build, webhook, 1), a_delivery(build, kept, 1))

    with store.unit_of_work() as uow:
        assert uow.webhooks.delete(world.b.org.id, webhook.id) is False
        assert uow.webhooks.delete(world.a.org.id, webhook.id) is True
        assert uow.webhooks.delete(world.a.org.id, webhook.id) is False
        uow.commit()

    with store.unit_of_work(read_only=True) as uow:
        assert uow.webhooks.get(world.a.org.id, webhook.id) is None
        assert list(uow.deliveries.list(world.a.org.id, webhook.id, limit=10)) == []
        assert len(uow.deliveries.list(world.a.org.id, kept.id, limit=10)) == 1


def test_the_dispatcher_lease_is_held_by_one_holder_until_it_runs_out(store: OpenStore, world: World) -> None:
    def take(holder: str, now: timedelta) -> bool:
        with store.unit_of_work() as uow:
            taken = uow.webhooks.take_dispatcher_lease(holder, T0 + now, T0 + now + timedelta(seconds=60))
            uow.commit()
        return taken

    assert take("one", timedelta(0))
    assert not take("two", timedelta(seconds=30))
    assert take("one", timedelta(seconds=30))  # renewed until 90 s
    assert not take("two", timedelta(seconds=89))
    assert take("two", timedelta(seconds=90))
    assert not take("one", timedelta(seconds=91))


def test_the_dispatcher_lease_is_given_up_by_its_holder_only(store: OpenStore, world: World) -> None:
    def take(holder: str) -> bool:
        with store.unit_of_work() as uow:
            taken = uow.webhooks.take_dispatcher_lease(holder, T0, T0 + timedelta(seconds=60))
            uow.commit()
        return taken

    def release(holder: str) -> bool:
        with store.unit_of_work() as uow:
            released = uow.webhooks.release_dispatcher_lease(holder)
            uow.commit()
        return released

    assert release("one") is False  # nobody holds it
    assert take("one")
    assert release("two") is False  # not the holder's to give up
    assert not take("two")
    assert release("one") is True
    assert release("one") is False
    assert take("two")  # at once, long before the 60 s ran out


# Deliveries.


def test_deliveries_are_listed_newest_first_in_pages(store: OpenStore, world: World, build: Build) -> None:
    webhook = a_webhook(build, world.a)
    deliveries = [a_delivery(build, webhook, position) for position in (1, 2, 3)]
    add(store, webhook, *deliveries)

    with store.unit_of_work(read_only=True) as uow:
        assert list(uow.deliveries.list(world.a.org.id, webhook.id, limit=2)) == deliveries[:0:-1]
        assert list(uow.deliveries.list(world.a.org.id, webhook.id, limit=2, before=2)) == deliveries[:1]
        assert list(uow.deliveries.list(world.b.org.id, webhook.id, limit=2)) == []
        assert uow.deliveries.get(world.a.org.id, webhook.id, deliveries[0].id) == deliveries[0]
        assert uow.deliveries.get(world.b.org.id, webhook.id, deliveries[0].id) is None


def test_a_delivery_must_name_a_webhook_of_its_organization(
    store: OpenStore, world: World, build: Build
) -> None:
    webhook = a_webhook(build, world.a)
    add(store, webhook)
    foreign = attrs.evolve(a_delivery(build, webhook, 1), org_id=world.b.org.id)

    with store.unit_of_work() as uow, pytest.raises(Conflict):
        uow.deliveries.add(foreign)


def test_a_position_is_taken_once_per_webhook(store: OpenStore, world: World, build: Build) -> None:
    webhook = a_webhook(build, world.a)
    add(store, webhook, a_delivery(build, webhook, 1))

    with store.unit_of_work() as uow, pytest.raises(Conflict):
        uow.deliveries.add(a_delivery(build, webhook, 1))


def test_only_the_first_pending_delivery_of_each_active_webhook_is_due(
    store: OpenStore, world: World, build: Build
) -> None:
    first, second, off = (
        a_webhook(build, world.a),
        a_webhook(build, world.b),
        a_webhook(build, world.a, active=False),
    )
    head = a_delivery(build, first, 1)
    later = a_delivery(build, second, 1, due=timedelta(seconds=10))
    add(store, first, second, off, head, a_delivery(build, first, 2), later, a_delivery(build, off, 1))

    claimed = claim(store)

    assert claimed == [head.leased(LEASE)]
    assert claim(store) == []  # the head is leased, and the one behind it waits for it
    assert claim(store, now=timedelta(seconds=10)) == [later.leased(LEASE + timedelta(seconds=10))]


def test_a_claim_takes_at_most_the_limit_in_due_order(store: OpenStore, world: World, build: Build) -> None:
    hooks = [a_webhook(build, world.a) for _ in range(3)]
    due = [a_delivery(build, hook, 1, due=timedelta(seconds=-index)) for index, hook in enumerate(hooks)]
    add(store, *hooks, *due)

    assert [delivery.id for delivery in claim(store, limit=2)] == [due[2].id, due[1].id]


def test_a_claim_with_a_share_passes_over_an_organization_at_its_share(
    store: OpenStore, world: World, build: Build
) -> None:
    """Org a's five webhooks fell due first, org b's two after; a share of two per organization, with
    one of a's in flight already, takes one of a's (the oldest) and both of b's, and leases only those:
    the first slot to b (none in flight), the next to a's oldest (both at one, a's fell due first),
    the last to b."""
    a_hooks = [a_webhook(build, world.a) for _ in range(5)]
    b_hooks = [a_webhook(build, world.b) for _ in range(2)]
    a_due = [
        a_delivery(build, hook, 1, due=timedelta(seconds=index - 10)) for index, hook in enumerate(a_hooks)
    ]
    b_due = [a_delivery(build, hook, 1, due=timedelta(seconds=-index)) for index, hook in enumerate(b_hooks)]
    add(store, *a_hooks, *b_hooks, *a_due, *b_due)
    share = OrgShare(per_org=2, busy={world.a.org.id: 1})

    with store.unit_of_work() as uow:
        claimed = list(uow.deliveries.claim_due(T0, LEASE, 4, share=share))
        uow.commit()

    assert [delivery.id for delivery in claimed] == [b_due[1].id, a_due[0].id, b_due[0].id]
    assert all(delivery.leased_until == LEASE for delivery in claimed)
    # What was passed over is not leased: the next claim (no share) takes a's four others, oldest first.
    assert [delivery.id for delivery in claim(store, limit=10)] == [d.id for d in a_due[1:]]


def test_a_claim_leaves_out_the_organizations_at_their_share_and_reaches_the_others(
    store: OpenStore, world: World, build: Build
) -> None:
    """Three organizations at their share, each with a backlog older than anything else, and one free
    slot: the claim reads past them (they are left out where the store reads) and takes the fourth's
    delivery. (Review of round 5: a window of the oldest rows only came back full of theirs, and the
    free slot stayed idle.)"""
    busy = [make_tenant(build, name) for name in ("Initech", "Umbrella")]
    store.seed(*(tenant.org for tenant in busy))
    full = [world.a, world.b, *busy[:1]]
    backlog = []
    for tenant in full:
        for index in range(20):
            hook = a_webhook(build, tenant)
            backlog += [hook, a_delivery(build, hook, 1, due=timedelta(seconds=index - 100))]
    patient = a_webhook(build, busy[1])
    waiting = a_delivery(build, patient, 1)
    add(store, *backlog, patient, waiting)
    share = OrgShare(per_org=4, busy={tenant.org.id: 4 for tenant in full})

    with store.unit_of_work() as uow:
        claimed = list(uow.deliveries.claim_due(T0, LEASE, 1, share=share))
        uow.commit()

    assert [delivery.id for delivery in claimed] == [waiting.id]


def test_a_slot_a_busy_organization_frees_goes_to_an_idle_one_before_its_older_backlog(
    store: OpenStore, world: World, build: Build
) -> None:
    """Org a holds 3 of its 4 slots and has 20 webhooks with a backlog older than anything else; org
    b has none in flight and one delivery. One slot frees: it goes to b, whose rows the store reads
    first (the least loaded first), not to a's backlog, which would fill a window of the oldest rows.
    (Black-box round 5, re-check: four slow tenants kept a fifth waiting 43.5 s.)"""
    backlog = []
    for index in range(20):
        hook = a_webhook(build, world.a)
        backlog += [hook, a_delivery(build, hook, 1, due=timedelta(seconds=index - 100))]
    idle = a_webhook(build, world.b)
    waiting = a_delivery(build, idle, 1)
    add(store, *backlog, idle, waiting)
    share = OrgShare(per_org=4, busy={world.a.org.id: 3})

    with store.unit_of_work() as uow:
        claimed = list(uow.deliveries.claim_due(T0, LEASE, 1, share=share))
        uow.commit()

    assert [delivery.id for delivery in claimed] == [waiting.id]


def test_a_lease_that_ran_out_is_claimed_again(store: OpenStore, world: World, build: Build) -> None:
    webhook = a_webhook(build, world.a)
    delivery = a_delivery(build, webhook, 1)
    add(store, webhook, delivery)
    claim(store)

    assert claim(store, now=timedelta(seconds=59)) == []
    assert [again.id for again in claim(store, now=timedelta(seconds=60))] == [delivery.id]


def test_an_outcome_is_recorded_under_its_lease_only_and_frees_the_next(
    store: OpenStore, world: World, build: Build
) -> None:
    webhook = a_webhook(build, world.a)
    head, behind = a_delivery(build, webhook, 1), a_delivery(build, webhook, 2)
    add(store, webhook, head, behind)
    (leased,) = claim(store)
    delivered = leased.attempted(
        at=T0,
        response_code=200,
        duration=timedelta(milliseconds=12),
        error=None,
        status=DeliveryStatus.DELIVERED,
        next_attempt_at=None,
    )

    with store.unit_of_work() as uow:
        assert not uow.deliveries.record(delivered, leased_until=LEASE + timedelta(seconds=1))
        assert uow.deliveries.record(delivered, leased_until=LEASE)
        uow.commit()

    with store.unit_of_work(read_only=True) as uow:
        stored = uow.deliveries.get(world.a.org.id, webhook.id, head.id)
    assert stored == delivered
    assert stored is not None and stored.duration_ms == 12 and stored.attempt == 1
    assert [next_one.id for next_one in claim(store)] == [behind.id]


def test_finished_deliveries_are_purged_after_the_cutoff(
    store: OpenStore, world: World, build: Build
) -> None:
    webhook = a_webhook(build, world.a)
    old, pending = a_delivery(build, webhook, 1), a_delivery(build, webhook, 2)
    finished = attrs.evolve(old, status=DeliveryStatus.FAILED, completed_at=T0)
    add(store, webhook, finished, pending)

    with store.unit_of_work() as uow:
        assert uow.deliveries.purge_finished_before(T0) == 0
        assert uow.deliveries.purge_finished_before(T0 + timedelta(seconds=1)) == 1
        uow.commit()

    with store.unit_of_work(read_only=True) as uow:
        assert list(uow.deliveries.list(world.a.org.id, webhook.id, limit=10)) == [pending]


# Several dispatchers on PostgreSQL.


@pytest.mark.postgres
def test_two_concurrent_claims_on_postgresql_never_take_the_same_delivery(build: Build) -> None:
    with empty_postgres_store() as unit_of_work:
        store = OpenStore("postgres", unit_of_work)
        tenant = make_tenant(build, "Acme")
        store.seed(tenant.org)
        hooks = [a_webhook(build, tenant) for _ in range(4)]
        add(store, *hooks, *(a_delivery(build, hook, 1) for hook in hooks))
        first_claimed = threading.Event()
        release = threading.Event()
        taken: dict[str, list[DeliveryId]] = {}

        def claim_and_hold() -> None:
            with unit_of_work() as uow:
                taken["first"] = [d.id for d in uow.deliveries.claim_due(T0, LEASE, 2)]
                first_claimed.set()
                release.wait(30)
                uow.commit()

        holder = threading.Thread(target=claim_and_hold)
        holder.start()
        assert first_claimed.wait(30)
        # The first transaction holds its two rows, uncommitted: the second passes over them.
        taken["second"] = [d.id for d in claim(store, limit=10)]
        release.set()
        holder.join(30)

    assert len(taken["first"]) == 2
    assert len(taken["second"]) == 2
    assert set(taken["first"]).isdisjoint(taken["second"])


# The fan-out's view of the outbox.


def test_behind_are_the_active_webhooks_below_their_orgs_latest_event(
    store: OpenStore, world: World, build: Build
) -> None:
    caught_up, lagging, off, elsewhere = (
        a_webhook(build, world.a),
        a_webhook(build, world.a),
        a_webhook(build, world.a, active=False),
        a_webhook(build, world.b),
    )
    add(store, caught_up, lagging, off, elsewhere)
    with store.unit_of_work() as uow:
        for _ in range(2):
            uow.events.append(new_event(world.a.org.id))
        uow.commit()
    with store.unit_of_work() as uow:
        uow.webhooks.update(attrs.evolve(caught_up, event_cursor=2))
        uow.webhooks.update(attrs.evolve(lagging, event_cursor=1))
        uow.commit()

    with store.unit_of_work() as uow:
        behind = list(uow.webhooks.behind(10))

    assert [webhook.id for webhook in behind] == [lagging.id]
    assert behind[0].event_cursor == 1


def test_behind_goes_in_id_order_and_from_after_an_id_when_given(
    store: OpenStore, world: World, build: Build
) -> None:
    hooks = sorted((a_webhook(build, world.a) for _ in range(4)), key=lambda webhook: webhook.id)
    add(store, *hooks)
    with store.unit_of_work() as uow:
        uow.events.append(new_event(world.a.org.id))
        uow.commit()

    with store.unit_of_work() as uow:
        first_two = [webhook.id for webhook in uow.webhooks.behind(2)]
        after_second = [webhook.id for webhook in uow.webhooks.behind(10, after=hooks[1].id)]
        after_last = list(uow.webhooks.behind(10, after=hooks[-1].id))

    assert first_two == [hooks[0].id, hooks[1].id]
    assert after_second == [hooks[2].id, hooks[3].id]
    assert after_last == []
