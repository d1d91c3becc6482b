"""hours_core.webhooks: signing secrets, sign and verify (round trips, tampering, hostile headers)."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from hours_core.errors import HoursError
from hours_core.webhooks import (
    MAX_SIGNATURE_HEADER_LENGTH,
    SIGNING_SECRET_PATTERN,
    WebhookSignatureInvalid,
    WebhookSignatureMalformed,
    WebhookSignatureMismatch,
    WebhookTimestampOutOfTolerance,
    delivery_headers,
    mint_signing_secret,
    sign,
    verify,
)

SECRET = "whsec_5WbX5kEWLlfzsGNjH64I8lOOqUB6e8FH"
OLD_SECRET = "whsec_Qm3PZ0b1cJx7TtYk2vRr9LwHs4DnE6aU"
T = 1_767_225_600  # 2026-01-01T00:00:00Z
BODY = b'{"id":"evt_01","type":"time_entry.created"}'
KNOWN_HEADER = (
    "t=1767225600,v1=" + hmac.new(SECRET.encode(), b"1767225600." + BODY, hashlib.sha256).hexdigest()
)

secrets = st.text(st.characters(codec="utf-8"), min_size=1, max_size=40)
bodies = st.binary(max_size=512)
timestamps = st.integers(min_value=0, max_value=10**12 - 1)
skews = st.integers(min_value=-300, max_value=300)


# --- signing secrets ----------------------------------------------------------------------------------


def test_a_signing_secret_is_whsec_and_32_base62_characters() -> None:
    secret = mint_signing_secret()
    assert SIGNING_SECRET_PATTERN.fullmatch(secret)
    assert len(secret) == 38


def test_signing_secrets_do_not_repeat() -> None:
    assert len({mint_signing_secret() for _ in range(200)}) == 200


# --- the scheme ---------------------------------------------------------------------------------------


def test_the_signature_is_the_hmac_sha256_of_t_dot_body_under_the_whole_secret() -> None:
    assert sign([SECRET], BODY, T) == KNOWN_HEADER


def test_during_a_rotation_there_is_one_v1_per_secret_current_first() -> None:
    header = sign([SECRET, OLD_SECRET], BODY, T)
    old = hmac.new(OLD_SECRET.encode(), b"1767225600." + BODY, hashlib.sha256).hexdigest()
    assert header == f"{KNOWN_HEADER},v1={old}"


def test_t_may_be_an_aware_datetime_and_its_fraction_is_dropped() -> None:
    when = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(milliseconds=999)
    assert sign([SECRET], BODY, when) == KNOWN_HEADER


def test_the_delivery_headers_carry_the_signature_and_the_event() -> None:
    headers = delivery_headers([SECRET], BODY, event_id="evt_01", event_type="time_entry.created", t=T)
    assert headers == {
        "Content-Type": "application/json",
        "User-Agent": "hours-webhooks/1",
        "Hours-Signature": KNOWN_HEADER,
        "Hours-Event-Id": "evt_01",
        "Hours-Event-Type": "time_entry.created",
    }


@pytest.mark.parametrize(
    ("secrets_argument", "t", "error"),
    [
        (SECRET, T, TypeError),
        ([], T, ValueError),
        ([""], T, ValueError),
        ([SECRET], -1, ValueError),
        ([SECRET], 10**12, ValueError),
        ([SECRET], datetime(2026, 1, 1), ValueError),
    ],
    ids=["a bare string", "no secret", "an empty secret", "before 1970", "13 digits", "a naive datetime"],
)
def test_sign_refuses_arguments_that_would_make_a_useless_header(
    secrets_argument: object, t: object, error: type[Exception]
) -> None:
    with pytest.raises(error):
        sign(secrets_argument, BODY, t)  # type: ignore[arg-type]


# --- verify: what passes --------------------------------------------------------------------------------


def test_the_known_header_verifies_and_returns_t() -> None:
    assert verify(SECRET, KNOWN_HEADER, BODY, T + 10) == T


@pytest.mark.parametrize("skew", [-300, -1, 0, 1, 300])
def test_t_may_be_up_to_5_minutes_before_or_after_now(skew: int) -> None:
    assert verify(SECRET, KNOWN_HEADER, BODY, T + skew) == T


def test_now_may_be_an_aware_datetime() -> None:
    now = datetime(2026, 1, 1, 0, 4, 59, tzinfo=UTC)
    assert verify(SECRET, KNOWN_HEADER, BODY, now) == T


def test_a_naive_now_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="naive"):
        verify(SECRET, KNOWN_HEADER, BODY, datetime(2026, 1, 1))


@pytest.mark.parametrize(
    "header",
    [
        KNOWN_HEADER.upper().replace("T=", "t=").replace("V1=", "v1="),
        KNOWN_HEADER.replace(",", " , "),
        KNOWN_HEADER + ",v2=whatever-comes-next",
        "v0=abc," + KNOWN_HEADER,
        KNOWN_HEADER.encode(),
        KNOWN_HEADER + ",v1=zz",
        "t=1767225600,v1=" + "0" * 63 + "," + KNOWN_HEADER.split(",", 1)[1],
    ],
    ids=[
        "uppercase hex",
        "spaces around commas",
        "an unknown later scheme",
        "an unknown field first",
        "bytes",
        "a malformed v1 after the matching one",
        "a malformed v1 before the matching one",
    ],
)
def test_harmless_variations_of_the_header_verify(header: str | bytes) -> None:
    assert verify(SECRET, header, BODY, T) == T


def test_a_str_body_is_taken_as_its_utf8_bytes() -> None:
    body = '{"note":"café"}'
    header = sign([SECRET], body.encode(), T)
    assert verify(SECRET, header, body, T) == T


# --- verify: what fails ---------------------------------------------------------------------------------


@pytest.mark.parametrize("skew", [-301, 301, -86_400, 10**9])
def test_a_genuine_signature_outside_5_minutes_is_out_of_tolerance(skew: int) -> None:
    with pytest.raises(WebhookTimestampOutOfTolerance) as error:
        verify(SECRET, KNOWN_HEADER, BODY, T + skew)
    assert error.value.code == "webhook_timestamp_out_of_tolerance"
    assert "300 s" in error.value.message


def test_another_secret_does_not_verify() -> None:
    with pytest.raises(WebhookSignatureMismatch) as error:
        verify(OLD_SECRET, KNOWN_HEADER, BODY, T)
    assert error.value.code == "webhook_signature_mismatch"


def test_a_forged_body_with_a_stale_header_is_a_mismatch_not_a_timing_error() -> None:
    with pytest.raises(WebhookSignatureMismatch):
        verify(SECRET, KNOWN_HEADER, BODY + b" ", T + 10_000)


def test_a_str_body_that_cannot_be_utf8_is_a_mismatch() -> None:
    with pytest.raises(WebhookSignatureMismatch):
        verify(SECRET, KNOWN_HEADER, "\ud800", T)


@pytest.mark.parametrize(
    ("header", "problem"),
    [
        (None, "missing"),
        ("", "name=value"),
        ("t=1767225600", "no v1"),
        ("v1=" + "0" * 64, "exactly one t"),
        (f"t=1,{KNOWN_HEADER}", "exactly one t"),
        ("t=+1767225600,v1=" + "0" * 64, "Unix seconds"),
        ("t=1_767_225_600,v1=" + "0" * 64, "Unix seconds"),
        ("t=١٧٦٧٢٢٥٦٠٠,v1=" + "0" * 64, "Unix seconds"),
        ("t=1767225600000,v1=" + "0" * 64, "Unix seconds"),
        ("t=1767225600,v1=" + "0" * 63, "64 hexadecimal"),
        ("t=1767225600,v1=" + "g" * 64, "64 hexadecimal"),
        (KNOWN_HEADER + ",", "name=value"),
        (KNOWN_HEADER + ",junk", "name=value"),
        (KNOWN_HEADER.replace("t=", "T="), "name=value"),
        (KNOWN_HEADER + ",x=" + "a" * MAX_SIGNATURE_HEADER_LENGTH, "longer than"),
        ("t=1767225600,v1=\xe9".encode("latin-1"), "ASCII"),
    ],
)
def test_a_malformed_header_says_what_is_wrong(header: str | bytes | None, problem: str) -> None:
    with pytest.raises(WebhookSignatureMalformed) as error:
        verify(SECRET, header, BODY, T)
    assert error.value.code == "webhook_signature_malformed"
    assert problem in error.value.message


def test_every_verification_error_is_a_core_error_with_one_base() -> None:
    for error in (WebhookSignatureMalformed, WebhookSignatureMismatch, WebhookTimestampOutOfTolerance):
        assert issubclass(error, WebhookSignatureInvalid)
        assert issubclass(error, HoursError)


# --- properties ---------------------------------------------------------------------------------------


@given(current=secrets, previous=secrets, body=bodies, t=timestamps, skew=skews)
def test_whatever_is_signed_verifies_with_each_secret_within_the_tolerance(
    current: str, previous: str, body: bytes, t: int, skew: int
) -> None:
    header = sign([current, previous], body, t)
    assert verify(current, header, body, t + skew) == t
    assert verify(previous, header, body, t + skew) == t


@given(secret=secrets, body=bodies, other=bodies, t=timestamps)
def test_any_other_body_fails(secret: str, body: bytes, other: bytes, t: int) -> None:
    if other == body:
        return
    with pytest.raises(WebhookSignatureMismatch):
        verify(secret, sign([secret], body, t), other, t)


@given(secret=secrets, other_secret=secrets, body=bodies, t=timestamps)
def test_any_other_secret_fails(secret: str, other_secret: str, body: bytes, t: int) -> None:
    if other_secret == secret:
        return
    with pytest.raises(WebhookSignatureMismatch):
        verify(other_secret, sign([secret], body, t), body, t)


@given(secret=secrets, body=bodies, t=timestamps, other_t=timestamps)
def test_moving_t_without_re_signing_fails(secret: str, body: bytes, t: int, other_t: int) -> None:
    if other_t == t:
        return
    header = sign([secret], body, t).replace(f"t={t},", f"t={other_t},")
    with pytest.raises(WebhookSignatureInvalid):
        verify(secret, header, body, other_t)


@given(
    secret=secrets,
    body=bodies,
    t=timestamps,
    position=st.integers(min_value=0),
    replacement=st.characters(),
)
@example(secret="s", body=b"", t=0, position=2, replacement="0")  # t=0 -> t=0 is no change
@example(secret="s", body=b"", t=10, position=2, replacement="0")  # t=10 -> t=00
def test_changing_any_one_character_of_the_header_fails_unless_only_its_case_changed(
    secret: str, body: bytes, t: int, position: int, replacement: str
) -> None:
    header = sign([secret], body, t)
    index = position % len(header)
    tampered = header[:index] + replacement + header[index + 1 :]
    if tampered.lower() == header.lower():
        return  # the same header (hex digits in another case)
    with pytest.raises(WebhookSignatureInvalid):
        verify(secret, tampered, body, t)


@given(header=st.text())
@example(header="t=1,v1=" + "0" * 64)
@example(header="t=٣,v1=" + "0" * 64)
@example(header="t=1,v1=\udcff")
def test_any_text_as_the_header_is_refused_with_a_verification_error_and_nothing_else(header: str) -> None:
    with pytest.raises(WebhookSignatureInvalid):
        verify(SECRET, header, BODY, T)


@given(header=st.binary())
def test_any_bytes_as_the_header_are_refused_with_a_verification_error_and_nothing_else(
    header: bytes,
) -> None:
    with pytest.raises(WebhookSignatureInvalid):
        verify(SECRET, header, BODY, T)


@given(
    header=st.from_regex(
        r"\A(t=[0-9]{0,14}|v1=[0-9a-fA-F]{0,66}|[a-z0-9]{1,3}=[^,]{0,4}|[ ,=]{0,2})"
        r"(,(t=[0-9]{0,14}|v1=[0-9a-fA-F]{0,66}|[a-z0-9]{1,3}=[^,]{0,4}|[ ,=]{0,2})){0,4}\Z"
    ),
    now=st.one_of(st.floats(allow_nan=False, allow_infinity=False), st.integers(-(10**15), 10**15)),
)
def test_near_miss_headers_are_refused_with_a_verification_error_and_nothing_else(
    header: str, now: float
) -> None:
    with pytest.raises(WebhookSignatureInvalid):
        verify(SECRET, header, BODY, now)
