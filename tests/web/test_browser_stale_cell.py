"""A week cell that holds an entry, in Debian's Chromium against a real ``hours serve``: htmx sends
what the page showed of the cell (``seen.<ref>``, from the week's form), so a change saves; a cell
changed over the API since the page loaded is not overwritten, and says what it holds now."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.server_support import Server, request, served

from .test_browser_refused_saves import cell_of, context, sign_in

__all__ = ["context"]  # the browser fixture, shared

WEEK = "2026-03-09"
DAY = "2026-03-10"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with served(tmp_path_factory.mktemp("stale")) as running:
        yield running


def api(server: Server, method: str, path: str, body: Any = None) -> Any:
    answer = request(
        server.base_url + path,
        method=method,
        body=body,
        headers={"Authorization": f"Bearer {server.demo['token']}"},
    )
    assert answer.status < 300, answer.body
    return answer.body["data"]


@pytest.mark.slow
def test_a_filled_cell_changes_and_a_stale_one_is_not_overwritten(server: Server, context: Any) -> None:
    entry = api(
        server,
        "POST",
        "/time-entries",
        {"projectId": server.demo["projectId"], "entryDate": DAY, "duration": "1h"},
    )
    page = context.new_page()
    sign_in(page, server)
    page.goto(f"{server.base_url}/app/week?week={WEEK}")

    cell = cell_of(page, server, DAY)
    cell.fill("2h")
    page.keyboard.press("Tab")
    page.locator("#week-total").filter(has_text=re.compile(r"^2:00$")).wait_for()
    assert api(server, "GET", f"/time-entries/{entry['id']}")["durationSeconds"] == 7200

    api(server, "PATCH", f"/time-entries/{entry['id']}", {"duration": "5h"})  # another tab, meanwhile
    cell = cell_of(page, server, DAY)
    cell.fill("")
    page.keyboard.press("Tab")

    alert = cell_of(page, server, DAY).locator("xpath=ancestor::td[1]").locator("[role=alert]")
    alert.wait_for()
    assert alert.inner_text().startswith("Not saved: changed since you loaded the page, now 5:00.")
    assert cell_of(page, server, DAY).input_value() == "5:00"
    assert api(server, "GET", f"/time-entries/{entry['id']}")["durationSeconds"] == 18000
