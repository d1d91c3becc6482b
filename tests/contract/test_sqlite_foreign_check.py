"""``hours_sqlite.migrations.refuse_another_applications`` reads a file another ``hours`` may be
migrating at that moment (``hours serve`` and ``hours worker`` started together on a new file)."""

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sqlite_utils import Database

import hours_sqlite.migrations as migrations


def test_a_file_migrated_by_another_process_between_its_two_reads_is_not_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "hours.db"
    other = Database(
        sqlite3.connect(path, isolation_level=None)
    )  # the other process: it made the file (WAL) and is about to migrate it
    other.execute("PRAGMA journal_mode = WAL")
    applied = migrations.MIGRATIONS.applied
    migrated: list[str] = []

    def applied_then_the_other_process_migrates(db: Database) -> Any:
        found = applied(db)
        if db.conn is not other.conn and not migrated:  # (the other's own migration reads it too)
            migrated.extend(migrations.apply_pending(other))
        return found

    monkeypatch.setattr(migrations.MIGRATIONS, "applied", applied_then_the_other_process_migrates)
    try:
        migrations.refuse_another_applications(path)  # no NotAnHoursDatabase: an hours file all along
    finally:
        other.conn.close()
    assert migrated  # the other process did migrate between the two reads
