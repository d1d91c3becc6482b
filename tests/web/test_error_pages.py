"""Error pages are titled by their status and keep a signed-in person's navigation."""

from __future__ import annotations

import re
from typing import Any

import pytest
from litestar.testing import TestClient

from tests.world import World

from .conftest import csrf_of

NAV = '<nav aria-label="Main">'
SIGN_OUT = "Sign out</button>"


def title_of(html: str) -> str:
    found = re.search(r"<title>(.*?)</title>", html)
    assert found is not None
    return found.group(1)


def test_an_error_after_the_person_is_known_has_the_status_title_and_the_whole_header(
    owner: TestClient, world: World
) -> None:
    missing = owner.get("/app/entries/01900000-0000-7000-8000-000000000000/edit")
    refused = owner.post("/app/week", data={"csrf": csrf_of(owner.get("/app/week").text), "week": "someday"})

    assert missing.status_code == 404 and title_of(missing.text) == "Not found · hours"
    assert refused.status_code == 422 and title_of(refused.text) == "Not valid · hours"
    for page in (missing, refused):
        assert NAV in page.text and SIGN_OUT in page.text and world.owner.name in page.text
        assert 'hx-headers=\'{"X-CSRF-Token"' in page.text  # the header's forms work as on any page


def test_an_address_no_page_has_is_not_found_with_the_links_for_a_session(
    owner: TestClient, browser: TestClient
) -> None:
    page = owner.get("/app/nowhere")

    assert page.status_code == 404 and title_of(page.text) == "Not found · hours"
    assert "There is no page or file at this address." in page.text
    assert NAV in page.text and SIGN_OUT not in page.text  # the session is not looked up again
    owner.cookies.clear()
    stranger = owner.get("/app/nowhere")
    assert stranger.status_code == 404 and NAV not in stranger.text


@pytest.mark.parametrize("path", ["/app/static/nope.js", "/app/static/htmx.org@2.0.11/nope.js"])
def test_a_missing_static_file_is_not_found_in_the_apps_words(owner: TestClient, path: str) -> None:
    page = owner.get(path)

    assert page.status_code == 404 and title_of(page.text) == "Not found · hours"
    assert "There is no page or file at this address." in page.text
    assert "no file or directory" not in page.text


def test_other_statuses_are_titled_by_their_phrase(owner: TestClient) -> None:
    assert title_of(owner.put("/app/week").text) == "Method not allowed · hours"
    stale = owner.post("/app/week", data={"csrf": "stale"})
    assert stale.status_code == 403 and title_of(stale.text) == "Not allowed · hours"


def test_the_500_page_keeps_the_signed_in_header(
    owner: TestClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("the store fell over")

    monkeypatch.setattr(world.services.entries, "list_time_entries", broken)
    page = owner.get("/app/week")

    assert page.status_code == 500 and title_of(page.text) == "Something went wrong · hours"
    assert NAV in page.text and SIGN_OUT in page.text
