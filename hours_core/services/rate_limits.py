"""Rate limits shared by every server process: fixed windows counted in the store, handed out in leases.

A :class:`Quota` allows ``limit`` requests per key (a user, a client address) in each fixed window of
``window`` seconds, aligned to the Unix epoch (a 60-second window runs from one minute to the next).
The count of each key and window lives in the store (``RateCounterRepository``), so every process
and every host on one database shares it.

Asking the store for every request would turn every read into a write, so each process takes units
from the store in *leases*: one atomic increment of the window's counter by ``n`` grants the process
the units that were still free (``limit - count_before``, at most ``n``), and the process spends them
locally without asking again. The first lease of a key in a window is one unit; each next one is
twice the last, up to ``max(1, limit // 32)``, and never more than half of what the store had left
at the last lease. So:

* **never more than the limit**: the store grants at most ``limit`` units per key and window in
  total, whatever the number of processes and hosts;
* **at most a little less**: units a process leased and did not spend are lost when the window
  ends, at most ``max(1, limit // 32) - 1`` per process that served the key in the window. With a
  limit under 64 that is nothing: every unit is taken from the store one at a time (exact).

Once a process learns that the store has no units left for a key in the window, it refuses that
key locally until the window ends, without asking the store again.
"""

from __future__ import annotations

import logging
import math
import threading

import attrs

from hours_core.errors import HoursError
from hours_core.ports import Clock
from hours_core.services.transactions import Transactions

__all__ = ["LEASE_DIVISOR", "Allowance", "Quota", "RateLimits"]

_log = logging.getLogger(__name__)

LEASE_DIVISOR = 32
"""A lease is at most ``max(1, limit // LEASE_DIVISOR)`` units."""

PURGE_EVERY_SECONDS = 60
"""How often a process deletes the store's counters of windows that have ended."""

_FORGET_AFTER = 10_000
"""Leases kept in memory before those of ended windows are forgotten."""


def _check_positive(_instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    if value < 1:
        raise ValueError(f"{attribute.name} must be at least 1, got {value}")


@attrs.frozen
class Quota:
    """``limit`` requests per fixed window of ``window`` seconds."""

    limit: int = attrs.field(validator=_check_positive)
    window: int = attrs.field(validator=_check_positive)

    @property
    def max_lease(self) -> int:
        """The most units one process takes from the store at once."""
        return max(1, self.limit // LEASE_DIVISOR)


@attrs.frozen
class Allowance:
    """The answer for one request: allowed or not, an estimate of what remains, and when the window ends."""

    allowed: bool
    remaining: int
    """Units left in the window, as far as this process knows: those it holds plus those the store
    had left at its last lease (other processes may have taken some since)."""
    reset_seconds: int
    """Whole seconds until the window ends and the count starts again (at least 1)."""


@attrs.define
class _Lease:
    """What this process knows of one key's window."""

    window_end: int
    held: int
    store_left: int
    next_size: int = 1
    store_empty: bool = False


class RateLimits:
    """Counts requests per key against a :class:`Quota`, shared through the store."""

    def __init__(self, transactions: Transactions, clock: Clock) -> None:
        self._transactions = transactions
        self._clock = clock
        self._leases: dict[str, _Lease] = {}
        self._lock = threading.Lock()
        self._last_purge = -math.inf

    def take_held(self, key: str, quota: Quota) -> Allowance | None:
        """Spend a unit this process holds, or refuse when the store is known to have none left:
        no I/O, for the event loop. ``None`` when only the store can answer (:meth:`take`)."""
        now = self._now()
        with self._lock:
            lease = self._lease(key, quota, now)
            return self._spend(lease, now)

    def refused(self, key: str, quota: Quota) -> Allowance | None:
        """The refusal of ``key`` if this process knows that it has nothing left in the window
        (nothing held, the store empty), without spending anything; else ``None``. No I/O."""
        now = self._now()
        with self._lock:
            lease = self._leases.get(key)
            if lease is None or lease.window_end <= now or lease.held or not lease.store_empty:
                return None
            return Allowance(False, 0, _seconds_until(lease.window_end, now))

    def take(self, key: str, quota: Quota) -> Allowance:
        """Count one request for ``key``: from the units this process holds, else from a new lease
        of the store (one write transaction). If the store cannot be reached or stays busy, the
        request is allowed (the limit fails open) and the error is logged."""
        now = self._now()
        with self._lock:
            lease = self._lease(key, quota, now)
            spent = self._spend(lease, now)
            if spent is not None:
                return spent
            window_end = lease.window_end
            size = min(lease.next_size, quota.max_lease, max(1, lease.store_left // 2))
        try:
            count = self._lease_from_store(key, window_end, size, now)
        except HoursError as error:
            _log.info("a request was not counted for its rate limit: %s (%s)", error.message, error.code)
            return Allowance(True, 0, _seconds_until(window_end, now))
        granted = max(0, min(size, quota.limit - (count - size)))
        with self._lock:
            current = self._leases.get(key)
            if current is None or current.window_end != window_end:  # forgotten meanwhile: answer alone
                return Allowance(granted > 0, max(0, granted - 1), _seconds_until(window_end, now))
            lease = current
            lease.held += granted
            lease.store_left = max(0, quota.limit - count)
            lease.store_empty = lease.store_left == 0
            lease.next_size = min(2 * size, quota.max_lease)
            spent = self._spend(lease, now)
        return spent or Allowance(False, 0, _seconds_until(window_end, now))

    def _now(self) -> float:
        return self._clock.now().timestamp()

    def _lease(self, key: str, quota: Quota, now: float) -> _Lease:
        window_end = (math.floor(now) // quota.window + 1) * quota.window
        lease = self._leases.get(key)
        if lease is None or lease.window_end != window_end:
            if len(self._leases) >= _FORGET_AFTER:
                self._leases = {k: kept for k, kept in self._leases.items() if kept.window_end > now}
            lease = self._leases[key] = _Lease(window_end, held=0, store_left=quota.limit)
        return lease

    def _spend(self, lease: _Lease, now: float) -> Allowance | None:
        if lease.held:
            lease.held -= 1
            return Allowance(True, lease.held + lease.store_left, _seconds_until(lease.window_end, now))
        if lease.store_empty:
            return Allowance(False, 0, _seconds_until(lease.window_end, now))
        return None

    def _lease_from_store(self, key: str, window_end: int, size: int, now: float) -> int:
        purge = now - self._last_purge >= PURGE_EVERY_SECONDS
        with self._transactions.write() as uow:
            count = uow.rate_counters.add(key, window_end, size)
            if purge:
                uow.rate_counters.purge_ended(math.floor(now))
        if purge:
            self._last_purge = now
        return count


def _seconds_until(window_end: int, now: float) -> int:
    return max(1, math.ceil(window_end - now))
