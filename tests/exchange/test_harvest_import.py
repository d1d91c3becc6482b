"""Harvest "Detailed time" CSV: a date and decimal hours, in either number format."""

from __future__ import annotations

from datetime import date

import pytest

from hours_exchange import ImportRow, RejectedRow, read_harvest

HEADER = (
    "Date,Client,Project,Project Code,Task,Notes,Hours,Billable?,Invoiced?,Approved?,First Name,Last Name,"
    "Employee Id,Roles,Employee?,Billable Rate,Billable Amount,Cost Rate,Cost Amount,Currency,"
    "External Reference URL\n"
)


def harvest_line(hours: str, *, day: str = "2025-02-03", notes: str = "Standup") -> str:
    return (
        f'{day},Acme,Website,WEB,Meetings,{notes},{hours},Yes,No,No,Grace,Hopper,,Developer,Yes,"100,0",'
        '"150,0","0,0","0,0",Euro - EUR,\n'
    )


def read(text: str, **options: object) -> list[ImportRow | RejectedRow]:
    return list(read_harvest(text.encode(), **options))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("hours", "seconds"),
    [('"7,5"', 27_000), ('"0,01"', 36), ("1.85", 6660), ("0.001", 4), ('"20,0"', 72_000), ("1:45", 6300)],
)
def test_decimal_hours_read_with_a_dot_or_a_comma(hours: str, seconds: int) -> None:
    (row,) = read(HEADER + harvest_line(hours))
    assert isinstance(row, ImportRow), row
    assert row.duration_seconds == seconds


def test_a_row_is_a_date_and_a_duration_only() -> None:
    (row,) = read(HEADER + harvest_line("1.5"))
    assert isinstance(row, ImportRow)
    assert row.entry_date == date(2025, 2, 3)
    assert (row.started_at, row.stopped_at) == (None, None)
    assert (row.user_name, row.user_email) == ("Grace Hopper", None)
    assert (row.columns["user_name"], row.columns["duration_seconds"]) == ("First Name", "Hours")
    assert (row.client, row.project, row.task, row.note, row.billable) == (
        "Acme",
        "Website",
        "Meetings",
        "Standup",
        True,
    )


@pytest.mark.parametrize(
    ("hours", "code"),
    [
        ("", "missing_value"),
        ('"25,0"', "duration_over_24_hours"),
        ("lots", "invalid_duration"),
        ('"1,5,0"', "invalid_duration"),
    ],
)
def test_an_unusable_hours_cell_is_reported_on_the_hours_column(hours: str, code: str) -> None:
    (row,) = read(HEADER + harvest_line(hours))
    assert isinstance(row, RejectedRow)
    assert [(error.column, error.code) for error in row.errors] == [("Hours", code)]


def test_slashed_dates_follow_the_date_order_the_file_settles() -> None:
    rows = read(HEADER + harvest_line("1.0", day="2/3/2025") + harvest_line("1.0", day="2/13/2025"))
    assert [row.entry_date for row in rows if isinstance(row, ImportRow)] == [
        date(2025, 2, 3),
        date(2025, 2, 13),
    ]


def test_two_identical_rows_are_two_entries_with_different_references() -> None:
    rows = read(HEADER + harvest_line("1.0") + harvest_line("1.0"))
    refs = [row.external_ref for row in rows if isinstance(row, ImportRow)]
    assert len(set(refs)) == 2
    assert [row.external_ref for row in read(HEADER + harvest_line("1.0") + harvest_line("1.0"))] == refs


def test_the_eight_column_import_layout_reads_too() -> None:
    text = (
        "Date,Client,Project,Task,Notes,Hours,First name,Last name\n2025-02-03,,Website,,,7.5,Grace,Hopper\n"
    )
    (row,) = read(text)
    assert isinstance(row, ImportRow)
    assert (row.duration_seconds, row.billable, row.user_name) == (27_000, None, "Grace Hopper")
