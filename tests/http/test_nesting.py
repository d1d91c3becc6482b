"""Bodies nested deeper than 32 levels are refused (400 ``invalid_json``) before anything walks them:
before the idempotency fingerprint, before parsing."""

from __future__ import annotations

import json
import uuid
from typing import Any

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st
from litestar.testing import TestClient

from hours_http.decoding import MAX_NESTING, nesting_exceeds
from tests.http.conftest import bearer
from tests.world import World

TOO_DEEP = "The request body nests arrays and objects deeper than 32 levels; at most 32 are allowed."

DEEP_BODIES = {
    "10k arrays": b"[" * 10_000 + b"]" * 10_000,
    "10k objects": b'{"a":' * 10_000 + b"1" + b"}" * 10_000,
    "10k arrays in a field": b'{"note":' + b"[" * 10_000 + b"]" * 10_000 + b"}",
    "10k unclosed": b"[" * 10_000,
    "33 levels": b'{"note":' + b"[" * 32 + b"]" * 32 + b"}",
}


def routes(world: World) -> list[tuple[str, str]]:
    return [
        ("POST", "/time-entries"),
        ("PATCH", f"/time-entries/{uuid.uuid4()}"),
        ("POST", "/timers"),
        ("POST", "/timers/current/stop"),
        ("POST", "/projects"),
        ("PATCH", f"/projects/{world.project.id}"),
        ("POST", "/tokens"),
        ("PATCH", "/org"),
    ]


@pytest.mark.parametrize("keyed", [False, True], ids=["no key", "with Idempotency-Key"])
@pytest.mark.parametrize("body", list(DEEP_BODIES.values()), ids=list(DEEP_BODIES))
def test_a_body_nested_too_deep_is_400_on_every_route_with_or_without_a_key(
    client: TestClient[Any], world: World, body: bytes, keyed: bool
) -> None:
    for method, path in routes(world):
        headers = {**bearer(world.owner_token), "Content-Type": "application/json"}
        if keyed:
            headers["Idempotency-Key"] = str(uuid.uuid4())
        response = client.request(method, path, content=body, headers=headers)
        assert response.status_code == 400, (method, path, response.text)
        assert response.json() == {"error": {"code": "invalid_json", "message": TOO_DEEP}}
    still = client.post(
        "/time-entries",
        json={"projectId": str(world.project.id), "entryDate": "2026-03-02", "duration": "1h"},
        headers={**bearer(world.owner_token), "Idempotency-Key": str(uuid.uuid4())},
    )
    assert still.status_code == 201


def test_32_levels_are_decoded_and_brackets_in_strings_do_not_count(
    client: TestClient[Any], world: World
) -> None:
    headers = {**bearer(world.owner_token), "Idempotency-Key": str(uuid.uuid4())}
    deep_but_allowed = {"note": json.loads("[" * 31 + "]" * 31)}
    response = client.post("/time-entries", json=deep_but_allowed, headers=headers)
    assert response.status_code == 422  # the fields are wrong; the nesting is fine
    body = {
        "projectId": str(world.project.id),
        "entryDate": "2026-03-02",
        "duration": "1h",
        "note": "[" * 1000 + '{"\\"' * 100,
    }
    response = client.post("/time-entries", json=body, headers={**bearer(world.owner_token)})
    assert response.status_code == 201, response.text


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet='[]{}"\\ab:,'),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.text(alphabet='[]{}"\\ab', max_size=4), children, max_size=3)
    ),
    max_leaves=60,
)


def depth(value: object) -> int:
    if isinstance(value, list):
        return 1 + max((depth(item) for item in value), default=0)
    if isinstance(value, dict):
        return 1 + max((depth(item) for item in value.values()), default=0)
    return 0


@given(json_values, st.integers(min_value=0, max_value=8))
def test_the_scan_measures_the_nesting_of_any_json_document(value: object, limit: int) -> None:
    assert nesting_exceeds(msgspec.json.encode(value), limit) == (depth(value) > limit)
    assert nesting_exceeds(json.dumps(value, indent=1).encode(), limit) == (depth(value) > limit)


@given(st.binary(max_size=400))
def test_the_scan_takes_any_bytes(body: bytes) -> None:
    assert nesting_exceeds(body, 3) in (True, False)
    assert not nesting_exceeds(b"[" * MAX_NESTING + b"]" * MAX_NESTING)
