"""The duration grammar (issue 2) by example: one table per rule, valid and invalid."""

import pytest

from hours_core.duration import (
    MAX_DURATION_SECONDS,
    MAX_DURATION_TEXT_LENGTH,
    DurationError,
    DurationOutOfRange,
    DurationTooLong,
    format_clock,
    format_duration,
    parse_duration,
)
from hours_core.errors import HoursError

INVALID = "invalid_duration"
TOO_LONG = "duration_too_long"
OUT_OF_RANGE = "duration_out_of_range"


def refusal(text: str) -> DurationError:
    with pytest.raises(DurationError) as caught:
        parse_duration(text)
    return caught.value


# The examples that the issue says must hold.


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("1h30m", 5400),
        ("1h 30m", 5400),
        ("1:30", 5400),
        ("90m", 5400),
        ("1.5h", 5400),
        ("PT1H30M", 5400),
        ("5400s", 5400),
        ("1:30:15", 5415),
        ("0", 0),
    ],
)
def test_the_examples_of_the_issue_are_accepted(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["90", "1,5h", "-1h", "1h1h", "30m1h", "1.5h30m", "1:60", "h", "1 d"])
def test_the_counter_examples_of_the_issue_are_refused(text: str) -> None:
    assert refusal(text).code == INVALID


# Rule 1: length first, then the characters; letters are case-insensitive; a unit is a whole run.


def test_text_of_exactly_the_maximum_length_is_read() -> None:
    text = "1h" + " " * (MAX_DURATION_TEXT_LENGTH - 2)
    assert len(text) == MAX_DURATION_TEXT_LENGTH
    assert parse_duration(text) == 3600


@pytest.mark.parametrize(
    "text",
    [
        "1h" + " " * (MAX_DURATION_TEXT_LENGTH - 1),
        "-" * (MAX_DURATION_TEXT_LENGTH + 1),
        "\u00a0" * 100,
        "1" * 5000,
    ],
)
def test_text_over_64_characters_is_refused_before_anything_else(text: str) -> None:
    error = refusal(text)
    assert isinstance(error, DurationTooLong)
    assert error.code == TOO_LONG
    assert error.position == MAX_DURATION_TEXT_LENGTH
    assert "at most 64 characters" in error.message


@pytest.mark.parametrize(
    ("text", "position"),
    [
        ("1,5h", 1),
        ("1h+30m", 2),
        ("-1h", 0),
        ("1_000m", 1),
        ("1h\n", 2),
        ("1h\r\n", 2),
        ("1\u00a0h", 1),
        ("\u0661h", 0),
        ("1\uff10m", 1),
        ("1\u00b2h", 1),
        ("1hé", 2),
        ("1h\x00", 2),
        ("1h\x0b", 2),
        ("1/2h", 1),
        ("1h;", 2),
    ],
)
def test_characters_outside_the_alphabet_are_refused_where_they_stand(text: str, position: int) -> None:
    error = refusal(text)
    assert error.code == INVALID
    assert error.position == position
    assert f"at character {position + 1}" in error.message


def test_a_comma_is_refused_with_a_hint_to_use_a_point() -> None:
    assert "use '.' for a fraction" in refusal("1,5h").message


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("1H30M", 5400),
        ("pt1h30m", 5400),
        ("Pt1H30m", 5400),
        ("1Hours 30MiNuTeS", 5400),
        ("2HRS", 7200),
        ("5 SEC", 5),
    ],
)
def test_letters_are_case_insensitive(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    ("text", "position"),
    [("1hh", 1), ("1ms", 1), ("1e3m", 1), ("1hourss", 1), ("1h30mm", 4), ("1hrm", 1), ("1 hm", 2)],
)
def test_a_unit_is_the_whole_run_of_letters(text: str, position: int) -> None:
    error = refusal(text)
    assert error.code == INVALID
    assert error.position == position
    assert error.message.startswith("unknown unit")


# Rule 2: h, m and s with their spellings; no days or weeks.


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("2h", 7200),
        ("2hr", 7200),
        ("2hrs", 7200),
        ("2hour", 7200),
        ("2hours", 7200),
        ("2m", 120),
        ("2min", 120),
        ("2mins", 120),
        ("2minute", 120),
        ("2minutes", 120),
        ("2s", 2),
        ("2sec", 2),
        ("2secs", 2),
        ("2second", 2),
        ("2seconds", 2),
        ("2 hours 5 minutes 7 seconds", 7507),
        ("1hr30min", 5400),
    ],
)
def test_every_spelling_of_hours_minutes_and_seconds_is_accepted(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    ("text", "position"), [("1d", 1), ("1 d", 2), ("2 days", 2), ("1w", 1), ("1 week", 2)]
)
def test_days_and_weeks_are_refused_because_their_length_is_ambiguous(text: str, position: int) -> None:
    error = refusal(text)
    assert error.code == INVALID
    assert error.position == position
    assert "8 h in some tools, 24 h in others" in error.message


def test_an_unknown_unit_is_named_with_its_position_and_the_expected_units() -> None:
    error = refusal("1 d")
    assert error.position == 2
    assert error.message.startswith(
        "unknown unit 'd' at character 3; expected h, m or s (or hours, minutes, seconds)"
    )


@pytest.mark.parametrize("text", ["PT1D", "P1D", "P1DT2H", "PT1W", "P1W"])
def test_iso_days_weeks_and_dates_are_refused(text: str) -> None:
    assert refusal(text).code == INVALID


# Rule 3: a bare number other than zero has no unit.


@pytest.mark.parametrize("text", ["90", "1.5", "3600", "0.5", ".5", "1", " 30 ", "007"])
def test_a_bare_number_other_than_zero_is_refused(text: str) -> None:
    error = refusal(text)
    assert error.code == INVALID
    assert error.message.startswith("a bare number needs a unit")
    assert error.position == len(text) - len(text.lstrip())


def test_a_bare_number_is_refused_with_the_spellings_that_would_work() -> None:
    assert refusal("90").message.startswith("a bare number needs a unit: write 90m, 90s or 1:30")


@pytest.mark.parametrize(
    "text", ["0", "00", "0.0", ".0", "0.000", " 0 ", "\t0", "0h", "0m0s", "0:00", "PT0S"]
)
def test_zero_in_any_form_is_zero(text: str) -> None:
    assert parse_duration(text) == 0


# Rule 4: the first part is unbounded, later parts are below 60; clock fields have two digits.


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("150m", 9000),
        ("100:00", 360_000),
        ("1000h", 3_600_000),
        ("90s", 90),
        ("7200s", 7200),
        ("PT90M", 5400),
        ("90m 30s", 5430),
        ("1h 59m 59s", 7199),
        ("1h59.99m", 7199),
        ("0:59:59", 3599),
        ("00001:00", 3600),
    ],
)
def test_the_first_part_is_unbounded_and_later_parts_may_reach_59(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    ("text", "position"),
    [
        ("1h90m", 2),
        ("1h60m", 2),
        ("1h60s", 2),
        ("1m60s", 2),
        ("1h 60.0m", 3),
        ("1h 0m 60s", 6),
        ("PT1H90M", 4),
        ("PT1M60S", 4),
        ("1:60", 2),
        ("1:30:60", 5),
        ("1:99", 2),
    ],
)
def test_a_later_part_of_60_or_more_is_refused(text: str, position: int) -> None:
    error = refusal(text)
    assert error.code == INVALID
    assert error.position == position
    assert "must be below 60" in error.message


@pytest.mark.parametrize(
    ("text", "advice"),
    [
        ("1h90m", "minutes must be below 60 after an hour part ('1h90m')"),
        ("1h90m", "; write 2h30m"),
        ("1m 75s", "; write 2m15s"),
        ("PT1H90M", "; write PT2H30M"),
        ("1:60", "; write 2:00"),
        ("1:30:75", "; write 1:31:15"),
    ],
)
def test_a_later_part_of_60_or_more_is_refused_with_the_carried_form(text: str, advice: str) -> None:
    assert advice in refusal(text).message


@pytest.mark.parametrize(
    ("text", "position"),
    [("1:5", 2), ("1:005", 2), ("1:30:5", 5), ("1:", 2), ("1:30:", 5), ("1: 30", 2), ("1:3 0", 2)],
)
def test_clock_minutes_and_seconds_are_exactly_two_digits(text: str, position: int) -> None:
    error = refusal(text)
    assert error.code == INVALID
    assert error.position == position
    assert "expected two digits" in error.message


@pytest.mark.parametrize(
    ("text", "position"),
    [("30m1h", 4), ("1s1m", 3), ("1m 2h", 4), ("1s 1h", 4), ("PT1M1H", 5), ("PT1S1M", 5)],
)
def test_units_out_of_descending_order_are_refused(text: str, position: int) -> None:
    error = refusal(text)
    assert error.code == INVALID
    assert error.position == position
    assert "write hours, then minutes, then seconds" in error.message


@pytest.mark.parametrize(("text", "position"), [("1h1h", 3), ("1m 1m", 4), ("1s1s", 3), ("PT1H1H", 5)])
def test_a_unit_given_twice_is_refused(text: str, position: int) -> None:
    error = refusal(text)
    assert error.code == INVALID
    assert error.position == position
    assert "appears twice" in error.message


@pytest.mark.parametrize(
    ("text", "position"),
    [("1.5h30m", 4), ("1.5m 30s", 5), ("1h 1.5m 30s", 8), ("PT1.5H30M", 6), ("0.5h 0m", 5)],
)
def test_only_the_last_part_may_have_a_fraction(text: str, position: int) -> None:
    error = refusal(text)
    assert error.code == INVALID
    assert error.position == position
    assert error.message.startswith("only the last part may have a fraction")


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("1h 30.5m", 5430), ("1h30m15.5s", 5416), ("PT1H30.5M", 5430), ("1h.5m", 3630), ("1m 0.25s", 60)],
)
def test_the_last_part_may_have_a_fraction(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(("text", "position"), [("1.5:30", 0), ("1:30.5", 4), ("1:30:15.5", 7), (".5:00", 0)])
def test_a_clock_duration_has_no_fractions(text: str, position: int) -> None:
    error = refusal(text)
    assert error.code == INVALID
    assert error.position == position


# Rule 5: exact arithmetic, rounded once to whole seconds, half to even.


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("1.3333h", 4800),
        ("8.2h", 29520),
        ("2.5s", 2),
        ("3.5s", 4),
        ("0.5s", 0),
        ("1.5s", 2),
        ("0.4999999s", 0),
        ("0.5000001s", 1),
        ("0.01m", 1),
        ("0.025m", 2),
        ("0.0125m", 1),
        ("1h 0.5s", 3600),
        ("1m 1.5s", 62),
        ("4.1m", 246),
        ("0.1h", 360),
        ("0.000138888h", 0),
        ("0.000139h", 1),
        (".5h", 1800),
        ("1.00000000000000000000000000000000000000000000000000000000001h", 3600),
    ],
)
def test_the_exact_value_is_rounded_once_half_to_even(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


# Rule 6: the result is in 0..99999:59:59 after rounding, never clamped; empty text is an error.


@pytest.mark.parametrize(
    "text",
    ["99999:59:59", "99999h59m59s", "359999999s", "PT99999H59M59S", "5999999m 59s", "99999h59m59.4s"],
)
def test_the_largest_duration_is_accepted(text: str) -> None:
    assert parse_duration(text) == MAX_DURATION_SECONDS


@pytest.mark.parametrize(
    "text",
    [
        "100000:00",
        "100000h",
        "360000000s",
        "PT100000H",
        "99999h59m59.5s",
        "99999.99999h",
        "9" * 60 + "h",
        "9" * 64,
    ],
)
def test_a_duration_above_the_maximum_is_refused_not_clamped(text: str) -> None:
    error = refusal(text)
    if text.isdigit():  # a bare number is refused for its missing unit first
        assert error.code == INVALID
        return
    assert isinstance(error, DurationOutOfRange)
    assert error.code == OUT_OF_RANGE
    assert error.position is None
    assert "at most 99999:59:59" in error.message


@pytest.mark.parametrize("text", ["", " ", "\t", " \t  "])
def test_empty_or_blank_text_is_refused(text: str) -> None:
    error = refusal(text)
    assert error.code == INVALID
    assert error.position is None
    assert error.message.startswith("a duration is required")


# Interpretation choices (docs/duration.md).


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("1 h", 3600),
        ("1 h 30 m", 5400),
        ("1\th\t30\tm", 5400),
        ("  1h30m  ", 5400),
        ("\t1:30\t", 5400),
        (" PT1H ", 3600),
        ("1h30 m", 5400),
        ("PT.5H", 1800),
        ("PT1H30S", 3630),
        ("1h 30s", 3630),
    ],
)
def test_blanks_around_the_duration_and_between_a_number_and_its_unit_are_allowed(
    text: str, seconds: int
) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    ("text", "position"),
    [
        ("PT", 2),
        ("pt", 2),
        ("PT 1H", 2),
        ("PT1H 30M", 4),
        ("PT1 H", 3),
        ("PT1HOUR", 3),
        ("PT1H30", 4),
        ("PT1.H", 4),
        ("PTH", 0),
        ("P", 0),
    ],
)
def test_the_iso_form_is_strict(text: str, position: int) -> None:
    error = refusal(text)
    assert error.code == INVALID
    assert error.position == position


@pytest.mark.parametrize(
    ("text", "position", "start"),
    [
        ("1h30", 2, "the number '30' at character 3 needs a unit"),
        ("1h 30 ", 3, "the number '30' at character 4 needs a unit"),
        ("1 30m", 2, "expected a unit at character 3"),
        ("1 :30", 2, "expected a unit at character 3"),
        ("1s 5", 3, "unexpected '5' at character 4"),
    ],
)
def test_a_later_number_without_a_unit_is_refused(text: str, position: int, start: str) -> None:
    error = refusal(text)
    assert error.code == INVALID
    assert error.position == position
    assert error.message.startswith(start)


@pytest.mark.parametrize(
    ("text", "position"),
    [
        ("h", 0),
        ("hours", 0),
        (":30", 0),
        ("x", 0),
        ("  h", 2),
        ("1.", 2),
        ("1.h", 2),
        (".", 1),
        ("1..5h", 2),
        ("1.2.3h", 3),
        ("1h:30", 2),
        ("1h m", 3),
        ("1:30m", 4),
        ("1:30 h", 4),
    ],
)
def test_malformed_text_is_refused_at_the_first_place_it_goes_wrong(text: str, position: int) -> None:
    error = refusal(text)
    assert error.code == INVALID
    assert error.position == position
    assert f"at character {position + 1}" in error.message


# The error type.


def test_duration_errors_are_value_errors_and_hours_errors_with_stable_codes() -> None:
    assert issubclass(DurationError, ValueError)
    assert issubclass(DurationError, HoursError)
    assert issubclass(DurationTooLong, DurationError)
    assert issubclass(DurationOutOfRange, DurationError)
    assert (DurationError.code, DurationTooLong.code, DurationOutOfRange.code) == (
        INVALID,
        TOO_LONG,
        OUT_OF_RANGE,
    )


def test_a_duration_error_carries_its_message_and_position() -> None:
    error = refusal("1 d")
    assert (error.code, error.position) == (INVALID, 2)
    assert str(error) == error.message


def test_parse_duration_refuses_what_is_not_a_string() -> None:
    with pytest.raises(TypeError):
        parse_duration(5400)  # type: ignore[arg-type]


# Rule 7: the canonical and the clock forms.


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0s"),
        (1, "1s"),
        (59, "59s"),
        (60, "1m"),
        (90, "1m30s"),
        (3600, "1h"),
        (3601, "1h1s"),
        (5400, "1h30m"),
        (5415, "1h30m15s"),
        (86400, "24h"),
        (MAX_DURATION_SECONDS, "99999h59m59s"),
    ],
)
def test_format_duration_writes_the_non_zero_parts_without_spaces(seconds: int, text: str) -> None:
    assert format_duration(seconds) == text
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0:00"),
        (1, "0:00:01"),
        (60, "0:01"),
        (3600, "1:00"),
        (5400, "1:30"),
        (5415, "1:30:15"),
        (86400, "24:00"),
        (MAX_DURATION_SECONDS, "99999:59:59"),
    ],
)
def test_format_clock_drops_the_seconds_only_when_they_are_zero(seconds: int, text: str) -> None:
    assert format_clock(seconds) == text
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("formatter", [format_duration, format_clock])
@pytest.mark.parametrize("seconds", [-1, MAX_DURATION_SECONDS + 1, -(10**20), 10**20])
def test_formatting_refuses_seconds_out_of_range(formatter: object, seconds: int) -> None:
    with pytest.raises(DurationOutOfRange) as caught:
        formatter(seconds)  # type: ignore[operator]
    assert caught.value.code == OUT_OF_RANGE
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize("formatter", [format_duration, format_clock])
@pytest.mark.parametrize("seconds", [True, False, 1.0, "60", None])
def test_formatting_refuses_what_is_not_an_int(formatter: object, seconds: object) -> None:
    with pytest.raises(DurationError) as caught:
        formatter(seconds)  # type: ignore[operator]
    assert caught.value.code == INVALID
    assert isinstance(caught.value, ValueError)
