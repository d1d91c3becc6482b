"""``/webhooks`` over HTTP, on every store: create (the secret once), read, change, delete, rotate,
the delivery log, ping and redeliver; the plan gate (402), the role gate (403), the URL rules (422)
and tenancy (404)."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from litestar.testing import TestClient

from hours_core.events import SubjectType
from hours_core.model import Plan
from hours_core.subscriptions import EVENT_FAMILIES, WebhookId
from hours_core.webhooks import SIGNING_SECRET_PATTERN
from tests.http.conftest import bearer
from tests.world import World

URL = "https://hooks.example.com/hours"
UNKNOWN = "0190c2d4-0000-7000-8000-0000000000ff"


def create(client: TestClient[Any], world: World, **body: Any) -> dict[str, Any]:
    response = client.post(
        "/webhooks", json={"url": URL, "events": ["*"], **body}, headers=bearer(world.owner_token)
    )
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def test_creating_a_webhook_shows_its_secret_once(client: TestClient[Any], world: World) -> None:
    response = client.post(
        "/webhooks",
        json={"url": URL, "events": ["time_entry.created", "project.*"], "description": "Payroll"},
        headers=bearer(world.admin_token),
    )

    assert response.status_code == 201
    created = response.json()["data"]
    assert response.headers["Location"] == f"/webhooks/{created['id']}"
    assert SIGNING_SECRET_PATTERN.fullmatch(created["secret"])
    assert list(created) == [
        "secret",
        "id",
        "url",
        "events",
        "description",
        "active",
        "createdAt",
        "updatedAt",
        "disabledAt",
        "disabledReason",
        "previousSecretExpiresAt",
    ]
    assert created["events"] == ["time_entry.created", "project.*"]
    assert created["active"] is True
    read = client.get(f"/webhooks/{created['id']}", headers=bearer(world.owner_token)).json()["data"]
    assert "secret" not in read
    assert created["secret"] not in client.get("/webhooks", headers=bearer(world.owner_token)).text
    assert read == {name: value for name, value in created.items() if name != "secret"}


def test_webhooks_are_listed_oldest_first(client: TestClient[Any], world: World) -> None:
    first = create(client, world, description="first")
    world.clock.advance(timedelta(seconds=1))
    second = create(client, world, description="second")

    listed = client.get("/webhooks", headers=bearer(world.owner_token)).json()["data"]

    assert [webhook["id"] for webhook in listed] == [first["id"], second["id"]]


def test_changing_a_webhook_changes_only_what_was_sent(client: TestClient[Any], world: World) -> None:
    created = create(client, world)

    response = client.patch(
        f"/webhooks/{created['id']}",
        json={"events": ["timer.started"], "active": False},
        headers=bearer(world.owner_token),
    )

    assert response.status_code == 200
    changed = response.json()["data"]
    assert changed["events"] == ["timer.started"]
    assert changed["active"] is False
    assert changed["url"] == URL
    assert changed["disabledReason"] is None


def test_rotating_the_secret_keeps_the_old_one_signing_for_24_hours(
    client: TestClient[Any], world: World
) -> None:
    created = create(client, world)

    response = client.post(f"/webhooks/{created['id']}/rotate-secret", headers=bearer(world.owner_token))

    assert response.status_code == 200
    rotated = response.json()["data"]
    assert SIGNING_SECRET_PATTERN.fullmatch(rotated["secret"])
    assert rotated["secret"] != created["secret"]
    assert rotated["previousSecretExpiresAt"] == "2026-03-03T09:00:00Z"
    webhook = world.services.webhooks.get(world.caller(world.owner), WebhookId(UUID(rotated["id"])))
    assert webhook.signing_secrets(world.clock.now()) == [rotated["secret"], created["secret"]]


def test_deleting_a_webhook_removes_it(client: TestClient[Any], world: World) -> None:
    created = create(client, world)

    assert client.delete(f"/webhooks/{created['id']}", headers=bearer(world.owner_token)).status_code == 204
    assert client.get(f"/webhooks/{created['id']}", headers=bearer(world.owner_token)).status_code == 404
    assert client.delete(f"/webhooks/{created['id']}", headers=bearer(world.owner_token)).status_code == 404


def test_a_ping_is_queued_in_the_delivery_log_and_can_be_redelivered(
    client: TestClient[Any], world: World
) -> None:
    created = create(client, world)

    ping = client.post(f"/webhooks/{created['id']}/ping", headers=bearer(world.owner_token))

    assert ping.status_code == 202
    queued = ping.json()["data"]
    assert queued["eventType"] == "ping"
    assert queued["status"] == "pending"
    assert queued["attempt"] == 0
    assert list(queued) == [
        "id",
        "webhookId",
        "eventId",
        "eventType",
        "status",
        "attempt",
        "responseCode",
        "durationMs",
        "error",
        "createdAt",
        "lastAttemptAt",
        "nextAttemptAt",
        "completedAt",
    ]
    again = client.post(
        f"/webhooks/{created['id']}/deliveries/{queued['id']}/redeliver", headers=bearer(world.owner_token)
    )
    assert again.status_code == 202
    assert again.json()["data"]["eventId"] == queued["eventId"]
    assert again.json()["data"]["id"] != queued["id"]
    log = client.get(
        f"/webhooks/{created['id']}/deliveries?limit=1", headers=bearer(world.owner_token)
    ).json()
    assert [delivery["id"] for delivery in log["data"]] == [again.json()["data"]["id"]]
    rest = client.get(
        f"/webhooks/{created['id']}/deliveries?limit=1&cursor={log['nextCursor']}",
        headers=bearer(world.owner_token),
    ).json()
    assert [delivery["id"] for delivery in rest["data"]] == [queued["id"]]
    assert rest["nextCursor"] is None


def test_an_inactive_webhook_takes_no_ping(client: TestClient[Any], world: World) -> None:
    created = create(client, world, active=False)

    response = client.post(f"/webhooks/{created['id']}/ping", headers=bearer(world.owner_token))

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "webhook_inactive"


@pytest.mark.parametrize("plan", [Plan.FREE, Plan.SOLO])
def test_plans_below_studio_get_402_naming_the_plan_and_feature(
    client: TestClient[Any], world: World, plan: Plan
) -> None:
    world.set_plan(plan)

    for method, path in [("GET", "/webhooks"), ("POST", "/webhooks"), ("GET", f"/webhooks/{UNKNOWN}")]:
        body = {"url": URL, "events": ["*"]} if method == "POST" else None
        response = client.request(method, path, json=body, headers=bearer(world.owner_token))
        assert response.status_code == 402, path
        error = response.json()["error"]
        assert (error["code"], error["requiredPlan"], error["feature"]) == (
            "plan_required",
            "studio",
            "webhooks",
        )


def test_studio_is_enough(client: TestClient[Any], world: World) -> None:
    world.set_plan(Plan.STUDIO)
    assert client.get("/webhooks", headers=bearer(world.owner_token)).status_code == 200


def test_members_may_not_manage_webhooks(client: TestClient[Any], world: World) -> None:
    created = create(client, world)

    for method, path in [
        ("GET", "/webhooks"),
        ("POST", "/webhooks"),
        ("GET", f"/webhooks/{created['id']}"),
        ("PATCH", f"/webhooks/{created['id']}"),
        ("DELETE", f"/webhooks/{created['id']}"),
        ("POST", f"/webhooks/{created['id']}/rotate-secret"),
        ("GET", f"/webhooks/{created['id']}/deliveries"),
        ("POST", f"/webhooks/{created['id']}/ping"),
    ]:
        body = {"url": URL, "events": ["*"]} if method in ("POST", "PATCH") and path.count("/") < 3 else None
        response = client.request(method, path, json=body, headers=bearer(world.member_token))
        assert response.status_code == 403, (method, path)
        assert response.json()["error"]["code"] == "forbidden"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "http://hooks.example.com/", "events": ["*"]}, "url"),
        ({"url": "https://localhost/hook", "events": ["*"]}, "url"),
        ({"url": "https://127.0.0.1/hook", "events": ["*"]}, "url"),
        ({"url": "https://169.254.169.254/latest", "events": ["*"]}, "url"),
        ({"url": "https://user:pw@hooks.example.com/", "events": ["*"]}, "url"),
        ({"url": "https://ex_ample.com/", "events": ["*"]}, "url"),
        ({"url": URL, "events": []}, "events"),
        ({"url": URL, "events": ["time_entry.exploded!"]}, "events"),
        ({"url": URL, "events": ["invoice.paid"]}, "events"),
        ({"url": URL, "events": ["*", "*"]}, "events"),
        ({"url": URL, "events": "*"}, "events"),
        ({"url": URL, "events": ["*"], "description": "x" * 501}, "description"),
        ({"url": URL, "events": ["*"], "secret": "mine"}, "secret"),
        ({"events": ["*"]}, "url"),
    ],
)
def test_a_wrong_field_is_422_naming_it(
    client: TestClient[Any], world: World, body: dict[str, Any], field: str
) -> None:
    response = client.post("/webhooks", json=body, headers=bearer(world.owner_token))

    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "validation_failed"
    assert field in error["fields"]


def test_a_change_to_a_refused_url_is_422(client: TestClient[Any], world: World) -> None:
    created = create(client, world)

    response = client.patch(
        f"/webhooks/{created['id']}", json={"url": "https://10.0.0.1/"}, headers=bearer(world.owner_token)
    )

    assert response.status_code == 422
    assert "private" in response.json()["error"]["fields"]["url"]


@pytest.mark.parametrize(("url", "address"), [("https://0.0.0.0/", "0.0.0.0"), ("https://[::]/", "::")])
def test_an_unspecified_address_is_refused_as_an_unspecified_address(
    client: TestClient[Any], world: World, url: str, address: str
) -> None:
    response = client.post("/webhooks", json={"url": url, "events": ["*"]}, headers=bearer(world.owner_token))

    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {
        "url": f"points at an unspecified address ({address}); webhooks may only call public addresses"
    }


def test_another_organizations_webhook_is_not_found(client: TestClient[Any], world: World) -> None:
    created = create(client, world)
    other = world.services.admin.bootstrap(
        org_name="Other", plan=Plan.AGENCY, email="o@other.test", env="live"
    )
    foreign = bearer(other.token.plaintext)

    for method, path in [
        ("GET", f"/webhooks/{created['id']}"),
        ("DELETE", f"/webhooks/{created['id']}"),
        ("POST", f"/webhooks/{created['id']}/rotate-secret"),
        ("POST", f"/webhooks/{created['id']}/ping"),
        ("GET", f"/webhooks/{created['id']}/deliveries"),
        ("POST", f"/webhooks/{created['id']}/deliveries/{UNKNOWN}/redeliver"),
    ]:
        response = client.request(method, path, headers=foreign)
        assert response.status_code == 404, (method, path)
        assert response.json()["error"]["code"] == "not_found"
    assert client.get("/webhooks", headers=foreign).json()["data"] == []


def test_a_webhook_may_subscribe_to_the_client_and_rate_families_and_types(
    client: TestClient[Any], world: World
) -> None:
    events = ["client.*", "rate.*", "client.archived", "rate.deleted"]

    created = create(client, world, events=events)

    assert created["events"] == events
    wrong = client.post(
        "/webhooks", json={"url": URL, "events": ["rate.updated"]}, headers=bearer(world.owner_token)
    )
    assert wrong.status_code == 422 and "events" in wrong.json()["error"]["fields"]


def test_the_api_guide_lists_every_event_family_and_subject_type() -> None:
    """docs/api.md lists the families ``events`` takes and the subject types ``subjectType`` takes:
    each list is the core's (``period`` and ``invoice`` included)."""
    guide = (Path(__file__).parents[2] / "docs" / "api.md").read_text()
    families = re.search(r"families: ((?:`[a-z_]+`(?:, )?)+)\. Anything else is 422", guide)
    subjects = re.search(r"`subjectType` \(((?:`[a-z_]+`(?:, )?)+)\)", guide)
    assert families is not None and subjects is not None
    assert re.findall(r"`([a-z_]+)`", families[1]) == list(EVENT_FAMILIES)
    assert set(re.findall(r"`([a-z_]+)`", subjects[1])) == {subject.value for subject in SubjectType}
