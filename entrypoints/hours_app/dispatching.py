"""The webhook dispatcher's loop: a background thread of each ``hours serve`` worker, or ``hours worker``.

Each round (:meth:`DispatcherLoop.step`) fans new events out to the webhooks' queues, claims up
to ``batch`` due deliveries and sends them at once, each in a thread of its own (deliveries of one
webhook are never claimed together: only the first pending one of a webhook is due), then waits
``poll`` seconds when there was nothing to do.
Once an hour it purges deliveries that finished more than 30 days ago.

On a store that takes one dispatcher (SQLite: ``single=True``) a round first takes or renews the
store's dispatcher lease (a row of ``webhook_dispatcher_lease``) and does nothing while another
process holds it; the lease runs as long as a delivery's claim, so a dispatcher that dies hands
over within that time, and one that stops (:meth:`DispatcherLoop.stop`) gives the lease up at once,
so that the next process (a restarted server, another worker) dispatches from its first round.
On PostgreSQL every process dispatches: the claims (``FOR UPDATE SKIP LOCKED``) give each
delivery to one of them.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

from hours_core.errors import HoursError
from hours_core.services.dispatcher import WebhookDispatcher

__all__ = [
    "DEFAULT_BATCH",
    "DEFAULT_POLL_SECONDS",
    "PURGE_INTERVAL_SECONDS",
    "UNAVAILABLE_WARNING_SECONDS",
    "DispatcherLoop",
]

logger = logging.getLogger("hours.webhooks")

DEFAULT_POLL_SECONDS = 1.0
"""How long the loop waits after a round that found nothing to send."""

DEFAULT_BATCH = 8
"""Deliveries claimed and sent at once (each to another webhook)."""

PURGE_INTERVAL_SECONDS = 3600.0
"""How often finished deliveries older than 30 days are purged."""

UNAVAILABLE_WARNING_SECONDS = 60.0
"""While the store cannot be reached, how often the dispatcher says so again."""


class DispatcherLoop:
    """Runs a :class:`WebhookDispatcher` round after round, in a thread or in the foreground."""

    def __init__(
        self,
        dispatcher: WebhookDispatcher,
        *,
        single: bool,
        poll: float = DEFAULT_POLL_SECONDS,
        batch: int = DEFAULT_BATCH,
    ) -> None:
        if poll <= 0 or batch < 1:
            raise ValueError("poll must be positive and batch at least 1")
        self._dispatcher = dispatcher
        self._single = single
        self._poll = poll
        self._batch = batch
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._pool = ThreadPoolExecutor(max_workers=batch, thread_name_prefix="hours-webhook-send")
        self._last_purge = float("-inf")
        self._renew_after = float("-inf")
        self._held = False
        self._failing_since: float | None = None
        self._warned_at: float | None = None

    def _holds_the_store(self) -> bool:
        """Take or renew the store's dispatcher lease, at most every third of its length: at the start
        of every round at least two thirds of it remain, more than a round can take."""
        if time.monotonic() < self._renew_after:
            return True
        if not self._dispatcher.hold_the_store(self.holder):
            self._held = False
            return False
        self._held = True
        self._renew_after = time.monotonic() + self._dispatcher.lease.total_seconds() / 3
        return True

    def step(self) -> int:
        """One round: take the lease if the store needs one, claim, send; how many were sent."""
        if self._single and not self._holds_the_store():
            return 0
        if time.monotonic() - self._last_purge >= PURGE_INTERVAL_SECONDS:
            purged = self._dispatcher.purge()
            self._last_purge = time.monotonic()
            if purged:
                logger.info("purged %d webhook deliveries finished over 30 days ago", purged)
        self._dispatcher.fan_out()
        claims = self._dispatcher.claim(self._batch)
        recorded = list(self._pool.map(self._dispatcher.deliver, claims))
        for delivery in recorded:
            logger.info(
                "webhook delivery %s (%s) attempt %d: %s%s",
                delivery.id,
                delivery.event_type,
                delivery.attempt,
                delivery.status.value,
                "" if delivery.error is None else f" ({delivery.error})",
            )
        return len(recorded)

    def run(self) -> None:
        """Run rounds until :meth:`stop`; a failing round is logged and the loop goes on.

        A store that cannot be reached (a transient error: PostgreSQL down, a busy SQLite file)
        is one warning line, not a stack trace per round: when it starts, at most once a minute
        while it lasts, and one line when a round succeeds again."""
        while not self._stopping.is_set():
            try:
                sent = self.step()
            except Exception as error:
                if isinstance(error, HoursError) and error.transient:
                    self._unavailable(error)
                else:
                    logger.exception("the webhook dispatcher's round failed; retrying")
                sent = 0
            else:
                if self._failing_since is not None:
                    logger.info("the webhook dispatcher reaches the store again")
                    self._failing_since = self._warned_at = None
            if sent == 0:
                self._stopping.wait(self._poll)

    def _unavailable(self, error: HoursError) -> None:
        now = time.monotonic()
        if self._failing_since is None:
            self._failing_since = now
        if self._warned_at is None or now - self._warned_at >= UNAVAILABLE_WARNING_SECONDS:
            self._warned_at = now
            logger.warning(
                "the webhook dispatcher cannot reach the store (for %.0f s; retrying): %s",
                now - self._failing_since,
                error.message,
            )

    def start(self) -> None:
        """Run the loop in a daemon thread (``hours serve``)."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self.run, name="hours-webhook-dispatcher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop after the round in progress (at most one attempt's time) and wait for it, then give
        the store's dispatcher lease up if this loop held it (the next dispatcher need not wait for
        it to run out). A lease that cannot be given up is logged; it then runs out as after a crash."""
        self._stopping.set()
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
