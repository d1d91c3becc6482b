"""Every endpoint, called with a second organization's token and the first one's ids: 404 or an empty list."""

from __future__ import annotations

import json
from typing import Any

import pytest
from litestar.testing import TestClient

from hours_core.model import Plan, Role
from tests.http.conftest import bearer
from tests.world import World


@pytest.mark.parametrize("intruder_role", [Role.OWNER, Role.ADMIN, Role.MEMBER])
def test_another_orgs_token_never_reaches_this_orgs_data(
    client: TestClient[Any], world: World, intruder_role: Role
) -> None:
    other = world.services.admin.bootstrap(
        org_name="Intruder", plan=world.org.plan, email="x@intruder.test", env="live"
    )
    foreign = bearer(other.token.plaintext)
    if intruder_role is not Role.OWNER:
        intruder = world.services.admin.create_user(other.org.id, "y@intruder.test", intruder_role)
        foreign = bearer(world.services.admin.mint_token(intruder.id, env="live").plaintext)
    owner = bearer(world.owner_token)
    entry = client.post(
        "/time-entries",
        json={"projectId": str(world.project.id), "entryDate": "2026-03-02", "duration": "1h"},
        headers=owner,
    ).json()["data"]
    client.post("/timers", json={"projectId": str(world.project.id)}, headers=owner)
    entry_url = f"/time-entries/{entry['id']}"
    project_url = f"/projects/{world.project.id}"
    owner_prefix = world.owner_token.split("_")[2]

    not_found = [
        ("GET", entry_url, None),
        ("PATCH", entry_url, {"note": "mine now"}),
        ("DELETE", entry_url, None),
        ("POST", f"{entry_url}/restore", None),
        (
            "POST",
            "/time-entries",
            {"projectId": str(world.project.id), "entryDate": "2026-03-02", "duration": "1h"},
        ),
        (
            "POST",
            "/time-entries",
            {
                "projectId": str(other.project.id),
                "taskId": str(world.task.id),
                "entryDate": "2026-03-02",
                "duration": "1h",
            },
        ),
        (
            "POST",
            "/time-entries",
            {
                "projectId": str(other.project.id),
                "userId": str(world.member.id),
                "entryDate": "2026-03-02",
                "duration": "1h",
            },
        ),
        ("POST", "/timers", {"projectId": str(world.project.id)}),
        ("GET", "/timers/current", None),
        ("POST", "/timers/current/stop", None),
        ("GET", project_url, None),
        ("PATCH", project_url, {"name": "Stolen"}),
        ("GET", f"{project_url}/tasks", None),
        ("POST", f"{project_url}/tasks", {"name": "Stolen"}),
        ("GET", f"/tasks/{world.task.id}", None),
        ("PATCH", f"/tasks/{world.task.id}", {"name": "Stolen"}),
        ("DELETE", f"/tokens/{owner_prefix}", None),
        ("GET", f"/users/{world.member.id}", None),
        ("PATCH", f"/users/{world.member.id}", {"name": "Stolen"}),
        ("POST", f"/users/{world.member.id}/deactivate", None),
        ("POST", f"/users/{world.member.id}/reactivate", None),
        ("GET", f"/users/{world.owner.id}/tokens", None),
        ("DELETE", f"/users/{world.owner.id}/tokens/{owner_prefix}", None),
    ]
    for method, url, payload in not_found:
        response = client.request(method, url, json=payload, headers=foreign)
        assert response.status_code == 404, (method, url, response.text)
        assert response.json()["error"]["code"] == "not_found"

    lists = [
        "/time-entries",
        f"/time-entries?projectId={world.project.id}",
        "/time-entries?updatedSince=2000-01-01T00:00:00Z",
    ]
    for url in lists:
        response = client.get(url, headers=foreign)
        assert response.status_code == 200
        assert response.json()["data"] == []
    projects = client.get("/projects", headers=foreign).json()["data"]
    assert [p["id"] for p in projects] == [str(other.project.id)]
    tokens = client.get("/tokens", headers=foreign).json()["data"]
    assert owner_prefix not in [t["prefix"] for t in tokens]
    me = client.get("/me", headers=foreign).json()["data"]
    assert me["org"]["id"] == str(other.org.id)
    assert client.get("/org", headers=foreign).json()["data"]["id"] == str(other.org.id)
    users = client.get("/users", headers=foreign).json()["data"]
    assert {u["orgId"] for u in users} == {str(other.org.id)}
    assert client.get("/me", headers=bearer(world.member_token)).status_code == 200

    after = client.get(entry_url, headers=owner).json()["data"]
    assert after == client.get(entry_url, headers=owner).json()["data"]
    assert after["note"] is None and after["deletedAt"] is None
    assert client.get(project_url, headers=owner).json()["data"]["name"] == world.project.name


def test_an_idempotency_key_of_another_org_never_replays_its_response(
    client: TestClient[Any], world: World
) -> None:
    other = world.services.admin.bootstrap(
        org_name="Intruder", plan=world.org.plan, email="x@intruder.test", env="live"
    )
    key = {"Idempotency-Key": "5a8591dd-4039-49df-9202-96385ba3eff8"}
    mine = client.post(
        "/time-entries",
        json={"projectId": str(world.project.id), "entryDate": "2026-03-02", "duration": "1h"},
        headers={**bearer(world.owner_token), **key},
    )
    theirs = client.post(
        "/time-entries",
        json={"projectId": str(world.project.id), "entryDate": "2026-03-02", "duration": "1h"},
        headers={**bearer(other.token.plaintext), **key},
    )
    assert mine.status_code == 201
    assert theirs.status_code == 404
    assert "idempotent-replayed" not in theirs.headers


@pytest.mark.parametrize(
    ("method", "path", "payload"),
    [
        ("POST", "/projects", {"name": "New"}),
        ("PATCH", "/projects/{project}", {"name": "Renamed"}),
        ("POST", "/projects/{project}/tasks", {"name": "New task"}),
        ("PATCH", "/tasks/{task}", {"name": "Renamed"}),
        ("POST", "/time-entries", {"entryDate": "2026-03-02", "duration": "1h", "userId": "{owner}"}),
        ("GET", "/time-entries?userId={owner}", None),
    ],
)
def test_the_role_matrix_members_read_owners_and_admins_write(
    client: TestClient[Any], world: World, method: str, path: str, payload: dict[str, str] | None
) -> None:
    ids = {"project": str(world.project.id), "task": str(world.task.id), "owner": str(world.owner.id)}
    url = path.format(**ids)
    body = None if payload is None else {k: v.format(**ids) for k, v in payload.items()}
    if body is not None and url == "/time-entries":
        body["projectId"] = ids["project"]
    member = client.request(method, url, json=body, headers=bearer(world.member_token))
    assert member.status_code == 403, member.text
    assert member.json()["error"]["code"] == "forbidden"
    for token in (world.admin_token, world.owner_token):
        allowed = client.request(method, url, json=body, headers=bearer(token))
        assert allowed.status_code in (200, 201), allowed.text


def test_a_member_of_another_org_gets_404_where_this_orgs_member_gets_403(
    client: TestClient[Any], world: World
) -> None:
    """Webhooks, rates, invoices and imports are for owners and admins; before, a member of another
    organization asking for this one's got 403 there (the role was checked before the resource was
    looked up), where issue 7 says another organization's resources are always 404."""
    world.set_plan(Plan.AGENCY)
    owner = bearer(world.owner_token)
    entry = client.post(
        "/time-entries",
        json={"projectId": str(world.project.id), "entryDate": "2026-03-02", "duration": "1h"},
        headers=owner,
    ).json()["data"]["id"]
    webhook = client.post(
        "/webhooks", json={"url": "https://hooks.example.com/h", "events": ["*"]}, headers=owner
    ).json()["data"]["id"]
    delivery = client.post(f"/webhooks/{webhook}/ping", headers=owner).json()["data"]["id"]
    rate = client.post(
        "/rates",
        json={"scope": "org", "currency": "EUR", "billableRateMinor": 100, "effectiveFrom": "2026-01-01"},
        headers=owner,
    ).json()["data"]["id"]
    invoice = client.post(
        "/invoices", json={"externalRef": "INV-1", "entryIds": [entry]}, headers=owner
    ).json()["data"]["id"]
    line = json.dumps({"entryDate": "2026-03-03", "projectId": str(world.project.id), "durationSeconds": 60})
    imported = client.post(
        "/imports?source=hours",
        content=line.encode() + b"\n",
        headers={**owner, "Content-Type": "application/jsonl"},
    ).json()["data"]["id"]
    other = world.services.admin.bootstrap(
        org_name="Intruder", plan=Plan.AGENCY, email="x@i.test", env="live"
    )
    intruder = world.services.admin.create_user(other.org.id, "y@i.test", Role.MEMBER)
    foreign = bearer(world.services.admin.mint_token(intruder.id, env="live").plaintext)
    requests = [
        ("GET", f"/webhooks/{webhook}", None),
        ("PATCH", f"/webhooks/{webhook}", {"description": "mine"}),
        ("DELETE", f"/webhooks/{webhook}", None),
        ("POST", f"/webhooks/{webhook}/rotate-secret", None),
        ("POST", f"/webhooks/{webhook}/ping", None),
        ("GET", f"/webhooks/{webhook}/deliveries", None),
        ("GET", f"/webhooks/{webhook}/deliveries/{delivery}", None),
        ("POST", f"/webhooks/{webhook}/deliveries/{delivery}/redeliver", None),
        ("GET", f"/rates/{rate}", None),
        ("DELETE", f"/rates/{rate}", None),
        ("GET", f"/invoices/{invoice}", None),
        ("POST", f"/invoices/{invoice}/void", None),
        ("DELETE", f"/imports/{imported}", None),
        ("DELETE", f"/imports/{imported}?overrideLock=true&reason=closing", None),
    ]

    for method, url, body in requests:
        theirs = client.request(method, url, json=body, headers=foreign)
        ours = client.request(method, url, json=body, headers=bearer(world.member_token))
        assert (theirs.status_code, theirs.json()["error"]["code"]) == (404, "not_found"), (method, url)
        assert (ours.status_code, ours.json()["error"]["code"]) == (403, "forbidden"), (method, url)
    admin = world.services.admin.create_user(other.org.id, "z@i.test", Role.ADMIN)
    foreign_admin = bearer(world.services.admin.mint_token(admin.id, env="live").plaintext)
    overriding = client.delete(f"/imports/{imported}?overrideLock=true&reason=closing", headers=foreign_admin)
    assert overriding.status_code == 404  # before: 403, only owners override, checked before the lookup
    assert client.get(f"/webhooks/{webhook}", headers=owner).json()["data"]["description"] == ""
    assert client.get(f"/invoices/{invoice}", headers=owner).json()["data"]["status"] == "open"
