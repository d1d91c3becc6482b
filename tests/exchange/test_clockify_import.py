"""Clockify "Detailed report" CSV: variable layouts, date orders, 12-hour times, CRLF."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from hours_core.errors import ValidationFailed
from hours_exchange import AmbiguousDateFormat, ImportRow, RejectedRow, read_clockify

HEADER = (
    '"Project","Client","Description","Task","User","Group","Email","Tags","Billable","Start Date",'
    '"Start Time","End Date","End Time","Duration (h)","Duration (decimal)","Billable Rate (USD)",'
    '"Billable Amount (USD)"\r\n'
)


def line(start_date: str, start: str, end_date: str, end: str, duration: str, *, task: str = "Design") -> str:
    return (
        f'"Website","Acme","Wireframes","{task}","Ada Lovelace","","ada@example.com","Design, UX","Yes",'
        f'"{start_date}","{start}","{end_date}","{end}","{duration}","0.00","0.00","0.00"\r\n'
    )


def read(text: str, **options: object) -> list[ImportRow | RejectedRow]:
    return list(read_clockify(text.encode(), timezone=options.pop("timezone", "America/New_York"), **options))  # type: ignore[arg-type]


def test_month_first_dates_are_detected_from_a_day_above_12() -> None:
    rows = read(
        HEADER
        + line("03/04/2024", "10:23:52 AM", "03/04/2024", "11:23:52 AM", "01:00:00")
        + line("03/25/2024", "09:00 AM", "03/25/2024", "09:30 AM", "00:30:00")
    )
    assert [row.entry_date for row in rows if isinstance(row, ImportRow)] == [
        date(2024, 3, 4),
        date(2024, 3, 25),
    ]


def test_day_first_dates_are_detected_from_a_day_above_12() -> None:
    rows = read(
        HEADER
        + line("03/04/2024", "10:00:00", "03/04/2024", "11:00:00", "01:00:00")
        + line("25/04/2024", "10:00:00", "25/04/2024", "11:00:00", "01:00:00")
    )
    assert [row.entry_date for row in rows if isinstance(row, ImportRow)] == [
        date(2024, 4, 3),
        date(2024, 4, 25),
    ]


def test_a_file_that_stays_ambiguous_is_refused_naming_the_option() -> None:
    text = HEADER + line("09/04/2025", "10:00 AM", "09/04/2025", "11:00 AM", "01:00:00")
    with pytest.raises(AmbiguousDateFormat) as raised:
        read(text)
    error = raised.value
    assert error.code == "ambiguous_date_format"
    assert (error.row, error.column, error.option) == (2, "Start Date", "date_format")
    assert "09/04/2025" in error.message
    assert "--date-format" in error.message
    assert "dateFormat" in error.message


@pytest.mark.parametrize("impossible", ["32/05/2024", "31/02/2024", "02/31/2024", "13/13/2024"])
def test_a_date_real_in_neither_order_settles_nothing(impossible: str) -> None:
    """`32/05/2024` has a number above 12, but no day 32 either way: it is a typo, not evidence
    that the file is day-first. The file stays ambiguous (the typo's row would fail on its own)."""
    text = HEADER + line(impossible, "10:00 AM", impossible, "11:00 AM", "01:00:00")
    text += line("01/02/2024", "10:00 AM", "01/02/2024", "11:00 AM", "01:00:00")
    with pytest.raises(AmbiguousDateFormat) as raised:
        read(text)
    assert (raised.value.row, raised.value.column) == (3, "Start Date")


def test_a_date_that_reads_the_same_both_ways_needs_no_order() -> None:
    """A one-day export of 3 March (`03/03/2025` throughout) is not ambiguous: both orders give the
    same day, so it imports without `date_format`; a date that differs still needs one."""
    same = line("03/03/2025", "10:00 AM", "03/03/2025", "11:00 AM", "01:00:00")
    (row,) = read(HEADER + same)
    assert isinstance(row, ImportRow)
    assert row.entry_date == date(2025, 3, 3)
    with pytest.raises(AmbiguousDateFormat) as raised:
        read(HEADER + same + line("01/02/2025", "10:00 AM", "01/02/2025", "11:00 AM", "01:00:00"))
    assert (raised.value.row, raised.value.column) == (3, "Start Date")


@pytest.mark.parametrize(("date_format", "expected"), [("MDY", date(2025, 9, 4)), ("DMY", date(2025, 4, 9))])
def test_the_date_format_option_settles_an_ambiguous_file(date_format: str, expected: date) -> None:
    text = HEADER + line("09/04/2025", "10:00 AM", "09/04/2025", "11:00 AM", "01:00:00")
    (row,) = read(text, date_format=date_format)
    assert isinstance(row, ImportRow)
    assert row.entry_date == expected


def test_an_unknown_date_format_is_a_validation_error_naming_it() -> None:
    with pytest.raises(ValidationFailed) as raised:
        read(HEADER, date_format="YMD")
    assert "dateFormat" in raised.value.fields


def test_a_date_that_contradicts_the_settled_order_fails_only_its_own_row() -> None:
    rows = read(
        HEADER
        + line("03/25/2024", "09:00 AM", "03/25/2024", "09:30 AM", "00:30:00")
        + line("25/03/2024", "09:00 AM", "25/03/2024", "09:30 AM", "00:30:00")
    )
    assert isinstance(rows[0], ImportRow)
    assert isinstance(rows[1], RejectedRow)
    assert {(error.column, error.code) for error in rows[1].errors} == {
        ("Start Date", "invalid_date"),
        ("End Date", "invalid_date"),
    }
    assert "MM/DD/YYYY" in rows[1].errors[0].message


@pytest.mark.parametrize(
    ("start", "end", "utc_start", "utc_end"),
    [
        ("12:00 AM", "12:30 AM", (5, 0), (5, 30)),
        ("12:15:00 PM", "1:45:00 PM", (17, 15), (18, 45)),
        ("11:59 PM", "11:59 PM", (4, 59), (4, 59)),
        ("14:05:00", "14:35:00", (19, 5), (19, 35)),
    ],
)
def test_twelve_and_twenty_four_hour_times_read_in_the_zone(
    start: str, end: str, utc_start: tuple[int, int], utc_end: tuple[int, int]
) -> None:
    day = "01/15/2025"
    (row,) = read(HEADER + line(day, start, day, end, ""))
    assert isinstance(row, ImportRow), row
    assert (row.started_at.hour, row.started_at.minute) == utc_start  # type: ignore[union-attr]
    assert (row.stopped_at.hour, row.stopped_at.minute) == utc_end  # type: ignore[union-attr]


def test_minute_precision_times_accept_a_duration_a_few_seconds_longer_and_move_the_end() -> None:
    (row,) = read(HEADER + line("01/15/2025", "10:23 AM", "01/15/2025", "11:23 AM", "01:00:30"))
    assert isinstance(row, ImportRow)
    assert row.duration_seconds == 3630
    assert row.stopped_at == datetime(2025, 1, 15, 16, 23, 30, tzinfo=UTC)


def test_an_hour_of_13_with_pm_is_refused() -> None:
    (row,) = read(HEADER + line("01/15/2025", "13:00 PM", "01/15/2025", "1:30 PM", "00:30:00"))
    assert isinstance(row, RejectedRow)
    assert [(error.column, error.code) for error in row.errors] == [("Start Time", "invalid_time")]


@pytest.mark.parametrize(("duration", "seconds"), [("1:30", 5400), ("1.50", 5400), ("97:16:34", None)])
def test_each_workspace_duration_format_reads(duration: str, seconds: int | None) -> None:
    (row,) = read(HEADER + line("01/15/2025", "08:00 AM", "01/19/2025", "09:16:34 AM", duration))
    if seconds is None:
        assert isinstance(row, RejectedRow)
        assert row.errors[0].code == "duration_over_24_hours"
    else:
        assert isinstance(row, ImportRow)
        assert row.duration_seconds == seconds


def test_the_activity_header_is_the_task_and_missing_billable_and_client_are_none() -> None:
    header = '"Project","Description","Activity","User","Email","Start Date","Start Time","End Date","End Time","Duration (h)"\r\n'
    text = (
        header
        + '"Website","","Research","Ada","ada@example.com","01/15/2025","9:00 AM","01/15/2025","9:30 AM","00:30:00"'
    )
    (row,) = read(text)
    assert isinstance(row, ImportRow)
    assert (row.task, row.billable, row.client, row.note) == ("Research", None, None, None)
    assert row.columns["task"] == "Activity"


def test_only_the_decimal_duration_is_enough() -> None:
    header = '"Project","Start Date","Start Time","Duration (decimal)"\r\n'
    (row,) = read(header + '"Website","2025-01-15","09:00:00","0.25"\r\n')
    assert isinstance(row, ImportRow)
    assert row.duration_seconds == 900
    assert row.stopped_at == datetime(2025, 1, 15, 14, 15, tzinfo=UTC)


@pytest.mark.parametrize(
    ("start_date", "end_date", "timezone", "column"),
    [
        ("01/01/0001", "01/01/0001", "Asia/Tokyo", "Start Date"),
        ("12/31/9999", "12/31/9999", "Etc/GMT+12", "Start Date"),
        ("03/04/2025", "01/01/0001", "Asia/Tokyo", "End Date"),
    ],
)
def test_a_date_at_the_end_of_the_calendar_in_any_zone_is_invalid_date(
    start_date: str, end_date: str, timezone: str, column: str
) -> None:
    text = HEADER + line(start_date, "12:00:00 AM", end_date, "12:30:00 AM", "00:30:00")
    (row,) = read(text, timezone=timezone, date_format="MDY")
    assert isinstance(row, RejectedRow), row
    assert [(error.column, error.code) for error in row.errors] == [(column, "invalid_date")]


@pytest.mark.parametrize(
    ("start", "end"), [("09:00:30", "09:00"), ("9:00:30 AM", "9:00 AM"), ("09:00:59", "09:00")]
)
@pytest.mark.parametrize(("duration", "seconds"), [("00:00:20", 20), ("", 0)])
def test_an_end_without_seconds_in_the_minute_of_a_start_with_seconds_is_the_start(
    start: str, end: str, duration: str, seconds: int
) -> None:
    """Clockify writes the end to the minute: 09:00:30 to 09:00 ended within that minute, not before
    it began. The end is taken as the start, so the duration column says how long it was (the end
    moves to start + duration, as for any minute-precision row); without one it is 0 s."""
    (row,) = read(HEADER + line("01/15/2025", start, "01/15/2025", end, duration))
    assert isinstance(row, ImportRow), row
    started = datetime(2025, 1, 15, 14, 0, int(start.split(":")[2][:2]), tzinfo=UTC)
    assert (row.started_at, row.duration_seconds) == (started, seconds)
    assert row.stopped_at == started + timedelta(seconds=seconds)


def test_an_end_without_seconds_in_the_start_minute_is_the_same_day_without_an_end_date() -> None:
    """With no end date, an earlier end time crosses midnight; an end in the start's own minute
    does not: it is the start, not a day less 30 seconds later."""
    header = '"Project","Email","Start Date","Start Time","End Time","Duration (h)"\r\n'
    (row,) = read(header + '"Website","ada@example.com","01/15/2025","09:00:30","09:00","00:00:10"\r\n')
    assert isinstance(row, ImportRow), row
    assert (row.started_at, row.stopped_at) == (
        datetime(2025, 1, 15, 14, 0, 30, tzinfo=UTC),
        datetime(2025, 1, 15, 14, 0, 40, tzinfo=UTC),
    )


@pytest.mark.parametrize(
    ("start", "end", "duration", "column", "code"),
    [
        ("09:00:30", "08:59", "", "End Time", "end_before_start"),  # the minute before: before the start
        ("09:00:30", "09:00:10", "", "End Time", "end_before_start"),  # seconds: exactly known
        ("09:01", "09:00:30", "", "End Time", "end_before_start"),  # the start has no seconds
        ("09:00:30", "09:00", "00:01:00", "Duration (h)", "duration_exceeds_span"),  # ended in that minute
    ],
)
def test_an_end_before_the_start_minute_or_with_seconds_is_still_refused(
    start: str, end: str, duration: str, column: str, code: str
) -> None:
    (row,) = read(HEADER + line("01/15/2025", start, "01/15/2025", end, duration))
    assert isinstance(row, RejectedRow), row
    assert [(error.column, error.code) for error in row.errors] == [(column, code)]


@pytest.mark.parametrize(("duration", "seconds"), [("23:59:40", 86380), ("23:59", 86340), ("1:00:00", 3600)])
def test_an_end_in_the_start_minute_without_an_end_date_crosses_midnight_when_the_duration_says_so(
    duration: str, seconds: int
) -> None:
    """With no end date, 09:00:30 to 09:00 is either within that minute or across midnight; a
    duration of a minute or more says which (a timer left running overnight). It imported as
    such before Clockify's minute ends were read as the start, which refused it as
    duration_exceeds_span against a span of 0 s."""
    header = '"Project","Email","Start Date","Start Time","End Time","Duration (h)"\r\n'
    text = header + f'"Website","ada@example.com","01/15/2025","09:00:30","09:00","{duration}"\r\n'
    (row,) = read(text)
    assert isinstance(row, ImportRow), row
    started = datetime(2025, 1, 15, 14, 0, 30, tzinfo=UTC)
    assert (row.started_at, row.duration_seconds) == (started, seconds)
    assert row.stopped_at is not None and row.stopped_at.date() == date(2025, 1, 16)
