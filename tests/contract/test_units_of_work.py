"""The contract of units of work, for every store: atomicity, isolation, read-only, concurrent writers."""

import threading
import time
from collections.abc import Callable
from datetime import timedelta

import pytest

from hours_core.idempotency import IdempotencyRecord
from hours_core.model import Org
from hours_core.ports import EntryQuery

from .conftest import T0, Build, OpenStore, World

WAIT = 30
"""How long a thread waits for another before the test gives up (a guard against hangs, not a limit)."""


class Boom(Exception):
    """Raised inside a block to abort it."""


def org_exists(store: OpenStore, org: Org) -> bool:
    with store.unit_of_work(read_only=True) as uow:
        return uow.orgs.get(org.id) is not None


def run_in_threads(*targets: Callable[[], None]) -> None:
    """Run each target in its own thread, wait for all, and re-raise the first failure."""
    failures: list[BaseException] = []

    def guarded(target: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                target()
            except BaseException as error:
                failures.append(error)

        return run

    threads = [threading.Thread(target=guarded(target)) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT)
        assert not thread.is_alive(), "a thread did not finish"
    if failures:
        raise failures[0]


# Atomicity.


def test_committed_writes_are_visible_to_a_new_read_only_unit_of_work(store: OpenStore, build: Build) -> None:
    org = build.org()

    with store.unit_of_work() as uow:
        uow.orgs.add(org)
        uow.commit()

    assert org_exists(store, org)


def test_leaving_the_block_without_commit_rolls_back(store: OpenStore, build: Build) -> None:
    org = build.org()

    with store.unit_of_work() as uow:
        uow.orgs.add(org)

    assert not org_exists(store, org)


def test_an_exception_in_the_block_rolls_back(store: OpenStore, build: Build) -> None:
    org = build.org()

    def fail_midway() -> None:
        with store.unit_of_work() as uow:
            uow.orgs.add(org)
            raise Boom

    with pytest.raises(Boom):
        fail_midway()

    assert not org_exists(store, org)


def test_writes_after_a_commit_in_the_same_block_need_their_own_commit(
    store: OpenStore, build: Build
) -> None:
    kept, dropped = build.org("Kept"), build.org("Dropped")

    with store.unit_of_work() as uow:
        uow.orgs.add(kept)
        uow.commit()
        uow.orgs.add(dropped)
        assert uow.orgs.get(dropped.id) == dropped

    assert org_exists(store, kept)
    assert not org_exists(store, dropped)


def test_a_unit_of_work_sees_its_own_uncommitted_writes(store: OpenStore, world: World, build: Build) -> None:
    entry = build.entry(world.a.member, world.a.project)

    with store.unit_of_work() as uow:
        uow.entries.add(entry)
        assert uow.entries.get(world.a.org.id, entry.id) == entry
        assert list(uow.entries.list(world.a.org.id, EntryQuery())) == [entry]


def test_a_failed_write_leaves_the_earlier_writes_of_the_block_to_commit(
    store: OpenStore, world: World, build: Build
) -> None:
    newcomer = build.user(world.a.org, "new@acme.example")

    with store.unit_of_work() as uow:
        uow.users.add(newcomer)
        with pytest.raises(Exception, match="already exists"):
            uow.users.add(build.user(world.a.org, world.a.owner.email))
        uow.commit()

    with store.unit_of_work(read_only=True) as uow:
        assert uow.users.get(world.a.org.id, newcomer.id) == newcomer


# Isolation.


def test_a_read_only_unit_of_work_does_not_see_uncommitted_writes(store: OpenStore, build: Build) -> None:
    org = build.org()

    with store.unit_of_work() as writer:
        writer.orgs.add(org)
        with store.unit_of_work(read_only=True) as reader:
            assert reader.orgs.get(org.id) is None
        writer.commit()

    assert org_exists(store, org)


def test_a_read_only_unit_of_work_reads_one_snapshot(store: OpenStore, build: Build) -> None:
    before, during = build.org("Before"), build.org("During")
    store.seed(before)

    with store.unit_of_work(read_only=True) as reader:
        assert reader.orgs.get(before.id) == before
        store.seed(during)
        assert reader.orgs.get(during.id) is None
        assert list(reader.orgs.list()) == [before]

    assert org_exists(store, during)


def test_a_read_only_unit_of_work_refuses_writes(store: OpenStore, world: World, build: Build) -> None:
    org = build.org()
    entry = build.entry(world.a.member, world.a.project)
    token = build.token(world.a.member)
    store.seed(token)
    refusals: list[Exception] = []

    with store.unit_of_work(read_only=True) as uow:
        for write in (
            lambda: uow.orgs.add(org),
            lambda: uow.entries.add(entry),
            lambda: uow.idempotency.claim(build.record(world.a.member)),
            lambda: uow.tokens.revoke(world.a.org.id, token.prefix, T0),
        ):
            try:
                write()
            except Exception as refusal:
                refusals.append(refusal)
        uow.commit()

    assert len(refusals) == 4
    assert not org_exists(store, org)
    with store.unit_of_work(read_only=True) as uow:
        assert uow.entries.get(world.a.org.id, entry.id) is None
        assert uow.tokens.get(world.a.org.id, token.prefix) == token


# Concurrent writers.


def test_of_two_writers_claiming_one_key_the_second_gets_the_committed_record(
    store: OpenStore, world: World, build: Build
) -> None:
    first = build.record(world.a.member, "0190d6a4-7c2e-7b8a-9f3e-5a6b7c8d9e0f", fingerprint="1" * 64)
    second = build.record(
        world.a.member, first.key, fingerprint="2" * 64, created_at=T0 + timedelta(seconds=1)
    )
    first_claimed, second_starting = threading.Event(), threading.Event()
    results: dict[str, IdempotencyRecord | None] = {}

    def first_writer() -> None:
        with store.unit_of_work() as uow:
            results["first"] = uow.idempotency.claim(first)
            first_claimed.set()
            assert second_starting.wait(WAIT)
            time.sleep(0.05)  # let the second writer reach its wait; the outcome is the same either way
            uow.commit()

    def second_writer() -> None:
        assert first_claimed.wait(WAIT)
        second_starting.set()
        with store.unit_of_work() as uow:
            results["second"] = uow.idempotency.claim(second)
            uow.commit()

    run_in_threads(first_writer, second_writer)

    assert results == {"first": None, "second": first}
    with store.unit_of_work(read_only=True) as uow:
        assert uow.idempotency.get(first.org_id, first.user_id, first.key) == first


def test_of_two_writers_racing_for_one_key_exactly_one_inserts(
    store: OpenStore, world: World, build: Build
) -> None:
    claims = [build.record(world.a.member, "race", fingerprint=str(n) * 64) for n in (1, 2)]
    start = threading.Barrier(2)
    results: list[IdempotencyRecord | None] = []

    def writer(claim: IdempotencyRecord) -> Callable[[], None]:
        def run() -> None:
            start.wait(WAIT)
            with store.unit_of_work() as uow:
                results.append(uow.idempotency.claim(claim))
                uow.commit()

        return run

    run_in_threads(writer(claims[0]), writer(claims[1]))

    inserted = [result for result in results if result is None]
    returned = [result for result in results if result is not None]
    assert len(inserted) == 1
    assert len(returned) == 1
    assert returned[0] in claims
    with store.unit_of_work(read_only=True) as uow:
        assert uow.idempotency.get(world.a.org.id, world.a.member.id, "race") == returned[0]


def test_two_writers_adding_different_entries_both_land(store: OpenStore, world: World, build: Build) -> None:
    batches = [
        [
            build.entry(world.a.member, world.a.project, created_at=T0 + timedelta(seconds=n))
            for n in range(20)
        ],
        [
            build.entry(world.a.owner, world.a.project, created_at=T0 + timedelta(seconds=n))
            for n in range(20)
        ],
    ]
    start = threading.Barrier(2)

    def writer(batch: list) -> Callable[[], None]:
        def run() -> None:
            start.wait(WAIT)
            for entry in batch:
                with store.unit_of_work() as uow:
                    uow.entries.add(entry)
                    uow.commit()

        return run

    run_in_threads(writer(batches[0]), writer(batches[1]))

    with store.unit_of_work(read_only=True) as uow:
        stored = set(uow.entries.list(world.a.org.id, EntryQuery(limit=100)))
    assert stored == set(batches[0]) | set(batches[1])


def test_readers_in_other_threads_run_while_a_writer_holds_its_transaction(
    store: OpenStore, world: World, build: Build
) -> None:
    entry = build.entry(world.a.member, world.a.project)
    writing, read_done = threading.Event(), threading.Event()
    seen: list[object] = []

    def writer() -> None:
        with store.unit_of_work() as uow:
            uow.entries.add(entry)
            writing.set()
            assert read_done.wait(WAIT)
            uow.commit()

    def reader() -> None:
        assert writing.wait(WAIT)
        with store.unit_of_work(read_only=True) as uow:
            seen.append(uow.entries.get(world.a.org.id, entry.id))
            seen.append(uow.orgs.get(world.a.org.id))
        read_done.set()

    run_in_threads(writer, reader)

    assert seen == [None, world.a.org]
