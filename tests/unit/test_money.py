"""ISO 4217 currencies and the exact, half-even amount rule."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from hours_core.errors import ValidationFailed
from hours_core.money import (
    CURRENCIES,
    ISO_4217_PUBLISHED,
    HourlyRate,
    amount_minor,
    check_currency,
    currency_problem,
    format_minor,
)


def test_the_table_is_list_one_of_2026_with_its_census_of_minor_units() -> None:
    # SIX's List One of 2026-01-01: 178 distinct codes; minor units 0: 17, 2: 139, 3: 7, 4: 2, N.A.: 13.
    assert str(ISO_4217_PUBLISHED) == "2026-01-01"
    assert len(CURRENCIES) == 178
    census = Counter(currency.minor_units for currency in CURRENCIES.values())
    assert census == {0: 17, 2: 139, 3: 7, 4: 2, None: 13}
    assert len({currency.numeric_code for currency in CURRENCIES.values()}) == 178
    for code, currency in CURRENCIES.items():
        assert currency.code == code and len(code) == 3 and code.isascii() and code.isupper()


@pytest.mark.parametrize(
    ("code", "minor_units"),
    [("JPY", 0), ("KRW", 0), ("EUR", 2), ("USD", 2), ("KWD", 3), ("BHD", 3), ("CLF", 4), ("UYW", 4)],
)
def test_each_currency_has_its_iso_minor_unit(code: str, minor_units: int) -> None:
    assert check_currency(code).minor_units == minor_units


def test_the_three_and_four_digit_currencies_are_exactly_those_iso_lists() -> None:
    three = {code for code, c in CURRENCIES.items() if c.minor_units == 3}
    four = {code for code, c in CURRENCIES.items() if c.minor_units == 4}
    assert three == {"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"}
    assert four == {"CLF", "UYW"}


def test_recent_amendments_are_in_the_table() -> None:
    # XCG replaced ANG (2025), ZWG is Zimbabwe Gold, SLE the new leone, XAD the Arab Accounting Dinar;
    # BGN became historic when Bulgaria adopted the euro on 2026-01-01; HRK in 2023.
    for code in ("XCG", "ZWG", "SLE", "VED", "XAD"):
        assert code in CURRENCIES
    for code in ("ANG", "BGN", "HRK"):
        assert code not in CURRENCIES
        assert currency_problem(code) == (
            f"{code} is not a current ISO 4217 currency code (List One of 2026-01-01)"
        )


def test_codes_without_a_minor_unit_are_refused_with_what_they_are() -> None:
    no_minor_unit = {code for code, c in CURRENCIES.items() if c.minor_units is None}
    assert no_minor_unit == {
        "XAG", "XAU", "XBA", "XBB", "XBC", "XBD", "XDR", "XPD", "XPT", "XSU", "XTS", "XUA", "XXX"
    }  # fmt: skip
    with pytest.raises(ValidationFailed) as raised:
        check_currency("XAU")
    assert raised.value.fields == {
        "currency": "XAU (Gold) has no minor unit in ISO 4217 and cannot carry amounts; "
        "use the currency the client pays in"
    }


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("eur", "must be written in capitals: EUR"),
        ("Eur", "must be written in capitals: EUR"),
        ("abc", "must be an ISO 4217 currency code: three capital letters such as EUR"),
        ("EU", "must be an ISO 4217 currency code: three capital letters such as EUR"),
        ("EURO", "must be an ISO 4217 currency code: three capital letters such as EUR"),
        ("", "must be an ISO 4217 currency code: three capital letters such as EUR"),
        (" EUR", "must be an ISO 4217 currency code: three capital letters such as EUR"),
        ("ＥＵＲ", "must be an ISO 4217 currency code: three capital letters such as EUR"),
        ("E1R", "must be an ISO 4217 currency code: three capital letters such as EUR"),
        ("ZZZ", "ZZZ is not a current ISO 4217 currency code (List One of 2026-01-01)"),
    ],
)
def test_a_wrong_currency_is_refused_with_a_message_under_its_field(code: str, message: str) -> None:
    with pytest.raises(ValidationFailed) as raised:
        check_currency(code, field="billableCurrency")
    assert raised.value.fields == {"billableCurrency": message}


@given(st.text(max_size=5) | st.from_regex(r"[A-Za-z]{3}", fullmatch=True))
@example("EUR")
def test_check_currency_accepts_exactly_the_codes_with_a_minor_unit(code: str) -> None:
    known = CURRENCIES.get(code)
    if known is not None and known.minor_units is not None:
        assert check_currency(code) is known
    else:
        with pytest.raises(ValidationFailed):
            check_currency(code)


@pytest.mark.parametrize(
    ("seconds", "rate", "amount"),
    [
        (5400, 10_000, 15_000),  # 1.5 h at 100.00: exact
        (1, 1800, 0),  # 0.5 -> 0 (even)
        (3, 1800, 2),  # 1.5 -> 2 (even)
        (5, 1800, 2),  # 2.5 -> 2 (even)
        (7, 1800, 4),  # 3.5 -> 4 (even)
        (1, 1801, 1),  # 0.500277... -> 1: above the tie
        (1, 1799, 0),  # 0.499722... -> 0
        (86_400, 999_999_999, 23_999_999_976),
        (0, 12_345, 0),
    ],
)
def test_amounts_round_half_to_even_on_exact_integers(seconds: int, rate: int, amount: int) -> None:
    assert amount_minor(seconds, rate) == amount


@given(st.integers(min_value=-(10**12), max_value=10**12), st.integers(min_value=-(10**12), max_value=10**12))
def test_the_amount_is_the_half_even_rounding_of_the_exact_fraction(seconds: int, rate: int) -> None:
    exact = Fraction(seconds * rate, 3600)
    amount = amount_minor(seconds, rate)
    assert type(amount) is int
    assert abs(exact - amount) <= Fraction(1, 2)
    if abs(exact - amount) == Fraction(1, 2):
        assert amount % 2 == 0
    assert amount == round(exact)


@pytest.mark.parametrize("bad", [1.5, True, "3", Decimal(2)])
def test_amounts_take_integers_only(bad: object) -> None:
    with pytest.raises(TypeError):
        amount_minor(bad, 100)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        amount_minor(100, bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("amount", "currency", "written"),
    [
        (123_456, "EUR", "1234.56"),
        (5, "EUR", "0.05"),
        (-5, "EUR", "-0.05"),
        (0, "EUR", "0.00"),
        (1667, "JPY", "1667"),
        (7, "KWD", "0.007"),
        (12_345, "CLF", "1.2345"),
    ],
)
def test_format_minor_writes_the_currency_decimals(amount: int, currency: str, written: str) -> None:
    assert format_minor(amount, currency) == written


@given(st.integers(), st.sampled_from(sorted(c for c, v in CURRENCIES.items() if v.minor_units is not None)))
def test_format_minor_is_the_exact_major_amount(amount: int, currency: str) -> None:
    minor_units = CURRENCIES[currency].minor_units
    assert minor_units is not None
    assert Fraction(Decimal(format_minor(amount, currency))) == Fraction(amount, 10**minor_units)


def test_format_minor_refuses_codes_without_a_minor_unit() -> None:
    with pytest.raises(ValueError, match="XAU"):
        format_minor(1, "XAU")
    with pytest.raises(ValueError, match="ZZZ"):
        format_minor(1, "ZZZ")


def test_an_hourly_rate_computes_billable_and_cost_amounts() -> None:
    rate = HourlyRate(billable_rate_minor=9050, cost_rate_minor=4030, currency="EUR")
    assert (rate.billable_amount(900), rate.cost_amount(900)) == (2262, 1008)


@pytest.mark.parametrize(
    "arguments", [(-1, 0, "EUR"), (0, -1, "EUR"), (True, 0, "EUR"), (1, 1, "eur"), (1, 1, "XAU")]
)
def test_an_hourly_rate_is_non_negative_in_a_real_currency(arguments: tuple[object, object, str]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - the message names the field; the type is the contract
        HourlyRate(*arguments)  # type: ignore[arg-type]
