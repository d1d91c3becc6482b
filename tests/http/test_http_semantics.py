"""HEAD on every GET route, content codings refused, and answers that no shared cache keeps."""

from __future__ import annotations

import asyncio
import gzip
import json
import string
import uuid
from typing import Any

import pytest
from litestar.testing import TestClient

from hours_app.mount import WebAndApi
from hours_core.services import CreateTimeEntry, StartTimer
from hours_http import create_app
from hours_http.transport import HttpSemantics
from hours_memory import InMemoryStore
from hours_web import create_web_app
from tests.asgi_support import call as asgi_call
from tests.http.conftest import bearer
from tests.world import World, make_world


def get_paths(client: TestClient[Any], world: World) -> list[str]:
    """A path for every GET route of the app, with ids that exist."""
    owner = world.caller(world.owner)
    entry = world.services.entries.create_time_entry(
        owner,
        CreateTimeEntry(project_id=world.project.id, entry_date=world.clock.now().date(), duration="1h"),
    )
    world.services.entries.start_timer(owner, StartTimer(project_id=world.project.id))
    ids = {
        "entry_id": str(entry.id),
        "project_id": str(world.project.id),
        "user_id": str(world.member.id),
        "file_path": "hours-scalar.css",
        "path": "openapi.json",
    }
    paths = []
    for route in client.app.routes:
        if "GET" in route.methods:
            # Ids the world has no row for (a client, a rate, a webhook, ...) get a fresh UUID: GET
            # and HEAD then agree on 404.
            names = {name for _, name, _, _ in string.Formatter().parse(route.path_format) if name}
            known = {name: ids.get(name, str(uuid.uuid4())) for name in names}
            paths.append(route.path_format.format(**known))
    return paths


def test_head_answers_every_get_route_with_its_headers_and_no_body(
    client: TestClient[Any], world: World
) -> None:
    headers = bearer(world.owner_token)
    paths = get_paths(client, world)
    assert "/health" in paths and "/me" in paths and len(paths) >= 15
    for path in paths:
        got = client.get(path, headers=headers)
        head = client.head(path, headers=headers)
        assert head.status_code == got.status_code, path
        assert got.status_code < 500, path  # some reads need query parameters: their 422 is HEAD's too
        assert head.content == b"", path
        assert head.headers.get("content-length") == got.headers.get("content-length"), path
        assert head.headers.get("content-type") == got.headers.get("content-type"), path
        assert head.headers.get("cache-control") == got.headers.get("cache-control"), path


def test_head_without_a_token_is_401_without_a_body(client: TestClient[Any]) -> None:
    response = client.head("/me")
    assert response.status_code == 401 and response.content == b""
    assert client.head("/health").status_code == 200


def test_head_where_there_is_no_get_is_405_and_allow_lists_head(
    client: TestClient[Any], world: World
) -> None:
    response = client.head("/timers/current/stop", headers=bearer(world.owner_token))
    assert response.status_code == 405 and response.content == b""
    assert client.options("/me", headers=bearer(world.owner_token)).headers["allow"] == "GET, HEAD, OPTIONS"
    put = client.put("/me", headers=bearer(world.owner_token))
    assert put.status_code == 405
    assert put.headers["allow"] == "GET, HEAD, OPTIONS"


@pytest.mark.parametrize("coding", ["gzip", "deflate", "br", "x-custom", "identity, gzip", "GZIP"])
def test_a_content_encoding_hours_does_not_decode_is_415(
    client: TestClient[Any], world: World, coding: str
) -> None:
    body = json.dumps(
        {"projectId": str(world.project.id), "entryDate": "2026-03-02", "duration": "1h"}
    ).encode()
    for sent in (body, gzip.compress(body)):
        response = client.post(
            "/time-entries",
            content=sent,
            headers={
                **bearer(world.owner_token),
                "Content-Type": "application/json",
                "Content-Encoding": coding,
            },
        )
        assert response.status_code == 415
        assert response.headers["cache-control"] == "private, no-store"  # as every answer of the route
        error = response.json()["error"]
        assert error["code"] == "unsupported_media_type"
        assert "Content-Encoding" in error["message"] and "identity" in error["message"]
    listed = client.get("/time-entries", headers=bearer(world.owner_token)).json()["data"]
    assert listed == []


@pytest.mark.parametrize(
    "coding", ["gzip, chunked", "deflate,chunked", "x-custom, chunked", "identity, chunked"]
)
def test_a_transfer_coding_besides_chunked_is_415(client: TestClient[Any], world: World, coding: str) -> None:
    """The HTTP server undoes ``chunked`` only and hands the rest on: it must not be read as plain JSON."""
    body = json.dumps({"projectId": str(world.project.id), "entryDate": "2026-03-02", "duration": "1h"})
    response = client.post(
        "/time-entries",
        content=body.encode(),
        headers={
            **bearer(world.owner_token),
            "Content-Type": "application/json",
            "Transfer-Encoding": coding,
        },
    )

    assert response.status_code == 415
    error = response.json()["error"]
    assert error["code"] == "unsupported_media_type" and "Transfer-Encoding" in error["message"]
    assert client.get("/time-entries", headers=bearer(world.owner_token)).json()["data"] == []


def test_identity_is_the_one_content_encoding_accepted(client: TestClient[Any], world: World) -> None:
    body = {"projectId": str(world.project.id), "entryDate": "2026-03-02", "duration": "1h"}
    response = client.post(
        "/time-entries", json=body, headers={**bearer(world.owner_token), "Content-Encoding": "identity"}
    )
    assert response.status_code == 201


def test_a_new_tokens_secret_and_every_authenticated_answer_are_not_stored(
    client: TestClient[Any], world: World
) -> None:
    headers = bearer(world.owner_token)
    created = client.post("/tokens", json={"name": "ci"}, headers=headers)
    assert created.status_code == 201
    assert created.headers["cache-control"] == "private, no-store"
    keyed = {**headers, "Idempotency-Key": str(uuid.uuid4())}
    body = {"projectId": str(world.project.id), "entryDate": "2026-03-02", "duration": "1h"}
    first = client.post("/time-entries", json=body, headers=keyed)
    replay = client.post("/time-entries", json=body, headers=keyed)
    for response in (
        first,
        replay,
        client.get("/me", headers=headers),
        client.get("/time-entries", headers=headers),
        client.get("/me"),  # a 401 too
        client.get(f"/projects/{uuid.uuid4()}", headers=headers),
    ):
        assert response.headers["cache-control"] == "private, no-store", response.request.url
    assert replay.headers["idempotent-replayed"] == "true"
    assert "private" not in client.get("/health").headers.get("cache-control", "")
    assert client.get("/schema/assets/hours-scalar.css").headers["cache-control"].endswith("immutable")


def test_a_refused_header_on_a_public_path_keeps_plain_no_store(client: TestClient[Any]) -> None:
    response = client.get("/health", headers={"Content-Encoding": "gzip"})
    assert response.status_code == 415 and response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize(
    ("sent", "seen"),
    [
        ([(b"if-match", b'"9"'), (b"if-match", b'"1"')], [(b"if-match", b'"9", "1"')]),
        (
            [(b"if-none-match", b'"9"'), (b"x-other", b"a"), (b"if-none-match", b'W/"1", "2"')],
            [(b"if-none-match", b'"9", W/"1", "2"'), (b"x-other", b"a")],
        ),
        (
            [(b"if-match", b'"1"'), (b"if-none-match", b'"2"')],
            [(b"if-match", b'"1"'), (b"if-none-match", b'"2"')],
        ),
        ([(b"if-match", b'"1"')], [(b"if-match", b'"1"')]),
    ],
    ids=["if-match twice", "if-none-match twice", "one of each", "once"],
)
def test_the_field_lines_of_a_precondition_header_are_one_list(
    sent: list[tuple[bytes, bytes]], seen: list[tuple[bytes, bytes]]
) -> None:
    """RFC 9110 (5.3): several lines of a list field are one list. Before, the framework read the
    first line only, so a version named on a later line never matched (412, or 200 for a 304)."""
    received: list[Any] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        received.append(scope["headers"])

    async def receive() -> Any:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Any) -> None:
        raise AssertionError(message)

    scope = {"type": "http", "method": "GET", "path": "/projects", "headers": [(b"host", b"h"), *sent]}
    asyncio.run(HttpSemantics(app)(scope, receive, send))

    assert received == [[(b"host", b"h"), *seen]]


def test_a_token_sent_where_a_name_or_value_goes_never_comes_back_in_an_error_body(
    client: TestClient[Any], world: World
) -> None:
    """Issue 7: token plaintext never reaches an error body, not even the token a client put where
    a field's or a parameter's name goes (the 422 names each one it refuses)."""
    token = world.owner_token
    auth = bearer(token)
    entry = {"projectId": str(world.project.id), "entryDate": "2026-03-02", "duration": "1h"}
    answers = [
        client.post("/time-entries", json={**entry, token: 1}, headers=auth),
        client.get(f"/time-entries?{token}=1", headers=auth),
        client.get(f"/time-entries?{token.replace('_', '%255F')}=1", headers=auth),  # %5F once read
        client.post(
            "/time-entries/batch",
            json={"atomic": True, "operations": [{"op": "create", "body": {**entry, token: 1}}]},
            headers={**auth, "Idempotency-Key": str(uuid.uuid4())},
        ),
    ]
    for answer in answers:
        assert answer.status_code == 422, answer.text
        assert token not in answer.text and token.split("_")[3] not in answer.text, answer.text
        assert "hsk_[redacted]" in answer.text


def test_options_asterisk_lists_every_method_of_the_server_and_other_methods_on_it_are_400() -> None:
    """``OPTIONS *`` (RFC 9110, 9.3.7) asks about the server as a whole: it was 404 ``not_found``.
    Through the app ``hours serve`` serves, the web app and the API (a server hands ``*`` on as the path)."""
    world = make_world(InMemoryStore().unit_of_work)
    site = WebAndApi(api=create_app(world.services), web=create_web_app(world.services))

    status, headers, body = asgi_call(site, "OPTIONS", "*", [])

    assert (status, body) == (204, b"")
    assert headers[b"allow"] == b"DELETE, GET, HEAD, OPTIONS, PATCH, POST"
    assert uuid.UUID(headers[b"x-request-id"].decode())
    web_methods = {method for route in create_web_app(world.services).routes for method in route.methods}
    assert web_methods <= set(headers[b"allow"].decode().split(", "))  # the web app's are the API's too
    for method in ("GET", "POST", "HEAD", "DELETE"):
        status, headers, body = asgi_call(site, method, "*", [])
        assert status == 400, method
        if method != "HEAD":
            assert json.loads(body)["error"] == {
                "code": "bad_request",
                "message": "The request target * (the server as a whole) is for OPTIONS only; name a path, "
                "such as /health.",
            }


@pytest.fixture(scope="module")
def bare_api() -> Any:
    """The API over an in-memory world, as an ASGI app (one for the module: it is not written to)."""
    return create_app(make_world(InMemoryStore().unit_of_work).services)


@pytest.mark.parametrize("path", ["/health", "/health/", "//health", "/health//", "///health"])
@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_every_spelling_of_health_the_router_serves_is_answered_alike_and_never_stored(
    bare_api: Any, path: str, method: str
) -> None:
    """The router serves ``/health/`` and ``//health`` as ``/health`` (it trims and joins slashes),
    but the layer before it read them as paths that need a token: ``private, no-store`` on them, and
    no ``Cache-Control`` on ``/health``, which a cache may keep (an "ok" of a server now down)."""
    status, headers, body = asgi_call(bare_api, method, path, [])

    assert status == 200 and body == (b"" if method == "HEAD" else b'{"data":{"status":"ok"}}')
    assert headers[b"cache-control"] == b"no-store"


@pytest.mark.parametrize("path", ["/schema", "//schema", "/schema/", "//schema//swagger"])
def test_every_spelling_of_the_reference_the_router_serves_carries_its_headers(
    bare_api: Any, path: str
) -> None:
    """``//schema`` was served without the reference's headers (framing allowed): its spelling is
    not ``/schema``, though the router served it as that."""
    status, headers, _ = asgi_call(bare_api, "GET", path, [])

    assert status == 200
    assert (
        headers[b"content-security-policy"] == b"frame-ancestors 'none'"
        and headers[b"x-frame-options"] == b"DENY"
    )
    assert b"cache-control" not in headers
