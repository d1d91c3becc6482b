"""``hours worker --lease-seconds``: a lease shorter than the longest delivery attempt is warned of."""

from pathlib import Path

import pytest

from hours_app.cli import main
from hours_app.worker import short_lease_warning
from hours_webhooks import LONGEST_ATTEMPT_SECONDS

from .test_crash_redelivery import wait_until_dispatching, worker


def test_the_longest_attempt_is_the_dns_answer_three_connections_the_handshake_and_the_answer() -> None:
    assert LONGEST_ATTEMPT_SECONDS == 5 + 3 * 5 + 5 + 10


@pytest.mark.parametrize("seconds", [60, LONGEST_ATTEMPT_SECONDS])
def test_a_lease_as_long_as_the_longest_attempt_is_not_warned_of(seconds: float) -> None:
    assert short_lease_warning(seconds) is None


def test_a_shorter_lease_is_warned_of_with_both_figures() -> None:
    warning = short_lease_warning(34.5)
    assert warning is not None
    assert "--lease-seconds 34.5" in warning
    assert "(35 s)" in warning
    assert "sent again" in warning


def startup_lines(database: Path) -> list[str]:
    """What a worker with a 2 s lease says on stderr until it dispatches (then it is stopped)."""
    process = worker(database, lease_seconds=2)
    try:
        return [line.decode() for line in wait_until_dispatching(process)]
    finally:
        process.terminate()
        process.wait(timeout=60)


def test_the_worker_logs_the_warning_before_it_dispatches(tmp_path: Path) -> None:
    lines = startup_lines(tmp_path / "hours.db")
    warned = [line for line in lines if "--lease-seconds 2 is shorter" in line]
    assert len(warned) == 1, lines
    dispatching = [line for line in lines if "dispatching webhooks" in line]
    assert lines.index(warned[0]) < lines.index(dispatching[0]), lines


def test_the_workers_lines_name_it_once(tmp_path: Path) -> None:
    """Its lines read 'hours: hours worker: dispatching webhooks ...': the command's logger
    prefix, then the worker's own name again in the message."""
    lines = startup_lines(tmp_path / "hours.db")
    said = [line for line in lines if "lease-seconds" in line or "dispatching" in line]
    assert len(said) == 2, lines
    assert said[0].startswith("hours worker: --lease-seconds 2 is shorter"), said
    assert said[1].startswith("hours worker: dispatching webhooks from SQLite at "), said
    assert not any("hours worker: hours" in line or "hours: hours" in line for line in lines), lines


def test_the_help_asks_for_a_lease_at_least_as_long_as_the_longest_attempt(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["worker", "--help"]) == 0
    help_text = " ".join(capsys.readouterr().out.split())
    assert f"at least as long as the longest attempt ({LONGEST_ATTEMPT_SECONDS:g} s)" in help_text
    assert "at most" not in help_text
