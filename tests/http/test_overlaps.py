"""The overlap policy over HTTP: ``PATCH /org {overlapPolicy}``, 409 ``entry_overlaps`` under
``reject``, ``warnings`` under ``warn``, and ``GET /time-entries/overlaps``.

The world's clock stands at 2026-03-02T09:00Z; entries are placed in minutes around it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from litestar.testing import TestClient

from tests.http.conftest import bearer
from tests.world import START, World

KEY = "0190c2d4-0000-7000-8000-0000000000ee"


def instant(minute: int) -> str:
    return (START + timedelta(minutes=minute)).isoformat().replace("+00:00", "Z")


def set_policy(client: TestClient[Any], world: World, policy: str) -> None:
    response = client.patch("/org", json={"overlapPolicy": policy}, headers=bearer(world.admin_token))
    assert response.status_code == 200, response.text
    assert response.json()["data"]["overlapPolicy"] == policy


def log(
    client: TestClient[Any], world: World, start: int, end: int, *, token: str | None = None, **more: Any
) -> Any:
    """``POST /time-entries`` of the span ``[start, end)`` in minutes from the world's start."""
    body = {
        "projectId": str(world.project.id),
        "entryDate": "2026-03-02",
        "durationSeconds": (end - start) * 60,
        "startedAt": instant(start),
        "stoppedAt": instant(end),
        **more,
    }
    return client.post("/time-entries", json=body, headers=bearer(token or world.owner_token))


def logged(client: TestClient[Any], world: World, start: int, end: int, **more: Any) -> dict[str, Any]:
    response = log(client, world, start, end, **more)
    assert response.status_code == 201, response.text
    assert "warnings" not in response.json()
    entry: dict[str, Any] = response.json()["data"]
    return entry


def named(entry: dict[str, Any]) -> dict[str, Any]:
    """An entry as an overlap names it."""
    return {"id": entry["id"], "startedAt": entry["startedAt"], "stoppedAt": entry["stoppedAt"]}


def test_the_policy_is_allow_until_an_owner_or_admin_changes_it(
    client: TestClient[Any], world: World
) -> None:
    assert client.get("/org", headers=bearer(world.member_token)).json()["data"]["overlapPolicy"] == "allow"
    logged(client, world, -60, 0)
    logged(client, world, -30, 30)  # allowed, and no warning
    refused = client.patch("/org", json={"overlapPolicy": "reject"}, headers=bearer(world.member_token))
    assert refused.status_code == 403
    wrong = client.patch("/org", json={"overlapPolicy": "strict"}, headers=bearer(world.owner_token))
    assert wrong.status_code == 422
    assert set(wrong.json()["error"]["fields"]) == {"overlapPolicy"}
    null = client.patch("/org", json={"overlapPolicy": None}, headers=bearer(world.owner_token))
    assert null.status_code == 422
    set_policy(client, world, "reject")
    assert client.get("/org", headers=bearer(world.member_token)).json()["data"]["overlapPolicy"] == "reject"


def test_reject_refuses_an_overlapping_create_naming_the_entries_by_start(
    client: TestClient[Any], world: World
) -> None:
    set_policy(client, world, "reject")
    later = logged(client, world, 60, 120)
    earlier = logged(client, world, 0, 60)
    response = log(client, world, 30, 90)
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "entry_overlaps"
    assert error["entries"] == [named(earlier), named(later)]
    assert "2 other entries" in error["message"]
    assert len(client.get("/time-entries", headers=bearer(world.owner_token)).json()["data"]) == 2


def test_touching_entries_and_empty_ones_do_not_overlap(client: TestClient[Any], world: World) -> None:
    set_policy(client, world, "reject")
    logged(client, world, 0, 60)
    logged(client, world, 60, 120)  # starts when the other stops
    logged(client, world, -60, 0)  # stops when the first starts
    logged(client, world, 30, 30)  # covers no time at all


def test_duration_only_entries_never_overlap(client: TestClient[Any], world: World) -> None:
    set_policy(client, world, "reject")
    logged(client, world, 0, 60)
    for _ in range(2):
        body = {"projectId": str(world.project.id), "entryDate": "2026-03-02", "duration": "8h"}
        response = client.post("/time-entries", json=body, headers=bearer(world.owner_token))
        assert response.status_code == 201
        assert "warnings" not in response.json()


def test_other_users_entries_never_overlap_yours(client: TestClient[Any], world: World) -> None:
    set_policy(client, world, "reject")
    logged(client, world, 0, 60)
    assert log(client, world, 0, 60, token=world.member_token).status_code == 201
    on_behalf = log(client, world, 30, 90, userId=str(world.member.id))
    assert on_behalf.status_code == 409
    assert on_behalf.json()["error"]["entries"][0]["startedAt"] == instant(0)


def test_warn_stores_the_entry_and_answers_warnings_that_replay(
    client: TestClient[Any], world: World
) -> None:
    set_policy(client, world, "warn")
    first = logged(client, world, 0, 60)
    headers = {**bearer(world.owner_token), "Idempotency-Key": KEY}
    body = {
        "projectId": str(world.project.id),
        "entryDate": "2026-03-02",
        "durationSeconds": 3600,
        "startedAt": instant(30),
        "stoppedAt": instant(90),
    }
    response = client.post("/time-entries", json=body, headers=headers)
    assert response.status_code == 201
    document = response.json()
    assert document["data"]["startedAt"] == instant(30)
    [warning] = document["warnings"]
    assert warning["code"] == "entry_overlaps"
    assert warning["entries"] == [named(first)]
    assert warning["message"]
    replay = client.post("/time-entries", json=body, headers=headers)
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.json() == document
    assert len(client.get("/time-entries", headers=bearer(world.owner_token)).json()["data"]) == 2


def test_an_update_is_checked_only_when_its_span_changes(client: TestClient[Any], world: World) -> None:
    first = logged(client, world, 0, 60)
    second = logged(client, world, 30, 90)  # overlapping, from before the policy
    set_policy(client, world, "reject")
    headers = bearer(world.owner_token)
    note = client.patch(f"/time-entries/{second['id']}", json={"note": "fixed"}, headers=headers)
    assert note.status_code == 200
    assert "warnings" not in note.json()
    same = client.patch(
        f"/time-entries/{second['id']}",
        json={"startedAt": instant(30), "entryDate": "2026-03-03"},
        headers=headers,
    )
    assert same.status_code == 200
    moved = client.patch(
        f"/time-entries/{second['id']}",
        json={"startedAt": instant(45), "durationSeconds": 2700},
        headers=headers,
    )
    assert moved.status_code == 409
    assert moved.json()["error"]["entries"] == [named(first)]
    away = client.patch(
        f"/time-entries/{second['id']}",
        json={"startedAt": instant(60), "durationSeconds": 1800},
        headers=headers,
    )
    assert away.status_code == 200
    set_policy(client, world, "warn")
    back = client.patch(
        f"/time-entries/{second['id']}",
        json={"startedAt": instant(50), "durationSeconds": 1800},
        headers=headers,
    )
    assert back.status_code == 200
    assert back.json()["warnings"][0]["entries"] == [named(first)]


def test_a_running_timer_covers_the_time_up_to_now(client: TestClient[Any], world: World) -> None:
    set_policy(client, world, "reject")
    headers = bearer(world.owner_token)
    timer = client.post("/timers", json={"projectId": str(world.project.id)}, headers=headers).json()["data"]
    world.clock.advance(timedelta(minutes=30))
    inside = log(client, world, 10, 20)
    assert inside.status_code == 409
    assert inside.json()["error"]["entries"] == [
        {"id": timer["id"], "startedAt": instant(0), "stoppedAt": None}
    ]
    logged(client, world, 30, 60)  # from now on: the timer has not covered it yet
    logged(client, world, -60, 0)  # up to the timer's start: touching


def test_a_timer_started_inside_an_entry_overlaps_it(client: TestClient[Any], world: World) -> None:
    headers = bearer(world.owner_token)
    planned = logged(client, world, -30, 30)
    set_policy(client, world, "reject")
    started = client.post("/timers", json={"projectId": str(world.project.id)}, headers=headers)
    assert started.status_code == 409
    assert started.json()["error"]["entries"] == [named(planned)]
    set_policy(client, world, "warn")
    started = client.post("/timers", json={"projectId": str(world.project.id)}, headers=headers)
    assert started.status_code == 201
    assert started.json()["warnings"][0]["entries"] == [named(planned)]


def test_a_timer_started_as_another_entry_stops_does_not_overlap(
    client: TestClient[Any], world: World
) -> None:
    set_policy(client, world, "reject")
    logged(client, world, -30, 0)
    started = client.post(
        "/timers", json={"projectId": str(world.project.id)}, headers=bearer(world.owner_token)
    )
    assert started.status_code == 201
    assert "warnings" not in started.json()


def test_restoring_an_entry_that_overlaps_a_newer_one_is_checked(
    client: TestClient[Any], world: World
) -> None:
    headers = bearer(world.owner_token)
    old = logged(client, world, 0, 60)
    assert client.delete(f"/time-entries/{old['id']}", headers=headers).status_code == 204
    newer = logged(client, world, 30, 90)
    set_policy(client, world, "reject")
    refused = client.post(f"/time-entries/{old['id']}/restore", headers=headers)
    assert refused.status_code == 409
    assert refused.json()["error"]["entries"] == [named(newer)]
    set_policy(client, world, "warn")
    restored = client.post(f"/time-entries/{old['id']}/restore", headers=headers)
    assert restored.status_code == 200
    assert restored.json()["warnings"][0]["entries"] == [named(newer)]


def test_the_list_groups_each_users_overlapping_entries(client: TestClient[Any], world: World) -> None:
    a = logged(client, world, 0, 60)
    b = logged(client, world, 50, 120)
    c = logged(client, world, 110, 130)  # overlaps b, not a: one group of three
    logged(client, world, 130, 140)  # touches c: no overlap
    d = logged(client, world, 600, 660)
    e = logged(client, world, 600, 610)
    m1 = log(client, world, 0, 60, token=world.member_token).json()["data"]
    m2 = log(client, world, 30, 40, token=world.member_token).json()["data"]
    query = "/time-entries/overlaps?from=2026-03-02&to=2026-03-02"
    everyone = client.get(query, headers=bearer(world.admin_token))
    assert everyone.status_code == 200
    groups = everyone.json()
    assert groups["truncated"] is False
    by_user = {
        (group["userId"], tuple(x["id"] for x in group["entries"])): group["count"]
        for group in groups["data"]
    }
    assert by_user == {
        (str(world.owner.id), (a["id"], b["id"], c["id"])): 3,
        (str(world.owner.id), (d["id"], e["id"]) if d["id"] < e["id"] else (e["id"], d["id"])): 2,
        (str(world.member.id), (m1["id"], m2["id"])): 2,
    }
    assert groups["data"][0]["entries"][0] == named(a) or groups["data"][0]["userId"] != str(world.owner.id)
    mine = client.get(query, headers=bearer(world.member_token)).json()["data"]
    assert [group["userId"] for group in mine] == [str(world.member.id)]
    one = client.get(f"{query}&userId={world.member.id}", headers=bearer(world.owner_token)).json()["data"]
    assert one == mine
    other_day = client.get(
        "/time-entries/overlaps?from=2026-03-03&to=2026-03-04", headers=bearer(world.owner_token)
    ).json()
    assert other_day == {"data": [], "truncated": False}


def test_the_list_refuses_bad_ranges_and_other_users_for_members(
    client: TestClient[Any], world: World
) -> None:
    headers = bearer(world.owner_token)
    for query, fields in (
        ("", {"from", "to"}),
        ("?from=2026-03-02", {"to"}),
        ("?from=2026-03-05&to=2026-03-01", {"to"}),
        ("?from=2025-01-01&to=2026-03-01", {"to"}),
        ("?from=yesterday&to=2026-03-01", {"from"}),
    ):
        response = client.get(f"/time-entries/overlaps{query}", headers=headers)
        assert response.status_code == 422, query
        assert response.json()["error"]["code"] == "validation_failed"
        assert set(response.json()["error"]["fields"]) == fields, query
    assert (
        client.get("/time-entries/overlaps?from=2025-03-01&to=2026-03-01", headers=headers).status_code == 200
    )
    theirs = client.get(
        f"/time-entries/overlaps?from=2026-03-02&to=2026-03-02&userId={world.owner.id}",
        headers=bearer(world.member_token),
    )
    assert theirs.status_code == 403
    assert theirs.json()["error"]["code"] == "forbidden"


@pytest.mark.parametrize("policy", ["warn", "reject"])
def test_the_policy_change_is_an_event(client: TestClient[Any], world: World, policy: str) -> None:
    set_policy(client, world, policy)
    events = client.get("/changes", headers=bearer(world.owner_token)).json()["data"]
    changes = [event["changes"] for event in events if event["type"] == "org.updated"]
    assert changes[-1] == {"overlapPolicy": {"from": "allow", "to": policy}}
