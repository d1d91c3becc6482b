"""A body that names a member twice in one object is 400 ``invalid_json`` on every route, keyed or
not, and nothing is stored (before, the last value silently won: ``"duration": "1h", "duration":
"8h"`` stored 8 hours). The JSON lines import refuses the same line (tests/exchange)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from litestar.testing import TestClient

from hours_http.decoding import repeated_member
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


@given(st.dictionaries(st.text(max_size=6), JSON_VALUES, max_size=6))
def test_a_document_of_distinct_members_has_no_repeat(document: dict[str, Any]) -> None:
    assert repeated_member(json.dumps(document).encode()) is None


@given(st.text(max_size=6), JSON_VALUES, JSON_VALUES)
def test_a_member_written_twice_is_found_at_any_depth(name: str, first: Any, second: Any) -> None:
    inner = f"{{{json.dumps(name)}: {json.dumps(first)}, {json.dumps(name)}: {json.dumps(second)}}}"
    assert repeated_member(f'{{"outer": [{inner}]}}'.encode()) == name
