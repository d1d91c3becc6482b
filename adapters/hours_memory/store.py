"""An in-memory store: every port on plain dictionaries, with real transactions.

Writers take one lock (like SQLite, one writer at a time) and work on copy-on-write tables;
:meth:`InMemoryUnitOfWork.commit` swaps them in, and leaving without a commit drops them.
Readers see the last committed state. Used by the unit tests and for embedding hours in a
process that needs no persistence.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, Self, TypeVar

from hours_core.errors import Conflict, StaleUpdate
from hours_core.idempotency import IdempotencyRecord
from hours_core.model import (
    Org,
    OrgId,
    Project,
    ProjectId,
    Task,
    TaskId,
    TimeEntry,
    TimeEntryId,
    User,
    UserId,
)
from hours_core.ports import (
    Credentials,
    EntryCursor,
    EntryQuery,
    IdempotencyRepository,
    OrgRepository,
    ProjectRepository,
    TaskRepository,
    TimeEntryRepository,
    TokenRepository,
    UnitOfWork,
    UnitOfWorkFactory,
    UserRepository,
)
from hours_core.tokens import ApiToken

__all__ = ["InMemoryStore", "InMemoryUnitOfWork"]

_Row = TypeVar("_Row", User, Project, Task, TimeEntry, ApiToken)

_TABLES = ("orgs", "users", "projects", "tasks", "entries", "tokens", "idempotency")


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

    def read(self, name: str) -> dict[Any, Any]:
        return self._working.get(name, self._committed[name])

    def write(self, name: str) -> dict[Any, Any]:
        if not self._writable:
            raise RuntimeError("this unit of work is read-only")
        if name not in self._working:
            self._working[name] = dict(self._committed[name])
        return self._working[name]

    def changes(self) -> dict[str, dict[Any, Any]]:
        return self._working


class InMemoryUnitOfWork:
    """One transaction on an :class:`InMemoryStore`."""

    orgs: OrgRepository
    users: UserRepository
    projects: ProjectRepository
    tasks: TaskRepository
    entries: TimeEntryRepository
    tokens: TokenRepository
    idempotency: IdempotencyRepository

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
        self.projects = projects = InMemoryProjectRepository(tables)
        self.tasks = tasks = InMemoryTaskRepository(tables)
        self.entries = entries = InMemoryTimeEntryRepository(tables)
        self.tokens = tokens = InMemoryTokenRepository(tables)
        self.idempotency = idempotency = InMemoryIdempotencyRepository(tables)
        self._repositories: tuple[_Repository, ...] = (
            orgs,
            users,
            projects,
            tasks,
            entries,
            tokens,
            idempotency,
        )
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._tables = None
        if not self._read_only:
            self._store.writer.release()

    def commit(self) -> None:
        """Publish this transaction's writes."""
        if self._tables is None:
            raise RuntimeError("commit() outside the unit of work's block")
        changes = self._tables.changes()
        if changes:
            self._store.tables = {**self._store.tables, **changes}
            self._tables = _Tables(self._store, writable=not self._read_only)
            self._rebind(self._tables)

    def _rebind(self, tables: _Tables) -> None:
        for repository in self._repositories:
            repository.tables = tables


class _Repository:
    def __init__(self, tables: _Tables) -> None:
        self.tables = tables


class InMemoryOrgRepository(_Repository):
    """Organizations in memory."""

    def add(self, org: Org) -> None:
        self.tables.write("orgs")[org.id] = org

    def get(self, org_id: OrgId) -> Org | None:
        org: Org | None = self.tables.read("orgs").get(org_id)
        return org

    def list(self) -> Sequence[Org]:
        return sorted(self.tables.read("orgs").values(), key=lambda org: (org.created_at, org.id))

    def update(self, org: Org) -> None:
        self.tables.write("orgs")[org.id] = org


class InMemoryUserRepository(_Repository):
    """Users in memory."""

    def add(self, user: User) -> None:
        email = user.email.casefold()
        for other in self.tables.read("users").values():
            if other.org_id == user.org_id and other.email.casefold() == email:
                raise Conflict(f"A user with the email {user.email} already exists in this organization.")
        self.tables.write("users")[user.id] = user

    def get(self, org_id: OrgId, user_id: UserId) -> User | None:
        return _owned(self.tables.read("users").get(user_id), org_id)

    def list(self, org_id: OrgId) -> Sequence[User]:
        return _oldest_first(u for u in self.tables.read("users").values() if u.org_id == org_id)

    def locate(self, user_id: UserId) -> User | None:
        user: User | None = self.tables.read("users").get(user_id)
        return user


class InMemoryProjectRepository(_Repository):
    """Projects in memory."""

    def add(self, project: Project) -> None:
        self.tables.write("projects")[project.id] = project

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

    def update(self, project: Project) -> None:
        self.tables.write("projects")[project.id] = project


class InMemoryTaskRepository(_Repository):
    """Tasks in memory."""

    def add(self, task: Task) -> None:
        self.tables.write("tasks")[task.id] = task

    def get(self, org_id: OrgId, task_id: TaskId) -> Task | None:
        return _owned(self.tables.read("tasks").get(task_id), org_id)

    def list_for_project(self, org_id: OrgId, project_id: ProjectId) -> Sequence[Task]:
        return _oldest_first(
            t for t in self.tables.read("tasks").values() if t.org_id == org_id and t.project_id == project_id
        )

    def update(self, task: Task) -> None:
        self.tables.write("tasks")[task.id] = task


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


class InMemoryTimeEntryRepository(_Repository):
    """Time entries in memory."""

    def add(self, entry: TimeEntry) -> None:
        self.tables.write("entries")[entry.id] = entry

    def add_many(self, entries: Sequence[TimeEntry]) -> None:
        table = self.tables.write("entries")
        for entry in entries:
            table[entry.id] = entry

    def get(self, org_id: OrgId, entry_id: TimeEntryId, *, include_deleted: bool = False) -> TimeEntry | None:
        entry: TimeEntry | None = _owned(self.tables.read("entries").get(entry_id), org_id)
        if entry is None or (entry.deleted_at is not None and not include_deleted):
            return None
        return entry

    def update(self, entry: TimeEntry, *, expected_updated_at: datetime) -> None:
        stored = _owned(self.tables.read("entries").get(entry.id), entry.org_id)
        if stored is None or stored.updated_at != expected_updated_at:
            raise StaleUpdate()
        self.tables.write("entries")[entry.id] = entry

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
        return next(
            (
                e
                for e in self.tables.read("entries").values()
                if e.org_id == org_id and e.user_id == user_id and e.is_running and e.deleted_at is None
            ),
            None,
        )


class InMemoryTokenRepository(_Repository):
    """Tokens in memory, keyed by prefix."""

    def add(self, token: ApiToken) -> None:
        if token.prefix in self.tables.read("tokens"):
            raise Conflict("A token with this prefix already exists.")
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

    def record_use(self, org_id: OrgId, prefix: str, at: datetime) -> None:
        token = self.get(org_id, prefix)
        if token is not None:
            self.tables.write("tokens")[prefix] = token.used(at)

    def revoke(self, org_id: OrgId, prefix: str, at: datetime) -> None:
        token = self.get(org_id, prefix)
        if token is not None:
            self.tables.write("tokens")[prefix] = token.revoked(at)


class InMemoryIdempotencyRepository(_Repository):
    """Idempotency records in memory; the writer lock makes a claim atomic."""

    def get(self, org_id: OrgId, user_id: UserId, key: str) -> IdempotencyRecord | None:
        record: IdempotencyRecord | None = self.tables.read("idempotency").get((org_id, user_id, key))
        return record

    def claim(self, record: IdempotencyRecord) -> IdempotencyRecord | None:
        existing = self.get(record.org_id, record.user_id, record.key)
        if existing is None:
            self.tables.write("idempotency")[(record.org_id, record.user_id, record.key)] = record
        return existing

    def replace(self, record: IdempotencyRecord) -> None:
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
    type[ProjectRepository],
    type[TaskRepository],
    type[TimeEntryRepository],
    type[TokenRepository],
    type[IdempotencyRepository],
] = (
    InMemoryOrgRepository,
    InMemoryUserRepository,
    InMemoryProjectRepository,
    InMemoryTaskRepository,
    InMemoryTimeEntryRepository,
    InMemoryTokenRepository,
    InMemoryIdempotencyRepository,
)
