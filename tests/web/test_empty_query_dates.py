"""A date left empty in a page's address is not given: what a browser sends for a form's empty
date field (the entries filter's From and To, unless a date is picked: ``from=&to=``)."""

from __future__ import annotations

from litestar.testing import TestClient

from tests.world import World

from .test_entries import log


def test_the_entries_filter_with_its_dates_left_empty_filters_by_the_rest(
    owner: TestClient, world: World
) -> None:
    """The audit of issue 18: the filter form sends its empty From and To as ``from=&to=``, which
    was 422 "From: is not a real calendar date in the form YYYY-MM-DD: ", so picking "Billable"
    alone (or any filter without both dates) gave an error page and no list."""
    log(world, "2026-03-02", "2h", billable=True, note="billed")
    log(world, "2026-03-03", "3h", note="unbilled")

    page = owner.get("/app/entries?from=&to=&project=&user=&billable=yes")

    assert page.status_code == 200
    assert "billed" in page.text and "unbilled" not in page.text


def test_an_empty_week_is_this_week_and_an_empty_range_the_reports_default(
    owner: TestClient, world: World
) -> None:
    week = owner.get("/app/week?week=")

    assert week.status_code == 200
    assert (
        week.text.split("<h1>")[1].split("</h1>")[0]
        == owner.get("/app/week").text.split("<h1>")[1].split("</h1>")[0]
    )
    assert owner.get("/app/reports?from=&to=").status_code == 200
    assert owner.get("/app/reports/export?format=csv&from=&to=").status_code == 200


def test_a_date_that_is_no_date_is_still_refused_by_its_label(owner: TestClient) -> None:
    page = owner.get("/app/entries?from=&to=2026-02-30")

    assert page.status_code == 422
    assert "To: is not a real calendar date in the form YYYY-MM-DD: 2026-02-30" in page.text
