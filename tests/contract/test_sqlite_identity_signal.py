"""SQLite's identity signal: eight shared bytes beside the database that every process of it reads."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from hours_app.composition import open_store
from hours_app.settings import DatabaseUrl, Settings
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
def test_the_signal_s_bytes_have_their_disk_block_even_in_a_file_made_before(tmp_path: Path) -> None:
    """A file made by ftruncate alone has no block: on a full disk (a migration that filled it),
    touching its mapped page killed each server worker with SIGBUS at the first authenticated
    request, where opening the signal now fails with ENOSPC and is a warning."""
    made_before = tmp_path / "old"
    descriptor = os.open(made_before, os.O_RDWR | os.O_CREAT, 0o600)
    os.ftruncate(descriptor, SIGNAL_BYTES)
    os.close(descriptor)
    assert made_before.stat().st_blocks == 0  # the file system keeps holes: the test means something

    for path in (tmp_path / "new", made_before):
        signal = FileIdentitySignal(path)
        assert path.stat().st_blocks > 0
        assert signal.current() == 0
        signal.close()


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


def test_a_symbolic_link_to_the_database_shares_its_signal(tmp_path: Path) -> None:
    (tmp_path / "hours.db").write_bytes(b"")
    (tmp_path / "link.db").symlink_to(tmp_path / "hours.db")
    through_link = FileIdentitySignal.beside(tmp_path / "link.db")
    direct = FileIdentitySignal.beside(tmp_path / "hours.db")
    through_link.move()
    assert through_link.path == direct.path == tmp_path / "hours.db-identity"
    assert direct.current() == through_link.current() != 0
    through_link.close()
    direct.close()


def test_the_signal_gets_the_databases_permissions(tmp_path: Path) -> None:
    database = tmp_path / "hours.db"
    database.write_bytes(b"")
    database.chmod(0o664)
    previous = os.umask(0o002)
    try:
        signal = FileIdentitySignal.beside(database)
    finally:
        os.umask(previous)
    assert signal.path.stat().st_mode & 0o777 == 0o664
    signal.close()


def test_a_signal_that_cannot_be_opened_is_a_warning_and_the_ttl_bounds_changes(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "hours.db-identity").mkdir()  # not a file: it cannot be opened, whoever runs this
    url = DatabaseUrl.parse(f"sqlite:///{tmp_path / 'hours.db'}")
    with caplog.at_level(logging.WARNING, logger="hours"):
        opened = open_store(url, Settings(database=url))
    try:
        assert opened.identity_signal is None
        assert "identity signal" in caplog.text and "HOURS_AUTH_CACHE_SECONDS" in caplog.text
    finally:
        opened.close()
