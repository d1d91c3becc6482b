"""The cell grammars: durations, times of day, dates; and that bad text only ever fails one way."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from hours_exchange import DateFormat
from hours_exchange.wall_clock import (
    CellProblem,
    Duration,
    SpanProblem,
    parse_date,
    parse_duration_text,
    parse_time_of_day,
    place_span,
)


@pytest.mark.parametrize(
    ("text", "seconds", "precision"),
    [
        ("00:00:00", 0, 1),
        ("97:16:34", 350_194, 1),
        ("1:30", 5400, 60),
        ("1.85", 6660, 36),
        ("20,0", 72_000, 360),
        ("2.000,0", 7_200_000, 360),
        ("1,234", 4442, 4),
        ("0.0001", 0, 1),
        ("0.00014", 1, 1),
        ("1.5 h", 5400, 360),
        ("47:06 min", 2826, 1),
    ],
)
def test_durations_read_to_whole_seconds(text: str, seconds: int, precision: int) -> None:
    duration = parse_duration_text(text)
    assert (duration.seconds, duration.precision) == (seconds, precision)


@pytest.mark.parametrize(
    "text", ["", "1:60", "1:2", "-1:00", "1.2.3,4", "1,5,0", "1h30m", "12:30:61", "1:00:00 min"]
)
def test_malformed_durations_are_refused(text: str) -> None:
    with pytest.raises(CellProblem) as raised:
        parse_duration_text(text)
    assert raised.value.code == "invalid_duration"


@pytest.mark.parametrize(
    ("text", "expected", "has_seconds"),
    [
        ("00:00:00", time(0, 0), True),
        ("12:00 AM", time(0, 0), False),
        ("12:30:15 pm", time(12, 30, 15), True),
        ("1:05 P.M.", time(13, 5), False),
        ("23:59", time(23, 59), False),
    ],
)
def test_times_of_day_read_in_12_and_24_hours(text: str, expected: time, has_seconds: bool) -> None:
    clock = parse_time_of_day(text)
    assert (clock.value, clock.has_seconds) == (expected, has_seconds)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10:23\u202fAM", time(10, 23)),  # CLDR 42 (Java 20, ICU 72): a narrow no-break space
        ("10:23:52\u202fPM", time(22, 23, 52)),
        ("1:05\u00a0p.m.", time(13, 5)),  # a no-break space, as a spreadsheet may save it
    ],
)
def test_a_12_hour_time_with_a_no_break_space_before_am_pm_reads(text: str, expected: time) -> None:
    assert parse_time_of_day(text).value == expected


@pytest.mark.parametrize(("text", "seconds"), [("1.5\u00a0h", 5400), ("47:06\u202fmin", 2826)])
def test_a_duration_with_a_no_break_space_before_its_unit_reads(text: str, seconds: int) -> None:
    assert parse_duration_text(text).seconds == seconds


@pytest.mark.parametrize("text", ["24:00", "0:00 AM", "13:00 PM", "9", "9:5", "noon"])
def test_impossible_times_are_refused(text: str) -> None:
    with pytest.raises(CellProblem):
        parse_time_of_day(text)


@pytest.mark.parametrize(
    ("text", "order", "expected"),
    [
        ("2025-04-09", None, date(2025, 4, 9)),
        ("2025/4/9", DateFormat.DMY, date(2025, 4, 9)),
        ("09/04/2025", DateFormat.MDY, date(2025, 9, 4)),
        ("09.04.2025", DateFormat.DMY, date(2025, 4, 9)),
        ("9-4-2025", DateFormat.DMY, date(2025, 4, 9)),
    ],
)
def test_dates_read_in_the_given_order(text: str, order: DateFormat | None, expected: date) -> None:
    assert parse_date(text, order) == expected


def code_of(parse: Callable[[str], object], text: str) -> str | None:
    """The code of the CellProblem ``parse(text)`` raises, or ``None`` when it reads."""
    try:
        parse(text)
    except CellProblem as problem:
        return problem.code
    return None


@given(st.text(max_size=20) | st.from_regex(r"[0-9]{30,40}([.,][0-9]{0,5})?", fullmatch=True))
@example("9" * 5000)
@example("1." + "5" * 5000)
@example("9" * 5000 + ",5")
def test_any_text_is_a_duration_or_a_cell_problem(text: str) -> None:
    assert code_of(parse_duration_text, text) in (None, "invalid_duration")


@given(st.text(max_size=20), st.sampled_from([None, DateFormat.MDY, DateFormat.DMY]))
def test_any_text_is_a_date_or_a_cell_problem(text: str, order: DateFormat | None) -> None:
    assert code_of(lambda value: parse_date(value, order), text) in (None, "invalid_date")


@given(st.text(max_size=20))
def test_any_text_is_a_time_or_a_cell_problem(text: str) -> None:
    assert code_of(parse_time_of_day, text) in (None, "invalid_time")


@pytest.mark.parametrize("text", ["\u0661:\u0663\u0660", "\uff11.5"])
def test_only_ascii_digits_count(text: str) -> None:
    with pytest.raises(CellProblem):
        parse_duration_text(text)


SPAN_CODES = {
    "invalid_date",
    "nonexistent_local_time",
    "missing_value",
    "end_before_start",
    "duration_exceeds_span",
    "duration_over_24_hours",
}
"""What :func:`place_span` may refuse a row with (docs/export-import.md, "Wall-clock times")."""

zones = st.timezones() | st.integers(-23 * 60, 23 * 60).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
durations = st.none() | st.builds(Duration, st.integers(0, 200_000), st.sampled_from([1, 60, 36, 360]))


@given(st.datetimes(), st.none() | st.datetimes(), durations, zones, st.booleans())
@example(datetime(1, 1, 1), None, Duration(600, 1), ZoneInfo("Europe/Berlin"), False)
@example(datetime(1, 1, 1), datetime(2024, 1, 1), None, ZoneInfo("Europe/Berlin"), False)
@example(datetime(1, 1, 1), None, Duration(600, 1), ZoneInfo("Etc/GMT-14"), False)
@example(datetime(9999, 12, 31, 23), None, Duration(600, 1), ZoneInfo("Etc/GMT+12"), False)
@example(datetime(2024, 1, 1), datetime(9999, 12, 31, 23, 59), None, ZoneInfo("Etc/GMT+12"), False)
@example(datetime(2024, 1, 1), datetime(1, 1, 1), None, ZoneInfo("Etc/GMT-14"), False)
def test_any_wall_clock_span_in_any_zone_is_placed_or_is_a_row_error(
    start: datetime, end: datetime | None, duration: Duration | None, zone: tzinfo, minutes: bool
) -> None:
    try:
        span = place_span(start, end, duration, zone, minute_precision=minutes)
    except SpanProblem as raised:
        problem = raised
    else:
        problem = None
    if problem is not None:
        assert problem.code in SPAN_CODES
        assert problem.column in {"start_date", "start", "end_date", "end", "duration"}
        return
    assert span.started_at.tzinfo is UTC
    assert 0 <= span.duration_seconds <= 86_400
    assert span.started_at <= span.stopped_at


@pytest.mark.parametrize(
    ("start", "zone"),
    [
        (datetime(1, 1, 1), "Europe/Berlin"),
        (datetime(1, 1, 1), "Etc/GMT-14"),
        (datetime(9999, 12, 31, 23), "Etc/GMT+12"),
        (datetime(9999, 12, 31, 23), "Europe/Berlin"),
        (datetime(1999, 12, 31, 23), "UTC"),
        (datetime(2101, 1, 1), "UTC"),
    ],
)
def test_a_start_outside_the_entry_dates_is_invalid_date_before_any_zone_arithmetic(
    start: datetime, zone: str
) -> None:
    with pytest.raises(SpanProblem) as raised:
        place_span(start, None, Duration(600, 1), ZoneInfo(zone), minute_precision=False)
    assert (raised.value.column, raised.value.code) == ("start_date", "invalid_date")
    assert raised.value.message == f"the date must be from 2000-01-01 to 2100-12-31, got {start.date()}"


@pytest.mark.parametrize(
    ("end", "zone"), [(datetime(9999, 12, 31, 23, 59), "Etc/GMT+12"), (datetime(1, 1, 1), "Etc/GMT-14")]
)
def test_an_end_beyond_the_calendar_in_its_zone_is_invalid_date_on_the_end_date(
    end: datetime, zone: str
) -> None:
    with pytest.raises(SpanProblem) as raised:
        place_span(datetime(2024, 1, 1), end, None, ZoneInfo(zone), minute_precision=False)
    assert (raised.value.column, raised.value.code) == ("end_date", "invalid_date")
    assert raised.value.message == (
        f"is {end.date()}, too far from the start date 2024-01-01 for one entry (at most 24:00:00)"
    )


def test_a_duration_of_thousands_of_digits_is_refused_without_reading_it() -> None:
    with pytest.raises(CellProblem) as raised:
        parse_duration_text("9" * 5000)
    assert raised.value.code == "invalid_duration"
    assert raised.value.message == (
        "is 5,000 characters long; a duration like 1:30:00, 1:30 or 1.5 (hours) has at most 32"
    )
