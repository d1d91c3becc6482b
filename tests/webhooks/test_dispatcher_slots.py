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
from hours_core.model import Plan
from hours_core.services import CreateWebhook
from hours_core.services.caller import Caller
from hours_core.subscriptions import Webhook
from hours_core.webhooks import DeliveryResult
from tests.webhooks.conftest import dispatcher_for
from tests.world import World

WAIT = 10.0


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
            self.released.wait(WAIT)
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
    slow_hooks = [hook(world, owner, f"/slow/{index}") for index in range(6)]
    for webhook in slow_hooks:
        pings(world, owner, webhook, 2)  # Acme's backlog: older than anything Globex queues
    fast = hook(world, globex, "/fast")
    pings(world, globex, fast, 4)
    loop = DispatcherLoop(dispatcher_for(world, sender), single=True, poll=0.02, slots=4, slots_per_org=2)
    loop.start()
    try:
        eventually(lambda: sender.count("/fast") == 4, "Globex's deliveries beside Acme's slow ones")
        assert sender.slow_in_flight == 2  # Acme holds its share, two of the four slots, no more
        sender.release()
        eventually(lambda: sender.count("/slow") == 12, "Acme's backlog, once its receivers answer")
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
