"""The web app through Litestar's TestClient, over the in-memory store and a test world."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from litestar.testing import TestClient

from hours_memory import InMemoryStore
from hours_web import LoginThrottle, create_web_app
from tests.world import World, make_world

BASE_URL = "http://127.0.0.1:8000"
"""Plain HTTP to a loopback host: the one place the session cookie is not ``Secure``."""

_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@pytest.fixture
def world() -> World:
    return make_world(InMemoryStore().unit_of_work)


@pytest.fixture
def throttle() -> LoginThrottle:
    return LoginThrottle()


@pytest.fixture
def browser(world: World, throttle: LoginThrottle) -> Iterator[TestClient]:  # type: ignore[type-arg]
    """A client of the web app that keeps cookies, not yet signed in."""
    with TestClient(create_web_app(world.services, throttle=throttle), base_url=BASE_URL) as client:
        yield client


def csrf_of(html: str) -> str:
    """The CSRF token of the first form on a page."""
    found = _CSRF.search(html)
    assert found is not None, "the page has no form with a CSRF token"
    return found.group(1)


def sign_in(client: TestClient, email: str, password: str) -> object:  # type: ignore[type-arg]
    """Sign in through the form; the response of the POST (not followed)."""
    form = client.get("/app/sign-in")
    return client.post(
        "/app/sign-in",
        data={"email": email, "password": password, "csrf": csrf_of(form.text)},
        follow_redirects=False,
    )


@pytest.fixture
def owner(browser: TestClient, world: World) -> TestClient:  # type: ignore[type-arg]
    """The browser, signed in as the world's owner."""
    response = sign_in(browser, world.owner.email, world.owner_password)
    assert response.status_code == 303  # type: ignore[attr-defined]
    return browser
