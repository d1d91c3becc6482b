"""``POST /imports`` with files an attacker writes: every bad row is a row error of the report, every bad
file or parameter a 4xx in the documented shape, and never a 500 (nor an import stored before one)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from litestar.testing import TestClient

from tests.exchange.odd_files import TOGGL_HEADER
from tests.http.conftest import bearer
from tests.world import World

JSONL = {"Content-Type": "application/jsonl"}
CSV = {"Content-Type": "text/csv"}
GOOD_LINE = '{"id":"good","entryDate":"2025-03-04","durationSeconds":3600,"projectName":"Website"}'


def line(member: str, raw_json_value: str) -> str:
    """A JSON line of an hours export whose ``member`` is ``raw_json_value``, written as is."""
    members = {
        "id": '"e-1"',
        "entryDate": '"2025-03-04"',
        "durationSeconds": "60",
        "projectName": '"Website"',
    }
    members[member] = raw_json_value
    return "{" + ",".join(f"{json.dumps(key)}:{value}" for key, value in members.items()) + "}"


def post(client: TestClient[Any], world: World, query: str, body: bytes, headers: dict[str, str]) -> Any:
    return client.post(f"/imports{query}", content=body, headers={**bearer(world.owner_token), **headers})


def entries(client: TestClient[Any], world: World) -> list[dict[str, Any]]:
    response = client.get("/time-entries?limit=500", headers=bearer(world.owner_token))
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["data"]
    return found


def report_of(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    report: dict[str, Any] = response.json()["data"]
    return report


def errors_of(report: dict[str, Any]) -> list[tuple[int, str | None, str]]:
    return [(error["row"], error["column"], error["code"]) for error in report["errors"]]


# 1. Lone surrogates.


@pytest.mark.parametrize(
    ("member", "value"),
    [
        ("note", '"x\\ud800y"'),
        ("projectName", '"P\\udfff"'),
        ("taskName", '"T\\ud800"'),
        ("clientName", '"New client \\ud800"'),
        ("userEmail", '"a\\ud800@x.com"'),
        ("userName", '"\\udc00"'),
    ],
)
def test_a_lone_surrogate_in_a_json_line_fails_that_row_and_the_import_answers_201(
    client: TestClient[Any], world: World, member: str, value: str
) -> None:
    body = f"{GOOD_LINE}\n{line(member, value)}\n".encode()

    report = report_of(post(client, world, "?source=hours", body, JSONL), 201)

    assert (report["created"], report["failed"]) == (1, 1)
    assert errors_of(report) == [(2, member, "invalid_json")]
    assert "lone surrogate" in report["errors"][0]["message"]
    assert report["id"] is not None
    assert [entry["durationSeconds"] for entry in entries(client, world)] == [3600]


def test_a_lone_surrogate_fails_its_row_in_a_dry_run_too(client: TestClient[Any], world: World) -> None:
    body = line("userEmail", '"a\\ud800@x.com"').encode()
    report = report_of(post(client, world, "?source=hours&dryRun=true", body, JSONL), 200)
    assert errors_of(report) == [(1, "userEmail", "invalid_json")]


def test_a_csv_file_with_an_encoded_surrogate_is_not_utf_8_and_stores_nothing(
    client: TestClient[Any], world: World
) -> None:
    body = f"{TOGGL_HEADER}\nAda,,,Website,,x".encode() + b"\xed\xa0\x80" + b",No,2025-03-04,,,,01:00:00,\n"
    response = post(client, world, "?source=toggl&timezone=Europe/Berlin", body, CSV)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "import_file_unreadable"
    assert entries(client, world) == []


# 2. Deep nesting.


@pytest.mark.parametrize(
    "deep_line",
    [
        "[" * 986,
        '{"id":"a","x":' + "[" * 1000 + "]" * 1000 + "}",
    ],
    ids=["986-open-brackets", "1000-nested-arrays"],
)
def test_a_json_line_nested_too_deep_fails_that_row_as_invalid_json(
    client: TestClient[Any], world: World, deep_line: str
) -> None:
    body = f"{deep_line}\n{GOOD_LINE}\n".encode()

    report = report_of(post(client, world, "?source=hours", body, JSONL), 201)

    assert (report["created"], report["failed"]) == (1, 1)
    assert errors_of(report) == [(1, None, "invalid_json")]
    assert "deeper than 32 levels" in report["errors"][0]["message"]


# 3. Dates at the ends of the calendar, in a zone.


@pytest.mark.parametrize(
    ("query", "cells", "column"),
    [
        ("timezone=Europe/Berlin", "0001-01-01,00:00:00,,,00:10:00", "Start date"),
        ("timezone=Europe/Berlin", "0001-01-01,00:00:00,2024-01-01,00:10:00,", "Start date"),
        ("timezone=Europe/Berlin&dryRun=true", "0001-01-01,00:00:00,,,00:10:00", "Start date"),
        ("timezone=Etc/GMT-14", "0001-01-01,00:00:00,,,00:10:00", "Start date"),
        ("timezone=Etc/GMT%2B12", "9999-12-31,23:00:00,,,00:10:00", "Start date"),
        ("timezone=Europe/Berlin", "9999-12-31,23:00:00,,,00:10:00", "Start date"),
        ("timezone=Etc/GMT%2B12", "2025-03-04,10:00:00,9999-12-31,23:59:59,", "End date"),
        ("timezone=UTC", "9999-12-31,23:00:00,,01:00:00,02:00:00", "Start date"),  # crosses midnight
        ("timezone=Europe/Berlin", "0001-01-01,23:00:00,,01:00:00,", "Start date"),
    ],
)
def test_a_toggl_date_at_the_end_of_the_calendar_is_a_row_error_in_any_zone(
    client: TestClient[Any], world: World, query: str, cells: str, column: str
) -> None:
    body = f"{TOGGL_HEADER}\nAda,,,Website,,x,No,{cells},\n".encode()

    response = post(client, world, f"?source=toggl&{query}", body, CSV)

    report = report_of(response, 200 if "dryRun" in query else 201)
    assert (report["created"], report["failed"]) == (0, 1)
    assert errors_of(report) == [(2, column, "invalid_date")]
    assert entries(client, world) == []


def test_a_clockify_date_in_year_1_in_tokyo_is_a_row_error(client: TestClient[Any], world: World) -> None:
    body = (
        b'"Project","Email","Start Date","Start Time","Duration (h)"\n'
        b'"Website","","01/01/0001","12:00:00 AM","1:00:00"\n'
    )
    response = post(client, world, "?source=clockify&timezone=Asia/Tokyo&dateFormat=MDY", body, CSV)
    report = report_of(response, 201)
    assert errors_of(report) == [(2, "Start Date", "invalid_date")]
    assert report["errors"][0]["message"] == "the date must be from 2000-01-01 to 2100-12-31, got 0001-01-01"


def test_an_instant_out_of_the_entries_range_is_a_row_error_and_stores_nothing(
    client: TestClient[Any], world: World
) -> None:
    """A span longer than its duration is kept (breaks), but not one that ends after 2199: the import
    keeps the range of instants every entry keeps (docs/api.md, "The range of instants")."""
    body = f"{TOGGL_HEADER}\nAda,,,Website,,x,No,2026-03-02,23:00:00,9999-12-31,23:59:59,02:00:00,\n".encode()

    report = report_of(post(client, world, "?source=toggl&timezone=UTC", body, CSV), 201)

    assert (report["created"], report["failed"]) == (0, 1)
    [(row, _, code)] = errors_of(report)
    assert (row, code) == (2, "invalid_datetime")
    assert report["errors"][0]["message"].startswith(
        "must be an instant from 1970-01-01T00:00:00Z to 2199-12-31T23:59:59.999999Z, got 9999-12-31T23:59:59"
    )
    assert entries(client, world) == []


# 4. Messages in the wire's terms.


def test_row_errors_of_wrong_json_members_speak_json_not_python(
    client: TestClient[Any], world: World
) -> None:
    lines = [
        line("durationSeconds", "9" * 5000),
        line("taskName", "1.5"),
        line("note", "[1]"),
        line("durationSeconds", "null"),
        line("billable", '{"a": 1}'),
        "[1, 2]",
    ]
    body = "\n".join(lines).encode()

    report = report_of(post(client, world, "?source=hours", body, JSONL), 201)

    assert [(error["column"], error["message"]) for error in report["errors"]] == [
        ("durationSeconds", "must be an integer in 0..86400, got an integer that is too large"),
        ("taskName", "must be a string, got a number with a fraction or exponent"),
        ("note", "must be a string, got an array"),
        ("durationSeconds", "is null; this member is required"),
        ("billable", "must be true, false or null, got an object"),
        (None, "must be a JSON object, got an array"),
    ]
    for python_word in ("NoneType", "float", "list", "dict", "sys.", "int_max_str_digits"):
        assert python_word not in json.dumps(report["errors"])


def test_every_problem_of_a_json_line_is_a_row_error_of_the_report(
    client: TestClient[Any], world: World
) -> None:
    bad = (
        '{"id":"0190c2d4-5a6b-7c8d-9e0f-112233445566","entryDate":"2024-13-01","durationSeconds":99999999,'
        '"projectName":"","billable":"x","note":5,"startedAt":"x","stoppedAt":"y","userEmail":5}'
    )
    body = f"{bad}\n{{}}\n{GOOD_LINE}\n".encode()

    report = report_of(post(client, world, "?source=hours", body, JSONL), 201)

    assert (report["created"], report["failed"]) == (1, 2)
    assert errors_of(report) == [
        (1, "entryDate", "invalid_date"),
        (1, "startedAt", "invalid_datetime"),
        (1, "stoppedAt", "invalid_datetime"),
        (1, "userEmail", "invalid_type"),
        (1, "projectName", "invalid_name"),
        (1, "note", "invalid_type"),
        (1, "billable", "invalid_boolean"),
        (1, "durationSeconds", "invalid_duration"),
        (2, "id", "missing_value"),
        (2, "entryDate", "missing_value"),
        (2, "projectName", "missing_value"),
        (2, "durationSeconds", "missing_value"),
    ]
    assert {error["message"] for error in report["errors"] if error["row"] == 2} == {
        "is missing; this member is required"
    }


# 5. The time zone is checked as PATCH /org checks it.


@pytest.mark.parametrize("zone", ["localtime", "Factory", "europe/berlin"])
def test_an_import_refuses_the_time_zones_patch_org_refuses_with_the_same_message(
    client: TestClient[Any], world: World, zone: str
) -> None:
    body = f"{TOGGL_HEADER}\nAda,,,Website,,x,No,2025-03-04,10:00:00,,,01:00:00,\n".encode()

    response = post(client, world, f"?source=toggl&timezone={zone}", body, CSV)
    org = client.patch("/org", json={"timezone": zone}, headers=bearer(world.owner_token))

    assert (response.status_code, org.status_code) == (422, 422), response.text
    error = response.json()["error"]
    assert error["code"] == "validation_failed"
    assert error["fields"] == {"timezone": org.json()["error"]["fields"]["timezone"]}
    assert entries(client, world) == []


@pytest.mark.parametrize("hours", ["9" * 5000, "1." + "5" * 5000, "9" * 5000 + ",5"])
def test_a_csv_duration_of_thousands_of_digits_is_a_row_error(
    client: TestClient[Any], world: World, hours: str
) -> None:
    body = f'Date,Project,Hours\n2025-03-04,Website,"{hours}"\n'.encode()

    report = report_of(post(client, world, "?source=harvest", body, CSV), 201)

    assert errors_of(report) == [(2, "Hours", "invalid_duration")]
    assert "sys." not in report["errors"][0]["message"]
