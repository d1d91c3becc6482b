"""Rate limits counted in the store and handed out in leases: never more than the limit, in total."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hours_core.clock import FixedClock
from hours_core.errors import StoreBusy
from hours_core.ports import UnitOfWork, UnitOfWorkFactory
from hours_core.services.rate_limits import Quota, RateLimits
from hours_core.services.transactions import Transactions
from hours_memory import InMemoryStore
from tests.world import START

# START is 09:00:00, on a window boundary of every quota below.


def processes(store: InMemoryStore, clock: FixedClock, count: int) -> list[RateLimits]:
    """``count`` server processes' limiters over one store."""
    return [RateLimits(Transactions(store.unit_of_work), clock) for _ in range(count)]


def stored_count(store: InMemoryStore, key: str, window_end: int) -> int:
    with store.unit_of_work() as uow:
        return uow.rate_counters.add(key, window_end, 0)


def test_one_process_allows_exactly_the_limit_per_window() -> None:
    clock, store = FixedClock(START), InMemoryStore()
    [limits] = processes(store, clock, 1)
    quota = Quota(limit=5, window=60)
    answers = [limits.take("user/a", quota) for _ in range(7)]
    assert [a.allowed for a in answers] == [True] * 5 + [False] * 2
    assert [a.remaining for a in answers[:5]] == [4, 3, 2, 1, 0]
    assert answers[-1].reset_seconds == 60
    clock.advance(timedelta(seconds=59, microseconds=500_000))
    assert limits.take("user/a", quota).reset_seconds == 1
    assert not limits.take("user/a", quota).allowed
    clock.advance(timedelta(seconds=1))  # the next window
    assert limits.take("user/a", quota).allowed


def test_keys_are_counted_apart() -> None:
    clock, store = FixedClock(START), InMemoryStore()
    [limits] = processes(store, clock, 1)
    quota = Quota(limit=1, window=60)
    assert limits.take("user/a", quota).allowed
    assert limits.take("user/b", quota).allowed
    assert not limits.take("user/a", quota).allowed


@pytest.mark.parametrize("limit", [1, 10, 63, 64, 600, 5000])
def test_several_processes_never_allow_more_than_the_limit_together(limit: int) -> None:
    clock, store = FixedClock(START), InMemoryStore()
    limiters = processes(store, clock, 3)
    quota = Quota(limit=limit, window=60)
    allowed = sum(limiters[n % 3].take("user/a", quota).allowed for n in range(3 * limit + 10))
    # Never more than the limit; at most (max lease - 1) units lost per process.
    assert limit - 3 * (quota.max_lease - 1) <= allowed <= limit
    if limit < 64:
        assert allowed == limit


def test_a_process_leases_in_growing_batches_so_most_requests_never_reach_the_store() -> None:
    clock, store = FixedClock(START), InMemoryStore()
    writes = CountedWrites(store.unit_of_work)
    limits = RateLimits(Transactions(writes), clock)
    quota = Quota(limit=6400, window=3600)
    assert quota.max_lease == 200
    for _ in range(1000):
        assert limits.take("user/a", quota).allowed
    # Leases of 1, 2, 4, ..., 128 (255 units), then 200 each: 8 + 4 writes for 1,000 requests.
    assert writes.opened == 12


def test_the_first_answer_without_the_store_is_only_a_held_unit_or_a_known_refusal() -> None:
    clock, store = FixedClock(START), InMemoryStore()
    [limits] = processes(store, clock, 1)
    quota = Quota(limit=1, window=60)
    assert limits.take_held("user/a", quota) is None  # nothing held yet: ask the store
    assert limits.refused("user/a", quota) is None
    assert limits.take("user/a", quota).allowed
    refused = limits.take_held("user/a", quota)
    assert refused is not None and not refused.allowed  # the store is known to be empty
    assert limits.refused("user/a", quota) == refused


def test_a_process_that_has_not_seen_the_key_learns_from_the_store() -> None:
    clock, store = FixedClock(START), InMemoryStore()
    first, second = processes(store, clock, 2)
    quota = Quota(limit=2, window=60)
    assert first.take("address/x", quota).allowed and first.take("address/x", quota).allowed
    assert second.refused("address/x", quota) is None  # it does not know yet
    assert not second.take("address/x", quota).allowed  # asks the store: nothing left
    assert second.refused("address/x", quota) is not None


def test_a_busy_store_lets_the_request_through() -> None:
    clock, store = FixedClock(START), InMemoryStore()
    writes = CountedWrites(store.unit_of_work, refuse=True)
    limits = RateLimits(Transactions(writes), clock)
    assert limits.take("user/a", Quota(limit=1, window=60)).allowed
    assert limits.take("user/a", Quota(limit=1, window=60)).allowed


def test_counters_of_ended_windows_are_purged() -> None:
    clock, store = FixedClock(START), InMemoryStore()
    [limits] = processes(store, clock, 1)
    quota = Quota(limit=1, window=60)
    first_end = int(START.timestamp()) + 60
    limits.take("user/a", quota)
    assert stored_count(store, "user/a", first_end) == 1
    clock.advance(timedelta(minutes=2))
    limits.take("user/b", quota)
    assert stored_count(store, "user/a", first_end) == 0  # purged, then counted from 0 again


class CountedWrites:
    """A unit-of-work factory that counts the write units of work it opens (and may refuse them)."""

    def __init__(self, unit_of_work: UnitOfWorkFactory, *, refuse: bool = False) -> None:
        self._unit_of_work = unit_of_work
        self._refuse = refuse
        self.opened = 0

    def __call__(self, *, read_only: bool = False) -> UnitOfWork:
        if not read_only:
            self.opened += 1
            if self._refuse:
                raise StoreBusy()
        return self._unit_of_work(read_only=read_only)
