"""What only the SQLite store promises: migrations, pragmas, busy handling, two processes on one
file, backups, query plans, storage forms. What every store refuses is in ``test_integrity.py``."""

import multiprocessing
import pathlib
import sqlite3
import threading
import uuid
from contextlib import closing
from datetime import UTC, datetime, timedelta, timezone
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from typing import Any

import attrs
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from hours_core.errors import StoreBusy, TimerAlreadyRunning
from hours_core.events import Event, EventQuery, EventType, NewEvent, Subject, SubjectType, changes_between
from hours_core.model import RateScope, TimeEntry, TimeEntryId
from hours_core.ports import EntryCursor, EntryQuery
from hours_core.tokens import ApiToken
from hours_sql import TABLES as TABLE_DESCRIPTIONS
from hours_sql import Kind, Table, statements_for
from hours_sql import repositories as hours_sql_repositories
from hours_sql.statements import Statements
from hours_sqlite import SqliteStore
from hours_sqlite.connection import ConnectionSettings, connect
from hours_sqlite.dialect import SQLITE, decode_instant, encode_instant
from hours_sqlite.introspection import ColumnDescription, IndexDescription

from .conftest import (
    D0,
    T0,
    TABLE_NAMES,
    Build,
    OpenStore,
    Tenant,
    make_tenant,
    rows_before_0004,
    rows_before_0007,
    stored_as,
)
from .test_events import new_event

MIGRATIONS = [
    "0001_initial",
    "0002_idempotency_result",
    "0003_one_running_timer_per_user",
    "0004_org_settings_and_team",
    "0005_installation_secrets",
    "0006_rate_counters",
    "0007_clients_and_rates",
    "0008_events",
    "0009_webhooks",
    "0010_web_sessions",
    "0011_imports",
    "0012_report_indexes",
    "0013_versions",
    "0014_periods_and_invoices",
    "0015_timesheets",
    "0016_overlap_policy",
    "0017_event_drafts",
    "0019_report_index_by_day",
    "0020_webhook_pending_heads",
    "0021_live_entries_of_import",
    "0022_event_filters",
    "0023_import_creations",
    "0024_visible_names",
    "0025_released_refs",
    "0026_rates_by_target",
    "0027_rates_of_project",
    "0028_events_with_rowid",
    "0029_email_keys_of_ascii_domains",
]
"""Every migration of the adapter, in order."""

WAIT = 60
"""How long the test waits for another process (a guard against hangs, not a limit)."""

TABLES = TABLE_NAMES


def seed(store: SqliteStore, *rows: object) -> None:
    """Store ``rows`` in one committed unit of work."""
    OpenStore("sqlite", store.unit_of_work).seed(*rows)


def tenant(store: SqliteStore, build: Build) -> Tenant:
    """A new tenant, stored."""
    made = make_tenant(build, f"Tenant{build.id().int}")
    seed(store, made.org, made.owner, made.member, made.project, made.other_project, made.task)
    return made


def tenant_before_0004(store: SqliteStore, build: Build) -> Tenant:
    """A new tenant, stored in a schema that is not yet at ``0004_org_settings_and_team``."""
    made = make_tenant(build, f"Tenant{build.id().int}")
    raw_insert(store, rows_before_0004(SQLITE, made.org, made.owner, made.member))
    raw_insert(store, rows_before_0007(SQLITE, made.project, made.other_project, made.task))
    return made


def raw_insert(store: SqliteStore, statements: list[tuple[str, tuple[object, ...]]]) -> None:
    """Run ``statements`` on the store's file, outside the store (rows of an older schema)."""
    with closing(sqlite3.connect(store.path, isolation_level=None)) as raw:
        for statement, params in statements:
            raw.execute(statement, params)


# Migrations.


def test_opening_a_new_file_changes_no_schema(path: pathlib.Path) -> None:
    with SqliteStore.open(path) as store:
        assert store.pending_migrations() == MIGRATIONS
    with closing(sqlite3.connect(path)) as raw:
        assert TABLES.isdisjoint(name for (name,) in raw.execute("SELECT name FROM sqlite_schema"))


def test_migrating_applies_each_pending_migration_once(path: pathlib.Path) -> None:
    with SqliteStore.open(path) as store:
        assert store.migrate() == MIGRATIONS
        assert store.migrate() == []
        assert store.pending_migrations() == []
    with SqliteStore.open(path) as reopened:
        assert reopened.pending_migrations() == []
        assert reopened.migrate() == []


def test_two_stores_on_one_file_migrating_at_once_apply_each_migration_once(path: pathlib.Path) -> None:
    first, second = SqliteStore.open(path), SqliteStore.open(path)
    applied: list[list[str]] = []
    start = threading.Barrier(2)

    def migrate(store: SqliteStore) -> None:
        start.wait(30)
        applied.append(store.migrate())

    threads = [threading.Thread(target=migrate, args=(store,)) for store in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    first.close()
    second.close()

    assert sorted(applied) == [[], MIGRATIONS]


def test_every_table_is_strict(sqlite_store: SqliteStore, path: pathlib.Path) -> None:
    with closing(sqlite3.connect(path)) as raw:
        strict = {
            name
            for _schema, name, _type, _ncol, _wr, is_strict in raw.execute("PRAGMA table_list")
            if is_strict
        }
    assert strict >= TABLES


# Connections.


@pytest.mark.parametrize(("level", "number"), [("full", 2), ("NORMAL", 1)])
def test_connections_use_wal_foreign_keys_a_busy_timeout_and_the_chosen_synchronous_level(
    path: pathlib.Path, level: str, number: int
) -> None:
    settings = ConnectionSettings(path=path, busy_timeout_ms=1234, synchronous=level)
    for read_only in (False, True):
        db = connect(settings, read_only=read_only)
        try:
            assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
            assert db.execute("PRAGMA busy_timeout").fetchone()[0] == 1234
            assert db.execute("PRAGMA synchronous").fetchone()[0] == number
            assert db.execute("PRAGMA query_only").fetchone()[0] == int(read_only)
        finally:
            db.close()


@pytest.mark.parametrize("level", ["off", "extra", ""])
def test_an_unknown_synchronous_level_is_refused(path: pathlib.Path, level: str) -> None:
    with pytest.raises(ValueError, match="synchronous"):
        SqliteStore.open(path, synchronous=level)


def test_a_negative_busy_timeout_is_refused(path: pathlib.Path) -> None:
    with pytest.raises(ValueError, match="busy_timeout_ms"):
        SqliteStore.open(path, busy_timeout_ms=-1)


# Writers and the busy database.


def test_a_writer_kept_waiting_by_another_process_gets_a_store_busy_error(
    path: pathlib.Path, build: Build
) -> None:
    with SqliteStore.open(path, busy_timeout_ms=50) as store:
        store.migrate()
        org = build.org()
        other_process = sqlite3.connect(path, isolation_level=None)
        other_process.execute("BEGIN IMMEDIATE")
        try:
            with pytest.raises(StoreBusy, match="busy"), store.unit_of_work():
                pass
            with store.unit_of_work(read_only=True) as uow:  # readers are not blocked
                assert list(uow.orgs.list()) == []
        finally:
            other_process.execute("ROLLBACK")
            other_process.close()

        seed(store, org)  # the failed writer gave the writer connection back

        with store.unit_of_work(read_only=True) as uow:
            assert uow.orgs.get(org.id) == org


def test_a_write_unit_of_work_nested_in_one_thread_raises_instead_of_deadlocking(
    sqlite_store: SqliteStore,
) -> None:
    with sqlite_store.unit_of_work(), pytest.raises(RuntimeError, match="already holds"):
        sqlite_store.unit_of_work().__enter__()


# The one running timer of a user, across processes.


def start_timer_in_another_process(
    path: pathlib.Path, timer: TimeEntry, start: Barrier, results: Queue
) -> None:  # pragma: no cover - runs in a child process
    """Open the store at ``path`` (another process), wait for the others, add ``timer``, report."""
    with SqliteStore.open(path, busy_timeout_ms=30_000) as store:
        start.wait(WAIT)
        try:
            with store.unit_of_work() as uow:
                uow.entries.add(timer)
                uow.commit()
        except TimerAlreadyRunning as refused:
            results.put(("refused", timer.id, refused.running_entry_id))
        else:
            results.put(("started", timer.id, None))


def test_of_two_processes_starting_a_timer_for_one_user_at_once_exactly_one_succeeds(
    sqlite_store: SqliteStore, path: pathlib.Path, build: Build
) -> None:
    a = tenant(sqlite_store, build)
    timers = [build.running(a.member, a.project, started_at=T0 + timedelta(seconds=n)) for n in range(2)]
    spawn = multiprocessing.get_context("spawn")  # no fork: the test process may run threads
    start, results = spawn.Barrier(len(timers)), spawn.Queue()
    processes = [
        spawn.Process(target=start_timer_in_another_process, args=(path, timer, start, results))
        for timer in timers
    ]
    for process in processes:
        process.start()
    outcomes = sorted(results.get(timeout=WAIT) for _ in processes)
    for process in processes:
        process.join(WAIT)
        assert process.exitcode == 0

    (first_status, started, _), (second_status, refused, running) = sorted(
        outcomes, key=lambda o: o[0] != "started"
    )
    assert (first_status, second_status) == ("started", "refused")
    assert running == str(started) and refused != started
    with sqlite_store.unit_of_work(read_only=True) as uow:
        assert uow.entries.running_for_user(a.org.id, a.member.id) == next(
            t for t in timers if t.id == started
        )
        assert uow.entries.get(a.org.id, refused) is None


def test_a_migrated_database_still_refuses_to_stop_before_an_applied_migration(path: pathlib.Path) -> None:
    """Opening a migrated database takes no write lock (nothing is pending), but a ``stop_before``
    naming a migration it already has is refused as before, and as on PostgreSQL."""
    with SqliteStore.open(path) as store:
        store.migrate()
        assert store.migrate() == []
        with pytest.raises(ValueError, match="already been applied"):
            store.migrate(stop_before="0003_one_running_timer_per_user")


def test_migrating_to_one_running_timer_keeps_the_first_and_soft_deletes_the_others(
    path: pathlib.Path, build: Build
) -> None:
    with SqliteStore.open(path) as store:
        store.migrate(stop_before="0003_one_running_timer_per_user")
        a = tenant_before_0004(store, build)
        first = build.running(a.member, a.project, started_at=T0)
        second = build.running(a.member, a.project, started_at=T0 + timedelta(minutes=1))
        others = build.running(a.owner, a.project)
        # possible before 0003: nothing refused a second timer
        raw_insert(store, rows_before_0007(SQLITE, second, first, others))

        assert store.migrate()[0] == "0003_one_running_timer_per_user"

        with store.unit_of_work(read_only=True) as uow:
            assert uow.entries.running_for_user(a.org.id, a.member.id) == first
            assert uow.entries.running_for_user(a.org.id, a.owner.id) == others
            assert uow.entries.get(a.org.id, second.id) is None
            kept = uow.entries.get(a.org.id, second.id, include_deleted=True)
        assert kept is not None and kept.is_running and kept.is_deleted
        assert kept.updated_at == kept.deleted_at and kept.updated_at > second.updated_at
        with pytest.raises(TimerAlreadyRunning), store.unit_of_work() as uow:
            uow.entries.update(kept.restored(kept.updated_at), expected_updated_at=kept.updated_at)


def _entry_events(made: Tenant, build: Build, count: int) -> list[NewEvent]:
    """``time_entry.created`` of ``count`` new entries of ``made``, as an import records them (every
    field: about 1,050 bytes a row)."""
    events = []
    for number in range(count):
        note = f"Entry {number}: " + "notes " * 25
        entry = build.entry(made.member, made.project, task=made.task, note=note)
        events.append(
            new_event(
                made.org.id,
                type_=EventType.TIME_ENTRY_CREATED,
                subject=Subject(SubjectType.TIME_ENTRY, str(entry.id)),
                actor=made.owner.id,
                owner=made.member.id,
                at_minutes=number,
                changes=changes_between(None, entry),
            )
        )
    return events


def _append(store: SqliteStore, events: list[NewEvent]) -> None:
    with store.unit_of_work() as uow:
        for event in events:
            uow.events.append(event)
        uow.commit()


def _listed(store: SqliteStore, made: Tenant) -> list[Event]:
    with store.unit_of_work(read_only=True) as uow:
        return uow.events.list(made.org.id, EventQuery(limit=1000))


def test_an_entry_s_event_is_kept_in_one_page_without_an_overflow_page(
    sqlite_store: SqliteStore, build: Build
) -> None:
    """Migration 0028: a row of a WITHOUT ROWID table longer than about 1,000 bytes moved its tail
    to a 4 KiB overflow page of its own, and an entry's event is longer (one such page per event)."""
    made = tenant(sqlite_store, build)
    _append(sqlite_store, _entry_events(made, build, 50))
    with closing(sqlite3.connect(sqlite_store.path)) as raw:
        (length,) = raw.execute("SELECT min(length(changes)) FROM events").fetchone()
        overflow = raw.execute(
            "SELECT count(*) FROM dbstat WHERE name = 'events' AND pagetype = 'overflow'"
        ).fetchone()
    assert length > 750  # as long as an import's: the test measures what it says
    assert overflow == (0,)


def test_migrating_the_events_to_a_rowid_table_keeps_each_event_and_its_number(
    path: pathlib.Path, build: Build
) -> None:
    with SqliteStore.open(path) as store:
        store.migrate(stop_before="0028_events_with_rowid")
        made = tenant(store, build)
        first, second = _entry_events(made, build, 2)
        _append(store, [first, *_entry_events(made, build, 30)])
        before = _listed(store, made)

        assert store.migrate()[0] == "0028_events_with_rowid"

        assert _listed(store, made) == before
        _append(store, [second])
        after = _listed(store, made)
        assert after[:-1] == before
        assert (after[-1].id, after[-1].seq) == (second.id, before[-1].seq + 1)
    with closing(sqlite3.connect(path)) as raw:
        (table,) = raw.execute("SELECT sql FROM sqlite_schema WHERE name = 'events'").fetchone()
        indexes = {name for (name,) in raw.execute("SELECT name FROM pragma_index_list('events')")}
    assert "WITHOUT ROWID" not in table
    assert indexes == {
        "sqlite_autoindex_events_1",
        "events_of_subject",
        "events_by_time",
        "events_by_actor",
        "events_by_subject_type",
        "events_of_owner",
    }


def test_migrating_the_events_to_a_rowid_table_writes_no_page_for_each_page_of_the_old_table(
    path: pathlib.Path, build: Build
) -> None:
    """Where SQLite is built with ``secure_delete`` on (Debian's, Ubuntu's), dropping the old table
    wrote a page of zeros to the WAL for each of its pages: 200,000 events needed a 1.3 GB WAL, not
    0.36 GB, and a disk with the room docs/store.md names filled up."""
    with SqliteStore.open(path) as store:
        store.migrate(stop_before="0028_events_with_rowid")
        made = tenant(store, build)
        _append(store, _entry_events(made, build, 300))
    with closing(sqlite3.connect(path)) as raw:
        (old_table,) = raw.execute("SELECT sum(pgsize) FROM dbstat WHERE name = 'events'").fetchone()
    wal = path.with_name(f"{path.name}-wal")
    with SqliteStore.open(path) as store:
        assert store.migrate()[0] == "0028_events_with_rowid"
        written = wal.stat().st_size
    assert old_table > 1_000_000  # 300 events of an overflow page each: the test measures something
    assert written < old_table / 2


# Tokens.


def test_no_plaintext_token_reaches_the_database_file(path: pathlib.Path, build: Build) -> None:
    with SqliteStore.open(path) as store:
        store.migrate()
        a = tenant(store, build)
        minted = ApiToken.mint(
            token_id=build.id(), org_id=a.org.id, user_id=a.owner.id, name="CI", env="live", now=T0
        )
        seed(store, minted.token)
    secret = minted.plaintext.rsplit("_", 1)[1]

    files = b"".join(p.read_bytes() for p in path.parent.iterdir() if p.name.startswith(path.name))
    assert minted.token.secret_hash.encode() in files
    assert secret.encode() not in files


# Operations.


def test_the_integrity_check_of_a_healthy_file_is_ok(sqlite_store: SqliteStore, build: Build) -> None:
    tenant(sqlite_store, build)
    assert sqlite_store.integrity_check() == "ok"


def test_table_counts_are_the_committed_rows_of_each_table(sqlite_store: SqliteStore, build: Build) -> None:
    a = tenant(sqlite_store, build)
    seed(sqlite_store, build.entry(a.member, a.project), build.entry(a.owner, a.project))

    with sqlite_store.unit_of_work() as uncommitted:
        uncommitted.orgs.add(build.org("Not yet"))
        counts = sqlite_store.table_counts()

    assert counts == {
        "orgs": 1,
        "users": 2,
        "projects": 2,
        "tasks": 1,
        "imports": 0,
        "import_creations": 0,
        "time_entries": 2,
        "api_tokens": 0,
        "idempotency_records": 0,
        "installation_secrets": 0,
        "clients": 0,
        "rates": 0,
        "webhooks": 0,
        "webhook_deliveries": 0,
        "event_counters": 0,
        "events": 0,
        "event_drafts": 0,
        "web_sessions": 0,
        "rate_counters": 0,
        "closed_periods": 0,
        "invoices": 0,
        "timesheets": 0,
    }


def test_an_unmigrated_file_has_no_tables_to_count(path: pathlib.Path) -> None:
    with SqliteStore.open(path) as store:
        assert store.table_counts() == {}
        assert store.describe() == ()


def test_describing_the_store_names_every_table_with_its_columns_and_indexes(
    sqlite_store: SqliteStore, build: Build
) -> None:
    tenant(sqlite_store, build)

    described = {table.name: table for table in sqlite_store.describe()}

    assert set(described) == TABLES
    assert all(table.strict for table in described.values())
    entries = described["time_entries"]
    assert entries.rows == 0
    assert [column.name for column in entries.columns][:3] == ["id", "org_id", "user_id"]
    assert entries.columns[0] == ColumnDescription("id", "TEXT", not_null=True, primary_key=True)
    assert (
        IndexDescription(
            "time_entries_one_running_per_user", ("org_id", "user_id"), unique=True, partial=True
        )
        in entries.indexes
    )
    assert (
        IndexDescription(
            "time_entries_in_order", ("org_id", "entry_date", "created_at", "id"), unique=False, partial=False
        )
        in entries.indexes
    )
    assert described["users"].rows == 2


SQLITE_TYPES = {
    Kind.UUID: "TEXT",
    Kind.REFERENCE: "TEXT",
    Kind.DATE: "TEXT",
    Kind.INSTANT: "TEXT",
    Kind.BOOLEAN: "INTEGER",
    Kind.BYTES: "BLOB",
    Kind.STRINGS: "TEXT",
    int: "INTEGER",
    str: "TEXT",
}
"""The column type that stores each kind of field (enums are stored as their text value)."""


@pytest.mark.parametrize("table", TABLE_DESCRIPTIONS, ids=lambda table: table.name)
def test_each_table_has_a_column_of_the_right_type_for_each_field_of_its_entity(
    sqlite_store: SqliteStore, table: Table
) -> None:
    columns = next(described for described in sqlite_store.describe() if described.name == table.name).columns

    expected = {
        column.name: (SQLITE_TYPES[stored_as(table, column)], not column.nullable)
        for column in table.stored_columns
    }
    assert {column.name: (column.type, column.not_null) for column in columns} == expected


def test_a_backup_holds_the_committed_data_and_schema(
    sqlite_store: SqliteStore, build: Build, tmp_path: pathlib.Path
) -> None:
    a = tenant(sqlite_store, build)
    entry = build.entry(a.member, a.project)
    seed(sqlite_store, entry)

    with sqlite_store.unit_of_work() as uncommitted:
        uncommitted.orgs.add(build.org("Not yet"))
        sqlite_store.backup(tmp_path / "copy.db")

    with SqliteStore.open(tmp_path / "copy.db") as copy:
        assert copy.pending_migrations() == []
        assert copy.integrity_check() == "ok"
        with copy.unit_of_work(read_only=True) as uow:
            assert list(uow.orgs.list()) == [a.org]
            assert uow.entries.get(a.org.id, entry.id) == entry


# Query plans of the entry list.

DEEP = EntryCursor(
    entry_date=D0 + timedelta(days=40),
    created_at=T0 + timedelta(seconds=1234),
    id=TimeEntryId(uuid.UUID("00000000-0000-7000-8000-000000000abc")),
)
"""A cursor in the middle of the populated entries."""


def plan_queries(a: Tenant) -> dict[str, EntryQuery]:
    window = {"date_from": D0, "date_to": D0 + timedelta(days=80)}
    return {
        "org, dates, first page": EntryQuery(**window),
        "org, dates, deep page": EntryQuery(**window, after=DEEP),
        "org, dates, newest first, first page": EntryQuery(**window, descending=True),
        "org, dates, newest first, deep page": EntryQuery(**window, descending=True, after=DEEP),
        "org, no dates, deep page": EntryQuery(after=DEEP),
        "user, dates, deep page": EntryQuery(**window, user_id=a.member.id, after=DEEP),
        "user, newest first, deep page": EntryQuery(user_id=a.member.id, descending=True, after=DEEP),
        "project, deep page": EntryQuery(project_id=a.project.id, after=DEEP),
    }


@pytest.fixture
def populated(sqlite_store: SqliteStore, build: Build) -> Tenant:
    """Tenant A with 3,000 entries over 100 days, two users and two projects, next to tenant B."""
    a = tenant(sqlite_store, build)
    b = tenant(sqlite_store, build)
    entries = [
        build.entry(
            (a.owner, a.member)[n % 2],
            (a.project, a.other_project)[n % 3 == 0],
            entry_date=D0 + timedelta(days=n % 100),
            created_at=T0 + timedelta(seconds=n),
        )
        for n in range(3000)
    ] + [build.entry(b.owner, b.project, entry_date=D0 + timedelta(days=n % 100)) for n in range(500)]
    with sqlite_store.unit_of_work() as uow:
        uow.entries.add_many(entries)
        uow.commit()
    return a


@pytest.mark.parametrize("analyzed", [False, True], ids=["no-statistics", "analyzed"])
def test_entry_list_pages_are_index_searches_without_a_sort(
    sqlite_store: SqliteStore, populated: Tenant, path: pathlib.Path, analyzed: bool
) -> None:
    with closing(sqlite3.connect(path)) as raw:
        if analyzed:
            raw.execute("ANALYZE")
        for name, query in plan_queries(populated).items():
            sql, params = statements_for(SQLITE).entry_list(populated.org.id, query)
            plan = [
                detail for _id, _parent, _unused, detail in raw.execute(f"EXPLAIN QUERY PLAN {sql}", params)
            ]
            assert any(step.startswith("SEARCH time_entries USING INDEX") for step in plan), (name, plan)
            assert not any(step.startswith("SCAN") for step in plan), (name, plan)
            assert not any("TEMP B-TREE" in step for step in plan), (name, plan)


@pytest.mark.parametrize("analyzed", [False, True], ids=["no-statistics", "analyzed"])
@pytest.mark.parametrize(
    "query",
    [
        EntryQuery(running=True),
        EntryQuery(running=True, descending=True, after=DEEP),
        EntryQuery(running=True, date_from=D0, date_to=D0 + timedelta(days=80)),
    ],
    ids=["first page", "newest first, deep page", "dates"],
)
def test_the_running_timers_of_the_entry_list_are_read_from_their_partial_index(
    sqlite_store: SqliteStore, populated: Tenant, path: pathlib.Path, analyzed: bool, query: EntryQuery
) -> None:
    """``running=true`` reads the live running timers (at most one a user) and sorts those, where
    it read the organization's every entry in list order before (30 ms at 130,000 entries)."""
    with closing(sqlite3.connect(path)) as raw:
        if analyzed:
            raw.execute("ANALYZE")
        sql, params = statements_for(SQLITE).entry_list(populated.org.id, query)
        plan = _plan(raw, sql, tuple(params))
    assert plan[0] == "SEARCH time_entries USING INDEX time_entries_one_running_per_user (org_id=?)", plan
    assert plan[1:] in ([], ["USE TEMP B-TREE FOR ORDER BY"]), plan


@pytest.mark.parametrize("analyzed", [False, True], ids=["no-statistics", "analyzed"])
@pytest.mark.parametrize("of_user", [False, True], ids=["organization", "user"])
def test_a_sync_page_reads_the_index_of_the_plan_its_count_chose(
    sqlite_store: SqliteStore, populated: Tenant, path: pathlib.Path, analyzed: bool, of_user: bool
) -> None:
    """``updatedSince`` with few changes reads them by ``time_entries_by_update`` and sorts them; with
    many it walks the list order from the cursor, with no sort (before, every page read and sorted
    every entry changed since then: 35 ms a page at 130,000 entries, a first sync quadratic)."""
    sql = statements_for(SQLITE)
    user_id = populated.member.id if of_user else None
    in_order = "time_entries_of_user_in_order" if of_user else "time_entries_in_order"
    with closing(sqlite3.connect(path)) as raw:
        if analyzed:
            raw.execute("ANALYZE")
        for changed_many, index in ((True, in_order), (False, "time_entries_by_update")):
            query = EntryQuery(updated_since=T0, user_id=user_id, after=DEEP)
            statement, params = sql.entry_list(populated.org.id, query, changed_many=changed_many)
            plan = _plan(raw, statement, tuple(params))
            assert plan[0].startswith(f"SEARCH time_entries USING INDEX {index} ("), plan
            assert plan[1:] == ([] if changed_many else ["USE TEMP B-TREE FOR ORDER BY"]), plan
        count = _plan(raw, sql.changed_since_count, (str(populated.org.id), "t", 10))
    assert any("COVERING INDEX time_entries_by_update" in step for step in count), count


@pytest.mark.parametrize("of_user", [False, True], ids=["organization", "user"])
def test_a_sync_reads_the_same_pages_whichever_plan_its_count_chooses(
    sqlite_store: SqliteStore, populated: Tenant, monkeypatch: pytest.MonkeyPatch, of_user: bool
) -> None:
    since = T0 + timedelta(seconds=1000)
    query = EntryQuery(updated_since=since, user_id=populated.member.id if of_user else None, limit=97)
    chosen: list[bool | None] = []
    entry_list = Statements.entry_list

    def recorded(self: Statements, *args: Any, changed_many: bool | None = None) -> tuple[str, list[Any]]:
        chosen.append(changed_many)
        return entry_list(self, *args, changed_many=changed_many)

    monkeypatch.setattr(Statements, "entry_list", recorded)

    def every_page() -> list[TimeEntry]:
        found: list[TimeEntry] = []
        after = None
        while True:
            with sqlite_store.unit_of_work(read_only=True) as uow:
                page = uow.entries.list(populated.org.id, attrs.evolve(query, after=after))
            found += page
            if len(page) < query.limit:
                return found
            last = page[-1]
            after = EntryCursor(entry_date=last.entry_date, created_at=last.created_at, id=last.id)

    sorted_pages = every_page()
    assert set(chosen) == {False}
    chosen.clear()
    monkeypatch.setattr(hours_sql_repositories, "CHANGED_SORTED_AT_MOST", 10)
    walked_pages = every_page()
    assert set(chosen) == {True}
    assert walked_pages == sorted_pages
    expected = (
        2000 if not of_user else 1000
    )  # tenant A's entries from the 1,000th second on, half each user's
    assert len(sorted_pages) == expected
    assert all(entry.updated_at >= since for entry in sorted_pages)


@pytest.mark.parametrize("analyzed", [False, True], ids=["no-statistics", "analyzed"])
def test_an_entry_write_reads_its_own_rates_and_periods_by_index_not_the_organizations(
    sqlite_store: SqliteStore, populated: Tenant, path: pathlib.Path, analyzed: bool
) -> None:
    """Every entry write reads the rates that may apply to it and the closed periods of its days.
    Before, it read every rate and every period of the organization (an org with 1,000 rates
    spent 16 ms of CPU on each create instead of 1); an ``ORDER BY`` over the five branches of the
    rates made SQLite read each through ``rates_by_org_age``, every rate of the organization."""
    sql = statements_for(SQLITE)
    org, user, project, day = (
        str(populated.org.id),
        str(populated.member.id),
        str(populated.project.id),
        "2024-01-15",
    )
    with closing(sqlite3.connect(path)) as raw:
        if analyzed:
            raw.execute("ANALYZE")
        params = (org, day, user, project, org, day, user, org, day, project, org, day, None, org, day)
        rates = _plan(raw, sql.rates_matching, params)
        periods = _plan(raw, sql.period_sql.periods_holding, (org, day, day))
    searches = [step for step in rates if step.startswith("SEARCH")]
    assert len(searches) == 5, rates
    assert all(step.startswith("SEARCH rates USING INDEX rates_by_target (") for step in searches), rates
    assert not any("TEMP B-TREE" in step for step in rates), rates
    assert periods == [
        "SEARCH closed_periods USING INDEX sqlite_autoindex_closed_periods_1 (org_id=? AND last_day>?)"
    ]


@pytest.mark.parametrize("analyzed", [False, True], ids=["no-statistics", "analyzed"])
def test_a_new_rate_reads_the_rates_of_its_target_and_day_by_index_not_the_organizations(
    sqlite_store: SqliteStore, populated: Tenant, path: pathlib.Path, analyzed: bool
) -> None:
    """A rate's creation reads the rates it may clash with, at every scope. Before, it read every
    rate of the organization (``list``): with 1,000 rates ``POST /rates`` cost 14.5 ms of CPU
    instead of 1.8."""
    sql = statements_for(SQLITE)
    org, user, project, client, day = (
        str(populated.org.id),
        str(populated.member.id),
        str(populated.project.id),
        str(uuid.uuid4()),
        "2024-01-15",
    )
    target_params = {
        RateScope.USER_PROJECT: (user, project),
        RateScope.USER: (user,),
        RateScope.PROJECT: (project,),
        RateScope.CLIENT: (client,),
        RateScope.ORG: (),
    }
    with closing(sqlite3.connect(path)) as raw:
        if analyzed:
            raw.execute("ANALYZE")
        for scope, params in target_params.items():
            plan = _plan(raw, sql.rates_starting[scope], (org, *params, day))
            assert len(plan) == 1, (scope, plan)
            assert plan[0].startswith("SEARCH rates USING INDEX rates_by_target (org_id=? AND scope=? AND"), (
                plan
            )
            assert plan[0].endswith("AND effective_from=?)"), (scope, plan)


@pytest.mark.parametrize("analyzed", [False, True], ids=["no-statistics", "analyzed"])
def test_moving_a_project_or_changing_a_client_s_currency_reads_their_rates_by_index_not_the_organizations(
    sqlite_store: SqliteStore, populated: Tenant, build: Build, path: pathlib.Path, analyzed: bool
) -> None:
    """A project's move to another client reads the rates of the project; a client's currency change
    the client's rates and its projects'. Before, both read every rate of the organization (and the
    currency change every project; here 400 projects of 20 clients): with 1,000 rates ``PATCH /projects/{id}`` with a ``clientId`` cost
    15.2 ms of CPU instead of 1.9."""
    clients = [build.client(populated.org, f"Client {n}") for n in range(20)]
    seed(sqlite_store, *clients)
    seed(
        sqlite_store,
        *(
            attrs.evolve(build.project(populated.org, f"Project {n}"), client_id=clients[n % 20].id)
            for n in range(400)
        ),
    )
    sql = statements_for(SQLITE)
    org, project, client = str(populated.org.id), str(populated.project.id), str(clients[0].id)
    with closing(sqlite3.connect(path)) as raw:
        if analyzed:
            raw.execute("ANALYZE")
        of_project = _plan(raw, sql.rates_of_project, (org, project))
        bound = _plan(raw, sql.rates_bound_to_client, (org, client, org, org, client))
    assert of_project == ["SEARCH rates USING INDEX rates_of_project (org_id=? AND project_id=?)"]
    searches = [step for step in bound if step.startswith(("SEARCH", "SCAN"))]
    assert searches == [
        "SEARCH rates USING INDEX rates_by_target (org_id=? AND scope=? AND user_id=? AND project_id=? AND client_id=?)",
        "SEARCH rates USING INDEX rates_of_project (org_id=? AND project_id=?)",
        "SEARCH projects USING INDEX projects_of_client (org_id=? AND client_id=?)",
    ], bound


def _plan(raw: sqlite3.Connection, sql: str, params: tuple[object, ...]) -> list[str]:
    return [detail for _id, _parent, _unused, detail in raw.execute(f"EXPLAIN QUERY PLAN {sql}", params)]


@pytest.mark.parametrize("analyzed", [False, True], ids=["no-statistics", "analyzed"])
def test_statements_that_name_entries_by_id_look_each_id_up_in_the_primary_key(
    sqlite_store: SqliteStore, populated: Tenant, path: pathlib.Path, analyzed: bool
) -> None:
    """Without ``INDEXED BY`` its primary key (``ENTRIES_PRIMARY_KEY``) SQLite's planner read every entry of the
    organization through an index on ``org_id`` for each of these (an import's undo read the
    organization once per page of 1,000: 36 s for 100,000 entries)."""
    sql = statements_for(SQLITE)
    org, ids = str(populated.org.id), (str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4()))
    named = {
        "entry_ids": (sql.entry_ids(3), (org, *ids)),
        "entries_by_ids": (sql.entries_by_ids(3, locked=False), (org, *ids)),
        "unimport_entries": (sql.unimport_entries(3), ("t", "t", org, *ids)),
    }
    with closing(sqlite3.connect(path)) as raw:
        if analyzed:
            raw.execute("ANALYZE")
        for name, (statement, params) in named.items():
            plan = _plan(raw, statement, params)
            assert plan == ["SEARCH time_entries USING INDEX sqlite_autoindex_time_entries_1 (id=?)"], (
                name,
                plan,
            )


@pytest.mark.parametrize("analyzed", [False, True], ids=["no-statistics", "analyzed"])
def test_an_undo_reads_its_page_and_its_invoiced_entries_from_the_import_s_live_index(
    sqlite_store: SqliteStore, populated: Tenant, path: pathlib.Path, analyzed: bool
) -> None:
    """Each page of an undo costs its own rows: the import's live entries by id, already in order
    (migration ``0021_live_entries_of_import``), not every entry of the import read and sorted."""
    sql = statements_for(SQLITE)
    org, imported = str(populated.org.id), str(uuid.uuid4())
    with closing(sqlite3.connect(path)) as raw:
        if analyzed:
            raw.execute("ANALYZE")
        page = _plan(raw, sql.live_entries_of_import, (org, imported, 1000))
        invoiced = _plan(raw, sql.invoiced_entry_of_import, (org, imported))
    assert page == ["SEARCH time_entries USING INDEX time_entries_live_of_import (org_id=? AND import_id=?)"]
    assert invoiced == [
        "SEARCH time_entries USING INDEX time_entries_invoiced_of_import (org_id=? AND import_id=?)"
    ]


@pytest.mark.parametrize("analyzed", [False, True], ids=["no-statistics", "analyzed"])
def test_an_undo_reads_what_live_entries_name_in_one_walk_of_the_reports_covering_index(
    sqlite_store: SqliteStore, populated: Tenant, path: pathlib.Path, analyzed: bool
) -> None:
    """Whether anything outside an import still uses its projects, tasks and users is one walk of
    the organization's entries in the reports' covering index, for the three fields at once (before,
    one walk per field, and one more per 500 ids)."""
    sql = statements_for(SQLITE)
    ids = [str(uuid.uuid4()) for _n in range(6)]
    statement = sql.live_references((("project_id", 2), ("task_id", 2), ("user_id", 2)))
    with closing(sqlite3.connect(path)) as raw:
        if analyzed:
            raw.execute("ANALYZE")
        plan = _plan(raw, statement, (str(populated.org.id), *ids))
    scans = [step for step in plan if step.startswith(("SCAN", "SEARCH")) and "time_entries" in step]
    assert scans == ["SEARCH time_entries USING COVERING INDEX time_entries_for_reports (org_id=?)"], plan


# Storage forms.

_OFFSETS = st.builds(lambda minutes: timezone(timedelta(minutes=minutes)), st.integers(-14 * 60, 14 * 60))
_INSTANTS = st.datetimes(
    min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.one_of(st.just(UTC), _OFFSETS)
)


@given(_INSTANTS)
@example(datetime(2024, 3, 1, 9, 0, tzinfo=UTC))
@example(datetime(2024, 3, 1, 10, 0, 0, 1, tzinfo=timezone(timedelta(hours=1))))
def test_a_stored_instant_reads_back_as_the_same_instant(instant: datetime) -> None:
    text = encode_instant(instant)
    assert len(text) == 27
    assert text.endswith("Z")
    assert decode_instant(text) == instant
    assert decode_instant(text).utcoffset() == timedelta(0)


@given(_INSTANTS, _INSTANTS)
def test_stored_instants_sort_as_text_in_time_order(first: datetime, second: datetime) -> None:
    assert (encode_instant(first) < encode_instant(second)) == (first < second)


def test_a_naive_datetime_cannot_be_stored() -> None:
    with pytest.raises(ValueError, match="naive"):
        encode_instant(datetime(2024, 3, 1, 9, 0))
