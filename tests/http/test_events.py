"""The change feed, an entry's history, the audit trail and X-Request-Id, over every store."""

from __future__ import annotations

import json
import typing
from typing import Any

import pytest
from litestar.testing import TestClient

from hours_core.events import EVENT_RETENTION, EventType, SubjectType
from hours_core.model import Plan
from hours_http import wire
from tests.world import World

from .conftest import bearer

KEY = "0190a8b4-6c9e-7bb6-8a55-2f3c9d1e4a70"


def changes(client: TestClient[Any], token: str, **params: Any) -> dict[str, Any]:
    response = client.get("/changes", params=params, headers=bearer(token))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def everything_after(client: TestClient[Any], token: str, after: int) -> list[dict[str, Any]]:
    events = changes(client, token, after=after, limit=1000)["data"]
    return list(events)


def log_time(client: TestClient[Any], world: World, token: str, **extra: Any) -> dict[str, Any]:
    body = {"projectId": str(world.project.id), "entryDate": "2026-03-02", "duration": "1h", **extra}
    response = client.post("/time-entries", json=body, headers=bearer(token))
    assert response.status_code == 201, response.text
    entry: dict[str, Any] = response.json()["data"]
    return entry


def test_every_change_of_an_entry_is_one_event_in_order_with_its_actor_request_and_changes(
    client: TestClient[Any], world: World
) -> None:
    start = changes(client, world.owner_token)["latestSeq"]
    headers = {**bearer(world.member_token), "X-Request-Id": "client-req.1", "Idempotency-Key": KEY}
    body = {"projectId": str(world.project.id), "entryDate": "2026-03-02", "duration": "1h"}
    created = client.post("/time-entries", json=body, headers=headers)
    assert created.status_code == 201
    assert created.headers["X-Request-Id"] == "client-req.1"
    replayed = client.post("/time-entries", json=body, headers=headers)
    assert replayed.headers["Idempotent-Replayed"] == "true"
    entry_id = created.json()["data"]["id"]
    member = bearer(world.member_token)
    assert client.patch(f"/time-entries/{entry_id}", json={"note": "Docs"}, headers=member).status_code == 200
    assert client.delete(f"/time-entries/{entry_id}", headers=member).status_code == 204
    assert client.post(f"/time-entries/{entry_id}/restore", headers=member).status_code == 200

    events = everything_after(client, world.owner_token, start)

    assert [event["type"] for event in events] == [
        "time_entry.created",
        "time_entry.updated",
        "time_entry.deleted",
        "time_entry.restored",
    ]
    assert [event["seq"] for event in events] == list(range(start + 1, start + 5))
    first = events[0]
    assert first["actor"]["userId"] == str(world.member.id)
    assert first["actor"]["via"] == "api"
    assert first["actor"]["tokenPrefix"] == world.member_token.split("_")[2]
    assert first["requestId"] == "client-req.1"
    assert first["idempotencyKey"] == KEY
    assert first["subject"] == {"type": "time_entry", "id": entry_id}
    assert first["changes"]["durationSeconds"] == {"from": None, "to": 3600}
    assert first["changes"]["projectId"] == {"from": None, "to": str(world.project.id)}
    assert events[1]["changes"] == {"note": {"from": None, "to": "Docs"}}
    assert events[1]["idempotencyKey"] is None
    assert events[1]["requestId"] != "client-req.1"  # generated per request
    assert set(events[2]["changes"]) == {"deletedAt"}
    assert events[3]["changes"]["deletedAt"]["to"] is None


def test_timers_projects_tasks_tokens_and_the_team_write_their_events(
    client: TestClient[Any], world: World
) -> None:
    start = changes(client, world.owner_token)["latestSeq"]
    owner = bearer(world.owner_token)
    timer = client.post("/timers", json={"projectId": str(world.project.id)}, headers=owner).json()["data"]
    client.post("/timers/current/stop", json={}, headers=owner)
    project = client.post("/projects", json={"name": "Site"}, headers=owner).json()["data"]
    client.patch(f"/projects/{project['id']}", json={"archived": True}, headers=owner)
    client.patch(f"/projects/{project['id']}", json={"name": "Site"}, headers=owner)  # no change, no event
    task = client.post(f"/projects/{world.project.id}/tasks", json={"name": "QA"}, headers=owner).json()[
        "data"
    ]
    client.patch(f"/tasks/{task['id']}", json={"name": "Testing"}, headers=owner)
    minted = client.post("/tokens", json={"name": "ci"}, headers=owner).json()["data"]
    assert client.delete(f"/tokens/{minted['prefix']}", headers=owner).status_code == 204
    client.patch("/org", json={"weekStart": "sunday"}, headers=owner)
    user = client.post("/users", json={"email": "new@acme.test", "name": "New"}, headers=owner).json()["data"]
    client.patch(f"/users/{user['id']}", json={"role": "admin"}, headers=owner)
    client.post(f"/users/{user['id']}/deactivate", headers=owner)
    client.post(f"/users/{user['id']}/reactivate", headers=owner)

    events = everything_after(client, world.owner_token, start)

    assert [(event["type"], event["subject"]["type"]) for event in events] == [
        ("timer.started", "time_entry"),
        ("timer.stopped", "time_entry"),
        ("project.created", "project"),
        ("project.archived", "project"),
        ("task.created", "task"),
        ("task.updated", "task"),
        ("token.created", "token"),
        ("token.revoked", "token"),
        ("org.updated", "org"),
        ("user.created", "user"),
        ("user.updated", "user"),
        ("user.deactivated", "user"),
        ("user.reactivated", "user"),
    ]
    assert events[0]["subject"]["id"] == timer["id"]
    assert events[1]["changes"]["stoppedAt"]["from"] is None
    assert events[3]["changes"] == {"archived": {"from": False, "to": True}}
    assert events[6]["subject"]["id"] == minted["prefix"]
    assert "secretHash" not in events[6]["changes"]
    assert events[8]["changes"] == {"weekStart": {"from": "monday", "to": "sunday"}}
    assert events[10]["changes"] == {"role": {"from": "member", "to": "admin"}}


def test_the_feed_pages_never_miss_nor_repeat_and_report_the_latest_number(
    client: TestClient[Any], world: World
) -> None:
    for _ in range(5):
        log_time(client, world, world.owner_token)
    latest = changes(client, world.owner_token)["latestSeq"]
    seen: list[int] = []
    after = 0
    while True:
        page = changes(client, world.owner_token, after=after, limit=2)
        seen += [event["seq"] for event in page["data"]]
        if not page["data"]:
            break
        after = page["nextAfter"]
    assert seen == list(range(1, latest + 1))
    assert page["nextAfter"] == latest
    assert changes(client, world.owner_token, after=latest + 10)["data"] == []


def test_members_see_their_own_data_and_the_shared_projects_tasks_and_settings_but_not_others_changes(
    client: TestClient[Any], world: World
) -> None:
    start = changes(client, world.owner_token)["latestSeq"]
    mine = log_time(client, world, world.member_token)
    log_time(client, world, world.admin_token)
    client.post("/projects", json={"name": "Shared"}, headers=bearer(world.owner_token))
    client.post("/users", json={"email": "x@acme.test", "name": "X"}, headers=bearer(world.owner_token))
    client.patch("/org", json={"timezone": "Europe/Berlin"}, headers=bearer(world.owner_token))
    client.post("/tokens", json={"name": "admin's"}, headers=bearer(world.admin_token))

    page = changes(client, world.member_token, after=start)

    assert [(e["type"], e["subject"]["id"]) for e in page["data"]][:1] == [("time_entry.created", mine["id"])]
    assert [e["type"] for e in page["data"]] == ["time_entry.created", "project.created", "org.updated"]
    assert page["nextAfter"] == start + 6  # past the changes a member does not see
    assert len(everything_after(client, world.admin_token, start)) == 6


def test_an_after_older_than_the_kept_events_is_410_cursor_expired(
    client: TestClient[Any], world: World
) -> None:
    log_time(client, world, world.owner_token)
    world.clock.advance(EVENT_RETENTION + EVENT_RETENTION)
    token = world.services.admin.mint_token(world.owner.id, env="live", lifetime=None).plaintext
    log_time(client, world, token)  # every write first runs the hourly retention purge, when due
    latest = changes(client, token)["latestSeq"]

    response = client.get("/changes", params={"after": 0}, headers=bearer(token))

    assert response.status_code == 410
    assert response.json()["error"]["code"] == "cursor_expired"
    kept = changes(client, token)  # no after: from the oldest event kept
    assert [event["seq"] for event in kept["data"]] == [latest - 1, latest]
    assert [event["type"] for event in kept["data"]] == ["token.created", "time_entry.created"]
    assert kept["nextAfter"] == latest


def test_wrong_feed_parameters_are_422(client: TestClient[Any], world: World) -> None:
    for params in ({"after": -1}, {"after": "x"}, {"limit": 0}, {"limit": 1001}, {"since": 1}):
        response = client.get("/changes", params=params, headers=bearer(world.owner_token))
        assert response.status_code == 422, params
        assert response.json()["error"]["code"] == "validation_failed"


LARGEST_AFTER = 2**63 - 1
"""The largest ``after`` the feed's message names (a signed 64-bit sequence number)."""


@pytest.mark.parametrize("after", [LARGEST_AFTER, LARGEST_AFTER - 1, 10**18, 10**18 - 1])
def test_every_after_the_range_message_names_is_accepted_up_to_the_largest(
    client: TestClient[Any], world: World, after: int
) -> None:
    """The message says 0 to 9223372036854775807, so the feed takes all of it (it once refused 19
    digits): past the latest number, an empty page that stays where the client is."""
    log_time(client, world, world.owner_token)
    page = changes(client, world.owner_token, after=after)
    assert page["data"] == []
    assert page["nextAfter"] == after
    assert page["latestSeq"] < after


@pytest.mark.parametrize("after", [str(LARGEST_AFTER + 1), "9999999999999999999", "1" + "0" * 19, "9" * 400])
def test_an_after_beyond_the_largest_is_422_with_the_range_it_breaks(
    client: TestClient[Any], world: World, after: str
) -> None:
    response = client.get("/changes", params={"after": after}, headers=bearer(world.owner_token))
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {"after": "must be an integer from 0 to 9223372036854775807"}


@pytest.mark.parametrize("limit", ["1001", "9223372036854775807", "9999999999999999999", "1" + "0" * 19])
def test_a_limit_of_any_length_beyond_its_range_gets_the_same_message(
    client: TestClient[Any], world: World, limit: str
) -> None:
    response = client.get("/changes", params={"limit": limit}, headers=bearer(world.owner_token))
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {"limit": "must be an integer from 1 to 1000"}


def test_an_entry_history_is_its_events_oldest_first_for_its_owner_and_managers(
    client: TestClient[Any], world: World
) -> None:
    entry = log_time(client, world, world.member_token)
    member = bearer(world.member_token)
    for note in ("a", "b", "c"):
        client.patch(f"/time-entries/{entry['id']}", json={"note": note}, headers=member)
    client.delete(f"/time-entries/{entry['id']}", headers=member)

    first = client.get(f"/time-entries/{entry['id']}/history", params={"limit": 3}, headers=member).json()
    rest = client.get(
        f"/time-entries/{entry['id']}/history", params={"cursor": first["nextCursor"]}, headers=member
    ).json()

    types = [event["type"] for event in first["data"] + rest["data"]]
    assert types == ["time_entry.created", *["time_entry.updated"] * 3, "time_entry.deleted"]
    assert rest["nextCursor"] is None
    by_admin = client.get(f"/time-entries/{entry['id']}/history", headers=bearer(world.admin_token))
    assert len(by_admin.json()["data"]) == 5
    others = log_time(client, world, world.admin_token)
    refused = client.get(f"/time-entries/{others['id']}/history", headers=member)
    assert refused.status_code == 404
    assert refused.json()["error"]["code"] == "not_found"
    foreign = client.get(
        f"/time-entries/{entry['id']}/history", params={"cursor": "bm90IGEgY3Vyc29y"}, headers=member
    )
    assert foreign.status_code == 422
    assert "cursor" in foreign.json()["error"]["fields"]


def test_a_history_cursor_is_refused_on_another_entrys_history(client: TestClient[Any], world: World) -> None:
    owner = bearer(world.owner_token)
    first_entry, other = (
        log_time(client, world, world.owner_token),
        log_time(client, world, world.owner_token),
    )
    for note in ("a", "b"):
        client.patch(f"/time-entries/{first_entry['id']}", json={"note": note}, headers=owner)
    cursor = client.get(
        f"/time-entries/{first_entry['id']}/history", params={"limit": 1}, headers=owner
    ).json()["nextCursor"]
    assert cursor is not None

    foreign = client.get(f"/time-entries/{other['id']}/history", params={"cursor": cursor}, headers=owner)
    assert foreign.status_code == 422, foreign.text
    assert foreign.json()["error"]["fields"] == {
        "cursor": "is not a cursor this API returned; pass nextCursor as it is"
    }
    audit_cursor = client.get("/audit-events", params={"limit": 1}, headers=owner).json()["nextCursor"]
    assert audit_cursor is not None
    audit = client.get(f"/time-entries/{other['id']}/history", params={"cursor": audit_cursor}, headers=owner)
    assert audit.status_code == 422, audit.text
    upper = first_entry["id"].upper()  # the same entry spelled in upper case takes its own cursor
    rest = client.get(f"/time-entries/{upper}/history", params={"cursor": cursor}, headers=owner)
    assert rest.status_code == 200, rest.text
    assert [event["type"] for event in rest.json()["data"]] == ["time_entry.updated"] * 2


def test_an_audit_cursor_is_refused_in_another_organization(client: TestClient[Any], world: World) -> None:
    other = world.services.admin.bootstrap(
        org_name="Other", plan=world.org.plan, email="owner@other.test", env="live"
    )
    foreign = bearer(other.token.plaintext)
    for _ in range(3):  # the other organization has events of its own below the cursor's number too
        client.post(
            "/time-entries",
            json={"projectId": str(other.project.id), "entryDate": "2026-03-02", "duration": "1h"},
            headers=foreign,
        )
    for _ in range(3):
        log_time(client, world, world.owner_token)
    cursor = client.get("/audit-events", params={"limit": 1}, headers=bearer(world.owner_token)).json()[
        "nextCursor"
    ]
    assert cursor is not None

    elsewhere = client.get("/audit-events", params={"cursor": cursor}, headers=foreign)

    assert elsewhere.status_code == 422, elsewhere.text
    assert elsewhere.json()["error"]["fields"] == {
        "cursor": "is not a cursor this API returned; pass nextCursor as it is"
    }
    at_home = client.get("/audit-events", params={"cursor": cursor}, headers=bearer(world.admin_token))
    assert at_home.status_code == 200, at_home.text  # another manager of the same organization may go on


def test_the_audit_trail_needs_studio_and_filters_newest_first(client: TestClient[Any], world: World) -> None:
    owner = bearer(world.owner_token)
    world.set_plan(Plan.SOLO)
    refused = client.get("/audit-events", headers=owner)
    assert refused.status_code == 402
    assert refused.json()["error"] | {"message": ""} == {
        "code": "plan_required",
        "message": "",
        "requiredPlan": "studio",
        "feature": "audit_log",
    }
    world.set_plan(Plan.STUDIO)
    entry = log_time(client, world, world.member_token)
    client.patch(f"/time-entries/{entry['id']}", json={"note": "x"}, headers=bearer(world.admin_token))
    log_time(client, world, world.admin_token)

    by_subject = client.get(
        "/audit-events", params={"subjectType": "time_entry", "subjectId": entry["id"]}, headers=owner
    ).json()
    by_actor = client.get("/audit-events", params={"actorId": str(world.admin.id), "limit": 1}, headers=owner)
    members = client.get("/audit-events", headers=bearer(world.member_token)).json()
    later = client.get("/audit-events", params={"from": "2030-01-01T00:00:00Z"}, headers=owner).json()

    assert [e["type"] for e in by_subject["data"]] == ["time_entry.updated", "time_entry.created"]
    assert by_actor.json()["data"][0]["type"] == "time_entry.created"
    assert by_actor.json()["nextCursor"] is not None
    second = client.get(
        "/audit-events",
        params={"actorId": str(world.admin.id), "limit": 1, "cursor": by_actor.json()["nextCursor"]},
        headers=owner,
    ).json()
    assert second["data"][0]["type"] == "time_entry.updated"
    assert {e["subject"]["id"] for e in members["data"]} == {entry["id"]}
    assert later["data"] == []
    wrong = client.get("/audit-events", params={"from": "yesterday", "subjectType": "x"}, headers=owner)
    assert wrong.status_code == 422
    assert set(wrong.json()["error"]["fields"]) == {"from", "subjectType"}


def test_every_response_carries_a_request_id_kept_when_safe_and_made_otherwise(
    client: TestClient[Any], world: World
) -> None:
    kept = client.get("/me", headers={**bearer(world.owner_token), "X-Request-Id": "trace:abc/1=+"})
    made = client.get("/me", headers={**bearer(world.owner_token), "X-Request-Id": "has space"})
    unauthenticated = client.get("/me", headers={"X-Request-Id": "r-401"})
    unmatched = client.get("/no-such-route", headers={"X-Request-Id": "r-404"})
    too_long = client.get("/me", headers={**bearer(world.owner_token), "X-Request-Id": "a" * 129})

    assert kept.headers["X-Request-Id"] == "trace:abc/1=+"
    assert made.headers["X-Request-Id"] not in ("has space", "")
    assert unauthenticated.status_code == 401 and unauthenticated.headers["X-Request-Id"] == "r-401"
    assert unmatched.status_code == 404 and unmatched.headers["X-Request-Id"] == "r-404"
    assert len(too_long.headers["X-Request-Id"]) == 36


def test_a_request_id_shaped_like_a_token_is_replaced_not_logged_stored_or_echoed(
    client: TestClient[Any], world: World
) -> None:
    """Before, ``X-Request-Id: hsk_live_...`` (a token in the wrong header) was kept: echoed, written
    verbatim in the access log's ``requestId`` and recorded in the events of the request's writes."""
    headers = {**bearer(world.owner_token), "X-Request-Id": world.owner_token}
    body = {"projectId": str(world.project.id), "entryDate": "2026-03-02", "duration": "1h"}

    created = client.post("/time-entries", json=body, headers=headers)
    shaped = client.get("/me", headers={**bearer(world.owner_token), "X-Request-Id": "x.HSK_abcdefgh"})

    assert created.status_code == 201
    assert len(created.headers["X-Request-Id"]) == 36 and "hsk" not in created.headers["X-Request-Id"]
    assert len(shaped.headers["X-Request-Id"]) == 36
    events = client.get("/changes", headers=bearer(world.owner_token)).json()["data"]
    assert world.owner_token not in json.dumps(events)


def test_every_documented_response_declares_the_request_id_header(client: TestClient[Any]) -> None:
    document = client.get("/schema/openapi.json").json()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if path.startswith("/schema") or path == "/health" or method == "options":
                continue
            for status, response in operation["responses"].items():
                assert "X-Request-Id" in response.get("headers", {}), (method, path, status)


def test_the_documented_event_types_are_the_cores() -> None:
    assert set(typing.get_args(wire.EventTypeName)) == {event_type.value for event_type in EventType}


def test_the_documented_subject_types_are_the_cores() -> None:
    hints = typing.get_type_hints(wire.SubjectOut)
    assert set(typing.get_args(hints["type"])) == {subject_type.value for subject_type in SubjectType}


def test_an_audit_subject_id_is_a_uuid_in_either_case_or_a_token_prefix(
    client: TestClient[Any], world: World
) -> None:
    """A subjectId no event can name is 422, not a silent empty page; a UUID in upper case finds
    the same events as in lower case, as every id of the API is read in either case."""
    owner = bearer(world.owner_token)
    world.set_plan(Plan.STUDIO)
    entry = log_time(client, world, world.owner_token)

    lower = client.get("/audit-events", params={"subjectId": entry["id"]}, headers=owner)
    upper = client.get("/audit-events", params={"subjectId": entry["id"].upper()}, headers=owner)
    minted = client.post("/tokens", json={"name": "laptop"}, headers=owner).json()["data"]
    by_prefix = client.get("/audit-events", params={"subjectId": minted["prefix"]}, headers=owner)

    assert [e["type"] for e in lower.json()["data"]] == ["time_entry.created"]
    assert upper.json()["data"] == lower.json()["data"]
    assert [e["type"] for e in by_prefix.json()["data"]] == ["token.created"]
    for wrong in ("zz", "\x00", entry["id"] + "0", "{" + entry["id"] + "}", "short"):
        refused = client.get("/audit-events", params={"subjectId": wrong}, headers=owner)
        assert refused.status_code == 422, wrong
        assert refused.json()["error"]["fields"] == {
            "subjectId": "must be a UUID, or a token's 12-character prefix"
        }


def test_every_wrong_audit_parameter_is_reported_at_once(client: TestClient[Any], world: World) -> None:
    """`from`, `to` and `subjectId` are text read as an instant or an id: a wrong one is reported
    with every other wrong parameter (docs/api.md, "Query parameters"), not alone once they are
    right, and with the message the handler would give it."""
    owner = bearer(world.owner_token)
    world.set_plan(Plan.STUDIO)
    params = {"from": "yesterday", "to": "2026-03-02T09:00:00", "subjectId": "zz", "limit": "0"}

    refused = client.get("/audit-events", params=params, headers=owner)
    far = client.get("/audit-events", params={"from": "1969-12-31T23:59:59Z", "limit": "0"}, headers=owner)

    assert refused.status_code == 422
    assert refused.json()["error"]["fields"] == {
        "from": "must be an RFC 3339 date-time with an offset, such as 2019-08-24T14:15:22Z",
        "to": "must be an RFC 3339 date-time with an offset, such as 2019-08-24T14:15:22Z",
        "subjectId": "must be a UUID, or a token's 12-character prefix",
        "limit": "must be an integer from 1 to 500",
    }
    assert far.json()["error"]["fields"] == {
        "from": "must be an instant from 1970-01-01T00:00:00Z to 2199-12-31T23:59:59.999999Z",
        "limit": "must be an integer from 1 to 500",
    }
