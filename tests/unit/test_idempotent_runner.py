from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date, timedelta

import pytest

from hours_core.errors import IdempotencyKeyReused, StoreBusy, StoreDeadlock, StoreFull, ValidationFailed
from hours_core.idempotency import IdempotencyRecord
from hours_core.ports import EntryQuery
from hours_core.services import CreateTimeEntry, IdempotentRunner, KeyedRequest, Outcome
from hours_core.services.transactions import Transactions
from hours_memory import InMemoryStore
from hours_memory.store import InMemoryIdempotencyRepository
from tests.world import World

KEY = "5a8591dd-4039-49df-9202-96385ba3eff8"


def create(world: World, duration: str = "1h") -> bytes:
    entry = world.services.entries.create_time_entry(
        world.caller(world.owner),
        CreateTimeEntry(project_id=world.project.id, entry_date=date(2026, 3, 2), duration=duration),
    )
    return f"created {entry.id}".encode()  # the result as an adapter encodes it: opaque to the core


def entry_count(store: InMemoryStore, world: World) -> int:
    with store.unit_of_work(read_only=True) as uow:
        return len(uow.entries.list(world.org.id, EntryQuery(limit=500)))


def run(world: World, fingerprint: str = "fp", duration: str = "1h"):  # type: ignore[no-untyped-def]
    return world.services.idempotent.run(
        world.caller(world.owner), KeyedRequest(KEY, fingerprint), lambda: create(world, duration)
    )


def test_replaying_a_key_returns_the_original_result_and_writes_nothing(
    world: World, store: InMemoryStore
) -> None:
    first = run(world)
    second = run(world)
    assert not first.replayed and second.replayed
    assert second.result == first.result
    assert entry_count(store, world) == 1


def test_a_key_reused_with_another_request_is_refused(world: World) -> None:
    run(world)
    with pytest.raises(IdempotencyKeyReused):
        run(world, fingerprint="other")


def test_a_failed_request_releases_its_key(world: World, store: InMemoryStore) -> None:
    with pytest.raises(ValidationFailed):
        run(world, duration="nonsense")
    assert not run(world).replayed
    assert entry_count(store, world) == 1


def test_a_key_counts_as_new_a_day_after_its_success(world: World, store: InMemoryStore) -> None:
    run(world)
    world.clock.advance(timedelta(hours=24))
    assert not run(world).replayed
    assert entry_count(store, world) == 2


def test_keys_are_scoped_to_the_user(world: World, store: InMemoryStore) -> None:
    run(world)
    other = world.services.idempotent.run(
        world.caller(world.admin), KeyedRequest(KEY, "fp"), lambda: create(world)
    )
    assert not other.replayed


def test_expired_records_are_purged(world: World, store: InMemoryStore) -> None:
    run(world)
    world.clock.advance(timedelta(hours=25))
    assert world.services.idempotent.purge_expired() == 1


def test_without_a_key_every_request_runs(world: World, store: InMemoryStore) -> None:
    world.services.idempotent.run(world.caller(world.owner), None, lambda: create(world))
    world.services.idempotent.run(world.caller(world.owner), None, lambda: create(world))
    assert entry_count(store, world) == 2


def test_fifty_concurrent_requests_with_one_key_create_one_entry(world: World, store: InMemoryStore) -> None:
    outcomes = []
    barrier = threading.Barrier(50)

    def send() -> None:
        barrier.wait()
        outcomes.append(run(world))

    threads = [threading.Thread(target=send) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert entry_count(store, world) == 1
    assert sum(not outcome.replayed for outcome in outcomes) == 1
    assert len({outcome.result for outcome in outcomes}) == 1


def recorded_keys(store: InMemoryStore, world: World, *keys: str) -> set[str]:
    with store.unit_of_work(read_only=True) as uow:
        return {key for key in keys if uow.idempotency.get(world.org.id, world.owner.id, key) is not None}


OTHER_KEY = "0b6c8d3e-9f3a-4d0c-8f5e-2a1b3c4d5e6f"
THIRD_KEY = "01JDQZ6S8X4M1V2B3N4P5Q6R7S"


def run_with(world: World, key: str, duration: str = "1h"):  # type: ignore[no-untyped-def]
    return world.services.idempotent.run(
        world.caller(world.owner), KeyedRequest(key, "fp"), lambda: create(world, duration)
    )


def test_a_claiming_request_purges_the_records_past_the_window(world: World, store: InMemoryStore) -> None:
    run(world)
    world.clock.advance(timedelta(hours=25))
    run_with(world, OTHER_KEY)
    assert recorded_keys(store, world, KEY, OTHER_KEY) == {OTHER_KEY}


def test_the_purge_is_its_own_transaction_and_outlives_a_failed_request(
    world: World, store: InMemoryStore
) -> None:
    run(world)
    world.clock.advance(timedelta(hours=25))
    with pytest.raises(ValidationFailed):
        run_with(world, OTHER_KEY, duration="nonsense")
    assert recorded_keys(store, world, KEY, OTHER_KEY) == set()


def test_the_purge_runs_at_most_once_an_hour(world: World, store: InMemoryStore) -> None:
    fourth_key = "7d2f0c1e-5b3a-4e6f-9a8b-1c2d3e4f5a6b"
    run(world)  # t0: the first purge turn; KEY expires at t0 + 24 h
    world.clock.advance(timedelta(minutes=30))
    run_with(world, OTHER_KEY)  # expires at t0 + 24 h 30 min
    world.clock.advance(timedelta(hours=23, minutes=50))
    run_with(world, THIRD_KEY)  # t0 + 24 h 20 min: a purge turn; KEY goes
    assert recorded_keys(store, world, KEY, OTHER_KEY) == {OTHER_KEY}
    world.clock.advance(timedelta(minutes=20))
    run_with(world, fourth_key)  # OTHER_KEY has expired, but the last purge was 20 minutes ago
    assert recorded_keys(store, world, OTHER_KEY) == {OTHER_KEY}


def test_the_replay_answers_only_for_a_key_the_process_completed(world: World) -> None:
    caller, keyed = world.caller(world.owner), KeyedRequest(KEY, "fp")
    assert world.services.idempotent.replay(caller, keyed) is None
    first = run(world)
    replay = world.services.idempotent.replay(caller, keyed)
    assert replay is not None and replay.replayed and replay.result == first.result
    with pytest.raises(IdempotencyKeyReused):
        world.services.idempotent.replay(caller, KeyedRequest(KEY, "other"))


def test_a_run_the_memory_cannot_answer_replays_through_the_claim(world: World, store: InMemoryStore) -> None:
    run(world)
    world.services.idempotent.memory.clear()
    again = world.services.idempotent.run(
        world.caller(world.owner), KeyedRequest(KEY, "fp"), lambda: create(world)
    )
    assert again.replayed
    assert entry_count(store, world) == 1


class CountingStore:
    """The in-memory store's unit-of-work factory, counting the units of work opened through it."""

    def __init__(self, store: InMemoryStore) -> None:
        self._store = store
        self.opened = 0

    def __call__(self, read_only: bool = False):  # type: ignore[no-untyped-def]
        self.opened += 1
        return self._store.unit_of_work(read_only=read_only)


def counted_work(runs: list[int]) -> Callable[[], bytes]:
    """Work for a runner of its own: it writes nothing (the world's services have their own
    transactions, which would wait for the runner's), and appends to ``runs`` each time it runs."""

    def work() -> bytes:
        runs.append(len(runs) + 1)
        return f"run {len(runs)}".encode()

    return work


def failing_work() -> bytes:
    raise ValidationFailed({"duration": "not a duration"})


def counted_runner(world: World, store: InMemoryStore) -> tuple[IdempotentRunner, CountingStore]:
    """A runner of its own (its own memory, as another process has) over the world's store."""
    counting = CountingStore(store)
    return IdempotentRunner(Transactions(counting), world.clock), counting


def test_a_completed_record_answers_its_key_from_memory_without_the_store(
    world: World, store: InMemoryStore
) -> None:
    runs: list[int] = []
    runner, counting = counted_runner(world, store)
    caller = world.caller(world.owner)
    first = runner.run(caller, KeyedRequest(KEY, "fp"), counted_work(runs))
    counting.opened = 0

    replay = runner.replay(caller, KeyedRequest(KEY, "fp"))
    again = runner.run(caller, KeyedRequest(KEY, "fp"), counted_work(runs))
    with pytest.raises(IdempotencyKeyReused):
        runner.replay(caller, KeyedRequest(KEY, "other"))

    assert replay == again == Outcome(first.result, replayed=True)
    assert counting.opened == 0
    assert len(runs) == 1


def test_a_record_another_process_wrote_is_remembered_once_its_claim_found_it(
    world: World, store: InMemoryStore
) -> None:
    runs: list[int] = []
    run(world)  # the world's runner: another process, as far as this runner knows
    runner, counting = counted_runner(world, store)
    caller, keyed = world.caller(world.owner), KeyedRequest(KEY, "fp")

    assert runner.replay(caller, keyed) is None  # not in memory yet, and the store is not read
    assert counting.opened == 0
    assert runner.run(caller, keyed, counted_work(runs)).replayed  # the claim finds it
    counting.opened = 0
    assert runner.replay(caller, keyed) is not None
    assert runner.run(caller, keyed, counted_work(runs)).replayed
    assert counting.opened == 0  # both answered from memory
    assert runs == []


def test_a_remembered_record_stops_answering_when_its_window_ends(world: World, store: InMemoryStore) -> None:
    runs: list[int] = []
    runner, _ = counted_runner(world, store)
    caller, keyed = world.caller(world.owner), KeyedRequest(KEY, "fp")
    runner.run(caller, keyed, counted_work(runs))
    world.clock.advance(timedelta(hours=24))

    assert runner.replay(caller, keyed) is None
    assert runner.replay(caller, KeyedRequest(KEY, "other")) is None  # not "reused"
    assert not runner.run(caller, keyed, counted_work(runs)).replayed
    assert len(runs) == 2


def test_a_failed_request_leaves_nothing_in_memory(world: World, store: InMemoryStore) -> None:
    runner, _ = counted_runner(world, store)
    caller, keyed = world.caller(world.owner), KeyedRequest(KEY, "fp")
    with pytest.raises(ValidationFailed):
        runner.run(caller, keyed, failing_work)
    assert runner.replay(caller, keyed) is None


def test_a_write_scope_that_rolls_back_remembers_nothing(world: World, store: InMemoryStore) -> None:
    """A keyed run inside a larger transaction that fails: its record was never committed."""
    transactions = Transactions(store.unit_of_work)
    runner = IdempotentRunner(transactions, world.clock)
    caller, keyed = world.caller(world.owner), KeyedRequest(KEY, "fp")
    before_the_commit: list[Outcome | None] = []

    def larger_transaction() -> None:
        with transactions.write():
            runner.run(caller, keyed, lambda: b"result")
            before_the_commit.append(runner.replay(caller, keyed))
            raise RuntimeError("the outer transaction fails")

    with pytest.raises(RuntimeError, match="outer"):
        larger_transaction()
    assert before_the_commit == [None]
    assert runner.replay(caller, keyed) is None
    assert runner.replay(caller, keyed) is None


def test_a_takeover_of_an_expired_key_that_another_request_won_replays_the_winner(
    world: World, store: InMemoryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The claim read the key's old, expired record; meanwhile another request took the key over
    and completed. The takeover leaves the winner's record, and the request replays it."""
    runs: list[int] = []
    winner = run(world)
    caller = world.caller(world.owner)
    long_ago = world.clock.now() - timedelta(days=2)
    expired = IdempotencyRecord(
        org_id=caller.org_id, user_id=caller.user_id, key=KEY, fingerprint="fp", created_at=long_ago
    ).completed(b"old", long_ago)
    monkeypatch.setattr(InMemoryIdempotencyRepository, "claim", lambda self, record: expired)
    runner, _ = counted_runner(world, store)

    outcome = runner.run(caller, KeyedRequest(KEY, "fp"), counted_work(runs))

    assert outcome == Outcome(winner.result, replayed=True)
    assert runs == []
    with pytest.raises(IdempotencyKeyReused):  # another request with the winner's key
        runner.run(caller, KeyedRequest(KEY, "other"), counted_work(runs))


def deadlocking(world: World, times: int, error: type[StoreBusy] = StoreDeadlock) -> Callable[[], bytes]:
    """A write that creates an entry and then, its first ``times`` runs, fails as a transaction
    the database rolled back to break a deadlock (``error``) would."""
    runs: list[int] = []

    def work() -> bytes:
        result = create(world)
        runs.append(1)
        if len(runs) <= times:
            raise error()
        return result + f" on run {len(runs)}".encode()

    return work


@pytest.mark.parametrize("keyed", [True, False], ids=["keyed", "unkeyed"])
def test_a_write_rolled_back_to_break_a_deadlock_runs_once_more(
    world: World, store: InMemoryStore, keyed: bool
) -> None:
    request = KeyedRequest(KEY, "fp") if keyed else None
    outcome = world.services.idempotent.run(world.caller(world.owner), request, deadlocking(world, 1))
    assert outcome.result.endswith(b" on run 2") and not outcome.replayed
    assert entry_count(store, world) == 1  # the first run's entry rolled back with it
    if keyed:
        assert run(world).replayed


def test_a_write_deadlocked_twice_is_answered_busy_with_nothing_stored(
    world: World, store: InMemoryStore
) -> None:
    with pytest.raises(StoreDeadlock):
        world.services.idempotent.run(
            world.caller(world.owner), KeyedRequest(KEY, "fp"), deadlocking(world, 2)
        )
    assert entry_count(store, world) == 0
    assert not run(world).replayed  # the key is free


def test_a_busy_store_that_is_no_deadlock_is_not_run_again(world: World, store: InMemoryStore) -> None:
    with pytest.raises(StoreBusy):
        world.services.idempotent.run(world.caller(world.owner), None, deadlocking(world, 1, StoreBusy))
    assert entry_count(store, world) == 0


def test_a_write_that_joined_an_open_transaction_is_not_run_again_after_a_deadlock(
    world: World, store: InMemoryStore
) -> None:
    with pytest.raises(StoreDeadlock), world.services.transactions.write():
        world.services.idempotent.run(world.caller(world.owner), None, deadlocking(world, 1))
    assert entry_count(store, world) == 0


@pytest.mark.parametrize("refusal", [StoreBusy, StoreFull])
def test_housekeeping_the_store_cannot_take_now_never_fails_the_request(
    world: World, store: InMemoryStore, refusal: type[Exception]
) -> None:
    """The events' purge deletes many rows: on a full disk it failed the write request that ran it
    (503 store_full) although the request's own write fitted."""

    def housekeeping() -> None:
        raise refusal()

    runner = IdempotentRunner(world.services.transactions, world.clock, housekeeping=housekeeping)

    outcome = runner.run(world.caller(world.owner), KeyedRequest(KEY, "fp"), lambda: create(world))

    assert not outcome.replayed and entry_count(store, world) == 1


@pytest.mark.parametrize("refusal", [StoreBusy, StoreFull])
def test_a_purge_of_expired_keys_the_store_cannot_take_now_never_fails_the_request(
    world: World, store: InMemoryStore, refusal: type[Exception], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The hourly purge of expired idempotency records runs before a keyed write, in a transaction
    of its own: a busy store or a full disk there failed the request, whose own write may fit."""
    runner = world.services.idempotent

    def purging() -> int:
        raise refusal()

    monkeypatch.setattr(runner, "purge_expired", purging)

    outcome = runner.run(world.caller(world.owner), KeyedRequest(KEY, "fp"), lambda: create(world))

    assert not outcome.replayed and entry_count(store, world) == 1
