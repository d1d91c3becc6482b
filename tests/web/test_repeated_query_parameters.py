"""A page's query parameter given twice is refused as the API refuses one (``must be given once``):
it was read as its last value, silently, so ``?week=A&week=B`` showed week B and a link whose filter
was overridden by a second copy gave another list than the one it named."""

from __future__ import annotations

import re

import pytest
from litestar.testing import TestClient

from tests.world import World

from .test_entries import log


@pytest.mark.parametrize(
    ("address", "label"),
    [
        ("/app/week?week=2026-03-02&week=2026-03-09", "Week"),
        ("/app/entries?from=2026-03-02&from=2026-03-03", "From"),
        ("/app/entries?billable=yes&billable=no", "Billable"),
        ("/app/entries?project=&project=", "Project"),
        ("/app/reports?by=project&chart=day&by=user", "Table by"),
        ("/app/reports/export?format=csv&format=xlsx", "Format"),
    ],
)
def test_a_parameter_given_twice_is_a_422_page_naming_it(owner: TestClient, address: str, label: str) -> None:
    page = owner.get(address)

    assert page.status_code == 422, page.text
    assert f"{label}: must be given once" in page.text


def test_every_parameter_given_twice_is_named_at_once(owner: TestClient) -> None:
    page = owner.get("/app/entries?to=2026-03-09&from=2026-03-02&to=2026-03-10&from=2026-03-03")

    assert page.status_code == 422
    assert "From: must be given once" in page.text and "To: must be given once" in page.text


def test_a_filter_given_twice_lists_nothing_it_did_not_name(owner: TestClient, world: World) -> None:
    log(world, "2026-03-02", "2h", billable=True, note="billed")
    log(world, "2026-03-03", "3h", note="unbilled")

    page = owner.get("/app/entries?billable=yes&billable=no")

    assert "unbilled" not in page.text and not re.search(r">\s*billed\s*<", page.text)


def test_the_week_s_task_rows_repeat_as_its_form_writes_them(owner: TestClient, world: World) -> None:
    """``row`` takes a list (the "Add a task row" form sends one per row), as the API's list filters
    of ``GET /reports/time`` repeat."""
    row = f"{world.project.id}.{world.task.id}"

    page = owner.get(f"/app/week?week=2026-03-02&row={row}&row={row}")

    assert page.status_code == 200
    assert "My first project · General" in page.text
