"""Query values and path ids in exactly their documented forms; security headers sent once."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from litestar.datastructures import MultiDict
from litestar.testing import TestClient

from hours_core.query_text import not_utf8_parameters
from hours_http import create_app
from hours_http.errors import MAX_LISTED_FIELDS
from hours_memory import InMemoryStore
from tests.asgi_support import call
from tests.http.conftest import bearer
from tests.world import World, make_world


def test_the_query_is_read_once_however_many_parameters_it_has(
    client: TestClient[Any], world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The framework builds its multi-dict of the query anew at each access: read once per name, 12,000
    # unknown names (a 55 KB query) took 3.5 s of the event loop for one request, every client waiting.
    built: list[object] = []
    original = MultiDict.__init__

    def counting(self: MultiDict[Any], *args: Any) -> None:
        built.append(self)
        original(self, *args)

    monkeypatch.setattr(MultiDict, "__init__", counting)

    def multi_dicts_built(count: int) -> int:
        built.clear()
        query = "&".join(f"p{index}=1" for index in range(count))
        response = client.get(f"/time-entries?{query}&limit=1&limit=2", headers=bearer(world.owner_token))
        assert response.status_code == 422
        error = response.json()["error"]
        assert len(error["fields"]) == min(count + 1, MAX_LISTED_FIELDS)
        assert error["message"].startswith(f"{count + 1} fields are invalid: ")
        return len(built)

    assert multi_dicts_built(500) == multi_dicts_built(1)


@pytest.mark.parametrize("value", ["2.0", "1e2", "+1", " 1", "1 ", "01", "0x10", "1_0", "١", "10.", "-1"])
def test_a_query_integer_is_plain_decimal_digits(client: TestClient[Any], world: World, value: str) -> None:
    response = client.get("/time-entries", params={"limit": value}, headers=bearer(world.owner_token))
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {"limit": "must be an integer from 1 to 500"}


@pytest.mark.parametrize("value", ["TRUE", "True", "1", "0", "yes", "on", "t", " true", "false "])
def test_a_query_boolean_is_true_or_false(client: TestClient[Any], world: World, value: str) -> None:
    for name in ("billable", "invoiced", "running", "includeDeleted"):
        response = client.get("/time-entries", params={name: value}, headers=bearer(world.owner_token))
        assert response.status_code == 422
        assert response.json()["error"]["fields"] == {name: "must be true or false"}


def test_the_documented_forms_are_accepted(client: TestClient[Any], world: World) -> None:
    params = {
        "limit": "500",
        "billable": "false",
        "includeDeleted": "true",
        "projectId": str(world.project.id).upper(),
        "from": "2026-03-01",
    }
    response = client.get("/time-entries", params=params, headers=bearer(world.owner_token))
    assert response.status_code == 200, response.text


def loose_forms(value: uuid.UUID) -> list[str]:
    return [value.hex, "{" + str(value) + "}", f"urn:uuid:{value}", value.hex.upper(), f" {value}"]


def test_a_query_id_is_a_hyphenated_uuid(client: TestClient[Any], world: World) -> None:
    for form in loose_forms(world.project.id):
        response = client.get("/time-entries", params={"projectId": form}, headers=bearer(world.owner_token))
        assert response.status_code == 422, form
        assert response.json()["error"]["fields"] == {
            "projectId": "must be a UUID such as 5a8591dd-4039-49df-9202-96385ba3eff8"
        }


def test_a_path_id_in_another_form_matches_no_route(client: TestClient[Any], world: World) -> None:
    headers = bearer(world.owner_token)
    for form in loose_forms(world.project.id)[:4]:
        for method, path in (
            ("GET", f"/projects/{form}"),
            ("PATCH", f"/projects/{form}"),
            ("GET", f"/projects/{form}/tasks"),
            ("GET", f"/users/{form.replace(world.project.id.hex, world.member.id.hex)}"),
        ):
            response = client.request(method, path, headers=headers, json={} if method == "PATCH" else None)
            assert response.status_code == 404, (method, path, response.text)
            assert response.json() == {
                "error": {"code": "not_found", "message": "There is no such resource."}
            }
    for form in (str(world.project.id), str(world.project.id).upper()):
        assert client.get(f"/projects/{form}", headers=headers).status_code == 200


def test_any_limit_text_is_a_page_or_a_422() -> None:
    world = make_world(InMemoryStore().unit_of_work)
    with TestClient(create_app(world.services)) as client:

        @settings(max_examples=100, deadline=None)
        @given(st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12))
        def check(text: str) -> None:
            response = client.get("/time-entries", params={"limit": text}, headers=bearer(world.owner_token))
            plain = text.isascii() and text.isdigit() and (text == "0" or not text.startswith("0"))
            if plain and 1 <= int(text) <= 500:
                assert response.status_code == 200
            else:
                assert response.status_code == 422
                assert response.json()["error"]["fields"] == {"limit": "must be an integer from 1 to 500"}

        check()


# -- repeated security headers: TestClient joins repeated headers, so these call the ASGI app --------


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ([(b"authorization", b"Bearer a"), (b"authorization", b"Bearer b")], 400),
        ([(b"content-encoding", b"gzip")], 415),
    ],
    ids=["a-repeated-authorization", "a-content-encoding"],
)
def test_head_refused_for_its_headers_answers_as_get_without_the_body(
    world: World, headers: list[tuple[bytes, bytes]], status: int
) -> None:
    app = create_app(world.services)
    got_status, got_headers, got_body = call(app, "GET", "/me", headers)
    head_status, head_headers, head_body = call(app, "HEAD", "/me", headers)
    assert got_status == head_status == status
    assert got_body and head_body == b""
    assert head_headers[b"content-length"] == got_headers[b"content-length"] == str(len(got_body)).encode()
    assert head_headers[b"x-request-id"]


@pytest.mark.parametrize(
    "second",
    [b"application/json", b"application/json; charset=latin-1", b"text/plain"],
    ids=["the-same", "another-charset", "another-type"],
)
@pytest.mark.parametrize("order", ["json-first", "json-last"])
def test_a_content_type_sent_twice_is_400_naming_it_and_stores_nothing(
    world: World, second: bytes, order: str
) -> None:
    """Round 7 (tester A): the framework read the first of two, where a proxy may read the last."""
    app = create_app(world.services)
    auth = (b"authorization", f"Bearer {world.owner_token}".encode())
    types = [(b"content-type", b"application/json"), (b"content-type", second)]
    if order == "json-last":
        types.reverse()
    body = f'{{"projectId": "{world.project.id}", "entryDate": "2026-03-02", "duration": "1h"}}'.encode()
    status, _, answer = call(app, "POST", "/time-entries", [auth, *types], body)
    assert status == 400
    assert b'"fields":{"Content-Type":"must be sent once"}' in answer
    listed, _, entries = call(app, "GET", "/time-entries", [auth])
    assert listed == 200 and b'"data":[]' in entries


@pytest.mark.parametrize(
    ("name", "method", "path"),
    [
        ("Authorization", "GET", "/me"),
        ("Idempotency-Key", "POST", "/time-entries"),
        ("Authorization", "GET", "/health"),
    ],
)
def test_a_security_header_sent_twice_is_400_naming_it(
    world: World, name: str, method: str, path: str
) -> None:
    app = create_app(world.services)
    auth = (b"authorization", f"Bearer {world.owner_token}".encode())
    key = (b"idempotency-key", str(uuid.uuid4()).encode())
    for second in (auth[1], b"Bearer hsk_live_other", b""):
        headers = [auth, key, (name.lower().encode(), second if name == "Authorization" else key[1])]
        status, response_headers, body = call(app, method, path, headers, b"{}")
        assert status == 400
        assert body == (
            b'{"error":{"code":"bad_request","message":"The '
            + name.encode()
            + b" header is sent more than once; "
            b'send it once.","fields":{"' + name.encode() + b'":"must be sent once"}}}'
        )
        assert response_headers[b"content-type"] == b"application/json"
    status, _, _ = call(app, "GET", "/me", [auth])
    assert status == 200


def an_entry_on_a_closed_day(client: TestClient[Any], world: World) -> str:
    """The id of an entry on 2026-03-02, a day then closed by a period lock."""
    created = client.post(
        "/time-entries",
        json={"projectId": str(world.project.id), "entryDate": "2026-03-02", "duration": "1h"},
        headers=bearer(world.owner_token),
    )
    locked = client.post(
        "/periods/lock", json={"through": "2026-03-31", "reason": "March"}, headers=bearer(world.owner_token)
    )
    assert created.status_code == 201 and locked.status_code == 200, locked.text
    entry_id: str = created.json()["data"]["id"]
    return entry_id


@pytest.mark.parametrize(
    "encoded",
    ["%FF%FE", "%ED%A0%80", "ok%C3", "%80", "%C0%AF"],
    ids=["ff-fe", "surrogate", "cut", "lone", "overlong"],
)
def test_a_query_value_that_is_not_utf8_is_422_naming_it_and_changes_nothing(
    client: TestClient[Any], world: World, encoded: str
) -> None:
    """Round 7 (tester A): the framework read each bad byte as U+FFFD, and a reason so sent was stored."""
    entry_id = an_entry_on_a_closed_day(client, world)
    response = client.delete(
        f"/time-entries/{entry_id}?overrideLock=true&reason={encoded}", headers=bearer(world.owner_token)
    )
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {"reason": "is not valid UTF-8 once percent-decoded"}
    assert client.get(f"/time-entries/{entry_id}", headers=bearer(world.owner_token)).status_code == 200


def test_a_query_text_in_utf8_percent_encoded_is_stored_as_sent(
    client: TestClient[Any], world: World
) -> None:
    entry_id = an_entry_on_a_closed_day(client, world)
    deleted = client.delete(
        f"/time-entries/{entry_id}?overrideLock=true&reason=%C3%96l+O%CC%88l+%F0%9F%98%80",
        headers=bearer(world.owner_token),
    )
    assert deleted.status_code == 204, deleted.text
    history = client.get(f"/time-entries/{entry_id}/history", headers=bearer(world.owner_token)).json()
    overrides = [
        event["changes"]["lockOverride"]["to"]
        for event in history["data"]
        if "lockOverride" in event["changes"]
    ]
    assert overrides == ["\u00d6l O\u0308l \U0001f600"]


def test_a_parameter_name_spelled_with_escapes_is_read_decoded(client: TestClient[Any], world: World) -> None:
    response = client.get("/time-entries?limit=5&%6C%69mit2=x", headers=bearer(world.owner_token))
    assert response.json()["error"]["fields"] == {"limit2": "is not a query parameter of this endpoint"}


QUERY_BYTES = st.lists(
    st.sampled_from(
        [
            *(b"%", b"&", b"=", b"+", b"a", b"8", b"f", b"\xc3", b"\x96", b"\xff"),
            *(b"%80", b"%8f", b"%96", b"%9A", b"%C3", b"%e2", b"%82", b"%FF", b"%7F", b"%41", b"%2B"),
        ]
    ),
    max_size=24,
).map(b"".join)


@given(QUERY_BYTES)
def test_a_query_string_is_refused_exactly_when_a_part_decodes_to_no_utf8(query: bytes) -> None:
    """The fast path (ASCII with no escape past %7F) and the full reading agree on every query string."""
    from urllib.parse import unquote_to_bytes

    def decodes(part: bytes) -> bool:
        try:
            unquote_to_bytes(part.replace(b"+", b" ")).decode("utf-8")
        except UnicodeDecodeError:
            return False
        return True

    every_part_decodes = all(
        decodes(part) for pair in query.split(b"&") for part in pair.partition(b"=")[::2]
    )
    assert (not_utf8_parameters(query) == {}) == every_part_decodes


def test_parameter_names_that_are_not_utf8_are_each_named_as_sent(
    client: TestClient[Any], world: World
) -> None:
    """Round 7 re-check: both became one field named with a replacement character."""
    response = client.get("/time-entries?%FF=1&%FE=2&x%3D%FF=3&limit=5", headers=bearer(world.owner_token))
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {
        "%FF": "is not valid UTF-8 once percent-decoded",
        "%FE": "is not valid UTF-8 once percent-decoded",
        "x%3D%FF": "is not valid UTF-8 once percent-decoded",
    }


INSTANT_MESSAGE = "must be an RFC 3339 date-time with an offset, such as 2019-08-24T14:15:22Z"


@pytest.mark.parametrize("path", ["/time-entries", "/time-entries/export"])
def test_a_wrong_updated_since_is_reported_with_every_other_wrong_parameter(
    client: TestClient[Any], world: World, path: str
) -> None:
    """`updatedSince` is text read as an instant: a wrong one is named with the other wrong
    parameters (docs/api.md, "Query parameters"), not alone once they are right."""
    response = client.get(
        path, params={"updatedSince": "yesterday", "billable": "yes"}, headers=bearer(world.owner_token)
    )
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {
        "updatedSince": INSTANT_MESSAGE,
        "billable": "must be true or false",
    }


@pytest.mark.parametrize("path", ["/time-entries/overlaps", "/reports/time"])
def test_a_missing_required_date_is_reported_with_a_wrong_parameter(
    client: TestClient[Any], world: World, path: str
) -> None:
    """`from` and `to` are required, and checked by the use case; when another parameter is wrong,
    the check of the parameters names a missing one too, with the use case's message."""
    refused = client.get(path, params={"to": "2026-13-01"}, headers=bearer(world.owner_token))
    missing_only = client.get(path, params={"to": "2026-03-01"}, headers=bearer(world.owner_token))

    assert refused.status_code == 422
    fields = refused.json()["error"]["fields"]
    assert set(fields) == {"from", "to"}
    assert fields["from"] == "is required: a date such as 2024-01-31"
    assert missing_only.status_code == 422
    assert missing_only.json()["error"]["fields"] == {"from": "is required: a date such as 2024-01-31"}
