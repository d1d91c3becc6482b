"""A web app address spelled with a run of slashes (``//app/week``) reaches the web app, as the
API serves ``//time-entries`` as ``/time-entries``: the server's dispatcher read the raw path, so
``//app/week`` went to the API's 404. The web app answers it with a redirect to the address with
one slash (308, which keeps the method and the body): the session cookie's path is ``/app``, so
a browser sends it to ``/app/week``, not to ``//app/week``."""

from __future__ import annotations

import json
import uuid

import pytest

from hours_app.mount import WebAndApi
from hours_http import create_app
from hours_http.request_id import request_id_of
from hours_memory import InMemoryStore
from hours_web import create_web_app
from tests.asgi_support import call
from tests.world import make_world


@pytest.fixture(scope="module")
def site() -> WebAndApi:
    world = make_world(InMemoryStore().unit_of_work)
    web = create_web_app(world.services, request_id=request_id_of)
    return WebAndApi(api=create_app(world.services), web=web)


@pytest.mark.parametrize(
    ("path", "query", "location"),
    [
        ("//app/week", b"week=2026-03-02", b"/app/week?week=2026-03-02"),
        ("//app", b"", b"/app"),
        ("//", b"", b"/"),
        ("///app//entries//", b"from=2026-03-02&to=", b"/app/entries?from=2026-03-02&to="),
        ("/app//settings/api", b"", b"/app/settings/api"),
        ("//app/static/web.css", b"", b"/app/static/web.css"),
    ],
)
@pytest.mark.parametrize("method", ["GET", "HEAD", "POST"])
def test_a_web_address_with_doubled_slashes_redirects_to_the_one_with_single_slashes(
    site: WebAndApi, method: str, path: str, query: bytes, location: bytes
) -> None:
    status, headers, body = call(site, method, path, [], query=query)

    assert status == 308, body
    assert headers[b"location"] == location
    assert uuid.UUID(headers[b"x-request-id"].decode())
    assert headers[b"cache-control"] == b"no-store"


def test_the_redirect_keeps_an_escaped_character_of_the_address(site: WebAndApi) -> None:
    scope_path = "//app/static/a b.css"
    status, headers, _ = call(site, "GET", scope_path, [])

    assert status == 308 and headers[b"location"] == b"/app/static/a%20b.css"


@pytest.mark.parametrize("path", ["//time-entries", "//evil.example/app/week", "//application"])
def test_every_other_address_with_doubled_slashes_stays_the_api_s(site: WebAndApi, path: str) -> None:
    status, headers, body = call(site, "GET", path, [])

    assert status in (401, 404), body
    assert b"location" not in headers
    assert "error" in json.loads(body)
