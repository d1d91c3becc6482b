"""The events of clients (``client.*``), rates (``rate.*``), a reapply's rate changes and imports
(``via: import``) in the change feed, on every store (issue 14's gaps)."""

from __future__ import annotations

import typing
import uuid
from typing import Any

from litestar.testing import TestClient

from hours_core.events import SubjectType
from hours_http import wire
from tests.exchange.odd_files import toggl_file
from tests.http.conftest import bearer
from tests.world import World

CSV = {"Content-Type": "text/csv"}


def latest(client: TestClient[Any], world: World) -> int:
    seq: int = client.get("/changes", headers=bearer(world.owner_token)).json()["latestSeq"]
    return seq


def events_after(client: TestClient[Any], token: str, after: int) -> list[dict[str, Any]]:
    response = client.get("/changes", params={"after": after, "limit": 1000}, headers=bearer(token))
    assert response.status_code == 200, response.text
    events: list[dict[str, Any]] = response.json()["data"]
    return events


def toggl_import(client: TestClient[Any], world: World, **headers: str) -> Any:
    return client.post(
        "/imports?source=toggl&timezone=Europe/Berlin",
        content=toggl_file(world.owner.email, world.member.email),
        headers={**bearer(world.owner_token), **CSV, **headers},
    )


def test_each_client_change_is_one_client_event_that_members_see_too(
    client: TestClient[Any], world: World
) -> None:
    start = latest(client, world)
    owner = {**bearer(world.owner_token), "Idempotency-Key": str(uuid.uuid4())}
    body = {"name": "Initech", "currency": "EUR"}
    created = client.post("/clients", json=body, headers=owner)
    assert created.status_code == 201, created.text
    replayed = client.post("/clients", json=body, headers=owner)
    assert replayed.headers["Idempotent-Replayed"] == "true"
    client_id = created.json()["data"]["id"]
    path, admin = f"/clients/{client_id}", bearer(world.admin_token)
    assert client.patch(path, json={"name": "Initrode"}, headers=admin).status_code == 200
    assert client.patch(path, json={"name": "Initrode"}, headers=admin).status_code == 200  # no change
    archived = client.patch(path, json={"archived": True}, headers=admin).json()["data"]
    client.patch(path, json={"archived": False}, headers=admin)

    events = events_after(client, world.owner_token, start)

    assert [(e["type"], e["subject"]) for e in events] == [
        (kind, {"type": "client", "id": client_id})
        for kind in ("client.created", "client.updated", "client.archived", "client.unarchived")
    ]
    first = events[0]
    assert first["actor"] == {
        "userId": str(world.owner.id),
        "tokenPrefix": world.owner_token.split("_")[2],
        "via": "api",
    }
    assert first["idempotencyKey"] == owner["Idempotency-Key"]
    assert first["changes"] == {
        "name": {"from": None, "to": "Initech"},
        "currency": {"from": None, "to": "EUR"},
        "billableByDefault": {"from": None, "to": None},
        "archived": {"from": None, "to": False},
        "archivedAt": {"from": None, "to": None},
    }
    assert events[1]["changes"] == {"name": {"from": "Initech", "to": "Initrode"}}
    assert events[1]["actor"]["userId"] == str(world.admin.id)
    # A client archives as a project does: ``archived`` beside the time it was archived.
    assert events[2]["changes"] == {
        "archived": {"from": False, "to": True},
        "archivedAt": {"from": None, "to": archived["archivedAt"]},
    }
    assert events[3]["changes"] == {
        "archived": {"from": True, "to": False},
        "archivedAt": {"from": archived["archivedAt"], "to": None},
    }
    assert [e["type"] for e in events_after(client, world.member_token, start)] == [e["type"] for e in events]


def test_a_rate_s_creation_and_deletion_are_rate_events_members_do_not_see(
    client: TestClient[Any], world: World
) -> None:
    start = latest(client, world)
    body = {"scope": "user", "userId": str(world.member.id), "costRateMinor": 4000, "currency": "EUR"}
    created = client.post(
        "/rates", json={**body, "effectiveFrom": "2026-01-01"}, headers=bearer(world.owner_token)
    )
    assert created.status_code == 201, created.text
    rate = created.json()["data"]
    assert client.delete(f"/rates/{rate['id']}", headers=bearer(world.admin_token)).status_code == 204
    assert client.delete(f"/rates/{rate['id']}", headers=bearer(world.admin_token)).status_code == 404

    events = events_after(client, world.owner_token, start)

    assert [(e["type"], e["subject"]) for e in events] == [
        ("rate.created", {"type": "rate", "id": rate["id"]}),
        ("rate.deleted", {"type": "rate", "id": rate["id"]}),
    ]
    fields = {
        "scope": "user",
        "clientId": None,
        "projectId": None,
        "userId": str(world.member.id),
        "billableRateMinor": None,
        "costRateMinor": 4000,
        "currency": "EUR",
        "effectiveFrom": "2026-01-01",
    }
    assert events[0]["changes"] == {name: {"from": None, "to": value} for name, value in fields.items()}
    assert events[1]["changes"] == {name: {"from": value, "to": None} for name, value in fields.items()}
    assert events[1]["actor"]["userId"] == str(world.admin.id)
    assert events_after(client, world.member_token, start) == []


def test_a_reapply_writes_one_update_per_changed_entry_with_its_rate_as_the_entry_has_it(
    client: TestClient[Any], world: World
) -> None:
    owner = bearer(world.owner_token)
    body = {"projectId": str(world.project.id), "entryDate": "2026-03-02", "duration": "1h"}
    entry = client.post("/time-entries", json=body, headers=owner).json()["data"]
    unchanged = client.post("/time-entries", json={**body, "entryDate": "2025-12-31"}, headers=owner)
    assert entry["rate"] is None and unchanged.status_code == 201
    rate = {"scope": "org", "billableRateMinor": 9000, "currency": "EUR", "effectiveFrom": "2026-01-01"}
    rate_id = client.post("/rates", json=rate, headers=owner).json()["data"]["id"]
    start = latest(client, world)
    reapply = {"from": "2025-12-01", "to": "2026-03-31"}
    dry = client.post("/rates/reapply", json={**reapply, "dryRun": True}, headers=owner)
    assert dry.json()["data"]["changed"] == 1
    assert events_after(client, world.owner_token, start) == []  # a dry run changes nothing

    done = client.post("/rates/reapply", json=reapply, headers=owner)
    assert done.status_code == 200, done.text

    (event,) = events_after(client, world.owner_token, start)
    stored = client.get(f"/time-entries/{entry['id']}", headers=owner).json()["data"]
    assert stored["rate"] == {
        "billableRateMinor": 9000,
        "costRateMinor": None,
        "currency": "EUR",
        "source": {"scope": "org", "rateId": rate_id},
    }
    assert event["type"] == "time_entry.updated"
    assert event["subject"] == {"type": "time_entry", "id": entry["id"]}
    assert event["changes"] == {"rate": {"from": None, "to": stored["rate"]}}
    history = client.get(f"/time-entries/{entry['id']}/history", headers=owner).json()["data"]
    assert history[0]["changes"]["rate"] == {"from": None, "to": None}  # the creation: no rate applied
    assert history[-1] == event

    client.delete(f"/rates/{rate_id}", headers=owner)
    start = latest(client, world)
    client.post("/rates/reapply", json=reapply, headers=owner)
    (cleared,) = events_after(client, world.owner_token, start)
    assert cleared["changes"] == {"rate": {"from": stored["rate"], "to": None}}


def test_an_import_writes_its_creations_via_import_and_its_undo_one_deletion_per_entry_then_archivings(
    client: TestClient[Any], world: World
) -> None:
    start = latest(client, world)
    response = toggl_import(client, world, **{"X-Request-Id": "import-1"})
    assert response.status_code == 201, response.text
    report = response.json()["data"]

    events = events_after(client, world.owner_token, start)

    entries = client.get("/time-entries?limit=500", headers=bearer(world.owner_token)).json()["data"]
    assert len(entries) == report["created"] == 5
    assert [e["type"] for e in events] == [
        "client.created",
        "project.created",
        "task.created",
        "project.created",
        *["time_entry.created"] * 5,
    ]
    assert all(
        e["actor"]
        == {"userId": str(world.owner.id), "tokenPrefix": world.owner_token.split("_")[2], "via": "import"}
        and e["requestId"] == "import-1"
        for e in events
    )
    assert events[0]["changes"]["name"]["to"] == report["createdClients"][0]
    assert [e["changes"]["name"]["to"] for e in events[1:4]] == ["Website", "Design", "Backend"]
    created = events[4:]
    assert sorted(e["subject"]["id"] for e in created) == sorted(entry["id"] for entry in entries)
    by_id = {entry["id"]: entry for entry in entries}
    for event in created:
        entry = by_id[event["subject"]["id"]]
        assert event["subject"]["type"] == "time_entry"
        assert event["changes"]["importId"] == {"from": None, "to": report["id"]}
        assert event["changes"]["externalRef"] == {"from": None, "to": entry["externalRef"]}
        assert event["changes"]["durationSeconds"] == {"from": None, "to": entry["durationSeconds"]}

    middle = latest(client, world)
    again = toggl_import(client, world).json()["data"]
    assert again["created"] == 0
    assert events_after(client, world.owner_token, middle) == []  # every row a duplicate: no event

    undo = client.delete(f"/imports/{report['id']}", headers=bearer(world.owner_token))
    assert undo.status_code == 204

    undone = events_after(client, world.owner_token, middle)
    deletions, retired = undone[:5], undone[5:]
    assert [e["type"] for e in deletions] == ["time_entry.deleted"] * 5
    # Then what the import created, archived: the task, the projects, the client (all unused now).
    assert [(e["type"], e["changes"]["archived"]) for e in retired] == [
        ("task.archived", {"from": False, "to": True}),
        ("project.archived", {"from": False, "to": True}),
        ("project.archived", {"from": False, "to": True}),
        ("client.archived", {"from": False, "to": True}),
    ]
    assert {e["subject"]["id"] for e in retired} == {e["subject"]["id"] for e in events[:4]}
    assert all(e["actor"]["via"] == "import" for e in retired)
    assert sorted(e["subject"]["id"] for e in deletions) == sorted(by_id)
    for event in deletions:
        assert event["actor"]["via"] == "import"
        assert set(event["changes"]) == {"deletedAt", "externalRef"}
        assert event["changes"]["deletedAt"]["from"] is None
        assert event["changes"]["externalRef"] == {
            "from": by_id[event["subject"]["id"]]["externalRef"],
            "to": None,
        }
    end = latest(client, world)
    assert client.delete(f"/imports/{report['id']}", headers=bearer(world.owner_token)).status_code == 404
    assert latest(client, world) == end


def test_a_member_sees_the_import_s_events_of_their_entries_and_of_shared_things_only(
    client: TestClient[Any], world: World
) -> None:
    start = latest(client, world)
    toggl_import(client, world)

    seen = events_after(client, world.member_token, start)

    mine = client.get("/time-entries?limit=500", headers=bearer(world.member_token)).json()["data"]
    assert [e["type"] for e in seen] == [
        "client.created",
        "project.created",
        "task.created",
        "project.created",
        *["time_entry.created"] * len(mine),
    ]
    assert {e["subject"]["id"] for e in seen[4:]} == {entry["id"] for entry in mine}


def test_the_documented_subject_types_are_the_cores() -> None:
    assert set(typing.get_args(wire.SubjectTypeName)) == {kind.value for kind in SubjectType}
