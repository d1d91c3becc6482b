"""Deleting a webhook while another transaction queues a delivery for it (PostgreSQL, several writers).

A ping, a redelivery and the dispatcher's fan-out each lock the webhook and add a delivery to its
queue. A deletion that runs at that moment must wait for them and then delete what they queued
with the webhook, not fail on the deliveries it could not see yet.
"""

from __future__ import annotations

import threading
from typing import Any

import psycopg
import pytest

from hours_core.ids import UuidV7Ids
from hours_core.services import CreateWebhook
from hours_core.subscriptions import DeliveryId, WebhookDelivery
from hours_sql.webhook_repositories import SqlWebhookRepository
from tests.postgres_support import (
    drop_the_postgres_schema_at_the_end,  # noqa: F401 - a session fixture: drops the run's schema
    empty_postgres_store,
)
from tests.postgres_url import require_postgres
from tests.webhooks.conftest import LOCAL
from tests.world import START, make_world

GUARD_SECONDS = 30
"""How long a step may wait for the other thread before the test gives up (it never should)."""


def waits_for(pid: int) -> bool:
    """Whether another session of the server waits for a lock that the session ``pid`` holds."""
    with psycopg.connect(require_postgres(), autocommit=True) as connection:
        row = connection.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid))", (pid,)
        ).fetchone()
    return row is not None and row[0] > 0


@pytest.mark.postgres
def test_a_webhook_deleted_while_a_delivery_is_being_queued_is_deleted_with_that_delivery() -> None:
    with empty_postgres_store() as unit_of_work:
        world = make_world(unit_of_work, url_policy=LOCAL)
        owner = world.caller(world.owner)
        webhook = world.services.webhooks.create(
            owner, CreateWebhook(url="http://127.0.0.1:9/hook", events=("*",))
        )
        queued, release = threading.Event(), threading.Event()
        holder: dict[str, Any] = {}

        def queue_a_delivery_and_hold() -> None:
            """What a ping does (lock the webhook, take a position, add the delivery), held open."""
            with unit_of_work() as uow:
                locked = uow.webhooks.lock(world.org.id, webhook.id)
                assert locked is not None
                advanced, (position,) = locked.queued(1)
                uow.webhooks.update(advanced)
                uow.deliveries.add(
                    WebhookDelivery.queued(
                        DeliveryId(UuidV7Ids().new_id()),
                        locked,
                        position,
                        event_id="evt_ping",
                        event_type="ping",
                        payload=b"{}",
                        now=START,
                    )
                )
                assert isinstance(uow.webhooks, SqlWebhookRepository)
                [(holder["pid"],)] = uow.webhooks._session.rows("SELECT pg_backend_pid()")
                queued.set()
                assert release.wait(GUARD_SECONDS)
                uow.commit()

        outcome: dict[str, Any] = {}

        def delete() -> None:
            try:
                world.services.webhooks.delete(owner, webhook.id)
            except Exception as error:  # the failure this test is about; reported by the assertion
                outcome["error"] = error

        queuer = threading.Thread(target=queue_a_delivery_and_hold)
        queuer.start()
        assert queued.wait(GUARD_SECONDS)
        deleter = threading.Thread(target=delete)
        deleter.start()
        for _ in range(GUARD_SECONDS * 20):  # until the deletion waits for the queuing transaction
            if waits_for(holder["pid"]) or not deleter.is_alive():
                break
            deleter.join(0.05)
        release.set()
        queuer.join(GUARD_SECONDS)
        deleter.join(GUARD_SECONDS)

        assert "error" not in outcome, outcome.get("error")
        with unit_of_work() as uow:
            assert uow.webhooks.get(world.org.id, webhook.id) is None
            assert list(uow.deliveries.list(world.org.id, webhook.id, limit=10)) == []
