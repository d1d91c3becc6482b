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


SWAPPED_CELL_CHANGES = """(name) => {
  document.body.addEventListener("htmx:afterSwap", () => {
    setTimeout(() => {
      const input = document.querySelector(`input[name="${name}"]`);
      input.value = "3h";
      input.dispatchEvent(new Event("change", {bubbles: true}));
    }, 0);
  }, {once: true});
}"""
"""Changes the cell htmx has just swapped in, in the page's next task after the swap: what a
person's next keystroke (or a test's ``fill``) may do on a slow or busy machine."""


@pytest.mark.slow
def test_a_saved_cell_takes_a_change_as_soon_as_it_is_swapped_in(server: Server, context: Any) -> None:
    """htmx wires the cell it swaps in only when the swap settles, 20 ms later by default: a change
    made meanwhile saved nothing and said nothing (the cause of the stale-cell test's rare "alert not
    visible within 30 s" under load). The page settles a swap at once: the change is saved."""
    week, day = "2026-03-16", "2026-03-19"  # a week of its own: the other test reads its week's total
    page = context.new_page()
    sign_in(page, server)
    page.goto(f"{server.base_url}/app/week?week={week}")
    name = f"d.{server.demo['projectId']}.-.{day}"
    page.evaluate(SWAPPED_CELL_CHANGES, name)

    cell_of(page, server, day).fill("1h")
    page.keyboard.press("Tab")

    page.locator(f'input[name="{name}"][value="3:00"]').wait_for()
    (entry,) = api(server, "GET", f"/time-entries?from={day}&to={day}")
    assert entry["durationSeconds"] == 10800


@pytest.mark.slow
def test_enter_saves_a_cell_and_keeps_the_focus_in_it(server: Server, context: Any) -> None:
    """Enter in a cell saved it by blurring it, and the cell htmx swapped in had no id to give the
    focus back to: the focus fell to the page's body, so the next keys typed went nowhere. The
    focus stays in the saved cell, which takes the next change at once."""
    week, day = "2026-03-23", "2026-03-24"
    page = context.new_page()
    sign_in(page, server)
    page.goto(f"{server.base_url}/app/week?week={week}")
    name = f"d.{server.demo['projectId']}.-.{day}"

    cell_of(page, server, day).focus()
    page.keyboard.type("1h")
    page.keyboard.press("Enter")
    page.locator(f'input[name="{name}"][value="1:00"]').wait_for()

    assert page.evaluate("document.activeElement.name") == name
    page.keyboard.press("Control+A")
    page.keyboard.type("2h")
    page.keyboard.press("Enter")
    page.locator(f'input[name="{name}"][value="2:00"]').wait_for()
    assert page.evaluate("document.activeElement.name") == name
    (entry,) = api(server, "GET", f"/time-entries?from={day}&to={day}")
    assert entry["durationSeconds"] == 7200
