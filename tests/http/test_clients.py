"""``/clients`` and a project's ``clientId`` over HTTP, on every store: the happy path of each route,
one test per error family (status and body), and what OpenAPI says."""

from __future__ import annotations

from typing import Any

from litestar.testing import TestClient

from hours_core.model import Plan
from tests.http.conftest import bearer
from tests.world import World

UNKNOWN = "0190c2d4-0000-7000-8000-0000000000ff"
KEY = "0190c2d4-0000-7000-8000-00000000aaaa"
CLIENT_MEMBERS = [
    "id",
    "name",
    "currency",
    "billableByDefault",
    "archived",
    "archivedAt",
    "createdAt",
    "version",
]
"""A client's members in the order the API sends them and OpenAPI lists them."""


def create(client: TestClient[Any], world: World, body: dict[str, Any], key: str | None = None) -> Any:
    headers = bearer(world.owner_token) | ({"Idempotency-Key": key} if key else {})
    return client.post("/clients", json=body, headers=headers)


def test_a_client_is_created_read_listed_changed_and_archived(client: TestClient[Any], world: World) -> None:
    created = create(client, world, {"name": "Globex", "currency": "EUR", "billableByDefault": True}, KEY)
    assert created.status_code == 201, created.text
    body = created.json()["data"]
    assert list(body) == CLIENT_MEMBERS
    assert (
        body["name"],
        body["currency"],
        body["billableByDefault"],
        body["archived"],
        body["archivedAt"],
    ) == (
        "Globex",
        "EUR",
        True,
        False,
        None,
    )
    assert created.headers["Location"] == f"/clients/{body['id']}"
    replay = create(client, world, {"name": "Globex", "currency": "EUR", "billableByDefault": True}, KEY)
    assert replay.json() == created.json() and replay.headers["Idempotent-Replayed"] == "true"

    member = bearer(world.member_token)
    assert client.get(f"/clients/{body['id']}", headers=member).json() == {"data": body}
    assert client.get("/clients", headers=member).json() == {"data": [body]}

    changed = client.patch(
        f"/clients/{body['id']}",
        json={"archived": True, "billableByDefault": None, "currency": "JPY"},
        headers=bearer(world.admin_token),
    )
    assert changed.status_code == 200, changed.text
    data = changed.json()["data"]
    assert (
        data["archived"],
        data["archivedAt"] is not None,
        data["billableByDefault"],
        data["currency"],
    ) == (
        True,
        True,
        None,
        "JPY",
    )
    assert client.get(f"/clients/{body['id']}", headers=member).json()["data"]["archived"] is True
    assert [c["archived"] for c in client.get("/clients", headers=member).json()["data"]] == [True]
    again = client.patch(f"/clients/{body['id']}", json={"archived": True}, headers=bearer(world.owner_token))
    assert again.json()["data"]["archivedAt"] == data["archivedAt"]  # archived once: the first time stays
    back = client.patch(f"/clients/{body['id']}", json={"archived": False}, headers=bearer(world.owner_token))
    assert (back.json()["data"]["archived"], back.json()["data"]["archivedAt"]) == (False, None)


def test_a_client_archives_on_the_wire_as_a_project_does(client: TestClient[Any], world: World) -> None:
    owner = bearer(world.owner_token)
    globex = create(client, world, {"name": "Globex", "currency": "EUR"}).json()["data"]
    project = client.get(f"/projects/{world.project.id}", headers=owner).json()["data"]
    assert (globex["archived"], project["archived"]) == (False, False)
    for path in (f"/clients/{globex['id']}", f"/projects/{world.project.id}"):
        for archived in (True, False, True):
            response = client.patch(path, json={"archived": archived}, headers=owner)
            assert (response.status_code, response.json()["data"]["archived"]) == (200, archived), path
    wrong = client.patch(f"/clients/{globex['id']}", json={"archived": "yes"}, headers=owner)
    assert wrong.status_code == 422 and set(wrong.json()["error"]["fields"]) == {"archived"}


def test_a_wrong_currency_is_a_422_naming_the_field(client: TestClient[Any], world: World) -> None:
    for code, message in [
        ("eur", "must be written in capitals: EUR"),
        ("XXX", "XXX (The codes assigned for transactions where no currency is involved) has no minor unit"),
        ("ZZZ", "ZZZ is not a current ISO 4217 currency code"),
    ]:
        answer = create(client, world, {"name": "Globex", "currency": code})
        assert answer.status_code == 422, answer.text
        error = answer.json()["error"]
        assert error["code"] == "validation_failed" and error["fields"]["currency"].startswith(message)
    wrong_type = create(client, world, {"name": "Globex", "currency": 978, "colour": "red"})
    assert wrong_type.status_code == 422
    assert set(wrong_type.json()["error"]["fields"]) == {"currency", "colour"}


def test_members_may_not_write_clients(client: TestClient[Any], world: World) -> None:
    answer = client.post(
        "/clients", json={"name": "Mine", "currency": "EUR"}, headers=bearer(world.member_token)
    )
    assert answer.status_code == 403 and answer.json()["error"]["code"] == "forbidden"


def test_an_unknown_client_is_a_404(client: TestClient[Any], world: World) -> None:
    for answer in (
        client.get(f"/clients/{UNKNOWN}", headers=bearer(world.owner_token)),
        client.patch(f"/clients/{UNKNOWN}", json={"name": "X"}, headers=bearer(world.owner_token)),
        client.post("/projects", json={"name": "P", "clientId": UNKNOWN}, headers=bearer(world.owner_token)),
        client.patch(
            f"/projects/{world.project.id}", json={"clientId": UNKNOWN}, headers=bearer(world.owner_token)
        ),
    ):
        assert answer.status_code == 404, answer.text
        assert answer.json()["error"]["code"] == "not_found"


def test_a_billable_default_on_the_free_plan_is_a_402(client: TestClient[Any], world: World) -> None:
    world.set_plan(Plan.FREE)
    answer = create(client, world, {"name": "Globex", "currency": "EUR", "billableByDefault": True})
    assert answer.status_code == 402
    error = answer.json()["error"]
    assert (error["code"], error["requiredPlan"], error["feature"]) == (
        "plan_required",
        "solo",
        "billable_time",
    )
    assert create(client, world, {"name": "Globex", "currency": "EUR"}).status_code == 201


def test_a_project_takes_a_client_and_an_archived_one_is_a_422(client: TestClient[Any], world: World) -> None:
    owner = bearer(world.owner_token)
    globex = create(client, world, {"name": "Globex", "currency": "EUR", "billableByDefault": True}).json()[
        "data"
    ]
    project = client.post("/projects", json={"name": "Portal", "clientId": globex["id"]}, headers=owner)
    assert project.status_code == 201, project.text
    assert (project.json()["data"]["clientId"], project.json()["data"]["billableByDefault"]) == (
        globex["id"],
        True,
    )
    assert client.get(f"/projects/{world.project.id}", headers=owner).json()["data"]["clientId"] is None

    moved = client.patch(f"/projects/{world.project.id}", json={"clientId": globex["id"]}, headers=owner)
    assert moved.json()["data"]["clientId"] == globex["id"]
    client.patch(f"/clients/{globex['id']}", json={"archived": True}, headers=owner)
    refused = client.post("/projects", json={"name": "Late", "clientId": globex["id"]}, headers=owner)
    assert refused.status_code == 422
    assert refused.json()["error"]["fields"] == {
        "clientId": "the client is archived and takes no new projects"
    }
    detached = client.patch(f"/projects/{world.project.id}", json={"clientId": None}, headers=owner)
    assert detached.json()["data"]["clientId"] is None


def test_openapi_documents_the_client_routes(client: TestClient[Any]) -> None:
    document = client.get("/schema/openapi.json").json()
    paths = document["paths"]
    assert set(paths["/clients"]) >= {"get", "post"}
    assert set(paths["/clients/{client_id}"]) >= {"get", "patch"}
    for status in ("201", "402", "403", "422"):
        assert status in paths["/clients"]["post"]["responses"]
    assert "404" in paths["/clients/{client_id}"]["patch"]["responses"]
    schemas = document["components"]["schemas"]
    client_out = next(schema for name, schema in schemas.items() if name.endswith("ClientOut"))
    assert list(client_out["properties"]) == CLIENT_MEMBERS
    assert client_out["properties"]["archived"]["type"] == "boolean"
    assert "archived" in client_out["required"]
    project_out = next(schema for name, schema in schemas.items() if name.endswith("ProjectOut"))
    assert "clientId" in project_out["properties"]
