"""At most 50 active tokens per user, over the API."""

from __future__ import annotations

from typing import Any

from litestar.testing import TestClient

from hours_core.tokens import MAX_ACTIVE_TOKENS
from tests.http.conftest import bearer
from tests.http.test_create_time_entry import error_of
from tests.world import World


def test_the_51st_active_token_is_422_naming_the_limit_until_one_is_revoked(
    client: TestClient[Any], world: World
) -> None:
    auth = bearer(world.member_token)
    held = len(client.get("/tokens", headers=auth).json()["data"])
    minted = [
        client.post("/tokens", json={"name": f"t{n}"}, headers=auth) for n in range(MAX_ACTIVE_TOKENS - held)
    ]
    assert {response.status_code for response in minted} == {201}

    refused = client.post("/tokens", json={"name": "one too many"}, headers=auth)
    assert refused.status_code == 422
    assert error_of(refused) == {
        "code": "too_many_tokens",
        "message": "A user may have at most 50 active tokens (not revoked and not expired), and this user "
        "has that many; revoke one to create another.",
    }
    assert len(client.get("/tokens", headers=auth).json()["data"]) == MAX_ACTIVE_TOKENS

    assert client.delete(f"/tokens/{minted[0].json()['data']['prefix']}", headers=auth).status_code == 204
    assert client.post("/tokens", json={"name": "the freed slot"}, headers=auth).status_code == 201
    assert client.post("/tokens", json={"name": "again"}, headers=auth).status_code == 422


def test_the_cap_is_per_user(client: TestClient[Any], world: World) -> None:
    member = bearer(world.member_token)
    held = len(client.get("/tokens", headers=member).json()["data"])
    for n in range(MAX_ACTIVE_TOKENS - held):
        client.post("/tokens", json={"name": f"t{n}"}, headers=member)
    assert client.post("/tokens", json={"name": "x"}, headers=member).status_code == 422
    assert client.post("/tokens", json={"name": "x"}, headers=bearer(world.owner_token)).status_code == 201
