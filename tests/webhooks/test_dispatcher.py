"""The dispatcher against a real local receiver, on the in-memory store and SQLite: signed deliveries,
order per webhook, retries, 410, giving up after about 3 days, secret rotation, the delivery log."""

from __future__ import annotations

import io
import json
import logging
from datetime import date, timedelta
from typing import Any

import msgspec
import pytest

from hours_app.dispatching import DispatcherLoop
from hours_core.errors import StoreBusy
from hours_core.model import RateScope
from hours_core.services import (
    ChangeClient,
    ChangeProject,
    ChangeWebhook,
    CreateRate,
    CreateWebhook,
    ImportEntries,
)
from hours_core.services.dispatcher import WebhookDispatcher
from hours_core.subscriptions import DeliveryStatus, Webhook
from hours_core.webhooks import MAX_DELIVERY_ATTEMPTS, SECRET_ROTATION_OVERLAP, retry_delay_cap, verify
from hours_http.converter import event_json
from hours_webhooks import HttpWebhookSender
from tests.exchange.odd_files import toggl_file
from tests.webhooks.receiver import Receiver, Reply
from tests.webhooks.support import dispatcher_for
from tests.world import World


@pytest.fixture
def dispatcher(world: World) -> WebhookDispatcher:
    return dispatcher_for(world, HttpWebhookSender(allow_http=True, allow_private=True))


def subscribe(world: World, receiver: Receiver, **changes: object) -> Webhook:
    command = CreateWebhook(url=receiver.url(), events=("*",))
    return world.services.webhooks.create(world.caller(world.owner), command)


def ping(world: World, webhook: Webhook) -> str:
    return world.services.webhooks.ping(world.caller(world.owner), webhook.id).event_id


def log(world: World, webhook: Webhook) -> list[tuple[str, DeliveryStatus, int, int | None]]:
    page = world.services.webhooks.deliveries(world.caller(world.owner), webhook.id, limit=100)
    return [(d.event_id, d.status, d.attempt, d.response_code) for d in reversed(page.deliveries)]


def test_a_ping_is_posted_signed_with_its_headers_and_logged(
    world: World, dispatcher: WebhookDispatcher, receiver: Receiver
) -> None:
    webhook = subscribe(world, receiver)
    event_id = ping(world, webhook)

    (recorded,) = dispatcher.run_due(10)

    (request,) = receiver.requests
    assert request.method == "POST"
    assert request.target == "/hook"
    assert request.header("Hours-Event-Id") == event_id
    assert request.header("Hours-Event-Type") == "ping"
    assert request.header("Content-Type") == "application/json"
    signed_at = verify(webhook.secret, request.header("Hours-Signature"), request.body, world.clock.now())
    assert signed_at == int(world.clock.now().timestamp())
    assert json.loads(request.body) == {
        "id": event_id,
        "type": "ping",
        "occurredAt": "2026-03-02T09:00:00Z",
        "subject": {"type": "webhook", "id": str(webhook.id)},
    }
    assert recorded.status is DeliveryStatus.DELIVERED
    assert log(world, webhook) == [(event_id, DeliveryStatus.DELIVERED, 1, 200)]
    assert recorded.duration_ms is not None and recorded.error is None
    assert dispatcher.run_due(10) == []


def test_deliveries_of_a_webhook_go_out_one_at_a_time_in_order(
    world: World, dispatcher: WebhookDispatcher, receiver: Receiver
) -> None:
    webhook = subscribe(world, receiver)
    ids = [ping(world, webhook) for _ in range(3)]
    receiver.reply_with(Reply(status=503))

    dispatcher.run_due(10)
    dispatcher.run_due(10)  # the first waits for its retry; the others wait for the first
    receiver.reply_with(Reply(status=204))
    world.clock.advance(retry_delay_cap(1))
    for _ in range(3):
        dispatcher.run_due(10)

    assert [request.header("Hours-Event-Id") for request in receiver.requests] == [ids[0], *ids]
    assert log(world, webhook) == [
        (ids[0], DeliveryStatus.DELIVERED, 2, 204),
        (ids[1], DeliveryStatus.DELIVERED, 1, 204),
        (ids[2], DeliveryStatus.DELIVERED, 1, 204),
    ]


def test_a_failed_attempt_is_retried_after_the_backoff(
    world: World, dispatcher: WebhookDispatcher, receiver: Receiver
) -> None:
    webhook = subscribe(world, receiver)
    ping(world, webhook)
    receiver.reply_with(Reply(status=500, body=b"boom"))

    (failed,) = dispatcher.run_due(10)

    assert failed.status is DeliveryStatus.PENDING
    assert failed.error == "http_status: the receiver answered 500"
    assert failed.next_attempt_at == world.clock.now() + retry_delay_cap(1)  # random() is 1.0 here
    world.clock.advance(retry_delay_cap(1) - timedelta(microseconds=1))
    assert dispatcher.run_due(10) == []
    world.clock.advance(timedelta(microseconds=1))
    assert len(dispatcher.run_due(10)) == 1


def test_a_410_disables_the_webhook_at_once_with_its_reason(
    world: World, dispatcher: WebhookDispatcher, receiver: Receiver
) -> None:
    webhook = subscribe(world, receiver)
    first, second = ping(world, webhook), ping(world, webhook)
    receiver.reply_with(Reply(status=410))

    (gone,) = dispatcher.run_due(10)
    world.clock.advance(timedelta(days=1))

    assert gone.status is DeliveryStatus.FAILED
    assert dispatcher.run_due(10) == []
    stored = world.services.webhooks.get(world.caller(world.owner), webhook.id)
    assert not stored.active
    assert stored.disabled_reason is not None and "410" in stored.disabled_reason
    assert log(world, webhook) == [
        (first, DeliveryStatus.FAILED, 1, 410),
        (second, DeliveryStatus.PENDING, 0, None),
    ]


def test_turning_a_disabled_webhook_on_again_resumes_its_queue(
    world: World, dispatcher: WebhookDispatcher, receiver: Receiver
) -> None:
    webhook = subscribe(world, receiver)
    ping(world, webhook)
    second = ping(world, webhook)
    receiver.reply_with(Reply(status=410))
    dispatcher.run_due(10)
    receiver.reply_with(Reply(status=200))

    changed = world.services.webhooks.change(
        world.caller(world.owner), webhook.id, ChangeWebhook(active=True)
    )

    assert changed.disabled_reason is None and changed.disabled_at is None
    (resumed,) = dispatcher.run_due(10)
    assert resumed.event_id == second


def test_three_days_of_failures_give_the_delivery_up_and_disable_the_webhook(
    world: World, dispatcher: WebhookDispatcher, receiver: Receiver
) -> None:
    webhook = subscribe(world, receiver)
    event_id = ping(world, webhook)
    receiver.reply_with(Reply(status=500))
    started = world.clock.now()

    for attempt in range(1, MAX_DELIVERY_ATTEMPTS + 1):
        (recorded,) = dispatcher.run_due(10)
        assert recorded.attempt == attempt
        if attempt < MAX_DELIVERY_ATTEMPTS:
            assert recorded.status is DeliveryStatus.PENDING
            world.clock.advance(retry_delay_cap(attempt))

    assert recorded.status is DeliveryStatus.FAILED
    assert timedelta(days=2) < world.clock.now() - started < timedelta(days=7)
    assert len(receiver.requests) == MAX_DELIVERY_ATTEMPTS
    stored = world.services.webhooks.get(world.caller(world.owner), webhook.id)
    assert not stored.active
    assert stored.disabled_reason is not None
    assert f"failed {MAX_DELIVERY_ATTEMPTS} times" in stored.disabled_reason
    assert "http_status: the receiver answered 500" in stored.disabled_reason
    assert log(world, webhook) == [(event_id, DeliveryStatus.FAILED, MAX_DELIVERY_ATTEMPTS, 500)]


def test_during_a_rotation_both_secrets_sign_for_24_hours(
    world: World, dispatcher: WebhookDispatcher, receiver: Receiver
) -> None:
    webhook = subscribe(world, receiver)
    rotated = world.services.webhooks.rotate_secret(world.caller(world.owner), webhook.id)
    ping(world, webhook)
    dispatcher.run_due(10)
    world.clock.advance(SECRET_ROTATION_OVERLAP)
    ping(world, webhook)
    dispatcher.run_due(10)

    during, after = receiver.requests
    header = during.header("Hours-Signature")
    assert header is not None and header.count("v1=") == 2
    start = world.clock.now() - SECRET_ROTATION_OVERLAP
    verify(rotated.secret, header, during.body, start)
    verify(webhook.secret, header, during.body, start)
    assert after.header("Hours-Signature").count("v1=") == 1  # type: ignore[union-attr]
    verify(rotated.secret, after.header("Hours-Signature"), after.body, world.clock.now())


def test_a_redelivery_sends_the_same_event_again(
    world: World, dispatcher: WebhookDispatcher, receiver: Receiver
) -> None:
    webhook = subscribe(world, receiver)
    event_id = ping(world, webhook)
    (first,) = dispatcher.run_due(10)

    world.services.webhooks.redeliver(world.caller(world.owner), webhook.id, first.id)
    dispatcher.run_due(10)

    assert [request.header("Hours-Event-Id") for request in receiver.requests] == [event_id, event_id]
    assert receiver.requests[0].body == receiver.requests[1].body


def test_a_deleted_webhook_gets_nothing_more(
    world: World, dispatcher: WebhookDispatcher, receiver: Receiver
) -> None:
    webhook = subscribe(world, receiver)
    ping(world, webhook)
    claims = dispatcher.claim(10)
    world.services.webhooks.delete(world.caller(world.owner), webhook.id)

    recorded = [dispatcher.deliver(claim) for claim in claims]  # in flight when it was deleted

    assert len(recorded) == 1 and len(receiver.requests) == 1
    assert dispatcher.run_due(10) == []


# Events from the outbox.


def test_each_matching_event_is_delivered_as_the_change_feed_shows_it(
    world: World, dispatcher: WebhookDispatcher, receiver: Receiver
) -> None:
    owner = world.caller(world.owner)
    world.services.projects.create_project(owner, "Before the webhook")
    webhook = world.services.webhooks.create(
        owner, CreateWebhook(url=receiver.url(), events=("project.created", "task.*"))
    )
    first = world.services.projects.create_project(owner, "Website")
    world.services.projects.change_project(owner, first.id, ChangeProject(name="Web site"))  # not subscribed
    second = world.services.projects.create_project(owner, "Support")

    while dispatcher.run_due(10):
        pass

    feed = world.services.events.changes(owner, after=0, limit=100).events
    wanted = [
        event
        for event in feed
        if event.type.value == "project.created" and event.subject.id in (str(first.id), str(second.id))
    ]
    assert [json.loads(request.body)["subject"]["id"] for request in receiver.requests] == [
        str(first.id),
        str(second.id),
    ]
    for request, event in zip(receiver.requests, wanted, strict=True):
        assert request.body == msgspec.json.encode(event_json(event))
        assert request.header("Hours-Event-Id") == str(event.id)
        assert request.header("Hours-Event-Type") == "project.created"
        verify(webhook.secret, request.header("Hours-Signature"), request.body, world.clock.now())


def test_events_queue_in_sequence_order_behind_a_failing_delivery(
    world: World, dispatcher: WebhookDispatcher, receiver: Receiver
) -> None:
    owner = world.caller(world.owner)
    webhook = subscribe(world, receiver)
    names = [f"Project {number}" for number in range(5)]
    receiver.reply_with(Reply(status=500))
    world.services.projects.create_project(owner, names[0])
    dispatcher.run_due(10)
    for name in names[1:]:
        world.services.projects.create_project(owner, name)
    dispatcher.run_due(10)
    receiver.reply_with(Reply(status=200))
    world.clock.advance(retry_delay_cap(1))

    while dispatcher.run_due(10):
        pass

    sent = [json.loads(request.body) for request in receiver.requests]
    assert [body["changes"]["name"]["to"] for body in sent] == [names[0], *names]
    assert [body["seq"] for body in sent[1:]] == sorted(body["seq"] for body in sent[1:])
    assert all(status is DeliveryStatus.DELIVERED for _, status, _, _ in log(world, webhook))


def test_events_while_a_webhook_is_off_are_not_queued_for_it(
    world: World, dispatcher: WebhookDispatcher, receiver: Receiver
) -> None:
    owner = world.caller(world.owner)
    webhook = subscribe(world, receiver)
    world.services.webhooks.change(owner, webhook.id, ChangeWebhook(active=False))
    world.services.projects.create_project(owner, "Quiet")
    dispatcher.run_due(10)
    world.services.webhooks.change(owner, webhook.id, ChangeWebhook(active=True))
    loud = world.services.projects.create_project(owner, "Loud")

    dispatcher.run_due(10)

    assert [json.loads(request.body)["subject"]["id"] for request in receiver.requests] == [str(loud.id)]


def test_a_fan_out_takes_turns_so_webhooks_past_its_limit_are_not_starved_by_busy_ones(
    world: World, dispatcher: WebhookDispatcher, receiver: Receiver
) -> None:
    # Three webhooks, a fan-out of two at a time, and a new event before every round: the two first
    # (by id) are behind at every round, as those of busy organizations are under load.
    owner = world.caller(world.owner)
    hooks = sorted((subscribe(world, receiver) for _ in range(3)), key=lambda webhook: webhook.id)
    for round_ in range(3):
        world.services.projects.create_project(owner, f"Busy {round_}")
        dispatcher.fan_out(limit=2)

    last = hooks[-1]
    page = world.services.webhooks.deliveries(owner, last.id, limit=100)
    assert [delivery.event_type for delivery in page.deliveries] != []  # its turn came within 3 rounds
    assert {delivery.event_type for delivery in page.deliveries} == {"project.created"}


def test_on_a_single_dispatcher_store_a_second_loop_waits_for_the_lease(
    world: World, dispatcher: WebhookDispatcher, receiver: Receiver
) -> None:
    first, second = (DispatcherLoop(dispatcher, single=True) for _ in range(2))
    webhook = subscribe(world, receiver)
    try:
        assert first.step() == 0  # takes the lease; nothing to send yet
        ping(world, webhook)
        assert second.step() == 0  # the first holds the lease: the second sends nothing
        assert first.step() == 1
        world.clock.advance(dispatcher.lease)
        ping(world, webhook)
        assert second.step() == 1  # the first's lease ran out (as if it had died): the second takes over
    finally:
        first.stop()
        second.stop()
    assert len(receiver.requests) == 2


def test_a_loop_that_stops_gives_the_lease_up_so_the_next_one_dispatches_at_once(
    world: World, dispatcher: WebhookDispatcher, receiver: Receiver
) -> None:
    first, second, third = (DispatcherLoop(dispatcher, single=True) for _ in range(3))
    webhook = subscribe(world, receiver)
    try:
        assert first.step() == 0  # takes the lease
        first.stop()  # a server that stops (not one that dies)
        ping(world, webhook)
        assert second.step() == 1  # no wait for the lease to run out
        ping(world, webhook)
        assert third.step() == 0  # the second holds it now
        third.stop()  # a loop that never held the lease gives nothing up
        assert second.step() == 1
    finally:
        second.stop()
    assert len(receiver.requests) == 2


def test_a_lease_that_cannot_be_given_up_is_logged_and_the_stop_goes_on(
    world: World, dispatcher: WebhookDispatcher, caplog: pytest.LogCaptureFixture
) -> None:
    loop = DispatcherLoop(dispatcher, single=True)
    assert loop.step() == 0  # takes the lease

    def broken(holder: str) -> bool:
        raise RuntimeError("the store is closed")

    dispatcher.release_the_store = broken  # type: ignore[method-assign]
    loop.stop()

    assert "could not give the webhook dispatcher lease up" in caplog.text


def test_a_store_out_of_reach_is_one_warning_line_then_one_line_when_it_is_back(
    world: World, dispatcher: WebhookDispatcher, caplog: pytest.LogCaptureFixture
) -> None:
    loop = DispatcherLoop(dispatcher, single=False, poll=0.01)
    rounds = iter([StoreBusy("the database is unavailable"), StoreBusy("the database is unavailable"), None])

    def fill(*, fan_out: bool = False) -> list[Any]:
        failure = next(rounds, None)
        if failure is not None:
            raise failure
        loop.stop()  # the loop ends after this pass
        return []

    loop.fill = fill  # type: ignore[method-assign]
    with caplog.at_level(logging.INFO, logger="hours.webhooks"):
        loop.run()

    lines = [(record.levelname, record.getMessage()) for record in caplog.records]
    assert lines == [
        (
            "WARNING",
            "the webhook dispatcher cannot use the store (for 0 s; retrying): the database is unavailable",
        ),
        ("INFO", "the webhook dispatcher can use the store again"),
    ]
    assert not any(record.exc_info for record in caplog.records)  # no stack trace per round


def test_webhooks_filtered_by_the_client_and_rate_families_get_those_events(
    world: World, dispatcher: WebhookDispatcher, receiver: Receiver
) -> None:
    owner = world.caller(world.owner)
    families = world.services.webhooks.create(
        owner, CreateWebhook(url=receiver.url(path="/families"), events=("client.*", "rate.created"))
    )
    everything = world.services.webhooks.create(
        owner, CreateWebhook(url=receiver.url(path="/all"), events=("*",))
    )
    acme = world.services.clients.create_client(owner, "Initech", "EUR")
    world.services.clients.change_client(owner, acme.id, ChangeClient(archived=True))
    world.services.projects.create_project(owner, "Not a client")  # neither client.* nor rate.*
    rate = world.services.rates.create_rate(
        owner,
        CreateRate(
            scope=RateScope.ORG, effective_from=date(2026, 1, 1), billable_rate_minor=100, currency="EUR"
        ),
    )
    world.services.rates.delete_rate(owner, rate.id)  # rate.deleted: not subscribed by the first

    while dispatcher.run_due(10):
        pass

    def received(path: str) -> list[tuple[str, str]]:
        bodies = [json.loads(request.body) for request in receiver.requests if request.target == path]
        return [(body["type"], body["subject"]["id"]) for body in bodies]

    assert received("/families") == [
        ("client.created", str(acme.id)),
        ("client.archived", str(acme.id)),
        ("rate.created", str(rate.id)),
    ]
    assert [kind for kind, _ in received("/all")] == [
        "client.created",
        "client.archived",
        "project.created",
        "rate.created",
        "rate.deleted",
    ]
    for request in receiver.requests:
        webhook = families if request.target == "/families" else everything
        verify(webhook.secret, request.header("Hours-Signature"), request.body, world.clock.now())
        assert request.header("Hours-Event-Type") == json.loads(request.body)["type"]


def test_a_webhook_gets_an_import_s_events_via_import(
    world: World, dispatcher: WebhookDispatcher, receiver: Receiver
) -> None:
    owner = world.caller(world.owner)
    world.services.webhooks.create(owner, CreateWebhook(url=receiver.url(), events=("time_entry.*",)))
    data = io.BytesIO(toggl_file(world.owner.email, world.member.email))
    report = world.services.imports.import_entries(
        owner, ImportEntries(source="toggl", data=data, timezone="Europe/Berlin")
    )
    assert report.id is not None
    world.services.imports.delete_import(owner, report.id)

    while dispatcher.run_due(10):
        pass

    bodies = [json.loads(request.body) for request in receiver.requests]
    assert [body["type"] for body in bodies] == ["time_entry.created"] * 5 + ["time_entry.deleted"] * 5
    assert {body["actor"]["via"] for body in bodies} == {"import"}
