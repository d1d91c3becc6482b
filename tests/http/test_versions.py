"""Versions over HTTP (docs/api.md, "Optimistic concurrency"): the ETag of each versioned resource,
If-Match on its writes (412 with the current version when stale), If-None-Match on its reads (304),
and the If-Match race (one winner) on every store."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from hours_core.errors import PreconditionFailed
from hours_core.services import CreateTimeEntry, UpdateTimeEntry
from tests.http.conftest import bearer
from tests.http.test_races import together
from tests.world import World

Resource = Callable[[TestClient[Any], World], str]
"""Makes one resource over HTTP and returns its path."""


def _entry(client: TestClient[Any], world: World) -> str:
    body = {"projectId": str(world.project.id), "entryDate": "2026-03-02", "duration": "1h"}
    return _created(client, world, "/time-entries", body)


def _project(client: TestClient[Any], world: World) -> str:
    return _created(client, world, "/projects", {"name": "Versioned"})


def _client(client: TestClient[Any], world: World) -> str:
    return _created(client, world, "/clients", {"name": "Globex", "currency": "EUR"})


def _task(client: TestClient[Any], world: World) -> str:
    return _created(client, world, f"/projects/{world.project.id}/tasks", {"name": "Review"})


def _created(client: TestClient[Any], world: World, path: str, body: dict[str, Any]) -> str:
    response = client.post(path, json=body, headers=bearer(world.owner_token))
    assert response.status_code == 201, response.text
    assert response.headers["ETag"] == '"1"'
    assert response.json()["data"]["version"] == 1
    return str(response.headers["Location"])


RESOURCES: dict[str, tuple[Resource, dict[str, Any]]] = {
    "entry": (_entry, {"note": "Reviewed"}),
    "project": (_project, {"name": "Renamed"}),
    "task": (_task, {"name": "Renamed"}),
    "client": (_client, {"name": "Renamed"}),
}
"""Each versioned resource: how to make one, and a change of it."""


@pytest.mark.parametrize("kind", list(RESOURCES))
def test_a_patch_with_the_version_read_wins_and_a_stale_one_is_412_with_the_current_version(
    client: TestClient[Any], world: World, kind: str
) -> None:
    make, change = RESOURCES[kind]
    path = make(client, world)
    owner = bearer(world.owner_token)

    first = client.patch(path, json=change, headers={**owner, "If-Match": '"1"'})
    assert first.status_code == 200, first.text
    assert first.headers["ETag"] == '"2"'
    assert first.json()["data"]["version"] == 2

    lost = {"note": "Lost"} if kind == "entry" else {"name": "Lost"}
    stale = client.patch(path, json=lost, headers={**owner, "If-Match": '"1"'})
    assert stale.status_code == 412
    assert stale.headers["ETag"] == '"2"'
    error = stale.json()["error"]
    assert error["code"] == "precondition_failed"
    assert error["currentVersion"] == 2
    assert set(error) == {"code", "message", "currentVersion"}

    read = client.get(path, headers=owner)
    assert read.headers["ETag"] == '"2"'
    assert read.json()["data"] == first.json()["data"]


def test_the_api_guides_412_example_is_the_body_the_server_sends(
    client: TestClient[Any], world: World
) -> None:
    """docs/api.md, "Optimistic concurrency", shows a 412 body: its message is the server's, word for word
    (it once showed a message the server never sent)."""
    guide = (Path(__file__).parents[2] / "docs" / "api.md").read_text(encoding="utf-8")
    shown = [
        json.loads(line)
        for line in guide.splitlines()
        if line.startswith('{"error": {"code": "precondition_failed"')
    ]
    assert len(shown) == 1
    path = _entry(client, world)
    owner = bearer(world.owner_token)
    assert client.patch(path, json={"note": "Reviewed"}, headers=owner).status_code == 200
    stale = client.patch(path, json={"note": "Lost"}, headers={**owner, "If-Match": '"1"'})
    assert stale.status_code == 412
    assert stale.json()["error"]["message"] == shown[0]["error"]["message"]
    assert set(stale.json()["error"]) == set(shown[0]["error"])


@pytest.mark.parametrize("kind", list(RESOURCES))
def test_a_get_whose_if_none_match_names_the_version_is_304_with_the_etag_and_no_body(
    client: TestClient[Any], world: World, kind: str
) -> None:
    path = RESOURCES[kind][0](client, world)
    owner = bearer(world.owner_token)

    for matching in ('"1"', 'W/"1"', '"7", "1"', "*"):
        response = client.get(path, headers={**owner, "If-None-Match": matching})
        assert response.status_code == 304, matching
        assert response.headers["ETag"] == '"1"'
        assert response.content == b""

    changed = client.get(path, headers={**owner, "If-None-Match": '"2"'})
    assert changed.status_code == 200
    assert changed.headers["ETag"] == '"1"'
    assert changed.json()["data"]["version"] == 1


def test_any_role_reads_a_task_archived_or_not_and_an_unknown_one_is_404(
    client: TestClient[Any], world: World
) -> None:
    path = _task(client, world)
    archived = client.patch(path, json={"archived": True}, headers=bearer(world.owner_token))
    assert archived.status_code == 200

    read = client.get(path, headers=bearer(world.member_token))

    assert (read.status_code, read.headers["ETag"]) == (200, '"2"')
    assert read.json()["data"] == archived.json()["data"]
    assert read.json()["data"]["archived"] is True
    unknown = client.get(f"/tasks/{uuid.uuid4()}", headers=bearer(world.member_token))
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "not_found")


def test_delete_and_restore_take_if_match_and_move_the_version(client: TestClient[Any], world: World) -> None:
    path = _entry(client, world)
    owner = bearer(world.owner_token)

    stale_delete = client.delete(path, headers={**owner, "If-Match": '"2"'})
    assert (stale_delete.status_code, stale_delete.headers["ETag"]) == (412, '"1"')
    assert client.get(path, headers=owner).status_code == 200  # not deleted

    deleted = client.delete(path, headers={**owner, "If-Match": '"1"'})
    assert deleted.status_code == 204
    stale_restore = client.post(f"{path}/restore", headers={**owner, "If-Match": '"1"'})
    assert stale_restore.status_code == 412
    assert stale_restore.json()["error"]["currentVersion"] == 2

    restored = client.post(f"{path}/restore", headers={**owner, "If-Match": '"2"'})
    assert restored.status_code == 200
    assert restored.headers["ETag"] == '"3"'
    assert restored.json()["data"]["deletedAt"] is None


def test_invoicing_and_voiding_each_move_the_entrys_version_so_an_if_match_read_before_is_stale(
    client: TestClient[Any], world: World
) -> None:
    path = _entry(client, world)
    owner = bearer(world.owner_token)
    entry_id = path.rsplit("/", 1)[1]

    invoiced = client.post("/invoices", json={"externalRef": "INV-1", "entryIds": [entry_id]}, headers=owner)
    assert invoiced.status_code == 201, invoiced.text
    after_invoice = client.get(path, headers=owner)
    assert (after_invoice.headers["ETag"], after_invoice.json()["data"]["version"]) == ('"2"', 2)

    voided = client.post(f"/invoices/{invoiced.json()['data']['id']}/void", headers=owner)
    assert voided.status_code == 200, voided.text
    assert client.get(path, headers=owner).headers["ETag"] == '"3"'
    stale = client.patch(path, json={"note": "read before the invoice"}, headers={**owner, "If-Match": '"1"'})
    assert (stale.status_code, stale.json()["error"]["currentVersion"]) == (412, 3)


def test_if_match_takes_a_list_and_star_and_compares_strongly(client: TestClient[Any], world: World) -> None:
    path = _entry(client, world)
    owner = bearer(world.owner_token)

    def patch(if_match: str) -> int:
        return client.patch(
            path, json={"note": if_match}, headers={**owner, "If-Match": if_match}
        ).status_code

    assert patch('W/"1"') == 412  # a weak tag never matches If-Match
    assert patch('"01"') == 412  # not the tag of version 1
    assert patch('"abc"') == 412
    assert patch('"5", "1"') == 200  # now at 2
    assert patch("*") == 200  # now at 3
    assert patch('"3",W/"9"') == 200


@pytest.mark.parametrize(
    "value", ["1", '"1', 'W"1"', "", " ", "**", '"1" "2"', '"1";', 'w/"1"', '"a b"', ",".join(['"1"'] * 101)]
)
def test_a_malformed_if_match_or_if_none_match_is_400_in_the_error_shape(
    client: TestClient[Any], world: World, value: str
) -> None:
    path = _entry(client, world)
    owner = bearer(world.owner_token)

    for response in (
        client.patch(path, json={"note": "x"}, headers={**owner, "If-Match": value}),
        client.delete(path, headers={**owner, "If-Match": value}),
        client.get(path, headers={**owner, "If-None-Match": value}),
    ):
        assert response.status_code == 400, (value, response.text)
        assert response.json()["error"]["code"] == "invalid_precondition"
    assert client.get(path, headers=owner).json()["data"]["version"] == 1


def test_timers_carry_the_etag_of_their_entry(client: TestClient[Any], world: World) -> None:
    member = bearer(world.member_token)
    started = client.post("/timers", json={"projectId": str(world.project.id)}, headers=member)
    assert (started.status_code, started.headers["ETag"]) == (201, '"1"')
    assert client.get("/timers/current", headers=member).headers["ETag"] == '"1"'
    running = client.get(started.headers["Location"], headers={**member, "If-None-Match": '"1"'})
    assert running.status_code == 200  # a running timer's duration counts on: never 304
    stopped = client.post("/timers/current/stop", headers=member)
    assert (stopped.status_code, stopped.headers["ETag"]) == (200, '"2"')


def test_an_idempotent_replay_returns_the_recorded_answer_whatever_if_match_says(
    client: TestClient[Any], world: World
) -> None:
    path = _entry(client, world)
    keyed = {**bearer(world.owner_token), "Idempotency-Key": "01arz3ndektsv4rrffq69g5fav"}

    first = client.patch(path, json={"note": "once"}, headers={**keyed, "If-Match": '"1"'})
    replay = client.patch(path, json={"note": "once"}, headers={**keyed, "If-Match": '"1"'})
    assert (first.status_code, replay.status_code) == (200, 200)
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.headers["ETag"] == first.headers["ETag"] == '"2"'
    assert replay.content == first.content


def test_of_two_clients_patching_the_version_they_both_read_exactly_one_wins(
    client: TestClient[Any], world: World
) -> None:
    path = _entry(client, world)
    owner = bearer(world.owner_token)
    assert client.get(path, headers=owner).headers["ETag"] == '"1"'

    outcomes = together(
        2,
        lambda index: client.patch(
            path, json={"note": f"client {index}"}, headers={**owner, "If-Match": '"1"'}
        ),
    )

    assert sorted(response.status_code for response in outcomes) == [200, 412]
    loser = next(response for response in outcomes if response.status_code == 412)
    assert loser.json()["error"]["currentVersion"] == 2


def test_a_writer_that_read_the_version_before_the_winner_committed_gets_412_not_a_lost_update(
    world: World,
) -> None:
    """The race at its narrowest, made deterministic: the loser reads version 1 while the winner's
    transaction is still open, so it passes the check; its write then finds the row moved."""
    owner = world.caller(world.owner)
    entries = world.services.entries
    entry = entries.create_time_entry(
        owner, CreateTimeEntry(project_id=world.project.id, entry_date=date(2026, 3, 2), duration="1h")
    )
    winner_wrote, loser_started = threading.Event(), threading.Event()
    outcome: list[object] = []

    def loser() -> None:
        assert winner_wrote.wait(30)
        loser_started.set()
        try:
            outcome.append(
                entries.update_time_entry(owner, entry.id, UpdateTimeEntry(note="loser"), if_match=1)
            )
        except PreconditionFailed as error:
            outcome.append(error)

    thread = threading.Thread(target=loser)
    thread.start()
    with world.services.transactions.write():
        entries.update_time_entry(owner, entry.id, UpdateTimeEntry(note="winner"), if_match=1)
        winner_wrote.set()
        assert loser_started.wait(30)
        time.sleep(0.05)  # let the loser reach its write where it can (PostgreSQL); the outcome is the same
    thread.join(30)

    assert len(outcome) == 1 and isinstance(outcome[0], PreconditionFailed), outcome
    assert outcome[0].current_version == 2
    assert entries.get_time_entry(owner, entry.id).note == "winner"


_WRITES = [
    ("/time-entries/{entry_id}", "patch"),
    ("/time-entries/{entry_id}", "delete"),
    ("/time-entries/{entry_id}/restore", "post"),
    ("/projects/{project_id}", "patch"),
    ("/tasks/{task_id}", "patch"),
    ("/clients/{client_id}", "patch"),
]
_READS = [
    ("/time-entries/{entry_id}", "get"),
    ("/projects/{project_id}", "get"),
    ("/tasks/{task_id}", "get"),
    ("/clients/{client_id}", "get"),
]
_TAGGED = [
    *((path, method) for path, method in _WRITES if method != "delete"),
    *_READS,
    ("/time-entries", "post"),
    ("/projects", "post"),
    ("/projects/{project_id}/tasks", "post"),
    ("/clients", "post"),
    ("/timers", "post"),
    ("/timers/current", "get"),
    ("/timers/current/stop", "post"),
]


def test_the_openapi_document_declares_etag_if_match_if_none_match_304_and_412(
    client: TestClient[Any],
) -> None:
    paths = client.get("/schema/openapi.json").json()["paths"]

    def headers_in(path: str, method: str) -> set[str]:
        return {p["name"] for p in paths[path][method].get("parameters", []) if p["in"] == "header"}

    for path, method in _WRITES:
        operation = paths[path][method]
        assert "If-Match" in headers_in(path, method), (path, method)
        failed = operation["responses"]["412"]
        assert "precondition_failed" in failed["description"]
        assert failed["headers"]["ETag"]["required"] is True
        assert "invalid_precondition" in operation["responses"]["400"]["description"]
    for path, method in _READS:
        operation = paths[path][method]
        assert "If-None-Match" in headers_in(path, method), (path, method)
        assert operation["responses"]["304"]["headers"]["ETag"]["required"] is True
        assert "content" not in operation["responses"]["304"]
    for path, method in _TAGGED:
        success = next(r for status, r in paths[path][method]["responses"].items() if status.startswith("2"))
        assert success["headers"]["ETag"]["required"] is True, (path, method)
