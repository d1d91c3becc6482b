"""The whole journey in Debian's Chromium against a real ``hours serve``: sign in, log 1:30 in the
week grid, start and stop a timer, see the report's total change, create a token and use it against the JSON API, revoke it and see
the API refuse it, sign out. Every page is screenshotted into the test's folder (with
``HOURS_UPDATE_SCREENSHOTS=1``, also into ``docs/screenshots/`` for the README); every request off
the server is refused and recorded, every form control must have a label, and the pages must fit a
phone's width, and the console must stay free of errors (the Content-Security-Policy included).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.browser_support import CHROMIUM_ARGS, require_chromium, require_playwright
from tests.server_support import Server, request, served

REPOSITORY = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPOSITORY / "docs" / "screenshots"
PHONE = {"width": 390, "height": 844}
PAGES = ("/app/entries", "/app/reports", "/app/settings/api", "/app/settings/projects", "/app/week")
"""The pages checked at a phone's width (the week last: its screenshot follows)."""

UNLABELLED = """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
    .filter(el => el.labels.length === 0 && !el.getAttribute('aria-label'))
    .map(el => el.outerHTML)"""
OVERFLOW = "() => document.documentElement.scrollWidth - window.innerWidth"
WIDE = """() => [...document.querySelectorAll("body *")].filter(e => !e.closest(".scroll") && e.getBoundingClientRect().right > window.innerWidth + 1).slice(0, 8).map(e => e.tagName + "." + e.className + " " + Math.round(e.getBoundingClientRect().right))"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with served(tmp_path_factory.mktemp("web")) as running:
        yield running


class Camera:
    """Screenshots of each page, into the test's folder (and docs/screenshots/ when asked)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.keep = os.environ.get("HOURS_UPDATE_SCREENSHOTS") == "1"

    def shoot(self, page: Any, name: str) -> None:
        path = self.folder / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        assert path.stat().st_size > 0
        if self.keep:
            SCREENSHOTS.mkdir(exist_ok=True)
            shutil.copyfile(path, SCREENSHOTS / path.name)


def check_page(page: Any) -> None:
    """Every control has a label, and nothing is wider than the window."""
    assert page.evaluate(UNLABELLED) == []
    assert page.evaluate(OVERFLOW) <= 0, page.evaluate(WIDE)


@pytest.mark.slow
def test_the_whole_journey_in_a_browser(server: Server, tmp_path: Path) -> None:
    chromium = require_chromium()
    playwright = require_playwright()
    camera = Camera(tmp_path)
    off_server: list[str] = []
    today = datetime.now(UTC).date()
    with playwright.sync_playwright() as browsers:
        browser = browsers.chromium.launch(executable_path=chromium, args=list(CHROMIUM_ARGS))
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})

            def only_the_server(route: Any) -> None:
                if route.request.url.startswith(server.base_url):
                    route.continue_()
                else:
                    off_server.append(route.request.url)
                    route.abort()

            page.route("**/*", only_the_server)
            console_errors: list[str] = []
            page.on(
                "console",
                lambda message: console_errors.append(message.text) if message.type == "error" else None,
            )

            # Sign in, by keyboard.
            page.goto(server.base_url + "/")
            assert page.url == server.base_url + "/app/sign-in"
            assert page.evaluate("document.activeElement.id") == "email"  # autofocus
            check_page(page)
            camera.shoot(page, "sign-in")
            page.keyboard.type("owner@example.com")
            page.keyboard.press("Tab")
            page.keyboard.type(server.demo["password"])
            page.keyboard.press("Enter")
            page.wait_for_url(server.base_url + "/app/week")
            page.keyboard.press("Tab")
            assert page.evaluate("document.activeElement.textContent") == "Skip to content"
            page.get_by_role("link", name="Reports").click()
            page.wait_for_url(re.compile(r".*/app/reports"))
            assert page.locator("#report-total").inner_text() == "0:00"
            page.get_by_role("link", name="Week").click()
            page.wait_for_url(server.base_url + "/app/week")

            # Log 1:30 in today's cell of the week grid: it saves when the cell loses focus.
            cell = page.get_by_label(f"My first project, {today.strftime('%A %-d %B')}")
            cell.fill("1:30")
            page.keyboard.press("Tab")
            page.locator("#week-total").filter(has_text=re.compile(r"^1:30$")).wait_for()
            assert page.locator(f"#day-total-{today.weekday()}").inner_text() == "1:30"
            # Enter saves a cell too, and only that cell (the week's form is not posted as well).
            other = today + timedelta(days=1 if today.weekday() < 6 else -1)
            page.get_by_label(f"My first project, {other.strftime('%A %-d %B')}").fill("30m")
            page.keyboard.press("Enter")
            page.locator("#week-total").filter(has_text=re.compile(r"^2:00$")).wait_for()
            assert page.url == server.base_url + "/app/week"
            check_page(page)
            camera.shoot(page, "week")

            # Start a timer, watch it count up, stop it.
            page.get_by_label("Note").fill("Writing the docs")
            page.get_by_role("button", name="Start").click()
            clock = page.get_by_role("timer")
            clock.wait_for()
            first = clock.inner_text()
            page.wait_for_function(
                "first => document.querySelector('[role=timer]').textContent !== first", arg=first
            )
            camera.shoot(page, "timer")
            page.get_by_role("button", name="Stop").click()
            page.get_by_role("button", name="Start").wait_for()
            assert re.fullmatch(
                r"2:00(:\d\d)?", page.locator("#week-total").inner_text()
            )  # and the timer's seconds

            # The report's total has changed.
            page.get_by_role("link", name="Reports").click()
            page.wait_for_url(re.compile(r".*/app/reports"))
            # The default range is this month so far: 1:30 and the timer's seconds today, and the 30m
            # of the other day when that day is in it.
            counted = "2:00" if today.replace(day=1) <= other <= today else "1:30"
            assert re.fullmatch(counted + r"(:\d\d)?", page.locator("#report-total").inner_text())
            check_page(page)
            camera.shoot(page, "reports")

            # The entries.
            page.get_by_role("link", name="Entries").click()
            page.wait_for_url(server.base_url + "/app/entries")
            page.get_by_text("Writing the docs").wait_for()
            check_page(page)
            camera.shoot(page, "entries")

            # A token: created, used against the JSON API, revoked, refused.
            page.get_by_role("link", name="API tokens").click()
            page.wait_for_url(server.base_url + "/app/settings/api")
            page.get_by_label("Name").fill("journey")
            page.get_by_role("button", name="Create token").click()
            token = page.locator("#new-token").inner_text().strip()
            check_page(page)
            camera.shoot(page, "api-tokens")
            me = request(server.base_url + "/me", headers={"Authorization": f"Bearer {token}"})
            assert me.status == 200 and me.body["data"]["user"]["email"] == "owner@example.com"
            page.get_by_role("button", name="Revoke journey").click()
            page.get_by_role("cell", name="Revoked").wait_for()
            refused = request(server.base_url + "/me", headers={"Authorization": f"Bearer {token}"})
            assert refused.status == 401 and refused.body["error"]["code"] == "unauthenticated"

            # Projects, then the week at a phone's width.
            page.get_by_role("link", name="Projects").click()
            page.wait_for_url(server.base_url + "/app/settings/projects")
            check_page(page)
            camera.shoot(page, "projects")
            page.set_viewport_size(PHONE)
            for path in PAGES:
                page.goto(server.base_url + path)
                check_page(page)
            camera.shoot(page, "week-phone")

            # One long name (the organization's in the header, a project's) widens no page either.
            page.goto(server.base_url + "/app/settings/api")
            page.get_by_label("Name").fill("long names")
            page.get_by_role("button", name="Create token").click()
            bearer = {"Authorization": f"Bearer {page.locator('#new-token').inner_text().strip()}"}
            for method, path, name in (("PATCH", "/org", "O"), ("POST", "/projects", "W")):
                named = request(
                    server.base_url + path, method=method, body={"name": name * 200}, headers=bearer
                )
                assert named.status in (200, 201), named.body
            for path in PAGES:
                page.goto(server.base_url + path)
                check_page(page)

            # Sign out: the pages are closed again.
            page.set_viewport_size({"width": 1280, "height": 900})
            page.get_by_role("button", name="Sign out").click()
            page.wait_for_url(server.base_url + "/app/sign-in")
            page.goto(server.base_url + "/app/week")
            assert page.url == server.base_url + "/app/sign-in"
            assert console_errors == []  # no script error, nothing the Content-Security-Policy refused
        finally:
            browser.close()
    assert off_server == []
