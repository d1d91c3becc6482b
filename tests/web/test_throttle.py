"""The sign-in throttle: a sliding window of attempts per email and per address, counted before the
password is checked."""

from __future__ import annotations

import threading
import tracemalloc
from datetime import UTC, datetime, timedelta

import pytest

import hours_web.throttle
from hours_web import LoginThrottle
from hours_web.throttle import Attempt, Throttled

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def fail(throttle: LoginThrottle, email: str, address: str, now: datetime) -> None:
    """One attempt that is let through and whose password is wrong (it stays counted)."""
    throttle.begin(email, address, now)


def test_an_email_may_fail_up_to_the_limit_then_waits_for_the_oldest_failure_to_leave_the_window() -> None:
    throttle = LoginThrottle(per_email=3, per_address=100, window=timedelta(minutes=15))
    for minute in range(3):
        assert throttle.retry_after("Ada@x.test", "10.0.0.1", T0 + timedelta(minutes=minute)) is None
        fail(throttle, "Ada@x.test", "10.0.0.1", T0 + timedelta(minutes=minute))

    assert throttle.retry_after("ada@X.TEST", "10.0.0.2", T0 + timedelta(minutes=5)) == timedelta(minutes=10)
    with pytest.raises(Throttled) as refused:
        throttle.begin("ada@X.TEST", "10.0.0.2", T0 + timedelta(minutes=5))
    assert refused.value.retry_after == timedelta(minutes=10)
    assert throttle.retry_after("ada@x.test", "10.0.0.2", T0 + timedelta(minutes=15)) is None
    assert throttle.retry_after("bo@x.test", "10.0.0.1", T0 + timedelta(minutes=5)) is None


def test_an_address_is_limited_across_emails() -> None:
    throttle = LoginThrottle(per_email=100, per_address=2)
    fail(throttle, "a@x.test", "10.0.0.1", T0)
    fail(throttle, "b@x.test", "10.0.0.1", T0)

    assert throttle.retry_after("c@x.test", "10.0.0.1", T0) == timedelta(minutes=15)
    assert throttle.retry_after("c@x.test", "10.0.0.9", T0) is None


def test_a_refused_attempt_counts_nothing() -> None:
    throttle = LoginThrottle(per_email=1, per_address=100)
    fail(throttle, "a@x.test", "10.0.0.1", T0)
    for _ in range(10):
        with pytest.raises(Throttled):
            throttle.begin("a@x.test", "10.0.0.2", T0)

    assert throttle.retry_after("b@x.test", "10.0.0.2", T0) is None  # the address counted none of them


def test_attempts_are_counted_before_their_passwords_are_checked() -> None:
    throttle = LoginThrottle(per_email=2, per_address=100)
    first = throttle.begin("a@x.test", "10.0.0.1", T0)
    second = throttle.begin("a@x.test", "10.0.0.2", T0)  # both still being checked

    with pytest.raises(Throttled):
        throttle.begin("a@x.test", "10.0.0.3", T0)
    assert isinstance(first, Attempt) and isinstance(second, Attempt)


def test_a_success_takes_back_its_own_attempt_only() -> None:
    throttle = LoginThrottle(per_email=3, per_address=3)
    fail(throttle, "a@x.test", "10.0.0.1", T0)
    fail(throttle, "a@x.test", "10.0.0.1", T0)
    throttle.begin("A@x.test", "10.0.0.1", T0).succeeded()

    assert throttle.retry_after("a@x.test", "10.0.0.2", T0) is None  # two failures of three
    fail(throttle, "a@x.test", "10.0.0.2", T0)
    # The earlier failures were not cleared by the success: another user with the same email in
    # another organization cannot reset the count of guesses against this one's password.
    assert throttle.retry_after("a@x.test", "10.0.0.3", T0) == timedelta(minutes=15)
    # The address counts its two failures, not the success.
    assert throttle.retry_after("z@x.test", "10.0.0.1", T0) is None


def test_a_success_after_its_attempt_left_the_window_takes_back_nothing_else() -> None:
    throttle = LoginThrottle(per_email=2, per_address=100, window=timedelta(minutes=15))
    slow = throttle.begin("a@x.test", "10.0.0.1", T0)
    fail(throttle, "a@x.test", "10.0.0.1", T0 + timedelta(minutes=16))  # the window drops the first
    fail(throttle, "a@x.test", "10.0.0.1", T0 + timedelta(minutes=16))

    slow.succeeded()

    assert throttle.retry_after("a@x.test", "10.0.0.1", T0 + timedelta(minutes=16)) is not None


def test_many_threads_at_once_get_at_most_the_limit_through() -> None:
    throttle = LoginThrottle(per_email=5, per_address=1000)
    start = threading.Barrier(50)
    through: list[Attempt] = []
    refused: list[Throttled] = []

    def attempt() -> None:
        start.wait()
        try:
            through.append(throttle.begin("a@x.test", "10.0.0.1", T0))
        except Throttled as error:
            refused.append(error)

    threads = [threading.Thread(target=attempt) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert (len(through), len(refused)) == (5, 45)


def test_stale_counts_are_swept_once_many_are_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hours_web.throttle, "SWEEP_ABOVE", 4)
    throttle = LoginThrottle(per_email=5, per_address=5, window=timedelta(minutes=15))
    for number in range(3):
        fail(throttle, f"u{number}@x.test", f"10.0.0.{number}", T0)

    fail(throttle, "late@x.test", "10.0.1.1", T0 + timedelta(minutes=20))

    assert len(throttle._failures) == 2  # the six stale keys went; the new email and address stay


def test_a_long_email_costs_the_throttle_a_digest_not_its_text() -> None:
    """A sign-in form may carry an email of up to the form's 256 KiB, and each failure kept its text
    for the window (15 minutes): 20 failures per address, so 5 MB per address, and a client with
    many addresses (an IPv6 prefix) could grow the process by gigabytes. Each email now costs a
    fixed-size digest, and the limit still binds it, case-folded."""
    throttle = LoginThrottle(per_email=5, per_address=20)
    emails = [f"{index}{'a' * 200_000}@x.test" for index in range(20)]
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for email in emails:
            fail(throttle, email, "10.0.0.1", T0)
        kept = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()

    assert kept < 64 * 1024, kept
    for _ in range(4):
        fail(throttle, emails[0].upper(), "10.0.0.2", T0)
    with pytest.raises(Throttled):
        throttle.begin(emails[0], "10.0.0.3", T0)
