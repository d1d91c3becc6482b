"""Closed periods over HTTP, on every store: lock and unlock boundaries, the rolling rule in the
organization's time zone, an owner's override (and who may not), plan gates and replays."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest
from litestar.testing import TestClient

from hours_core.errors import EntryLocked
from hours_core.model import Plan
from hours_core.services import ImportEntries
from tests.http.conftest import bearer
from tests.world import World


def key() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid4())}


def lock(
    client: TestClient[Any], world: World, through: str, reason: str = "February payroll", **kw: Any
) -> Any:
    token = kw.pop("token", world.owner_token)
    return client.post(
        "/periods/lock", json={"through": through, "reason": reason}, headers={**bearer(token), **key()}
    )


def unlock(client: TestClient[Any], world: World, through: str) -> Any:
    return client.post(
        "/periods/unlock", json={"through": through, "reason": "reopened"}, headers=bearer(world.admin_token)
    )


def log(client: TestClient[Any], world: World, day: str, token: str | None = None, **extra: Any) -> Any:
    body = {"projectId": str(world.project.id), "entryDate": day, "durationSeconds": 3600, **extra}
    return client.post("/time-entries", json=body, headers=bearer(token or world.owner_token))


def test_a_lock_closes_its_last_day_and_the_next_day_stays_open(
    client: TestClient[Any], world: World
) -> None:
    locked = lock(client, world, "2026-02-28")
    assert locked.status_code == 200, locked.text
    assert [(p["firstDay"], p["through"], p["reason"]) for p in locked.json()["data"]["periods"]] == [
        (None, "2026-02-28", "February payroll")
    ]
    refused = log(client, world, "2026-02-28", world.member_token)
    assert refused.status_code == 409, refused.text
    error = refused.json()["error"]
    assert error["code"] == "entry_locked"
    assert error["lock"] == {"reason": "February payroll", "through": "2026-02-28", "kind": "period"}
    assert log(client, world, "2026-03-01", world.member_token).status_code == 201

    listed = client.get("/periods", headers=bearer(world.member_token)).json()["data"]
    assert listed["lockPolicy"] is None
    assert listed["policyThrough"] is None
    (period,) = listed["periods"]
    assert period["lockedBy"] == str(world.owner.id)


def test_an_entry_moved_into_a_closed_day_and_back_is_refused_both_ways(
    client: TestClient[Any], world: World
) -> None:
    entry = log(client, world, "2026-03-01").json()["data"]
    lock(client, world, "2026-02-28")
    path = f"/time-entries/{entry['id']}"
    into = client.patch(path, json={"entryDate": "2026-02-28"}, headers=bearer(world.owner_token))
    assert into.status_code == 409, into.text
    assert into.json()["error"]["lock"]["through"] == "2026-02-28"

    forced = client.patch(
        path,
        json={"entryDate": "2026-02-28", "overrideLock": True, "reason": "payroll correction"},
        headers=bearer(world.owner_token),
    )
    assert forced.status_code == 200, forced.text
    back = client.patch(path, json={"entryDate": "2026-03-01"}, headers=bearer(world.owner_token))
    assert back.status_code == 409, back.text
    note = client.patch(path, json={"note": "typo"}, headers=bearer(world.owner_token))
    assert note.status_code == 409

    history = client.get(f"{path}/history", headers=bearer(world.owner_token)).json()["data"]
    assert history[-1]["changes"]["lockOverride"] == {"from": None, "to": "payroll correction"}
    assert history[-1]["changes"]["entryDate"] == {"from": "2026-03-01", "to": "2026-02-28"}


def test_a_patch_on_a_closed_day_is_refused_by_the_lock_before_its_fields_are_checked(
    client: TestClient[Any], world: World
) -> None:
    """docs/api.md, section 3: the closed-period check runs with the invoice check, before the field
    rules; an override from an admin is refused before either."""
    closed = log(client, world, "2026-02-27").json()["data"]
    open_entry = log(client, world, "2026-03-01").json()["data"]
    lock(client, world, "2026-02-28")
    owner = bearer(world.owner_token)

    on_closed = client.patch(f"/time-entries/{closed['id']}", json={"durationSeconds": -5}, headers=owner)
    assert (on_closed.status_code, on_closed.json()["error"]["code"]) == (409, "entry_locked")
    moved_in = client.patch(
        f"/time-entries/{open_entry['id']}",
        json={"entryDate": "2026-02-28", "durationSeconds": -5},
        headers=owner,
    )
    assert (moved_in.status_code, moved_in.json()["error"]["code"]) == (409, "entry_locked")
    on_open = client.patch(f"/time-entries/{open_entry['id']}", json={"durationSeconds": -5}, headers=owner)
    assert (on_open.status_code, on_open.json()["error"]["code"]) == (422, "validation_failed")
    by_admin = client.patch(
        f"/time-entries/{closed['id']}",
        json={"durationSeconds": -5, "overrideLock": True, "reason": "fix"},
        headers=bearer(world.admin_token),
    )
    assert (by_admin.status_code, by_admin.json()["error"]["code"]) == (403, "forbidden")
    forced = client.patch(
        f"/time-entries/{closed['id']}",
        json={"durationSeconds": -5, "overrideLock": True, "reason": "fix"},
        headers=owner,
    )
    assert (forced.status_code, forced.json()["error"]["code"]) == (422, "validation_failed")


def test_unlocking_part_of_a_range_reopens_exactly_the_days_up_to_its_date(
    client: TestClient[Any], world: World
) -> None:
    lock(client, world, "2026-02-28")
    reopened = unlock(client, world, "2026-02-15")
    assert reopened.status_code == 200, reopened.text
    assert [(p["firstDay"], p["through"]) for p in reopened.json()["data"]["periods"]] == [
        ("2026-02-16", "2026-02-28")
    ]
    assert log(client, world, "2026-02-15").status_code == 201
    assert log(client, world, "2026-02-16").status_code == 409
    assert unlock(client, world, "2026-02-28").json()["data"]["periods"] == []
    assert log(client, world, "2026-02-16").status_code == 201

    changes = client.get("/changes", headers=bearer(world.member_token)).json()["data"]
    kinds = [
        (event["type"], event["subject"]["type"]) for event in changes if event["type"].startswith("period")
    ]
    assert kinds == [
        ("period.locked", "period"),
        ("period.unlocked", "period"),
        ("period.unlocked", "period"),
    ]


def test_the_lock_policy_closes_days_before_today_minus_n_in_the_orgs_time_zone(
    client: TestClient[Any], world: World
) -> None:
    # 12:00 UTC on 2026-03-02 is 01:00 on 2026-03-03 in Auckland: today there is the 3rd.
    world.clock.set(datetime(2026, 3, 2, 12, 0, tzinfo=UTC))
    changed = client.patch(
        "/org",
        json={"timezone": "Pacific/Auckland", "lockPolicy": {"afterDays": 10}},
        headers=bearer(world.admin_token),
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["data"]["lockPolicy"] == {"afterDays": 10}
    assert (
        client.get("/periods", headers=bearer(world.member_token)).json()["data"]["policyThrough"]
        == "2026-02-20"
    )

    refused = log(client, world, "2026-02-20", world.member_token)
    assert refused.status_code == 409, refused.text
    assert refused.json()["error"]["lock"] == {
        "reason": "older than 10 days (lockPolicy)",
        "through": "2026-02-20",
        "kind": "period",
    }
    assert log(client, world, "2026-02-21", world.member_token).status_code == 201

    removed = client.patch("/org", json={"lockPolicy": None}, headers=bearer(world.owner_token))
    assert removed.json()["data"]["lockPolicy"] is None
    assert log(client, world, "2026-02-20", world.member_token).status_code == 201


def test_the_lock_policy_must_be_a_whole_number_of_days_from_1_to_3650(
    client: TestClient[Any], world: World
) -> None:
    for bad in (0, 3651, "10", True, None):
        answer = client.patch(
            "/org", json={"lockPolicy": {"afterDays": bad}}, headers=bearer(world.owner_token)
        )
        assert answer.status_code == 422, (bad, answer.text)
    extra = client.patch(
        "/org", json={"lockPolicy": {"afterDays": 5, "x": 1}}, headers=bearer(world.owner_token)
    )
    assert extra.status_code == 422


def test_a_wrong_lock_policy_is_named_by_the_member_that_is_wrong(
    client: TestClient[Any], world: World
) -> None:
    """The errors of a nested object name the member by its path (``lockPolicy.afterDays``), the
    range (checked by the core on ``lock_after_days``) as well as the type and the shape."""
    answers = {
        "0": ({"afterDays": 0}, "lockPolicy.afterDays", "must be a whole number of days from 1 to 3650"),
        "3651": (
            {"afterDays": 3651},
            "lockPolicy.afterDays",
            "must be a whole number of days from 1 to 3650",
        ),
        "string": ({"afterDays": "1"}, "lockPolicy.afterDays", "must be an integer, got a string"),
        "float": (
            {"afterDays": 1.0},
            "lockPolicy.afterDays",
            "must be an integer, got a number with a fraction or exponent",
        ),
        "null": ({"afterDays": None}, "lockPolicy.afterDays", "must be an integer, not null"),
        "empty": ({}, "lockPolicy.afterDays", "is required"),
        "extra": ({"afterDays": 5, "x": 1}, "lockPolicy.x", "is not a field of this request"),
        "array": ([], "lockPolicy", "must be an object, got an array"),
        "string policy": ("7", "lockPolicy", "must be an object, got a string"),
    }
    for case, (policy, field, message) in answers.items():
        answer = client.patch("/org", json={"lockPolicy": policy}, headers=bearer(world.owner_token))
        assert answer.status_code == 422, (case, answer.text)
        error = answer.json()["error"]
        assert error["code"] == "validation_failed"
        assert error["fields"] == {field: message}, case
        assert error["message"] == f"{field}: {message}", case
    both = client.patch(
        "/org", json={"name": "", "lockPolicy": {"afterDays": 0}}, headers=bearer(world.owner_token)
    )
    assert set(both.json()["error"]["fields"]) == {"name", "lockPolicy.afterDays"}
    assert client.get("/org", headers=bearer(world.owner_token)).json()["data"]["lockPolicy"] is None


def test_only_owners_override_a_closed_period_and_only_with_a_reason(
    client: TestClient[Any], world: World
) -> None:
    lock(client, world, "2026-02-28")
    override = {"overrideLock": True, "reason": "late timesheet"}
    for token in (world.admin_token, world.member_token):
        answer = log(client, world, "2026-02-27", token, **override)
        assert answer.status_code == 403, answer.text
    missing = log(client, world, "2026-02-27", world.owner_token, overrideLock=True)
    assert missing.status_code == 422
    assert set(missing.json()["error"]["fields"]) == {"reason"}
    assert "overrideLock" in missing.json()["error"]["fields"]["reason"]

    made = log(client, world, "2026-02-27", world.owner_token, **override)
    assert made.status_code == 201, made.text
    entry_id = made.json()["data"]["id"]
    history = client.get(f"/time-entries/{entry_id}/history", headers=bearer(world.owner_token)).json()[
        "data"
    ]
    assert history[0]["changes"]["lockOverride"] == {"from": None, "to": "late timesheet"}

    path = f"/time-entries/{entry_id}"
    assert client.delete(path, headers=bearer(world.owner_token)).status_code == 409
    assert client.delete(f"{path}?overrideLock=true", headers=bearer(world.owner_token)).status_code == 422
    assert (
        client.delete(f"{path}?overrideLock=true&reason=dup", headers=bearer(world.admin_token)).status_code
        == 403
    )
    assert (
        client.delete(f"{path}?overrideLock=true&reason=dup", headers=bearer(world.owner_token)).status_code
        == 204
    )
    assert client.post(f"{path}/restore", headers=bearer(world.owner_token)).status_code == 409
    restored = client.post(f"{path}/restore?overrideLock=true&reason=oops", headers=bearer(world.owner_token))
    assert restored.status_code == 200, restored.text


def test_an_override_of_a_restore_is_an_owners_even_of_an_entry_that_is_not_deleted(
    client: TestClient[Any], world: World
) -> None:
    """docs/api.md: an admin's or a member's ``overrideLock`` is 403 whether or not the day is closed;
    a restore of a live entry (which changes nothing) is no exception."""
    made = log(client, world, "2026-02-27", world.member_token)
    assert made.status_code == 201, made.text
    path = f"/time-entries/{made.json()['data']['id']}/restore"
    for token in (world.admin_token, world.member_token):
        refused = client.post(f"{path}?overrideLock=true&reason=x", headers=bearer(token))
        assert (refused.status_code, refused.json()["error"]["code"]) == (403, "forbidden"), refused.text
    lock(client, world, "2026-02-28")
    refused = client.post(f"{path}?overrideLock=true&reason=x", headers=bearer(world.member_token))
    assert refused.status_code == 403, refused.text
    for token in (world.owner_token, world.member_token):  # without an override, or an owner's: unchanged
        query = "?overrideLock=true&reason=x" if token == world.owner_token else ""
        kept = client.post(f"{path}{query}", headers=bearer(token))
        assert kept.status_code == 200, kept.text
        assert kept.json()["data"]["deletedAt"] is None


def test_a_timer_cannot_start_or_stop_on_a_closed_day(client: TestClient[Any], world: World) -> None:
    started = client.post(
        "/timers", json={"projectId": str(world.project.id)}, headers=bearer(world.member_token)
    )
    assert started.status_code == 201, started.text
    lock(client, world, "2026-03-02")
    stop = client.post("/timers/current/stop", headers=bearer(world.member_token))
    assert stop.status_code == 409, stop.text
    body = {"projectId": str(world.project.id), "entryDate": "2026-03-01"}
    assert client.post("/timers", json=body, headers=bearer(world.owner_token)).status_code == 409
    forced = client.post(
        "/timers", json={**body, "overrideLock": True, "reason": "forgot"}, headers=bearer(world.owner_token)
    )
    assert forced.status_code == 201, forced.text


def test_closing_periods_needs_studio_and_a_manager(client: TestClient[Any], world: World) -> None:
    assert lock(client, world, "2026-02-28", token=world.member_token).status_code == 403
    world.set_plan(Plan.SOLO)
    refused = lock(client, world, "2026-02-28")
    assert refused.status_code == 402, refused.text
    error = refused.json()["error"]
    assert (error["requiredPlan"], error["feature"]) == ("studio", "period_locks")
    policy = client.patch("/org", json={"lockPolicy": {"afterDays": 30}}, headers=bearer(world.owner_token))
    assert policy.status_code == 402
    assert policy.json()["error"]["feature"] == "period_locks"
    assert unlock(client, world, "2026-02-28").status_code == 200


def test_a_lock_is_replayed_with_its_key_and_refuses_bad_input(client: TestClient[Any], world: World) -> None:
    headers = {**bearer(world.owner_token), **key()}
    body = {"through": "2026-02-28", "reason": "close"}
    first = client.post("/periods/lock", json=body, headers=headers)
    again = client.post("/periods/lock", json=body, headers=headers)
    assert again.status_code == 200
    assert again.json() == first.json()
    assert again.headers.get("Idempotent-Replayed") == "true"
    for bad in (
        {"through": "2026-02-30", "reason": "x"},
        {"through": "1999-12-31", "reason": "x"},
        {"through": "2026-02-28", "reason": " "},
        {"through": "2026-02-28"},
        {"through": "2026-02-28", "reason": "x" * 501},
        {"through": "2026-02-28", "reason": "x", "extra": 1},
    ):
        answer = client.post("/periods/lock", json=bad, headers=bearer(world.owner_token))
        assert answer.status_code == 422, (bad, answer.text)


@pytest.mark.parametrize(
    ("reason", "message"),
    [
        ("a\u202eb", "contains the bidirectional control character U+202E at position 2"),
        ("a\u2028b", "contains the line or paragraph separator U+2028 at position 2"),
        ("a\nb", "contains the control character U+000A at position 2"),
    ],
)
def test_a_lock_reason_is_one_line_as_every_entry_locked_message_repeats_it(
    client: TestClient[Any], world: World, reason: str, message: str
) -> None:
    answer = lock(client, world, "2026-02-28", reason=reason)
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["fields"] == {"reason": message}
    assert client.get("/periods", headers=bearer(world.owner_token)).json()["data"]["periods"] == []


def test_an_import_fails_the_rows_dated_on_a_closed_day(client: TestClient[Any], world: World) -> None:
    lock(client, world, "2026-03-01")
    data = b"Date,Project,Hours,Notes\n2026-03-01,Website,1.5,Closed\n2026-03-02,Website,1,Open\n"
    report = world.services.imports.import_entries(
        world.caller(world.owner), ImportEntries(source="harvest", data=data)
    )
    assert (report.created, report.failed) == (1, 1)
    (error,) = report.errors
    assert (error.row, error.code) == (2, "entry_locked")


def member_timer_on_a_closed_day(client: TestClient[Any], world: World) -> dict[str, Any]:
    """The member's running timer, started today (2026-03-02), which a lock then closes."""
    started = client.post(
        "/timers", json={"projectId": str(world.project.id)}, headers=bearer(world.member_token)
    )
    assert started.status_code == 201, started.text
    lock(client, world, "2026-03-02")
    timer: dict[str, Any] = started.json()["data"]
    return timer


def test_deactivating_a_user_whose_timer_runs_on_a_closed_day_is_refused_and_changes_nothing(
    client: TestClient[Any], world: World
) -> None:
    timer = member_timer_on_a_closed_day(client, world)
    path = f"/users/{world.member.id}/deactivate"
    for token in (world.admin_token, world.owner_token):
        refused = client.post(path, headers={**bearer(token), **key()})
        assert refused.status_code == 409, refused.text
        error = refused.json()["error"]
        assert error["code"] == "entry_locked"
        assert error["lock"] == {"reason": "February payroll", "through": "2026-03-02", "kind": "period"}
        assert timer["id"] in error["message"] and "not deactivated" in error["message"]

    assert client.get("/me", headers=bearer(world.member_token)).status_code == 200
    still = client.get(f"/time-entries/{timer['id']}", headers=bearer(world.owner_token)).json()["data"]
    assert (still["stoppedAt"], still["version"]) == (None, 1)
    history = client.get(f"/time-entries/{timer['id']}/history", headers=bearer(world.owner_token))
    assert [event["type"] for event in history.json()["data"]] == ["timer.started"]
    feed = client.get("/changes", headers=bearer(world.owner_token)).json()["data"]
    assert "user.deactivated" not in [event["type"] for event in feed]


def test_only_an_owner_deactivates_through_a_closed_day_and_the_stop_records_the_reason(
    client: TestClient[Any], world: World
) -> None:
    timer = member_timer_on_a_closed_day(client, world)
    path = f"/users/{world.member.id}/deactivate"
    by_admin = client.post(f"{path}?overrideLock=true&reason=left", headers=bearer(world.admin_token))
    assert by_admin.status_code == 403, by_admin.text
    no_reason = client.post(f"{path}?overrideLock=true", headers=bearer(world.owner_token))
    assert no_reason.status_code == 422, no_reason.text
    assert set(no_reason.json()["error"]["fields"]) == {"reason"}
    assert "overrideLock" in no_reason.json()["error"]["fields"]["reason"]
    reason_alone = client.post(f"{path}?reason=left", headers=bearer(world.owner_token))
    assert reason_alone.status_code == 422, reason_alone.text

    done = client.post(f"{path}?overrideLock=true&reason=left the company", headers=bearer(world.owner_token))
    assert done.status_code == 200, done.text
    assert done.json()["data"]["deactivatedAt"] is not None
    stopped = client.get(f"/time-entries/{timer['id']}", headers=bearer(world.owner_token)).json()["data"]
    assert stopped["stoppedAt"] is not None and stopped["version"] == 2
    history = client.get(f"/time-entries/{timer['id']}/history", headers=bearer(world.owner_token))
    last = history.json()["data"][-1]
    assert last["type"] == "timer.stopped"
    assert last["changes"]["lockOverride"] == {"from": None, "to": "left the company"}


def test_an_admins_override_on_a_deactivation_is_refused_even_with_no_timer_running(
    client: TestClient[Any], world: World
) -> None:
    path = f"/users/{world.member.id}/deactivate"
    refused = client.post(f"{path}?overrideLock=true&reason=x", headers=bearer(world.admin_token))
    assert refused.status_code == 403, refused.text
    assert client.get("/me", headers=bearer(world.member_token)).status_code == 200
    done = client.post(f"{path}?overrideLock=true&reason=x", headers=bearer(world.owner_token))
    assert done.status_code == 200, done.text


def test_the_lock_policy_refuses_a_deactivation_and_so_does_the_operator_command(
    client: TestClient[Any], world: World
) -> None:
    started = client.post(
        "/timers",
        json={"projectId": str(world.project.id), "entryDate": "2026-02-10"},
        headers=bearer(world.member_token),
    )
    assert started.status_code == 201, started.text
    changed = client.patch("/org", json={"lockPolicy": {"afterDays": 10}}, headers=bearer(world.owner_token))
    assert changed.status_code == 200, changed.text
    refused = client.post(f"/users/{world.member.id}/deactivate", headers=bearer(world.owner_token))
    assert refused.status_code == 409, refused.text
    assert refused.json()["error"]["lock"] == {
        "reason": "older than 10 days (lockPolicy)",
        "through": "2026-02-19",
        "kind": "period",
    }
    with pytest.raises(EntryLocked) as operator:
        world.services.admin.deactivate_user(world.member.id)
    assert operator.value.details()["lock"] == {
        "reason": "older than 10 days (lockPolicy)",
        "through": date(2026, 2, 19),
        "kind": "period",
    }
    assert client.get("/me", headers=bearer(world.member_token)).status_code == 200
    timer = started.json()["data"]
    still = client.get(f"/time-entries/{timer['id']}", headers=bearer(world.owner_token)).json()["data"]
    assert still["stoppedAt"] is None

    client.patch("/org", json={"lockPolicy": None}, headers=bearer(world.owner_token))
    assert world.services.admin.deactivate_user(world.member.id).deactivated_at is not None
