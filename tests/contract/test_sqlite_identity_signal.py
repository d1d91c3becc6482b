"""SQLite's identity signal: eight shared bytes beside the database that every process of it reads."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hours_sqlite import SqliteStore
from hours_sqlite.identity_signal import SIGNAL_BYTES, FileIdentitySignal, signal_path


def test_the_signal_lives_beside_the_database_and_starts_at_zero(tmp_path: Path) -> None:
    store = SqliteStore.open(tmp_path / "hours.db")
    try:
        signal = store.identity_signal()
        assert signal.path == tmp_path / "hours.db-identity" == signal_path(tmp_path / "hours.db")
        assert signal.path.stat().st_size == SIGNAL_BYTES and signal.current() == 0
        assert store.identity_signal() is signal  # one per store
    finally:
        store.close()


def test_every_opener_of_the_file_sees_a_move(tmp_path: Path) -> None:
    first, second = FileIdentitySignal(tmp_path / "s"), FileIdentitySignal(tmp_path / "s")
    before = second.current()
    first.move()
    assert second.current() == first.current() != before
    second.move()
    assert first.current() == second.current()
    first.close()
    second.close()


def test_each_move_gives_a_new_mark(tmp_path: Path) -> None:
    signal = FileIdentitySignal(tmp_path / "s")
    seen = {signal.current()}
    for _ in range(100):
        signal.move()
        assert signal.current() not in seen
        seen.add(signal.current())
    signal.close()


def test_a_file_that_is_too_short_is_extended_and_one_in_use_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "s"
    path.write_bytes(b"\x01")
    signal = FileIdentitySignal(path)
    assert path.stat().st_size == SIGNAL_BYTES and signal.current() == 1
    signal.move()
    again = FileIdentitySignal(path)  # a later process: the mark as it is, not reset
    assert again.current() == signal.current()
    signal.close()
    again.close()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork is POSIX only")
def test_another_processs_move_is_seen(tmp_path: Path) -> None:
    signal = FileIdentitySignal(tmp_path / "s")
    before = signal.current()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        try:
            FileIdentitySignal(tmp_path / "s").move()
        finally:
            os._exit(0)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert signal.current() != before
    signal.close()
