"""Signed cursors: only a cursor this installation issued is read; any other is 422 on ``cursor``,
refused before its JSON is parsed; and a signed payload of any shape is parsed totally."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from litestar.testing import TestClient

from hours_core.installation import CURSOR_SECRET
from hours_http import create_app
from hours_http.cursors import MAC_BYTES
from hours_memory import InMemoryStore
from tests.http.conftest import bearer
from tests.world import World, make_world

FOREIGN = "is not a cursor this API returned; pass nextCursor as it is"


def text(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def signed(world: World, payload: bytes) -> str:
    key = world.services.installation.secret(CURSOR_SECRET)
    return text(hmac.new(key, payload, hashlib.sha256).digest()[:MAC_BYTES] + payload)


def issued_cursor(client: TestClient[Any], world: World, sort: str = "entryDate") -> str:
    headers = bearer(world.owner_token)
    for day in ("2026-03-02", "2026-03-03", "2026-03-04"):
        body = {"projectId": str(world.project.id), "entryDate": day, "duration": "1h"}
        assert client.post("/time-entries", json=body, headers=headers).status_code == 201
    page = client.get("/time-entries", params={"limit": "1", "sort": sort}, headers=headers).json()
    cursor: str = page["nextCursor"]
    return cursor


def listed(client: TestClient[Any], world: World, cursor: str, sort: str = "entryDate") -> Any:
    return client.get(
        "/time-entries",
        params={"limit": "1", "cursor": cursor, "sort": sort},
        headers=bearer(world.owner_token),
    )


def assert_foreign(response: Any) -> None:
    assert response.status_code == 422, response.text
    assert response.json()["error"]["fields"] == {"cursor": FOREIGN}


def test_an_issued_cursor_reads_the_next_page_and_the_other_order_is_named(
    client: TestClient[Any], world: World
) -> None:
    cursor = issued_cursor(client, world)
    page = listed(client, world, cursor)
    assert page.status_code == 200
    assert [entry["entryDate"] for entry in page.json()["data"]] == ["2026-03-03"]
    other = listed(client, world, cursor, sort="-entryDate")
    assert other.status_code == 422
    assert other.json()["error"]["fields"] == {
        "cursor": "was returned for the other sort order; keep the sort of the first page"
    }


def test_a_forged_cursor_is_refused(client: TestClient[Any], world: World) -> None:
    cursor = issued_cursor(client, world)
    payload = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))[MAC_BYTES:]
    forged_payload = payload.replace(b"2026-03-02", b"2026-03-03")
    assert forged_payload != payload
    for forged in (
        text(payload),  # the JSON alone, as cursors were before they were signed
        text(bytes(MAC_BYTES) + forged_payload),
        text(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))[:MAC_BYTES] + forged_payload),
        text(
            json.dumps([1, "asc", "2026-03-02", "2026-03-02T09:00:00+00:00", str(world.project.id)]).encode()
        ),
    ):
        assert_foreign(listed(client, world, forged))


def test_every_truncation_and_every_altered_character_is_refused(
    client: TestClient[Any], world: World
) -> None:
    cursor = issued_cursor(client, world)
    for end in range(len(cursor)):
        assert_foreign(listed(client, world, cursor[:end] or "A"))
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    for position in range(0, len(cursor), 3):
        replacement = alphabet[(alphabet.index(cursor[position]) + 1) % len(alphabet)]
        assert_foreign(listed(client, world, cursor[:position] + replacement + cursor[position + 1 :]))


def test_a_re_encoded_cursor_is_refused(client: TestClient[Any], world: World) -> None:
    cursor = issued_cursor(client, world)
    raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    for form in (
        cursor + "=" * (-len(cursor) % 4 or 4),
        base64.b64encode(raw).decode(),
        base64.b32encode(raw).decode(),
        cursor[:10] + "\n" + cursor[10:],
        cursor + ".",
        " " + cursor,
        cursor.upper(),
    ):
        if form != cursor:
            assert_foreign(listed(client, world, form))
    assert listed(client, world, cursor).status_code == 200


def test_a_cursor_of_another_installation_is_refused(client: TestClient[Any], world: World) -> None:
    other = make_world(InMemoryStore().unit_of_work)
    with TestClient(create_app(other.services)) as other_client:
        foreign = issued_cursor(other_client, other)
    assert_foreign(listed(client, world, foreign))


@pytest.mark.parametrize(
    "document",
    [
        [1, "asc", [1], "x", "y"],
        [1, "asc", "2026-03-02", 5, "00000000-0000-0000-0000-000000000000"],
        [1, "asc", "2026-03-02", "2026-03-02T09:00:00", "00000000-0000-0000-0000-000000000000"],
        [1, "asc", "2026-03-02", "0001-01-01T00:00:00+01:00", "00000000-0000-0000-0000-000000000000"],
        [1, "asc", "2026-02-30", "2026-03-02T09:00:00+00:00", "00000000-0000-0000-0000-000000000000"],
        [1, "asc", "2026-03-02", "2026-03-02T09:00:00+00:00", "{00000000-0000-0000-0000-000000000000}"],
        [True, "asc", "2026-03-02", "2026-03-02T09:00:00+00:00", "00000000-0000-0000-0000-000000000000"],
        [1.0, "asc", "2026-03-02", "2026-03-02T09:00:00+00:00", "00000000-0000-0000-0000-000000000000"],
        [1, "up", "2026-03-02", "2026-03-02T09:00:00+00:00", "00000000-0000-0000-0000-000000000000"],
        [2, "asc", "2026-03-02", "2026-03-02T09:00:00+00:00", "00000000-0000-0000-0000-000000000000"],
        [1, "asc", "2026-03-02", "2026-03-02T09:00:00+00:00"],
        [
            2,
            ["entries"],
            "asc",
            "2026-03-02",
            "2026-03-02T09:00:00+00:00",
            "00000000-0000-0000-0000-000000000000",
        ],
        [
            2,
            "entries:x",
            "asc",
            "2026-03-02",
            "2026-03-02T09:00:00+00:00",
            "00000000-0000-0000-0000-000000000000",
        ],
        [
            3,
            "entries:x",
            "asc",
            "2026-03-02",
            "2026-03-02T09:00:00+00:00",
            "00000000-0000-0000-0000-000000000000",
        ],
        {"version": 1},
        [[[[[[[[[[1]]]]]]]]]],
        None,
        10**100,
        "cursor",
    ],
)
def test_a_signed_payload_of_a_wrong_shape_is_422_not_500(
    client: TestClient[Any], world: World, document: object
) -> None:
    assert_foreign(listed(client, world, signed(world, json.dumps(document).encode())))


def test_a_signed_payload_that_is_not_json_is_422(client: TestClient[Any], world: World) -> None:
    for payload in (b"\xff\xfe", b"[1,", b"[" * 300, b"NaN", b"\x00"):
        assert_foreign(listed(client, world, signed(world, payload)))


json_documents = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=6) | st.dictionaries(st.text(max_size=5), children, max_size=4)
    ),
    max_leaves=20,
)


def test_any_signed_json_is_a_page_or_a_422() -> None:
    world = make_world(InMemoryStore().unit_of_work)
    with TestClient(create_app(world.services)) as client:

        @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
        @given(
            st.one_of(
                json_documents,
                st.tuples(
                    st.just(2),
                    st.just(f"entries:{world.org.id}"),
                    st.sampled_from(["asc", "desc"]),
                    st.text(max_size=12) | st.dates().map(str),
                    st.text(max_size=40) | st.datetimes().map(lambda value: value.isoformat() + "+00:00"),
                    st.text(max_size=40) | st.uuids().map(str),
                ).map(list),
            )
        )
        @example(
            [
                2,
                f"entries:{world.org.id}",
                "asc",
                "9999-12-31",
                "9999-12-31T23:59:59.999999+00:00",
                "00000000-0000-0000-0000-000000000000",
            ]
        )
        def check(document: object) -> None:
            response = listed(client, world, signed(world, json.dumps(document).encode()))
            assert response.status_code in (200, 422), response.text
            if response.status_code == 422:
                assert set(response.json()["error"]["fields"]) == {"cursor"}

        check()


def test_a_cursor_of_another_organization_is_refused(client: TestClient[Any], world: World) -> None:
    """An entry-list cursor is a position in its organization's list: in another organization's it
    would name no place (and skip or repeat that organization's entries), so it is refused there as
    a cursor this API did not return, while another manager of its own organization may go on."""
    other = world.services.admin.bootstrap(
        org_name="Other", plan=world.org.plan, email="owner@other.test", env="live"
    )
    theirs = bearer(other.token.plaintext)
    for day in ("2026-03-02", "2026-03-03"):
        body = {"projectId": str(other.project.id), "entryDate": day, "duration": "1h"}
        assert client.post("/time-entries", json=body, headers=theirs).status_code == 201
    foreign = client.get("/time-entries", params={"limit": "1"}, headers=theirs).json()["nextCursor"]
    ours = issued_cursor(client, world)

    assert_foreign(listed(client, world, foreign))
    elsewhere = client.get("/time-entries", params={"limit": "1", "cursor": ours}, headers=theirs)
    assert_foreign(elsewhere)
    at_home = client.get(
        "/time-entries", params={"limit": "1", "cursor": ours}, headers=bearer(world.admin_token)
    )
    assert at_home.status_code == 200, at_home.text
    assert [entry["entryDate"] for entry in at_home.json()["data"]] == ["2026-03-03"]


def test_a_cursor_of_another_listing_is_refused(client: TestClient[Any], world: World) -> None:
    """The listing a cursor names is checked as a whole: another organization's, an entry's history,
    the audit trail, a listing without its organization are each a foreign cursor."""
    position = ["asc", "2026-03-02", "2026-03-02T09:00:00+00:00", "00000000-0000-0000-0000-000000000000"]
    ours = signed(world, json.dumps([2, f"entries:{world.org.id}", *position]).encode())
    assert listed(client, world, ours).status_code == 200
    for listing in (
        f"entries:{world.project.id}",
        f"entries:{str(world.org.id).upper()}",
        "entries",
        f"audit:{world.org.id}",
        f"history:{world.org.id}",
    ):
        assert_foreign(listed(client, world, signed(world, json.dumps([2, listing, *position]).encode())))


def test_a_cursor_issued_before_cursors_named_their_organization_asks_to_start_again(
    client: TestClient[Any], world: World
) -> None:
    """A client that pages through an upgrade holds a cursor of the first form (signed, with no
    organization): it cannot be told apart from another organization's, so it is refused, with a
    message that says what to do rather than that the client edited it."""
    position = ["2026-03-02", "2026-03-02T09:00:00+00:00", "00000000-0000-0000-0000-000000000000"]
    for order, sort in (("asc", "entryDate"), ("desc", "-entryDate")):
        old = signed(world, json.dumps([1, order, *position], separators=(",", ":")).encode())
        response = listed(client, world, old, sort=sort)
        assert response.status_code == 422, response.text
        assert response.json()["error"]["fields"] == {
            "cursor": "was returned before this server was upgraded; start again from the first page"
        }
