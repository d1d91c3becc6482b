"""A week cell whose save the server refuses (4xx, 5xx) or never receives, in Debian's Chromium
against a real ``hours serve``: the cell says why (``role="alert"``), keeps what was typed and is
marked unsaved; Enter sends it again. (The report's finding 3: a stale CSRF token's 403 was dropped
silently, and the typed time was lost.)"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser_support import CHROMIUM_ARGS, require_chromium, require_playwright
from tests.server_support import Server, served

WEEK = "2026-03-02"
DAY = "2026-03-03"
"""A Tuesday of the week shown: no entry, no lock."""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with served(tmp_path_factory.mktemp("refused")) as running:
        yield running


@pytest.fixture
def context(server: Server) -> Iterator[Any]:
    playwright = require_playwright()
    chromium = require_chromium()
    with playwright.sync_playwright() as browsers:
        browser = browsers.chromium.launch(executable_path=chromium, args=list(CHROMIUM_ARGS))
        try:
            yield browser.new_context(viewport={"width": 1280, "height": 900})
        finally:
            browser.close()


def sign_in(page: Any, server: Server) -> None:
    page.goto(server.base_url + "/app/sign-in")
    page.get_by_label("Email").fill("owner@example.com")
    page.get_by_label("Password").fill(server.demo["password"])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(server.base_url + "/app/week")


def cell_of(page: Any, server: Server, day: str = DAY) -> Any:
    return page.locator(f'input[name="d.{server.demo["projectId"]}.-.{day}"]')


def refusal_of(page: Any, cell: Any) -> str:
    """The alert the cell shows once its save failed."""
    td = cell.locator("xpath=ancestor::td[1]")
    alert = td.locator("[role=alert]")
    alert.wait_for()
    assert "unsaved" in (td.get_attribute("class") or "")
    assert cell.get_attribute("aria-invalid") == "true"
    assert cell.get_attribute("aria-describedby") == alert.get_attribute("id")
    return str(alert.inner_text())


@pytest.mark.slow
def test_a_save_refused_for_a_stale_csrf_token_says_to_reload_and_keeps_the_text(
    server: Server, context: Any
) -> None:
    page = context.new_page()
    sign_in(page, server)
    page.goto(f"{server.base_url}/app/week?week={WEEK}")
    sign_in(context.new_page(), server)  # another tab: a new session, with a new CSRF token

    answers: list[int] = []
    page.on("response", lambda r: answers.append(r.status) if r.url.endswith("/app/week/cell") else None)
    cell = cell_of(page, server)
    cell.fill("2h")
    page.keyboard.press("Tab")

    assert "Reload the page" in refusal_of(page, cell)
    assert answers == [403]
    assert cell.input_value() == "2h"
    assert page.locator("#week-total").inner_text() == "0:00"


@pytest.mark.slow
def test_a_save_that_never_reached_the_server_says_so_and_enter_sends_it_again(
    server: Server, context: Any
) -> None:
    page = context.new_page()
    sign_in(page, server)
    page.goto(f"{server.base_url}/app/week?week={WEEK}")
    page.route("**/app/week/cell", lambda route: route.abort())
    cell = cell_of(page, server, "2026-03-04")
    cell.fill("1:15")
    page.keyboard.press("Tab")

    assert "could not be reached" in refusal_of(page, cell)
    assert cell.input_value() == "1:15"

    page.unroute("**/app/week/cell")
    cell.press("Enter")
    page.locator("#week-total").filter(has_text=re.compile(r"^1:15$")).wait_for()
    # htmx swaps the totals (out of band) and the cell in turn: wait for the cell's swap too.
    page.locator("td.unsaved").wait_for(state="detached")
    saved = cell_of(page, server, "2026-03-04")
    assert saved.input_value() == "1:15"
    assert saved.get_attribute("aria-invalid") is None


@pytest.mark.slow
def test_a_save_the_server_refuses_shows_the_servers_reason(server: Server, context: Any) -> None:
    page = context.new_page()
    sign_in(page, server)
    page.goto(f"{server.base_url}/app/week?week={WEEK}")
    cell = cell_of(page, server, "2026-03-05")
    cell.fill("1" * 300_000)  # past the body limit: the server's 413 page
    page.keyboard.press("Tab")
    assert refusal_of(page, cell).startswith("Not saved: ")

    page.route(
        "**/app/week/cell",
        lambda route: route.fulfill(
            status=500,
            content_type="text/html",
            body='<main><div class="notice error" role="alert"><strong>Something went wrong on our '
            "side; the error is logged. Try again.</strong></div></main>",
        ),
    )
    cell.fill("3h")
    page.keyboard.press("Tab")
    text = refusal_of(page, cell)
    assert text == (
        "Not saved: Something went wrong on our side; the error is logged. Try again. "
        "Press Enter in the cell to try again."
    )
    assert page.locator(".cell-error").count() == 1  # the 413's message was replaced, not added to
    assert cell.input_value() == "3h"
