"""The name rule at the API: invisible names are blank; separators and bidi controls are refused."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import TestClient

from tests.http.conftest import bearer
from tests.world import World


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("\u200b \u3164 \u2800", "must not be blank"),
        ("Client\u2028A", "contains the line or paragraph separator U+2028 at position 7"),
        ("Client\u2029A", "contains the line or paragraph separator U+2029 at position 7"),
        ("invoice\u202etxt.exe", "contains the bidirectional control character U+202E at position 8"),
        ("\u2066Client\u2069", "contains the bidirectional control character U+2066 at position 1"),
    ],
)
def test_project_token_and_org_names_follow_the_rule(
    client: TestClient[Any], world: World, name: str, message: str
) -> None:
    headers = bearer(world.owner_token)
    for method, path in (("POST", "/projects"), ("POST", "/tokens"), ("PATCH", "/org")):
        response = client.request(method, path, json={"name": name}, headers=headers)
        assert response.status_code == 422, (path, response.text)
        assert response.json()["error"]["fields"] == {"name": message}
    assert client.get("/org", headers=headers).json()["data"]["name"] == world.org.name
