"""The sign-in throttle: a sliding window of failures per email and per address."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

import hours_web.throttle
from hours_web import LoginThrottle

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_an_email_may_fail_up_to_the_limit_then_waits_for_the_oldest_failure_to_leave_the_window() -> None:
    throttle = LoginThrottle(per_email=3, per_address=100, window=timedelta(minutes=15))
    for minute in range(3):
        assert throttle.retry_after("Ada@x.test", "10.0.0.1", T0 + timedelta(minutes=minute)) is None
        throttle.failed("Ada@x.test", "10.0.0.1", T0 + timedelta(minutes=minute))

    assert throttle.retry_after("ada@X.TEST", "10.0.0.2", T0 + timedelta(minutes=5)) == timedelta(minutes=10)
    assert throttle.retry_after("ada@x.test", "10.0.0.2", T0 + timedelta(minutes=15)) is None
    assert throttle.retry_after("bo@x.test", "10.0.0.1", T0 + timedelta(minutes=5)) is None


def test_an_address_is_limited_across_emails() -> None:
    throttle = LoginThrottle(per_email=100, per_address=2)
    throttle.failed("a@x.test", "10.0.0.1", T0)
    throttle.failed("b@x.test", "10.0.0.1", T0)

    assert throttle.retry_after("c@x.test", "10.0.0.1", T0) == timedelta(minutes=15)
    assert throttle.retry_after("c@x.test", "10.0.0.9", T0) is None


def test_a_success_clears_the_emails_failures_but_not_the_addresss() -> None:
    throttle = LoginThrottle(per_email=2, per_address=3)
    throttle.failed("a@x.test", "10.0.0.1", T0)
    throttle.failed("a@x.test", "10.0.0.1", T0)
    throttle.succeeded("A@x.test")

    assert throttle.retry_after("a@x.test", "10.0.0.2", T0) is None
    throttle.failed("b@x.test", "10.0.0.1", T0)
    assert throttle.retry_after("z@x.test", "10.0.0.1", T0) is not None


def test_stale_counts_are_swept_once_many_are_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hours_web.throttle, "SWEEP_ABOVE", 4)
    throttle = LoginThrottle(per_email=5, per_address=5, window=timedelta(minutes=15))
    for number in range(3):
        throttle.failed(f"u{number}@x.test", f"10.0.0.{number}", T0)

    throttle.failed("late@x.test", "10.0.1.1", T0 + timedelta(minutes=20))

    assert len(throttle._failures) == 2  # the six stale keys went; the new email and address stay
