"""What only the PostgreSQL store promises: migrations, schema, types, indexes, locks and errors.

The shared contract (every other file here) runs against PostgreSQL too, including what the
database refuses (``test_integrity.py``); these tests cover what is PostgreSQL's own: migrations
into a schema, bounded lock waits, text it cannot store, the errors a port raises instead of the
driver's, isolation levels, and the schema's types and indexes. They need a reachable server (``HOURS_TEST_POSTGRES_URL``).
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import attrs
import psycopg
import pytest
from psycopg_pool import PoolTimeout

from hours_app.composition import open_store
from hours_app.settings import DatabaseUrl, Settings
from hours_core.errors import (
    Conflict,
    IdempotencyRequestInProgress,
    StaleUpdate,
    StoreBusy,
    ValidationFailed,
)
from hours_core.model import OrgId
from hours_core.ports import EntryCursor, EntryQuery
from hours_postgres import DatabaseUnavailable, PostgresStore
from hours_postgres.connection import FIRST_WAIT_SECONDS, ConnectionSettings, Reachability, take_connection
from hours_postgres.dialect import POSTGRES
from hours_postgres.session import PostgresSession
from hours_sql import TABLES as TABLE_DESCRIPTIONS
from hours_sql import Kind, Table, statements_for
from tests.postgres_support import empty_postgres_store, run_store
from tests.postgres_url import new_schema_name, require_postgres, url_with_search_path

from .conftest import D0, T0, TABLE_NAMES, Build, OpenStore, Tenant, make_tenant, stored_as
from .test_events import new_event

pytestmark = pytest.mark.postgres

MIGRATIONS = [
    "0001_initial",
    "0002_idempotency_result",
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
    "0019_report_group_statistics",
    "0020_webhook_pending_heads",
    "0021_live_entries_of_import",
    "0022_event_filters",
    "0023_import_creations",
    "0024_visible_names",
    "0025_released_refs",
    "0026_rates_by_target",
    "0027_rates_of_project",
    "0029_email_keys_of_ascii_domains",
]
"""Every migration of the adapter, in order."""

TABLES = TABLE_NAMES | {"webhook_dispatcher_lease"}
WAIT = 30
"""How long a thread waits for another before the test gives up (a guard against hangs)."""


@pytest.fixture
def fresh() -> Iterator[PostgresStore]:
    """A store on a new, empty schema of its own (not migrated)."""
    store = PostgresStore.open(require_postgres(), schema=new_schema_name("t"))
    try:
        yield store
    finally:
        store.drop_schema()
        store.close()


@pytest.fixture
def pg() -> Iterator[PostgresStore]:
    """The run's migrated store, emptied."""
    with empty_postgres_store():
        yield run_store()


@pytest.fixture
def impatient(pg: PostgresStore) -> Iterator[PostgresStore]:
    """Another store on the run's schema whose lock waits run out after 100 ms."""
    other = PostgresStore.open(require_postgres(), schema=pg.schema, lock_timeout_ms=100)
    try:
        yield other
    finally:
        other.close()


def seed(store: PostgresStore, *rows: object) -> None:
    OpenStore("postgres", store.unit_of_work).seed(*rows)


def tenant(store: PostgresStore, build: Build) -> Tenant:
    made = make_tenant(build, f"Tenant{build.id().int}")
    seed(store, made.org, made.owner, made.member, made.project, made.other_project, made.task)
    return made


def catalog(store: PostgresStore, sql: str) -> list[tuple[object, ...]]:
    """Rows of a catalog query about the store's schema (``%s`` is the schema)."""
    with psycopg.connect(require_postgres()) as conn:
        return conn.execute(sql, (store.schema,)).fetchall()


def in_thread(target: Callable[[], None]) -> Callable[[], None]:
    """Start ``target`` in a thread; return a function that joins it and re-raises its failure."""
    failures: list[BaseException] = []

    def run() -> None:
        try:
            target()
        except BaseException as error:
            failures.append(error)

    thread = threading.Thread(target=run)
    thread.start()

    def join() -> None:
        thread.join(WAIT)
        assert not thread.is_alive(), "the thread did not finish"
        if failures:
            raise failures[0]

    return join


# Opening and migrating.


def test_opening_creates_the_schema_but_no_table(fresh: PostgresStore) -> None:
    assert fresh.pending_migrations() == MIGRATIONS
    assert catalog(fresh, "SELECT tablename FROM pg_tables WHERE schemaname = %s") == []
    assert catalog(fresh, "SELECT nspname FROM pg_namespace WHERE nspname = %s") == [(fresh.schema,)]


def test_migrating_applies_each_pending_migration_once(fresh: PostgresStore) -> None:
    assert fresh.migrate() == MIGRATIONS
    assert fresh.migrate() == []
    assert fresh.pending_migrations() == []
    tables = {name for (name,) in catalog(fresh, "SELECT tablename FROM pg_tables WHERE schemaname = %s")}
    assert tables == {*TABLES, "hours_migrations"}


def test_two_stores_migrating_one_schema_at_once_apply_each_migration_once(fresh: PostgresStore) -> None:
    other = PostgresStore.open(require_postgres(), schema=fresh.schema)
    applied: list[list[str]] = []
    start = threading.Barrier(2)

    def migrate(store: PostgresStore) -> Callable[[], None]:
        def run() -> None:
            start.wait(WAIT)
            applied.append(store.migrate())

        return run

    try:
        joins = [in_thread(migrate(store)) for store in (fresh, other)]
        for join in joins:
            join()
    finally:
        other.close()

    assert sorted(applied) == [[], MIGRATIONS]


def test_a_url_with_a_search_path_puts_the_tables_in_that_schema(fresh: PostgresStore) -> None:
    assert fresh.schema is not None
    with PostgresStore.open(url_with_search_path(require_postgres(), fresh.schema)) as by_url:
        assert by_url.schema is None
        assert by_url.migrate() == MIGRATIONS
    assert fresh.pending_migrations() == []


def test_the_composition_root_opens_and_migrates_a_postgresql_url(fresh: PostgresStore) -> None:
    assert fresh.schema is not None
    url = DatabaseUrl.parse(url_with_search_path(require_postgres(), fresh.schema))

    opened = open_store(url, Settings(database=url))
    try:
        assert opened.kind == "postgresql" and not opened.reads_are_local
        assert opened.applied_migrations == MIGRATIONS
        with opened.unit_of_work(read_only=True) as uow:
            assert list(uow.orgs.list()) == []
    finally:
        opened.close()


def test_an_unreachable_server_is_database_unavailable() -> None:
    with pytest.raises(DatabaseUnavailable, match="cannot connect"):
        PostgresStore.open("postgresql://postgres@127.0.0.1:1/test?connect_timeout=2")


class _EmptyPool:
    """A pool whose connections are all gone (or all in use): every wait runs out."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def getconn(self, timeout: float) -> object:
        self.waits.append(timeout)
        raise PoolTimeout(f"couldn't get a connection after {timeout} sec")


def test_a_pool_without_connections_answers_at_once_when_postgresql_cannot_be_reached() -> None:
    settings = ConnectionSettings(url="postgresql://postgres@127.0.0.1:1/test", pool_timeout_s=30.0)
    pool = _EmptyPool()

    with pytest.raises(DatabaseUnavailable, match="cannot be reached"):
        take_connection(pool, settings, Reachability(settings))  # type: ignore[arg-type]

    assert pool.waits == [FIRST_WAIT_SECONDS]  # not the 30 s of the pool timeout


def test_a_busy_pool_waits_out_the_pool_timeout_when_postgresql_answers() -> None:
    settings = ConnectionSettings(url=require_postgres(), pool_timeout_s=30.0)
    pool = _EmptyPool()

    with pytest.raises(DatabaseUnavailable, match="stayed busy"):
        take_connection(pool, settings, Reachability(settings))  # type: ignore[arg-type]

    assert pool.waits == [FIRST_WAIT_SECONDS, 30.0 - FIRST_WAIT_SECONDS]


def test_reachability_is_probed_once_a_second_however_many_ask() -> None:
    settings = ConnectionSettings(url="postgresql://postgres@127.0.0.1:1/test")
    reachability = Reachability(settings)
    probes: list[int] = []
    real_connect = psycopg.connect

    def counting_connect(*args: object, **kwargs: object) -> psycopg.Connection[Any]:
        probes.append(1)
        return real_connect(*args, **kwargs)  # type: ignore[arg-type]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(psycopg, "connect", counting_connect)
        answers = [reachability.reachable() for _ in range(50)]

    assert answers == [False] * 50
    assert len(probes) == 1


@pytest.mark.parametrize("schema", ["Hours", "a-b", "x" * 64, "", 'a"; DROP TABLE orgs; --'])
def test_a_schema_name_that_needs_quoting_is_refused(schema: str) -> None:
    with pytest.raises(ValueError, match="schema"):
        PostgresStore.open("postgresql://postgres@127.0.0.1:1/test", schema=schema)


def test_a_store_without_a_schema_of_its_own_refuses_to_drop_one(fresh: PostgresStore) -> None:
    assert fresh.schema is not None
    with (
        PostgresStore.open(url_with_search_path(require_postgres(), fresh.schema)) as by_url,
        pytest.raises(RuntimeError, match="no schema of its own"),
    ):
        by_url.drop_schema()


# The schema.


def test_columns_have_real_types(pg: PostgresStore) -> None:
    types = {
        (table, column): kind
        for table, column, kind in catalog(
            pg,
            "SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = %s",
        )
    }
    assert types[("time_entries", "id")] == "uuid"
    assert types[("time_entries", "entry_date")] == "date"
    assert types[("time_entries", "created_at")] == "timestamp with time zone"
    assert types[("time_entries", "billable")] == "boolean"
    assert types[("idempotency_records", "result")] == "bytea"


def test_the_indexes_are_tenant_scoped(pg: PostgresStore) -> None:
    indexes = {
        name: definition.partition(" USING ")[2]
        for name, definition in catalog(
            pg, "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = %s"
        )
    }
    assert indexes["time_entries_in_order"] == "btree (org_id, entry_date, created_at, id)"
    assert indexes["time_entries_of_user_in_order"] == "btree (org_id, user_id, entry_date, created_at, id)"
    assert indexes["time_entries_by_update"] == "btree (org_id, updated_at)"
    assert indexes["time_entries_one_running_per_user"].startswith("btree (org_id, user_id) WHERE")
    assert indexes["users_email_per_org"] == "btree (org_id, email_key)"
    assert indexes["api_tokens_pkey"] == "btree (prefix)"
    assert indexes["idempotency_records_pkey"] == "btree (org_id, user_id, key)"
    assert indexes["idempotency_records_by_completion"].startswith("btree (completed_at)")
    unique = {
        name
        for (name,) in catalog(
            pg, "SELECT indexname FROM pg_indexes WHERE schemaname = %s AND indexdef LIKE 'CREATE UNIQUE%%'"
        )
    }
    assert {"time_entries_one_running_per_user", "users_email_per_org"} <= unique


POSTGRES_TYPES = {
    Kind.UUID: "uuid",
    Kind.REFERENCE: "uuid",
    Kind.DATE: "date",
    Kind.INSTANT: "timestamp with time zone",
    Kind.BOOLEAN: "boolean",
    Kind.BYTES: "bytea",
    Kind.STRINGS: "text",
    int: "integer",
    str: "text",
}
"""The column type that stores each kind of field (enums are stored as their text value)."""


@pytest.mark.parametrize("table", TABLE_DESCRIPTIONS, ids=lambda table: table.name)
def test_each_table_has_a_column_of_the_right_type_for_each_field_of_its_entity(
    pg: PostgresStore, table: Table
) -> None:
    columns = catalog(
        pg,
        "SELECT column_name, data_type, is_nullable = 'NO' FROM information_schema.columns"
        f" WHERE table_schema = %s AND table_name = '{table.name}'",
    )

    expected = {
        column.name: (POSTGRES_TYPES[stored_as(table, column)], not column.nullable)
        for column in table.stored_columns
    }
    assert {name: (kind, not_null) for name, kind, not_null in columns} == expected


@pytest.mark.parametrize("descending", [False, True], ids=["oldest-first", "newest-first"])
@pytest.mark.parametrize("user", [False, True], ids=["org", "user"])
def test_a_deep_page_is_an_index_range_scan_from_the_cursor(
    pg: PostgresStore, build: Build, descending: bool, user: bool
) -> None:
    a = tenant(pg, build)
    cursor = EntryCursor(entry_date=D0, created_at=T0, id=build.id())
    query = EntryQuery(after=cursor, descending=descending, user_id=a.member.id if user else None, limit=50)
    sql, params = statements_for(POSTGRES).entry_list(a.org.id, query)

    with psycopg.connect(require_postgres(), autocommit=True) as conn:
        conn.execute(f'SET search_path TO "{pg.schema}"')
        conn.execute("SET enable_seqscan = off")  # a near-empty table would be scanned whole anyway
        conn.execute("SET enable_sort = off")
        plan = "\n".join(row[0] for row in conn.execute(f"EXPLAIN {sql}", params).fetchall())

    index = "time_entries_of_user_in_order" if user else "time_entries_in_order"
    assert f"Index Scan{' Backward' if descending else ''} using {index}" in plan
    assert "Sort" not in plan


# What the database itself refuses.


@pytest.mark.parametrize("text", ["nul \x00 inside", "lone \ud800 surrogate"])
def test_text_postgresql_cannot_store_is_a_validation_error_not_a_driver_error(
    pg: PostgresStore, build: Build, text: str
) -> None:
    a = tenant(pg, build)

    with pg.unit_of_work() as uow:
        with pytest.raises(ValidationFailed):
            uow.projects.add(build.project(a.org, text))
        with pytest.raises(ValidationFailed):
            uow.entries.add_many([build.entry(a.member, a.project, note=text)])
        assert uow.projects.count_active(a.org.id) == 2  # the unit of work goes on


# Lock waits are bounded.


def test_a_claim_that_waits_longer_than_the_lock_timeout_is_in_progress(
    pg: PostgresStore, impatient: PostgresStore, build: Build
) -> None:
    a = tenant(pg, build)
    first = build.record(a.member, "k")
    later = build.record(a.member, "k", fingerprint="2" * 64)

    with pg.unit_of_work() as holder:
        assert holder.idempotency.claim(first) is None
        with impatient.unit_of_work() as waiter:
            with pytest.raises(IdempotencyRequestInProgress):
                waiter.idempotency.claim(later)
            assert waiter.idempotency.claim(build.record(a.member, "other")) is None  # it goes on
        holder.commit()

    with pg.unit_of_work(read_only=True) as uow:
        assert uow.idempotency.get(a.org.id, a.member.id, "k") == first
        assert uow.idempotency.get(a.org.id, a.member.id, "other") is None


def test_of_two_takeovers_of_one_expired_key_the_second_waits_and_finds_the_firsts_record(
    pg: PostgresStore, build: Build
) -> None:
    """Both read the key's record as expired; the first takes it over and commits; the second,
    which waited on the key's row, re-checks the condition against the committed record and
    leaves it: one request runs, not two."""
    a = tenant(pg, build)
    seed(pg, build.record(a.member, "k").completed(b"old", T0))
    cutoff = T0 + timedelta(days=1)
    first = build.record(a.member, "k", fingerprint="1" * 64, created_at=cutoff)
    second = build.record(a.member, "k", fingerprint="2" * 64, created_at=cutoff)
    answers: list[bool] = []

    with pg.unit_of_work() as holder:
        assert holder.idempotency.replace(first, expired_before=cutoff) is True

        def take_over() -> None:
            with pg.unit_of_work() as waiter:
                answers.append(waiter.idempotency.replace(second, expired_before=cutoff))
                waiter.commit()

        join = in_thread(take_over)
        time.sleep(0.3)  # the second waits on the key's row meanwhile
        assert answers == []
        holder.idempotency.complete(first.completed(b"new", cutoff + timedelta(seconds=1)))
        holder.commit()
    join()

    assert answers == [False]
    with pg.unit_of_work(read_only=True) as uow:
        stored = uow.idempotency.get(a.org.id, a.member.id, "k")
    assert stored == first.completed(b"new", cutoff + timedelta(seconds=1))


def test_an_update_that_waits_longer_than_the_lock_timeout_is_a_store_busy_error(
    pg: PostgresStore, impatient: PostgresStore, build: Build
) -> None:
    a = tenant(pg, build)
    entry = build.entry(a.member, a.project, note="first")
    seed(pg, entry)
    mine = attrs.evolve(entry, note="mine", updated_at=T0 + timedelta(minutes=1))

    with pg.unit_of_work() as holder:
        holder.entries.update(mine, expected_updated_at=entry.updated_at)
        with pytest.raises(StoreBusy, match="busy"), impatient.unit_of_work() as waiter:
            waiter.entries.update(attrs.evolve(mine, note="theirs"), expected_updated_at=entry.updated_at)
        holder.commit()


def test_a_locked_organization_makes_a_second_locker_wait(
    pg: PostgresStore, impatient: PostgresStore, build: Build
) -> None:
    a = tenant(pg, build)

    with pg.unit_of_work() as holder:
        assert holder.orgs.lock(a.org.id) == a.org
        with pytest.raises(StoreBusy), impatient.unit_of_work() as waiter:
            waiter.orgs.lock(a.org.id)
        with impatient.unit_of_work() as other:
            assert other.orgs.get(a.org.id) == a.org  # a plain read does not wait
            other.projects.add(build.project(a.org, "Referring"))  # nor a row that refers to it
            other.users.add(build.user(a.org, "new@tenant.example"))
            other.commit()
        holder.commit()


def test_of_two_concurrent_updates_of_one_version_the_second_is_stale(
    pg: PostgresStore, build: Build
) -> None:
    a = tenant(pg, build)
    entry = build.entry(a.member, a.project, note="first")
    seed(pg, entry)
    first_updated, second_starting = threading.Event(), threading.Event()
    outcome: list[BaseException] = []

    def second_writer() -> None:
        assert first_updated.wait(WAIT)
        second_starting.set()
        theirs = attrs.evolve(entry, note="theirs", updated_at=T0 + timedelta(minutes=2))
        try:
            with pg.unit_of_work() as uow:
                uow.entries.update(theirs, expected_updated_at=entry.updated_at)
                uow.commit()
        except StaleUpdate as error:
            outcome.append(error)

    mine = attrs.evolve(entry, note="mine", updated_at=T0 + timedelta(minutes=1))
    with pg.unit_of_work() as uow:
        mine = uow.entries.update(mine, expected_updated_at=entry.updated_at)
        first_updated.set()
        join = in_thread(second_writer)
        assert second_starting.wait(WAIT)
        time.sleep(0.05)  # let the second writer wait for the row; the outcome is the same either way
        uow.commit()
    join()

    assert len(outcome) == 1
    with pg.unit_of_work(read_only=True) as uow:
        assert uow.entries.get(a.org.id, entry.id) == mine


# Units of work.


def current_settings(uow: object, *names: str) -> tuple[str, ...]:
    """The settings of the unit of work's transaction (the session begins it with its first statement)."""
    session = uow._session  # type: ignore[attr-defined]  # a look inside, for these tests only
    return tuple(session.rows(f"SELECT current_setting('{name}')")[0][0] for name in names)


def test_a_write_unit_of_work_is_read_committed_with_the_stores_lock_timeout(
    impatient: PostgresStore,
) -> None:
    with impatient.unit_of_work() as uow:
        assert current_settings(uow, "transaction_isolation", "transaction_read_only", "lock_timeout") == (
            "read committed",
            "off",
            "100ms",
        )


def test_a_read_only_unit_of_work_is_a_read_only_snapshot(pg: PostgresStore) -> None:
    with pg.unit_of_work(read_only=True) as uow:
        assert current_settings(uow, "transaction_isolation", "transaction_read_only") == (
            "repeatable read",
            "on",
        )


def test_a_pooled_connection_the_server_dropped_is_replaced_without_an_error(
    fresh: PostgresStore, build: Build
) -> None:
    fresh.migrate()
    with fresh.unit_of_work(read_only=True) as uow:
        pid = uow._session.conn.info.backend_pid  # type: ignore[attr-defined]
    with psycopg.connect(require_postgres(), autocommit=True) as admin:
        assert admin.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone() == (True,)

    org = build.org()
    seed(fresh, org)

    with fresh.unit_of_work(read_only=True) as uow:
        assert uow.orgs.get(org.id) == org


def test_a_failed_pipeline_leaves_every_statement_usable_on_its_connection(
    pg: PostgresStore, build: Build
) -> None:
    """A commit pipeline (the outbox, then ``COMMIT``) whose first statement fails, at the moment
    psycopg would have started preparing the next one, used to leave that statement unusable on the
    connection for good. One connection, so every commit runs on it."""
    tenant = make_tenant(build, "Pipelines")
    with pg.unit_of_work() as uow:
        uow.orgs.add(tenant.org)
        uow.commit()
    one = PostgresStore.open(require_postgres(), schema=pg.schema, min_size=1, max_size=1)
    try:
        for attempt in range(12):
            ghost = attempt in (4, 5, 6)  # around psycopg's default threshold, preparing on the 6th use
            with one.unit_of_work() as uow:
                uow.events.append(new_event(OrgId(uuid.uuid4()) if ghost else tenant.org.id))
                if ghost:
                    with pytest.raises(Conflict):  # the counter of an org that does not exist
                        uow.commit()
                else:
                    uow.commit()
        with one.unit_of_work(read_only=True) as uow:
            assert uow.events.latest_seq(tenant.org.id) == 9
    finally:
        one.close()


def test_a_failed_pipeline_raises_its_first_error_and_psycopg_logs_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A statement's error that arrives while a large later statement is still being sent (a
    refused write with a big note on a full disk) was raised inside psycopg's pipeline block, and
    psycopg logged a warning, "error ignored terminating <psycopg.Pipeline ...>: pipeline
    aborted", for a write that was answered as refused (operations.md: nothing is logged)."""
    with psycopg.connect(require_postgres()) as conn:
        session = PostgresSession(conn, writable=True, lock_timeout_ms=1000)
        session.begin()
        with caplog.at_level(logging.DEBUG, logger="psycopg"), pytest.raises(ValidationFailed) as raised:
            session.rows_after("SELECT 1/0", (), "SELECT length(%s)", ("x" * 8_000_000,))
    assert isinstance(raised.value.__cause__, psycopg.errors.DivisionByZero)
    assert [record.getMessage() for record in caplog.records if record.name.startswith("psycopg")] == []


def test_every_pooled_connection_notices_a_vanished_database_host_within_about_30_seconds(
    fresh: PostgresStore,
) -> None:
    """A database host that vanishes without closing its connections (power lost, a failover to
    another address) left a request waiting on its connection as long as the kernel's defaults let
    it: two hours of silence before the first keepalive probe, 15 minutes of retransmissions. Each
    connection now sets keepalives and ``tcp_user_timeout`` on its socket, as the socket itself
    shows (a TCP connection to the server; over a Unix socket there is no TCP to tune)."""
    import socket

    with fresh.unit_of_work(read_only=True) as uow:
        conn = uow._session.conn  # type: ignore[attr-defined]
        if conn.info.host.startswith("/"):
            pytest.skip("a Unix-socket connection has no TCP settings")
        tcp = socket.socket(fileno=socket.dup(conn.fileno()))
        try:
            assert tcp.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 1
            assert tcp.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE) == 10
            assert tcp.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL) == 5
            assert tcp.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT) == 3
            assert tcp.getsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT) == 30_000
        finally:
            tcp.close()


def test_a_url_s_own_tcp_settings_win_over_the_defaults() -> None:
    from hours_postgres.connection import DEAD_PEER_DETECTION, _connect_kwargs

    given = ConnectionSettings(url="postgresql://db/hours?keepalives_idle=60&tcp_user_timeout=0")
    kwargs = _connect_kwargs(given)
    assert "keepalives_idle" not in kwargs and "tcp_user_timeout" not in kwargs
    assert kwargs["keepalives_count"] == DEAD_PEER_DETECTION["keepalives_count"]
