"""The contract of the idempotency repository, for every store."""

from datetime import timedelta

import pytest

from hours_core.idempotency import IdempotencyRecord

from .conftest import T0, Build, OpenStore, World
from .test_savepoints import fail_in_scope

RESULT = b'HTTP/1.1 201 \r\nLocation: /e1\r\n\r\n{"id":"e1","note":"caf\xc3\xa9"}\x00\xff'
"""A result as an adapter might encode it: any bytes, NUL and invalid UTF-8 included."""


def stored_record(store: OpenStore, record: IdempotencyRecord) -> IdempotencyRecord | None:
    with store.unit_of_work(read_only=True) as uow:
        return uow.idempotency.get(record.org_id, record.user_id, record.key)


def test_a_first_claim_inserts_the_record(store: OpenStore, world: World, build: Build) -> None:
    claim = build.record(world.a.member)

    with store.unit_of_work() as uow:
        assert uow.idempotency.claim(claim) is None
        uow.commit()

    assert stored_record(store, claim) == claim


def test_a_second_claim_returns_the_first_and_changes_nothing(
    store: OpenStore, world: World, build: Build
) -> None:
    first = build.record(world.a.member, "k-1", fingerprint="a" * 64)
    second = build.record(world.a.member, "k-1", fingerprint="b" * 64, created_at=T0 + timedelta(seconds=1))
    store.seed(first)

    with store.unit_of_work() as uow:
        assert uow.idempotency.claim(second) == first
        uow.commit()

    assert stored_record(store, first) == first


def test_keys_belong_to_one_user_of_one_organization(store: OpenStore, world: World, build: Build) -> None:
    mine = build.record(world.a.member, "shared-key")
    colleagues = build.record(world.a.owner, "shared-key")
    strangers = build.record(world.b.member, "shared-key")

    with store.unit_of_work() as uow:
        assert uow.idempotency.claim(mine) is None
        assert uow.idempotency.claim(colleagues) is None
        assert uow.idempotency.claim(strangers) is None
        uow.commit()

    with store.unit_of_work(read_only=True) as uow:
        assert uow.idempotency.get(world.a.org.id, world.a.member.id, "shared-key") == mine
        assert uow.idempotency.get(world.b.org.id, world.a.member.id, "shared-key") is None
        assert uow.idempotency.get(world.a.org.id, world.a.member.id, "other-key") is None


def test_a_completed_record_keeps_the_result_exactly(store: OpenStore, world: World, build: Build) -> None:
    claim = build.record(world.a.member)
    store.seed(claim)
    completed = claim.completed(RESULT, T0 + timedelta(milliseconds=250))

    with store.unit_of_work() as uow:
        uow.idempotency.complete(completed)
        uow.commit()

    stored = stored_record(store, claim)
    assert stored == completed
    assert stored.result == RESULT


def test_an_empty_result_is_kept_as_a_result(store: OpenStore, world: World, build: Build) -> None:
    claim = build.record(world.a.member)
    store.seed(claim)
    completed = claim.completed(b"", T0)

    with store.unit_of_work() as uow:
        uow.idempotency.complete(completed)
        uow.commit()

    stored = stored_record(store, claim)
    assert stored == completed
    assert stored.result == b"" and stored.is_complete


def test_replacing_takes_over_an_expired_record(store: OpenStore, world: World, build: Build) -> None:
    old = build.record(world.a.member, "k", fingerprint="a" * 64).completed(RESULT, T0)
    store.seed(old)
    fresh = build.record(world.a.member, "k", fingerprint="b" * 64, created_at=T0 + timedelta(days=2))

    with store.unit_of_work() as uow:
        assert uow.idempotency.replace(fresh, expired_before=T0 + timedelta(days=1)) is True
        uow.commit()

    assert stored_record(store, fresh) == fresh


@pytest.mark.parametrize("completed_after", [timedelta(seconds=1), None])
def test_a_takeover_leaves_a_record_that_is_no_longer_expired(
    store: OpenStore, world: World, build: Build, completed_after: timedelta | None
) -> None:
    """Another request took the key over first: its record (completed after the cutoff, or still
    in progress) stays, and the takeover says so."""
    cutoff = T0 + timedelta(days=1)
    theirs = build.record(world.a.member, "k", fingerprint="a" * 64, created_at=cutoff)
    if completed_after is not None:
        theirs = theirs.completed(RESULT, cutoff + completed_after)
    store.seed(theirs)
    mine = build.record(world.a.member, "k", fingerprint="b" * 64, created_at=T0 + timedelta(days=2))

    with store.unit_of_work() as uow:
        assert uow.idempotency.replace(mine, expired_before=cutoff) is False
        uow.commit()

    assert stored_record(store, theirs) == theirs


def test_a_takeover_at_the_exact_end_of_the_window_happens(
    store: OpenStore, world: World, build: Build
) -> None:
    """The core counts a record as expired from completion + 24 h on; so does the takeover."""
    old = build.record(world.a.member, "k", fingerprint="a" * 64).completed(RESULT, T0)
    store.seed(old)
    fresh = build.record(world.a.member, "k", fingerprint="b" * 64, created_at=T0 + timedelta(days=1))
    with store.unit_of_work() as uow:
        assert uow.idempotency.replace(fresh, expired_before=T0) is True
        uow.commit()
    assert stored_record(store, fresh) == fresh


def test_purging_deletes_only_records_completed_before_the_cutoff(
    store: OpenStore, world: World, build: Build
) -> None:
    cutoff = T0 + timedelta(days=1)
    expired = build.record(world.a.member).completed(RESULT, cutoff - timedelta(microseconds=1))
    at_cutoff = build.record(world.a.member).completed(RESULT, cutoff)
    recent = build.record(world.b.owner).completed(RESULT, cutoff + timedelta(hours=1))
    in_progress = build.record(world.a.owner, created_at=T0 - timedelta(days=30))
    store.seed(expired, at_cutoff, recent, in_progress)

    with store.unit_of_work() as uow:
        assert uow.idempotency.purge_completed_before(cutoff) == 1
        uow.commit()

    assert stored_record(store, expired) is None
    for kept in (at_cutoff, recent, in_progress):
        assert stored_record(store, kept) == kept


def test_purging_nothing_returns_zero(store: OpenStore, world: World) -> None:
    with store.unit_of_work() as uow:
        assert uow.idempotency.purge_completed_before(T0) == 0


def test_a_claim_holds_the_key_for_the_rest_of_its_transaction(
    store: OpenStore, world: World, build: Build
) -> None:
    claim = build.record(world.a.member, "k", fingerprint="a" * 64)
    again = build.record(world.a.member, "k", fingerprint="b" * 64, created_at=T0 + timedelta(seconds=1))

    with store.unit_of_work() as uow:
        assert uow.idempotency.claim(claim) is None
        assert uow.idempotency.get(claim.org_id, claim.user_id, "k") == claim
        assert uow.idempotency.claim(again) == claim
        uow.commit()

    assert stored_record(store, claim) == claim


def test_a_claim_completed_in_its_transaction_is_stored_completed(
    store: OpenStore, world: World, build: Build
) -> None:
    claim = build.record(world.a.member)
    completed = claim.completed(RESULT, T0 + timedelta(milliseconds=5))

    with store.unit_of_work() as uow:
        assert uow.idempotency.claim(claim) is None
        uow.idempotency.complete(completed)
        assert uow.idempotency.get(claim.org_id, claim.user_id, claim.key) == completed
        uow.commit()

    assert stored_record(store, claim) == completed


def test_a_claim_in_a_failed_savepoint_is_undone_with_it(
    store: OpenStore, world: World, build: Build
) -> None:
    undone = build.record(world.a.member, "k")
    kept = build.record(world.a.member, "other")

    with store.unit_of_work() as uow:
        uow.idempotency.claim(kept)
        fail_in_scope(uow, lambda: uow.idempotency.claim(undone))
        assert uow.idempotency.get(undone.org_id, undone.user_id, "k") is None
        uow.commit()

    assert stored_record(store, undone) is None
    assert stored_record(store, kept) == kept
