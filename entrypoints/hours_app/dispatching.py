"""The webhook dispatcher's loop: a background thread of each ``hours serve`` worker, or ``hours worker``.

The loop sends deliveries in **slots** (:data:`DEFAULT_SLOTS`, each a thread of a pool), and a slot
frees as soon as its delivery's attempt has ended and been recorded (at most about 35 s: 5 s DNS,
3 x 5 s connect, TLS, the 10 s read): it never waits for the others. Each pass
(:meth:`DispatcherLoop.fill`) fans new events out to the webhooks' queues (at most every
:data:`FAN_OUT_SECONDS`), claims as many due deliveries as there are free slots and starts sending
them; the loop then waits until a slot frees or ``poll`` seconds pass. So a receiver that answers
slowly holds one slot and its own queue, and every other webhook goes on in the other slots:

* deliveries of one webhook are never in flight together (only the first pending one of a webhook
  is due, and the one in flight is that one), so one webhook holds at most one slot;
* one organization holds at most :data:`DEFAULT_SLOTS_PER_ORG` slots at once
  (:class:`~hours_core.delivery_share.OrgShare`): the due deliveries of an organization at its
  share are passed over for the next due ones of others, so a tenant with many slow webhooks and a
  backlog does not keep other tenants waiting.

Once an hour it purges deliveries that finished more than 30 days ago.

On a store that takes one dispatcher (SQLite: ``single=True``) each pass first takes or renews the
store's dispatcher lease (a row of ``webhook_dispatcher_lease``) and does nothing while another
process holds it; the lease runs as long as a delivery's claim, so a dispatcher that dies hands
over within that time, and one that stops (:meth:`DispatcherLoop.stop`) gives the lease up once
its deliveries in flight have ended, so that the next process (a restarted server, another worker)
dispatches from its first pass. On PostgreSQL every process dispatches: the claims (``FOR UPDATE
SKIP LOCKED``) give each delivery to one of them, and each process has its own slots.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import Future, ThreadPoolExecutor, wait

from hours_core.delivery_share import OrgShare
from hours_core.errors import HoursError
from hours_core.model import OrgId
from hours_core.services.dispatcher import Claim, WebhookDispatcher
from hours_core.subscriptions import WebhookDelivery

__all__ = [
    "DEFAULT_POLL_SECONDS",
    "DEFAULT_SLOTS",
    "DEFAULT_SLOTS_PER_ORG",
    "FAN_OUT_SECONDS",
    "PURGE_INTERVAL_SECONDS",
    "UNAVAILABLE_WARNING_SECONDS",
    "DispatcherLoop",
]

logger = logging.getLogger("hours.webhooks")

DEFAULT_POLL_SECONDS = 1.0
"""How long the loop waits for a free slot or new work before it looks again."""

DEFAULT_SLOTS = 16
"""Deliveries one dispatcher sends at once, each to another webhook."""

DEFAULT_SLOTS_PER_ORG = 4
"""Of those, at most this many for one organization."""

FAN_OUT_SECONDS = 0.25
"""The shortest time between two fan-outs of new events to the webhooks' queues (a fan-out is a
write; slots that free one after the other do not each need one)."""

PURGE_INTERVAL_SECONDS = 3600.0
"""How often finished deliveries older than 30 days are purged."""

UNAVAILABLE_WARNING_SECONDS = 60.0
"""While the store cannot be reached, how often the dispatcher says so again."""


class DispatcherLoop:
    """Runs a :class:`WebhookDispatcher` in slots (see the module), in a thread or in the foreground."""

    def __init__(
        self,
        dispatcher: WebhookDispatcher,
        *,
        single: bool,
        poll: float = DEFAULT_POLL_SECONDS,
        slots: int = DEFAULT_SLOTS,
        slots_per_org: int = DEFAULT_SLOTS_PER_ORG,
    ) -> None:
        if poll <= 0 or slots < 1 or slots_per_org < 1:
            raise ValueError("poll must be positive, and slots and slots_per_org at least 1")
        self._dispatcher = dispatcher
        self._single = single
        self._poll = poll
        self._slots = slots
        self._slots_per_org = min(slots_per_org, slots)
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._stopping = threading.Event()
        self._slot_freed = threading.Event()
        self._thread: threading.Thread | None = None
        self._pool = ThreadPoolExecutor(max_workers=slots, thread_name_prefix="hours-webhook-send")
        self._in_flight: Counter[OrgId] = Counter()
        self._lock = threading.Lock()
        self._last_purge = float("-inf")
        self._last_fan_out = float("-inf")
        self._renew_after = float("-inf")
        self._held = False
        self._failing_since: float | None = None
        self._warned_at: float | None = None

    def _holds_the_store(self) -> bool:
        """Take or renew the store's dispatcher lease, at most every third of its length: whenever a
        delivery is claimed at least two thirds of it remain, more than an attempt can take."""
        if time.monotonic() < self._renew_after:
            return True
        if not self._dispatcher.hold_the_store(self.holder):
            self._held = False
            return False
        self._held = True
        self._renew_after = time.monotonic() + self._dispatcher.lease.total_seconds() / 3
        return True

    def fill(self, *, fan_out: bool = False) -> list[Future[None]]:
        """One pass: take the lease if the store needs one, fan new events out (if ``fan_out`` or
        :data:`FAN_OUT_SECONDS` have passed since the last), claim a due delivery for each free slot
        (within each organization's share) and start sending them; their futures."""
        if self._single and not self._holds_the_store():
            return []
        now = time.monotonic()
        if now - self._last_purge >= PURGE_INTERVAL_SECONDS:
            purged = self._dispatcher.purge()
            self._last_purge = now
            if purged:
                logger.info("purged %d webhook deliveries finished over 30 days ago", purged)
        if fan_out or now - self._last_fan_out >= FAN_OUT_SECONDS:
            self._dispatcher.fan_out()
            self._last_fan_out = now
        if self._stopping.is_set():  # a stop asked while this pass ran: start nothing new
            return []
        with self._lock:
            free = self._slots - sum(self._in_flight.values())
            share = OrgShare(self._slots_per_org, dict(self._in_flight))
        if free <= 0:
            return []
        claims = self._dispatcher.claim(free, share)
        started = []
        for claim in claims:
            with self._lock:  # counted before it can end, so the slot is never freed before it is taken
                self._in_flight[claim.delivery.org_id] += 1
            try:
                started.append(self._pool.submit(self._send, claim))
            except (
                RuntimeError
            ):  # the pool is shut down (the interpreter exits): these go out after their lease
                self._free(claim)
                break
        return started

    def step(self) -> int:
        """:meth:`fill` (with a fan-out), then wait until the deliveries it started have ended; how
        many it sent (for tests and for callers that want one pass at a time)."""
        started = self.fill(fan_out=True)
        wait(started)
        for future in started:
            future.result()
        return len(started)

    def _send(self, claim: Claim) -> None:
        """Send one claimed delivery in a slot, log its outcome, and free the slot. An error (the
        store out of reach while recording) is logged, one line for a transient one; the delivery
        keeps its lease and goes out again once the lease has run out."""
        try:
            _log(self._dispatcher.deliver(claim))
        except Exception as error:  # the store's reachability is the passes' to tell, not a slot's
            if isinstance(error, HoursError) and error.transient:
                logger.warning(
                    "webhook delivery %s could not be recorded (%s); it goes out again after its lease",
                    claim.delivery.id,
                    error.message,
                )
            else:
                logger.exception(
                    "webhook delivery %s failed; it goes out again once its lease runs out", claim.delivery.id
                )
        finally:
            self._free(claim)

    def _free(self, claim: Claim) -> None:
        with self._lock:
            self._in_flight[claim.delivery.org_id] -= 1
            if self._in_flight[claim.delivery.org_id] <= 0:
                del self._in_flight[claim.delivery.org_id]
        self._slot_freed.set()

    def run(self) -> None:
        """Run passes (:meth:`fill`) until :meth:`stop`, each after a slot frees or ``poll`` seconds;
        a failing pass is logged and the loop goes on.

        A store that cannot be reached (a transient error: PostgreSQL down, a busy SQLite file)
        is one warning line, not a stack trace per pass: when it starts, at most once a minute
        while it lasts, and one line when a pass succeeds again."""
        while True:
            self._slot_freed.clear()
            if self._stopping.is_set():  # after the clear: a stop's wake-up is never lost
                return
            try:
                self.fill()
            except Exception as error:
                self._failed(error)
            else:
                self._reached()
            self._slot_freed.wait(self._poll)

    def _failed(self, error: Exception) -> None:
        if isinstance(error, HoursError) and error.transient:
            self._unavailable(error)
        else:
            logger.exception("the webhook dispatcher failed; retrying")

    def _reached(self) -> None:
        with self._lock:
            back = self._failing_since is not None
            self._failing_since = self._warned_at = None
        if back:
            logger.info("the webhook dispatcher can use the store again")

    def _unavailable(self, error: HoursError) -> None:
        now = time.monotonic()
        with self._lock:
            if self._failing_since is None:
                self._failing_since = now
            if self._warned_at is not None and now - self._warned_at < UNAVAILABLE_WARNING_SECONDS:
                return
            self._warned_at = now
            since = now - self._failing_since
        logger.warning(
            "the webhook dispatcher cannot use the store (for %.0f s; retrying): %s", since, error.message
        )

    def start(self) -> None:
        """Run the loop in a daemon thread (``hours serve``)."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self.run, name="hours-webhook-dispatcher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop after the pass in progress, wait for the deliveries in flight (at most one attempt's
        time), then give the store's dispatcher lease up if this loop held it (the next dispatcher
        need not wait for it to run out). A lease that cannot be given up is logged; it then runs
        out as after a crash."""
        self._stopping.set()
        self._slot_freed.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self._pool.shutdown(wait=True)
        if self._held:
            self._held = False
            self._renew_after = float("-inf")
            try:
                self._dispatcher.release_the_store(self.holder)
            except Exception:
                logger.exception("could not give the webhook dispatcher lease up; it runs out by itself")


def _log(delivery: WebhookDelivery) -> None:
    logger.info(
        "webhook delivery %s (%s) attempt %d: %s%s",
        delivery.id,
        delivery.event_type,
        delivery.attempt,
        delivery.status.value,
        "" if delivery.error is None else f" ({delivery.error})",
    )
