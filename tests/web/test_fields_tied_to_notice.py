"""A refused form's field is tied to the notice that names it (``aria-invalid``,
``aria-describedby``), as docs/web.md promises: a screen reader on the field says what is wrong."""

from __future__ import annotations

import re

import pytest
from litestar.testing import TestClient

from tests.world import World

from .conftest import csrf_of
from .test_entry_edit_fields import logged, post_edit


def tag(page: str, element_id: str) -> str:
    """The opening tag of the element with ``element_id``."""
    found = re.search(rf'<(?:input|select|textarea)[^>]*\bid="{re.escape(element_id)}"[^>]*>', page)
    assert found is not None, element_id
    return found.group(0)


def described_by(page: str, element_id: str) -> list[str]:
    found = re.search(r'aria-describedby="([^"]*)"', tag(page, element_id))
    return [] if found is None else found.group(1).split()


def assert_tied(page: str, element_id: str) -> None:
    assert 'aria-invalid="true"' in tag(page, element_id), tag(page, element_id)
    assert "notice" in described_by(page, element_id)
    assert 'role="alert" id="notice"' in page


def assert_not_tied(page: str, element_id: str) -> None:
    assert "aria-invalid" not in tag(page, element_id), tag(page, element_id)
    assert "notice" not in described_by(page, element_id)


def test_the_edit_forms_refused_duration_is_tied_to_the_notice(owner: TestClient, world: World) -> None:
    """The audit of issue 18: only the grid's cells and the sign-in form tied an error to its
    field; the edit form's Duration, refused, said nothing of it to a screen reader."""
    entry = logged(world)
    form = owner.get(f"/app/entries/{entry.id}/edit").text
    assert_not_tied(form, "e-duration")
    assert described_by(form, "e-duration") == ["e-duration-hint"]

    page = post_edit(owner, entry, duration="25h").text

    assert_tied(page, "e-duration")
    assert described_by(page, "e-duration") == ["e-duration-hint", "notice"]
    assert_not_tied(page, "e-date")


@pytest.mark.parametrize(
    ("page", "action", "fields", "tied", "untouched"),
    [
        (
            "/app/settings/api",
            "/app/settings/api/",
            {"name": "ci", "expires_in_days": "0"},
            "t-days",
            ["t-name"],
        ),
        (  # only the form that was refused: the project form has a Name too
            "/app/settings/projects",
            "/app/settings/projects/clients",
            {"name": "Acme", "currency": "eur"},
            "c-currency",
            ["c-name", "p-name"],
        ),
    ],
)
def test_a_refused_settings_form_ties_its_field(
    owner: TestClient, page: str, action: str, fields: dict[str, str], tied: str, untouched: list[str]
) -> None:
    answer = owner.post(action, data={"csrf": csrf_of(owner.get(page).text), **fields}).text

    assert_tied(answer, tied)
    for element_id in untouched:
        assert_not_tied(answer, element_id)


def test_the_timer_reports_and_entries_filters_tie_theirs(owner: TestClient) -> None:
    week = owner.get("/app/week").text
    timer = owner.post("/app/timer/start", data={"csrf": csrf_of(week), "project": "nope"}).text
    assert_tied(timer, "timer-project")
    assert_not_tied(timer, "timer-note")

    report = owner.get("/app/reports?by=client").text
    assert_tied(report, "r-by")
    assert_not_tied(report, "r-chart")

    entries = owner.get("/app/entries?billable=maybe").text
    assert_tied(entries, "f-billable")
    assert_not_tied(entries, "f-from")
