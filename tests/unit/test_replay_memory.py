"""The replay memory: a bounded, least-recently-used copy of completed idempotency records."""

from __future__ import annotations

from datetime import UTC, datetime

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hours_core.idempotency import IdempotencyRecord
from hours_core.model import OrgId, UserId
from hours_core.services.replay_memory import ReplayMemory

ORG = OrgId("0190a3b0-0000-7000-8000-000000000001")
USER = UserId("0190a3b0-0000-7000-8000-000000000002")
AT = datetime(2026, 12, 5, tzinfo=UTC)


def record(key: str, result: bytes = b"result") -> IdempotencyRecord:
    claim = IdempotencyRecord(org_id=ORG, user_id=USER, key=key, fingerprint="fp", created_at=AT)
    return claim.completed(result, AT)


def test_a_remembered_record_is_recalled_by_org_user_and_key() -> None:
    memory = ReplayMemory()
    memory.remember(record("a"))
    assert memory.recall(ORG, USER, "a") == record("a")
    assert memory.holds(ORG, USER, "a") and not memory.holds(ORG, USER, "b")
    assert memory.knows_key("a") and not memory.knows_key("b")
    assert memory.recall(ORG, USER, "b") is None
    assert memory.recall(ORG, UserId("0190a3b0-0000-7000-8000-000000000003"), "a") is None


def test_a_record_in_progress_is_refused() -> None:
    claim = IdempotencyRecord(org_id=ORG, user_id=USER, key="a", fingerprint="fp", created_at=AT)
    with pytest.raises(ValueError, match="completed"):
        ReplayMemory().remember(claim)


def test_the_least_recently_used_record_goes_first() -> None:
    memory = ReplayMemory(max_records=2)
    memory.remember(record("a"))
    memory.remember(record("b"))
    assert memory.holds(ORG, USER, "a")  # a peek: "a" stays the least recent
    assert memory.recall(ORG, USER, "a") is not None  # "a" is now the most recent
    memory.remember(record("c"))
    assert [key for key in "abc" if memory.recall(ORG, USER, key)] == ["a", "c"]


def test_results_are_bounded_in_bytes_and_a_large_one_is_not_kept() -> None:
    memory = ReplayMemory(max_bytes=10, max_result_bytes=6)
    memory.remember(record("a", b"12345"))
    memory.remember(record("b", b"12345"))
    memory.remember(record("c", b"1234567"))  # over the per-record bound
    assert memory.size_bytes == 10 and len(memory) == 2
    memory.remember(record("d", b"1"))
    assert memory.recall(ORG, USER, "a") is None and memory.size_bytes == 6


def test_forgetting_and_remembering_again_keep_the_byte_count() -> None:
    memory = ReplayMemory()
    memory.remember(record("a", b"123"))
    memory.remember(record("a", b"12"))
    assert memory.size_bytes == 2 and len(memory) == 1
    memory.forget(ORG, USER, "a")
    memory.forget(ORG, USER, "a")
    assert memory.size_bytes == 0 and len(memory) == 0 and not memory.knows_key("a")


def test_a_key_is_known_while_any_user_has_a_record_of_it() -> None:
    memory = ReplayMemory()
    other = UserId("0190a3b0-0000-7000-8000-000000000003")
    memory.remember(record("a"))
    memory.remember(attrs.evolve(record("a"), user_id=other))
    memory.forget(ORG, USER, "a")
    assert memory.knows_key("a") and not memory.holds(ORG, USER, "a")
    memory.clear()
    assert not memory.knows_key("a")


@given(
    st.lists(st.tuples(st.sampled_from("abcdefgh"), st.binary(max_size=12)), max_size=60),
    st.integers(min_value=0, max_value=5),
    st.integers(min_value=0, max_value=30),
)
def test_the_bounds_always_hold_and_the_newest_record_of_a_key_wins(
    writes: list[tuple[str, bytes]], max_records: int, max_bytes: int
) -> None:
    memory = ReplayMemory(max_records=max_records, max_bytes=max_bytes, max_result_bytes=max_bytes)
    newest: dict[str, bytes] = {}
    for key, result in writes:
        memory.remember(record(key, result))
        newest[key] = result
        assert len(memory) <= max_records and memory.size_bytes <= max_bytes
        kept = [memory.recall(ORG, USER, each) for each in "abcdefgh"]
        assert memory.size_bytes == sum(len(each.result or b"") for each in kept if each is not None)
        assert all(each is None or each.result == newest[each.key] for each in kept)
        assert all(
            memory.knows_key(each) == (memory.recall(ORG, USER, each) is not None) for each in "abcdefgh"
        )
