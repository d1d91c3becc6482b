"""``/rates``, ``POST /rates/reapply`` and the entry's ``rate`` over HTTP, on every store: the happy
path of each route, one test per error family (status and body), and what OpenAPI says."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
from litestar.testing import TestClient

from hours_core.model import Plan
from tests.http.conftest import bearer
from tests.http.write_queue_support import journals_seen_by, served_by_the_write_queue
from tests.world import World

UNKNOWN = "0190c2d4-0000-7000-8000-0000000000ff"


def key() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid4())}


def post_rate(client: TestClient[Any], world: World, body: dict[str, Any], token: str | None = None) -> Any:
    return client.post("/rates", json=body, headers=bearer(token or world.owner_token))


def log(client: TestClient[Any], world: World, day: str = "2026-03-02") -> Any:
    body = {"projectId": str(world.project.id), "entryDate": day, "duration": "1h", "billable": True}
    return client.post("/time-entries", json=body, headers=bearer(world.owner_token))


def test_a_rate_is_set_listed_read_stored_on_entries_and_deleted(
    client: TestClient[Any], world: World
) -> None:
    created = post_rate(
        client,
        world,
        {
            "scope": "org",
            "billableRateMinor": 12050,
            "costRateMinor": 7000,
            "currency": "EUR",
            "effectiveFrom": "2026-01-01",
        },
    )
    assert created.status_code == 201, created.text
    rate = created.json()["data"]
    assert list(rate) == [
        "id",
        "scope",
        "clientId",
        "projectId",
        "userId",
        "billableRateMinor",
        "costRateMinor",
        "currency",
        "effectiveFrom",
        "createdAt",
    ]
    assert (rate["scope"], rate["clientId"], rate["billableRateMinor"], rate["effectiveFrom"]) == (
        "org",
        None,
        12050,
        "2026-01-01",
    )
    assert created.headers["Location"] == f"/rates/{rate['id']}"
    assert client.get("/rates", headers=bearer(world.admin_token)).json() == {"data": [rate]}
    assert client.get(f"/rates/{rate['id']}", headers=bearer(world.owner_token)).json() == {"data": rate}

    entry = log(client, world).json()["data"]
    assert entry["rate"] == {
        "billableRateMinor": 12050,
        "costRateMinor": 7000,
        "currency": "EUR",
        "source": {"scope": "org", "rateId": rate["id"]},
    }
    assert log(client, world, "2025-12-31").json()["data"]["rate"] is None

    deleted = client.delete(f"/rates/{rate['id']}", headers=bearer(world.owner_token))
    assert deleted.status_code == 204
    assert (
        client.get(f"/time-entries/{entry['id']}", headers=bearer(world.owner_token)).json()["data"] == entry
    )
    assert client.delete(f"/rates/{rate['id']}", headers=bearer(world.owner_token)).status_code == 404


def test_reapply_reports_and_makes_the_changes_idempotently(client: TestClient[Any], world: World) -> None:
    first = post_rate(
        client,
        world,
        {"scope": "org", "billableRateMinor": 100, "currency": "EUR", "effectiveFrom": "2026-01-01"},
    )
    entry = log(client, world).json()["data"]
    user_rate = post_rate(
        client,
        world,
        {
            "scope": "user",
            "userId": str(world.owner.id),
            "costRateMinor": 5,
            "currency": "USD",
            "effectiveFrom": "2026-03-01",
        },
    ).json()["data"]
    headers = bearer(world.owner_token) | key()
    body = {"from": "2026-03-01", "to": "2026-03-31", "dryRun": True}
    dry = client.post("/rates/reapply", json=body, headers=headers)
    assert dry.status_code == 200, dry.text
    after = {
        "billableRateMinor": None,
        "costRateMinor": 5,
        "currency": "USD",
        "source": {"scope": "user", "rateId": user_rate["id"]},
    }
    assert dry.json()["data"] == {
        "dryRun": True,
        "examined": 1,
        "changed": 1,
        "skippedLocked": 0,
        "changes": [{"entryId": entry["id"], "before": entry["rate"], "after": after}],
        "truncated": False,
    }
    assert entry["rate"]["source"]["rateId"] == first.json()["data"]["id"]
    replay = client.post("/rates/reapply", json=body, headers=headers)
    assert replay.json() == dry.json() and replay.headers["Idempotent-Replayed"] == "true"

    done = client.post(
        "/rates/reapply", json={"from": "2026-03-01", "to": "2026-03-31"}, headers=bearer(world.owner_token)
    )
    assert done.json()["data"]["dryRun"] is False and done.json()["data"]["changed"] == 1
    stored = client.get(f"/time-entries/{entry['id']}", headers=bearer(world.owner_token)).json()["data"]
    assert stored["rate"] == after


def test_an_entry_edited_after_a_downgrade_keeps_its_stored_rate_for_the_upgrade(
    client: TestClient[Any], world: World
) -> None:
    body = {"scope": "org", "billableRateMinor": 9050, "costRateMinor": 4030, "currency": "EUR"}
    assert post_rate(client, world, {**body, "effectiveFrom": "2026-01-01"}).status_code == 201
    patched, batched = (log(client, world).json()["data"] for _ in range(2))
    stored = patched["rate"]
    assert stored is not None and batched["rate"] == stored
    report = {"from": "2026-03-01", "to": "2026-03-31"}
    amounts = client.get("/reports/time", params=report, headers=bearer(world.owner_token)).json()
    assert amounts["data"]["totals"]["amounts"] == [
        {"currency": "EUR", "billableMinor": 18100, "costMinor": 8060}
    ]
    world.set_plan(Plan.FREE)

    # The black-box report's steps: a new date on the free plan (the same rates would apply).
    owner = bearer(world.owner_token)
    moved = client.patch(f"/time-entries/{patched['id']}", json={"entryDate": "2026-03-03"}, headers=owner)
    assert (moved.status_code, moved.json()["data"]["rate"]) == (200, stored)
    operations = [{"op": "update", "id": batched["id"], "body": {"entryDate": "2026-03-04"}}]
    response = client.post(
        "/time-entries/batch", json={"atomic": True, "operations": operations}, headers=owner
    )
    assert response.status_code == 200, response.text
    assert response.json()["data"]["results"][0]["data"]["rate"] == stored
    free = client.get("/reports/time", params=report, headers=owner).json()
    assert free["data"]["totals"]["amounts"] == []  # no amounts without the plan's rates

    world.set_plan(Plan.AGENCY)
    for entry in (patched, batched):
        assert client.get(f"/time-entries/{entry['id']}", headers=owner).json()["data"]["rate"] == stored
    assert (
        client.get("/reports/time", params=report, headers=owner).json()["data"]["totals"]
        == (amounts["data"]["totals"])
    )


def test_wrong_fields_are_a_422_naming_each(client: TestClient[Any], world: World) -> None:
    answer = post_rate(
        client,
        world,
        {
            "scope": "client",
            "userId": UNKNOWN,
            "billableRateMinor": -1,
            "currency": "EUR",
            "effectiveFrom": "2026-01-01",
        },
    )
    assert answer.status_code == 422, answer.text
    assert set(answer.json()["error"]["fields"]) == {"billableRateMinor", "clientId", "userId"}
    answer = post_rate(
        client,
        world,
        {"scope": "client", "userId": UNKNOWN, "costRateMinor": 1, "effectiveFrom": "2026-01-01"},
    )
    assert answer.status_code == 422
    assert set(answer.json()["error"]["fields"]) == {"clientId", "userId"}
    reapply = client.post(
        "/rates/reapply", json={"from": "2026-03-02", "to": "2026-03-01"}, headers=bearer(world.owner_token)
    )
    assert reapply.status_code == 422 and set(reapply.json()["error"]["fields"]) == {"to"}
    too_long = client.post(
        "/rates/reapply", json={"from": "2026-01-01", "to": "2027-01-03"}, headers=bearer(world.owner_token)
    )
    assert too_long.json()["error"]["fields"] == {
        "to": "must be at most 366 days after from (latest: 2027-01-02)"  # no "export longer ranges"
    }
    missing = client.post("/rates/reapply", json={"to": "2026-03-01"}, headers=bearer(world.owner_token))
    assert missing.json()["error"]["fields"] == {"from": "is required"}


def test_a_rate_without_either_figure_names_both_by_their_wire_names(
    client: TestClient[Any], world: World
) -> None:
    """The message names the other fields it talks of as the body does (``costRateMinor``), in
    ``fields`` and in ``message``: never the core's ``cost_rate_minor``."""
    body = {"scope": "org", "currency": "EUR", "effectiveFrom": "2026-01-01"}
    for figures in ({}, {"billableRateMinor": None, "costRateMinor": None}):
        answer = post_rate(client, world, {**body, **figures})
        assert answer.status_code == 422, answer.text
        error = answer.json()["error"]
        rule = "a rate needs billableRateMinor, costRateMinor or both"
        assert error["fields"] == {"billableRateMinor": rule}
        assert error["message"] == f"billableRateMinor: {rule}"
        assert "_" not in error["message"]


def test_a_currency_other_than_the_clients_is_a_422(client: TestClient[Any], world: World) -> None:
    owner = bearer(world.owner_token)
    globex = client.post("/clients", json={"name": "Globex", "currency": "JPY"}, headers=owner).json()["data"]
    answer = post_rate(
        client,
        world,
        {
            "scope": "client",
            "clientId": globex["id"],
            "billableRateMinor": 1,
            "currency": "EUR",
            "effectiveFrom": "2026-01-01",
        },
    )
    assert answer.status_code == 422
    assert answer.json()["error"]["fields"] == {"currency": "must be the client's currency, JPY"}
    taken = post_rate(
        client,
        world,
        {"scope": "client", "clientId": globex["id"], "billableRateMinor": 1, "effectiveFrom": "2026-01-01"},
    )
    assert taken.status_code == 201 and taken.json()["data"]["currency"] == "JPY"


def test_members_get_403_and_other_plans_402(client: TestClient[Any], world: World) -> None:
    body = {"scope": "org", "billableRateMinor": 1, "currency": "EUR", "effectiveFrom": "2026-01-01"}
    forbidden = post_rate(client, world, body, world.member_token)
    assert forbidden.status_code == 403 and forbidden.json()["error"]["code"] == "forbidden"
    assert client.get("/rates", headers=bearer(world.member_token)).status_code == 403
    world.set_plan(Plan.FREE)
    for answer in (post_rate(client, world, body), client.get("/rates", headers=bearer(world.owner_token))):
        assert answer.status_code == 402
        error = answer.json()["error"]
        assert (error["code"], error["requiredPlan"], error["feature"]) == (
            "plan_required",
            "solo",
            "billable_rates",
        )


def test_unknown_targets_are_a_404_and_a_second_rate_of_a_day_a_409(
    client: TestClient[Any], world: World
) -> None:
    unknown = post_rate(
        client,
        world,
        {
            "scope": "user",
            "userId": UNKNOWN,
            "costRateMinor": 1,
            "currency": "EUR",
            "effectiveFrom": "2026-01-01",
        },
    )
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "not_found"
    assert client.get(f"/rates/{UNKNOWN}", headers=bearer(world.owner_token)).status_code == 404
    body = {
        "scope": "user",
        "userId": str(world.member.id),
        "costRateMinor": 1,
        "currency": "EUR",
        "effectiveFrom": "2026-01-01",
    }
    assert post_rate(client, world, body).status_code == 201
    again = post_rate(client, world, body)
    assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"


def test_openapi_documents_the_rate_routes(client: TestClient[Any]) -> None:
    document = client.get("/schema/openapi.json").json()
    paths = document["paths"]
    assert set(paths["/rates"]) >= {"get", "post"}
    assert set(paths["/rates/{rate_id}"]) >= {"get", "delete"}
    for status in ("201", "402", "403", "404", "409", "422"):
        assert status in paths["/rates"]["post"]["responses"]
    reapply = paths["/rates/reapply"]["post"]
    reference = reapply["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    body = document["components"]["schemas"][reference]
    assert set(body["properties"]) == {"from", "to", "dryRun"} and set(body["required"]) == {"from", "to"}
    entry = next(
        schema for name, schema in document["components"]["schemas"].items() if name.endswith("TimeEntryOut")
    )
    assert "rate" in entry["properties"]


def test_a_reapply_keeps_its_savepoints_journal_in_a_file_on_sqlite(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reapply re-rates every entry of up to a year of the organization, whatever its request holds.
    In SQLite's write queue, whose groups keep their savepoints' journal in memory, it would hold a
    copy of every page it changed (as an import's undo did: 1 GB for 100,000 entries); it runs in a
    thread of its own and keeps the journal in a file (``temp_store`` 0, DEFAULT; the queue's 2)."""
    with served_by_the_write_queue(tmp_path) as (world, client, conn):
        seen = journals_seen_by(monkeypatch, conn, world.services.rates, "reapply_rates")
        owner = bearer(world.owner_token)
        created = client.post(
            "/time-entries",
            json={"projectId": str(world.project.id), "entryDate": "2026-03-02", "durationSeconds": 60},
            headers=owner,
        )
        # A queued write: the writer connection is left at MEMORY, unless a write of another thread
        # (the token's last use, recorded in the background) began the group it joined. Either way
        # the write below must begin a group of its own, at DEFAULT.
        assert created.status_code == 201
        rate = {"scope": "org", "billableRateMinor": 9000, "currency": "EUR", "effectiveFrom": "2026-01-01"}
        assert client.post("/rates", json=rate, headers=owner).status_code == 201

        done = client.post("/rates/reapply", json={"from": "2026-01-01", "to": "2026-12-31"}, headers=owner)

        assert done.status_code == 200, done.text
        assert done.json()["data"]["changed"] == 1
        assert seen == [0]


# Bodies of POST /rates and whether the server takes them (the project of the world has no client,
# so its rates name their currency: where a project's client gives it, only the server can tell).
_RATE_CASES: list[tuple[dict[str, Any], bool]] = [
    ({"scope": "org", "currency": "EUR", "billableRateMinor": 100}, True),
    (
        {"scope": "org", "currency": "EUR", "costRateMinor": 5, "billableRateMinor": None, "clientId": None},
        True,
    ),
    ({"scope": "client", "clientId": "CLIENT", "billableRateMinor": 100}, True),
    ({"scope": "project", "projectId": "PROJECT", "currency": "EUR", "billableRateMinor": 100}, True),
    ({"scope": "user", "userId": "USER", "currency": "EUR", "costRateMinor": 100}, True),
    (
        {
            "scope": "user_project",
            "userId": "USER",
            "projectId": "PROJECT",
            "currency": "EUR",
            "costRateMinor": 1,
        },
        True,
    ),
    ({"scope": "org", "billableRateMinor": 100}, False),
    ({"scope": "org", "currency": None, "billableRateMinor": 100}, False),
    ({"scope": "org", "currency": "EUR", "clientId": "CLIENT", "billableRateMinor": 100}, False),
    ({"scope": "client", "billableRateMinor": 100}, False),
    ({"scope": "client", "clientId": None, "billableRateMinor": 100}, False),
    (
        {"scope": "project", "projectId": "PROJECT", "userId": "USER", "currency": "EUR", "costRateMinor": 1},
        False,
    ),
    ({"scope": "user", "currency": "EUR", "costRateMinor": 100}, False),
    ({"scope": "user", "userId": "USER", "costRateMinor": 100}, False),
    ({"scope": "user_project", "userId": "USER", "currency": "EUR", "costRateMinor": 1}, False),
    ({"scope": "org", "currency": "EUR"}, False),
    ({"scope": "org", "currency": "EUR", "billableRateMinor": None, "costRateMinor": None}, False),
]


def test_a_rate_body_is_schema_valid_exactly_when_the_server_takes_it(
    client: TestClient[Any], world: World
) -> None:
    """The document states which ids each scope needs (and refuses), where `currency` is required, and
    that a rate needs one of its two amounts: it once had every member but `scope` and
    `effectiveFrom` optional, so schemathesis's schema-valid `{"scope": "org", ...}` without a
    currency or a rate got 422."""
    document = client.get("/schema/openapi.json").json()
    operation = document["paths"]["/rates"]["post"]
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    validator = jsonschema_rs.Draft202012Validator({**schema, "components": document["components"]})
    owner = bearer(world.owner_token)
    made = client.post("/clients", json={"name": "Rated", "currency": "EUR"}, headers=owner)
    assert made.status_code == 201, made.text
    ids = {
        "CLIENT": made.json()["data"]["id"],
        "PROJECT": str(world.project.id),
        "USER": str(world.member.id),
    }
    wrong = []
    for index, (sample, accepted) in enumerate(_RATE_CASES):
        body = {
            key: ids.get(value, value) if isinstance(value, str) else value for key, value in sample.items()
        }
        body["effectiveFrom"] = f"2026-01-{index + 1:02d}"
        response = post_rate(client, world, body)
        assert response.status_code == (201 if accepted else 422), (body, response.text)
        if validator.is_valid(body) is not accepted:
            wrong.append(sample)
    assert wrong == []
