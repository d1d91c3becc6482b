"""An in-memory store: every port on plain dictionaries, with real transactions.

Writers take one lock (like SQLite, one writer at a time) and work on copy-on-write tables;
:meth:`InMemoryUnitOfWork.commit` swaps them in, and leaving without a commit drops them.
Readers see the last committed state. Used by the unit tests and for embedding hours in a
process that needs no persistence.

It is the fast fake of the SQL stores, so it refuses what their schemas refuse, with the same
errors (the contract suite in ``tests/contract`` checks each rule on all three stores):

* a row whose id is taken (``Conflict``: "already exists");
* a row that names an organization, user, client, project or task that does not exist in its own
  organization, or a task of another project (``Conflict``: "does not exist in its organization");
* an email taken in the organization, compared by its key (``User.email_key``: Unicode case
  folding, as the SQL stores' key column), and a token prefix taken anywhere;
* a second running timer of one user (``TimerAlreadyRunning``, naming the running one);
* an entry update whose expected ``updated_at`` is not the stored one (``StaleUpdate``);
* an update of an entry, project, task or client whose version is not the stored one
  (``StaleUpdate``). Every write stores its row one version up.

A refused write changes nothing, and the unit of work goes on, as on the databases.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from types import TracebackType
from typing import Any, Self, TypeVar
from uuid import UUID

import attrs

from hours_core.entry_locks import invoiced_lock
from hours_core.errors import Conflict, EmailTaken, StaleUpdate, TimerAlreadyRunning
from hours_core.events import Event, EventQuery, NewEvent
from hours_core.idempotency import IdempotencyRecord
from hours_core.installation import InstallationSecret
from hours_core.invoices import Invoice, InvoiceId
from hours_core.model import (
    Client,
    ClientId,
    Import,
    ImportCreation,
    ImportId,
    Org,
    OrgId,
    Project,
    ProjectId,
    Rate,
    RateId,
    Role,
    Task,
    TaskId,
    TimeEntry,
    TimeEntryId,
    User,
    UserId,
)
from hours_core.periods import ClosedPeriod
from hours_core.ports import (
    ClientRepository,
    Credentials,
    EntryCursor,
    EntryQuery,
    EntryReference,
    EventRepository,
    IdempotencyRepository,
    ImportRepository,
    InstallationSecretRepository,
    InvoiceRepository,
    OrgRepository,
    PasswordLogin,
    PeriodRepository,
    ProjectRepository,
    RateCounterRepository,
    RateRepository,
    ReportRepository,
    ReportRows,
    SessionCredentials,
    SessionRepository,
    TaskRepository,
    TimeEntryRepository,
    TimesheetRepository,
    TokenRepository,
    UnitOfWork,
    UnitOfWorkFactory,
    UserRepository,
    WebhookDeliveryRepository,
    WebhookRepository,
)
from hours_core.rates import entry_targets
from hours_core.report_entries import Names, rows_of_entries
from hours_core.reports import ReportQuery
from hours_core.tokens import ApiToken
from hours_core.web_sessions import WebSession
from hours_memory.timesheets import InMemoryTimesheetRepository
from hours_memory.webhooks import InMemoryWebhookDeliveryRepository, InMemoryWebhookRepository

__all__ = ["InMemoryStore", "InMemoryUnitOfWork"]

_Row = TypeVar("_Row", User, Client, Project, Task, TimeEntry, ApiToken, Import, Rate)

_TABLES = (
    "orgs",
    "users",
    "clients",
    "projects",
    "tasks",
    "entries",
    "tokens",
    "idempotency",
    "webhooks",
    "deliveries",
    "dispatcher_lease",
    "events",
    "event_counters",
    "imports",
    "import_creations",
    "rates",
    "passwords",
    "sessions",
    "installation",
    "rate_counters",
    "timesheets",
    "periods",
    "invoices",
)


class InMemoryStore:
    """The committed state, and the lock that lets one writer in at a time."""

    def __init__(self) -> None:
        self.tables: dict[str, dict[Any, Any]] = {name: {} for name in _TABLES}
        self.writer = threading.Lock()

    def unit_of_work(self, *, read_only: bool = False) -> InMemoryUnitOfWork:
        """A new unit of work over this store (the :class:`UnitOfWorkFactory` of this adapter)."""
        return InMemoryUnitOfWork(self, read_only=read_only)


class _Tables:
    """One transaction's view: committed tables, copied on first write."""

    def __init__(self, store: InMemoryStore, *, writable: bool) -> None:
        self._committed = dict(store.tables)
        self._working: dict[str, dict[Any, Any]] = {}
        self._writable = writable
        self.ended = False

    def read(self, name: str) -> dict[Any, Any]:
        if self.ended:
            raise RuntimeError("this unit of work has ended; open a new one")
        return self._working.get(name, self._committed[name])

    def write(self, name: str) -> dict[Any, Any]:
        if self.ended:
            raise RuntimeError("this unit of work has ended; open a new one")
        if not self._writable:
            raise RuntimeError("this unit of work is read-only")
        if name not in self._working:
            self._working[name] = dict(self._committed[name])
        return self._working[name]

    def changes(self) -> dict[str, dict[Any, Any]]:
        return self._working

    def snapshot(self) -> dict[str, dict[Any, Any]]:
        """The written tables as they are now (rows are immutable: shallow copies suffice)."""
        return {name: dict(table) for name, table in self._working.items()}

    def restore(self, snapshot: dict[str, dict[Any, Any]]) -> None:
        """Undo every write since :meth:`snapshot` returned ``snapshot``."""
        self._working = snapshot


class InMemoryUnitOfWork:
    """One transaction on an :class:`InMemoryStore`."""

    orgs: OrgRepository
    users: UserRepository
    clients: ClientRepository
    projects: ProjectRepository
    tasks: TaskRepository
    entries: TimeEntryRepository
    tokens: TokenRepository
    idempotency: IdempotencyRepository
    rate_counters: RateCounterRepository
    rates: RateRepository
    sessions: SessionRepository
    webhooks: WebhookRepository
    deliveries: WebhookDeliveryRepository
    events: EventRepository
    reports: ReportRepository
    imports: ImportRepository
    installation: InstallationSecretRepository
    timesheets: TimesheetRepository
    periods: PeriodRepository
    invoices: InvoiceRepository

    def __init__(self, store: InMemoryStore, *, read_only: bool = False) -> None:
        self._store = store
        self._read_only = read_only
        self._tables: _Tables | None = None

    def __enter__(self) -> Self:
        if not self._read_only:
            self._store.writer.acquire()
        tables = _Tables(self._store, writable=not self._read_only)
        self._tables = tables
        self.orgs = orgs = InMemoryOrgRepository(tables)
        self.users = users = InMemoryUserRepository(tables)
        self.clients = clients = InMemoryClientRepository(tables)
        self.projects = projects = InMemoryProjectRepository(tables)
        self.tasks = tasks = InMemoryTaskRepository(tables)
        self.entries = entries = InMemoryTimeEntryRepository(tables)
        self.tokens = tokens = InMemoryTokenRepository(tables)
        self.idempotency = idempotency = InMemoryIdempotencyRepository(tables)
        self.rate_counters = rate_counters = InMemoryRateCounterRepository(tables)
        self.rates = rates = InMemoryRateRepository(tables)
        self.sessions = sessions = InMemorySessionRepository(tables)
        self.events = self._events = events = InMemoryEventRepository(tables)
        self.reports = reports = InMemoryReportRepository(tables)
        self.imports = imports = InMemoryImportRepository(tables)
        self.installation = installation = InMemoryInstallationSecretRepository(tables)
        self.webhooks = webhooks = InMemoryWebhookRepository(tables)
        self.deliveries = deliveries = InMemoryWebhookDeliveryRepository(tables)
        self.timesheets = timesheets = InMemoryTimesheetRepository(tables)
        self.periods = periods = InMemoryPeriodRepository(tables)
        self.invoices = invoices = InMemoryInvoiceRepository(tables)
        self._repositories: tuple[
            _Repository
            | InMemoryWebhookRepository
            | InMemoryWebhookDeliveryRepository
            | InMemoryTimesheetRepository,
            ...,
        ] = (
            timesheets,
            events,
            webhooks,
            deliveries,
            imports,
            orgs,
            users,
            clients,
            projects,
            tasks,
            entries,
            tokens,
            idempotency,
            rate_counters,
            rates,
            sessions,
            reports,
            installation,
            periods,
            invoices,
        )
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._tables is not None:
            self._tables.ended = True
        self._tables = None
        if not self._read_only:
            self._store.writer.release()

    def commit(self) -> None:
        """Publish this transaction's writes."""
        if self._tables is None:
            raise RuntimeError("commit() outside the unit of work's block")
        self._events.flush()
        changes = self._tables.changes()
        if changes:
            self._store.tables = {**self._store.tables, **changes}
            self._tables.ended = True
            self._tables = _Tables(self._store, writable=not self._read_only)
            self._rebind(self._tables)

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """A snapshot of this transaction's tables and events, restored if the block raises."""
        tables = self._tables
        if tables is None:
            raise RuntimeError("savepoint() outside the unit of work's block")
        if self._read_only:
            raise RuntimeError("this unit of work is read-only")
        snapshot, mark = tables.snapshot(), self._events.collected()
        try:
            yield
        except BaseException:
            if self._tables is tables:
                tables.restore(snapshot)
                self._events.forget_after(mark)
            raise

    def _rebind(self, tables: _Tables) -> None:
        for repository in self._repositories:
            repository.tables = tables


class _Repository:
    def __init__(self, tables: _Tables) -> None:
        self.tables = tables

    def _insert(self, table: str, key: Any, row: object, kind: str) -> None:
        """Store a new row under ``key``; ``Conflict`` if the key is taken (a primary key)."""
        if key in self.tables.read(table):
            raise Conflict(f"The {kind} already exists.")
        self.tables.write(table)[key] = row

    def _require(self, found: bool, kind: str) -> None:
        """``Conflict`` unless what a row refers to exists in its organization (a foreign key)."""
        if not found:
            raise Conflict(
                f"The {kind} refers to an organization, user, client, project or task that does not exist "
                "in its organization."
            )

    def _user_exists(self, org_id: OrgId, user_id: UserId) -> bool:
        return _owned(self.tables.read("users").get(user_id), org_id) is not None

    def _project_exists(self, org_id: OrgId, project_id: ProjectId) -> bool:
        return _owned(self.tables.read("projects").get(project_id), org_id) is not None

    def _client_exists(self, org_id: OrgId, client_id: ClientId | None) -> bool:
        """Whether the client exists in the organization (``None``, no client, always does)."""
        return client_id is None or _owned(self.tables.read("clients").get(client_id), org_id) is not None


class InMemoryOrgRepository(_Repository):
    """Organizations in memory."""

    def add(self, org: Org) -> None:
        self._insert("orgs", org.id, org, "organization")

    def get(self, org_id: OrgId) -> Org | None:
        org: Org | None = self.tables.read("orgs").get(org_id)
        return org

    def list(self) -> Sequence[Org]:
        return sorted(self.tables.read("orgs").values(), key=lambda org: (org.created_at, org.id))

    def lock(self, org_id: OrgId) -> Org | None:
        # Write units of work run one at a time here: holding the writer lock is holding every org's.
        self.tables.write("orgs")
        return self.get(org_id)

    def update(self, org: Org) -> None:
        if org.id in self.tables.read("orgs"):
            self.tables.write("orgs")[org.id] = org


class InMemoryUserRepository(_Repository):
    """Users in memory; the email is unique per organization, compared by its key."""

    def add(self, user: User) -> None:
        self._require(user.org_id in self.tables.read("orgs"), "user")
        key = user.email_key
        for other in self.tables.read("users").values():
            if other.org_id == user.org_id and other.email_key == key:
                raise EmailTaken(user.email)
        self._insert("users", user.id, user, "user")

    def count_active(self, org_id: OrgId, *, role: Role | None = None) -> int:
        return sum(
            1
            for u in self.tables.read("users").values()
            if u.org_id == org_id and u.is_active and (role is None or u.role is role)
        )

    def update(self, user: User) -> None:
        stored: User | None = _owned(self.tables.read("users").get(user.id), user.org_id)
        if stored is not None:
            self.tables.write("users")[user.id] = attrs.evolve(
                stored, name=user.name, role=user.role, deactivated_at=user.deactivated_at
            )

    def get(self, org_id: OrgId, user_id: UserId) -> User | None:
        return _owned(self.tables.read("users").get(user_id), org_id)

    def lock(self, org_id: OrgId, user_id: UserId) -> User | None:
        # Write units of work run one at a time here: holding the writer lock is holding every user's.
        return self.get(org_id, user_id)

    def list(self, org_id: OrgId) -> Sequence[User]:
        return _oldest_first(u for u in self.tables.read("users").values() if u.org_id == org_id)

    def locate(self, user_id: UserId) -> User | None:
        user: User | None = self.tables.read("users").get(user_id)
        return user


class InMemoryClientRepository(_Repository):
    """Clients in memory."""

    def add(self, client: Client) -> None:
        self._require(client.org_id in self.tables.read("orgs"), "client")
        self._insert("clients", client.id, client, "client")

    def get(self, org_id: OrgId, client_id: ClientId) -> Client | None:
        return _owned(self.tables.read("clients").get(client_id), org_id)

    def list(self, org_id: OrgId, *, include_archived: bool = True) -> Sequence[Client]:
        return _oldest_first(
            c
            for c in self.tables.read("clients").values()
            if c.org_id == org_id and (include_archived or not c.archived)
        )

    def update(self, client: Client) -> Client:
        stored = _next_version(self.get(client.org_id, client.id), client)
        if self._client_exists(client.org_id, client.id):
            self.tables.write("clients")[client.id] = stored
        return stored


class InMemoryRateRepository(_Repository):
    """Rates in memory; what a rate names must exist in its organization."""

    def add(self, rate: Rate) -> None:
        org_id = rate.org_id
        self._require(
            rate.org_id in self.tables.read("orgs")
            and self._client_exists(org_id, rate.client_id)
            and (rate.project_id is None or self._project_exists(org_id, rate.project_id))
            and (rate.user_id is None or self._user_exists(org_id, rate.user_id)),
            "rate",
        )
        self._insert("rates", rate.id, rate, "rate")

    def get(self, org_id: OrgId, rate_id: RateId) -> Rate | None:
        return _owned(self.tables.read("rates").get(rate_id), org_id)

    def list(self, org_id: OrgId) -> Sequence[Rate]:
        return _oldest_first(r for r in self.tables.read("rates").values() if r.org_id == org_id)

    def matching(
        self, org_id: OrgId, *, user_id: UserId, project_id: ProjectId, client_id: ClientId | None, on: date
    ) -> Sequence[Rate]:
        targets = entry_targets(user_id, project_id, client_id)
        return [rate for rate in self.list(org_id) if rate.target in targets and rate.effective_from <= on]

    def of_project(self, org_id: OrgId, project_id: ProjectId) -> Sequence[Rate]:
        return [rate for rate in self.list(org_id) if rate.project_id == project_id]

    def bound_to_client(self, org_id: OrgId, client_id: ClientId) -> Sequence[Rate]:
        projects = {
            project.id
            for project in self.tables.read("projects").values()
            if project.org_id == org_id and project.client_id == client_id
        }
        return [
            rate
            for rate in self.list(org_id)
            if rate.client_id == client_id or (rate.project_id is not None and rate.project_id in projects)
        ]

    def same_start(self, org_id: OrgId, rate: Rate) -> Sequence[Rate]:
        return [
            other
            for other in self.list(org_id)
            if other.target == rate.target and other.effective_from == rate.effective_from
        ]

    def delete(self, org_id: OrgId, rate_id: RateId) -> bool:
        if self.get(org_id, rate_id) is None:
            return False
        del self.tables.write("rates")[rate_id]
        return True


class InMemoryProjectRepository(_Repository):
    """Projects in memory."""

    def add(self, project: Project) -> None:
        self._require(
            project.org_id in self.tables.read("orgs")
            and self._client_exists(project.org_id, project.client_id),
            "project",
        )
        self._insert("projects", project.id, project, "project")

    def get(self, org_id: OrgId, project_id: ProjectId) -> Project | None:
        return _owned(self.tables.read("projects").get(project_id), org_id)

    def list(self, org_id: OrgId, *, include_archived: bool = True) -> Sequence[Project]:
        return _oldest_first(
            p
            for p in self.tables.read("projects").values()
            if p.org_id == org_id and (include_archived or not p.archived)
        )

    def locate(self, project_id: ProjectId) -> Project | None:
        project: Project | None = self.tables.read("projects").get(project_id)
        return project

    def count_active(self, org_id: OrgId) -> int:
        return sum(1 for p in self.tables.read("projects").values() if p.org_id == org_id and not p.archived)

    def update(self, project: Project) -> Project:
        stored = _next_version(self.get(project.org_id, project.id), project)
        if self._project_exists(project.org_id, project.id):
            self._require(self._client_exists(project.org_id, project.client_id), "project")
            self.tables.write("projects")[project.id] = stored
        return stored


class InMemoryTaskRepository(_Repository):
    """Tasks in memory."""

    def add(self, task: Task) -> None:
        self._require(self._project_exists(task.org_id, task.project_id), "task")
        self._insert("tasks", task.id, task, "task")

    def get(self, org_id: OrgId, task_id: TaskId) -> Task | None:
        return _owned(self.tables.read("tasks").get(task_id), org_id)

    def list_for_project(self, org_id: OrgId, project_id: ProjectId) -> Sequence[Task]:
        return _oldest_first(
            t for t in self.tables.read("tasks").values() if t.org_id == org_id and t.project_id == project_id
        )

    def update(self, task: Task) -> Task:
        current = self.get(task.org_id, task.id)
        if current is not None and current.project_id != task.project_id:
            raise Conflict("A task stays in its project; it cannot be moved to another one.")
        stored = _next_version(current, task)
        if _owned(self.tables.read("tasks").get(task.id), task.org_id) is None:
            return stored
        self._require(self._project_exists(task.org_id, task.project_id), "task")
        self.tables.write("tasks")[task.id] = stored
        return stored


_Versioned = TypeVar("_Versioned", Client, Project, Task, TimeEntry)


def _next_version(stored: _Versioned | None, entity: _Versioned) -> _Versioned:
    """``entity`` one version up; ``StaleUpdate`` if its row is stored at another version than
    ``entity.version`` (``stored``: the row, ``None`` when the organization has none)."""
    if stored is not None and stored.version != entity.version:
        raise StaleUpdate()
    return attrs.evolve(entity, version=entity.version + 1)


def _entry_key(entry: TimeEntry | EntryCursor) -> tuple[Any, ...]:
    return (entry.entry_date, entry.created_at, entry.id)


def _entry_filter(query: EntryQuery) -> Callable[[TimeEntry], bool]:
    show_deleted = query.include_deleted or query.updated_since is not None

    def matches(entry: TimeEntry) -> bool:
        checks = (
            show_deleted or entry.deleted_at is None,
            query.date_from is None or entry.entry_date >= query.date_from,
            query.date_to is None or entry.entry_date <= query.date_to,
            query.project_id is None or entry.project_id == query.project_id,
            query.task_id is None or entry.task_id == query.task_id,
            query.user_id is None or entry.user_id == query.user_id,
            query.billable is None or entry.billable == query.billable,
            query.invoiced is None or (entry.invoice_id is not None) == query.invoiced,
            query.running is None or entry.is_running == query.running,
            query.updated_since is None or entry.updated_at >= query.updated_since,
        )
        return all(checks)

    return matches


def _timed_key(entry: TimeEntry) -> tuple[Any, ...]:
    return (entry.user_id, entry.started_at, entry.id)


def _counts_as_running(entry: TimeEntry) -> bool:
    return entry.is_running and entry.deleted_at is None


class InMemoryTimeEntryRepository(_Repository):
    """Time entries in memory; one running timer per user, as the databases' unique index says."""

    def add(self, entry: TimeEntry) -> None:
        self._check(entry)
        self._check_one_timer(entry, second=lambda running: TimerAlreadyRunning(str(running.id)))
        self._check_external_ref(entry)
        self._insert("entries", entry.id, entry, "time entry")

    def add_many(self, entries: Sequence[TimeEntry]) -> None:
        stored = self.tables.read("entries")
        running: set[tuple[OrgId, UserId]] = set()
        refs: set[tuple[OrgId, str]] = set()
        taken = (  # read once per batch, not once per entry
            {(e.org_id, e.external_ref) for e in stored.values() if e.external_ref is not None}
            if any(entry.external_ref is not None for entry in entries)
            else set()
        )
        for entry in entries:  # every check first: all or none
            if entry.id in stored:
                raise Conflict("The time entry already exists.")
            self._check(entry)
            if entry.external_ref is not None:
                ref = (entry.org_id, entry.external_ref)
                if ref in refs or ref in taken:
                    raise Conflict("The time entry already exists.")
                refs.add(ref)
            if _counts_as_running(entry):
                owner = (entry.org_id, entry.user_id)
                if owner in running or self.running_for_user(*owner) is not None:
                    raise Conflict("The entries hold a second running timer for one user.")
                running.add(owner)
        if len({entry.id for entry in entries}) != len(entries):
            raise Conflict("The time entry already exists.")
        table = self.tables.write("entries")
        for entry in entries:
            table[entry.id] = entry

    def get(self, org_id: OrgId, entry_id: TimeEntryId, *, include_deleted: bool = False) -> TimeEntry | None:
        entry: TimeEntry | None = _owned(self.tables.read("entries").get(entry_id), org_id)
        if entry is None or (entry.deleted_at is not None and not include_deleted):
            return None
        return entry

    def get_many(
        self, org_id: OrgId, entry_ids: Iterable[TimeEntryId], *, lock: bool = False
    ) -> Sequence[TimeEntry]:
        stored = self.tables.read("entries")  # one writer at a time: ``lock`` has nothing to do
        found = (_owned(stored.get(entry_id), org_id) for entry_id in sorted(set(entry_ids)))
        return [entry for entry in found if entry is not None]

    def update(self, entry: TimeEntry, *, expected_updated_at: datetime) -> TimeEntry:
        stored = _owned(self.tables.read("entries").get(entry.id), entry.org_id)
        if stored is None or stored.updated_at != expected_updated_at:
            raise StaleUpdate()
        entry = _next_version(stored, entry)
        self._check(entry)
        self._check_one_timer(entry, second=lambda running: TimerAlreadyRunning(str(running.id)))
        self._check_external_ref(entry)
        self.tables.write("entries")[entry.id] = entry
        return entry

    def list(self, org_id: OrgId, query: EntryQuery) -> Sequence[TimeEntry]:
        matches = _entry_filter(query)
        rows = [e for e in self.tables.read("entries").values() if e.org_id == org_id and matches(e)]
        rows.sort(key=_entry_key, reverse=query.descending)
        if query.after is not None:
            cursor = _entry_key(query.after)
            if query.descending:
                rows = [e for e in rows if _entry_key(e) < cursor]
            else:
                rows = [e for e in rows if _entry_key(e) > cursor]
        return rows[: query.limit]

    def running_for_user(self, org_id: OrgId, user_id: UserId) -> TimeEntry | None:
        running = [
            e
            for e in self.tables.read("entries").values()
            if e.org_id == org_id and e.user_id == user_id and _counts_as_running(e)
        ]
        return min(running, key=lambda e: (e.created_at, e.id), default=None)

    def intersecting(
        self,
        org_id: OrgId,
        start: datetime,
        end: datetime,
        *,
        user_id: UserId | None = None,
        after: TimeEntry | None = None,
        limit: int,
    ) -> Sequence[TimeEntry]:
        rows = sorted(
            (
                e
                for e in self.tables.read("entries").values()
                if e.org_id == org_id
                and e.deleted_at is None
                and e.started_at is not None
                and e.started_at < end
                and (e.stopped_at is None or e.stopped_at > start)
                and (user_id is None or e.user_id == user_id)
            ),
            key=_timed_key,
        )
        if after is not None:
            rows = [e for e in rows if _timed_key(e) > _timed_key(after)]
        return rows[:limit]

    def existing_external_refs(self, org_id: OrgId, refs: Sequence[str]) -> set[str]:
        wanted = set(refs)
        return {
            e.external_ref
            for e in self.tables.read("entries").values()
            if e.org_id == org_id and e.external_ref in wanted
        }

    def holding_external_ref(self, org_id: OrgId, ref: str) -> TimeEntry | None:
        return next(
            (e for e in self.tables.read("entries").values() if e.org_id == org_id and e.external_ref == ref),
            None,
        )

    def existing_ids(self, org_id: OrgId, entry_ids: Sequence[TimeEntryId]) -> set[TimeEntryId]:
        stored = self.tables.read("entries")
        return {
            entry_id
            for entry_id in entry_ids
            if (entry := stored.get(entry_id)) is not None and entry.org_id == org_id
        }

    def delete_imported(
        self, org_id: OrgId, import_id: ImportId, at: datetime, *, limit: int
    ) -> Sequence[TimeEntry]:
        mine = sorted(
            (
                e
                for e in self.tables.read("entries").values()
                if e.org_id == org_id and e.import_id == import_id and e.deleted_at is None
            ),
            key=lambda e: e.id,
        )
        invoiced = next((e for e in mine if e.invoice_id is not None), None)
        if invoiced is not None:
            raise invoiced_lock(invoiced)
        page = mine[: max(limit, 0)]
        if page:
            table = self.tables.write("entries")
            for entry in page:
                table[entry.id] = entry.unimported(at)
        return page

    def referenced_by_live_entries(
        self, org_id: OrgId, ids: Mapping[EntryReference, Sequence[UUID]]
    ) -> dict[EntryReference, set[UUID]]:
        wanted = {field: set(each) for field, each in ids.items()}
        found: dict[EntryReference, set[UUID]] = {field: set() for field in ids}
        for e in self.tables.read("entries").values():
            if e.org_id == org_id and e.deleted_at is None:
                for field, among in wanted.items():
                    if (named := getattr(e, field)) in among:
                        found[field].add(named)
        return found

    def _check_external_ref(self, entry: TimeEntry) -> None:
        """No other entry of the organization holds the entry's ``external_ref`` (a unique index)."""
        if entry.external_ref is None:
            return
        for other in self.tables.read("entries").values():
            if (
                other.org_id == entry.org_id
                and other.external_ref == entry.external_ref
                and other.id != entry.id
            ):
                raise Conflict("The time entry already exists.")

    def _check(self, entry: TimeEntry) -> None:
        """The entry's user, project and task exist in its organization (the task in its project),
        and so does its import."""
        org_id = entry.org_id
        task = None if entry.task_id is None else _owned(self.tables.read("tasks").get(entry.task_id), org_id)
        self._require(
            self._user_exists(org_id, entry.user_id)
            and self._project_exists(org_id, entry.project_id)
            and (entry.task_id is None or (task is not None and task.project_id == entry.project_id))
            and (
                entry.import_id is None
                or _owned(self.tables.read("imports").get(entry.import_id), org_id) is not None
            ),
            "time entry",
        )

    def _check_one_timer(self, entry: TimeEntry, second: Callable[[TimeEntry], Exception]) -> None:
        if not _counts_as_running(entry):
            return
        running = self.running_for_user(entry.org_id, entry.user_id)
        if running is not None and running.id != entry.id:
            raise second(running)


class InMemoryTokenRepository(_Repository):
    """Tokens in memory, keyed by prefix."""

    def add(self, token: ApiToken) -> None:
        self._require(self._user_exists(token.org_id, token.user_id), "token")
        tokens = self.tables.read("tokens")
        if token.prefix in tokens:
            raise Conflict("A token with this prefix already exists.")
        if any(other.id == token.id for other in tokens.values()):
            raise Conflict("The token already exists.")
        self.tables.write("tokens")[token.prefix] = token

    def find_credentials(self, prefix: str) -> Credentials | None:
        token: ApiToken | None = self.tables.read("tokens").get(prefix)
        if token is None:
            return None
        user = self.tables.read("users").get(token.user_id)
        org = self.tables.read("orgs").get(token.org_id)
        if user is None or org is None:
            return None
        return Credentials(token=token, user=user, org=org)

    def get(self, org_id: OrgId, prefix: str) -> ApiToken | None:
        return _owned(self.tables.read("tokens").get(prefix), org_id)

    def list_for_user(self, org_id: OrgId, user_id: UserId) -> Sequence[ApiToken]:
        tokens = [
            t for t in self.tables.read("tokens").values() if t.org_id == org_id and t.user_id == user_id
        ]
        return sorted(tokens, key=lambda t: (t.created_at, t.id), reverse=True)

    def count_active(self, org_id: OrgId, user_id: UserId, now: datetime) -> int:
        return sum(1 for token in self.list_for_user(org_id, user_id) if token.is_active(now))

    def record_use(self, org_id: OrgId, prefix: str, at: datetime) -> None:
        token = self.get(org_id, prefix)
        if token is not None:
            self.tables.write("tokens")[prefix] = token.used(at)

    def revoke(self, org_id: OrgId, prefix: str, at: datetime) -> bool:
        token = self.get(org_id, prefix)
        if token is None or token.revoked_at is not None:
            return False
        self.tables.write("tokens")[prefix] = token.revoked(at)
        return True


class InMemoryIdempotencyRepository(_Repository):
    """Idempotency records in memory; the writer lock makes a claim atomic."""

    def get(self, org_id: OrgId, user_id: UserId, key: str) -> IdempotencyRecord | None:
        record: IdempotencyRecord | None = self.tables.read("idempotency").get((org_id, user_id, key))
        return record

    def claim(self, record: IdempotencyRecord) -> IdempotencyRecord | None:
        self._require(self._user_exists(record.org_id, record.user_id), "idempotency record")
        existing = self.get(record.org_id, record.user_id, record.key)
        if existing is None:
            self.tables.write("idempotency")[(record.org_id, record.user_id, record.key)] = record
        return existing

    def replace(self, record: IdempotencyRecord, *, expired_before: datetime) -> bool:
        existing = self.get(record.org_id, record.user_id, record.key)
        if existing is not None and (existing.completed_at is None or existing.completed_at > expired_before):
            return False
        self.complete(record)
        return True

    def complete(self, record: IdempotencyRecord) -> None:
        self._require(self._user_exists(record.org_id, record.user_id), "idempotency record")
        self.tables.write("idempotency")[(record.org_id, record.user_id, record.key)] = record

    def purge_completed_before(self, cutoff: datetime) -> int:
        expired = [
            key
            for key, record in self.tables.read("idempotency").items()
            if record.completed_at is not None and record.completed_at < cutoff
        ]
        if expired:
            table = self.tables.write("idempotency")
            for key in expired:
                del table[key]
        return len(expired)


class InMemoryRateCounterRepository(_Repository):
    """Rate counters in memory, keyed by (key, window end); the writer lock makes an add atomic."""

    def add(self, key: str, window_end: int, count: int) -> int:
        counters = self.tables.write("rate_counters")
        total: int = counters.get((key, window_end), 0) + count
        counters[(key, window_end)] = total
        return total

    def purge_ended(self, now: int) -> int:
        ended = [key for key in self.tables.read("rate_counters") if key[1] <= now]
        if ended:
            counters = self.tables.write("rate_counters")
            for key in ended:
                del counters[key]
        return len(ended)


class InMemorySessionRepository(_Repository):
    """Password hashes (by user id) and web sessions (by key hash) in memory."""

    def set_password(self, org_id: OrgId, user_id: UserId, password_hash: str | None) -> None:
        if not self._user_exists(org_id, user_id):
            return
        if password_hash is None:
            self.tables.write("passwords").pop(user_id, None)
        else:
            self.tables.write("passwords")[user_id] = password_hash

    def password_logins(self, email_key: str) -> Sequence[PasswordLogin]:
        passwords = self.tables.read("passwords")
        orgs = self.tables.read("orgs")
        users = _oldest_first(
            u for u in self.tables.read("users").values() if u.email_key == email_key and u.id in passwords
        )
        return [PasswordLogin(user=u, org=orgs[u.org_id], password_hash=passwords[u.id]) for u in users]

    def add(self, session: WebSession) -> None:
        self._require(self._user_exists(session.org_id, session.user_id), "web session")
        self._insert("sessions", session.key_hash, session, "web session")

    def find(self, key_hash: str) -> SessionCredentials | None:
        session: WebSession | None = self.tables.read("sessions").get(key_hash)
        if session is None:
            return None
        user = self.tables.read("users")[session.user_id]
        return SessionCredentials(session=session, user=user, org=self.tables.read("orgs")[session.org_id])

    def delete(self, org_id: OrgId, key_hash: str) -> None:
        session = self.tables.read("sessions").get(key_hash)
        if session is not None and session.org_id == org_id:
            del self.tables.write("sessions")[key_hash]

    def delete_for_user(self, org_id: OrgId, user_id: UserId) -> int:
        return self._delete_where(lambda s: s.org_id == org_id and s.user_id == user_id)

    def purge_expired(self, now: datetime) -> int:
        return self._delete_where(lambda s: s.is_expired(now))

    def _delete_where(self, condition: Callable[[WebSession], bool]) -> int:
        keys = [key for key, session in self.tables.read("sessions").items() if condition(session)]
        if keys:
            table = self.tables.write("sessions")
            for key in keys:
                del table[key]
        return len(keys)


class InMemoryEventRepository(_Repository):
    """Events in memory: each org's committed events are a tuple in sequence order; the counters
    ``(last seq, purged through)`` are numbered under the writer lock, so commit order is seq order.
    """

    def __init__(self, tables: _Tables) -> None:
        super().__init__(tables)
        self._pending: list[NewEvent] = []

    def append(self, event: NewEvent) -> None:
        self.tables.write("events")  # a read-only unit of work refuses, as the databases do
        self._pending.append(event)

    def collected(self) -> int:
        """How many events are collected (a mark for :meth:`forget_after`)."""
        return len(self._pending)

    def forget_after(self, mark: int) -> None:
        """Drop the events collected after :meth:`collected` returned ``mark`` (a savepoint undone)."""
        del self._pending[mark:]

    def flush(self) -> None:
        """Number the collected events after each org's last one and store them (the commit's first step)."""
        if not self._pending:
            return
        events, counters = self.tables.write("events"), self.tables.write("event_counters")
        for event in self._pending:
            self._require(event.org_id in self.tables.read("orgs"), "event")
            last, purged = counters.get(event.org_id, (0, 0))
            counters[event.org_id] = (last + 1, purged)
            events[event.org_id] = (*events.get(event.org_id, ()), event.sequenced(last + 1))
        self._pending.clear()

    def list(self, org_id: OrgId, query: EventQuery) -> Sequence[Event]:
        ordered: Iterable[Event] = self.tables.read("events").get(org_id, ())
        if query.descending:
            ordered = reversed(tuple(ordered))
        found: list[Event] = []
        for event in ordered:
            if len(found) >= query.limit:
                break
            if query.matches(event):
                found.append(event)
        return found

    def latest_seq(self, org_id: OrgId) -> int:
        return int(self.tables.read("event_counters").get(org_id, (0, 0))[0])

    def purged_through(self, org_id: OrgId) -> int:
        return int(self.tables.read("event_counters").get(org_id, (0, 0))[1])

    def purge_before(self, cutoff: datetime) -> int:
        gone = 0
        for org_id, kept in list(self.tables.read("events").items()):
            old = [event.seq for event in kept if event.occurred_at < cutoff]
            if not old:
                continue
            through = max(old)
            counters = self.tables.write("event_counters")
            counters[org_id] = (counters[org_id][0], through)
            remaining = tuple(event for event in kept if event.seq > through)
            gone += len(kept) - len(remaining)
            self.tables.write("events")[org_id] = remaining
        return gone


class InMemoryReportRepository(_Repository):
    """Reports in memory: one row per counted entry, which ``build_report`` adds up."""

    def time_report_rows(
        self, org_id: OrgId, query: ReportQuery, *, now: datetime, amounts: bool
    ) -> ReportRows:
        read = self.tables.read
        names = Names(
            users=read("users"), projects=read("projects"), tasks=read("tasks"), clients=read("clients")
        )
        entries = (entry for entry in read("entries").values() if entry.org_id == org_id)
        return rows_of_entries(query, entries, names, now=now, amounts=amounts)


class InMemoryImportRepository(_Repository):
    """Imports in memory."""

    def add(self, record: Import) -> None:
        self._require(self._user_exists(record.org_id, record.user_id), "import")
        self._insert("imports", record.id, record, "import")

    def get(self, org_id: OrgId, import_id: ImportId) -> Import | None:
        found: Import | None = _owned(self.tables.read("imports").get(import_id), org_id)
        return found

    def lock(self, org_id: OrgId, import_id: ImportId) -> Import | None:
        return self.get(org_id, import_id)  # writers run one at a time: the writer lock is the lock

    def update(self, record: Import) -> None:
        stored: Import | None = _owned(self.tables.read("imports").get(record.id), record.org_id)
        if stored is not None:
            self.tables.write("imports")[record.id] = attrs.evolve(
                stored,
                created=record.created,
                duplicates=record.duplicates,
                failed=record.failed,
                deleted_at=record.deleted_at,
            )

    def add_creations(self, creations: Sequence[ImportCreation]) -> None:
        for creation in creations:  # every check first: all or none
            self._require(self.get(creation.org_id, creation.import_id) is not None, "import's creation")
        keys = [(c.org_id, c.import_id, c.subject_id) for c in creations]
        stored = self.tables.read("import_creations")
        if len(set(keys)) != len(keys) or any(key in stored for key in keys):
            raise Conflict("The import's creation already exists.")
        if creations:
            table = self.tables.write("import_creations")
            for key, creation in zip(keys, creations, strict=True):
                table[key] = creation

    def creations(self, org_id: OrgId, import_id: ImportId) -> Sequence[ImportCreation]:
        return sorted(
            (
                c
                for c in self.tables.read("import_creations").values()
                if c.org_id == org_id and c.import_id == import_id
            ),
            key=lambda c: c.subject_id,
        )

    def forget_creations(self, org_id: OrgId, import_id: ImportId, subject_ids: Sequence[UUID]) -> None:
        keys = [(org_id, import_id, subject_id) for subject_id in subject_ids]
        stored = self.tables.read("import_creations")
        if any(key in stored for key in keys):
            table = self.tables.write("import_creations")
            for key in keys:
                table.pop(key, None)

    def retired_creations(self, org_id: OrgId) -> Sequence[ImportCreation]:
        imports = self.tables.read("imports")
        return sorted(
            (
                c
                for c in self.tables.read("import_creations").values()
                if c.org_id == org_id
                and (record := _owned(imports.get(c.import_id), org_id)) is not None
                and record.deleted_at is not None
            ),
            key=lambda c: c.subject_id,
        )

    def hold(self, org_id: OrgId) -> None:
        self.tables.write("imports")  # writers run one at a time: holding the writer lock is the hold


class InMemoryInstallationSecretRepository(_Repository):
    """The installation's secrets in memory; the writer lock makes an add atomic."""

    def get(self, name: str) -> InstallationSecret | None:
        secret: InstallationSecret | None = self.tables.read("installation").get(name)
        return secret

    def add_unless_present(self, secret: InstallationSecret) -> InstallationSecret:
        existing = self.get(secret.name)
        if existing is not None:
            return existing
        self.tables.write("installation")[secret.name] = secret
        return secret


class InMemoryPeriodRepository(_Repository):
    """Closed periods in memory: one tuple per organization."""

    def list(self, org_id: OrgId) -> Sequence[ClosedPeriod]:
        periods: tuple[ClosedPeriod, ...] = self.tables.read("periods").get(org_id, ())
        return periods

    def holding(self, org_id: OrgId, first: date, last: date) -> Sequence[ClosedPeriod]:
        return [
            period
            for period in self.list(org_id)
            if period.last_day >= first and (period.first_day is None or period.first_day <= last)
        ]

    def replace(self, org_id: OrgId, periods: Sequence[ClosedPeriod]) -> None:
        self._require(org_id in self.tables.read("orgs"), "closed period")
        if any(period.org_id != org_id for period in periods):
            raise Conflict("A closed period belongs to another organization.")
        self.tables.write("periods")[org_id] = tuple(sorted(periods, key=lambda period: period.last_day))

    def hold(self, org_id: OrgId) -> None:
        self.tables.write("periods")  # writers run one at a time: holding the writer lock is the hold


class InMemoryInvoiceRepository(_Repository):
    """Invoices in memory."""

    def add(self, invoice: Invoice) -> None:
        self._require(invoice.org_id in self.tables.read("orgs"), "invoice")
        self._insert("invoices", invoice.id, invoice, "invoice")

    def get(self, org_id: OrgId, invoice_id: InvoiceId) -> Invoice | None:
        invoice: Invoice | None = self.tables.read("invoices").get(invoice_id)
        return invoice if invoice is not None and invoice.org_id == org_id else None

    def lock(self, org_id: OrgId, invoice_id: InvoiceId) -> Invoice | None:
        return self.get(org_id, invoice_id)  # writers run one at a time: the writer lock is the lock

    def list(self, org_id: OrgId, *, limit: int, before: InvoiceId | None = None) -> Sequence[Invoice]:
        invoices = [
            invoice
            for invoice in self.tables.read("invoices").values()
            if invoice.org_id == org_id and (before is None or invoice.id < before)
        ]
        return sorted(invoices, key=lambda invoice: invoice.id, reverse=True)[: max(limit, 0)]

    def update(self, invoice: Invoice) -> None:
        stored = self.get(invoice.org_id, invoice.id)
        if stored is not None:
            self.tables.write("invoices")[invoice.id] = attrs.evolve(
                stored, status=invoice.status, voided_at=invoice.voided_at
            )


def _owned(row: _Row | None, org_id: OrgId) -> _Row | None:
    return row if row is not None and row.org_id == org_id else None


def _oldest_first(rows: Iterable[_Row]) -> list[_Row]:
    return sorted(rows, key=lambda row: (row.created_at, row.id))


_: type[UnitOfWork] = InMemoryUnitOfWork


def _conforms(store: InMemoryStore) -> UnitOfWorkFactory:
    return store.unit_of_work


_ports: tuple[
    type[OrgRepository],
    type[UserRepository],
    type[ClientRepository],
    type[RateRepository],
    type[ProjectRepository],
    type[TaskRepository],
    type[TimeEntryRepository],
    type[TokenRepository],
    type[IdempotencyRepository],
    type[RateCounterRepository],
    type[SessionRepository],
    type[EventRepository],
    type[ReportRepository],
    type[InstallationSecretRepository],
    type[PeriodRepository],
    type[InvoiceRepository],
] = (
    InMemoryOrgRepository,
    InMemoryUserRepository,
    InMemoryClientRepository,
    InMemoryRateRepository,
    InMemoryProjectRepository,
    InMemoryTaskRepository,
    InMemoryTimeEntryRepository,
    InMemoryTokenRepository,
    InMemoryIdempotencyRepository,
    InMemoryRateCounterRepository,
    InMemorySessionRepository,
    InMemoryEventRepository,
    InMemoryReportRepository,
    InMemoryInstallationSecretRepository,
    InMemoryPeriodRepository,
    InMemoryInvoiceRepository,
)
