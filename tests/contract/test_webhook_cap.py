"""At most 20 webhooks per organization, on every store: ``add_webhook`` counts and inserts under the
organization's lock, so concurrent creations never take an organization past the limit."""

from __future__ import annotations

import threading

import pytest

from hours_core.errors import TooManyWebhooks
from hours_core.services.webhooks import add_webhook
from hours_core.subscriptions import MAX_WEBHOOKS, Webhook

from .conftest import Build, OpenStore, World
from .test_events import new_event
from .test_webhooks import a_webhook, add


def count(store: OpenStore, world: World) -> int:
    with store.unit_of_work(read_only=True) as uow:
        return len(uow.webhooks.list(world.a.org.id))


def test_concurrent_creations_never_take_an_organization_past_the_limit(
    store: OpenStore, world: World, build: Build
) -> None:
    """Eight writers race for the last two slots: exactly two get one, on every store (PostgreSQL
    serializes them on the organization's row lock; the others run one writer at a time)."""
    add(store, *(a_webhook(build, world.a) for _ in range(MAX_WEBHOOKS - 2)))
    start = threading.Barrier(8)
    outcomes: list[str] = []

    def create(webhook: Webhook) -> None:
        start.wait()
        try:
            with store.unit_of_work() as uow:
                add_webhook(uow, webhook)
                uow.commit()
            outcomes.append("created")
        except TooManyWebhooks as refused:
            outcomes.append(f"refused at {refused.limit}")

    threads = [threading.Thread(target=create, args=(a_webhook(build, world.a),)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["created"] * 2 + [f"refused at {MAX_WEBHOOKS}"] * 6
    assert count(store, world) == MAX_WEBHOOKS


def test_an_inactive_webhook_counts_and_a_deleted_one_frees_its_slot(
    store: OpenStore, world: World, build: Build
) -> None:
    held = [a_webhook(build, world.a, active=n % 2 == 0) for n in range(MAX_WEBHOOKS)]
    add(store, *held)
    with pytest.raises(TooManyWebhooks), store.unit_of_work() as uow:
        add_webhook(uow, a_webhook(build, world.a))

    with store.unit_of_work() as uow:
        assert uow.webhooks.delete(world.a.org.id, held[1].id)  # an inactive one
        add_webhook(uow, a_webhook(build, world.a))
        uow.commit()

    assert count(store, world) == MAX_WEBHOOKS


def test_the_limit_is_per_organization(store: OpenStore, world: World, build: Build) -> None:
    add(store, *(a_webhook(build, world.a) for _ in range(MAX_WEBHOOKS)))

    with store.unit_of_work() as uow:
        add_webhook(uow, a_webhook(build, world.b))
        uow.commit()

    with store.unit_of_work(read_only=True) as uow:
        assert len(uow.webhooks.list(world.b.org.id)) == 1


def test_a_refused_creation_stores_nothing(store: OpenStore, world: World, build: Build) -> None:
    add(store, *(a_webhook(build, world.a) for _ in range(MAX_WEBHOOKS)))
    refused = a_webhook(build, world.a)

    with store.unit_of_work() as uow:
        with pytest.raises(TooManyWebhooks):
            add_webhook(uow, refused)
        uow.commit()  # what the unit of work holds: the refusal left nothing in it

    with store.unit_of_work(read_only=True) as uow:
        assert uow.webhooks.get(world.a.org.id, refused.id) is None
    assert count(store, world) == MAX_WEBHOOKS


def test_a_created_webhook_starts_at_the_organization_s_latest_event(
    store: OpenStore, world: World, build: Build
) -> None:
    with store.unit_of_work() as uow:
        uow.events.append(new_event(world.a.org.id))
        uow.events.append(new_event(world.a.org.id))
        uow.commit()
    with store.unit_of_work(read_only=True) as uow:
        latest = uow.events.latest_seq(world.a.org.id)

    with store.unit_of_work() as uow:
        stored = add_webhook(uow, a_webhook(build, world.a))
        uow.commit()

    assert stored.event_cursor == latest > 0
    with store.unit_of_work(read_only=True) as uow:
        assert uow.webhooks.get(world.a.org.id, stored.id) == stored
