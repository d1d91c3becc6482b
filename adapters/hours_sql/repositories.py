"""The repositories: every port of :mod:`hours_core.ports` as SQL, once for every SQL database.

Each repository runs the statements of its dialect (:class:`~hours_sql.statements.Statements`)
on a unit of work's :class:`~hours_sql.session.Session`. Every tenant-scoped statement filters on
``org_id``; the ``locate`` methods and :meth:`SqlTokenRepository.find_credentials` are the
documented exceptions. A write the database refuses becomes a core error here
(:meth:`~hours_sql.session.Refused.error`): a foreign key that leaves the organization and any
other rule, :class:`~hours_core.errors.Conflict`; a second running timer,
:class:`~hours_core.errors.TimerAlreadyRunning`; a taken email or token prefix, a ``Conflict``
that says so; a claim that waits too long for a concurrent one,
:class:`~hours_core.errors.IdempotencyRequestInProgress`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from operator import attrgetter
from typing import Any, TypeVar
from uuid import UUID

import attrs

from hours_core.entry_locks import invoiced_lock
from hours_core.errors import (
    Conflict,
    EmailTaken,
    IdempotencyRequestInProgress,
    StaleUpdate,
    TimerAlreadyRunning,
)
from hours_core.idempotency import IdempotencyRecord
from hours_core.installation import InstallationSecret
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
from hours_core.ports import (
    ENTRY_REFERENCES,
    ClientRepository,
    Credentials,
    EntryQuery,
    EntryReference,
    IdempotencyRepository,
    ImportRepository,
    InstallationSecretRepository,
    OrgRepository,
    PasswordLogin,
    ProjectRepository,
    RateCounterRepository,
    RateRepository,
    SessionCredentials,
    SessionRepository,
    TaskRepository,
    TimeEntryRepository,
    TokenRepository,
    UserRepository,
)
from hours_core.tokens import ApiToken
from hours_core.web_sessions import WebSession
from hours_sql.session import ErrorFactory, Params, Refused, Session
from hours_sql.statements import CHANGED_SORTED_AT_MOST, Statements
from hours_sql.tables import EMAIL_PER_ORG, ENTRIES, IMPORT_CREATIONS, ONE_RUNNING_TIMER, TOKEN_PREFIX

__all__ = [
    "IMPORTS_KEY",
    "SqlClientRepository",
    "SqlIdempotencyRepository",
    "SqlImportRepository",
    "SqlOrgRepository",
    "SqlProjectRepository",
    "SqlRateRepository",
    "SqlSessionRepository",
    "SqlTaskRepository",
    "SqlTimeEntryRepository",
    "SqlTokenRepository",
    "SqlUserRepository",
    "org_key",
]

IMPORTS_KEY = 0x696D7074
"""The first half of the key an organization's imports lock (``impt`` in ASCII): see :func:`org_key`."""


def org_key(first: int, org_id: OrgId) -> tuple[int, int]:
    """A key lock's two integers for ``org_id``: ``first`` (what the key is of) and the low 32 bits of
    the organization's id, as a signed integer. Two organizations may share a key: one then waits a
    moment for the other, which changes no answer."""
    low = org_id.int & 0xFFFF_FFFF
    return first, low - (1 << 32) if low >= 1 << 31 else low


TASK_STAYS_IN_ITS_PROJECT = "A task stays in its project; it cannot be moved to another one."
"""The refusal of an update of a task in another project than its own (the in-memory store's too)."""

_CLAIM_ATTEMPTS = 3
_REFS_PER_QUERY = 500
"""External references (or entry ids) asked for in one query (well under every database's parameter limit)."""
_LIVE_REFERENCES_PER_QUERY = 10_000
"""Ids asked for in one query of :meth:`SqlTimeEntryRepository.referenced_by_live_entries`, which walks
the organization's live entries whatever it asks: as many as an import creates in one go (SQLite takes
32,766 parameters, PostgreSQL 65,535)."""
_BY_DATE = attrgetter("entry_date", "created_at")
_CREATION_ORDER = attrgetter("created_at", "id")


_Versioned = TypeVar("_Versioned", Client, Project, Task, TimeEntry)


def _versioned_params(
    encode: Any, entity: _Versioned, *, keep: int = 0
) -> tuple[_Versioned, tuple[Any, ...]]:
    """``entity`` one version up, and the parameters of its versioned update
    (:data:`~hours_sql.statements.VERSIONED`: the new values, then the id, the org and the version read).
    ``keep``: how many columns after the id and the org the statement leaves as they are."""
    stored = attrs.evolve(entity, version=entity.version + 1)
    id_, org_id, *rest = encode(stored)
    return stored, (*rest[keep:], id_, org_id, entity.version)


def _second_timer_in_batch() -> Exception:
    return Conflict("The entries hold a second running timer for one user.")


class _Repository:
    def __init__(self, session: Session, statements: Statements) -> None:
        self._session = session
        self._sql = statements

    def _row(self, sql: str, params: Params) -> Any | None:
        rows = self._session.rows(sql, params)
        return rows[0] if rows else None

    def _write(
        self,
        sql: str,
        params: Params,
        *,
        kind: str,
        unique: Mapping[str, ErrorFactory] | None = None,
        lock_timeout: ErrorFactory | None = None,
    ) -> int:
        try:
            return self._session.write(sql, params)
        except Refused as refusal:
            raise refusal.error(kind, unique, lock_timeout) from refusal

    def _replace(
        self, sql: str, encode: Any, entity: _Versioned, get: Callable[[Any, Any], object | None], kind: str
    ) -> _Versioned:
        """Write ``entity`` one version up over its row, if the row is still at ``entity.version``.

        No row written: :class:`StaleUpdate` if the row exists (``get(org_id, id)``, read after the
        miss: another writer moved its version), else nothing happens (the organization has no such row).
        """
        stored, params = _versioned_params(encode, entity)
        if not self._write(sql, params, kind=kind) and get(entity.org_id, entity.id) is not None:
            raise StaleUpdate()
        return stored


# Organizations, users, projects, tasks.


class SqlOrgRepository(_Repository):
    """Organizations in SQL."""

    def add(self, org: Org) -> None:
        """Store a new organization."""
        self._write(self._sql.orgs.insert, self._sql.orgs.encode(org), kind="organization")

    def get(self, org_id: OrgId) -> Org | None:
        """The organization, or ``None``."""
        row = self._row(self._sql.org_by_id, (self._sql.reference(org_id),))
        return None if row is None else self._sql.orgs.decode(row)

    def list(self) -> Sequence[Org]:
        """Every organization, oldest first."""
        return [self._sql.orgs.decode(row) for row in self._session.rows(self._sql.orgs_by_age)]

    def lock(self, org_id: OrgId) -> Org | None:
        """The organization, or ``None``, locked until the unit of work ends (the dialect's row lock:
        ``FOR NO KEY UPDATE`` on PostgreSQL, which rows that refer to it do not wait for; none on
        SQLite, whose writers run one at a time)."""
        row = self._row(self._sql.org_locked, (self._sql.reference(org_id),))
        return None if row is None else self._sql.orgs.decode(row)

    def update(self, org: Org) -> None:
        """Replace a stored organization (nothing happens if it is not stored)."""
        id_, *rest = self._sql.orgs.encode(org)
        self._write(self._sql.org_update, (*rest, id_), kind="organization")


class SqlUserRepository(_Repository):
    """Users in SQL; the email is unique per organization, ignoring case."""

    def add(self, user: User) -> None:
        """Store a new user; raise ``EmailTaken`` if the email's key is taken in the organization."""
        self._write(
            self._sql.users.insert,
            self._sql.users.encode(user),
            kind="user",
            unique={EMAIL_PER_ORG.name: lambda: EmailTaken(user.email)},
        )

    def get(self, org_id: OrgId, user_id: UserId) -> User | None:
        """The user of ``org_id``, or ``None``."""
        sql = self._sql
        row = self._row(sql.user_by_id, (sql.reference(user_id), sql.reference(org_id)))
        return None if row is None else sql.users.decode(row)

    def list(self, org_id: OrgId) -> Sequence[User]:
        """The organization's users, oldest first."""
        rows = self._session.rows(self._sql.users_of_org, (self._sql.reference(org_id),))
        return [self._sql.users.decode(row) for row in rows]

    def lock(self, org_id: OrgId, user_id: UserId) -> User | None:
        """The user, or ``None``, locked until the unit of work ends (the dialect's row lock, as
        :meth:`SqlOrgRepository.lock`)."""
        row = self._row(self._sql.user_locked, (self._sql.reference(user_id), self._sql.reference(org_id)))
        return None if row is None else self._sql.users.decode(row)

    def locate(self, user_id: UserId) -> User | None:
        """The user with ``user_id`` in any organization (operator tooling only)."""
        row = self._row(self._sql.user_anywhere, (self._sql.reference(user_id),))
        return None if row is None else self._sql.users.decode(row)

    def count_active(self, org_id: OrgId, *, role: Role | None = None) -> int:
        """How many users of the organization are not deactivated (of ``role``, if given)."""
        sql = self._sql
        if role is None:
            row = self._row(sql.count_active_users, (sql.reference(org_id),))
        else:
            row = self._row(sql.count_active_users_of_role, (sql.reference(org_id), role.value))
        return int(row[0]) if row is not None else 0

    def update(self, user: User) -> None:
        """Replace the user's name, role and ``deactivated_at`` (nothing else of a user changes)."""
        sql = self._sql
        deactivated_at = None if user.deactivated_at is None else sql.instant(user.deactivated_at)
        params = (
            user.name,
            user.role.value,
            deactivated_at,
            sql.reference(user.id),
            sql.reference(user.org_id),
        )
        self._write(sql.user_update, params, kind="user")


class SqlClientRepository(_Repository):
    """Clients in SQL."""

    def add(self, client: Client) -> None:
        """Store a new client."""
        self._write(self._sql.clients.insert, self._sql.clients.encode(client), kind="client")

    def get(self, org_id: OrgId, client_id: ClientId) -> Client | None:
        """The client of ``org_id``, or ``None``."""
        sql = self._sql
        row = self._row(sql.client_by_id, (sql.uuid(client_id), sql.reference(org_id)))
        return None if row is None else sql.clients.decode(row)

    def list(self, org_id: OrgId, *, include_archived: bool = True) -> Sequence[Client]:
        """The organization's clients, oldest first."""
        sql = self._sql
        statement = sql.clients_of_org if include_archived else sql.active_clients_of_org
        return [sql.clients.decode(row) for row in self._session.rows(statement, (sql.reference(org_id),))]

    def update(self, client: Client) -> Client:
        """Replace a stored client one version up (see ``ClientRepository.update``)."""
        return self._replace(self._sql.client_update, self._sql.clients.encode, client, self.get, "client")


class SqlRateRepository(_Repository):
    """Rates in SQL; composite foreign keys keep what a rate names in its organization."""

    def add(self, rate: Rate) -> None:
        """Store a new rate."""
        self._write(self._sql.rates.insert, self._sql.rates.encode(rate), kind="rate")

    def get(self, org_id: OrgId, rate_id: RateId) -> Rate | None:
        """The rate of ``org_id``, or ``None``."""
        sql = self._sql
        row = self._row(sql.rate_by_id, (sql.uuid(rate_id), sql.reference(org_id)))
        return None if row is None else sql.rates.decode(row)

    def list(self, org_id: OrgId) -> Sequence[Rate]:
        """The organization's rates, oldest first."""
        sql = self._sql
        return [
            sql.rates.decode(row) for row in self._session.rows(sql.rates_of_org, (sql.reference(org_id),))
        ]

    def matching(
        self, org_id: OrgId, *, user_id: UserId, project_id: ProjectId, client_id: ClientId | None, on: date
    ) -> Sequence[Rate]:
        """The rates that may apply to one entry (:data:`~hours_sql.statements.RATE_TARGETS`), oldest
        first."""
        sql = self._sql
        org, day = sql.reference(org_id), sql.date(on)
        user, project = sql.reference(user_id), sql.reference(project_id)
        client = None if client_id is None else sql.reference(client_id)
        params = (org, day, user, project, org, day, user, org, day, project, org, day, client, org, day)
        rates = [sql.rates.decode(row) for row in self._session.rows(sql.rates_matching, params)]
        return sorted(rates, key=_CREATION_ORDER)

    def of_project(self, org_id: OrgId, project_id: ProjectId) -> Sequence[Rate]:
        """The rates naming the project (``rates_of_project``), oldest first."""
        sql = self._sql
        rows = self._session.rows(sql.rates_of_project, (sql.reference(org_id), sql.reference(project_id)))
        return sorted((sql.rates.decode(row) for row in rows), key=_CREATION_ORDER)

    def bound_to_client(self, org_id: OrgId, client_id: ClientId) -> Sequence[Rate]:
        """The client's rates and its projects', oldest first."""
        sql = self._sql
        org, client = sql.reference(org_id), sql.reference(client_id)
        rows = self._session.rows(sql.rates_bound_to_client, (org, client, org, org, client))
        return sorted((sql.rates.decode(row) for row in rows), key=_CREATION_ORDER)

    def same_start(self, org_id: OrgId, rate: Rate) -> Sequence[Rate]:
        """The rates of ``rate``'s target from its first day (``rates_by_target``), oldest first."""
        sql = self._sql
        named = (rate.user_id, rate.project_id, rate.client_id)  # the order of RATE_TARGETS' parameters
        params = (
            sql.reference(org_id),
            *(sql.reference(each) for each in named if each is not None),
            sql.date(rate.effective_from),
        )
        rows = self._session.rows(sql.rates_starting[rate.scope], params)
        return sorted((sql.rates.decode(row) for row in rows), key=_CREATION_ORDER)

    def delete(self, org_id: OrgId, rate_id: RateId) -> bool:
        """Delete the rate; whether there was one."""
        sql = self._sql
        return self._write(sql.rate_delete, (sql.uuid(rate_id), sql.reference(org_id)), kind="rate") > 0


class SqlProjectRepository(_Repository):
    """Projects in SQL."""

    def add(self, project: Project) -> None:
        """Store a new project."""
        self._write(self._sql.projects.insert, self._sql.projects.encode(project), kind="project")

    def get(self, org_id: OrgId, project_id: ProjectId) -> Project | None:
        """The project of ``org_id``, or ``None``."""
        sql = self._sql
        row = self._row(sql.project_by_id, (sql.uuid(project_id), sql.reference(org_id)))
        return None if row is None else sql.projects.decode(row)

    def list(self, org_id: OrgId, *, include_archived: bool = True) -> Sequence[Project]:
        """The organization's projects, oldest first."""
        sql = self._sql
        if include_archived:
            rows = self._session.rows(sql.projects_of_org, (sql.reference(org_id),))
        else:
            rows = self._session.rows(sql.active_projects_of_org, (sql.reference(org_id), sql.boolean(False)))
        return [sql.projects.decode(row) for row in rows]

    def locate(self, project_id: ProjectId) -> Project | None:
        """The project with ``project_id`` in any organization (operator tooling only)."""
        row = self._row(self._sql.project_anywhere, (self._sql.uuid(project_id),))
        return None if row is None else self._sql.projects.decode(row)

    def count_active(self, org_id: OrgId) -> int:
        """How many projects of the organization are not archived."""
        sql = self._sql
        row = self._row(sql.count_active_projects, (sql.reference(org_id), sql.boolean(False)))
        return int(row[0]) if row is not None else 0

    def update(self, project: Project) -> Project:
        """Replace a stored project one version up (see ``ProjectRepository.update``)."""
        return self._replace(
            self._sql.project_update, self._sql.projects.encode, project, self.get, "project"
        )


class SqlTaskRepository(_Repository):
    """Tasks in SQL."""

    def add(self, task: Task) -> None:
        """Store a new task (its project must be of the same organization)."""
        self._write(self._sql.tasks.insert, self._sql.tasks.encode(task), kind="task")

    def get(self, org_id: OrgId, task_id: TaskId) -> Task | None:
        """The task of ``org_id``, or ``None``."""
        sql = self._sql
        row = self._row(sql.task_by_id, (sql.uuid(task_id), sql.reference(org_id)))
        return None if row is None else sql.tasks.decode(row)

    def list_for_project(self, org_id: OrgId, project_id: ProjectId) -> Sequence[Task]:
        """The project's tasks, oldest first."""
        sql = self._sql
        rows = self._session.rows(sql.tasks_of_project, (sql.reference(org_id), sql.reference(project_id)))
        return [sql.tasks.decode(row) for row in rows]

    def update(self, task: Task) -> Task:
        """Replace a stored task one version up (see ``TaskRepository.update``), in its project: the
        statement sets every column but the project, which it matches instead (a task never moves;
        setting a column of the key entries name it by would cost SQLite a look through every
        entry). ``Conflict`` for a task of another project than the stored one."""
        sql = self._sql
        stored, params = _versioned_params(sql.tasks.encode, task, keep=1)
        if self._write(sql.task_update, (*params, sql.reference(task.project_id)), kind="task"):
            return stored
        current = self.get(task.org_id, task.id)
        if current is None:
            return stored  # the organization has no such task: nothing happens
        if current.project_id != task.project_id:
            raise Conflict(TASK_STAYS_IN_ITS_PROJECT)
        raise StaleUpdate()


# Time entries.


class SqlTimeEntryRepository(_Repository):
    """Time entries in SQL; the database refuses a second running timer of one user."""

    def add(self, entry: TimeEntry) -> None:
        """Store a new entry; a second running timer of its user raises ``TimerAlreadyRunning``."""
        try:
            self._session.write(self._sql.entries.insert, self._sql.entries.encode(entry))
        except Refused as refusal:
            raise refusal.error("time entry", self._one_timer(entry)) from refusal

    def add_many(self, entries: Sequence[TimeEntry]) -> None:
        """Store many new entries in this transaction, all or none, the database's fastest way.

        Rows go in date order, whatever the order of ``entries``: the list indexes lead with the
        date, so each index then grows at a few places instead of all over (the order of the
        rows is not observable; lists are ordered by their keys).
        """
        if not entries:
            return
        in_date_order = sorted(entries, key=_BY_DATE)
        try:
            self._session.insert_many(ENTRIES, map(self._sql.entries.encode, in_date_order))
        except Refused as refusal:
            raise refusal.error("time entry", {ONE_RUNNING_TIMER.name: _second_timer_in_batch}) from refusal

    def get(self, org_id: OrgId, entry_id: TimeEntryId, *, include_deleted: bool = False) -> TimeEntry | None:
        """The entry of ``org_id``, or ``None``; soft-deleted ones only with ``include_deleted``."""
        sql = self._sql
        statement = sql.entry_by_id_with_deleted if include_deleted else sql.entry_by_id
        row = self._row(statement, (sql.uuid(entry_id), sql.reference(org_id)))
        return None if row is None else sql.entries.decode(row)

    def get_many(
        self, org_id: OrgId, entry_ids: Iterable[TimeEntryId], *, lock: bool = False
    ) -> Sequence[TimeEntry]:
        """The entries of ``org_id`` among ``entry_ids`` (deleted ones included), in id order, in
        one query per :data:`_REFS_PER_QUERY` ids; with ``lock``, their rows locked in id order
        until the transaction ends (the ids are sorted before they are cut into queries, so each
        query locks the rows after the previous one's)."""
        sql = self._sql
        unique = sorted(set(entry_ids))
        org = sql.reference(org_id)
        found: list[TimeEntry] = []
        for start in range(0, len(unique), _REFS_PER_QUERY):
            batch = [sql.uuid(entry_id) for entry_id in unique[start : start + _REFS_PER_QUERY]]
            rows = self._session.rows(sql.entries_by_ids(len(batch), locked=lock), (org, *batch))
            found.extend(map(sql.entries.decode, rows))
        return found

    def update(self, entry: TimeEntry, *, expected_updated_at: datetime) -> TimeEntry:
        """Replace a stored entry one version up if its ``updated_at`` is still
        ``expected_updated_at`` and its version ``entry.version``; return it as stored.

        Otherwise (another writer changed it, or the organization has no such entry) raise
        :class:`~hours_core.errors.StaleUpdate`; the check and the write are one statement.
        """
        stored, params = _versioned_params(self._sql.entries.encode, entry)
        try:
            changed = self._session.write(
                self._sql.entry_update, (*params, self._sql.instant(expected_updated_at))
            )
        except Refused as refusal:
            raise refusal.error("time entry", self._one_timer(entry)) from refusal
        if not changed:
            raise StaleUpdate()
        return stored

    def list(self, org_id: OrgId, query: EntryQuery) -> Sequence[TimeEntry]:
        """At most ``query.limit`` entries matching ``query``, in its order (``Statements.entry_list``).
        With ``updated_since``, where the dialect names indexes, it first counts the entries changed
        since then, up to :data:`~hours_sql.statements.CHANGED_SORTED_AT_MOST`, to choose the plan."""
        statements, changed_many = self._sql, None
        if query.updated_since is not None and statements.dialect.index_hint:
            org, since = statements.reference(org_id), statements.instant(query.updated_since)
            rows = self._session.rows(statements.changed_since_count, (org, since, CHANGED_SORTED_AT_MOST))
            changed_many = rows[0][0] >= CHANGED_SORTED_AT_MOST
        sql, params = statements.entry_list(org_id, query, changed_many=changed_many)
        decode = statements.entries.decode
        return [decode(row) for row in self._session.rows(sql, params)]

    def running_for_user(self, org_id: OrgId, user_id: UserId) -> TimeEntry | None:
        """The user's running timer that is not deleted, or ``None``."""
        sql = self._sql
        row = self._row(sql.running_entry_of_user, (sql.reference(org_id), sql.reference(user_id)))
        return None if row is None else sql.entries.decode(row)

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
        """Live entries with a start that may cover time in ``[start, end)``, by (user, start, id)."""
        sql, params = self._sql.entries_intersecting(org_id, start, end, user_id, after, limit)
        decode = self._sql.entries.decode
        return [decode(row) for row in self._session.rows(sql, params)]

    def existing_external_refs(self, org_id: OrgId, refs: Sequence[str]) -> set[str]:
        """Those of ``refs`` that an entry of the organization holds (deleted ones included)."""
        found: set[str] = set()
        org = self._sql.reference(org_id)
        unique = list(dict.fromkeys(refs))
        for start in range(0, len(unique), _REFS_PER_QUERY):
            batch = unique[start : start + _REFS_PER_QUERY]
            found.update(
                ref for (ref,) in self._session.rows(self._sql.external_refs(len(batch)), (org, *batch))
            )
        return found

    def holding_external_ref(self, org_id: OrgId, ref: str) -> TimeEntry | None:
        """The entry that holds ``ref`` (deleted or not), by the unique index of references."""
        sql = self._sql
        row = self._row(sql.entry_holding_ref, (sql.reference(org_id), ref))
        return None if row is None else sql.entries.decode(row)

    def existing_ids(self, org_id: OrgId, entry_ids: Sequence[TimeEntryId]) -> set[TimeEntryId]:
        """Those of ``entry_ids`` that are entries of the organization (deleted ones included), in
        one query per :data:`_REFS_PER_QUERY` ids (the primary key answers each)."""
        sql = self._sql
        by_stored = {sql.uuid(entry_id): entry_id for entry_id in entry_ids}  # the ids as the rows hold them
        org = sql.reference(org_id)
        unique = list(by_stored)
        found: set[TimeEntryId] = set()
        for start in range(0, len(unique), _REFS_PER_QUERY):
            batch = unique[start : start + _REFS_PER_QUERY]
            rows = self._session.rows(sql.entry_ids(len(batch)), (org, *batch))
            found.update(by_stored[stored] for (stored,) in rows)
        return found

    def delete_imported(
        self, org_id: OrgId, import_id: ImportId, at: datetime, *, limit: int
    ) -> Sequence[TimeEntry]:
        """Soft-delete a page of the import's live entries (in id order, their rows locked until
        the transaction ends) and release their references; return them as they were.
        ``EntryLocked`` if one of the import's live entries is invoiced (then nothing changes): the
        first by id, as a write of that entry would answer (:func:`~hours_core.entry_locks.invoiced_lock`).

        Both reads are steps of an index of the import's live entries by id (migration
        ``0021_live_entries_of_import``), so each page costs its own rows, not the import's. The
        page is checked again once its rows are locked: on PostgreSQL an invoice committed between
        the check and the lock shows there."""
        sql = self._sql
        org, imported = sql.reference(org_id), sql.reference(import_id)
        invoiced = self._row(sql.invoiced_entry_of_import, (org, imported))
        if invoiced is not None:
            raise invoiced_lock(sql.entries.decode(invoiced))
        page = [
            sql.entries.decode(row)
            for row in self._session.rows(sql.live_entries_of_import, (org, imported, max(limit, 0)))
        ]
        invoiced_now = next((entry for entry in page if entry.invoice_id is not None), None)
        if invoiced_now is not None:
            raise invoiced_lock(invoiced_now)
        if page:
            instant = sql.instant(at)
            ids = [sql.uuid(entry.id) for entry in page]
            self._write(sql.unimport_entries(len(ids)), (instant, instant, org, *ids), kind="time entry")
        return page

    def referenced_by_live_entries(
        self, org_id: OrgId, ids: Mapping[EntryReference, Sequence[UUID]]
    ) -> dict[EntryReference, set[UUID]]:
        """For each field asked, those of its ids that live entries of the organization name in it:
        one query for every field at once (up to :data:`_LIVE_REFERENCES_PER_QUERY` ids in all, one
        more per as many again), each a single walk of the organization's live entries (no index
        holds them by project or task). Before, a query per field walked them once per field."""
        sql = self._sql
        found: dict[EntryReference, set[UUID]] = {field: set() for field in ids}
        stored = {
            field: {sql.reference(each): each for each in ids[field]}
            for field in ENTRY_REFERENCES
            if field in ids
        }
        asked = [(field, each) for field, by_stored in stored.items() for each in by_stored]
        org = sql.reference(org_id)
        for start in range(0, len(asked), _LIVE_REFERENCES_PER_QUERY):
            batch = asked[start : start + _LIVE_REFERENCES_PER_QUERY]
            counts = {field: sum(1 for named, _each in batch if named == field) for field in stored}
            fields = tuple(field for field in stored if counts[field])
            statement = sql.live_references(tuple((field, counts[field]) for field in fields))
            params = [org]
            for field in fields:
                params += [each for named, each in batch if named == field]
            for row in self._session.rows(statement, params):
                for field, value in zip(fields, row, strict=True):
                    original = stored[field].get(value)
                    if original is not None:
                        found[field].add(original)
        return found

    def _one_timer(self, entry: TimeEntry) -> Mapping[str, ErrorFactory]:
        """The error for a second running timer of ``entry``'s user (it reads the running one)."""

        def already_running() -> Exception:
            running = self.running_for_user(entry.org_id, entry.user_id)
            if running is None:  # the other timer stopped meanwhile
                return Conflict("Another timer of this user was running; retry.")
            return TimerAlreadyRunning(str(running.id))

        return {ONE_RUNNING_TIMER.name: already_running}


# Imports.


class SqlImportRepository(_Repository):
    """Imports in SQL: what one run of an import did, so that it can be undone."""

    def add(self, record: Import) -> None:
        """Store a new import."""
        self._write(self._sql.imports.insert, self._sql.imports.encode(record), kind="import")

    def get(self, org_id: OrgId, import_id: ImportId) -> Import | None:
        """The import of ``org_id``, or ``None``."""
        return self._one(self._sql.import_by_id, org_id, import_id)

    def lock(self, org_id: OrgId, import_id: ImportId) -> Import | None:
        """The import of ``org_id``, or ``None``, locked until the unit of work ends (the dialect's
        row lock)."""
        return self._one(self._sql.import_by_id_locked, org_id, import_id)

    def _one(self, statement: str, org_id: OrgId, import_id: ImportId) -> Import | None:
        sql = self._sql
        row = self._row(statement, (sql.uuid(import_id), sql.reference(org_id)))
        return None if row is None else sql.imports.decode(row)

    def update(self, record: Import) -> None:
        """Replace a stored import's counts and ``deleted_at``."""
        sql = self._sql
        deleted = None if record.deleted_at is None else sql.instant(record.deleted_at)
        params = (record.created, record.duplicates, record.failed, deleted)
        self._write(
            sql.import_update, (*params, sql.uuid(record.id), sql.reference(record.org_id)), kind="import"
        )

    def add_creations(self, creations: Sequence[ImportCreation]) -> None:
        """Store what an import created through the bulk path (one row each)."""
        if creations:
            encode = self._sql.import_creations.encode
            try:
                self._session.insert_many(IMPORT_CREATIONS, map(encode, creations))
            except Refused as refusal:
                raise refusal.error("import's creation") from refusal

    def creations(self, org_id: OrgId, import_id: ImportId) -> Sequence[ImportCreation]:
        """What the import of ``org_id`` created, by ``subject_id`` (the primary key's order)."""
        sql = self._sql
        rows = self._session.rows(sql.creations_of_import, (sql.reference(org_id), sql.reference(import_id)))
        return [sql.import_creations.decode(row) for row in rows]

    def forget_creations(self, org_id: OrgId, import_id: ImportId, subject_ids: Sequence[UUID]) -> None:
        """Delete those of the import's creations, :data:`_REFS_PER_QUERY` at a time."""
        sql = self._sql
        subjects = [sql.uuid(each) for each in dict.fromkeys(subject_ids)]
        for start in range(0, len(subjects), _REFS_PER_QUERY):
            batch = subjects[start : start + _REFS_PER_QUERY]
            params = (sql.reference(org_id), sql.reference(import_id), *batch)
            self._write(sql.forget_creations(len(batch)), params, kind="import's creation")

    def retired_creations(self, org_id: OrgId) -> Sequence[ImportCreation]:
        """The creations of the organization's undone imports, in one query."""
        sql = self._sql
        rows = self._session.rows(sql.retired_creations, (sql.reference(org_id),))
        return [sql.import_creations.decode(row) for row in rows]

    def hold(self, org_id: OrgId) -> None:
        """Take the organization's imports key exclusively until the transaction ends (the dialect's
        key lock: PostgreSQL's advisory lock, which waits at most the lock timeout and then raises
        ``StoreBusy``); nothing where writers run one at a time (SQLite)."""
        statement = self._sql.imports_of_org_exclusive
        if statement is not None:
            self._session.rows(statement, org_key(IMPORTS_KEY, org_id))


# API tokens.


class SqlTokenRepository(_Repository):
    """Tokens in SQL, keyed by their public prefix; only the secret's hash is stored."""

    def add(self, token: ApiToken) -> None:
        """Store a new token; raise ``Conflict`` if its prefix is taken."""
        self._write(
            self._sql.tokens.insert,
            self._sql.tokens.encode(token),
            kind="token",
            unique={TOKEN_PREFIX.name: lambda: Conflict("A token with this prefix already exists.")},
        )

    def find_credentials(self, prefix: str) -> Credentials | None:
        """The token with ``prefix`` with its user and org, in one query (not tenant-scoped)."""
        sql = self._sql
        row = self._row(sql.credentials, (prefix,))
        if row is None:
            return None
        token_end, user_end = len(sql.tokens.table.field_columns), sql.credentials_user_end
        return Credentials(
            token=sql.tokens.decode(row[:token_end]),
            user=sql.users.decode(row[token_end:user_end]),
            org=sql.orgs.decode(row[user_end:]),
        )

    def get(self, org_id: OrgId, prefix: str) -> ApiToken | None:
        """The organization's token with ``prefix``, or ``None``."""
        row = self._row(self._sql.token_by_prefix, (prefix, self._sql.reference(org_id)))
        return None if row is None else self._sql.tokens.decode(row)

    def list_for_user(self, org_id: OrgId, user_id: UserId) -> Sequence[ApiToken]:
        """The user's tokens, newest first."""
        sql = self._sql
        rows = self._session.rows(sql.tokens_of_user, (sql.reference(org_id), sql.reference(user_id)))
        return [sql.tokens.decode(row) for row in rows]

    def count_active(self, org_id: OrgId, user_id: UserId, now: datetime) -> int:
        """How many of the user's tokens are neither revoked nor expired at ``now``."""
        sql = self._sql
        row = self._row(
            sql.active_tokens_of_user, (sql.reference(org_id), sql.reference(user_id), sql.instant(now))
        )
        assert row is not None  # count(*) always answers one row
        return int(row[0])

    def record_use(self, org_id: OrgId, prefix: str, at: datetime) -> None:
        """Set the token's ``last_used_at`` to ``at``, touching nothing else."""
        sql = self._sql
        self._write(sql.token_use, (sql.instant(at), prefix, sql.reference(org_id)), kind="token")

    def revoke(self, org_id: OrgId, prefix: str, at: datetime) -> bool:
        """Set the token's ``revoked_at`` to ``at`` unless it is already revoked; whether it did."""
        sql = self._sql
        params = (sql.instant(at), prefix, sql.reference(org_id))
        return self._write(sql.token_revocation, params, kind="token") > 0


# Idempotency records.


class SqlIdempotencyRepository(_Repository):
    """Idempotency records in SQL, keyed by (organization, user, key).

    A claim is one ``INSERT ... ON CONFLICT DO NOTHING`` on the primary key. How a concurrent,
    uncommitted claim of the same key is met is the database's: on PostgreSQL the second insert
    waits on the index entry until the first transaction ends (at most the lock timeout), then
    inserts (the first rolled back) or reads the record the first committed.

    Where write transactions run one at a time (SQLite: :attr:`~hours_sql.dialect.Dialect.one_writer`),
    no other transaction can meet the claim before this one ends, so a claim is a read: the claimed
    record is written once, by :meth:`complete` (or, if the transaction commits without completing
    it, by :meth:`flush` at the commit), instead of inserted and then overwritten. Until then this
    repository answers the key from the claim it holds.
    """

    def __init__(self, session: Session, statements: Statements, *, read_only: bool = False) -> None:
        super().__init__(session, statements)
        self._claims_read = statements.dialect.one_writer and not read_only
        """Whether a claim is a read (a read-only block's claim is refused by its insert, as ever)."""
        self._unwritten: dict[tuple[OrgId, UserId, str], IdempotencyRecord] = {}
        """The claims of this transaction not written yet (when claims are reads), by key."""

    def get(self, org_id: OrgId, user_id: UserId, key: str) -> IdempotencyRecord | None:
        """The committed record of the key (or this transaction's own), or ``None``."""
        unwritten = self._unwritten.get((org_id, user_id, key))
        if unwritten is not None:
            return unwritten
        sql = self._sql
        row = self._row(sql.idempotency_record, (sql.reference(org_id), sql.reference(user_id), key))
        return None if row is None else sql.idempotency.decode(row)

    def claim(self, record: IdempotencyRecord) -> IdempotencyRecord | None:
        """Insert ``record`` unless its key exists; return ``None`` if it was inserted, else the
        existing record. A wait for a concurrent, uncommitted claim that runs out of the lock
        timeout raises :class:`~hours_core.errors.IdempotencyRequestInProgress`.
        """
        sql = self._sql
        if self._claims_read:
            found = self.get(record.org_id, record.user_id, record.key)
            if found is None:
                self._unwritten[record.org_id, record.user_id, record.key] = record
            return found
        params = sql.idempotency.encode(record)
        key = (sql.reference(record.org_id), sql.reference(record.user_id), record.key)
        for _attempt in range(_CLAIM_ATTEMPTS):
            # The insert, and the record that stopped it, in one round trip where the store can.
            try:
                inserted, rows = self._session.write_or_read(
                    sql.idempotency_claim, params, sql.idempotency_record, key
                )
            except Refused as refusal:
                raise refusal.error(
                    "idempotency record", lock_timeout=IdempotencyRequestInProgress
                ) from refusal
            if inserted:
                return None
            if rows:
                existing: IdempotencyRecord = sql.idempotency.decode(rows[0])
                return existing
            # The record that blocked the insert was purged before the read: claim again.
        raise IdempotencyRequestInProgress()

    def replace(self, record: IdempotencyRecord, *, expired_before: datetime) -> bool:
        """Take the key over (see the port): one upsert whose update is conditional."""
        sql = self._sql
        self._unwritten.pop((record.org_id, record.user_id, record.key), None)
        params = (*sql.idempotency.encode(record), sql.instant(expired_before))
        return self._write(sql.idempotency_takeover, params, kind="idempotency record") > 0

    def complete(self, record: IdempotencyRecord) -> None:
        """Write the claimed record's completion over it (an upsert, which inserts it where the
        claim was only read), as a write no client input can make fail
        (:meth:`~hours_sql.Session.execute_all`: PostgreSQL sends it with ``COMMIT``)."""
        self._unwritten.pop((record.org_id, record.user_id, record.key), None)
        statement = (self._sql.idempotency_replace, self._sql.idempotency.encode(record))
        try:
            self._session.execute_all([statement])
        except Refused as refusal:
            raise refusal.error("idempotency record") from refusal

    def flush(self) -> None:
        """Write the claims this transaction holds but did not complete (before its commit)."""
        if not self._unwritten:
            return
        claims, self._unwritten = list(self._unwritten.values()), {}
        statements = [(self._sql.idempotency_claim, self._sql.idempotency.encode(claim)) for claim in claims]
        try:
            self._session.execute_all(statements)
        except Refused as refusal:
            raise refusal.error("idempotency record") from refusal

    def unwritten(self) -> dict[tuple[OrgId, UserId, str], IdempotencyRecord]:
        """A copy of the claims not written yet, for :meth:`forget_after` to go back to."""
        return dict(self._unwritten)

    def forget_after(self, mark: dict[tuple[OrgId, UserId, str], IdempotencyRecord]) -> None:
        """Go back to the claims of ``mark`` (a savepoint rolled back the ones made since)."""
        self._unwritten = mark

    def purge_completed_before(self, cutoff: datetime) -> int:
        """Delete records completed before ``cutoff``; return how many went."""
        return self._write(
            self._sql.idempotency_purge, (self._sql.instant(cutoff),), kind="idempotency record"
        )


# Rate counters.


class SqlRateCounterRepository(_Repository):
    """Rate counters in SQL: one row per (key, window end). An add is one upsert that increments
    the row and returns its new value, atomic on both databases (PostgreSQL's row lock on the
    conflicting row; SQLite's single writer)."""

    def add(self, key: str, window_end: int, count: int) -> int:
        """Add ``count`` to the counter of ``key`` and ``window_end``; return its new value."""
        row = self._row(self._sql.rate_counter_add, (key, window_end, count))
        assert row is not None  # RETURNING answers the inserted or updated row
        return int(row[0])

    def purge_ended(self, now: int) -> int:
        """Delete the counters of windows that ended at or before ``now``; return how many."""
        return self._write(self._sql.rate_counter_purge, (now,), kind="rate counter")


# Passwords and web sessions.


class SqlSessionRepository(_Repository):
    """Password hashes (a column of ``users``) and web sessions (``web_sessions``, keyed by the hash)."""

    def set_password(self, org_id: OrgId, user_id: UserId, password_hash: str | None) -> None:
        """Store the user's password hash (``None``: no password)."""
        sql = self._sql
        params = (password_hash, sql.reference(user_id), sql.reference(org_id))
        self._write(sql.password_update, params, kind="user")

    def password_logins(self, email_key: str) -> Sequence[PasswordLogin]:
        """The users with ``email_key`` and a password, oldest first, in any organization."""
        sql = self._sql
        user_end = len(sql.users.table.field_columns)
        org_end = user_end + len(sql.orgs.table.field_columns)
        return [
            PasswordLogin(
                user=sql.users.decode(row[:user_end]),
                org=sql.orgs.decode(row[user_end:org_end]),
                password_hash=row[org_end],
            )
            for row in self._session.rows(sql.password_logins, (email_key,))
        ]

    def add(self, session: WebSession) -> None:
        """Store a new session."""
        self._write(self._sql.sessions.insert, self._sql.sessions.encode(session), kind="web session")

    def find(self, key_hash: str) -> SessionCredentials | None:
        """The session with its user and org, in one query (not tenant-scoped)."""
        sql = self._sql
        row = self._row(sql.session_credentials, (key_hash,))
        if row is None:
            return None
        session_end, user_end = len(sql.sessions.table.field_columns), sql.session_credentials_user_end
        return SessionCredentials(
            session=sql.sessions.decode(row[:session_end]),
            user=sql.users.decode(row[session_end:user_end]),
            org=sql.orgs.decode(row[user_end:]),
        )

    def delete(self, org_id: OrgId, key_hash: str) -> None:
        """End one session."""
        self._write(self._sql.session_delete, (key_hash, self._sql.reference(org_id)), kind="web session")

    def delete_for_user(self, org_id: OrgId, user_id: UserId) -> int:
        """End every session of the user."""
        sql = self._sql
        params = (sql.reference(org_id), sql.reference(user_id))
        return self._write(sql.sessions_of_user_delete, params, kind="web session")

    def purge_expired(self, now: datetime) -> int:
        """Delete every expired session."""
        return self._write(self._sql.sessions_purge, (self._sql.instant(now),), kind="web session")


# The installation's secrets.


class SqlInstallationSecretRepository(_Repository):
    """The installation's secrets in SQL, one row per name.

    An add is one ``INSERT ... ON CONFLICT (name) DO NOTHING`` followed by a read of the row: of
    two processes that make a secret at once, the second insert waits for the first transaction
    (PostgreSQL) or runs after it (SQLite), finds its row and returns it.
    """

    def get(self, name: str) -> InstallationSecret | None:
        """The secret named ``name``, or ``None``."""
        row = self._row(self._sql.installation_secret, (name,))
        return None if row is None else self._sql.installation.decode(row)

    def add_unless_present(self, secret: InstallationSecret) -> InstallationSecret:
        """Insert ``secret`` unless its name is taken; return the stored secret."""
        self._write(
            self._sql.installation_secret_add,
            self._sql.installation.encode(secret),
            kind="installation secret",
        )
        stored = self.get(secret.name)
        if stored is None:  # pragma: no cover - the row was just inserted or found
            raise RuntimeError(f"the installation secret {secret.name!r} is missing after its insert")
        return stored


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
    type[ImportRepository],
    type[InstallationSecretRepository],
] = (
    SqlOrgRepository,
    SqlUserRepository,
    SqlClientRepository,
    SqlRateRepository,
    SqlProjectRepository,
    SqlTaskRepository,
    SqlTimeEntryRepository,
    SqlTokenRepository,
    SqlIdempotencyRepository,
    SqlRateCounterRepository,
    SqlSessionRepository,
    SqlImportRepository,
    SqlInstallationSecretRepository,
)
"""The type checker verifies that each repository implements its port."""
