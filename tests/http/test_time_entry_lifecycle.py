"""Reading, listing, changing, deleting and restoring time entries over HTTP."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest
from litestar.testing import TestClient

from hours_core.model import Plan
from tests.http.conftest import bearer
from tests.world import World


@pytest.fixture
def client(client_reading_either_way: TestClient[Any]) -> TestClient[Any]:
    """Every test here runs with reads in a worker thread and with reads on the event loop."""
    return client_reading_either_way


def create(client: TestClient[Any], world: World, token: str | None = None, **changes: Any) -> dict[str, Any]:
    payload = {"projectId": str(world.project.id), "entryDate": "2026-03-02", "duration": "1h", **changes}
    response = client.post("/time-entries", json=payload, headers=bearer(token or world.owner_token))
    assert response.status_code == 201, response.text
    entry: dict[str, Any] = response.json()["data"]
    return entry


def test_an_entry_reads_back_as_created(client: TestClient[Any], world: World) -> None:
    entry = create(client, world)
    response = client.get(f"/time-entries/{entry['id']}", headers=bearer(world.owner_token))
    assert response.status_code == 200
    assert response.json() == {"data": entry}


def test_an_unknown_entry_is_404(client: TestClient[Any], world: World) -> None:
    response = client.get(
        "/time-entries/5a8591dd-4039-49df-9202-96385ba3eff8", headers=bearer(world.owner_token)
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_members_see_only_their_own_entries(client: TestClient[Any], world: World) -> None:
    mine = create(client, world, world.member_token)
    theirs = create(client, world, world.owner_token)
    listed = client.get("/time-entries", headers=bearer(world.member_token)).json()["data"]
    assert [e["id"] for e in listed] == [mine["id"]]
    assert client.get(f"/time-entries/{theirs['id']}", headers=bearer(world.member_token)).status_code == 404
    other = client.get(f"/time-entries?userId={world.owner.id}", headers=bearer(world.member_token))
    assert other.status_code == 403
    everything = client.get("/time-entries", headers=bearer(world.admin_token)).json()["data"]
    assert {e["id"] for e in everything} == {mine["id"], theirs["id"]}


def test_listing_filters_sorts_and_pages_without_losing_rows(client: TestClient[Any], world: World) -> None:
    days = [f"2026-03-{day:02d}" for day in (5, 1, 3, 2, 4, 1, 2)]
    for day in days:
        create(client, world, entryDate=day)
    seen: list[str] = []
    url = "/time-entries?limit=2&from=2026-03-02&to=2026-03-04"
    while url:
        page = client.get(url, headers=bearer(world.owner_token)).json()
        seen.extend(entry["entryDate"] for entry in page["data"])
        url = (
            f"/time-entries?limit=2&from=2026-03-02&to=2026-03-04&cursor={page['nextCursor']}"
            if page["nextCursor"]
            else ""
        )
    assert seen == ["2026-03-02", "2026-03-02", "2026-03-03", "2026-03-04"]
    descending = client.get("/time-entries?sort=-entryDate&limit=3", headers=bearer(world.owner_token)).json()
    assert [e["entryDate"] for e in descending["data"]] == ["2026-03-05", "2026-03-04", "2026-03-03"]


def test_a_cursor_stays_correct_when_rows_change_between_pages(client: TestClient[Any], world: World) -> None:
    first, second, third = (create(client, world, entryDate=f"2026-03-0{day}") for day in (1, 2, 3))
    page = client.get("/time-entries?limit=1", headers=bearer(world.owner_token)).json()
    assert [e["id"] for e in page["data"]] == [first["id"]]
    client.delete(f"/time-entries/{second['id']}", headers=bearer(world.owner_token))
    create(client, world, entryDate="2026-03-01")
    rest = client.get(
        f"/time-entries?limit=10&cursor={page['nextCursor']}", headers=bearer(world.owner_token)
    ).json()
    assert [e["id"] for e in rest["data"]][-1] == third["id"]
    assert second["id"] not in [e["id"] for e in rest["data"]]


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        ("from=2026-13-01", "from"),
        ("billable=maybe", "billable"),
        ("sort=note", "sort"),
        ("cursor=garbage", "cursor"),
        ("projectId=nope", "projectId"),
        ("updatedSince=yesterday", "updatedSince"),
    ],
)
def test_a_bad_filter_is_422_naming_the_parameter(
    client: TestClient[Any], world: World, query: str, parameter: str
) -> None:
    response = client.get(f"/time-entries?{query}", headers=bearer(world.owner_token))
    assert response.status_code == 422
    assert parameter in response.json()["error"]["fields"]


def test_a_cursor_from_the_other_sort_order_is_refused(client: TestClient[Any], world: World) -> None:
    for day in (1, 2):
        create(client, world, entryDate=f"2026-03-0{day}")
    page = client.get("/time-entries?limit=1", headers=bearer(world.owner_token)).json()
    response = client.get(
        f"/time-entries?sort=-entryDate&cursor={page['nextCursor']}", headers=bearer(world.owner_token)
    )
    assert response.status_code == 422


def test_patch_changes_fields_and_updated_at_but_never_created_at(
    client: TestClient[Any], world: World
) -> None:
    entry = create(client, world)
    world.clock.advance(timedelta(minutes=5))
    response = client.patch(
        f"/time-entries/{entry['id']}",
        json={"note": "fixed", "duration": "45m"},
        headers=bearer(world.owner_token),
    )
    assert response.status_code == 200
    changed = response.json()["data"]
    assert (changed["note"], changed["durationSeconds"]) == ("fixed", 2700)
    assert changed["createdAt"] == entry["createdAt"] and changed["updatedAt"] > entry["updatedAt"]


@pytest.mark.parametrize(
    "duration",
    ["not a duration", 5400, {"not": "a string"}, None],
    ids=["malformed", "int", "object", "null"],
)
def test_patch_duration_seconds_wins_and_the_duration_beside_it_is_ignored(
    client: TestClient[Any], world: World, duration: Any
) -> None:
    # As on POST (docs/api.md, "Choices where the spec was silent"): the ignored duration is not
    # validated, whatever it holds.
    entry = create(client, world)
    response = client.patch(
        f"/time-entries/{entry['id']}",
        json={"durationSeconds": 60, "duration": duration},
        headers=bearer(world.owner_token),
    )
    assert response.status_code == 200, response.text
    assert response.json()["data"]["durationSeconds"] == 60


def test_patch_refuses_a_null_duration_sent_alone(client: TestClient[Any], world: World) -> None:
    entry = create(client, world)
    for body, field in (
        ({"duration": None}, "duration"),
        ({"durationSeconds": None, "duration": "1h"}, "durationSeconds"),
    ):
        response = client.patch(f"/time-entries/{entry['id']}", json=body, headers=bearer(world.owner_token))
        assert response.status_code == 422, response.text
        assert field in response.json()["error"]["fields"]


def test_patch_validates_the_merged_entry(client: TestClient[Any], world: World) -> None:
    entry = create(client, world, startedAt="2026-03-02T09:00:00Z", stoppedAt="2026-03-02T11:00:00Z")
    too_early = client.patch(
        f"/time-entries/{entry['id']}",
        json={"stoppedAt": "2026-03-02T08:00:00Z"},
        headers=bearer(world.owner_token),
    )
    assert too_early.status_code == 422 and "stoppedAt" in too_early.json()["error"]["fields"]
    too_short = client.patch(
        f"/time-entries/{entry['id']}",
        json={"stoppedAt": "2026-03-02T09:30:00Z"},
        headers=bearer(world.owner_token),
    )
    assert too_short.status_code == 422 and "stoppedAt" in too_short.json()["error"]["fields"]


def test_a_span_error_of_a_patch_names_the_start_it_sent_without_a_stop(
    client: TestClient[Any], world: World
) -> None:
    """Clearing ``startedAt`` alone, or moving it past the stop the entry keeps, is an error on
    ``startedAt`` (the field sent), in wire names; with ``stoppedAt`` sent too it is on ``stoppedAt``."""
    entry = create(client, world, startedAt="2026-03-02T09:00:00Z", stoppedAt="2026-03-02T11:00:00Z")
    path, owner = f"/time-entries/{entry['id']}", bearer(world.owner_token)
    cleared = client.patch(path, json={"startedAt": None}, headers=owner)
    assert cleared.status_code == 422, cleared.text
    assert cleared.json()["error"]["fields"] == {
        "startedAt": "cannot be cleared while the entry keeps its stoppedAt: clear stoppedAt too to drop the times"
    }
    late = client.patch(path, json={"startedAt": "2026-03-02T12:00:00Z"}, headers=owner)
    assert late.status_code == 422, late.text
    assert late.json()["error"]["fields"] == {"startedAt": "must not be later than stoppedAt"}
    both = client.patch(
        path, json={"startedAt": "2026-03-02T12:00:00Z", "stoppedAt": "2026-03-02T11:30:00Z"}, headers=owner
    )
    assert both.json()["error"]["fields"] == {"stoppedAt": "must not be earlier than startedAt"}
    stop_alone = client.patch(
        path, json={"startedAt": None, "stoppedAt": "2026-03-02T11:30:00Z"}, headers=owner
    )
    assert stop_alone.json()["error"]["fields"] == {"stoppedAt": "needs startedAt"}
    dropped = client.patch(path, json={"startedAt": None, "stoppedAt": None}, headers=owner)
    assert dropped.status_code == 200, dropped.text
    assert (dropped.json()["data"]["startedAt"], dropped.json()["data"]["stoppedAt"]) == (None, None)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"projectId": None}, "projectId"),
        ({"entryDate": None}, "entryDate"),
        ({"bogus": 1}, "bogus"),
        ({"billable": 1}, "billable"),
    ],
)
def test_patch_refuses_nulls_and_unknown_fields(
    client: TestClient[Any], world: World, payload: dict[str, Any], field: str
) -> None:
    entry = create(client, world)
    response = client.patch(f"/time-entries/{entry['id']}", json=payload, headers=bearer(world.owner_token))
    assert response.status_code == 422 and field in response.json()["error"]["fields"]


def test_patch_null_clears_a_note(client: TestClient[Any], world: World) -> None:
    entry = create(client, world, note="temp")
    response = client.patch(
        f"/time-entries/{entry['id']}", json={"note": None}, headers=bearer(world.owner_token)
    )
    assert response.json()["data"]["note"] is None


def test_patch_with_an_idempotency_key_replays(client: TestClient[Any], world: World) -> None:
    entry = create(client, world)
    headers = {**bearer(world.owner_token), "Idempotency-Key": "5a8591dd-4039-49df-9202-96385ba3eff8"}
    first = client.patch(f"/time-entries/{entry['id']}", json={"note": "a"}, headers=headers)
    second = client.patch(f"/time-entries/{entry['id']}", json={"note": "a"}, headers=headers)
    assert second.headers["idempotent-replayed"] == "true" and second.content == first.content


def test_delete_hides_an_entry_and_restore_brings_it_back(client: TestClient[Any], world: World) -> None:
    entry = create(client, world)
    url = f"/time-entries/{entry['id']}"
    assert client.delete(url, headers=bearer(world.owner_token)).status_code == 204
    assert client.get(url, headers=bearer(world.owner_token)).status_code == 404
    assert client.get("/time-entries", headers=bearer(world.owner_token)).json()["data"] == []
    synced = client.get(
        "/time-entries?updatedSince=2000-01-01T00:00:00Z", headers=bearer(world.owner_token)
    ).json()["data"]
    assert synced[0]["deletedAt"] is not None
    restored = client.post(f"{url}/restore", headers=bearer(world.owner_token))
    assert restored.status_code == 200 and restored.json()["data"]["deletedAt"] is None
    assert client.get(url, headers=bearer(world.owner_token)).status_code == 200


def test_deleting_an_unknown_entry_is_404(client: TestClient[Any], world: World) -> None:
    response = client.delete(
        "/time-entries/5a8591dd-4039-49df-9202-96385ba3eff8", headers=bearer(world.owner_token)
    )
    assert response.status_code == 404


def test_invoiced_entries_are_locked(client: TestClient[Any], world: World) -> None:
    entry = create(client, world)
    world.services.admin.mark_invoiced(
        world.org.id, UUID(entry["id"]), UUID("4f163819-178d-470c-a246-d6768476a6ec")
    )
    url = f"/time-entries/{entry['id']}"
    patched = client.patch(url, json={"note": "x"}, headers=bearer(world.owner_token))
    deleted = client.delete(url, headers=bearer(world.owner_token))
    assert patched.status_code == deleted.status_code == 409
    assert patched.json()["error"]["code"] == deleted.json()["error"]["code"] == "entry_locked"
    assert patched.json()["error"]["lock"] == {
        "reason": "invoiced",
        "through": None,
        "kind": "invoiced",
        "invoiceId": "4f163819-178d-470c-a246-d6768476a6ec",
    }


def test_timers_start_report_elapsed_time_and_stop(client: TestClient[Any], world: World) -> None:
    started = client.post(
        "/timers", json={"projectId": str(world.project.id)}, headers=bearer(world.member_token)
    )
    assert started.status_code == 201
    assert started.json()["data"]["stoppedAt"] is None
    world.clock.advance(timedelta(minutes=10))
    current = client.get("/timers/current", headers=bearer(world.member_token)).json()["data"]
    assert current["durationSeconds"] == 600
    again = client.post(
        "/timers", json={"projectId": str(world.project.id)}, headers=bearer(world.member_token)
    )
    assert again.status_code == 409
    assert current["id"] in again.json()["error"]["message"]
    stopped = client.post("/timers/current/stop", headers=bearer(world.member_token))
    assert stopped.status_code == 200
    assert (
        stopped.json()["data"]["durationSeconds"] == 600 and stopped.json()["data"]["stoppedAt"] is not None
    )
    assert client.get("/timers/current", headers=bearer(world.member_token)).status_code == 404


def test_starting_with_stop_running_stops_the_old_timer_at_the_same_instant(
    client: TestClient[Any], world: World
) -> None:
    first = client.post(
        "/timers", json={"projectId": str(world.project.id)}, headers=bearer(world.owner_token)
    ).json()["data"]
    world.clock.advance(timedelta(minutes=3))
    second = client.post(
        "/timers",
        json={"projectId": str(world.project.id), "stopRunning": True},
        headers=bearer(world.owner_token),
    ).json()["data"]
    old = client.get(f"/time-entries/{first['id']}", headers=bearer(world.owner_token)).json()["data"]
    assert old["stoppedAt"] == second["startedAt"] and old["durationSeconds"] == 180


def test_stopping_in_the_future_or_with_nothing_running_is_refused(
    client: TestClient[Any], world: World
) -> None:
    assert client.post("/timers/current/stop", headers=bearer(world.owner_token)).status_code == 404
    client.post("/timers", json={"projectId": str(world.project.id)}, headers=bearer(world.owner_token))
    future = client.post(
        "/timers/current/stop", json={"stoppedAt": "2099-01-01T00:00:00Z"}, headers=bearer(world.owner_token)
    )
    assert future.status_code == 422 and "stoppedAt" in future.json()["error"]["fields"]


def test_stopping_twice_with_one_key_replays(client: TestClient[Any], world: World) -> None:
    client.post("/timers", json={"projectId": str(world.project.id)}, headers=bearer(world.owner_token))
    headers = {**bearer(world.owner_token), "Idempotency-Key": "01ARZ3NDEKTSV4RRFFQ69G5FAV"}
    first = client.post("/timers/current/stop", headers=headers)
    second = client.post("/timers/current/stop", headers=headers)
    assert first.status_code == second.status_code == 200
    assert second.headers["idempotent-replayed"] == "true"


def test_projects_are_created_listed_changed_and_archived(client: TestClient[Any], world: World) -> None:
    created = client.post("/projects", json={"name": "Website"}, headers=bearer(world.admin_token))
    assert created.status_code == 201
    project = created.json()["data"]
    assert created.headers["location"] == f"/projects/{project['id']}"
    names = [p["name"] for p in client.get("/projects", headers=bearer(world.member_token)).json()["data"]]
    assert "Website" in names
    archived = client.patch(
        f"/projects/{project['id']}", json={"archived": True}, headers=bearer(world.admin_token)
    )
    assert archived.json()["data"]["archived"] is True
    refused = client.post(
        "/time-entries",
        json={"projectId": project["id"], "entryDate": "2026-03-02", "duration": "1h"},
        headers=bearer(world.owner_token),
    )
    assert refused.status_code == 422 and "projectId" in refused.json()["error"]["fields"]


def test_members_may_not_create_projects(client: TestClient[Any], world: World) -> None:
    response = client.post("/projects", json={"name": "Mine"}, headers=bearer(world.member_token))
    assert response.status_code == 403


def test_the_free_plan_holds_three_active_projects(client: TestClient[Any], world: World) -> None:
    world.set_plan(Plan.FREE)
    for name in ("Two", "Three"):
        assert (
            client.post("/projects", json={"name": name}, headers=bearer(world.owner_token)).status_code
            == 201
        )
    fourth = client.post("/projects", json={"name": "Four"}, headers=bearer(world.owner_token))
    assert fourth.status_code == 402
    error = fourth.json()["error"]
    assert (error["feature"], error["requiredPlan"]) == ("unlimited_projects", "solo")


def test_tasks_are_created_listed_and_archived(client: TestClient[Any], world: World) -> None:
    created = client.post(
        f"/projects/{world.project.id}/tasks", json={"name": "Design"}, headers=bearer(world.owner_token)
    )
    assert created.status_code == 201
    task = created.json()["data"]
    listed = client.get(f"/projects/{world.project.id}/tasks", headers=bearer(world.member_token)).json()[
        "data"
    ]
    assert task["id"] in [t["id"] for t in listed]
    archived = client.patch(
        f"/tasks/{task['id']}", json={"archived": True}, headers=bearer(world.owner_token)
    )
    assert archived.status_code == 200 and archived.json()["data"]["archived"] is True
    assert (
        client.patch(
            f"/tasks/{task['id']}", json={"name": None}, headers=bearer(world.owner_token)
        ).status_code
        == 422
    )


def test_me_describes_the_caller_and_the_token_in_use(client: TestClient[Any], world: World) -> None:
    me = client.get("/me", headers=bearer(world.member_token)).json()["data"]
    assert me["user"]["email"] == world.member.email and me["user"]["role"] == "member"
    assert me["org"] == {"id": str(world.org.id), "name": "Acme", "plan": "agency"}
    assert me["token"]["prefix"] == world.member_token.split("_")[2]
    assert world.member_token not in str(me)


def test_tokens_are_minted_listed_without_secrets_and_revoked(client: TestClient[Any], world: World) -> None:
    created = client.post(
        "/tokens", json={"name": "laptop", "expiresInDays": 30}, headers=bearer(world.owner_token)
    )
    assert created.status_code == 201
    minted = created.json()["data"]
    assert minted["token"].startswith("hsk_live_")
    listed = client.get("/tokens", headers=bearer(world.owner_token))
    assert minted["token"] not in listed.text
    assert minted["prefix"] in [t["prefix"] for t in listed.json()["data"]]
    assert client.get("/me", headers=bearer(minted["token"])).status_code == 200
    assert client.delete(f"/tokens/{minted['prefix']}", headers=bearer(world.owner_token)).status_code == 204
    assert client.get("/me", headers=bearer(minted["token"])).status_code == 401


def test_a_token_lifetime_over_a_year_is_refused(client: TestClient[Any], world: World) -> None:
    response = client.post(
        "/tokens", json={"name": "x", "expiresInDays": 366}, headers=bearer(world.owner_token)
    )
    assert response.status_code == 422 and "expiresInDays" in response.json()["error"]["fields"]


def test_revoking_someone_elses_token_is_404(client: TestClient[Any], world: World) -> None:
    prefix = world.member_token.split("_")[2]
    assert client.delete(f"/tokens/{prefix}", headers=bearer(world.owner_token)).status_code == 404


def test_an_unknown_query_parameter_is_422_naming_it(client: TestClient[Any], world: World) -> None:
    response = client.get("/time-entries?projectID=abc", headers=bearer(world.owner_token))
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {"projectID": "is not a query parameter of this endpoint"}


def test_options_lists_every_method_of_the_path(client: TestClient[Any], world: World) -> None:
    response = client.options("/time-entries/5a8591dd-4039-49df-9202-96385ba3eff8")
    assert response.headers["allow"] == "DELETE, GET, HEAD, OPTIONS, PATCH"


@pytest.mark.parametrize(
    ("path", "allow"),
    [
        ("/reports/time?from=2024-03-01&to=nope", "GET, HEAD, OPTIONS"),
        ("/time-entries?limit=5&x=1", "GET, HEAD, OPTIONS, POST"),
    ],
)
def test_options_reads_no_query_string(client: TestClient[Any], path: str, allow: str) -> None:
    response = client.options(path)
    assert response.status_code == 204 and response.headers["allow"] == allow


def test_a_running_timer_is_stopped_only_by_the_stop_endpoint(client: TestClient[Any], world: World) -> None:
    started = client.post(
        "/timers", json={"projectId": str(world.project.id)}, headers=bearer(world.owner_token)
    )
    url = f"/time-entries/{started.json()['data']['id']}"
    for payload, field in (
        ({"stoppedAt": "2099-01-01T00:00:00Z"}, "stoppedAt"),
        ({"durationSeconds": 60}, "durationSeconds"),
        ({"startedAt": None}, "startedAt"),
    ):
        response = client.patch(url, json=payload, headers=bearer(world.owner_token))
        assert response.status_code == 422 and field in response.json()["error"]["fields"]
    renamed = client.patch(url, json={"note": "still running"}, headers=bearer(world.owner_token))
    assert renamed.status_code == 200 and renamed.json()["data"]["stoppedAt"] is None


def test_restoring_a_deleted_timer_while_another_runs_is_409(client: TestClient[Any], world: World) -> None:
    first = client.post(
        "/timers", json={"projectId": str(world.project.id)}, headers=bearer(world.owner_token)
    )
    first_id = first.json()["data"]["id"]
    client.delete(f"/time-entries/{first_id}", headers=bearer(world.owner_token))
    client.post("/timers", json={"projectId": str(world.project.id)}, headers=bearer(world.owner_token))
    restored = client.post(f"/time-entries/{first_id}/restore", headers=bearer(world.owner_token))
    assert restored.status_code == 409
    error = restored.json()["error"]
    assert error["code"] == "timer_already_running"
    assert "stopRunning" not in error["message"]  # a restore takes no body: nothing to send
    assert error["message"].endswith("stop it first, then restore this one.")


def test_names_are_validated_before_roles_and_plans(client: TestClient[Any], world: World) -> None:
    response = client.post("/projects", json={"name": "   "}, headers=bearer(world.member_token))
    assert response.status_code == 422 and "name" in response.json()["error"]["fields"]


def test_minting_a_token_never_records_it_for_replay(client: TestClient[Any], world: World) -> None:
    headers = {**bearer(world.owner_token), "Idempotency-Key": "5a8591dd-4039-49df-9202-96385ba3eff8"}
    first = client.post("/tokens", json={"name": "a"}, headers=headers).json()["data"]["token"]
    second = client.post("/tokens", json={"name": "a"}, headers=headers).json()["data"]["token"]
    assert first != second
