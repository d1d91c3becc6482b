"""Invoices over HTTP, on every store: an invoice locks its entries all or nothing, its totals follow
the report rules, voiding frees them, and a key replays the creation."""

from __future__ import annotations

import uuid
from typing import Any

from litestar.testing import TestClient

from hours_core.model import Plan
from hours_core.validation import FOREIGN_CURSOR
from tests.http.conftest import bearer
from tests.world import World

UNKNOWN = "0190c2d4-0000-7000-8000-0000000000ff"


def key() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid4())}


def log(client: TestClient[Any], world: World, seconds: int = 5400, **extra: Any) -> str:
    body = {
        "projectId": str(world.project.id),
        "entryDate": "2026-03-02",
        "durationSeconds": seconds,
        **extra,
    }
    answer = client.post("/time-entries", json=body, headers=bearer(world.owner_token))
    assert answer.status_code == 201, answer.text
    entry_id: str = answer.json()["data"]["id"]
    return entry_id


def invoice(client: TestClient[Any], world: World, ids: list[str], **headers: str) -> Any:
    return client.post(
        "/invoices",
        json={"externalRef": "INV-2026-001", "entryIds": ids},
        headers={**bearer(world.admin_token), **headers},
    )


def test_an_invoice_locks_its_entries_with_totals_until_it_is_voided(
    client: TestClient[Any], world: World
) -> None:
    rate = {
        "scope": "org",
        "billableRateMinor": 10000,
        "costRateMinor": 4000,
        "currency": "EUR",
        "effectiveFrom": "2026-01-01",
    }
    assert client.post("/rates", json=rate, headers=bearer(world.owner_token)).status_code == 201
    billable = log(client, world, 5400, billable=True)
    unbillable = log(client, world, 1800, billable=False)

    made = invoice(client, world, [billable, unbillable])
    assert made.status_code == 201, made.text
    data = made.json()["data"]
    assert made.headers["Location"] == f"/invoices/{data['id']}"
    assert (data["externalRef"], data["status"], data["entryIds"], data["voidedAt"]) == (
        "INV-2026-001",
        "open",
        [billable, unbillable],
        None,
    )
    assert data["totals"] == {
        "durationSeconds": 7200,
        "entryCount": 2,
        "amounts": [{"currency": "EUR", "billableMinor": 15000, "costMinor": 8000}],
    }

    entry = client.get(f"/time-entries/{billable}", headers=bearer(world.owner_token)).json()["data"]
    assert entry["invoiceId"] == data["id"]
    refused = client.patch(
        f"/time-entries/{billable}",
        json={"note": "x", "overrideLock": True, "reason": "owner"},
        headers=bearer(world.owner_token),
    )
    assert refused.status_code == 409
    assert refused.json()["error"]["lock"] == {
        "reason": "invoiced",
        "through": None,
        "kind": "invoiced",
        "invoiceId": data["id"],
    }

    read = client.get(f"/invoices/{data['id']}", headers=bearer(world.owner_token)).json()["data"]
    assert [each["id"] for each in read["entries"]] == [billable, unbillable]
    assert read["totals"] == data["totals"]
    listed = client.get("/invoices", headers=bearer(world.owner_token)).json()
    assert [each["id"] for each in listed["data"]] == [data["id"]]
    assert listed["nextCursor"] is None

    voided = client.post(f"/invoices/{data['id']}/void", headers={**bearer(world.owner_token), **key()})
    assert voided.status_code == 200, voided.text
    assert voided.json()["data"]["status"] == "void"
    assert voided.json()["data"]["voidedAt"] is not None
    freed = client.get(f"/time-entries/{billable}", headers=bearer(world.owner_token)).json()["data"]
    assert freed["invoiceId"] is None
    changed = client.patch(
        f"/time-entries/{billable}", json={"note": "ok"}, headers=bearer(world.owner_token)
    )
    assert changed.status_code == 200
    again = client.post(f"/invoices/{data['id']}/void", headers=bearer(world.owner_token))
    assert again.status_code == 409

    events = client.get("/changes", headers=bearer(world.owner_token)).json()["data"]
    types = [event["type"] for event in events]
    assert types.count("invoice.created") == 1
    assert types.count("invoice.voided") == 1
    updates = [e for e in events if e["type"] == "time_entry.updated" and "invoiceId" in e["changes"]]
    assert len(updates) == 4


def test_an_invoice_is_all_or_nothing_with_an_error_per_entry(client: TestClient[Any], world: World) -> None:
    good = log(client, world)
    deleted = log(client, world)
    assert client.delete(f"/time-entries/{deleted}", headers=bearer(world.owner_token)).status_code == 204
    running = client.post(
        "/timers", json={"projectId": str(world.project.id)}, headers=bearer(world.member_token)
    )
    invoiced = log(client, world)
    assert invoice(client, world, [invoiced]).status_code == 201

    refused = invoice(client, world, [good, UNKNOWN, deleted, running.json()["data"]["id"], invoiced])
    assert refused.status_code == 422, refused.text
    fields = refused.json()["error"]["fields"]
    assert set(fields) == {"entryIds[1]", "entryIds[2]", "entryIds[3]", "entryIds[4]"}
    assert "already invoiced" in fields["entryIds[4]"]
    assert "running" in fields["entryIds[3]"]
    assert "deleted" in fields["entryIds[2]"]
    entry = client.get(f"/time-entries/{good}", headers=bearer(world.owner_token)).json()["data"]
    assert entry["invoiceId"] is None
    assert len(client.get("/invoices", headers=bearer(world.owner_token)).json()["data"]) == 1


def test_a_repeated_id_is_listed_with_every_other_refused_entry(
    client: TestClient[Any], world: World
) -> None:
    good = log(client, world)
    deleted = log(client, world)
    assert client.delete(f"/time-entries/{deleted}", headers=bearer(world.owner_token)).status_code == 204
    running = client.post(
        "/timers", json={"projectId": str(world.project.id)}, headers=bearer(world.member_token)
    ).json()["data"]["id"]
    invoiced = log(client, world)
    assert invoice(client, world, [invoiced]).status_code == 201

    refused = invoice(client, world, [good, UNKNOWN, deleted, running, invoiced, good, UNKNOWN])
    assert refused.status_code == 422, refused.text
    error = refused.json()["error"]
    assert error["fields"] == {
        "entryIds[1]": "no such time entry in your organization",
        "entryIds[2]": "the time entry is deleted",
        "entryIds[3]": "the time entry is a running timer; stop it first",
        "entryIds[4]": error["fields"]["entryIds[4]"],
        "entryIds[5]": "repeats entryIds[0]",
        "entryIds[6]": "repeats entryIds[1]",
    }
    assert "already invoiced" in error["fields"]["entryIds[4]"]
    assert error["message"] == "4 of 7 entries cannot be invoiced; repeated ids: 2."
    assert (
        client.get(f"/time-entries/{good}", headers=bearer(world.owner_token)).json()["data"]["invoiceId"]
        is None
    )

    with_bad_ref = client.post(
        "/invoices", json={"externalRef": " ", "entryIds": [good, good]}, headers=bearer(world.owner_token)
    )
    assert with_bad_ref.status_code == 422, with_bad_ref.text
    assert set(with_bad_ref.json()["error"]["fields"]) == {"externalRef", "entryIds[1]"}


def test_an_invoice_refuses_repeats_empty_and_oversized_lists(client: TestClient[Any], world: World) -> None:
    entry = log(client, world)
    repeated = invoice(client, world, [entry, entry])
    assert repeated.status_code == 422
    assert set(repeated.json()["error"]["fields"]) == {"entryIds[1]"}
    assert "entryIds[0]" in repeated.json()["error"]["fields"]["entryIds[1]"]
    assert invoice(client, world, []).status_code == 422
    too_many = invoice(client, world, [str(uuid.uuid4()) for _ in range(1001)])
    assert too_many.status_code == 422
    assert set(too_many.json()["error"]["fields"]) == {"entryIds"}
    for bad in (
        {"externalRef": " ", "entryIds": [entry]},
        {"externalRef": "x", "entryIds": ["nope"]},
        {"entryIds": [entry]},
    ):
        answer = client.post("/invoices", json=bad, headers=bearer(world.owner_token))
        assert answer.status_code == 422, (bad, answer.text)


def test_a_wrong_entry_id_is_named_by_its_position_in_the_list(client: TestClient[Any], world: World) -> None:
    """Each wrong item of ``entryIds`` is its own field, ``entryIds[i]`` (from 0), as the entries
    that cannot be invoiced are; a value that is no array is named ``entryIds`` and says what it is."""
    good = log(client, world)
    items = invoice(client, world, ["abc", good, 5, None])
    assert items.status_code == 422, items.text
    uuid_rule = "must be a UUID such as 5a8591dd-4039-49df-9202-96385ba3eff8"
    assert items.json()["error"]["fields"] == {
        "entryIds[0]": uuid_rule,
        "entryIds[2]": uuid_rule,
        "entryIds[3]": f"{uuid_rule}, not null",
    }
    for sent, message in (
        ("abc", "must be an array, got a string"),
        ({"a": good}, "must be an array, got an object"),
        (None, "must be an array, not null"),
    ):
        answer = client.post(
            "/invoices",
            json={"externalRef": "INV-1", "entryIds": sent},
            headers=bearer(world.admin_token),
        )
        assert answer.status_code == 422, answer.text
        assert answer.json()["error"]["fields"] == {"entryIds": message}
    listed = client.get(f"/time-entries/{good}", headers=bearer(world.owner_token)).json()["data"]
    assert listed["invoiceId"] is None


def test_invoices_are_for_managers_on_a_plan_with_rates(client: TestClient[Any], world: World) -> None:
    entry = log(client, world)
    answer = client.post(
        "/invoices", json={"externalRef": "A", "entryIds": [entry]}, headers=bearer(world.member_token)
    )
    assert answer.status_code == 403
    assert client.get("/invoices", headers=bearer(world.member_token)).status_code == 403
    world.set_plan(Plan.FREE)
    gated = invoice(client, world, [entry])
    assert gated.status_code == 402
    assert (gated.json()["error"]["requiredPlan"], gated.json()["error"]["feature"]) == (
        "solo",
        "billable_rates",
    )
    assert client.get(f"/invoices/{UNKNOWN}", headers=bearer(world.owner_token)).status_code == 404


def test_creating_an_invoice_twice_with_one_key_makes_one_invoice(
    client: TestClient[Any], world: World
) -> None:
    entry = log(client, world)
    headers = key()
    first = invoice(client, world, [entry], **headers)
    again = invoice(client, world, [entry], **headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert len(client.get("/invoices", headers=bearer(world.owner_token)).json()["data"]) == 1


def test_the_list_of_invoices_comes_in_pages_whose_cursor_is_an_id_in_its_one_form(
    client: TestClient[Any], world: World
) -> None:
    made = []
    for number in range(3):
        entry = log(client, world)
        body = {"externalRef": f"INV-{number}", "entryIds": [entry]}
        answer = client.post("/invoices", json=body, headers={**bearer(world.admin_token), **key()})
        assert answer.status_code == 201, answer.text
        made.append(answer.json()["data"]["id"])
    owner = bearer(world.owner_token)

    first = client.get("/invoices", params={"limit": "2"}, headers=owner).json()
    rest = client.get("/invoices", params={"limit": "2", "cursor": first["nextCursor"]}, headers=owner).json()

    assert [each["id"] for each in first["data"]] == made[:0:-1] and first["nextCursor"] == made[1]
    assert ([each["id"] for each in rest["data"]], rest["nextCursor"]) == ([made[0]], None)
    # A cursor is an invoice of the organization, in the one form; anything else the API never
    # handed out is 422 (issue 11; before, any UUID was taken as a position and answered 200).
    assert client.get("/invoices", params={"cursor": made[1].upper()}, headers=owner).status_code == 200
    for cursor in (UNKNOWN, made[1].replace("-", ""), "{" + made[1] + "}", "urn:uuid:" + made[1], "nope"):
        refused = client.get("/invoices", params={"cursor": cursor}, headers=owner)
        assert (refused.status_code, refused.json()["error"]["fields"]) == (
            422,
            {"cursor": FOREIGN_CURSOR},
        ), cursor


def test_another_organizations_invoice_is_no_cursor(client: TestClient[Any], world: World) -> None:
    other = world.services.admin.bootstrap(
        org_name="Other", plan=world.org.plan, email="x@other.test", env="live"
    )
    theirs = bearer(other.token.plaintext)
    body = {"projectId": str(other.project.id), "entryDate": "2026-03-02", "duration": "1h"}
    entry = client.post("/time-entries", json=body, headers=theirs).json()["data"]["id"]
    made = client.post("/invoices", json={"externalRef": "X-1", "entryIds": [entry]}, headers=theirs)
    assert made.status_code == 201, made.text

    refused = client.get(
        "/invoices", params={"cursor": made.json()["data"]["id"]}, headers=bearer(world.owner_token)
    )

    assert (refused.status_code, refused.json()["error"]["fields"]) == (422, {"cursor": FOREIGN_CURSOR})
