"""``/timesheets`` over HTTP, on every store: every transition and refusal, the lock a submitted or
approved week puts on its user's entries (its first and last day, not the days around it), the
filters of the list, the plan gate, idempotent replays and the events."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import TestClient

from hours_core.model import Plan
from tests.http.conftest import bearer
from tests.world import World

UNKNOWN = "0190c2d4-0000-7000-8000-0000000000ff"
KEY = "0190c2d4-0000-7000-8000-00000000bbbb"
MONDAY, SUNDAY = "2026-03-02", "2026-03-08"
"""The week of the test world's clock (2026-03-02 is a Monday; the org's weeks start on Monday)."""
BEFORE, AFTER = "2026-03-01", "2026-03-09"
"""The days around that week."""

FIELDS = {
    "id",
    "userId",
    "weekStart",
    "weekEnd",
    "status",
    "submittedAt",
    "submittedBy",
    "decidedAt",
    "decidedBy",
    "rejectionReason",
    "totals",
}


def create(client: TestClient[Any], token: str, week: str = MONDAY, **body: Any) -> Any:
    return client.post("/timesheets", json={"weekStart": week, **body}, headers=bearer(token))


def act(client: TestClient[Any], token: str, timesheet_id: str, action: str, **extra: Any) -> Any:
    return client.post(f"/timesheets/{timesheet_id}/{action}", headers=bearer(token), **extra)


def log(client: TestClient[Any], world: World, day: str, seconds: int = 3600) -> Any:
    body = {
        "projectId": str(world.project.id),
        "entryDate": day,
        "durationSeconds": seconds,
        "billable": False,
    }
    return client.post("/time-entries", json=body, headers=bearer(world.member_token))


def member_sheet(client: TestClient[Any], world: World) -> str:
    created = create(client, world.member_token)
    assert created.status_code == 201, created.text
    return str(created.json()["data"]["id"])


def test_a_member_creates_and_submits_their_week_and_an_admin_approves_it(
    client: TestClient[Any], world: World
) -> None:
    assert log(client, world, MONDAY, 3600).status_code == 201
    assert log(client, world, SUNDAY, 1800).status_code == 201
    assert log(client, world, AFTER, 60).status_code == 201

    created = create(client, world.member_token)
    assert created.status_code == 201, created.text
    body = created.json()["data"]
    assert set(body) == FIELDS
    assert created.headers["Location"] == f"/timesheets/{body['id']}"
    assert body == {
        "id": body["id"],
        "userId": str(world.member.id),
        "weekStart": MONDAY,
        "weekEnd": SUNDAY,
        "status": "draft",
        "submittedAt": None,
        "submittedBy": None,
        "decidedAt": None,
        "decidedBy": None,
        "rejectionReason": None,
        "totals": {"durationSeconds": 5400, "entryCount": 2},
    }

    submitted = act(client, world.member_token, body["id"], "submit")
    assert submitted.status_code == 200, submitted.text
    data = submitted.json()["data"]
    assert (data["status"], data["submittedBy"], data["submittedAt"]) == (
        "submitted",
        str(world.member.id),
        "2026-03-02T09:00:00Z",
    )

    approved = act(client, world.admin_token, body["id"], "approve")
    assert approved.status_code == 200, approved.text
    data = approved.json()["data"]
    assert (data["status"], data["decidedBy"], data["decidedAt"]) == (
        "approved",
        str(world.admin.id),
        "2026-03-02T09:00:00Z",
    )
    assert client.get(f"/timesheets/{body['id']}", headers=bearer(world.member_token)).json() == {
        "data": data
    }


def test_a_member_may_not_approve_reject_or_reopen_even_their_own(
    client: TestClient[Any], world: World
) -> None:
    sheet = member_sheet(client, world)
    assert act(client, world.member_token, sheet, "submit").status_code == 200

    for action, extra in [("approve", {}), ("reject", {"json": {"reason": "no"}}), ("reopen", {})]:
        refused = act(client, world.member_token, sheet, action, **extra)
        assert refused.status_code == 403, (action, refused.text)
        assert refused.json()["error"]["code"] == "forbidden"
    assert client.get(f"/timesheets/{sheet}", headers=bearer(world.owner_token)).json()["data"]["status"] == (
        "submitted"
    )


def test_wrong_transitions_are_409_invalid_transition_with_the_current_status(
    client: TestClient[Any], world: World
) -> None:
    sheet = member_sheet(client, world)
    owner = world.owner_token
    for action, extra in [("approve", {}), ("reject", {"json": {"reason": "x"}}), ("reopen", {})]:
        refused = act(client, owner, sheet, action, **extra)
        assert refused.status_code == 409, (action, refused.text)
        assert refused.json()["error"]["code"] == "invalid_transition"
        assert refused.json()["error"]["currentStatus"] == "draft"

    assert act(client, owner, sheet, "submit").status_code == 200
    twice = act(client, owner, sheet, "submit")
    assert (twice.status_code, twice.json()["error"]["currentStatus"]) == (409, "submitted")

    assert act(client, owner, sheet, "approve").status_code == 200
    for action, extra in [("submit", {}), ("approve", {}), ("reject", {"json": {"reason": "x"}})]:
        refused = act(client, owner, sheet, action, **extra)
        assert (refused.status_code, refused.json()["error"]["currentStatus"]) == (409, "approved"), action

    reopened = act(client, owner, sheet, "reopen")
    assert reopened.status_code == 200, reopened.text
    assert (reopened.json()["data"]["status"], reopened.json()["data"]["decidedAt"]) == ("draft", None)


@pytest.mark.parametrize("decision", [None, "approve"], ids=["submitted", "approved"])
def test_a_reopened_timesheet_is_a_draft_again_with_no_submission_or_decision_and_its_events_keep_them(
    client: TestClient[Any], world: World, decision: str | None
) -> None:
    """A reopen withdraws the submission: the timesheet reads as a draft that was never submitted
    (``submittedAt``, ``submittedBy``, ``decidedAt``, ``decidedBy`` all ``null``), as a new one does,
    while the change feed keeps what it was."""
    sheet = member_sheet(client, world)
    owner = world.owner_token
    submitted = act(client, world.member_token, sheet, "submit").json()["data"]
    before = act(client, owner, sheet, decision).json()["data"] if decision else submitted

    reopened = act(client, owner, sheet, "reopen")
    assert reopened.status_code == 200, reopened.text
    cleared = {"submittedAt", "submittedBy", "decidedAt", "decidedBy", "rejectionReason"}
    data = reopened.json()["data"]
    assert data["status"] == "draft"
    assert {name: data[name] for name in cleared} == dict.fromkeys(cleared)
    assert client.get(f"/timesheets/{sheet}", headers=bearer(owner)).json() == {"data": data}
    drafts = client.get("/timesheets", params={"status": "draft"}, headers=bearer(owner)).json()["data"]
    assert [each for each in drafts if each["id"] == sheet] == [data]

    events = client.get("/changes", headers=bearer(owner)).json()["data"]
    mine = [event for event in events if event["subject"] == {"type": "timesheet", "id": sheet}]
    assert mine[1]["changes"]["submittedBy"] == {"from": None, "to": str(world.member.id)}
    changes = mine[-1]["changes"]
    assert mine[-1]["type"] == "timesheet.reopened"
    assert changes["status"] == {"from": before["status"], "to": "draft"}
    assert changes["submittedAt"] == {"from": submitted["submittedAt"], "to": None}
    assert changes["submittedBy"] == {"from": str(world.member.id), "to": None}
    if decision:
        assert changes["decidedBy"] == {"from": str(world.owner.id), "to": None}

    again = act(client, world.member_token, sheet, "submit").json()["data"]
    assert (again["status"], again["submittedBy"], again["decidedAt"]) == (
        "submitted",
        str(world.member.id),
        None,
    )


def test_a_rejection_needs_a_reason_and_reopens_the_week_for_a_new_submission(
    client: TestClient[Any], world: World
) -> None:
    entry = log(client, world, MONDAY).json()["data"]
    sheet = member_sheet(client, world)
    assert act(client, world.member_token, sheet, "submit").status_code == 200

    for body, problem in [
        ({}, "is required"),
        ({"reason": "   "}, "must be 1 to 1000 characters matching the pattern \\S"),
        ({"reason": "x" * 1001}, "must be 1 to 1000 characters matching the pattern \\S"),
    ]:
        refused = act(client, world.owner_token, sheet, "reject", json=body)
        assert refused.status_code == 422, refused.text
        assert "reason" in refused.json()["error"]["fields"], problem

    rejected = act(client, world.owner_token, sheet, "reject", json={"reason": "Friday is missing"})
    assert rejected.status_code == 200, rejected.text
    data = rejected.json()["data"]
    assert (data["status"], data["rejectionReason"], data["decidedBy"]) == (
        "rejected",
        "Friday is missing",
        str(world.owner.id),
    )

    fixed = client.patch(
        f"/time-entries/{entry['id']}", json={"note": "fixed"}, headers=bearer(world.member_token)
    )
    assert fixed.status_code == 200, fixed.text
    again = act(client, world.member_token, sheet, "submit")
    assert again.status_code == 200, again.text
    assert (again.json()["data"]["status"], again.json()["data"]["rejectionReason"]) == ("submitted", None)


@pytest.mark.parametrize("status", ["submitted", "approved"])
def test_the_week_locks_on_its_first_and_last_day_and_not_on_the_days_around_it(
    client: TestClient[Any], world: World, status: str
) -> None:
    member = bearer(world.member_token)
    entries = {day: log(client, world, day).json()["data"] for day in (BEFORE, MONDAY, SUNDAY, AFTER)}
    deleted = log(client, world, MONDAY).json()["data"]
    assert client.delete(f"/time-entries/{deleted['id']}", headers=member).status_code == 204
    sheet = member_sheet(client, world)
    assert act(client, world.member_token, sheet, "submit").status_code == 200
    if status == "approved":
        assert act(client, world.owner_token, sheet, "approve").status_code == 200

    def locked(response: Any) -> None:
        assert response.status_code == 409, response.text
        error = response.json()["error"]
        assert error["code"] == "entry_locked"
        assert error["lock"] == {
            "reason": status,
            "through": SUNDAY,
            "kind": "timesheet",
            "timesheetId": sheet,
        }

    for day in (MONDAY, SUNDAY):
        locked(log(client, world, day))
        locked(client.patch(f"/time-entries/{entries[day]['id']}", json={"note": "late"}, headers=member))
        locked(client.delete(f"/time-entries/{entries[day]['id']}", headers=member))
    locked(client.post(f"/time-entries/{deleted['id']}/restore", headers=member))
    locked(client.patch(f"/time-entries/{entries[AFTER]['id']}", json={"entryDate": SUNDAY}, headers=member))
    locked(client.patch(f"/time-entries/{entries[MONDAY]['id']}", json={"entryDate": AFTER}, headers=member))
    locked(
        client.post("/timers", json={"projectId": str(world.project.id), "billable": False}, headers=member)
    )
    owner_write = client.patch(
        f"/time-entries/{entries[MONDAY]['id']}",
        json={"note": "by the owner"},
        headers=bearer(world.owner_token),
    )
    locked(owner_write)

    for day in (BEFORE, AFTER):
        assert log(client, world, day).status_code == 201
        changed = client.patch(f"/time-entries/{entries[day]['id']}", json={"note": "open"}, headers=member)
        assert changed.status_code == 200, changed.text
    moved = client.patch(f"/time-entries/{entries[BEFORE]['id']}", json={"entryDate": AFTER}, headers=member)
    assert moved.status_code == 200, moved.text

    # The owner's own entries of that week are not the member's timesheet's.
    owners = client.post(
        "/time-entries",
        json={
            "projectId": str(world.project.id),
            "entryDate": MONDAY,
            "durationSeconds": 60,
            "billable": False,
        },
        headers=bearer(world.owner_token),
    )
    assert owners.status_code == 201, owners.text

    assert act(client, world.owner_token, sheet, "reopen").status_code == 200
    assert log(client, world, MONDAY).status_code == 201


def test_a_running_timer_in_the_week_blocks_the_submission(client: TestClient[Any], world: World) -> None:
    member = bearer(world.member_token)
    started = client.post(
        "/timers", json={"projectId": str(world.project.id), "billable": False}, headers=member
    )
    assert started.status_code == 201, started.text
    sheet = member_sheet(client, world)

    refused = act(client, world.member_token, sheet, "submit")
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "conflict")
    assert client.post("/timers/current/stop", headers=member).status_code == 200
    assert act(client, world.member_token, sheet, "submit").status_code == 200


def test_creation_refusals_week_start_duplicates_roles_users_and_the_plan(
    client: TestClient[Any], world: World
) -> None:
    tuesday = create(client, world.member_token, "2026-03-03")
    assert tuesday.status_code == 422, tuesday.text
    assert "weekStart" in tuesday.json()["error"]["fields"]
    assert "Monday" in tuesday.json()["error"]["fields"]["weekStart"]
    assert create(client, world.member_token, "1999-12-27").status_code == 422
    assert create(client, world.member_token, "03/02/2026").status_code == 422

    first = create(client, world.member_token)
    again = create(client, world.owner_token, userId=str(world.member.id))
    assert again.status_code == 409, again.text
    assert again.json()["error"]["code"] == "conflict"
    assert again.json()["error"]["timesheetId"] == first.json()["data"]["id"]

    for_owner = create(client, world.member_token, userId=str(world.owner.id))
    assert (for_owner.status_code, for_owner.json()["error"]["code"]) == (403, "forbidden")
    unknown = create(client, world.owner_token, userId=UNKNOWN)
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "not_found")
    own = create(client, world.owner_token, userId=str(world.owner.id))
    assert own.status_code == 201 and own.json()["data"]["userId"] == str(world.owner.id)

    client.patch("/org", json={"weekStart": "sunday"}, headers=bearer(world.owner_token))
    sunday = create(client, world.admin_token, BEFORE)
    assert sunday.status_code == 201, sunday.text
    overlapping = create(client, world.admin_token, SUNDAY, userId=str(world.member.id))
    assert overlapping.status_code == 409, overlapping.text
    assert overlapping.json()["error"]["timesheetId"] == first.json()["data"]["id"]

    world.set_plan(Plan.STUDIO)
    gated = create(client, world.owner_token, "2026-03-15")
    assert gated.status_code == 402, gated.text
    error = gated.json()["error"]
    assert (error["code"], error["requiredPlan"], error["feature"]) == (
        "plan_required",
        "agency",
        "approvals",
    )
    submit = act(client, world.member_token, first.json()["data"]["id"], "submit")
    assert submit.status_code == 402


@pytest.mark.parametrize("plan", [Plan.STUDIO, Plan.FREE])
def test_the_list_of_an_organization_that_never_had_timesheets_is_402_below_agency(
    client: TestClient[Any], world: World, plan: Plan
) -> None:
    """There the list is the missing feature's (after a downgrade, one that has timesheets lists them)."""
    world.set_plan(plan)

    listed = client.get("/timesheets", headers=bearer(world.owner_token))

    assert listed.status_code == 402, listed.text
    error = listed.json()["error"]
    assert (error["code"], error["requiredPlan"], error["feature"]) == (
        "plan_required",
        "agency",
        "approvals",
    )


@pytest.mark.parametrize("plan", [Plan.STUDIO, Plan.FREE])
def test_after_a_downgrade_locked_weeks_are_read_rejected_and_reopened_but_not_created_submitted_or_approved(
    client: TestClient[Any], world: World, plan: Plan
) -> None:
    """A submitted or approved week keeps its lock after a downgrade; reading, rejecting and reopening
    stay on every plan (as unlocking a period and voiding an invoice), so that the week can be fixed."""
    owner = world.owner_token
    assert log(client, world, MONDAY).status_code == 201
    approved = member_sheet(client, world)
    assert act(client, world.member_token, approved, "submit").status_code == 200
    assert act(client, owner, approved, "approve").status_code == 200
    submitted = create(client, world.member_token, "2026-03-09").json()["data"]["id"]
    assert act(client, world.member_token, submitted, "submit").status_code == 200
    draft = create(client, owner, "2026-03-16", userId=str(world.member.id)).json()["data"]["id"]

    world.set_plan(plan)

    assert log(client, world, MONDAY).status_code == 409  # the lock outlives the feature
    read = client.get(f"/timesheets/{approved}", headers=bearer(world.member_token))
    assert (read.status_code, read.json()["data"]["status"]) == (200, "approved"), read.text
    listed = client.get("/timesheets", headers=bearer(owner))
    assert listed.status_code == 200, listed.text
    assert {sheet["id"] for sheet in listed.json()["data"]} == {approved, submitted, draft}

    for gated in (
        create(client, owner, "2026-03-23"),
        act(client, world.member_token, draft, "submit"),
        act(client, owner, submitted, "approve"),
    ):
        assert gated.status_code == 402, gated.text
        assert (gated.json()["error"]["code"], gated.json()["error"]["feature"]) == (
            "plan_required",
            "approvals",
        )

    reopened = act(client, owner, approved, "reopen")
    assert (reopened.status_code, reopened.json()["data"]["status"]) == (200, "draft"), reopened.text
    rejected = act(client, owner, submitted, "reject", json={"reason": "Tuesday is missing"})
    assert (rejected.status_code, rejected.json()["data"]["status"]) == (200, "rejected"), rejected.text
    assert log(client, world, MONDAY).status_code == 201  # the week is open again
    assert log(client, world, "2026-03-10").status_code == 201

    # The role and the state machine still hold without the feature.
    assert act(client, world.member_token, approved, "reopen").status_code == 403
    again = act(client, owner, approved, "reopen")
    assert (again.status_code, again.json()["error"]["code"]) == (409, "invalid_transition")
    foreign = client.get(f"/timesheets/{UNKNOWN}", headers=bearer(owner))
    assert foreign.status_code == 404


def test_the_list_filters_by_status_user_and_range_and_members_see_their_own(
    client: TestClient[Any], world: World
) -> None:
    member_week = member_sheet(client, world)
    next_week = create(client, world.member_token, "2026-03-09").json()["data"]["id"]
    owner_week = create(client, world.owner_token).json()["data"]["id"]
    assert act(client, world.member_token, next_week, "submit").status_code == 200

    def ids(token: str, **query: str) -> list[str]:
        answer = client.get("/timesheets", params=query, headers=bearer(token))
        assert answer.status_code == 200, answer.text
        return [each["id"] for each in answer.json()["data"]]

    owner = world.owner_token
    assert ids(owner)[0] == next_week and set(ids(owner)) == {member_week, next_week, owner_week}
    assert ids(owner, status="submitted") == [next_week]
    assert set(ids(owner, status="draft")) == {member_week, owner_week}
    assert ids(owner, userId=str(world.owner.id)) == [owner_week]
    assert set(ids(owner, **{"from": SUNDAY, "to": SUNDAY})) == {member_week, owner_week}
    assert ids(owner, **{"from": AFTER}) == [next_week]
    assert set(ids(owner, to=BEFORE)) == set()
    assert ids(world.member_token) == [next_week, member_week]
    assert ids(world.member_token, userId=str(world.member.id), status="draft") == [member_week]

    other = client.get(
        "/timesheets", params={"userId": str(world.owner.id)}, headers=bearer(world.member_token)
    )
    assert (other.status_code, other.json()["error"]["code"]) == (403, "forbidden")
    backwards = client.get("/timesheets", params={"from": AFTER, "to": MONDAY}, headers=bearer(owner))
    assert backwards.status_code == 422 and "to" in backwards.json()["error"]["fields"]
    for query in ({"status": "open"}, {"userId": "nope"}, {"from": "2026-02-30"}, {"page": "2"}):
        wrong = client.get("/timesheets", params=query, headers=bearer(owner))
        assert wrong.status_code == 422, (query, wrong.text)

    hidden = client.get(f"/timesheets/{owner_week}", headers=bearer(world.member_token))
    assert (hidden.status_code, hidden.json()["error"]["code"]) == (404, "not_found")
    assert act(client, world.member_token, owner_week, "submit").status_code == 404
    assert client.get(f"/timesheets/{UNKNOWN}", headers=bearer(owner)).status_code == 404


@pytest.mark.parametrize(
    ("query", "listed"),
    [
        ({"from": "0001-01-01"}, True),
        ({"from": "0001-01-07"}, True),
        ({"from": "0001-01-08"}, True),
        ({"to": "9999-12-31"}, True),
        ({"from": "0001-01-01", "to": "9999-12-31"}, True),
        ({"from": "9999-12-31"}, False),
        ({"to": "0001-01-01"}, False),
        ({"from": "0001-01-01", "to": "0001-01-01"}, False),
        ({"from": "9999-12-31", "to": "9999-12-31"}, False),
    ],
)
def test_a_range_reaching_the_first_or_last_day_of_the_calendar_filters_like_any_other(
    client: TestClient[Any], world: World, query: dict[str, str], listed: bool
) -> None:
    """Any date of the form filters: every week ends after year 1 and starts before year 9999, so a
    range from the calendar's first day or to its last keeps every timesheet, one before or after
    every week keeps none, and neither is a 500 (the week's end was once computed by a subtraction
    that overflowed below 0001-01-08)."""
    timesheet = member_sheet(client, world)
    answer = client.get("/timesheets", params=query, headers=bearer(world.owner_token))
    assert answer.status_code == 200, answer.text
    assert [each["id"] for each in answer.json()["data"]] == ([timesheet] if listed else [])
    assert answer.json()["nextCursor"] is None


def test_the_list_comes_in_pages_that_a_cursor_walks_with_the_same_filters(
    client: TestClient[Any], world: World
) -> None:
    weeks = ["2026-02-16", "2026-02-23", MONDAY, AFTER]
    for week in weeks:
        for token in (world.member_token, world.owner_token):
            assert create(client, token, week).status_code == 201
    owner = bearer(world.owner_token)
    whole = client.get("/timesheets", headers=owner).json()
    assert whole["nextCursor"] is None and len(whole["data"]) == 8

    def walk(token: str, **query: str) -> list[str]:
        seen: list[str] = []
        cursor = None
        while True:
            params = {**query, "limit": "3", **({"cursor": cursor} if cursor else {})}
            answer = client.get("/timesheets", params=params, headers=bearer(token))
            assert answer.status_code == 200, answer.text
            page = answer.json()
            assert len(page["data"]) <= 3
            seen += [each["id"] for each in page["data"]]
            cursor = page["nextCursor"]
            if cursor is None:
                return seen
            assert cursor == page["data"][-1]["id"]

    assert walk(world.owner_token) == [each["id"] for each in whole["data"]]
    assert walk(world.member_token) == [
        each["id"] for each in whole["data"] if each["userId"] == str(world.member.id)
    ]
    assert len(walk(world.owner_token, **{"from": MONDAY})) == 4

    owners_sheet = next(each["id"] for each in whole["data"] if each["userId"] == str(world.owner.id))
    for cursor in (owners_sheet, UNKNOWN, "nope", owners_sheet.upper().replace("-", "")):
        refused = client.get("/timesheets", params={"cursor": cursor}, headers=bearer(world.member_token))
        assert refused.status_code == 422, cursor  # another user's sheet is not a member's cursor
        assert list(refused.json()["error"]["fields"]) == ["cursor"]
    for limit in ("0", "501", "ten"):
        wrong = client.get("/timesheets", params={"limit": limit}, headers=owner)
        assert wrong.status_code == 422 and "limit" in wrong.json()["error"]["fields"], limit
    largest = client.get("/timesheets", params={"limit": "500"}, headers=owner).json()
    assert (len(largest["data"]), largest["nextCursor"]) == (8, None)


def test_a_timesheet_of_another_organization_is_no_cursor(client: TestClient[Any], world: World) -> None:
    """A cursor is the id of a timesheet the caller sees: another organization's, though a real
    timesheet, names no place in this organization's list, and is refused as any foreign cursor."""
    assert create(client, world.owner_token).status_code == 201
    other = world.services.admin.bootstrap(
        org_name="Other", plan=world.org.plan, email="owner@other.test", env="live"
    )
    theirs = create(client, other.token.plaintext)
    assert theirs.status_code == 201, theirs.text

    refused = client.get(
        "/timesheets", params={"cursor": theirs.json()["data"]["id"]}, headers=bearer(world.owner_token)
    )

    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["fields"] == {
        "cursor": "is not a cursor this API returned; pass nextCursor as it is"
    }


def test_a_replayed_submit_answers_the_recorded_response_and_writes_nothing(
    client: TestClient[Any], world: World
) -> None:
    sheet = member_sheet(client, world)
    headers = {**bearer(world.member_token), "Idempotency-Key": KEY}
    first = client.post(f"/timesheets/{sheet}/submit", headers=headers)
    assert first.status_code == 200, first.text
    replay = client.post(f"/timesheets/{sheet}/submit", headers=headers)
    assert replay.status_code == 200 and replay.json() == first.json()
    assert replay.headers["Idempotent-Replayed"] == "true"
    fresh = client.post(f"/timesheets/{sheet}/submit", headers=bearer(world.member_token))
    assert fresh.status_code == 409 and fresh.json()["error"]["code"] == "invalid_transition"

    events = client.get("/changes", headers=bearer(world.owner_token)).json()["data"]
    mine = [event for event in events if event["subject"] == {"type": "timesheet", "id": sheet}]
    assert [event["type"] for event in mine] == ["timesheet.created", "timesheet.submitted"]
    assert mine[1]["idempotencyKey"] == KEY
    assert mine[1]["changes"]["status"] == {"from": "draft", "to": "submitted"}


def test_every_action_writes_its_event_which_the_timesheets_user_sees(
    client: TestClient[Any], world: World
) -> None:
    sheet = member_sheet(client, world)
    owner = world.owner_token
    assert act(client, world.member_token, sheet, "submit").status_code == 200
    assert act(client, owner, sheet, "reject", json={"reason": "no"}).status_code == 200
    assert act(client, world.member_token, sheet, "submit").status_code == 200
    assert act(client, owner, sheet, "approve").status_code == 200
    assert act(client, owner, sheet, "reopen").status_code == 200

    events = client.get("/changes", headers=bearer(world.member_token)).json()["data"]
    assert [event["type"] for event in events if event["subject"]["type"] == "timesheet"] == [
        "timesheet.created",
        "timesheet.submitted",
        "timesheet.rejected",
        "timesheet.submitted",
        "timesheet.approved",
        "timesheet.reopened",
    ]
    audit = client.get("/audit-events", params={"subjectType": "timesheet"}, headers=bearer(owner))
    assert audit.status_code == 200 and len(audit.json()["data"]) == 6


def test_a_day_both_closed_and_in_a_submitted_week_names_the_closed_period_first(
    client: TestClient[Any], world: World
) -> None:
    entry = log(client, world, MONDAY).json()["data"]["id"]
    sheet = member_sheet(client, world)
    assert act(client, world.member_token, sheet, "submit").status_code == 200
    closing = {"through": MONDAY, "reason": "payroll"}
    assert client.post("/periods/lock", json=closing, headers=bearer(world.owner_token)).status_code == 200

    created = log(client, world, MONDAY)
    changed = client.patch(f"/time-entries/{entry}", json={"note": "x"}, headers=bearer(world.member_token))
    elsewhere = log(client, world, SUNDAY)  # in the submitted week, on a day the period leaves open

    for refused in (created, changed):  # every entry write checks the periods before the timesheet
        assert refused.status_code == 409, refused.text
        assert refused.json()["error"]["lock"]["kind"] == "period"
    assert elsewhere.json()["error"]["lock"]["kind"] == "timesheet"
