"""Rounding rules: the ``MODE:MINUTES:SCOPE`` spelling and what each mode does to seconds."""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from hours_core.errors import ValidationFailed
from hours_core.rounding import ROUNDING_MINUTES, Rounding, RoundingMode, RoundingScope, entry_seconds

EVERY_SPELLING = [
    f"{mode}:{minutes}:{scope}"
    for mode, minutes, scope in itertools.product(
        ["up", "down", "nearest"], ROUNDING_MINUTES, ["entry", "group"]
    )
]
every_rounding = st.sampled_from(EVERY_SPELLING).map(Rounding.parse)


@pytest.mark.parametrize("text", EVERY_SPELLING)
def test_every_spelling_reads_back_as_itself(text: str) -> None:
    assert str(Rounding.parse(text)) == text


def test_parse_reads_the_three_parts() -> None:
    assert Rounding.parse("nearest:6:group") == Rounding(RoundingMode.NEAREST, 6, RoundingScope.GROUP)
    assert Rounding.parse("up:15:entry").step_seconds == 900


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "must be MODE:MINUTES:SCOPE, e.g. up:15:entry or nearest:6:group, three parts separated by ':'"),
        (
            "up:15",
            "must be MODE:MINUTES:SCOPE, e.g. up:15:entry or nearest:6:group, three parts separated by ':'",
        ),
        (
            "up:15:entry:x",
            "must be MODE:MINUTES:SCOPE, e.g. up:15:entry or nearest:6:group, three parts separated by ':'",
        ),
        ("up:7:entry", "minutes must be 1, 5, 6, 10, 12, 15, 30 or 60, not '7'"),
        ("up:015:entry", "minutes must be 1, 5, 6, 10, 12, 15, 30 or 60, not '015' (write 15)"),
        ("up:１５:entry", "minutes must be 1, 5, 6, 10, 12, 15, 30 or 60, not '１５'"),
        ("UP:15:entry", "mode must be up, down or nearest, not 'UP' (write up)"),
        (" up:15:entry", "mode must be up, down or nearest, not ' up' (write up)"),
        (
            "round:15:day",
            "mode must be up, down or nearest, not 'round'; scope must be entry or group, not 'day'",
        ),
        ("up::entry", "minutes is missing (one of 1, 5, 6, 10, 12, 15, 30 or 60)"),
        (
            "up:15:" + "e" * 40,
            "must be MODE:MINUTES:SCOPE, e.g. up:15:entry or nearest:6:group (got 46 characters)",
        ),
        ("up:15:entr\x00", "scope must be entry or group, not 'entr\\x00'"),
    ],
)
def test_a_wrong_rounding_names_every_wrong_part(text: str, message: str) -> None:
    with pytest.raises(ValidationFailed) as raised:
        Rounding.parse(text)
    assert raised.value.fields == {"rounding": message}


def test_the_field_name_can_be_chosen() -> None:
    with pytest.raises(ValidationFailed) as raised:
        Rounding.parse("x", field="defaultRounding")
    assert set(raised.value.fields) == {"defaultRounding"}


@given(st.text(max_size=50) | st.from_regex(r"[a-z]{0,8}:[0-9]{0,3}:[a-z]{0,6}", fullmatch=True))
@example("nearest:60:group")
def test_parse_returns_a_rounding_or_its_own_error_on_any_text(text: str) -> None:
    try:
        outcome: Rounding | ValidationFailed = Rounding.parse(text)
    except ValidationFailed as error:
        outcome = error
    if isinstance(outcome, ValidationFailed):
        assert set(outcome.fields) == {"rounding"}
        assert 0 < len(outcome.fields["rounding"]) < 400
    else:
        assert str(outcome) == text


def test_a_rounding_refuses_minutes_outside_the_list() -> None:
    with pytest.raises(ValueError, match="minutes"):
        Rounding(RoundingMode.UP, 7, RoundingScope.ENTRY)


def reference(seconds: int, mode: RoundingMode, step: int) -> int:
    steps = Fraction(seconds, step)
    if mode is RoundingMode.UP:
        return math.ceil(steps) * step
    if mode is RoundingMode.DOWN:
        return math.floor(steps) * step
    return math.floor(steps + Fraction(1, 2)) * step


@given(every_rounding, st.integers(min_value=0, max_value=10**7))
def test_round_seconds_lands_on_a_multiple_within_one_step_as_the_mode_says(
    rounding: Rounding, seconds: int
) -> None:
    step = rounding.step_seconds
    rounded = rounding.round_seconds(seconds)
    assert rounded % step == 0
    assert abs(rounded - seconds) < step
    assert rounded == reference(seconds, rounding.mode, step)
    if rounding.mode is RoundingMode.UP:
        assert rounded >= seconds
    if rounding.mode is RoundingMode.DOWN:
        assert rounded <= seconds
    if rounding.mode is RoundingMode.NEAREST:
        assert 2 * abs(rounded - seconds) <= step


@given(every_rounding, st.integers(min_value=0, max_value=10**5))
def test_an_exact_multiple_never_moves(rounding: Rounding, multiple: int) -> None:
    seconds = multiple * rounding.step_seconds
    assert rounding.round_seconds(seconds) == seconds


@given(every_rounding, st.integers(min_value=0, max_value=10**5))
def test_nearest_sends_a_tie_up(rounding: Rounding, multiple: int) -> None:
    nearest = Rounding(RoundingMode.NEAREST, rounding.minutes, rounding.scope)
    step = nearest.step_seconds
    assert nearest.round_seconds(multiple * step + step // 2) == (multiple + 1) * step
    assert nearest.round_seconds(multiple * step + step // 2 - 1) == multiple * step


@given(every_rounding, st.integers(min_value=0, max_value=10**6), st.integers(min_value=0, max_value=10**6))
def test_rounding_keeps_the_order_of_durations(rounding: Rounding, a: int, b: int) -> None:
    low, high = sorted((a, b))
    assert rounding.round_seconds(low) <= rounding.round_seconds(high)


def test_a_rounded_entry_stays_within_a_day() -> None:
    for text in EVERY_SPELLING:
        assert Rounding.parse(text).round_seconds(86_400) == 86_400


@pytest.mark.parametrize("bad", [-1, 1.5, True])
def test_round_seconds_takes_non_negative_integers(bad: object) -> None:
    with pytest.raises(ValueError, match="non-negative int"):
        Rounding.parse("up:15:entry").round_seconds(bad)  # type: ignore[arg-type]


def test_only_entry_scope_rounds_each_entry() -> None:
    assert entry_seconds(None, 601) == 601
    assert entry_seconds(Rounding.parse("up:15:group"), 601) == 601
    assert entry_seconds(Rounding.parse("up:15:entry"), 601) == 900
    assert entry_seconds(Rounding.parse("down:10:entry"), 601) == 600
