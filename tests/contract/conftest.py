"""The storage contract: one test suite for the ports, run against every storage adapter.

Each adapter is one :class:`StoreFactory` in :data:`STORE_FACTORIES`. The ``store`` fixture is
parametrized over that list, so every test that takes ``store`` runs once per adapter (the test
id names it: ``[memory]``, ``[sqlite]``, ``[postgres]``). To add an adapter, add one entry, e.g.::

    StoreFactory("postgres", empty_postgres_store, marks=(pytest.mark.postgres,))

where the second field is a context manager that takes a fresh temporary directory, yields the
store's ``unit_of_work``, and cleans up afterwards. Each test gets an empty, migrated store.
PostgreSQL runs on ``$HOURS_TEST_POSTGRES_URL`` in a schema of its own per run (see
:mod:`tests.postgres_support`); without a reachable server its tests skip (fail under CI=true).

Test data is built by :class:`Build` (valid entities with predictable ids and fixed UTC times) and
the ``world`` fixture stores two tenants with users, projects and tasks.
"""

from __future__ import annotations

import pathlib
import typing
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, date, datetime, timedelta

import attrs
import pytest

from hours_core.idempotency import IdempotencyRecord
from hours_core.model import (
    Client,
    ClientId,
    Org,
    OrgId,
    Plan,
    Project,
    ProjectId,
    Rate,
    RateId,
    RateScope,
    Role,
    Task,
    TaskId,
    TimeEntry,
    TimeEntryId,
    User,
    UserId,
    WeekStart,
)
from hours_core.ports import UnitOfWork, UnitOfWorkFactory
from hours_core.tokens import ApiToken, hash_token
from hours_memory import InMemoryStore
from hours_sql import Dialect, Kind, Table, statements_for
from hours_sql.tables import ENTRY_RATE_COLUMNS, TABLES, Column
from hours_sqlite import SqliteStore
from tests.postgres_support import (
    drop_the_postgres_schema_at_the_end,  # noqa: F401 - a session fixture: drops the run's schema
    empty_postgres_store,
)

T0 = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
"""The fixed "now" of the contract tests."""

D0 = date(2024, 3, 1)
"""The fixed "today" of the contract tests."""

TABLE_NAMES = frozenset(
    {
        "orgs",
        "users",
        "clients",
        "projects",
        "tasks",
        "time_entries",
        "api_tokens",
        "idempotency_records",
        "event_counters",
        "events",
        "event_drafts",
        "imports",
        "import_creations",
        "web_sessions",
        "installation_secrets",
        "rate_counters",
        "rates",
        "webhooks",
        "webhook_deliveries",
        "timesheets",
        "closed_periods",
        "invoices",
    }
)
"""Every table of the schema, on every SQL store."""


# The stores under test.


@attrs.frozen
class OpenStore:
    """A store under test: the adapter's name and its unit-of-work factory."""

    name: str
    unit_of_work: UnitOfWorkFactory

    def seed(self, *rows: object) -> None:
        """Store ``rows`` (entities, tokens, idempotency records) in one committed unit of work."""
        with self.unit_of_work() as uow:
            for row in rows:
                _add(uow, row)
            uow.commit()


def _add(uow: UnitOfWork, row: object) -> None:
    match row:
        case Org():
            uow.orgs.add(row)
        case User():
            uow.users.add(row)
        case Client():
            uow.clients.add(row)
        case Rate():
            uow.rates.add(row)
        case Project():
            uow.projects.add(row)
        case Task():
            uow.tasks.add(row)
        case TimeEntry():
            uow.entries.add(row)
        case ApiToken():
            uow.tokens.add(row)
        case IdempotencyRecord():
            assert uow.idempotency.claim(row) is None
        case _:
            raise TypeError(f"cannot seed {row!r}")


@attrs.frozen
class StoreFactory:
    """How to open one adapter's store for a test: a name, a context manager, pytest marks."""

    name: str
    open: Callable[[pathlib.Path], AbstractContextManager[UnitOfWorkFactory]]
    marks: tuple[pytest.MarkDecorator, ...] = ()


@contextmanager
def _memory(_directory: pathlib.Path) -> Iterator[UnitOfWorkFactory]:
    yield InMemoryStore().unit_of_work


@contextmanager
def _sqlite(directory: pathlib.Path) -> Iterator[UnitOfWorkFactory]:
    with SqliteStore.open(directory / "hours.db") as sqlite_store:
        sqlite_store.migrate()
        yield sqlite_store.unit_of_work


STORE_FACTORIES: tuple[StoreFactory, ...] = (
    StoreFactory("memory", _memory),
    StoreFactory("sqlite", _sqlite),
    StoreFactory("postgres", empty_postgres_store, marks=(pytest.mark.postgres,)),
)


@pytest.fixture(
    params=[pytest.param(factory, id=factory.name, marks=factory.marks) for factory in STORE_FACTORIES]
)
def store(request: pytest.FixtureRequest, tmp_path: pathlib.Path) -> Iterator[OpenStore]:
    """An empty store of each adapter in turn."""
    factory: StoreFactory = request.param
    with factory.open(tmp_path) as unit_of_work:
        yield OpenStore(factory.name, unit_of_work)


# Test data.


class Build:
    """Valid entities with predictable, increasing ids and fixed times; nothing is stored."""

    def __init__(self) -> None:
        self._last = 0

    def id(self) -> uuid.UUID:
        """The next id: ids increase in the order they are made."""
        self._last += 1
        return uuid.UUID(f"00000000-0000-7000-8000-{self._last:012x}")

    def org(
        self,
        name: str = "Acme",
        *,
        plan: Plan = Plan.STUDIO,
        created_at: datetime = T0,
        timezone: str = "UTC",
        week_start: WeekStart = WeekStart.MONDAY,
    ) -> Org:
        """A new organization."""
        return Org.new(OrgId(self.id()), name, plan, created_at, timezone=timezone, week_start=week_start)

    def user(
        self,
        org: Org,
        email: str | None = None,
        *,
        role: Role = Role.MEMBER,
        created_at: datetime = T0,
        name: str | None = None,
        deactivated_at: datetime | None = None,
    ) -> User:
        """A new user of ``org``."""
        user_id = UserId(self.id())
        email = email or f"user-{user_id.int}@example.com"
        return User(
            id=user_id,
            org_id=org.id,
            email=email,
            name=name or User.name_from_email(email),
            role=role,
            created_at=created_at,
            deactivated_at=deactivated_at,
        )

    def project(
        self,
        org: Org,
        name: str = "Website",
        *,
        archived: bool = False,
        billable_by_default: bool = True,
        created_at: datetime = T0,
    ) -> Project:
        """A new project of ``org``."""
        return Project(
            id=ProjectId(self.id()),
            org_id=org.id,
            name=name,
            archived=archived,
            billable_by_default=billable_by_default,
            created_at=created_at,
            updated_at=created_at,
        )

    def client(
        self,
        org: Org,
        name: str = "Globex Corp",
        *,
        currency: str = "EUR",
        billable_by_default: bool | None = None,
        archived_at: datetime | None = None,
        created_at: datetime = T0,
    ) -> Client:
        """A new client of ``org``."""
        return Client(
            id=ClientId(self.id()),
            org_id=org.id,
            name=name,
            currency=currency,
            billable_by_default=billable_by_default,
            archived_at=archived_at,
            created_at=created_at,
        )

    def rate(
        self,
        org: Org,
        *,
        client: Client | None = None,
        project: Project | None = None,
        user: User | None = None,
        billable: int | None = 10000,
        cost: int | None = 6000,
        currency: str = "EUR",
        effective_from: date = D0,
        created_at: datetime = T0,
    ) -> Rate:
        """A new rate of ``org`` at the scope that what it names gives."""
        scope = {
            (False, False, False): RateScope.ORG,
            (True, False, False): RateScope.CLIENT,
            (False, True, False): RateScope.PROJECT,
            (False, False, True): RateScope.USER,
            (False, True, True): RateScope.USER_PROJECT,
        }[(client is not None, project is not None, user is not None)]
        return Rate(
            id=RateId(self.id()),
            org_id=org.id,
            scope=scope,
            client_id=None if client is None else client.id,
            project_id=None if project is None else project.id,
            user_id=None if user is None else user.id,
            billable_rate_minor=billable,
            cost_rate_minor=cost,
            currency=currency,
            effective_from=effective_from,
            created_at=created_at,
        )

    def task(
        self, project: Project, name: str = "Design", *, archived: bool = False, created_at: datetime = T0
    ) -> Task:
        """A new task of ``project``."""
        return Task(
            id=TaskId(self.id()),
            org_id=project.org_id,
            project_id=project.id,
            name=name,
            archived=archived,
            created_at=created_at,
            updated_at=created_at,
        )

    def entry(
        self,
        user: User,
        project: Project,
        *,
        task: Task | None = None,
        entry_date: date = D0,
        created_at: datetime = T0,
        updated_at: datetime | None = None,
        duration_seconds: int = 3600,
        billable: bool = True,
        note: str | None = None,
        invoice_id: uuid.UUID | None = None,
        started_at: datetime | None = None,
        stopped_at: datetime | None = None,
        deleted_at: datetime | None = None,
    ) -> TimeEntry:
        """A new time entry of ``user`` on ``project``."""
        return TimeEntry(
            id=TimeEntryId(self.id()),
            org_id=user.org_id,
            user_id=user.id,
            project_id=project.id,
            task_id=None if task is None else task.id,
            invoice_id=invoice_id,
            duration_seconds=duration_seconds,
            billable=billable,
            note=note,
            entry_date=entry_date,
            started_at=started_at,
            stopped_at=stopped_at,
            created_at=created_at,
            updated_at=created_at if updated_at is None else updated_at,
            deleted_at=deleted_at,
        )

    def running(self, user: User, project: Project, *, started_at: datetime = T0) -> TimeEntry:
        """A new running timer of ``user``."""
        return self.entry(
            user, project, started_at=started_at, created_at=started_at, duration_seconds=0, entry_date=D0
        )

    def token(
        self,
        user: User,
        *,
        prefix: str | None = None,
        name: str = "laptop",
        created_at: datetime = T0,
        expires_at: datetime | None = T0 + timedelta(days=90),
    ) -> ApiToken:
        """A new (stored form of a) token of ``user``; its secret is irrelevant here."""
        token_id = self.id()
        prefix = prefix or f"pfx{token_id.int:09d}"
        return ApiToken(
            id=token_id,
            org_id=user.org_id,
            user_id=user.id,
            name=name,
            env="test",
            prefix=prefix,
            secret_hash=hash_token(f"hsk_test_{prefix}_{'s' * 32}"),
            created_at=created_at,
            expires_at=expires_at,
        )

    def record(
        self, user: User, key: str | None = None, *, fingerprint: str = "f" * 64, created_at: datetime = T0
    ) -> IdempotencyRecord:
        """A new idempotency claim of ``user``."""
        return IdempotencyRecord(
            org_id=user.org_id,
            user_id=user.id,
            key=key or str(self.id()),
            fingerprint=fingerprint,
            created_at=created_at,
        )


@pytest.fixture
def path(tmp_path: pathlib.Path) -> pathlib.Path:
    """Where the SQLite-only tests keep their database file."""
    return tmp_path / "hours.db"


@pytest.fixture
def sqlite_store(path: pathlib.Path) -> Iterator[SqliteStore]:
    """A migrated SQLite store at ``path``, for the tests of what only the SQLite adapter does."""
    with SqliteStore.open(path) as opened:
        opened.migrate()
        yield opened


def stored_as(table: Table, column: Column) -> Kind | type:
    """How a field is stored: its kind, or, for a value stored as it is, its Python type (an enum: ``str``)."""
    if column.kind is not None:
        return column.kind
    if column.enum is not None or column in table.apart:
        return str  # an enum's value; the columns apart from the entity are text (a password hash)
    annotation = table.annotation(column.name)
    members = [member for member in typing.get_args(annotation) if member is not type(None)]
    return members[0] if members else annotation


@pytest.fixture
def build() -> Build:
    """A fresh :class:`Build`."""
    return Build()


@attrs.frozen
class Tenant:
    """One stored organization with an owner, a member, two projects and a task."""

    org: Org
    owner: User
    member: User
    project: Project
    other_project: Project
    task: Task


@attrs.frozen
class World:
    """Two stored tenants: ``a`` and ``b``."""

    a: Tenant
    b: Tenant


def make_tenant(build: Build, name: str) -> Tenant:
    """A new tenant called ``name`` (not stored)."""
    org = build.org(name)
    project = build.project(org, "Website")
    return Tenant(
        org=org,
        owner=build.user(org, f"owner@{name.lower()}.example", role=Role.OWNER),
        member=build.user(org, f"member@{name.lower()}.example"),
        project=project,
        other_project=build.project(org, "Support", billable_by_default=False),
        task=build.task(project),
    )


@pytest.fixture
def world(store: OpenStore, build: Build) -> World:
    """Two tenants, stored."""
    tenants = World(a=make_tenant(build, "Acme"), b=make_tenant(build, "Globex"))
    for tenant in (tenants.a, tenants.b):
        store.seed(tenant.org, tenant.owner, tenant.member, tenant.project, tenant.other_project, tenant.task)
    return tenants


def rows_before_0004(dialect: Dialect, org: Org, *users: User) -> list[tuple[str, tuple[object, ...]]]:
    """The statements that store ``org`` and ``users`` as the schema held them before
    ``0004_org_settings_and_team`` (no time zone, week start, names, deactivation or email keys),
    for the tests of that migration and of earlier ones (today's codecs write today's columns)."""
    sql = statements_for(dialect)
    statements: list[tuple[str, tuple[object, ...]]] = [
        (
            dialect.sql("INSERT INTO orgs (id, name, plan, created_at) VALUES (?, ?, ?, ?)"),
            (sql.reference(org.id), org.name, org.plan.value, sql.instant(org.created_at)),
        )
    ]
    statements += [
        (
            dialect.sql("INSERT INTO users (id, org_id, email, role, created_at) VALUES (?, ?, ?, ?, ?)"),
            (
                sql.reference(user.id),
                sql.reference(user.org_id),
                user.email,
                user.role.value,
                sql.instant(user.created_at),
            ),
        )
        for user in users
    ]
    return statements


_ADDED_BY_0007 = {
    "projects": ("client_id", "version"),
    "tasks": ("version",),
    "time_entries": (
        *(column for _m, column in ENTRY_RATE_COLUMNS),
        "import_id",
        "external_ref",
        "version",
        "released_ref",
    ),
}
"""The columns that ``0007_clients_and_rates`` (and the later ``0011_imports``, ``0013_versions``
and ``0025_released_refs``) added to tables that existed before it."""


def rows_before_0007(dialect: Dialect, *entities: object) -> list[tuple[str, tuple[object, ...]]]:
    """The statements that store projects, tasks and time entries as the schema held them before
    ``0007_clients_and_rates`` (no client of a project, no stored rate of an entry), for the tests
    of earlier migrations (today's codecs write today's columns)."""
    sql = statements_for(dialect)
    statements: list[tuple[str, tuple[object, ...]]] = []
    for entity in entities:
        table = next(each for each in TABLES if isinstance(entity, each.entity))
        dropped = _ADDED_BY_0007.get(table.name, ())
        kept = [index for index, name in enumerate(table.column_names) if name not in dropped]
        values = sql.of(table).encode(entity)
        columns = ", ".join(table.column_names[index] for index in kept)
        marks = ", ".join("?" for _index in kept)
        statements.append(
            (
                dialect.sql(f"INSERT INTO {table.name} ({columns}) VALUES ({marks})"),
                tuple(values[index] for index in kept),
            )
        )
    return statements


def entries_before_0011(dialect: Dialect, *entries: TimeEntry) -> list[tuple[str, tuple[object, ...]]]:
    """The statements that store ``entries`` as the schema held them before ``0011_imports``
    (no ``import_id`` or ``external_ref``, nor the later ``version`` and ``released_ref``), for the
    tests of earlier migrations."""
    return _entries_without(dialect, ("import_id", "external_ref", "version", "released_ref"), entries)


def entries_before_0025(dialect: Dialect, *entries: TimeEntry) -> list[tuple[str, tuple[object, ...]]]:
    """The statements that store ``entries`` as the schema held them before ``0025_released_refs``
    (no ``released_ref``), for the tests of earlier migrations."""
    return _entries_without(dialect, ("released_ref",), entries)


def _entries_without(
    dialect: Dialect, later: tuple[str, ...], entries: tuple[TimeEntry, ...]
) -> list[tuple[str, tuple[object, ...]]]:
    table = statements_for(dialect).entries
    kept = [index for index, name in enumerate(table.table.column_names) if name not in later]
    names = [table.table.column_names[index] for index in kept]
    marks = ", ".join("?" * len(names))
    insert = dialect.sql(f"INSERT INTO time_entries ({', '.join(names)}) VALUES ({marks})")
    return [(insert, tuple(table.encode(entry)[index] for index in kept)) for entry in entries]


@pytest.fixture
def sqlite_tenant(sqlite_store: SqliteStore, build: Build) -> Tenant:
    """A tenant seeded in ``sqlite_store`` (the SQLite-only tests of group commit and the writer queue)."""
    made = make_tenant(build, "Grouped")
    OpenStore("sqlite", sqlite_store.unit_of_work).seed(
        made.org, made.owner, made.member, made.project, made.other_project, made.task
    )
    return made


def stored_entry_ids(path: pathlib.Path) -> set[str]:
    """The entry ids another connection (another process, in effect) sees committed in the SQLite file."""
    import sqlite3
    from contextlib import closing

    with closing(sqlite3.connect(path)) as other:
        return {row[0] for row in other.execute("SELECT id FROM time_entries")}
