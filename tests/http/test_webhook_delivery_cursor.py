"""``GET /webhooks/{id}/deliveries``: its cursor is opaque and signed, as the other lists' are, on
every store. An issued cursor pages through the log (and keeps its place while deliveries are
queued); any other (garbage, a bare number, an edited one, another webhook's, another list's) is 422
``cursor: is not a cursor this API returned; pass nextCursor as it is``, and no message shows a
regular expression."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from litestar.testing import TestClient

from hours_http.cursors import MAC_BYTES
from tests.http.conftest import bearer
from tests.http.test_cursors import FOREIGN, signed
from tests.world import World

URL = "https://hooks.example.com/hours"


def webhook_with_pings(client: TestClient[Any], world: World, pings: int) -> str:
    """A new webhook's id, with ``pings`` deliveries queued in its log."""
    headers = bearer(world.owner_token)
    response = client.post("/webhooks", json={"url": URL, "events": ["*"]}, headers=headers)
    assert response.status_code == 201, response.text
    webhook_id: str = response.json()["data"]["id"]
    for _ in range(pings):
        assert client.post(f"/webhooks/{webhook_id}/ping", headers=headers).status_code == 202
    return webhook_id


def deliveries(client: TestClient[Any], world: World, webhook_id: str, **params: str) -> Any:
    return client.get(f"/webhooks/{webhook_id}/deliveries", params=params, headers=bearer(world.owner_token))


def every_page(client: TestClient[Any], world: World, webhook_id: str, limit: int) -> list[list[str]]:
    pages, cursor = [], None
    while True:
        params = {"limit": str(limit)} | ({} if cursor is None else {"cursor": cursor})
        response = deliveries(client, world, webhook_id, **params)
        assert response.status_code == 200, response.text
        pages.append([delivery["id"] for delivery in response.json()["data"]])
        cursor = response.json()["nextCursor"]
        if cursor is None:
            return pages


def assert_foreign(response: Any) -> None:
    assert response.status_code == 422, response.text
    assert response.json()["error"] == {
        "code": "validation_failed",
        "message": f"cursor: {FOREIGN}",
        "fields": {"cursor": FOREIGN},
    }


def test_issued_cursors_page_through_the_whole_log_newest_first(
    client: TestClient[Any], world: World
) -> None:
    webhook_id = webhook_with_pings(client, world, 5)
    everything = [d["id"] for d in deliveries(client, world, webhook_id).json()["data"]]

    pages = every_page(client, world, webhook_id, limit=2)

    assert [len(page) for page in pages] == [2, 2, 1]
    assert [delivery for page in pages for delivery in page] == everything
    assert len(set(everything)) == 5


def test_an_issued_cursor_is_opaque_not_a_position(client: TestClient[Any], world: World) -> None:
    webhook_id = webhook_with_pings(client, world, 3)

    cursor = deliveries(client, world, webhook_id, limit="1").json()["nextCursor"]

    assert isinstance(cursor, str)
    assert not cursor.isdigit()
    assert len(cursor) > MAC_BYTES


def test_a_cursor_keeps_its_place_while_deliveries_are_queued(client: TestClient[Any], world: World) -> None:
    webhook_id = webhook_with_pings(client, world, 3)
    first = deliveries(client, world, webhook_id, limit="2").json()
    older = [d["id"] for d in deliveries(client, world, webhook_id).json()["data"]][2:]

    assert client.post(f"/webhooks/{webhook_id}/ping", headers=bearer(world.owner_token)).status_code == 202
    rest = deliveries(client, world, webhook_id, limit="2", cursor=first["nextCursor"]).json()

    assert [d["id"] for d in rest["data"]] == older
    assert rest["nextCursor"] is None


def test_a_cursor_works_whichever_case_the_webhook_id_is_written_in(
    client: TestClient[Any], world: World
) -> None:
    webhook_id = webhook_with_pings(client, world, 2)
    cursor = deliveries(client, world, webhook_id.upper(), limit="1").json()["nextCursor"]

    rest = deliveries(client, world, webhook_id, limit="1", cursor=cursor)

    assert rest.status_code == 200, rest.text
    assert len(rest.json()["data"]) == 1


@pytest.mark.parametrize(
    "cursor",
    [
        "abc",
        "",
        "1",
        "123",
        "000000000000000000",
        "-1",
        "bm90IGEgY3Vyc29y",
        "A" * 512,
        "not a cursor",
        "%00",
        "é",
    ],
)
def test_a_cursor_this_api_did_not_return_is_422_in_the_words_of_the_other_lists(
    client: TestClient[Any], world: World, cursor: str
) -> None:
    webhook_id = webhook_with_pings(client, world, 1)

    assert_foreign(deliveries(client, world, webhook_id, cursor=cursor))


def test_an_edited_truncated_or_re_encoded_cursor_is_refused(client: TestClient[Any], world: World) -> None:
    webhook_id = webhook_with_pings(client, world, 3)
    cursor = deliveries(client, world, webhook_id, limit="1").json()["nextCursor"]
    raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    payload = raw[MAC_BYTES:]
    version, listing, position = json.loads(payload)
    edited = json.dumps([version, listing, position + 1], separators=(",", ":")).encode()

    for wrong in [
        cursor[:-1],
        cursor[1:],
        cursor + "A",
        cursor + "=" * (-len(cursor) % 4 or 4),
        base64.b64encode(raw).decode(),  # the other alphabet, padded
        base64.urlsafe_b64encode(raw[:MAC_BYTES] + edited).decode().rstrip("="),  # another position
        base64.urlsafe_b64encode(payload).decode().rstrip("="),  # the payload alone
    ]:
        if wrong != cursor:
            assert_foreign(deliveries(client, world, webhook_id, limit="1", cursor=wrong))


def test_a_cursor_of_another_webhook_s_log_is_refused(client: TestClient[Any], world: World) -> None:
    first = webhook_with_pings(client, world, 2)
    second = webhook_with_pings(client, world, 2)
    cursor = deliveries(client, world, first, limit="1").json()["nextCursor"]

    assert_foreign(deliveries(client, world, second, limit="1", cursor=cursor))
    assert deliveries(client, world, first, limit="1", cursor=cursor).status_code == 200


def test_a_cursor_of_another_list_is_refused(client: TestClient[Any], world: World) -> None:
    """Cursors of the audit trail and of an entry's history are signed with the same key, and hold a
    sequence number too: their listing tells them apart."""
    webhook_id = webhook_with_pings(client, world, 2)
    ours = signed(world, json.dumps([1, f"deliveries:{webhook_id}", 2], separators=(",", ":")).encode())
    assert deliveries(client, world, webhook_id, limit="1", cursor=ours).status_code == 200

    for listing in [
        "audit",
        f"audit:{world.org.id}",
        f"history:{webhook_id}",
        f"deliveries:{webhook_id.upper()}",
        "deliveries",
    ]:
        theirs = signed(world, json.dumps([1, listing, 2], separators=(",", ":")).encode())
        assert_foreign(deliveries(client, world, webhook_id, limit="1", cursor=theirs))


def test_a_delivery_log_cursor_is_refused_by_the_other_lists(client: TestClient[Any], world: World) -> None:
    webhook_id = webhook_with_pings(client, world, 2)
    cursor = deliveries(client, world, webhook_id, limit="1").json()["nextCursor"]
    headers = bearer(world.owner_token)

    for path in ["/audit-events", "/time-entries"]:
        response = client.get(path, params={"cursor": cursor}, headers=headers)
        assert response.status_code == 422, (path, response.text)
        assert response.json()["error"]["fields"] == {"cursor": FOREIGN}


def test_a_cursor_longer_than_any_issued_is_refused_by_its_length(
    client: TestClient[Any], world: World
) -> None:
    webhook_id = webhook_with_pings(client, world, 1)

    response = deliveries(client, world, webhook_id, cursor="A" * 513)

    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {"cursor": "must be at most 512 characters"}


def test_the_documented_cursor_shows_no_pattern(client: TestClient[Any]) -> None:
    document = client.get("/schema/openapi.json").json()
    parameters = document["paths"]["/webhooks/{webhook_id}/deliveries"]["get"]["parameters"]
    (cursor,) = [parameter for parameter in parameters if parameter["name"] == "cursor"]

    assert "pattern" not in json.dumps(cursor)
