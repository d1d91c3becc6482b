"""``POST /time-entries/batch``: all-or-nothing and each-on-its-own batches, on every store."""

from __future__ import annotations

import json
from typing import Any

import pytest
from litestar.testing import TestClient

from hours_core.events import EventQuery, EventType
from hours_core.model import Plan
from tests.http.conftest import bearer
from tests.world import World

KEY = "01ARZ3NDEKTSV4RRFFQ69G5FAV"
UNKNOWN = "5a8591dd-4039-49df-9202-96385ba3eff8"


def new_entry(world: World, **changes: Any) -> dict[str, Any]:
    return {"projectId": str(world.project.id), "entryDate": "2026-03-02", "duration": "1h", **changes}


def create(world: World, **changes: Any) -> dict[str, Any]:
    return {"op": "create", "body": new_entry(world, **changes)}


def batch(
    client: TestClient[Any], world: World, operations: list[Any], *, atomic: bool, token: str | None = None
) -> Any:
    return client.post(
        "/time-entries/batch",
        json={"atomic": atomic, "operations": operations},
        headers=bearer(token or world.owner_token),
    )


def stored(client: TestClient[Any], world: World) -> list[dict[str, Any]]:
    response = client.get("/time-entries?limit=500&includeDeleted=true", headers=bearer(world.owner_token))
    entries: list[dict[str, Any]] = response.json()["data"]
    return entries


def entry_event_types(world: World) -> list[str]:
    with world.services.transactions.read() as uow:
        events = uow.events.list(world.org.id, EventQuery(limit=1000))
    return [event.type.value for event in events if event.type.value.startswith("time_entry.")]


def an_entry(client: TestClient[Any], world: World, token: str | None = None) -> str:
    response = client.post("/time-entries", json=new_entry(world), headers=bearer(token or world.owner_token))
    assert response.status_code == 201, response.text
    return str(response.json()["data"]["id"])


# All or nothing.


def test_an_atomic_batch_applies_every_operation_in_order(client: TestClient[Any], world: World) -> None:
    changed, deleted, restored = (an_entry(client, world) for _ in range(3))
    client.delete(f"/time-entries/{restored}", headers=bearer(world.owner_token))
    operations = [
        create(world, note="first"),
        {"op": "update", "id": changed, "body": {"note": "changed", "durationSeconds": 1800}},
        {"op": "delete", "id": deleted},
        {"op": "restore", "id": restored},
        create(world, note="last"),
    ]
    response = batch(client, world, operations, atomic=True)
    assert response.status_code == 200, response.text
    results = response.json()["data"]["results"]
    assert [(r["index"], r["status"]) for r in results] == [(0, 201), (1, 200), (2, 204), (3, 200), (4, 201)]
    assert results[0]["data"]["note"] == "first" and results[4]["data"]["note"] == "last"
    assert results[1]["data"]["durationSeconds"] == 1800
    assert results[2]["data"] is None
    assert results[3]["data"]["deletedAt"] is None
    one = client.get(f"/time-entries/{results[0]['data']['id']}", headers=bearer(world.owner_token))
    assert one.json()["data"] == results[0]["data"]
    assert client.get(f"/time-entries/{deleted}", headers=bearer(world.owner_token)).status_code == 404
    assert entry_event_types(world)[-5:] == [
        EventType.TIME_ENTRY_CREATED.value,
        EventType.TIME_ENTRY_UPDATED.value,
        EventType.TIME_ENTRY_DELETED.value,
        EventType.TIME_ENTRY_RESTORED.value,
        EventType.TIME_ENTRY_CREATED.value,
    ]


def test_a_failed_atomic_batch_stores_nothing_and_writes_no_events(
    client: TestClient[Any], world: World
) -> None:
    existing = an_entry(client, world)
    before, events_before = stored(client, world), entry_event_types(world)
    operations = [
        create(world),
        {"op": "update", "id": existing, "body": {"note": "never"}},
        {"op": "delete", "id": UNKNOWN},
        create(world),
    ]
    response = batch(client, world, operations, atomic=True)
    assert response.status_code == 409, response.text
    error = response.json()["error"]
    assert error["code"] == "batch_failed"
    assert error["errors"] == [
        {
            "index": 2,
            "code": "not_found",
            "message": "The time entry was not found.",
            "fields": {},
            "status": 404,
        }
    ]
    assert stored(client, world) == before
    assert entry_event_types(world) == events_before


def test_an_atomic_batch_with_unreadable_operations_names_each_and_runs_none(
    client: TestClient[Any], world: World
) -> None:
    operations = [
        create(world),
        {"op": "create", "id": UNKNOWN, "body": new_entry(world)},
        {"op": "update", "body": {"note": "x"}},
        create(world, durationSeconds="60"),
        {"op": "archive", "id": UNKNOWN},
    ]
    response = batch(client, world, operations, atomic=True)
    assert response.status_code == 422, response.text
    errors = response.json()["error"]["errors"]
    assert [(e["index"], e["code"], e["status"], sorted(e["fields"])) for e in errors] == [
        (1, "validation_failed", 422, ["id"]),
        (2, "validation_failed", 422, ["id"]),
        (3, "validation_failed", 422, ["durationSeconds"]),
        (4, "validation_failed", 422, ["op"]),
    ]
    assert stored(client, world) == []


def test_a_rule_of_the_core_fails_an_atomic_batch_with_422(client: TestClient[Any], world: World) -> None:
    operations = [
        create(world),
        create(world, startedAt="2026-03-02T10:00:00Z", stoppedAt="2026-03-02T09:00:00Z"),
    ]
    response = batch(client, world, operations, atomic=True)
    assert response.status_code == 422, response.text
    (error,) = response.json()["error"]["errors"]
    assert (error["index"], error["code"], list(error["fields"])) == (1, "validation_failed", ["stoppedAt"])
    assert "startedAt" in error["fields"]["stoppedAt"]  # the core's field names, respelled
    assert stored(client, world) == []


def test_later_operations_see_earlier_ones(client: TestClient[Any], world: World) -> None:
    """Operations apply in order: an update after a delete of the same entry finds no entry."""
    entry = an_entry(client, world)
    deleted_then_restored = [{"op": "delete", "id": entry}, {"op": "restore", "id": entry}]
    response = batch(client, world, deleted_then_restored, atomic=True)
    assert [r["status"] for r in response.json()["data"]["results"]] == [204, 200]
    deleted_then_changed = [
        {"op": "delete", "id": entry},
        {"op": "update", "id": entry, "body": {"note": "x"}},
    ]
    response = batch(client, world, deleted_then_changed, atomic=True)
    assert response.status_code == 409
    assert [(e["index"], e["code"]) for e in response.json()["error"]["errors"]] == [(1, "not_found")]
    assert client.get(f"/time-entries/{entry}", headers=bearer(world.owner_token)).status_code == 200


# Each on its own.


def test_a_non_atomic_batch_keeps_what_succeeded_and_reports_each_failure(
    client: TestClient[Any], world: World
) -> None:
    existing = an_entry(client, world)
    events_before = len(entry_event_types(world))
    operations = [
        create(world, note="kept"),
        create(world, projectId=UNKNOWN),
        create(world, startedAt="2026-03-02T10:00:00Z", stoppedAt="2026-03-02T09:00:00Z"),
        {"op": "update", "id": existing, "body": {"note": "changed"}},
        {"op": "restore"},
        "create",
    ]
    response = batch(client, world, operations, atomic=False)
    assert response.status_code == 200, response.text
    results = response.json()["data"]["results"]
    assert [(r["index"], r["status"]) for r in results] == [
        (0, 201),
        (1, 404),
        (2, 422),
        (3, 200),
        (4, 422),
        (5, 422),
    ]
    assert set(results[0]) == {"index", "status", "data"}
    assert set(results[1]) == {"index", "status", "error"}
    assert results[1]["error"] == {"code": "not_found", "message": "The project was not found."}
    assert list(results[2]["error"]["fields"]) == ["stoppedAt"]
    assert results[4]["error"]["fields"] == {"id": "is required for op restore"}
    assert results[5]["error"]["fields"] == {"operation": "must be an object, got a string"}
    notes = sorted(entry["note"] for entry in stored(client, world))
    assert notes == ["changed", "kept"]
    assert len(entry_event_types(world)) == events_before + 2


def test_roles_and_plans_apply_to_each_operation(client: TestClient[Any], world: World) -> None:
    owners = an_entry(client, world)
    operations = [
        create(world, userId=str(world.owner.id)),
        {"op": "update", "id": owners, "body": {"note": "not mine"}},
        create(world, billable=True),
        create(world),
    ]
    world.set_plan(Plan.FREE)
    response = batch(client, world, operations, atomic=False, token=world.member_token)
    results = response.json()["data"]["results"]
    assert [(r["status"], r.get("error", {}).get("code")) for r in results] == [
        (403, "forbidden"),
        (404, "not_found"),
        (402, "plan_required"),
        (201, None),
    ]
    assert (results[2]["error"]["requiredPlan"], results[2]["error"]["feature"]) == ("solo", "billable_time")
    response = batch(client, world, operations[2:], atomic=True, token=world.member_token)
    assert response.status_code == 409
    (error,) = response.json()["error"]["errors"]
    assert (error["index"], error["code"], error["status"]) == (0, "plan_required", 402)
    assert (error["requiredPlan"], error["feature"]) == ("solo", "billable_time")


# The batch itself.


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"atomic": True, "operations": []}, {"operations": "must hold at least one operation"}),
        ({"operations": [{"op": "restore", "id": UNKNOWN}]}, {"atomic": "is required"}),
        ({"atomic": "yes", "operations": [{"op": "restore", "id": UNKNOWN}]}, {"atomic": "must be true or false, got a string"}),
        ({"atomic": True, "operations": {"op": "create"}}, {"operations": "must be an array of operations, got an object"}),
        ({"atomic": True}, {"operations": "is required"}),
        ({"atomic": True, "operations": [{"op": "restore", "id": UNKNOWN}], "dryRun": True}, {"dryRun": "is not a field of this request"}),
    ],
)  # fmt: skip
def test_a_wrong_batch_is_422_naming_the_field(
    client: TestClient[Any], world: World, body: dict[str, Any], fields: dict[str, str]
) -> None:
    response = client.post("/time-entries/batch", json=body, headers=bearer(world.owner_token))
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_failed"
    assert response.json()["error"]["fields"] == fields


def test_a_batch_holds_at_most_500_operations(client: TestClient[Any], world: World) -> None:
    response = batch(client, world, [create(world)] * 501, atomic=True)
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {"operations": "must hold at most 500 operations, got 501"}
    assert stored(client, world) == []


def test_500_creates_run_in_one_batch(client: TestClient[Any], world: World) -> None:
    response = batch(client, world, [create(world, note=f"n{i}") for i in range(500)], atomic=True)
    assert response.status_code == 200, response.text
    assert len(response.json()["data"]["results"]) == 500
    assert len(stored(client, world)) == 500


def test_a_batch_body_over_1_mib_is_413_and_one_under_it_is_read(
    client: TestClient[Any], world: World
) -> None:
    padding = "x" * 5000
    operations = [create(world, note=padding) for _ in range(230)]  # over 1 MiB
    body = json.dumps({"atomic": True, "operations": operations}).encode()
    assert len(body) > 2**20
    response = client.post(
        "/time-entries/batch",
        content=body,
        headers={**bearer(world.owner_token), "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["error"] == {
        "code": "payload_too_large",
        "message": "The request body exceeds the limit of 1 MiB.",
    }
    response = batch(client, world, operations[:150], atomic=False)  # about 0.7 MiB: over 64 KiB
    assert response.status_code == 200
    assert {r["status"] for r in response.json()["data"]["results"]} == {201}


def test_a_keyed_batch_replays_and_writes_nothing_more(client: TestClient[Any], world: World) -> None:
    payload = {"atomic": False, "operations": [create(world), create(world, projectId=UNKNOWN)]}
    headers = {**bearer(world.owner_token), "Idempotency-Key": KEY}
    first = client.post("/time-entries/batch", json=payload, headers=headers)
    events = entry_event_types(world)
    again = client.post("/time-entries/batch", json=payload, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.content == first.content
    assert again.headers["Idempotent-Replayed"] == "true"
    assert len(stored(client, world)) == 1
    assert entry_event_types(world) == events
    other = client.post("/time-entries/batch", json={**payload, "atomic": True}, headers=headers)
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_key_reused"


def test_a_failed_keyed_atomic_batch_releases_its_key(client: TestClient[Any], world: World) -> None:
    headers = {**bearer(world.owner_token), "Idempotency-Key": KEY}
    failing = {"atomic": True, "operations": [create(world), create(world, projectId=UNKNOWN)]}
    assert client.post("/time-entries/batch", json=failing, headers=headers).status_code == 409
    fixed = {"atomic": True, "operations": [create(world), create(world)]}
    response = client.post("/time-entries/batch", json=fixed, headers=headers)
    assert response.status_code == 200
    assert "Idempotent-Replayed" not in response.headers


def test_the_batch_is_documented(client: TestClient[Any]) -> None:
    operation = client.get("/schema/openapi.json").json()["paths"]["/time-entries/batch"]["post"]
    assert {"200", "409", "413", "422"} <= set(operation["responses"])
    assert "batch_failed" in operation["responses"]["409"]["description"]
    assert "batch_failed" in operation["responses"]["422"]["description"]


# If-Match, per operation.


def test_if_match_guards_each_operation(client: TestClient[Any], world: World) -> None:
    entry = an_entry(client, world)  # version 1
    operations = [
        {"op": "update", "id": entry, "ifMatch": 1, "body": {"note": "first"}},  # -> 2
        {"op": "update", "id": entry, "ifMatch": 1, "body": {"note": "stale"}},
        {"op": "update", "id": entry, "ifMatch": '"2"', "body": {"note": "second"}},  # -> 3
        {"op": "delete", "id": entry, "ifMatch": 2},
        {"op": "delete", "id": entry, "ifMatch": "*"},
        {"op": "restore", "id": entry, "ifMatch": 4},
    ]
    response = batch(client, world, operations, atomic=False)
    results = response.json()["data"]["results"]
    assert [r["status"] for r in results] == [200, 412, 200, 412, 204, 200]
    assert results[1]["error"]["code"] == "precondition_failed"
    assert results[1]["error"]["currentVersion"] == 2
    assert results[3]["error"]["currentVersion"] == 3
    assert (results[5]["data"]["note"], results[5]["data"]["version"]) == ("second", 5)


def test_a_stale_if_match_fails_an_atomic_batch_with_409(client: TestClient[Any], world: World) -> None:
    entry = an_entry(client, world)
    operations = [create(world), {"op": "delete", "id": entry, "ifMatch": 7}]
    response = batch(client, world, operations, atomic=True)
    assert response.status_code == 409
    (error,) = response.json()["error"]["errors"]
    assert (error["index"], error["code"], error["status"], error["currentVersion"]) == (
        1,
        "precondition_failed",
        412,
        1,
    )
    assert len(stored(client, world)) == 1


@pytest.mark.parametrize(
    ("operation", "message"),
    [
        ({"op": "create", "ifMatch": 1}, "must not be sent with op create: a new entry has no version yet"),
        ({"op": "delete", "ifMatch": 0}, "must be a version"),
        ({"op": "delete", "ifMatch": "3"}, "must be a version"),
        ({"op": "delete", "ifMatch": True}, "must be a version"),
    ],
)
def test_a_wrong_if_match_is_the_operations_422(
    client: TestClient[Any], world: World, operation: dict[str, Any], message: str
) -> None:
    entry = an_entry(client, world)
    filled = (
        {**operation, "body": new_entry(world)} if operation["op"] == "create" else {**operation, "id": entry}
    )
    response = batch(client, world, [filled], atomic=False)
    (result,) = response.json()["data"]["results"]
    assert result["status"] == 422
    assert result["error"]["fields"]["ifMatch"].startswith(message)


def test_an_operation_with_wrong_members_names_its_body_s_wrong_fields_too(
    client: TestClient[Any], world: World
) -> None:
    """Every wrong field at once, as the single route names them: an ``id`` sent with a create hid
    the body's missing ``projectId``, ``entryDate`` and ``duration`` until it was mended."""
    entry = an_entry(client, world)
    operations = [
        {"op": "create", "id": entry, "body": {}},
        {"op": "update", "body": {"durationSeconds": "1h", "colour": "red"}},
        {"op": "update", "id": entry, "ifMatch": 0, "body": {"note": "fine"}},
    ]
    results = batch(client, world, operations, atomic=False).json()["data"]["results"]
    assert [result["status"] for result in results] == [422, 422, 422]
    assert results[0]["error"]["fields"] == {
        "id": "must not be sent with op create: the server assigns a new entry's id",
        "projectId": "is required",
        "entryDate": "is required",
        "duration": "send durationSeconds (an integer) or duration (a string such as 1h30m)",
    }
    assert results[1]["error"]["fields"] == {
        "id": "is required for op update",
        "durationSeconds": "must be an integer, got a string",
        "colour": "is not a field of this request",
    }
    assert list(results[2]["error"]["fields"]) == ["ifMatch"]


def test_an_owner_overrides_a_closed_period_per_operation(client: TestClient[Any], world: World) -> None:
    entry_id = an_entry(client, world)
    locked = client.post(
        "/periods/lock",
        json={"through": "2026-03-02", "reason": "March payroll"},
        headers=bearer(world.owner_token),
    )
    assert locked.status_code == 200, locked.text
    override = {"overrideLock": True, "reason": "late entry"}
    operations = [
        create(world),
        create(world, **override),
        {"op": "update", "id": entry_id, "body": {"note": "x"}},
        {"op": "update", "id": entry_id, "body": {"note": "x", **override}},
        create(world, overrideLock=True),
    ]
    answer = batch(client, world, operations, atomic=False)
    assert answer.status_code == 200, answer.text
    results = answer.json()["data"]["results"]
    assert [result["status"] for result in results] == [409, 201, 409, 200, 422]
    assert results[0]["error"]["lock"]["kind"] == "period"
    assert set(results[4]["error"]["fields"]) == {"reason"}
    refused = batch(client, world, operations[1:2], atomic=False, token=world.admin_token)
    assert refused.json()["data"]["results"][0]["status"] == 403


def test_an_atomic_batchs_message_names_the_fields_as_the_wire_does(
    client: TestClient[Any], world: World
) -> None:
    answer = batch(client, world, [create(world), create(world, overrideLock=True)], atomic=True)
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    (failed,) = error["errors"]
    assert failed["fields"] == {"reason": "is required with overrideLock: true"}
    assert error["message"] == (
        "The batch stored nothing: operation 1 failed: reason: is required with overrideLock: true"
    )
    assert "override_lock" not in answer.text
