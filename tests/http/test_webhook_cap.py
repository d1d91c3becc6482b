"""At most 20 webhooks per organization, over the API, on every store: the 21st ``POST /webhooks`` is
422 ``too_many_webhooks`` naming the limit, inactive webhooks count, deleting one frees a slot."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from litestar.testing import TestClient

from hours_core.model import Plan
from hours_core.subscriptions import MAX_WEBHOOKS
from tests.http.conftest import bearer
from tests.http.test_create_time_entry import error_of
from tests.world import World

URL = "https://hooks.example.com/hours"
MESSAGE = (
    "An organization may have at most 20 webhooks (active or not), and this organization has that many; "
    "delete one to create another."
)


def post(client: TestClient[Any], token: str, **body: Any) -> Any:
    return client.post("/webhooks", json={"url": URL, "events": ["*"], **body}, headers=bearer(token))


def fill(client: TestClient[Any], world: World, **body: Any) -> list[str]:
    created = [post(client, world.owner_token, **body) for _ in range(MAX_WEBHOOKS)]
    assert {response.status_code for response in created} == {201}
    return [response.json()["data"]["id"] for response in created]


def test_the_21st_webhook_is_422_naming_the_limit_until_one_is_deleted(
    client: TestClient[Any], world: World
) -> None:
    held = fill(client, world)

    refused = post(client, world.admin_token)

    assert refused.status_code == 422
    assert error_of(refused) == {"code": "too_many_webhooks", "message": MESSAGE}
    owner = bearer(world.owner_token)
    assert len(client.get("/webhooks", headers=owner).json()["data"]) == MAX_WEBHOOKS
    assert client.delete(f"/webhooks/{held[0]}", headers=owner).status_code == 204
    assert post(client, world.owner_token, description="the freed slot").status_code == 201
    assert post(client, world.owner_token, description="again").status_code == 422


def test_inactive_webhooks_count_and_turning_one_off_frees_no_slot(
    client: TestClient[Any], world: World
) -> None:
    held = fill(client, world, active=False)
    owner = bearer(world.owner_token)

    assert post(client, world.owner_token).status_code == 422
    assert client.patch(f"/webhooks/{held[0]}", json={"active": True}, headers=owner).status_code == 200
    assert client.patch(f"/webhooks/{held[1]}", json={"active": False}, headers=owner).status_code == 200
    assert error_of(post(client, world.owner_token))["code"] == "too_many_webhooks"


def test_the_limit_is_per_organization(client: TestClient[Any], world: World) -> None:
    fill(client, world)
    other = world.services.admin.bootstrap(
        org_name="Other", plan=Plan.AGENCY, email="o@other.test", env="live"
    )

    assert post(client, other.token.plaintext).status_code == 201
    assert post(client, world.owner_token).status_code == 422


def test_a_wrong_field_is_reported_before_the_limit(client: TestClient[Any], world: World) -> None:
    fill(client, world)

    response = client.post(
        "/webhooks", json={"url": "https://0.0.0.0/", "events": ["*"]}, headers=bearer(world.owner_token)
    )

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_failed"
    assert set(response.json()["error"]["fields"]) == {"url"}


def test_a_member_is_refused_for_the_role_before_the_limit(client: TestClient[Any], world: World) -> None:
    fill(client, world)

    assert error_of(post(client, world.member_token))["code"] == "forbidden"


def test_a_replayed_creation_takes_no_second_slot(client: TestClient[Any], world: World) -> None:
    owner = bearer(world.owner_token)
    for _ in range(MAX_WEBHOOKS - 1):
        assert post(client, world.owner_token).status_code == 201
    key = {**owner, "Idempotency-Key": "0190c2d4-0000-7000-8000-00000000beef"}
    body = {"url": URL, "events": ["*"]}

    first = client.post("/webhooks", json=body, headers=key)
    replay = client.post("/webhooks", json=body, headers=key)

    assert (first.status_code, replay.status_code) == (201, 201)
    assert replay.json() == first.json()
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert len(client.get("/webhooks", headers=owner).json()["data"]) == MAX_WEBHOOKS


def test_the_api_guide_and_the_openapi_document_state_the_limit(client: TestClient[Any]) -> None:
    guide = " ".join((Path(__file__).parents[2] / "docs" / "api.md").read_text().split())
    assert MESSAGE in guide
    assert re.search(
        r"\| `too_many_webhooks` \| 422 \| `POST /webhooks` when the organization has 20 webhooks", guide
    )
    document = client.get("/schema/openapi.json").json()
    unprocessable = document["paths"]["/webhooks"]["post"]["responses"]["422"]["description"]
    assert (
        f"`too_many_webhooks`: the organization has {MAX_WEBHOOKS} webhooks (active or not)" in unprocessable
    )
