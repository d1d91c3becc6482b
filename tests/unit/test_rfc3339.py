"""RFC 3339's date-time, the one form in which hours reads an instant (``hours_core.rfc3339``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hours_core.rfc3339 import NotARealDateTime, read_date_time

OFFSETS = st.integers(-(23 * 60 + 59), 23 * 60 + 59).map(lambda minutes: timezone(timedelta(minutes=minutes)))


@given(st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)), OFFSETS, st.booleans())
def test_every_instant_written_in_rfc_3339_reads_back_as_itself(
    moment: datetime, zone: timezone, z: bool
) -> None:
    aware = moment.replace(tzinfo=UTC if z else zone)
    text = aware.isoformat(timespec="microseconds")
    if z:
        text = text.removesuffix("+00:00") + "Z"
    assert read_date_time(text) == aware


@pytest.mark.parametrize(
    "text",
    [
        "2026-03-02T09:00:00+00:99",
        "2026-03-02T09:00:00+24:00",
        "2026-03-02T09:00:00+05:30:15",
        "2026-03-02T09:00:00+0530",
        "2026-03-02T09:00:00+05",
        "2026-03-02 09:00:00Z",
        "2026-03-02T09:00Z",
        "20260302T090000Z",
        "2026-W10-1T09:00:00Z",
        "2026-03-02T09:00:00,5Z",
        "2026-03-02T09:00:00",
        "2026-03-02T09:00:00.Z",
        "2026-03-02T09:00:00.1234567890Z",
        " 2026-03-02T09:00:00Z",
    ],
)
def test_text_of_another_form_is_none(text: str) -> None:
    assert read_date_time(text) is None


@pytest.mark.parametrize("text", ["2026-02-30T09:00:00Z", "2026-03-02T25:00:00Z", "2026-03-02T09:60:00Z"])
def test_text_of_the_form_naming_no_real_moment_is_refused(text: str) -> None:
    with pytest.raises(NotARealDateTime):
        read_date_time(text)


def test_a_fraction_past_microseconds_is_cut_and_lowercase_t_and_z_are_read() -> None:
    assert read_date_time("2026-03-02t09:00:00.123456789z") == datetime(
        2026, 3, 2, 9, 0, 0, 123456, tzinfo=UTC
    )
