"""The reports page: the reports use case as a chart and a table, with the API's plan gates."""

from __future__ import annotations

import re
from datetime import date

from litestar.testing import TestClient

from hours_core.model import Plan
from hours_core.services import CreateTimeEntry
from tests.world import World

from .conftest import sign_in


def log(world: World, day: str, duration: str, *, billable: bool = False) -> None:
    world.services.entries.create_time_entry(
        world.caller(world.owner),
        CreateTimeEntry(
            project_id=world.project.id,
            entry_date=date.fromisoformat(day),
            duration=duration,
            billable=billable,
        ),
    )


def test_the_report_has_a_bar_per_day_and_a_row_per_project_with_the_total(
    owner: TestClient, world: World
) -> None:
    log(world, "2026-03-02", "1h30m")
    log(world, "2026-03-04", "45m")

    page = owner.get("/app/reports?from=2026-03-01&to=2026-03-07").text

    assert len(re.findall(r"<rect ", page)) == 7  # one bar per day of the range
    assert "2026-03-02: 1:30" in page and "2026-03-04: 0:45" in page
    assert '<th scope="row">My first project</th>' in page
    assert '<td class="num" id="report-total">2:15</td>' in page


def test_the_chart_by_week_and_the_table_by_user(owner: TestClient, world: World) -> None:
    log(world, "2026-03-02", "1h")
    log(world, "2026-03-10", "2h")

    page = owner.get("/app/reports?from=2026-03-01&to=2026-03-15&chart=week&by=user").text

    assert "2026-03-02: 1:00" in page and "2026-03-09: 2:00" in page
    assert f'<th scope="row">{world.owner.name}</th>' in page
    assert '<td class="num" id="report-total">3:00</td>' in page


def test_rounding_is_a_plan_notice_on_the_free_plan(owner: TestClient, world: World) -> None:
    world.set_plan(Plan.FREE)

    page = owner.get("/app/reports?from=2026-03-01&to=2026-03-07&rounding=up:15:entry")

    assert page.status_code == 402
    assert "Plan: <code>solo</code> · feature: <code>rounding</code>" in page.text


def test_rounding_rounds_the_table(owner: TestClient, world: World) -> None:
    log(world, "2026-03-02", "1h05m")

    page = owner.get("/app/reports?from=2026-03-01&to=2026-03-07&rounding=up:15:entry").text

    assert '<td class="num" id="report-total">1:15</td>' in page


def test_a_wrong_range_or_grouping_names_the_field(owner: TestClient) -> None:
    reversed_range = owner.get("/app/reports?from=2026-03-07&to=2026-03-01")
    wrong_group = owner.get("/app/reports?from=2026-03-01&to=2026-03-07&by=planet")

    assert reversed_range.status_code == 422 and "notice error" in reversed_range.text
    assert wrong_group.status_code == 422 and "Table by: must be one of project, user" in wrong_group.text


def test_a_wrong_chart_period_names_the_chart_not_the_table(owner: TestClient) -> None:
    response = owner.get("/app/reports?chart=year")

    assert response.status_code == 422
    assert "Chart by: must be one of day, week" in response.text
    assert "Group by" not in response.text and "Table by: must" not in response.text


def test_a_member_sees_their_own_time_only(browser: TestClient, world: World) -> None:
    log(world, "2026-03-02", "3h")
    world.services.sign_in.set_password(world.member.id, "member password")
    sign_in(browser, world.member.email, "member password")

    page = browser.get("/app/reports?from=2026-03-01&to=2026-03-07").text

    assert '<td class="num" id="report-total">0:00</td>' in page and "No time in this range." in page


def test_the_reports_range_downloads_as_csv_and_xlsx(owner: TestClient, world: World) -> None:
    log(world, "2026-03-02", "1h30m")
    log(world, "2026-03-20", "2h")
    page = owner.get("/app/reports?from=2026-03-01&to=2026-03-07").text
    assert 'href="/app/reports/export?format=csv&amp;from=2026-03-01&amp;to=2026-03-07"' in page

    csv = owner.get("/app/reports/export?format=csv&from=2026-03-01&to=2026-03-07")
    xlsx = owner.get("/app/reports/export?format=xlsx&from=2026-03-01&to=2026-03-07")

    assert csv.status_code == 200 and csv.headers["content-type"] == "text/csv; charset=utf-8"  # once
    assert csv.headers["content-disposition"].startswith('attachment; filename="time-entries-')
    assert "2026-03-02" in csv.text and "2026-03-20" not in csv.text and "My first project" in csv.text
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert xlsx.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_an_unknown_download_format_is_refused(owner: TestClient) -> None:
    response = owner.get("/app/reports/export?format=pdf&from=2026-03-01&to=2026-03-07")

    assert response.status_code == 422 and "Format: must be one of csv, xlsx" in response.text
