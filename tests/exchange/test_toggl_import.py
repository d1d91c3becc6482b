"""Toggl Track "Detailed report" CSV: both layouts and the odd rows, from fixtures written for hours."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from hours_exchange import ImportColumnsMissing, ImportRow, ImportSource, RejectedRow, read_toggl

OLD_HEADER = (
    "User,Email,Client,Project,Task,Description,Billable,Start date,Start time,End date,End time,"
    "Duration,Tags,Amount (EUR)\n"
)
NEW_HEADER = (
    '"User","Email","Client","Project","Task","Description","Billable","Start date","Start time",'
    '"End date","End time","Duration","Tags"'
)


def read(text: str, timezone: str = "Europe/Berlin", **options: object) -> list[ImportRow | RejectedRow]:
    return list(read_toggl(text.encode(), timezone=timezone, **options))  # type: ignore[arg-type]


def only_row(text: str, timezone: str = "Europe/Berlin") -> ImportRow:
    (row,) = read(text, timezone)
    assert isinstance(row, ImportRow), row
    return row


def only_error(text: str) -> tuple[str | None, str]:
    (row,) = read(text)
    assert isinstance(row, RejectedRow), row
    (error,) = row.errors
    return error.column, error.code


def test_an_old_layout_row_becomes_an_entry_with_utc_times_in_the_given_zone() -> None:
    row = only_row(
        "\ufeff" + OLD_HEADER + "Ada Lovelace,ada@example.com,Acme,Website,Design,Wireframes,Yes,"
        '2025-01-10,09:00:00,2025-01-10,10:30:00,01:30:00,"Design, Client work",127.50\n'
    )
    assert row.source is ImportSource.TOGGL
    assert row.row == 2
    assert (row.user_name, row.user_email, row.client, row.project, row.task) == (
        "Ada Lovelace",
        "ada@example.com",
        "Acme",
        "Website",
        "Design",
    )
    assert row.note == "Wireframes"
    assert row.billable is True
    assert row.entry_date == date(2025, 1, 10)
    assert row.started_at == datetime(2025, 1, 10, 8, 0, tzinfo=UTC)
    assert row.stopped_at == datetime(2025, 1, 10, 9, 30, tzinfo=UTC)
    assert row.duration_seconds == 5400
    assert row.tags == ("Design", "Client work")
    assert row.columns["note"] == "Description"
    assert (row.columns["entry_date"], row.columns["duration_seconds"]) == ("Start date", "Duration")
    assert len(row.external_ref) == 64


def test_the_new_layout_quotes_everything_has_no_amount_and_no_final_newline() -> None:
    row = only_row(
        NEW_HEADER + '\n"Ada","ada@example.com","","Website","","","No","2025-07-01","14:00:00",'
        '"2025-07-01","14:47:06","0:47:06",""'
    )
    assert row.duration_seconds == 47 * 60 + 6
    assert row.started_at == datetime(2025, 7, 1, 12, 0, tzinfo=UTC)
    assert (row.client, row.task, row.note, row.tags) == (None, None, None, ())
    assert row.billable is False


def test_an_entry_across_midnight_keeps_its_start_day_as_the_entry_date() -> None:
    row = only_row(
        OLD_HEADER
        + "Ada,ada@example.com,,Website,,Late,No,2025-01-10,23:30:00,2025-01-11,00:45:00,01:15:00,,\n"
    )
    assert row.entry_date == date(2025, 1, 10)
    assert row.started_at == datetime(2025, 1, 10, 22, 30, tzinfo=UTC)
    assert row.stopped_at == datetime(2025, 1, 10, 23, 45, tzinfo=UTC)
    assert row.duration_seconds == 4500


def test_an_end_time_before_the_start_time_without_an_end_date_crosses_midnight() -> None:
    text = "Project,Start date,Start time,End time,Duration\nWebsite,2025-01-10,23:30:00,00:15:00,00:45:00\n"
    row = only_row(text, "UTC")
    assert row.stopped_at == datetime(2025, 1, 11, 0, 15, tzinfo=UTC)


def test_an_end_without_seconds_in_the_start_minute_is_before_the_start_in_toggl() -> None:
    """Toggl writes its times with seconds: an end of 09:00 after a start of 09:00:30 is before it
    (only Clockify, which writes times to the minute, reads such an end as the start)."""
    text = "Project,Start date,Start time,End date,End time,Duration\nWebsite,2025-01-10,09:00:30,2025-01-10,09:00,\n"
    assert only_error(text) == ("End time", "end_before_start")


def test_a_zero_length_entry_is_imported_as_zero_seconds() -> None:
    row = only_row(
        OLD_HEADER + "Ada,ada@example.com,,Website,,,No,2025-01-10,10:23:52,2025-01-10,10:23:52,00:00:00,,\n"
    )
    assert row.duration_seconds == 0
    assert row.started_at == row.stopped_at


def test_an_entry_over_24_hours_is_refused_with_the_reason() -> None:
    (row,) = read(
        OLD_HEADER + "Ada,ada@example.com,,Website,,,No,2025-01-10,09:00:00,2025-01-11,10:00:00,25:00:00,,\n"
    )
    assert isinstance(row, RejectedRow)
    (error,) = row.errors
    assert (error.row, error.column, error.code) == (2, "Duration", "duration_over_24_hours")
    assert "25:00:00" in error.message
    assert "24:00:00" in error.message


def test_exactly_24_hours_is_one_entry() -> None:
    row = only_row(
        OLD_HEADER + "Ada,,,Website,,,No,2025-01-10,00:00:00,2025-01-11,00:00:00,24:00:00,,\n", "UTC"
    )
    assert row.duration_seconds == 86_400


def test_an_empty_duration_is_the_span_from_start_to_end() -> None:
    row = only_row(OLD_HEADER + "Ada,,,Website,,,No,2025-01-10,09:00:00,2025-01-10,09:20:00,,,\n")
    assert row.duration_seconds == 1200


def test_an_empty_duration_without_an_end_is_refused() -> None:
    text = "Project,Start date,Start time,Duration\nWebsite,2025-01-10,09:00:00,\n"
    assert only_error(text) == ("Duration", "missing_value")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "Project,Start date,End time\nWebsite,2025-01-10,10:00:00\n",
            "the row has an end time but no start time (the file has no Start time column)",
        ),
        (
            "Project,Start date,Start time,End time\nWebsite,2025-01-10,09:00:00,\n",
            "the row has no end time and no duration (the file has no Duration column)",
        ),
        (
            "Project,Start date,Start time,End time\nWebsite,2025-01-10,,\n",
            "the row has no start or end time and no duration (the file has no Duration column)",
        ),
    ],
)
def test_a_value_missing_for_want_of_a_column_is_told_on_the_row_not_on_a_field_name(
    text: str, message: str
) -> None:
    """`column` is a header of the file or null: never `start_time` or `duration`, hours' own
    names, which no file has."""
    (row,) = read(text)
    assert isinstance(row, RejectedRow)
    assert [(e.column, e.code, e.message) for e in row.errors] == [(None, "missing_value", message)]


def test_a_duration_longer_than_the_span_is_refused() -> None:
    text = OLD_HEADER + "Ada,,,Website,,,No,2025-01-10,09:00:00,2025-01-10,09:20:00,00:30:00,,\n"
    assert only_error(text) == ("Duration", "duration_exceeds_span")


def test_a_description_with_quoted_line_breaks_keeps_them_as_newlines() -> None:
    row = only_row(
        OLD_HEADER + 'Ada,,,Website,,"first line\r\nsecond, with a comma\nthird ""quoted""",No,'
        "2025-01-10,09:00:00,2025-01-10,09:20:00,00:20:00,,\n"
    )
    assert row.note == 'first line\nsecond, with a comma\nthird "quoted"'


def test_a_start_in_the_spring_forward_gap_is_refused_naming_the_time_zone() -> None:
    (row,) = read(OLD_HEADER + "Ada,,,Website,,,No,2025-03-30,02:30:00,2025-03-30,03:30:00,00:30:00,,\n")
    assert isinstance(row, RejectedRow)
    (error,) = row.errors
    assert (error.column, error.code) == ("Start time", "nonexistent_local_time")
    assert "Europe/Berlin" in error.message


def test_a_time_in_the_autumn_fold_is_the_occurrence_that_agrees_with_the_duration() -> None:
    # 02:50 (summer time, 00:50 UTC) to 02:10 (winter time, 01:10 UTC): 20 minutes.
    row = only_row(OLD_HEADER + "Ada,,,Website,,,No,2025-10-26,02:50:00,2025-10-26,02:10:00,00:20:00,,\n")
    assert row.started_at == datetime(2025, 10, 26, 0, 50, tzinfo=UTC)
    assert row.stopped_at == datetime(2025, 10, 26, 1, 10, tzinfo=UTC)


def test_a_fold_that_nothing_settles_is_the_first_occurrence() -> None:
    row = only_row(OLD_HEADER + "Ada,,,Website,,,No,2025-10-26,02:30:00,2025-10-26,02:45:00,00:15:00,,\n")
    assert row.started_at == datetime(2025, 10, 26, 0, 30, tzinfo=UTC)
    assert row.duration_seconds == 900


def test_an_hour_long_entry_through_the_fold_counts_the_repeated_hour() -> None:
    # 01:30 CEST to 02:30 CET is two hours of real time.
    row = only_row(OLD_HEADER + "Ada,,,Website,,,No,2025-10-26,01:30:00,2025-10-26,02:30:00,02:00:00,,\n")
    assert row.started_at == datetime(2025, 10, 25, 23, 30, tzinfo=UTC)
    assert row.stopped_at == datetime(2025, 10, 26, 1, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("duration", "seconds"),
    [
        ("01:30:00", 5400),
        ("1:30:00", 5400),
        ("0:00:05", 5),
        ("47:06 min", 2826),
        ("1.5", 5400),
        ("0.79 h", 2844),
    ],
)
def test_each_toggl_duration_format_reads(duration: str, seconds: int) -> None:
    text = f"Project,Start date,Duration\nWebsite,2025-01-10,{duration}\n"
    row = only_row(text)
    assert row.duration_seconds == seconds
    assert row.started_at is None


def test_headers_match_by_name_in_any_order_case_and_spacing() -> None:
    text = (
        " duration , PROJECT,Something New,start  DATE ,Start Time\n00:10:00,Website,x,2025-01-10,09:00:00\n"
    )
    row = only_row(text, "UTC")
    assert (row.project, row.duration_seconds, row.started_at) == (
        "Website",
        600,
        datetime(2025, 1, 10, 9, 0, tzinfo=UTC),
    )
    assert row.columns["project"] == "PROJECT"


def test_a_file_without_a_start_date_column_is_refused_naming_it() -> None:
    with pytest.raises(ImportColumnsMissing, match="Start date") as raised:
        read("User,Project,Duration\nAda,Website,01:00:00\n")
    assert raised.value.code == "import_columns_missing"


def test_a_file_re_saved_with_semicolons_reads_the_same() -> None:
    comma = only_row(
        OLD_HEADER + "Ada,,,Website,,Note,No,2025-01-10,09:00:00,2025-01-10,09:20:00,00:20:00,,\n"
    )
    semicolon = only_row(
        OLD_HEADER.replace(",", ";")
        + "Ada;;;Website;;Note;No;2025-01-10;09:00:00;2025-01-10;09:20:00;00:20:00;;\n"
    )
    assert semicolon == comma


def test_every_bad_cell_of_a_row_is_reported_with_its_column() -> None:
    (row,) = read(
        OLD_HEADER + "Ada,not-an-email,,Website,,,Maybe,2025-02-30,25:00:00,2025-01-10,09:20:00,,,\n"
    )
    assert isinstance(row, RejectedRow)
    assert sorted((error.column, error.code) for error in row.errors) == [
        ("Billable", "invalid_boolean"),
        ("Email", "invalid_email"),
        ("Start date", "invalid_date"),
        ("Start time", "invalid_time"),
    ]
    assert {error.row for error in row.errors} == {2}


@pytest.mark.parametrize(
    ("start", "end", "timezone", "column"),
    [
        ("0001-01-01,00:00:00,,", "00:10:00", "Europe/Berlin", "Start date"),
        ("0001-01-01,00:00:00,2024-01-01,00:10:00", "", "Europe/Berlin", "Start date"),
        ("0001-01-01,00:00:00,,", "00:10:00", "Etc/GMT-14", "Start date"),
        ("9999-12-31,23:00:00,,", "00:10:00", "Etc/GMT+12", "Start date"),
        ("9999-12-31,23:00:00,,", "00:10:00", "Europe/Berlin", "Start date"),
        ("2024-01-01,00:00:00,9999-12-31,23:59:59", "", "Etc/GMT+12", "End date"),
        ("2024-01-01,00:00:00,0001-01-01,00:00:00", "", "Etc/GMT-14", "End date"),
    ],
)
def test_a_date_at_the_end_of_the_calendar_in_any_zone_is_invalid_date(
    start: str, end: str, timezone: str, column: str
) -> None:
    (row,) = read(OLD_HEADER + f"Ada,ada@example.com,,Website,,,No,{start},{end},,\n", timezone)
    assert isinstance(row, RejectedRow), row
    assert [(error.column, error.code) for error in row.errors] == [(column, "invalid_date")]
