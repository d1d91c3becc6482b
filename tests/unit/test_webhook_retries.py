"""hours_core.webhooks: the retry schedule (exponential backoff with full jitter for about 3 days)."""

from __future__ import annotations

import random
import statistics
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hours_core.webhooks import (
    MAX_DELIVERY_ATTEMPTS,
    RETRY_MAX_DELAY,
    DeliveryError,
    DeliveryErrorKind,
    DeliveryOutcome,
    DeliveryResult,
    next_attempt,
    retry_delay_cap,
)

NOW = datetime(2026, 1, 1, tzinfo=UTC)
RETRIES = range(1, MAX_DELIVERY_ATTEMPTS)


def total_wait(draw: random.Random) -> timedelta:
    """The time from the first attempt to the last, for one run of failures."""
    at = NOW
    for attempt in RETRIES:
        following = next_attempt(attempt, at, draw.random)
        assert following is not None
        at = following
    assert next_attempt(MAX_DELIVERY_ATTEMPTS, at, draw.random) is None
    return at - NOW


def test_the_cap_starts_at_a_minute_and_doubles_up_to_6_hours() -> None:
    caps = [retry_delay_cap(attempt) for attempt in range(1, 12)]
    minutes = [cap / timedelta(minutes=1) for cap in caps]
    assert minutes == [1, 2, 4, 8, 16, 32, 64, 128, 256, 360, 360]
    assert retry_delay_cap(10**6) == RETRY_MAX_DELAY


def test_full_jitter_draws_the_wait_anywhere_from_zero_to_the_cap() -> None:
    assert next_attempt(3, NOW, lambda: 0.0) == NOW
    assert next_attempt(3, NOW, lambda: 0.5) == NOW + timedelta(minutes=2)
    assert next_attempt(3, NOW, lambda: 1.0) == NOW + timedelta(minutes=4)


def test_after_the_last_attempt_the_delivery_is_given_up() -> None:
    assert next_attempt(MAX_DELIVERY_ATTEMPTS - 1, NOW, lambda: 1.0) == NOW + RETRY_MAX_DELAY
    assert next_attempt(MAX_DELIVERY_ATTEMPTS, NOW, lambda: 1.0) is None
    assert next_attempt(MAX_DELIVERY_ATTEMPTS + 5, NOW, lambda: 1.0) is None


@given(attempt=st.integers(min_value=1, max_value=MAX_DELIVERY_ATTEMPTS - 1), fraction=st.floats(0, 1))
def test_the_next_attempt_lies_between_now_and_now_plus_the_cap(attempt: int, fraction: float) -> None:
    following = next_attempt(attempt, NOW, lambda: fraction)
    assert following is not None
    assert NOW <= following <= NOW + retry_delay_cap(attempt)


def test_the_waits_add_up_to_about_3_days_on_average_and_never_more_than_about_6() -> None:
    longest = sum((retry_delay_cap(attempt) for attempt in RETRIES), timedelta())
    assert longest / timedelta(days=1) == pytest.approx(6.1, abs=0.01)
    assert (longest / 2) / timedelta(days=1) == pytest.approx(3.05, abs=0.01)


def test_simulated_runs_of_failures_give_up_after_2_to_4_days() -> None:
    draw = random.Random(14)
    days = sorted(total_wait(draw) / timedelta(days=1) for _ in range(2000))
    assert 2.9 < statistics.median(days) < 3.2
    assert days[20] > 2.0  # the 1st percentile (2.24 days over 100,000 runs)
    assert days[-20] < 4.1  # the 99th percentile (3.86 days over 100,000 runs)


@pytest.mark.parametrize(
    ("attempt", "fraction", "problem"),
    [
        (0, 0.5, "numbered from 1"),
        (-1, 0.5, "numbered from 1"),
        (1, -0.1, r"random\(\) must return"),
        (1, 1.5, r"random\(\) must return"),
        (1, float("nan"), r"random\(\) must return"),
    ],
)
def test_impossible_arguments_are_refused(attempt: int, fraction: float, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        next_attempt(attempt, NOW, lambda: fraction)


def seconds(value: float) -> timedelta:
    return timedelta(seconds=value)


@pytest.mark.parametrize(
    ("status", "outcome"),
    [(200, DeliveryOutcome.DELIVERED), (299, DeliveryOutcome.DELIVERED), (410, DeliveryOutcome.GONE)],
)
def test_the_outcome_of_an_answer(status: int, outcome: DeliveryOutcome) -> None:
    error = (
        None if status < 300 else DeliveryError(DeliveryErrorKind.HTTP_STATUS, "the receiver answered 410")
    )
    assert DeliveryResult(status, seconds(0.1), error).outcome is outcome


def test_no_answer_and_other_answers_are_retried() -> None:
    timeout = DeliveryError(DeliveryErrorKind.READ_TIMEOUT, "no answer")
    assert DeliveryResult(None, seconds(10), timeout).outcome is DeliveryOutcome.RETRY
    redirect = DeliveryError(DeliveryErrorKind.REDIRECT, "the receiver answered 301")
    assert DeliveryResult(301, seconds(0.1), redirect).outcome is DeliveryOutcome.RETRY


def test_a_result_has_an_error_exactly_when_the_answer_is_not_2xx() -> None:
    with pytest.raises(ValueError, match="exactly when"):
        DeliveryResult(500, seconds(0.1), None)
    with pytest.raises(ValueError, match="exactly when"):
        DeliveryResult(None, seconds(0.1), None)
    with pytest.raises(ValueError, match="exactly when"):
        DeliveryResult(200, seconds(0.1), DeliveryError(DeliveryErrorKind.HTTP_STATUS, "?"))
