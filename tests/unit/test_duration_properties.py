"""Properties of the duration grammar: round trips, oracles, and robustness on any text."""

import re
import string
from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction

from hypothesis import assume, example, given
from hypothesis import strategies as st

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
from hours_core.duration import _scan as scan_reference

SPELLINGS = {
    3600: ["h", "hr", "hrs", "hour", "hours"],
    60: ["m", "min", "mins", "minute", "minutes"],
    1: ["s", "sec", "secs", "second", "seconds"],
}
ISO_DESIGNATORS = {3600: "H", 60: "M", 1: "S"}
ALLOWED_CHARACTERS = frozenset(string.ascii_letters + string.digits + ".: \t")
UNIT_ORDERS = [(3600,), (60,), (1,), (3600, 60), (3600, 1), (60, 1), (3600, 60, 1)]

seconds_in_range = st.integers(min_value=0, max_value=MAX_DURATION_SECONDS)
blanks = st.text(alphabet=" \t", max_size=2)
digits = st.text(alphabet="0123456789", min_size=1, max_size=6)


def attempt(parse: Callable[[str], int], text: str) -> int | DurationError:
    """The value of ``parse(text)``, or the DurationError it raised."""
    try:
        return parse(text)
    except DurationError as error:
        return error


def outcome(parse: Callable[[str], int], text: str) -> tuple[object, ...]:
    """What ``parse(text)`` does: its value, or its error's type, code, position and message."""
    result = attempt(parse, text)
    if isinstance(result, DurationError):
        return ("error", type(result), result.code, result.position, result.message)
    return ("value", result)


def assert_value_or_duration_error(text: str) -> None:
    """The parser returns an int in range or raises its own error, which names a real place."""
    result = attempt(parse_duration, text)
    if isinstance(result, DurationError):
        assert result.message
        assert str(result) == result.message
        if result.position is not None:
            assert 0 <= result.position <= len(text)
            assert f"character {result.position + 1}" in result.message
    else:
        assert type(result) is int
        assert 0 <= result <= MAX_DURATION_SECONDS
    if len(text) <= MAX_DURATION_TEXT_LENGTH:
        # The fast path never disagrees with the reference scanner, on values or on errors.
        assert outcome(parse_duration, text) == outcome(scan_reference, text)


@st.composite
def numbers(draw: st.DrawFn, *, largest: int, fraction: bool) -> tuple[str, Fraction]:
    """A decimal as written (maybe zero-padded, maybe ``.5``) and its exact value."""
    whole = draw(st.integers(min_value=0, max_value=largest))
    written = str(whole).zfill(draw(st.integers(min_value=1, max_value=3)))
    if fraction and draw(st.booleans()):
        fraction_digits = draw(digits)
        if whole == 0 and draw(st.booleans()):
            written = ""
        written += "." + fraction_digits
        return written, Fraction(f"{whole}.{fraction_digits}")
    return written, Fraction(whole)


@st.composite
def unit_forms(draw: st.DrawFn) -> tuple[str, Fraction]:
    """``1h 30m``-style text and its exact value."""
    units = draw(st.sampled_from(UNIT_ORDERS))
    text = ""
    value = Fraction(0)
    for index, unit in enumerate(units):
        number, number_value = draw(
            numbers(largest=10**6 if index == 0 else 59, fraction=index == len(units) - 1)
        )
        text += number + draw(blanks) + draw(st.sampled_from(SPELLINGS[unit])) + draw(blanks)
        value += number_value * unit
    return text, value


@st.composite
def iso_forms(draw: st.DrawFn) -> tuple[str, Fraction]:
    """``PT1H30M``-style text and its exact value."""
    units = draw(st.sampled_from(UNIT_ORDERS))
    text = "PT"
    value = Fraction(0)
    for index, unit in enumerate(units):
        number, number_value = draw(
            numbers(largest=10**6 if index == 0 else 59, fraction=index == len(units) - 1)
        )
        text += number + ISO_DESIGNATORS[unit]
        value += number_value * unit
    return text, value


@st.composite
def clock_forms(draw: st.DrawFn) -> tuple[str, Fraction]:
    """``H:MM`` or ``H:MM:SS`` text and its value."""
    hours = draw(st.integers(min_value=0, max_value=100_001))
    minutes = draw(st.integers(min_value=0, max_value=59))
    text = f"{hours}:{minutes:02d}"
    value = hours * 3600 + minutes * 60
    if draw(st.booleans()):
        secs = draw(st.integers(min_value=0, max_value=59))
        text += f":{secs:02d}"
        value += secs
    return text, Fraction(value)


zero_forms = st.from_regex(r"0+(\.0+)?|\.0+", fullmatch=True).map(lambda text: (text, Fraction(0)))
valid_forms = st.one_of(unit_forms(), iso_forms(), clock_forms(), zero_forms).filter(
    lambda form: len(form[0]) <= MAX_DURATION_TEXT_LENGTH
)


# Round trips.


@given(seconds_in_range)
@example(0)
@example(1)
@example(59)
@example(60)
@example(3599)
@example(3600)
@example(86_400)
@example(MAX_DURATION_SECONDS)
def test_the_canonical_form_reads_back_to_the_same_seconds(seconds: int) -> None:
    assert parse_duration(format_duration(seconds)) == seconds


@given(seconds_in_range)
@example(0)
@example(1)
@example(60)
@example(3600)
@example(MAX_DURATION_SECONDS)
def test_the_clock_form_reads_back_to_the_same_seconds(seconds: int) -> None:
    assert parse_duration(format_clock(seconds)) == seconds


@given(valid_forms)
def test_formatting_a_parsed_duration_gives_a_fixed_point(form: tuple[str, Fraction]) -> None:
    text, value = form
    assume(round(value) <= MAX_DURATION_SECONDS)
    canonical = format_duration(parse_duration(text))
    assert format_duration(parse_duration(canonical)) == canonical


# Oracles.


@given(valid_forms)
@example(("1.3333h", Fraction("1.3333") * 3600))
@example(("99999h59m59.5s", Fraction("359999999.5")))
@example(("PT.5S", Fraction(1, 2)))
def test_a_valid_text_means_its_exact_value_rounded_half_to_even(form: tuple[str, Fraction]) -> None:
    text, value = form
    expected = round(value)  # Fraction rounds half to even
    if expected > MAX_DURATION_SECONDS:
        assert isinstance(attempt(parse_duration, text), DurationOutOfRange)
    else:
        assert parse_duration(text) == expected
    assert outcome(parse_duration, text) == outcome(scan_reference, text)


@given(
    whole=st.integers(min_value=0, max_value=10**4),
    fraction_digits=st.text(alphabet="0123456789", min_size=1, max_size=12),
    unit=st.sampled_from([3600, 60, 1]),
    spelling=st.integers(min_value=0, max_value=4),
)
@example(whole=1, fraction_digits="3333", unit=3600, spelling=0)
@example(whole=8, fraction_digits="2", unit=3600, spelling=4)
@example(whole=2, fraction_digits="5", unit=1, spelling=0)
@example(whole=3, fraction_digits="5", unit=1, spelling=2)
@example(whole=0, fraction_digits="025", unit=60, spelling=1)
def test_a_decimal_is_rounded_like_round_of_the_exact_fraction(
    whole: int, fraction_digits: str, unit: int, spelling: int
) -> None:
    number = f"{whole}.{fraction_digits}"
    assert parse_duration(number + SPELLINGS[unit][spelling]) == round(Fraction(number) * unit)


@given(
    hours=st.integers(min_value=0, max_value=99_998),
    minutes=st.integers(min_value=0, max_value=59),
    fraction_digits=st.text(alphabet="0123456789", min_size=1, max_size=9),
)
@example(hours=1, minutes=30, fraction_digits="5")
def test_a_fraction_on_a_later_part_is_rounded_with_the_whole(
    hours: int, minutes: int, fraction_digits: str
) -> None:
    text = f"{hours}h {minutes}.{fraction_digits}m"
    expected = round(hours * 3600 + Fraction(f"{minutes}.{fraction_digits}") * 60)
    assert parse_duration(text) == expected


# Case and padding do not matter.


@given(valid_forms, st.lists(st.booleans(), max_size=MAX_DURATION_TEXT_LENGTH), blanks, blanks)
@example(("1h30m", Fraction(5400)), [True] * 5, "\t", " ")
@example(("pt1h30m", Fraction(5400)), [True, False, True], "", "\t\t")
def test_case_and_padding_do_not_change_the_result(
    form: tuple[str, Fraction], flips: list[bool], left: str, right: str
) -> None:
    text, _ = form
    flipped = "".join(
        character.swapcase() if index < len(flips) and flips[index] else character
        for index, character in enumerate(text)
    )
    padded = left + flipped + right
    assume(len(padded) <= MAX_DURATION_TEXT_LENGTH)
    # The same value, or (above the maximum) the same kind of error.
    assert outcome(parse_duration, padded)[:2] == outcome(parse_duration, text)[:2]


@given(st.integers(min_value=1, max_value=10**12), st.booleans())
@example(90, False)
@example(3600, False)
@example(15, True)
def test_a_bare_number_other_than_zero_is_refused_whatever_its_size(number: int, decimal: bool) -> None:
    text = f"{number // 10}.{number % 10}" if decimal else str(number)
    error = attempt(parse_duration, text)
    assert isinstance(error, DurationError), f"{text!r} was accepted"
    assert error.code == "invalid_duration"
    assert error.position == 0
    assert error.message.startswith("a bare number needs a unit")


@given(
    st.sampled_from([(60, 3600), (1, 3600), (1, 60), (3600, 3600), (60, 60), (1, 1)]),
    st.integers(min_value=0, max_value=59),
    st.integers(min_value=0, max_value=59),
)
def test_units_out_of_descending_order_are_always_refused(
    units: tuple[int, int], first: int, second: int
) -> None:
    text = f"{first}{SPELLINGS[units[0]][0]}{second}{SPELLINGS[units[1]][0]}"
    assert outcome(parse_duration, text)[:3] == ("error", DurationError, "invalid_duration")


@st.composite
def early_fractions(draw: st.DrawFn) -> str:
    """Unit or ISO text with two or three parts, one of them before the last with a fraction."""
    units = draw(st.sampled_from([order for order in UNIT_ORDERS if len(order) > 1]))
    with_fraction = draw(st.integers(min_value=0, max_value=len(units) - 2))
    iso = draw(st.booleans())
    text = "PT" if iso else draw(blanks)
    for index, unit in enumerate(units):
        number = str(draw(st.integers(min_value=0, max_value=59)))
        if index == with_fraction or (index == len(units) - 1 and draw(st.booleans())):
            number += "." + draw(digits)
        if iso:
            text += number + ISO_DESIGNATORS[unit]
        else:
            text += number + draw(blanks) + draw(st.sampled_from(SPELLINGS[unit])) + draw(blanks)
    return text


@given(early_fractions())
@example("1.5h30m")
@example("1.5h30s")
@example("1.5m30s")
@example("PT1.5H30S")
@example("0.0h 0s")
def test_a_fraction_before_the_last_part_is_always_refused(text: str) -> None:
    assume(len(text) <= MAX_DURATION_TEXT_LENGTH)
    error = attempt(parse_duration, text)
    assert isinstance(error, DurationError)
    assert error.message.startswith("only the last part may have a fraction")
    assert outcome(parse_duration, text) == outcome(scan_reference, text)


# Robustness: on any text, an int in range or a DurationError, never anything else.


@given(st.text())
@example("")
@example("\x00")
@example("PT")
@example("1" * 64)
@example("." * 64)
@example("1:" * 32)
@example("9" * 63 + "h")
@example("1 h" * 21)
@example("\u0661\u0662h")
@example("1\u212a")  # KELVIN SIGN: folds to "k" under Unicode case rules
@example("1\u017f")  # LATIN SMALL LETTER LONG S: folds to "s" under Unicode case rules
def test_any_text_gives_a_duration_or_a_duration_error(text: str) -> None:
    assert_value_or_duration_error(text)


@given(st.text(alphabet="0123456789.:hmsHMSrinoutecPT \t", max_size=MAX_DURATION_TEXT_LENGTH + 4))
@example("1h30m 1h")
@example("1.5h30m")
@example("0.0.0")
@example("PT1H 30M")
@example("1:30:")
@example("PTHMS")
def test_text_near_the_grammar_gives_a_duration_or_a_duration_error(text: str) -> None:
    assert_value_or_duration_error(text)


NEAR_VALID = (
    r"[ \t]{0,2}(PT|pt|P)?"
    r"([0-9]{0,3}(\.[0-9]{0,3})?[ \t]?"
    r"(h|hr|hrs|hours|m|min|mins|minutes|s|sec|secs|d|ms|x|H|M|S)?[ \t]?){1,4}"
    r"(:[0-9]{0,3}){0,2}[ \t]{0,2}"
)


@given(st.from_regex(NEAR_VALID, fullmatch=True))
@example("1h 60m")
@example("99999:59:60")
@example("100000:00")
def test_almost_valid_shapes_give_a_duration_or_a_duration_error(text: str) -> None:
    assert_value_or_duration_error(text)


# The grammar of issue 2 written again, independently of the parser: one regex per form, read
# straight off its EBNF. A text is accepted exactly when one of them matches and the rules the
# EBNF states in words hold (later parts below 60, a fraction on the last part only, the range).

_DECIMAL = r"([0-9]+(?:\.[0-9]+)?|\.[0-9]+)"
_BLANKS = r"[ \t]*"
_WHOLE_RUN = r"(?![A-Za-z])"  # a unit is the whole run of letters
_SPELLED_UNITS = [
    rf"{_DECIMAL}{_BLANKS}(?:{'|'.join(sorted(SPELLINGS[unit], key=len, reverse=True))}){_WHOLE_RUN}"
    for unit in (3600, 60, 1)
]
_GRAMMAR_FORMS = {
    "units": re.compile(
        rf"(?:{_SPELLED_UNITS[0]}{_BLANKS})?(?:{_SPELLED_UNITS[1]}{_BLANKS})?(?:{_SPELLED_UNITS[2]})?",
        re.IGNORECASE,
    ),
    "iso": re.compile(rf"PT(?:{_DECIMAL}H)?(?:{_DECIMAL}M)?(?:{_DECIMAL}S)?", re.IGNORECASE),
    "clock": re.compile(r"([0-9]+):([0-9]{2})(?::([0-9]{2}))?"),
    "zero": re.compile(_DECIMAL),
}


def value_by_the_grammar(text: str) -> int | None:
    """The seconds issue 2's grammar and rules give ``text``, or None where they refuse it."""
    if len(text) > MAX_DURATION_TEXT_LENGTH or re.search(r"[^0-9A-Za-z.: \t]", text):
        return None
    inner = text.strip(" \t")
    value: Fraction | None = None
    if match := _GRAMMAR_FORMS["zero"].fullmatch(inner):
        value = Fraction(match[1]) if Fraction(match[1]) == 0 else None
    elif match := _GRAMMAR_FORMS["clock"].fullmatch(inner):
        hours, minutes, secs = (int(part or 0) for part in match.groups())
        value = Fraction(hours * 3600 + minutes * 60 + secs) if minutes < 60 and secs < 60 else None
    elif match := _GRAMMAR_FORMS["iso"].fullmatch(inner) or _GRAMMAR_FORMS["units"].fullmatch(inner):
        parts = [
            (Fraction(number), number, unit)
            for number, unit in zip(match.groups(), (3600, 60, 1), strict=True)
            if number
        ]
        if parts and all(
            (index == 0 or exact < 60) and (index == len(parts) - 1 or "." not in written)
            for index, (exact, written, _) in enumerate(parts)
        ):
            value = sum((exact * unit for exact, _, unit in parts), Fraction(0))
    if value is None or round(value) > MAX_DURATION_SECONDS:
        return None
    return round(value)


NUMBERS_NEAR_LIMITS = st.sampled_from(["0", "00", "1", "05", "30", "59", "60", "61", "90"]) | st.sampled_from(
    [".5", "1.5", "59.99", "60.0", "99999", "100000", "1."]
)
UNITS_AND_SLIPS = st.sampled_from(
    [*(spelling for spellings in SPELLINGS.values() for spelling in spellings), *"HMSdx", "ms", ""]
)
OTHER_PIECES = st.sampled_from([".", ":", " ", "\t", "PT", "pt", "P", "-", ",", "h", "m", "s"])


@st.composite
def near_grammar_texts(draw: st.DrawFn) -> str:
    """Text shaped like the grammar's forms, with slips: parts of 60, wrong units, stray pieces."""
    shape = draw(st.sampled_from(["parts", "iso", "clock", "pieces"]))
    if shape == "clock":
        numbers = draw(st.lists(NUMBERS_NEAR_LIMITS, min_size=2, max_size=3))
        return ":".join(numbers)
    if shape == "pieces":
        return "".join(
            draw(st.lists(st.one_of(NUMBERS_NEAR_LIMITS, UNITS_AND_SLIPS, OTHER_PIECES), max_size=8))
        )
    parts = draw(st.lists(st.tuples(NUMBERS_NEAR_LIMITS, UNITS_AND_SLIPS), min_size=1, max_size=3))
    if shape == "iso":
        return "PT" + "".join(number + unit.upper()[:1] for number, unit in parts)
    return "".join(number + draw(blanks) + unit + draw(blanks) for number, unit in parts)


@given(near_grammar_texts())
@example("1h30m")
@example("PT.5H")
@example("1h 59.999m")
@example("99999h59m59.5s")
@example("0.")
@example("1:30:15")
def test_a_text_is_accepted_exactly_when_the_grammar_derives_it(text: str) -> None:
    expected = value_by_the_grammar(text)
    result = attempt(parse_duration, text)
    if expected is None:
        assert isinstance(result, DurationError), f"{text!r} was accepted as {result}"
    else:
        assert result == expected, text


# Laws across forms and values.


@given(
    st.integers(min_value=0, max_value=99_999),
    st.integers(min_value=0, max_value=59),
    st.integers(min_value=0, max_value=59),
)
def test_the_unit_clock_and_iso_forms_of_the_same_parts_mean_the_same(
    hours: int, minutes: int, secs: int
) -> None:
    seconds = hours * 3600 + minutes * 60 + secs
    for text in (
        f"{hours}h{minutes}m{secs}s",
        f"{hours}:{minutes:02d}:{secs:02d}",
        f"PT{hours}H{minutes}M{secs}S",
    ):
        assert parse_duration(text) == seconds, text


@given(
    st.decimals(min_value=0, max_value=10**5, places=4, allow_nan=False, allow_infinity=False),
    st.decimals(min_value=0, max_value=10**5, places=4, allow_nan=False, allow_infinity=False),
    st.sampled_from([spelling for spellings in SPELLINGS.values() for spelling in spellings]),
)
def test_a_larger_number_never_means_fewer_seconds(smaller: Decimal, larger: Decimal, unit: str) -> None:
    smaller, larger = sorted((smaller, larger))
    values = [attempt(parse_duration, f"{number:f}{unit}") for number in (smaller, larger)]
    assume(all(isinstance(value, int) for value in values))
    assert values[0] <= values[1]


@given(st.text(min_size=MAX_DURATION_TEXT_LENGTH + 1, max_size=3 * MAX_DURATION_TEXT_LENGTH))
def test_any_text_over_64_characters_is_refused_as_too_long(text: str) -> None:
    error = attempt(parse_duration, text)
    assert isinstance(error, DurationTooLong)
    assert error.position == MAX_DURATION_TEXT_LENGTH


@given(
    st.text(alphabet="0123456789hms.: \t", max_size=30),
    st.characters().filter(lambda character: character not in ALLOWED_CHARACTERS),
    st.text(alphabet="0123456789hms.: \t", max_size=30),
)
def test_a_character_outside_the_alphabet_is_refused_where_it_first_stands(
    before: str, outsider: str, after: str
) -> None:
    error = attempt(parse_duration, before + outsider + after)
    assert isinstance(error, DurationError)
    assert (error.code, error.position) == ("invalid_duration", len(before))
