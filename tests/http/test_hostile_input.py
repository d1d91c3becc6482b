"""Hostile input: each gets its documented error, and the server keeps serving."""

from __future__ import annotations

import json
from typing import Any

import pytest
from litestar.testing import TestClient

from tests.http.conftest import bearer
from tests.world import World


def valid_body(world: World) -> dict[str, Any]:
    return {"projectId": str(world.project.id), "entryDate": "2026-03-02", "duration": "1h"}


def still_serving(client: TestClient[Any], world: World) -> None:
    response = client.post("/time-entries", json=valid_body(world), headers=bearer(world.owner_token))
    assert response.status_code == 201


def send(client: TestClient[Any], world: World, raw: bytes, content_type: str = "application/json") -> Any:
    headers = {**bearer(world.owner_token), "Content-Type": content_type}
    return client.post("/time-entries", content=raw, headers=headers)


@pytest.mark.parametrize(
    ("raw", "status", "code"),
    [
        (b"x" * (64 * 1024 + 1), 413, "payload_too_large"),
        (b'{"note": "\xff\xfe"}', 400, "invalid_json"),
        (b"[" * 10_000 + b"]" * 10_000, 400, "invalid_json"),
        (b'{"a":' * 5_000 + b"1" + b"}" * 5_000, 400, "invalid_json"),
        (b'{"durationSeconds": 1e400}', 400, "invalid_json"),
        (b"", 400, "invalid_json"),
    ],
    ids=["over 64 KiB", "invalid UTF-8", "deep array nesting", "deep object nesting", "huge float", "empty"],
)
def test_malformed_bodies_get_their_documented_error(
    client: TestClient[Any], world: World, raw: bytes, status: int, code: str
) -> None:
    response = send(client, world, raw)
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code
    still_serving(client, world)


def test_a_nul_byte_in_a_string_is_refused_as_a_control_character(
    client: TestClient[Any], world: World
) -> None:
    body = json.dumps({**valid_body(world), "note": "a\u0000b"}).encode()
    response = send(client, world, body)
    assert response.status_code == 422
    assert "note" in response.json()["error"]["fields"]


def test_a_huge_integer_is_a_field_error(client: TestClient[Any], world: World) -> None:
    body = json.dumps({**valid_body(world), "durationSeconds": 10**200}).encode()
    response = send(client, world, body)
    assert response.status_code == 422
    assert "durationSeconds" in response.json()["error"]["fields"]


@pytest.mark.parametrize(("digits", "status"), [(309, 422), (4300, 422), (4301, 400)])
def test_an_integer_is_a_field_error_up_to_4300_digits_and_not_json_beyond(
    client: TestClient[Any], world: World, digits: int, status: int
) -> None:
    """As docs/api.md says: an integer beyond a double's range but of at most 4,300 digits is out of
    its field's range (422), a longer one is not read as JSON (400), like ``1e400``."""
    prefix = json.dumps(valid_body(world)).encode()[:-1]
    response = send(client, world, prefix + b', "durationSeconds": ' + b"9" * digits + b"}")
    assert response.status_code == status, response.text
    if status == 422:
        assert set(response.json()["error"]["fields"]) == {"durationSeconds"}
    else:
        assert response.json()["error"]["code"] == "invalid_json"


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", "multipart/form-data; boundary=x"])
def test_wrong_content_types_are_415(client: TestClient[Any], world: World, content_type: str) -> None:
    response = send(client, world, json.dumps(valid_body(world)).encode(), content_type)
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"
    still_serving(client, world)


def test_json_with_a_charset_parameter_is_accepted(client: TestClient[Any], world: World) -> None:
    response = send(client, world, json.dumps(valid_body(world)).encode(), "application/json; charset=utf-8")
    assert response.status_code == 201


def test_a_very_long_header_value_is_refused_cleanly(client: TestClient[Any], world: World) -> None:
    response = client.post(
        "/time-entries",
        json=valid_body(world),
        headers={**bearer(world.owner_token), "Idempotency-Key": "k" * 20_000},
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "idempotency_key_invalid"
    still_serving(client, world)


def test_a_very_long_token_is_401(client: TestClient[Any], world: World) -> None:
    response = client.get("/me", headers={"Authorization": "Bearer " + "h" * 50_000})
    assert response.status_code == 401


def test_a_very_long_query_string_is_a_clean_error(client: TestClient[Any], world: World) -> None:
    response = client.get("/time-entries?cursor=" + "A" * 60_000, headers=bearer(world.owner_token))
    assert response.status_code == 422
    still_serving(client, world)


@pytest.mark.parametrize("method", ["PUT", "TRACE", "BREW"])
def test_unknown_methods_are_405_with_allow(client: TestClient[Any], world: World, method: str) -> None:
    response = client.request(method, "/time-entries", headers=bearer(world.owner_token))
    assert response.status_code == 405
    assert set(response.headers["allow"].split(", ")) >= {"GET", "POST"}
    assert response.json()["error"]["code"] == "method_not_allowed"
    still_serving(client, world)


@pytest.mark.parametrize("days", [0, -1, 366, 10**30, -(10**30)])
def test_a_token_lifetime_out_of_range_is_a_field_error_at_any_size(
    client: TestClient[Any], world: World, days: int
) -> None:
    response = client.post(
        "/tokens", json={"name": "x", "expiresInDays": days}, headers=bearer(world.owner_token)
    )
    assert response.status_code == 422
    assert "expiresInDays" in response.json()["error"]["fields"]


def test_a_body_over_64_kib_is_413_on_routes_that_read_no_body_too(
    client: TestClient[Any], world: World
) -> None:
    """A route that ignores its body still refuses one over the limit (step 5 of the order of
    checks): after authentication and the query parameters, before the resource is looked up."""
    created = client.post("/time-entries", json=valid_body(world), headers=bearer(world.owner_token))
    entry_id = created.json()["data"]["id"]
    too_big = b"x" * (64 * 1024 + 1)
    owner = bearer(world.owner_token)
    for method, path in (
        ("GET", "/me"),
        ("POST", f"/time-entries/{entry_id}/restore"),
        ("DELETE", f"/time-entries/{entry_id}"),
        ("POST", "/time-entries/0190c2d4-0000-7000-8000-0000000000ff/restore"),  # 413 before 404
    ):
        response = client.request(method, path, content=too_big, headers=owner)
        assert response.status_code == 413, (method, path, response.text)
        error = response.json()["error"]
        assert error == {
            "code": "payload_too_large",
            "message": "The request body exceeds the limit of 64 KiB.",
        }
    assert client.get(f"/time-entries/{entry_id}", headers=owner).json()["data"]["deletedAt"] is None
    assert client.request("GET", "/me", content=b"x" * (64 * 1024), headers=owner).status_code == 200
    unauthenticated = client.request("GET", "/me", content=too_big)
    assert unauthenticated.status_code == 401
    bad_query = client.request("GET", "/me?bogus=1", content=too_big, headers=owner)
    assert bad_query.status_code == 422
    assert bad_query.json()["error"]["fields"] == {"bogus": "is not a query parameter of this endpoint"}


def test_a_keyed_replay_of_a_route_that_reads_no_body_is_413_over_the_limit_too(
    client: TestClient[Any], world: World
) -> None:
    """A replay the process remembers is answered before routing, but not past the body's limit:
    the route's 413 comes first, as for any request to it (step 5 before the replay of step 6)."""
    created = client.post("/time-entries", json=valid_body(world), headers=bearer(world.owner_token))
    entry_id = created.json()["data"]["id"]
    owner = bearer(world.owner_token)
    assert client.delete(f"/time-entries/{entry_id}", headers=owner).status_code == 204
    keyed = {**owner, "Idempotency-Key": "0190c2d4-5a6b-7c8d-9e0f-112233445577"}
    restored = client.post(f"/time-entries/{entry_id}/restore", headers=keyed)
    assert restored.status_code == 200, restored.text

    replayed = client.post(f"/time-entries/{entry_id}/restore", headers=keyed)
    too_big = client.post(f"/time-entries/{entry_id}/restore", content=b"x" * (64 * 1024 + 1), headers=keyed)

    assert replayed.headers["idempotent-replayed"] == "true"
    assert too_big.status_code == 413, too_big.text
    assert too_big.json()["error"]["code"] == "payload_too_large"
