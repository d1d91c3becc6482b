"""``hours report``: the organization's time report as a table and as the API's JSON body."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from litestar.testing import TestClient

from hours_app.composition import build
from hours_app.settings import DatabaseUrl, Settings
from hours_core.model import OrgId, Plan, ProjectId
from hours_core.services import Caller, CreateTimeEntry
from hours_http import create_app
from tests.cli.test_cli import UNKNOWN_ID, Run

MARCH = ("--from", "2026-03-01", "--to", "2026-03-31")


@pytest.fixture
def hours(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Run:
    monkeypatch.delenv("HOURS_DATABASE_URL", raising=False)
    return Run(f"sqlite:///{tmp_path / 'hours.db'}", capsys)


@pytest.fixture
def org(hours: Run) -> dict[str, Any]:
    """A solo organization with three entries of its owner in March 2026."""
    made: dict[str, Any] = hours.json("bootstrap", "--plan", "solo")
    application = build(Settings(database=DatabaseUrl.parse(hours.db)))
    try:
        admin = application.services.admin
        org_row = next(o for o in admin.list_orgs() if str(o.id) == made["orgId"])
        owner = next(u for u in admin.list_users(OrgId(org_row.id)) if str(u.id) == made["userId"])
        caller = Caller(user=owner, org=org_row)
        for day, seconds, billable in (
            ("2026-03-02", 900, True),
            ("2026-03-03", 1350, False),
            ("2026-04-01", 60, True),
        ):
            application.services.entries.create_time_entry(
                caller,
                CreateTimeEntry(
                    project_id=ProjectId(UUID(made["projectId"])),
                    entry_date=date.fromisoformat(day),
                    duration_seconds=seconds,
                    billable=billable,
                ),
            )
    finally:
        application.close()
    return made


def test_the_json_is_the_apis_body(hours: Run, org: dict[str, Any]) -> None:
    printed = hours.json("report", "--org", org["orgId"], *MARCH, "--group-by", "week,billable")
    application = build(Settings(database=DatabaseUrl.parse(hours.db)))
    try:
        with TestClient(create_app(application.services)) as client:
            served = client.get(
                "/reports/time",
                params={"from": "2026-03-01", "to": "2026-03-31", "groupBy": "week,billable"},
                headers={"Authorization": f"Bearer {org['token']}"},
            ).json()
    finally:
        application.close()
    assert printed == served
    assert printed["data"]["totals"]["durationSeconds"] == 2250


def test_the_table_has_a_line_per_group_indented_by_level_and_the_totals(
    hours: Run, org: dict[str, Any]
) -> None:
    assert (
        hours(
            "report",
            "--org",
            org["orgId"],
            *MARCH,
            "--group-by",
            "week,billable",
            "--rounding",
            "up:15:entry",
        )
        == 0
    )
    lines = hours.stdout.splitlines()
    assert lines[0] == (
        "Time from 2026-03-01 to 2026-03-31, by week,billable; weeks start on monday; rounding up:15:entry"
    )
    assert lines[1].split() == [
        "GROUP",
        "ENTRIES",
        "DURATION",
        "BILLABLE",
        "ROUNDED",
        "AMOUNTS",
        "(BILLABLE",
        "/",
        "COST)",
    ]
    assert lines[2].split() == ["2026-03-02", "2", "0:37:30", "0:15:00", "0:45:00"]
    assert lines[3].split() == ["Billable", "1", "0:15:00", "0:15:00", "0:15:00"]
    assert lines[3].startswith("  Billable")
    assert lines[4].split() == ["Non-billable", "1", "0:22:30", "0:00:00", "0:30:00"]
    assert lines[5].split() == ["Total", "2", "0:37:30", "0:15:00", "0:45:00"]


def test_the_table_without_group_by_says_it_holds_the_totals_alone(hours: Run, org: dict[str, Any]) -> None:
    assert hours("report", "--org", org["orgId"], *MARCH) == 0
    lines = hours.stdout.splitlines()
    assert lines[0] == (
        "Time from 2026-03-01 to 2026-03-31, the totals alone (no --group-by); weeks start on monday; "
        "rounding none"
    )
    assert lines[2].split() == ["Total", "2", "0:37:30", "0:15:00", "0:37:30"]
    assert len(lines) == 3


def test_the_table_puts_a_week_across_two_months_under_the_month_of_its_entries(
    hours: Run, org: dict[str, Any]
) -> None:
    # The week of Monday 2026-03-30 is named by a March day, but its entry (2026-04-01) is April's.
    assert (
        hours(
            "report",
            "--org",
            org["orgId"],
            "--from",
            "2026-03-01",
            "--to",
            "2026-04-30",
            "--group-by",
            "month,week",
        )
        == 0
    )
    rows = [line.split() for line in hours.stdout.splitlines()[2:]]
    assert rows == [
        ["2026-03", "2", "0:37:30", "0:15:00", "0:37:30"],
        ["2026-03-02", "2", "0:37:30", "0:15:00", "0:37:30"],
        ["2026-04", "1", "0:01:00", "0:01:00", "0:01:00"],
        ["2026-03-30", "1", "0:01:00", "0:01:00", "0:01:00"],
        ["Total", "3", "0:38:30", "0:16:00", "0:38:30"],
    ]


def test_filters_and_the_week_start_are_options(hours: Run, org: dict[str, Any]) -> None:
    printed = hours.json(
        "report",
        "--org",
        org["orgId"],
        *MARCH,
        "--group-by",
        "week",
        "--week-start",
        "sunday",
        "--non-billable",
        "--user",
        org["userId"],
        "--project",
        org["projectId"],
    )
    assert printed["meta"]["weekStart"] == "sunday"
    assert [g["key"]["id"] for g in printed["data"]["groups"]] == ["2026-03-01"]
    assert printed["data"]["totals"]["durationSeconds"] == 1350


def test_wrong_parameters_are_reported_by_their_option(hours: Run, org: dict[str, Any]) -> None:
    assert (
        hours(
            "report", "--org", org["orgId"], "--from", "2026-03-01", "--to", "2027-03-31", "--group-by", "x"
        )
        == 2
    )
    assert "--to" in hours.stderr and "--group-by" in hours.stderr
    assert hours("report", "--org", org["orgId"], "--from", "March", "--to", "2026-03-31") == 2
    assert "must be a date such as 2026-03-31" in hours.stderr


def test_an_unknown_org_and_a_plan_gate_fail(hours: Run, org: dict[str, Any]) -> None:
    assert hours("report", "--org", UNKNOWN_ID, *MARCH) == 1
    assert hours.error.startswith(f"error: The organization was not found in {hours.db}; ")
    assert hours("orgs", "set-plan", org["orgId"], Plan.FREE.value) == 0
    assert hours("report", "--org", org["orgId"], *MARCH, "--rounding", "up:15:entry") == 1
    assert "solo" in hours.error
