"""The fingerprints of recent bodies, kept by their bytes' digest (``hours_http.idempotency``):
a memo, so it must never change a fingerprint, only skip working it out again."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from hours_core.idempotency import fingerprint
from hours_http.body import PendingBody
from hours_http.decoding import NOT_JSON
from hours_http.idempotency import _FingerprintMemo

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=8,
)


def body(raw: bytes) -> PendingBody[Any]:
    return PendingBody(raw, "application/json", object)


def direct(method: str, path: str, raw: bytes) -> str:
    """The fingerprint worked out from scratch, as the route always did."""
    document = body(raw).document
    return fingerprint(method, path, raw if document is NOT_JSON else document)


@given(
    st.lists(st.tuples(st.sampled_from(["POST", "PATCH"]), st.sampled_from(["/a", "/b"]), JSON), max_size=20)
)
def test_a_remembered_fingerprint_is_the_one_worked_out_from_scratch(
    requests: list[tuple[str, str, object]],
) -> None:
    memo = _FingerprintMemo()
    for method, path, document in requests * 2:  # every body twice: computed, then remembered
        raw = json.dumps(document).encode()
        assert memo.of(method, path, body(raw)) == direct(method, path, raw)


def test_bytes_that_are_not_json_count_by_their_bytes_remembered_or_not() -> None:
    memo = _FingerprintMemo()
    for _ in range(2):
        assert memo.of("POST", "/a", body(b"not json")) == fingerprint("POST", "/a", b"not json")


def test_the_same_document_in_other_bytes_has_the_same_fingerprint() -> None:
    memo = _FingerprintMemo()
    one = memo.of("POST", "/a", body(b'{"a": 1, "b": 2}'))
    assert memo.of("POST", "/a", body(b'{"b":2,"a":1}')) == one
    assert memo.of("POST", "/b", body(b'{"b":2,"a":1}')) != one


def test_the_memo_is_bounded_and_skips_large_bodies() -> None:
    memo = _FingerprintMemo()
    for n in range(memo.MAX_ENTRIES + 10):
        memo.of("POST", "/a", body(json.dumps({"n": n}).encode()))
    large = json.dumps({"note": "x" * memo.MAX_BODY_BYTES}).encode()
    assert memo.of("POST", "/a", body(large)) == direct("POST", "/a", large)
    assert len(memo._fingerprints) <= memo.MAX_ENTRIES
    assert all(len(slot[2]) == 32 for slot in memo._fingerprints)  # digests, never the bodies
