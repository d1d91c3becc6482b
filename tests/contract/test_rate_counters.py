"""The contract of the rate counters, for every store: atomic adds, even from many writers."""

from __future__ import annotations

import threading

from .conftest import OpenStore


def add(store: OpenStore, key: str, window_end: int, count: int) -> int:
    with store.unit_of_work() as uow:
        total = uow.rate_counters.add(key, window_end, count)
        uow.commit()
    return total


def test_a_counter_starts_at_zero_and_returns_each_new_value(store: OpenStore) -> None:
    assert add(store, "user/60/a", 1_700_000_060, 1) == 1
    assert add(store, "user/60/a", 1_700_000_060, 4) == 5
    assert add(store, "user/60/a", 1_700_000_120, 2) == 2  # another window
    assert add(store, "address/60/10.0.0.1", 1_700_000_060, 3) == 3  # another key
    assert add(store, "user/60/a", 1_700_000_060, 0) == 5


def test_an_add_that_is_rolled_back_counts_nothing(store: OpenStore) -> None:
    add(store, "k", 100, 2)
    with store.unit_of_work() as uow:
        assert uow.rate_counters.add("k", 100, 5) == 7
    assert add(store, "k", 100, 0) == 2


def test_ended_windows_are_purged_and_the_others_kept(store: OpenStore) -> None:
    add(store, "a", 100, 1)
    add(store, "b", 100, 1)
    add(store, "a", 160, 1)
    with store.unit_of_work() as uow:
        assert uow.rate_counters.purge_ended(100) == 2
        uow.commit()
    assert add(store, "a", 100, 0) == 0
    assert add(store, "a", 160, 0) == 1


def test_concurrent_adds_are_never_lost(store: OpenStore) -> None:
    """Eight writers add to one counter at once, 25 times each: every add is counted, and the
    values they were told are all different (each add saw the ones before it)."""
    start = threading.Barrier(8)
    seen: list[int] = []

    def writer() -> None:
        start.wait()
        for _ in range(25):
            seen.append(add(store, "user/60/hot", 1_700_000_060, 1))

    threads = [threading.Thread(target=writer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(seen) == list(range(1, 201))
    assert add(store, "user/60/hot", 1_700_000_060, 0) == 200
