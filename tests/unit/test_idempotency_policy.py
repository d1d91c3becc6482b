from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hours_core.errors import IdempotencyKeyInvalid
from hours_core.idempotency import (
    REPLAY_WINDOW,
    Decision,
    IdempotencyRecord,
    decide,
    fingerprint,
    parse_key,
)
from hours_core.model import OrgId, UserId

NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("header", "key"),
    [
        ("5a8591dd-4039-49df-9202-96385ba3eff8", "5a8591dd-4039-49df-9202-96385ba3eff8"),
        ("5A8591DD-4039-49DF-9202-96385BA3EFF8", "5a8591dd-4039-49df-9202-96385ba3eff8"),
        ('"5a8591dd-4039-49df-9202-96385ba3eff8"', "5a8591dd-4039-49df-9202-96385ba3eff8"),
        ("01ARZ3NDEKTSV4RRFFQ69G5FAV", "01arz3ndektsv4rrffq69g5fav"),
        ("00000000-0000-0000-0000-000000000000", "00000000-0000-0000-0000-000000000000"),
    ],
)
def test_uuids_and_ulids_are_accepted_in_any_case_and_quoted(header: str, key: str) -> None:
    assert parse_key(header) == key


@pytest.mark.parametrize(
    "header",
    [
        "",
        "abc",
        "5a8591dd40394 9df920296385ba3eff8",
        "5a8591dd403949df920296385ba3eff8",
        "{5a8591dd-4039-49df-9202-96385ba3eff8}",
        " 5a8591dd-4039-49df-9202-96385ba3eff8",
        '"5a8591dd-4039-49df-9202-96385ba3eff8',
        "01ARZ3NDEKTSV4RRFFQ69G5FAVX",
        "81ARZ3NDEKTSV4RRFFQ69G5FAV",
        "01ARZ3NDEKTSV4RRFFQ69G5FAU",
    ],
)
def test_anything_else_is_an_invalid_key(header: str) -> None:
    with pytest.raises(IdempotencyKeyInvalid):
        parse_key(header)


@given(st.text(max_size=60))
def test_parse_key_returns_a_key_or_raises_its_own_error(header: str) -> None:
    try:
        key = parse_key(header)
    except IdempotencyKeyInvalid:
        return
    assert key == key.lower() and len(key) in (26, 36)


def test_key_order_and_whitespace_do_not_change_the_fingerprint() -> None:
    first = fingerprint("POST", "/time-entries", {"a": 1, "b": [1, 2]})
    second = fingerprint("post", "/time-entries", {"b": [1, 2], "a": 1})
    assert first == second


def test_method_route_and_body_all_count() -> None:
    base = fingerprint("POST", "/time-entries", {"a": 1})
    assert base != fingerprint("PATCH", "/time-entries", {"a": 1})
    assert base != fingerprint("POST", "/timers", {"a": 1})
    assert base != fingerprint("POST", "/time-entries", {"a": 2})
    assert fingerprint("POST", "/x", b"{not json") != fingerprint("POST", "/x", b"{not json!")


def record(*, completed: bool, fp: str = "fp", completed_at: datetime = NOW) -> IdempotencyRecord:
    claim = IdempotencyRecord(
        org_id=OrgId(UUID(int=1)), user_id=UserId(UUID(int=2)), key="k", fingerprint=fp, created_at=NOW
    )
    return claim.completed(b"{}", completed_at) if completed else claim


def test_the_decisions() -> None:
    assert decide(None, "fp", NOW) is Decision.NEW
    assert decide(record(completed=True), "fp", NOW + timedelta(hours=23)) is Decision.REPLAY
    assert decide(record(completed=True), "other", NOW) is Decision.REUSED
    assert decide(record(completed=False), "fp", NOW) is Decision.IN_PROGRESS
    assert decide(record(completed=False), "other", NOW) is Decision.REUSED
    assert decide(record(completed=True), "fp", NOW + REPLAY_WINDOW) is Decision.EXPIRED
    assert decide(record(completed=True), "other", NOW + REPLAY_WINDOW) is Decision.EXPIRED


def test_a_record_has_a_result_exactly_when_it_has_a_completion_time() -> None:
    claim = record(completed=False)
    assert claim.completed(b"", NOW).is_complete  # an empty result is a result
    with pytest.raises(ValueError, match="completion time"):
        attrs.evolve(claim, result=b"{}")
    with pytest.raises(ValueError, match="completion time"):
        attrs.evolve(claim, completed_at=NOW)
