"""Money: ISO 4217 currencies, their minor units, and the exact amount rule.

Amounts in hours are integers in a currency's *minor unit* (cents for EUR, yen for JPY, fils
for KWD): a rate of ``12050`` EUR minor units per hour is 120.50 EUR an hour. Nothing here uses
floating point.

The currency table is ISO 4217 List One ("Current currency & funds code list") as published by
its maintenance agency, SIX Financial Information, on 2026-01-01 (amendment 180, after which the
Bulgarian lev BGN is historic)::

    https://www.six-group.com/dam/download/financial-information/data-center/iso-currrency/lists/list-one.xml

It holds the 178 distinct alphabetic codes of that list, with their numeric codes, minor units
(``CcyMnrUnts``) and names: 17 codes have 0 minor units (JPY, KRW, ...), 139 have 2, seven have
3 (BHD, IQD, JOD, KWD, LYD, OMR, TND), two have 4 (CLF, UYW), and 13 have none ("N.A.": the
precious metals XAU, XAG, XPD, XPT, the bond-market units XBA to XBD, XDR, XSU, XUA, the test
code XTS and the no-currency code XXX). Those 13 are kept in the table, so that the error for
them can say what they are, but :func:`check_currency` refuses them: nothing can be billed in
them. The minor units are ISO's, not CLDR's (CLDR shows e.g. HUF and IDR without decimals);
an amount in minor units is lossless either way. When SIX publishes an amendment, update
:data:`CURRENCIES` and :data:`ISO_4217_PUBLISHED` together.
"""

from __future__ import annotations

from datetime import date
from types import MappingProxyType

import attrs

from hours_core.errors import ValidationFailed

__all__ = [
    "CURRENCIES",
    "ISO_4217_PUBLISHED",
    "Currency",
    "HourlyRate",
    "amount_minor",
    "check_currency",
    "currency_problem",
    "format_minor",
]

ISO_4217_PUBLISHED = date(2026, 1, 1)
"""The publication date of the ISO 4217 List One that :data:`CURRENCIES` reproduces."""

SECONDS_PER_HOUR = 3600


@attrs.frozen
class Currency:
    """One ISO 4217 code: ``minor_units`` is the number of decimals, ``None`` where ISO says N.A."""

    code: str
    numeric_code: int
    minor_units: int | None
    name: str

    @property
    def billable(self) -> bool:
        """Whether amounts can be kept in this currency (it has a minor unit)."""
        return self.minor_units is not None


# (alphabetic code, numeric code, minor units or None for "N.A.", name), by code.
_LIST_ONE: tuple[tuple[str, int, int | None, str], ...] = (
    ("AED", 784, 2, "UAE Dirham"),
    ("AFN", 971, 2, "Afghani"),
    ("ALL", 8, 2, "Lek"),
    ("AMD", 51, 2, "Armenian Dram"),
    ("AOA", 973, 2, "Kwanza"),
    ("ARS", 32, 2, "Argentine Peso"),
    ("AUD", 36, 2, "Australian Dollar"),
    ("AWG", 533, 2, "Aruban Florin"),
    ("AZN", 944, 2, "Azerbaijan Manat"),
    ("BAM", 977, 2, "Convertible Mark"),
    ("BBD", 52, 2, "Barbados Dollar"),
    ("BDT", 50, 2, "Taka"),
    ("BHD", 48, 3, "Bahraini Dinar"),
    ("BIF", 108, 0, "Burundi Franc"),
    ("BMD", 60, 2, "Bermudian Dollar"),
    ("BND", 96, 2, "Brunei Dollar"),
    ("BOB", 68, 2, "Boliviano"),
    ("BOV", 984, 2, "Mvdol"),
    ("BRL", 986, 2, "Brazilian Real"),
    ("BSD", 44, 2, "Bahamian Dollar"),
    ("BTN", 64, 2, "Ngultrum"),
    ("BWP", 72, 2, "Pula"),
    ("BYN", 933, 2, "Belarusian Ruble"),
    ("BZD", 84, 2, "Belize Dollar"),
    ("CAD", 124, 2, "Canadian Dollar"),
    ("CDF", 976, 2, "Congolese Franc"),
    ("CHE", 947, 2, "WIR Euro"),
    ("CHF", 756, 2, "Swiss Franc"),
    ("CHW", 948, 2, "WIR Franc"),
    ("CLF", 990, 4, "Unidad de Fomento"),
    ("CLP", 152, 0, "Chilean Peso"),
    ("CNY", 156, 2, "Yuan Renminbi"),
    ("COP", 170, 2, "Colombian Peso"),
    ("COU", 970, 2, "Unidad de Valor Real"),
    ("CRC", 188, 2, "Costa Rican Colon"),
    ("CUP", 192, 2, "Cuban Peso"),
    ("CVE", 132, 2, "Cabo Verde Escudo"),
    ("CZK", 203, 2, "Czech Koruna"),
    ("DJF", 262, 0, "Djibouti Franc"),
    ("DKK", 208, 2, "Danish Krone"),
    ("DOP", 214, 2, "Dominican Peso"),
    ("DZD", 12, 2, "Algerian Dinar"),
    ("EGP", 818, 2, "Egyptian Pound"),
    ("ERN", 232, 2, "Nakfa"),
    ("ETB", 230, 2, "Ethiopian Birr"),
    ("EUR", 978, 2, "Euro"),
    ("FJD", 242, 2, "Fiji Dollar"),
    ("FKP", 238, 2, "Falkland Islands Pound"),
    ("GBP", 826, 2, "Pound Sterling"),
    ("GEL", 981, 2, "Lari"),
    ("GHS", 936, 2, "Ghana Cedi"),
    ("GIP", 292, 2, "Gibraltar Pound"),
    ("GMD", 270, 2, "Dalasi"),
    ("GNF", 324, 0, "Guinean Franc"),
    ("GTQ", 320, 2, "Quetzal"),
    ("GYD", 328, 2, "Guyana Dollar"),
    ("HKD", 344, 2, "Hong Kong Dollar"),
    ("HNL", 340, 2, "Lempira"),
    ("HTG", 332, 2, "Gourde"),
    ("HUF", 348, 2, "Forint"),
    ("IDR", 360, 2, "Rupiah"),
    ("ILS", 376, 2, "New Israeli Sheqel"),
    ("INR", 356, 2, "Indian Rupee"),
    ("IQD", 368, 3, "Iraqi Dinar"),
    ("IRR", 364, 2, "Iranian Rial"),
    ("ISK", 352, 0, "Iceland Krona"),
    ("JMD", 388, 2, "Jamaican Dollar"),
    ("JOD", 400, 3, "Jordanian Dinar"),
    ("JPY", 392, 0, "Yen"),
    ("KES", 404, 2, "Kenyan Shilling"),
    ("KGS", 417, 2, "Som"),
    ("KHR", 116, 2, "Riel"),
    ("KMF", 174, 0, "Comorian Franc"),
    ("KPW", 408, 2, "North Korean Won"),
    ("KRW", 410, 0, "Won"),
    ("KWD", 414, 3, "Kuwaiti Dinar"),
    ("KYD", 136, 2, "Cayman Islands Dollar"),
    ("KZT", 398, 2, "Tenge"),
    ("LAK", 418, 2, "Lao Kip"),
    ("LBP", 422, 2, "Lebanese Pound"),
    ("LKR", 144, 2, "Sri Lanka Rupee"),
    ("LRD", 430, 2, "Liberian Dollar"),
    ("LSL", 426, 2, "Loti"),
    ("LYD", 434, 3, "Libyan Dinar"),
    ("MAD", 504, 2, "Moroccan Dirham"),
    ("MDL", 498, 2, "Moldovan Leu"),
    ("MGA", 969, 2, "Malagasy Ariary"),
    ("MKD", 807, 2, "Denar"),
    ("MMK", 104, 2, "Kyat"),
    ("MNT", 496, 2, "Tugrik"),
    ("MOP", 446, 2, "Pataca"),
    ("MRU", 929, 2, "Ouguiya"),
    ("MUR", 480, 2, "Mauritius Rupee"),
    ("MVR", 462, 2, "Rufiyaa"),
    ("MWK", 454, 2, "Malawi Kwacha"),
    ("MXN", 484, 2, "Mexican Peso"),
    ("MXV", 979, 2, "Mexican Unidad de Inversion (UDI)"),
    ("MYR", 458, 2, "Malaysian Ringgit"),
    ("MZN", 943, 2, "Mozambique Metical"),
    ("NAD", 516, 2, "Namibia Dollar"),
    ("NGN", 566, 2, "Naira"),
    ("NIO", 558, 2, "Cordoba Oro"),
    ("NOK", 578, 2, "Norwegian Krone"),
    ("NPR", 524, 2, "Nepalese Rupee"),
    ("NZD", 554, 2, "New Zealand Dollar"),
    ("OMR", 512, 3, "Rial Omani"),
    ("PAB", 590, 2, "Balboa"),
    ("PEN", 604, 2, "Sol"),
    ("PGK", 598, 2, "Kina"),
    ("PHP", 608, 2, "Philippine Peso"),
    ("PKR", 586, 2, "Pakistan Rupee"),
    ("PLN", 985, 2, "Zloty"),
    ("PYG", 600, 0, "Guarani"),
    ("QAR", 634, 2, "Qatari Rial"),
    ("RON", 946, 2, "Romanian Leu"),
    ("RSD", 941, 2, "Serbian Dinar"),
    ("RUB", 643, 2, "Russian Ruble"),
    ("RWF", 646, 0, "Rwanda Franc"),
    ("SAR", 682, 2, "Saudi Riyal"),
    ("SBD", 90, 2, "Solomon Islands Dollar"),
    ("SCR", 690, 2, "Seychelles Rupee"),
    ("SDG", 938, 2, "Sudanese Pound"),
    ("SEK", 752, 2, "Swedish Krona"),
    ("SGD", 702, 2, "Singapore Dollar"),
    ("SHP", 654, 2, "Saint Helena Pound"),
    ("SLE", 925, 2, "Leone"),
    ("SOS", 706, 2, "Somali Shilling"),
    ("SRD", 968, 2, "Surinam Dollar"),
    ("SSP", 728, 2, "South Sudanese Pound"),
    ("STN", 930, 2, "Dobra"),
    ("SVC", 222, 2, "El Salvador Colon"),
    ("SYP", 760, 2, "Syrian Pound"),
    ("SZL", 748, 2, "Lilangeni"),
    ("THB", 764, 2, "Baht"),
    ("TJS", 972, 2, "Somoni"),
    ("TMT", 934, 2, "Turkmenistan New Manat"),
    ("TND", 788, 3, "Tunisian Dinar"),
    ("TOP", 776, 2, "Pa’anga"),
    ("TRY", 949, 2, "Turkish Lira"),
    ("TTD", 780, 2, "Trinidad and Tobago Dollar"),
    ("TWD", 901, 2, "New Taiwan Dollar"),
    ("TZS", 834, 2, "Tanzanian Shilling"),
    ("UAH", 980, 2, "Hryvnia"),
    ("UGX", 800, 0, "Uganda Shilling"),
    ("USD", 840, 2, "US Dollar"),
    ("USN", 997, 2, "US Dollar (Next day)"),
    ("UYI", 940, 0, "Uruguay Peso en Unidades Indexadas (UI)"),
    ("UYU", 858, 2, "Peso Uruguayo"),
    ("UYW", 927, 4, "Unidad Previsional"),
    ("UZS", 860, 2, "Uzbekistan Sum"),
    ("VED", 926, 2, "Bolívar Soberano"),
    ("VES", 928, 2, "Bolívar Soberano"),
    ("VND", 704, 0, "Dong"),
    ("VUV", 548, 0, "Vatu"),
    ("WST", 882, 2, "Tala"),
    ("XAD", 396, 2, "Arab Accounting Dinar"),
    ("XAF", 950, 0, "CFA Franc BEAC"),
    ("XAG", 961, None, "Silver"),
    ("XAU", 959, None, "Gold"),
    ("XBA", 955, None, "Bond Markets Unit European Composite Unit (EURCO)"),
    ("XBB", 956, None, "Bond Markets Unit European Monetary Unit (E.M.U.-6)"),
    ("XBC", 957, None, "Bond Markets Unit European Unit of Account 9 (E.U.A.-9)"),
    ("XBD", 958, None, "Bond Markets Unit European Unit of Account 17 (E.U.A.-17)"),
    ("XCD", 951, 2, "East Caribbean Dollar"),
    ("XCG", 532, 2, "Caribbean Guilder"),
    ("XDR", 960, None, "SDR (Special Drawing Right)"),
    ("XOF", 952, 0, "CFA Franc BCEAO"),
    ("XPD", 964, None, "Palladium"),
    ("XPF", 953, 0, "CFP Franc"),
    ("XPT", 962, None, "Platinum"),
    ("XSU", 994, None, "Sucre"),
    ("XTS", 963, None, "Codes specifically reserved for testing purposes"),
    ("XUA", 965, None, "ADB Unit of Account"),
    ("XXX", 999, None, "The codes assigned for transactions where no currency is involved"),
    ("YER", 886, 2, "Yemeni Rial"),
    ("ZAR", 710, 2, "Rand"),
    ("ZMW", 967, 2, "Zambian Kwacha"),
    ("ZWG", 924, 2, "Zimbabwe Gold"),
)

CURRENCIES = MappingProxyType(
    {code: Currency(code, numeric, minor_units, name) for code, numeric, minor_units, name in _LIST_ONE}
)
"""Every code of ISO 4217 List One, by alphabetic code (see the module docstring for the source)."""


def currency_problem(code: str) -> str | None:
    """What is wrong with ``code`` as the currency of a client or a rate, or ``None``.

    A currency is a current ISO 4217 code with a minor unit, written as ISO writes it: three
    capital letters (``eur`` is refused with a hint, not silently upper-cased).
    """
    if len(code) == 3 and code.isascii() and code.isalpha():
        if not code.isupper():
            upper = code.upper()
            if upper in CURRENCIES:
                return f"must be written in capitals: {upper}"
            return "must be an ISO 4217 currency code: three capital letters such as EUR"
        currency = CURRENCIES.get(code)
        if currency is None:
            return f"{code} is not a current ISO 4217 currency code (List One of {ISO_4217_PUBLISHED})"
        if currency.minor_units is None:
            return (
                f"{code} ({currency.name}) has no minor unit in ISO 4217 and cannot carry amounts; "
                "use the currency the client pays in"
            )
        return None
    return "must be an ISO 4217 currency code: three capital letters such as EUR"


def check_currency(code: str, field: str = "currency") -> Currency:
    """The currency for ``code``; raise :class:`ValidationFailed` keyed ``field`` if it is not one.

    See :func:`currency_problem` for the rules.
    """
    problem = currency_problem(code)
    if problem is not None:
        raise ValidationFailed.one(field, problem)
    return CURRENCIES[code]


def amount_minor(seconds: int, rate_minor_per_hour: int) -> int:
    """``seconds x rate / 3600``, rounded half to even to a whole minor unit, exactly.

    The rate is already in minor units, so rounding to an integer is rounding to the currency's
    minor unit. The division is done on integers (no float ever appears): a tie (a remainder of
    exactly half an hour's worth) goes to the even neighbour, so 0.5 -> 0, 1.5 -> 2, 2.5 -> 2.
    Store adapters compute the same value in SQL with integer ``/`` and ``%`` (see
    docs/reports.md).
    """
    if type(seconds) is not int or type(rate_minor_per_hour) is not int:
        raise TypeError("amount_minor() takes int seconds and an int rate")
    quotient, remainder = divmod(seconds * rate_minor_per_hour, SECONDS_PER_HOUR)
    twice = 2 * remainder
    if twice > SECONDS_PER_HOUR or (twice == SECONDS_PER_HOUR and quotient % 2 == 1):
        return quotient + 1
    return quotient


@attrs.frozen
class HourlyRate:
    """The figures of an hourly rate: billable and cost rates in minor units of ``currency``."""

    billable_rate_minor: int = attrs.field()
    cost_rate_minor: int = attrs.field()
    currency: str = attrs.field()

    @billable_rate_minor.validator
    @cost_rate_minor.validator
    def _check_rate(self, attribute: attrs.Attribute[int], value: int) -> None:
        if type(value) is not int or value < 0:
            raise ValueError(f"{attribute.name} must be a non-negative int, got {value!r}")

    @currency.validator
    def _check_currency(self, _attribute: attrs.Attribute[str], value: str) -> None:
        problem = currency_problem(value)
        if problem is not None:
            raise ValueError(f"currency {value!r}: {problem}")

    def billable_amount(self, seconds: int) -> int:
        """What ``seconds`` of billable time are worth at this rate, in minor units."""
        return amount_minor(seconds, self.billable_rate_minor)

    def cost_amount(self, seconds: int) -> int:
        """What ``seconds`` of time cost at this rate, in minor units."""
        return amount_minor(seconds, self.cost_rate_minor)


def format_minor(amount: int, currency: str) -> str:
    """``amount`` minor units written in major units with the currency's decimals.

    ``format_minor(123456, "EUR") == "1234.56"``, ``format_minor(7, "KWD") == "0.007"``,
    ``format_minor(1667, "JPY") == "1667"``. No grouping, no symbol: for tables and logs.
    """
    known = CURRENCIES.get(currency)
    if known is None or known.minor_units is None:
        raise ValueError(f"{currency!r} is not a currency with a minor unit")
    minor_units = known.minor_units
    sign = "-" if amount < 0 else ""
    whole, fraction = divmod(abs(amount), 10**minor_units)
    if minor_units == 0:
        return f"{sign}{whole}"
    return f"{sign}{whole}.{fraction:0{minor_units}d}"
