"""A body that names a member twice in one object is 400 ``invalid_json`` on every route, keyed or
not, and nothing is stored (before, the last value silently won: ``"duration": "1h", "duration":
"8h"`` stored 8 hours). The JSON lines import refuses the same line (tests/exchange)."""

from __future__ import annotations

import functools
import json
import uuid
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from litestar.testing import TestClient

from hours_http.decoding import parse_json, repeated_member
from tests.http.conftest import bearer
from tests.world import World


def twice(world: World) -> list[tuple[str, str, bytes, str]]:
    """Routes, each with a body that names one member twice, and that member."""
    project = str(world.project.id)
    entry = f'{{"projectId": "{project}", "entryDate": "2026-11-28", "duration": "1h", "duration": "8h"}}'
    return [
        ("POST", "/time-entries", entry.encode(), "duration"),
        ("POST", "/projects", b'{"name": "ok", "name": "second"}', "name"),
        ("PATCH", "/org", b'{"timezone": "UTC", "timezone": "Europe/Berlin"}', "timezone"),
        (
            "POST",
            "/time-entries/batch",
            b'{"atomic": true, "operations": [{"op": "create", "op": "delete", "id": "x"}]}',
            "op",
        ),
    ]


@pytest.mark.parametrize("keyed", [False, True], ids=["no key", "with Idempotency-Key"])
def test_a_member_named_twice_is_400_invalid_json_and_nothing_is_stored(
    client: TestClient[Any], world: World, keyed: bool
) -> None:
    headers = {**bearer(world.owner_token), "Content-Type": "application/json"}
    for method, path, body, member in twice(world):
        if keyed:
            headers["Idempotency-Key"] = str(uuid.uuid4())
        response = client.request(method, path, content=body, headers=headers)
        assert response.status_code == 400, (method, path, response.text)
        assert response.json() == {
            "error": {
                "code": "invalid_json",
                "message": f'The request body names the member "{member}" twice in one object; '
                "send each member once.",
            }
        }
    assert client.get("/time-entries", headers=bearer(world.owner_token)).json()["data"] == []
    assert client.get("/org", headers=bearer(world.owner_token)).json()["data"]["timezone"] == "UTC"


def test_the_same_name_in_two_objects_is_no_repeat(client: TestClient[Any], world: World) -> None:
    body = {
        "atomic": True,
        "operations": [{"op": "delete", "id": str(uuid.uuid4())}, {"op": "delete", "id": str(uuid.uuid4())}],
    }
    response = client.post("/time-entries/batch", json=body, headers=bearer(world.owner_token))
    assert response.status_code != 400, response.text


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=4), children, max_size=4)
    ),
    max_leaves=12,
)


@given(st.dictionaries(st.text(max_size=6), JSON_VALUES, max_size=6), st.booleans())
def test_a_document_of_distinct_members_has_no_repeat(document: dict[str, Any], ascii_only: bool) -> None:
    body = json.dumps(document, ensure_ascii=ascii_only).encode()
    assert repeated_member(body) is None
    assert repeated_member(body, parse_json(body)) is None


@given(st.text(max_size=6), JSON_VALUES, JSON_VALUES, st.booleans())
def test_a_member_written_twice_is_found_at_any_depth(
    name: str, first: Any, second: Any, ascii_only: bool
) -> None:
    """Whether the parsed document is given (its members counted against the colons first) or not."""
    dump = functools.partial(json.dumps, ensure_ascii=ascii_only)
    inner = f"{{{dump(name)}: {dump(first)}, {dump(name)}: {dump(second)}}}"
    body = f'{{"outer": [{inner}]}}'.encode()
    assert repeated_member(body) == name
    assert repeated_member(body, parse_json(body)) == name


@pytest.mark.parametrize(
    "ambiguous",
    [
        '{{"note": "EVIL", "projectId": "{p}", "entryDate": "2026-05-01", "durationSeconds": 60, "note": "sp"}}',
        '{{"note": "sp", "projectId": "{p}", "entryDate": "2026-05-01", "durationSeconds": 60, "note": "sp"}}',
    ],
    ids=["first-differs", "both-the-same"],
)
def test_a_key_reused_with_a_member_named_twice_is_no_replay(
    client: TestClient[Any], world: World, ambiguous: str
) -> None:
    """Round 7 (tester C): the replay path read such a body with the last member winning, so it
    matched the record and was answered as a replay, where a new key gets 400 invalid_json."""
    key = {
        "Idempotency-Key": str(uuid.uuid4()),
        **bearer(world.owner_token),
        "Content-Type": "application/json",
    }
    body = {
        "note": "sp",
        "projectId": str(world.project.id),
        "entryDate": "2026-05-01",
        "durationSeconds": 60,
    }
    first = client.post("/time-entries", json=body, headers=key)
    assert first.status_code == 201
    again = client.post("/time-entries", content=ambiguous.format(p=world.project.id).encode(), headers=key)
    assert again.status_code == 422, again.text
    assert again.json()["error"]["code"] == "idempotency_key_reused"
    assert "Idempotent-Replayed" not in again.headers
    replay = client.post("/time-entries", json=body, headers=key)
    assert replay.status_code == 201 and replay.headers["Idempotent-Replayed"] == "true"
