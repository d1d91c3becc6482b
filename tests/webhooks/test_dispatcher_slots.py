"""The dispatcher's slots: a slow receiver holds one slot and its own queue, never the others; one
organization holds at most its share of the slots (black-box round 5 found one slow receiver
setting the pace of every webhook of the installation, other organizations' included)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping
from datetime import timedelta

import pytest

from hours_app.dispatching import DispatcherLoop
from hours_core.errors import StoreBusy
from hours_core.model import Plan
from hours_core.services import CreateWebhook
from hours_core.services.caller import Caller
from hours_core.services.dispatcher import Claim
from hours_core.subscriptions import Webhook, WebhookDelivery
from hours_core.webhooks import DeliveryResult
from tests.webhooks.support import dispatcher_for
from tests.world import World

WAIT = 30.0
"""How long a test waits for what it expects before it fails."""

HELD = 120.0
"""The longest a slow send is held (a safety net: each test releases its sends), far past :data:`WAIT`
so that a slow machine never sees a held send end by itself."""


class HeldSender:
    """A sender that answers 200 at once, except to URLs containing ``/slow``: those wait until
    :meth:`release` (a receiver that takes its time)."""

    def __init__(self) -> None:
        self.released = threading.Event()
        self.sent: list[str] = []
        self.slow_in_flight = 0
        self._lock = threading.Lock()

    def send(self, url: str, headers: Mapping[str, str], body: bytes) -> DeliveryResult:
        if "/slow" in url:
            with self._lock:
                self.slow_in_flight += 1
            self.released.wait(HELD)
        with self._lock:
            self.sent.append(url)
        return DeliveryResult(status_code=200, duration=timedelta(milliseconds=1), error=None)

    def release(self) -> None:
        self.released.set()

    def count(self, fragment: str) -> int:
        with self._lock:
            return sum(fragment in url for url in self.sent)


@pytest.fixture
def sender() -> Iterator[HeldSender]:
    held = HeldSender()
    yield held
    held.release()  # never leave a slot waiting after a failed test


def hook(world: World, caller: Caller, path: str) -> Webhook:
    return world.services.webhooks.create(
        caller, CreateWebhook(url=f"http://127.0.0.1:9{path}", events=("*",))
    )


def pings(world: World, caller: Caller, webhook: Webhook, count: int) -> None:
    for _ in range(count):
        world.services.webhooks.ping(caller, webhook.id)


def other_org(world: World) -> Caller:
    made = world.services.admin.bootstrap(
        org_name="Globex", plan=Plan.AGENCY, email="owner@globex.test", env="live"
    )
    return world.caller(made.user)


def eventually(condition: object, what: str) -> None:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return
        time.sleep(0.01)
    raise AssertionError(f"not within {WAIT} s: {what}")


def test_a_slow_receiver_holds_its_own_queue_and_no_other(world: World, sender: HeldSender) -> None:
    owner = world.caller(world.owner)
    slow, fast = hook(world, owner, "/slow"), hook(world, owner, "/fast")
    pings(world, owner, slow, 3)
    pings(world, owner, fast, 5)
    loop = DispatcherLoop(dispatcher_for(world, sender), single=True, poll=0.02)
    loop.start()
    try:
        eventually(lambda: sender.count("/fast") == 5, "the fast webhook's five deliveries")
        assert sender.count("/slow") == 0  # its first delivery is still being answered
        assert sender.slow_in_flight == 1  # and only that one: a webhook's queue goes one at a time
        sender.release()
        eventually(lambda: sender.count("/slow") == 3, "the slow webhook's queue, once it answers")
    finally:
        sender.release()
        loop.stop()


def test_one_organization_holds_at_most_its_share_of_the_slots(world: World, sender: HeldSender) -> None:
    owner, globex = world.caller(world.owner), other_org(world)
    slow_hooks = [hook(world, owner, f"/slow/{index}") for index in range(10)]
    for webhook in slow_hooks:  # Acme's backlog, older than anything Globex queues, and more due
        pings(world, owner, webhook, 2)  # deliveries than a claim's window if it read Acme's too
    fast = hook(world, globex, "/fast")
    pings(world, globex, fast, 4)
    loop = DispatcherLoop(dispatcher_for(world, sender), single=True, poll=0.02, slots=4, slots_per_org=2)
    loop.start()
    try:
        eventually(lambda: sender.count("/fast") == 4, "Globex's deliveries beside Acme's slow ones")
        assert sender.slow_in_flight == 2  # Acme holds its share, two of the four slots, no more
        sender.release()
        eventually(lambda: sender.count("/slow") == 20, "Acme's backlog, once its receivers answer")
    finally:
        sender.release()
        loop.stop()


def test_step_sends_one_pass_and_waits_for_it(world: World, sender: HeldSender) -> None:
    owner = world.caller(world.owner)
    webhooks = [hook(world, owner, f"/fast/{index}") for index in range(3)]
    for webhook in webhooks:
        pings(world, owner, webhook, 2)
    loop = DispatcherLoop(dispatcher_for(world, sender), single=False, slots=2)
    try:
        assert loop.step() == 2  # two slots: two webhooks' first deliveries, sent and recorded
        assert sender.count("/fast") == 2
        # Then the next due ones, oldest first: both webhooks' second, then the third's two, in turn.
        assert [loop.step() for _ in range(4)] == [2, 1, 1, 0]
        assert sender.count("/fast") == 6
    finally:
        loop.stop()


@pytest.mark.parametrize(("slots", "per_org", "poll"), [(0, 1, 1.0), (1, 0, 1.0), (1, 1, 0.0)])
def test_a_loop_needs_a_slot_a_share_and_a_poll(world: World, slots: int, per_org: int, poll: float) -> None:
    with pytest.raises(ValueError, match="poll must be positive"):
        DispatcherLoop(
            dispatcher_for(world, HeldSender()), single=False, poll=poll, slots=slots, slots_per_org=per_org
        )


def test_a_stop_waits_for_the_deliveries_in_flight_and_then_gives_the_lease_up(
    world: World, sender: HeldSender
) -> None:
    owner = world.caller(world.owner)
    slow = hook(world, owner, "/slow")
    pings(world, owner, slow, 1)
    dispatcher = dispatcher_for(world, sender)
    loop = DispatcherLoop(dispatcher, single=True, poll=0.02)
    loop.start()
    eventually(lambda: sender.slow_in_flight == 1, "the slow delivery in its slot")
    stopped = threading.Thread(target=loop.stop)
    stopped.start()
    fast = hook(world, owner, "/fast")
    other = DispatcherLoop(dispatcher, single=True)
    try:
        stopped.join(0.2)
        assert stopped.is_alive()  # the stop waits for the delivery in flight
        pings(world, owner, fast, 1)
        assert other.step() == 0  # and holds the lease meanwhile: another dispatcher sends nothing
        assert sender.count("/fast") == 0  # nor does the stopping one start anything new
    finally:
        sender.release()
        stopped.join(WAIT)
    try:
        assert not stopped.is_alive()
        assert log_of(world, slow) == ["delivered"]  # recorded before the stop returned
        assert other.step() == 1  # the lease was given up at once: the other dispatcher sends
        assert sender.count("/fast") == 1
    finally:
        other.stop()


def test_a_delivery_that_cannot_be_recorded_frees_its_slot(
    world: World, sender: HeldSender, caplog: pytest.LogCaptureFixture
) -> None:
    owner = world.caller(world.owner)
    webhook = hook(world, owner, "/fast")
    pings(world, owner, webhook, 2)
    dispatcher = dispatcher_for(world, sender)
    recorded = dispatcher.deliver
    failures = iter([StoreBusy("the database is busy")])

    def deliver(claim: Claim) -> WebhookDelivery:
        failure = next(failures, None)
        if failure is not None:
            raise failure
        return recorded(claim)

    dispatcher.deliver = deliver  # type: ignore[method-assign]
    loop = DispatcherLoop(dispatcher, single=False, slots=1)
    try:
        assert loop.step() == 1  # sent, not recorded: logged in one line, the slot freed
        world.clock.advance(dispatcher.lease)  # its lease runs out: it is due again, and goes out
        assert loop.step() == 1
        assert loop.step() == 1  # then the one behind it
    finally:
        loop.stop()
    assert log_of(world, webhook) == ["delivered", "delivered"]
    assert "could not be recorded (the database is busy)" in caplog.text
    assert not any(record.exc_info for record in caplog.records)


def log_of(world: World, webhook: Webhook) -> list[str]:
    page = world.services.webhooks.deliveries(world.caller(world.owner), webhook.id, limit=100)
    return [delivery.status.value for delivery in reversed(page.deliveries)]
