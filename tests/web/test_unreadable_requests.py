"""What the web app refuses before any page reads a request, as the API refuses it: a query string
that is not UTF-8, ``Content-Type`` sent twice (round 7 re-check), a compressed form."""

from __future__ import annotations

import pytest
from litestar.testing import TestClient

from tests.asgi_support import call
from tests.world import World

from .conftest import csrf_of


@pytest.mark.parametrize("query", ["from=%FF", "from=%ED%A0%80", "x=%C3", "%FF=1"])
@pytest.mark.parametrize("path", ["/app/entries", "/app/reports", "/app/week", "/app/settings/api"])
def test_a_query_that_is_not_utf8_is_a_400_page_naming_it(owner: TestClient, path: str, query: str) -> None:
    """Before, the framework read each bad byte as U+FFFD: `from=%FF` and `from=%EF%BF%BD` gave one page."""
    response = owner.get(f"{path}?{query}")
    assert response.status_code == 400
    assert "The address holds text that is not UTF-8" in response.text


def test_a_query_in_utf8_is_read(owner: TestClient) -> None:
    assert owner.get("/app/entries?from=2026-03-01&to=2026-03-31").status_code == 200


def test_a_form_sent_with_two_content_types_saves_nothing(owner: TestClient, world: World) -> None:
    """Straight through the app: the test client joins two header lines into one."""
    csrf = csrf_of(owner.get("/app/settings/projects").text)
    cookie = "; ".join(f"{name}={value}" for name, value in owner.cookies.items()).encode()
    form = (b"content-type", b"application/x-www-form-urlencoded")
    for second in (b"text/plain", b"application/x-www-form-urlencoded"):
        for headers in ([form, (b"content-type", second)], [(b"content-type", second), form]):
            status, _, page = call(
                owner.app,
                "POST",
                "/app/settings/projects/clients",
                [(b"cookie", cookie), *headers],
                f"csrf={csrf}&name=Twice+Co&currency=EUR".encode(),
            )
            assert status == 400, page
            assert b"two Content-Type headers" in page
    listed = world.services.clients.list_clients(world.caller(world.owner))
    assert "Twice Co" not in [client.name for client in listed]
    status, _, _ = call(
        owner.app,
        "POST",
        "/app/settings/projects/clients",
        [(b"cookie", cookie), form],
        f"csrf={csrf}&name=Twice+Co&currency=EUR".encode(),
    )
    assert status == 303
