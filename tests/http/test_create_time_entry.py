"""``POST /time-entries``: the happy path and every error family of the published table."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from litestar.testing import TestClient

from hours_core.model import Plan
from tests.http.conftest import bearer
from tests.world import World


@pytest.fixture
def client(client_reading_either_way: TestClient[Any]) -> TestClient[Any]:
    """Every test here runs with reads in a worker thread and with reads on the event loop."""
    return client_reading_either_way


KEY = "01ARZ3NDEKTSV4RRFFQ69G5FAV"
ENTRY_FIELDS = [
    "id", "orgId", "userId", "projectId", "taskId", "invoiceId", "durationSeconds", "billable", "note",
    "entryDate", "startedAt", "stoppedAt", "createdAt", "updatedAt", "deletedAt", "rate", "importId",
    "externalRef", "version",
]  # fmt: skip


def body(world: World, **changes: Any) -> dict[str, Any]:
    return {"projectId": str(world.project.id), "entryDate": "2026-03-02", "duration": "1h30m", **changes}


def post(client: TestClient[Any], token: str, payload: Any, **headers: str) -> Any:
    return client.post("/time-entries", json=payload, headers={**bearer(token), **headers})


def error_of(response: Any) -> dict[str, Any]:
    assert response.headers["content-type"].startswith("application/json")
    error: dict[str, Any] = response.json()["error"]
    return error


def test_creating_an_entry_answers_201_with_location_and_the_entry(
    client: TestClient[Any], world: World
) -> None:
    response = post(
        client, world.owner_token, body(world, note="standup", startedAt="2026-03-02T10:00:00+01:00")
    )
    assert response.status_code == 201
    data = response.json()["data"]
    assert list(data) == ENTRY_FIELDS
    assert response.headers["location"] == f"/time-entries/{data['id']}"
    assert data["durationSeconds"] == 5400 and data["note"] == "standup" and data["billable"] is False
    assert data["startedAt"] == "2026-03-02T09:00:00Z" and data["stoppedAt"] == "2026-03-02T10:30:00Z"
    assert data["createdAt"].endswith("Z") and data["deletedAt"] is None and data["taskId"] is None


def test_a_replay_returns_the_stored_response_with_the_replay_header(
    client: TestClient[Any], world: World
) -> None:
    first = post(client, world.owner_token, body(world), **{"Idempotency-Key": KEY})
    reordered = dict(reversed(list(body(world).items())))
    second = post(client, world.owner_token, reordered, **{"Idempotency-Key": KEY.lower()})
    assert second.status_code == 201
    assert second.content == first.content
    assert second.headers["location"] == first.headers["location"]
    assert second.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers


@pytest.mark.parametrize(
    ("headers", "sent"),
    [
        ({}, False),
        ({"Authorization": ""}, False),  # no credentials: no error attribute (RFC 6750, 3.1)
        ({"Authorization": "Bearer "}, False),  # no token either
        ({"Authorization": "Bearer"}, False),
        ({"Authorization": "Basic abc"}, False),  # "an unsupported authentication method" (3.1)
        ({"Authorization": "Bearer hsk_live_nope"}, True),  # a token was sent: invalid_token
        ({"Authorization": "bearer not-a-token-shape"}, True),
    ],
    ids=[
        "no-header",
        "empty-header",
        "empty-bearer-token",
        "bare-bearer",
        "basic",
        "unknown-token",
        "malformed",
    ],
)
def test_missing_or_bad_tokens_get_one_401_body(
    client: TestClient[Any], world: World, headers: dict[str, str], sent: bool
) -> None:
    response = client.post("/time-entries", json=body(world), headers=headers)
    assert response.status_code == 401
    assert error_of(response) == {
        "code": "unauthenticated",
        "message": "A valid personal access token is required (Authorization: Bearer hsk_...).",
    }
    expected = 'Bearer error="invalid_token"' if sent else "Bearer"
    assert response.headers["www-authenticate"] == expected


def test_a_revoked_token_stops_working_on_the_next_request(client: TestClient[Any], world: World) -> None:
    assert post(client, world.member_token, body(world)).status_code == 201
    world.services.admin.revoke_token(world.member_token.split("_")[2])
    assert post(client, world.member_token, body(world)).status_code == 401


def test_authentication_comes_before_everything_else(client: TestClient[Any], world: World) -> None:
    response = client.post("/time-entries", content=b"{", headers={"Idempotency-Key": "bad"})
    assert response.status_code == 401


def test_a_malformed_idempotency_key_is_400(client: TestClient[Any], world: World) -> None:
    response = post(client, world.owner_token, body(world), **{"Idempotency-Key": "not-a-key"})
    assert response.status_code == 400
    assert error_of(response)["code"] == "idempotency_key_invalid"


@pytest.mark.parametrize("raw", [b"{", b"[1]", b"null", b'"text"', b"\xff\xfe", b'{"a": NaN}'])
def test_a_body_that_is_not_a_json_object_is_400(client: TestClient[Any], world: World, raw: bytes) -> None:
    response = client.post(
        "/time-entries",
        content=raw,
        headers={**bearer(world.owner_token), "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert error_of(response)["code"] == "invalid_json"


@pytest.mark.parametrize(
    "content_type",
    [
        None,
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/json; charset=iso-8859-1",
        'application/json; charset="utf-16"',
        "application/json; boundary=x; charset=latin1",
    ],
)
def test_a_body_that_is_not_sent_as_json_is_415(
    client: TestClient[Any], world: World, content_type: str | None
) -> None:
    headers = bearer(world.owner_token)
    if content_type:
        headers["Content-Type"] = content_type
    response = client.post("/time-entries", content=json.dumps(body(world)).encode(), headers=headers)
    assert response.status_code == 415
    assert error_of(response)["code"] == "unsupported_media_type"


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json; charset=utf-8",
        'Application/JSON; Charset="UTF-8"',
        "application/json;charset=utf8",
        "application/json; charset=us-ascii",
    ],
)
def test_json_in_utf_8_may_say_so(client: TestClient[Any], world: World, content_type: str) -> None:
    headers = {**bearer(world.owner_token), "Content-Type": content_type}
    response = client.post("/time-entries", content=json.dumps(body(world)).encode(), headers=headers)
    assert response.status_code == 201, response.text


def test_a_body_over_64_kib_is_413(client: TestClient[Any], world: World) -> None:
    response = post(client, world.owner_token, body(world, note="x" * 70_000))
    assert response.status_code == 413
    assert error_of(response)["code"] == "payload_too_large"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"durationSeconds": "5400", "duration": None}, "durationSeconds"),
        ({"durationSeconds": 5400.0, "duration": None}, "durationSeconds"),
        ({"durationSeconds": True, "duration": None}, "durationSeconds"),
        ({"durationSeconds": 10**30, "duration": None}, "durationSeconds"),
        ({"duration": None}, "duration"),
        ({"duration": 90}, "duration"),
        ({"duration": "1 d"}, "duration"),
        ({"projectId": None}, "projectId"),
        ({"projectId": "5a8591dd40394"}, "projectId"),
        ({"entryDate": "2026-3-2"}, "entryDate"),
        ({"entryDate": "2026-02-30"}, "entryDate"),
        ({"entryDate": "1999-12-31"}, "entryDate"),
        ({"billable": "true"}, "billable"),
        ({"note": 5}, "note"),
        ({"note": "a\u0000b"}, "note"),
        ({"startedAt": "2026-03-02T10:00:00"}, "startedAt"),
        ({"stoppedAt": "2026-03-02T10:00:00Z"}, "stoppedAt"),
        ({"startedAt": "2026-03-02T10:00:00Z", "stoppedAt": "2026-03-02T09:00:00Z"}, "stoppedAt"),
        ({"startedAt": "2026-03-02T10:00:00Z", "stoppedAt": "2026-03-02T10:30:00Z"}, "duration"),
        ({"unknownField": 1}, "unknownField"),
    ],
)
def test_invalid_fields_are_422_naming_the_field(
    client: TestClient[Any], world: World, changes: dict[str, Any], field: str
) -> None:
    response = post(client, world.owner_token, body(world, **changes))
    assert response.status_code == 422, response.text
    error = error_of(response)
    assert error["code"] == "validation_failed"
    assert field in error["fields"]


@pytest.mark.parametrize(
    ("payload", "also_wrong"),
    [
        ({}, {"projectId", "entryDate"}),
        ({"entryDate": "2026-03-02"}, {"projectId"}),
        ({"duration": None, "durationSeconds": None, "note": 5}, {"projectId", "entryDate", "note"}),
    ],
)
def test_a_missing_duration_is_reported_with_the_other_wrong_fields(
    client: TestClient[Any], world: World, payload: dict[str, Any], also_wrong: set[str]
) -> None:
    """Issue 3: sending neither member of the pair is 422 with a message for ``duration``, and
    every wrong field is reported at once, not only those the body's decoding finds first."""
    alone = post(client, world.owner_token, {"projectId": str(world.project.id), "entryDate": "2026-03-02"})
    assert alone.status_code == 422, alone.text
    message = error_of(alone)["fields"]["duration"]
    assert "durationSeconds" in message and "duration" in message

    response = post(client, world.owner_token, payload)
    assert response.status_code == 422, response.text
    fields = error_of(response)["fields"]
    assert set(fields) == {"duration", *also_wrong}
    assert fields["duration"] == message


def test_a_duration_of_the_wrong_type_is_not_reported_missing(client: TestClient[Any], world: World) -> None:
    for sent in ({"durationSeconds": "90"}, {"duration": 90}):
        response = post(client, world.owner_token, sent)
        assert response.status_code == 422, response.text
        assert set(error_of(response)["fields"]) == {"projectId", "entryDate", *sent}, response.text


def test_duration_seconds_wins_and_a_malformed_duration_is_ignored(
    client: TestClient[Any], world: World
) -> None:
    response = post(client, world.owner_token, body(world, durationSeconds=60, duration={"not": "a string"}))
    assert response.status_code == 201
    assert response.json()["data"]["durationSeconds"] == 60


def test_null_counts_as_absent_for_optional_fields(client: TestClient[Any], world: World) -> None:
    payload = body(world, taskId=None, billable=None, note=None, startedAt=None, stoppedAt=None, userId=None)
    payload["durationSeconds"] = None
    assert post(client, world.owner_token, payload).status_code == 201


def test_another_orgs_project_is_404_like_an_unknown_one(client: TestClient[Any], world: World) -> None:
    other = world.services.admin.create_org("Other", Plan.AGENCY)
    foreign = world.services.admin.create_project(other.id, "Theirs")
    foreign_response = post(client, world.owner_token, body(world, projectId=str(foreign.id)))
    unknown_response = post(
        client, world.owner_token, body(world, projectId="5a8591dd-4039-49df-9202-96385ba3eff8")
    )
    assert foreign_response.status_code == unknown_response.status_code == 404
    assert foreign_response.json() == unknown_response.json()


def test_a_member_logging_time_for_another_user_is_403(client: TestClient[Any], world: World) -> None:
    response = post(client, world.member_token, body(world, userId=str(world.owner.id)))
    assert response.status_code == 403
    assert error_of(response)["code"] == "forbidden"


def test_a_plan_gate_is_402_naming_the_plan_and_feature(client: TestClient[Any], world: World) -> None:
    world.set_plan(Plan.SOLO)
    response = post(client, world.owner_token, body(world, taskId=str(world.task.id)))
    assert response.status_code == 402
    error = error_of(response)
    assert (error["code"], error["requiredPlan"], error["feature"]) == ("plan_required", "studio", "tasks")


def test_a_key_reused_with_another_payload_is_422(client: TestClient[Any], world: World) -> None:
    assert post(client, world.owner_token, body(world), **{"Idempotency-Key": KEY}).status_code == 201
    response = post(client, world.owner_token, body(world, note="changed"), **{"Idempotency-Key": KEY})
    assert response.status_code == 422
    assert error_of(response)["code"] == "idempotency_key_reused"


def test_a_failed_request_releases_its_key_for_a_corrected_retry(
    client: TestClient[Any], world: World
) -> None:
    bad = post(client, world.owner_token, body(world, duration="90"), **{"Idempotency-Key": KEY})
    assert bad.status_code == 422
    good = post(client, world.owner_token, body(world, duration="90m"), **{"Idempotency-Key": KEY})
    assert good.status_code == 201 and "idempotent-replayed" not in good.headers


def test_an_unknown_route_is_a_json_404(client: TestClient[Any], world: World) -> None:
    response = client.get("/nowhere", headers=bearer(world.owner_token))
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_a_wrong_method_is_405_with_allow(client: TestClient[Any], world: World) -> None:
    response = client.put("/time-entries", headers=bearer(world.owner_token))
    assert response.status_code == 405
    assert "POST" in response.headers["allow"]
    assert error_of(response)["code"] == "method_not_allowed"


def test_the_health_check_needs_no_token(client: TestClient[Any]) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"data": {"status": "ok"}}


def test_the_last_use_of_a_token_is_still_recorded(client: TestClient[Any], world: World) -> None:
    first = client.get("/me", headers=bearer(world.member_token)).json()["data"]["token"]["lastUsedAt"]
    world.clock.advance(timedelta(minutes=2))
    second = client.get("/me", headers=bearer(world.member_token)).json()["data"]["token"]["lastUsedAt"]
    assert first is not None and second is not None and second > first
