"""Ports: what the core needs from the outside world, as ``typing.Protocol`` classes.

Repositories speak domain types only and raise only core errors. Every method that reads or
writes tenant data takes the organization, so that one tenant can never reach another's rows by
forgetting a filter. The exceptions are :meth:`TokenRepository.find_credentials` and
:meth:`SessionRepository.password_logins` and :meth:`SessionRepository.find`: they are how a
request or a sign-in learns its organization in the first place.

A :class:`UnitOfWork` is one transaction. Use it as a context manager; leaving the block without
calling :meth:`UnitOfWork.commit` rolls everything back.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import date, datetime
from types import TracebackType
from typing import Literal, Protocol, Self
from uuid import UUID

import attrs

from hours_core.delivery_share import OrgShare
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
from hours_core.reports import ReportQuery, ReportRow
from hours_core.subscriptions import DeliveryId, Webhook, WebhookDelivery, WebhookId
from hours_core.timesheets import Timesheet, TimesheetId, TimesheetQuery
from hours_core.tokens import ApiToken
from hours_core.web_sessions import WebSession

__all__ = [
    "ENTRY_REFERENCES",
    "ClientRepository",
    "Clock",
    "Credentials",
    "EntryCursor",
    "EntryQuery",
    "EntryReference",
    "EventRepository",
    "IdFactory",
    "IdempotencyRepository",
    "IdentitySignal",
    "ImportRepository",
    "InstallationSecretRepository",
    "InvoiceRepository",
    "OrgRepository",
    "PasswordLogin",
    "PeriodRepository",
    "ProjectRepository",
    "RateCounterRepository",
    "RateRepository",
    "ReportRepository",
    "ReportRows",
    "SessionCredentials",
    "SessionRepository",
    "TaskRepository",
    "TimeEntryRepository",
    "TimesheetRepository",
    "TokenRepository",
    "UnitOfWork",
    "UnitOfWorkFactory",
    "UserRepository",
    "WebhookDeliveryRepository",
    "WebhookRepository",
]


class Clock(Protocol):
    """The source of the current time."""

    def now(self) -> datetime:
        """The current instant, timezone-aware UTC."""
        ...


class IdFactory(Protocol):
    """The source of new identifiers."""

    def new_id(self) -> UUID:
        """A new unique id."""
        ...


class IdentitySignal(Protocol):
    """A mark that every process using one store reads, moved by each committed change of an org,
    a user or a token, so that the callers a process keeps in memory (the authentication cache)
    are dropped on its next request after another process's change, not a moment later.

    SQLite's is a small file beside the database, in every process's memory. PostgreSQL's is a
    ``NOTIFY`` each process listens for and confirms, :meth:`move` returning once every listening
    process has counted it. In every case the cache's ``ttl`` bounds how stale a served caller may
    be (a process that could not be told)."""

    def current(self) -> int:
        """The mark now: any change of it means something changed since it was last read."""
        ...

    def move(self) -> None:
        """Move the mark (after the change is durable): every process reading it sees a new value
        on its next read after this returns. It may wait a moment for other processes."""
        ...


class OrgRepository(Protocol):
    """Organizations. An organization is its own tenant, so lookups take its id."""

    def add(self, org: Org) -> None:
        """Store a new organization."""
        ...

    def get(self, org_id: OrgId) -> Org | None:
        """The organization, or ``None``."""
        ...

    def list(self) -> Sequence[Org]:
        """Every organization, oldest first (operator tooling only; no API exposes this)."""
        ...

    def lock(self, org_id: OrgId) -> Org | None:
        """The organization, or ``None``, locked until this unit of work ends.

        Changes to an organization's team and settings take this lock first, so that the checks
        they make on the team (its last active owner, its plan's user limit) cannot race: of two
        units of work that lock one organization, the second waits until the first has committed
        or rolled back, then reads what it left. Only write units of work may lock. (PostgreSQL:
        ``SELECT ... FOR NO KEY UPDATE``; SQLite and the in-memory store run one writer at a time.)
        """
        ...

    def update(self, org: Org) -> None:
        """Replace a stored organization."""
        ...


class UserRepository(Protocol):
    """Users of one organization."""

    def add(self, user: User) -> None:
        """Store a new user; raise :class:`~hours_core.errors.Conflict` if the email is taken in the org."""
        ...

    def get(self, org_id: OrgId, user_id: UserId) -> User | None:
        """The user of ``org_id``, or ``None``."""
        ...

    def list(self, org_id: OrgId) -> Sequence[User]:
        """The organization's users, deactivated ones included, oldest first."""
        ...

    def locate(self, user_id: UserId) -> User | None:
        """The user with ``user_id`` in any organization: operator tooling only, never the API."""
        ...

    def count_active(self, org_id: OrgId, *, role: Role | None = None) -> int:
        """How many users of the organization are not deactivated (of ``role``, if given)."""
        ...

    def lock(self, org_id: OrgId, user_id: UserId) -> User | None:
        """The user of ``org_id``, or ``None``, locked until this unit of work ends (write units of
        work only): writes that check a rule across the user's entries (their overlaps) take this
        lock first, so that of two such writes the second waits, then sees what the first stored.
        (PostgreSQL: ``SELECT ... FOR NO KEY UPDATE``, which rows that merely refer to the user do
        not wait for; SQLite and the in-memory store run one writer at a time.)
        """
        ...

    def update(self, user: User) -> None:
        """Replace a stored user's name, role and ``deactivated_at``; nothing else of a user changes
        (nothing happens if the organization has no such user)."""
        ...


class ClientRepository(Protocol):
    """Clients of one organization."""

    def add(self, client: Client) -> None:
        """Store a new client."""
        ...

    def get(self, org_id: OrgId, client_id: ClientId) -> Client | None:
        """The client of ``org_id``, or ``None``."""
        ...

    def list(self, org_id: OrgId, *, include_archived: bool = True) -> Sequence[Client]:
        """The organization's clients, oldest first."""
        ...

    def update(self, client: Client) -> Client:
        """Replace a stored client (nothing happens if the organization has no such client).

        Versions: the stored row must still be at ``client.version`` (the version the caller read); it
        is stored at that version plus one, and the client as stored is returned. A stored row at
        another version (another writer changed it) raises :class:`~hours_core.errors.StaleUpdate`
        and changes nothing.
        """
        ...


class RateRepository(Protocol):
    """Hourly rates of one organization."""

    def add(self, rate: Rate) -> None:
        """Store a new rate (the client, project and user it names must be of its organization)."""
        ...

    def get(self, org_id: OrgId, rate_id: RateId) -> Rate | None:
        """The rate of ``org_id``, or ``None``."""
        ...

    def list(self, org_id: OrgId) -> Sequence[Rate]:
        """The organization's rates, oldest first (by creation time, then id)."""
        ...

    def matching(
        self, org_id: OrgId, *, user_id: UserId, project_id: ProjectId, client_id: ClientId | None, on: date
    ) -> Sequence[Rate]:
        """The rates that may apply to an entry of ``user_id`` on ``project_id`` (of ``client_id``)
        dated ``on``: those of the targets it matches (:func:`~hours_core.rates.entry_targets`) in
        effect on ``on`` (``effective_from <= on``), oldest first. Which of them applies is
        :class:`~hours_core.rates.RateBook`'s to decide; a write of one entry reads these rather
        than the whole :meth:`list`, so that its cost does not grow with the organization's rates."""
        ...

    def of_project(self, org_id: OrgId, project_id: ProjectId) -> Sequence[Rate]:
        """The rates of ``org_id`` that name ``project_id`` (of scopes ``project`` and
        ``user_project``), oldest first: those that must be in its client's currency."""
        ...

    def bound_to_client(self, org_id: OrgId, client_id: ClientId) -> Sequence[Rate]:
        """The rates of ``org_id`` that must be in ``client_id``'s currency: the client's own (scope
        ``client``) and those naming one of its projects (:meth:`of_project`), oldest first. Read by
        the client and its projects, not the whole :meth:`list`."""
        ...

    def same_start(self, org_id: OrgId, rate: Rate) -> Sequence[Rate]:
        """The stored rates of ``org_id`` of ``rate``'s target (:attr:`~hours_core.model.Rate.target`)
        that take effect on its ``effective_from``, oldest first: the rates a new ``rate`` clashes with
        (:func:`~hours_core.rates.check_new_rate`), read by that target rather than the whole
        :meth:`list`, so that a rate's creation does not grow with the organization's rates."""
        ...

    def delete(self, org_id: OrgId, rate_id: RateId) -> bool:
        """Delete the rate for good; whether there was one. Entries keep the rate they stored."""
        ...


class ProjectRepository(Protocol):
    """Projects of one organization."""

    def add(self, project: Project) -> None:
        """Store a new project."""
        ...

    def get(self, org_id: OrgId, project_id: ProjectId) -> Project | None:
        """The project of ``org_id``, or ``None``."""
        ...

    def list(self, org_id: OrgId, *, include_archived: bool = True) -> Sequence[Project]:
        """The organization's projects, oldest first."""
        ...

    def locate(self, project_id: ProjectId) -> Project | None:
        """The project with ``project_id`` in any organization: operator tooling only, never the API."""
        ...

    def count_active(self, org_id: OrgId) -> int:
        """How many projects of the organization are not archived."""
        ...

    def update(self, project: Project) -> Project:
        """Replace a stored project (nothing happens if the organization has no such project).

        Versions: the stored row must still be at ``project.version`` (the version the caller read); it
        is stored at that version plus one, and the project as stored is returned. A stored row at
        another version (another writer changed it) raises :class:`~hours_core.errors.StaleUpdate`
        and changes nothing.
        """
        ...


class TaskRepository(Protocol):
    """Tasks of one organization's projects."""

    def add(self, task: Task) -> None:
        """Store a new task."""
        ...

    def get(self, org_id: OrgId, task_id: TaskId) -> Task | None:
        """The task of ``org_id``, or ``None``."""
        ...

    def list_for_project(self, org_id: OrgId, project_id: ProjectId) -> Sequence[Task]:
        """The project's tasks, oldest first."""
        ...

    def update(self, task: Task) -> Task:
        """Replace a stored task (nothing happens if the organization has no such task).

        Versions: the stored row must still be at ``task.version`` (the version the caller read); it
        is stored at that version plus one, and the task as stored is returned. A stored row at
        another version (another writer changed it) raises :class:`~hours_core.errors.StaleUpdate`
        and changes nothing.
        """
        ...


@attrs.frozen
class EntryCursor:
    """A position in the entry order: (entry date, creation time, id)."""

    entry_date: date
    created_at: datetime
    id: TimeEntryId

    @classmethod
    def of(cls, entry: TimeEntry) -> EntryCursor:
        """The position of ``entry``."""
        return cls(entry.entry_date, entry.created_at, entry.id)


@attrs.frozen
class EntryQuery:
    """Which entries to list, in which order, and from where.

    Rows are ordered by (entry date, creation time, id), ascending unless ``descending``.
    ``after`` is the position of the last row of the previous page; the page holds the rows
    strictly after it in that order. ``None`` in a filter means "any".
    """

    date_from: date | None = None
    date_to: date | None = None
    project_id: ProjectId | None = None
    task_id: TaskId | None = None
    user_id: UserId | None = None
    billable: bool | None = None
    invoiced: bool | None = None
    running: bool | None = None
    updated_since: datetime | None = None
    include_deleted: bool = False
    descending: bool = False
    limit: int = 50
    after: EntryCursor | None = None


EntryReference = Literal["project_id", "task_id", "user_id"]
"""A field of an entry that names another thing of its organization
(:meth:`TimeEntryRepository.referenced_by_live_entries`)."""
ENTRY_REFERENCES: tuple[EntryReference, ...] = ("project_id", "task_id", "user_id")
"""Every :data:`EntryReference`, in the order a store reads them."""


class TimeEntryRepository(Protocol):
    """Time entries of one organization."""

    def add(self, entry: TimeEntry) -> None:
        """Store a new entry."""
        ...

    def add_many(self, entries: Sequence[TimeEntry]) -> None:
        """Store many new entries at once (the bulk path for imports and benchmarks)."""
        ...

    def get(self, org_id: OrgId, entry_id: TimeEntryId, *, include_deleted: bool = False) -> TimeEntry | None:
        """The entry of ``org_id``, or ``None``; soft-deleted ones only with ``include_deleted``."""
        ...

    def get_many(
        self, org_id: OrgId, entry_ids: Iterable[TimeEntryId], *, lock: bool = False
    ) -> Sequence[TimeEntry]:
        """Those of ``entry_ids`` that are entries of ``org_id`` (deleted ones included), in id
        order, in a few queries however many are asked.

        With ``lock`` (write units of work only), their rows stay locked until the unit of work
        ends, and they are locked in id order: how a write of several entries takes them all
        before it writes the first, in the one order every writer of several entries takes them
        (docs/store.md, "The order of locks"), so that two such writers never wait for each
        other. (PostgreSQL: ``SELECT ... ORDER BY id FOR NO KEY UPDATE``; SQLite and the in-memory
        store run one writer at a time and lock nothing.)
        """
        ...

    def update(self, entry: TimeEntry, *, expected_updated_at: datetime) -> TimeEntry:
        """Replace a stored entry, if it is still the version the caller read; return it as stored.

        The write only happens when the stored ``updated_at`` equals ``expected_updated_at`` and
        the stored ``version`` equals ``entry.version`` (optimistic concurrency); otherwise it
        raises :class:`~hours_core.errors.StaleUpdate`, so that concurrent changes are never lost
        silently. The row is stored at ``entry.version + 1``: every write counts exactly once.
        """
        ...

    def list(self, org_id: OrgId, query: EntryQuery) -> Sequence[TimeEntry]:
        """At most ``query.limit`` entries matching ``query``, in its order."""
        ...

    def running_for_user(self, org_id: OrgId, user_id: UserId) -> TimeEntry | None:
        """The user's running timer that is not deleted, or ``None``."""
        ...

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
        """At most ``limit`` live entries with a start that may cover time in ``[start, end)``: those
        that start before ``end`` and are running or stop after ``start`` (of ``user_id``, if given),
        ordered by (user, start, id) and strictly after ``after``'s place in that order, if given.

        A running timer is returned whatever the time now; the caller decides what it covers
        (:func:`hours_core.overlaps.interval_of`).
        """
        ...

    def existing_external_refs(self, org_id: OrgId, refs: Sequence[str]) -> set[str]:
        """Those of ``refs`` that an entry of the organization holds as its ``external_ref``
        (deleted entries included: an entry deleted on purpose is not imported again)."""
        ...

    def holding_external_ref(self, org_id: OrgId, ref: str) -> TimeEntry | None:
        """The entry of the organization (deleted or not) that holds ``ref`` as its
        ``external_ref``, or ``None``: at most one does (a unique index)."""
        ...

    def existing_ids(self, org_id: OrgId, entry_ids: Sequence[TimeEntryId]) -> set[TimeEntryId]:
        """Those of ``entry_ids`` that are entries of the organization (deleted entries included),
        looked up in a few queries however many are asked: how an import of hours' own JSON lines
        finds the rows that are entries of the importing organization already."""
        ...

    def delete_imported(
        self, org_id: OrgId, import_id: ImportId, at: datetime, *, limit: int
    ) -> Sequence[TimeEntry]:
        """Soft-delete at most ``limit`` of the organization's entries that ``import_id`` created
        and that are not deleted yet, at ``at`` (:meth:`~hours_core.model.TimeEntry.unimported`:
        their ``external_ref`` released to ``released_ref``, so that the file imports again and a
        restore can take it back; each one version up);
        return them as they were before, exactly those this call deleted. Call again until fewer
        than ``limit`` come back.
        Raise :class:`~hours_core.errors.EntryLocked`, changing nothing, when one of the import's
        live entries is on an invoice: :func:`~hours_core.entry_locks.invoiced_lock` of the first
        such entry by id, the error a write of that entry gets.
        """
        ...

    def referenced_by_live_entries(
        self, org_id: OrgId, ids: Mapping[EntryReference, Sequence[UUID]]
    ) -> dict[EntryReference, set[UUID]]:
        """For each field asked (an entry's project, task or user), those of its ``ids`` that a live
        (not deleted) entry of the organization names in it, running timers included: what an
        import's undo leaves alone. One read of the organization's live entries for every field at
        once (no index holds the entries by project or task, so each read may walk all of them),
        however many ids, up to thousands; every field asked is a key of the answer."""
        ...


@attrs.frozen
class ReportRows:
    """What a store aggregated for a report: the rows, and whether a running timer counted."""

    rows: tuple[ReportRow, ...]
    running: bool = False


class ReportRepository(Protocol):
    """Time reports: the aggregation that the database does (see docs/reports.md)."""

    def time_report_rows(
        self, org_id: OrgId, query: ReportQuery, *, now: datetime, amounts: bool
    ) -> ReportRows:
        """The :class:`~hours_core.reports.ReportRow` objects of the org's entries that ``query`` counts.

        Entries with ``query.date_from <= entry_date <= query.date_to`` that match
        ``query.entry_filter`` and are not deleted are grouped by the values of ``query.group_by``
        (users, projects, tasks and clients labelled by their current names) and the currency of
        their stored rate. A period level's value is a day of the rows' period at that level (the
        first day of a finer period level of the query that lies within it will do: any day of the
        period, for :func:`~hours_core.reports.build_report`); a row's entries share the period of
        every level (a week that straddles two years is two rows in a ``year,week`` report).
        Rounded seconds are summed per entry after :func:`~hours_core.rounding.entry_seconds`.
        A running timer counts its seconds elapsed at ``now``. Without ``amounts`` every row has no
        currency and no amounts (the plan has no rates).
        """
        ...


@attrs.frozen
class Credentials:
    """A token with the user and organization it belongs to."""

    token: ApiToken
    user: User
    org: Org


@attrs.frozen
class PasswordLogin:
    """A user who may sign in with a password: the user, their organization and the password's hash."""

    user: User
    org: Org
    password_hash: str


@attrs.frozen
class SessionCredentials:
    """A web session with the user and organization it belongs to."""

    session: WebSession
    user: User
    org: Org


class SessionRepository(Protocol):
    """Signing in to the web app: users' password hashes and the server-side sessions.

    :meth:`password_logins` and :meth:`find` take no organization: they are how a sign-in and a
    signed-in request learn theirs (like :meth:`TokenRepository.find_credentials`).
    """

    def set_password(self, org_id: OrgId, user_id: UserId, password_hash: str | None) -> None:
        """Store the user's password hash (``None``: no password, no sign-in)."""
        ...

    def password_logins(self, email_key: str) -> Sequence[PasswordLogin]:
        """The users whose email has ``email_key`` and who have a password, oldest first, in any org."""
        ...

    def add(self, session: WebSession) -> None:
        """Store a new session."""
        ...

    def find(self, key_hash: str) -> SessionCredentials | None:
        """The session with ``key_hash`` with its user and org, in one lookup, or ``None``."""
        ...

    def delete(self, org_id: OrgId, key_hash: str) -> None:
        """End one session (nothing happens if there is none)."""
        ...

    def delete_for_user(self, org_id: OrgId, user_id: UserId) -> int:
        """End every session of the user; return how many ended."""
        ...

    def purge_expired(self, now: datetime) -> int:
        """Delete the sessions of every org that have expired by ``now``; return how many went."""
        ...


class TokenRepository(Protocol):
    """Personal access tokens, without their secrets."""

    def add(self, token: ApiToken) -> None:
        """Store a new token."""
        ...

    def find_credentials(self, prefix: str) -> Credentials | None:
        """The token with ``prefix`` and its user and org, in one lookup (not tenant-scoped: see above)."""
        ...

    def get(self, org_id: OrgId, prefix: str) -> ApiToken | None:
        """The organization's token with ``prefix``, or ``None``."""
        ...

    def list_for_user(self, org_id: OrgId, user_id: UserId) -> Sequence[ApiToken]:
        """The user's tokens, newest first."""
        ...

    def count_active(self, org_id: OrgId, user_id: UserId, now: datetime) -> int:
        """How many of the user's tokens are neither revoked nor expired at ``now``."""
        ...

    def record_use(self, org_id: OrgId, prefix: str, at: datetime) -> None:
        """Set the token's ``last_used_at`` to ``at``, touching nothing else."""
        ...

    def revoke(self, org_id: OrgId, prefix: str, at: datetime) -> bool:
        """Set the token's ``revoked_at`` to ``at`` unless it is already revoked; whether this
        revoked it (``False``: revoked already, by this unit of work's read or by a concurrent one
        that committed since, or no such token)."""
        ...


class RateCounterRepository(Protocol):
    """Counters of requests per key and fixed window, shared by every server process and host.

    Not tenant data: a key is an opaque string the rate limiter makes (a user's id, a client's
    address, see :mod:`hours_core.services.rate_limits`); a window is named by its end, in whole
    seconds since the Unix epoch.
    """

    def add(self, key: str, window_end: int, count: int) -> int:
        """Add ``count`` to the counter of ``key`` for the window ending at ``window_end`` (a new
        counter starts at 0), atomically; return the counter's new value."""
        ...

    def purge_ended(self, now: int) -> int:
        """Delete the counters of every window that ended at or before ``now``; return how many."""
        ...


class IdempotencyRepository(Protocol):
    """Idempotency records, keyed by (organization, user, key)."""

    def get(self, org_id: OrgId, user_id: UserId, key: str) -> IdempotencyRecord | None:
        """The committed record of the key, or ``None``."""
        ...

    def claim(self, record: IdempotencyRecord) -> IdempotencyRecord | None:
        """Insert ``record`` unless its key exists; return the existing record, or ``None`` if inserted.

        This is one atomic write: of two transactions claiming one key, exactly one inserts. A
        claim that meets a concurrent, uncommitted claim of the same key waits for it (a bounded
        time) and then returns the record it committed; if the wait runs out it raises
        :class:`~hours_core.errors.IdempotencyRequestInProgress`. A store whose write transactions
        run one at a time may write the claimed record as late as :meth:`complete` or the commit
        (no other transaction can meet it before), provided this transaction sees its claim meanwhile
        and a failed savepoint undoes the claims made inside it.
        """
        ...

    def replace(self, record: IdempotencyRecord, *, expired_before: datetime) -> bool:
        """Take the key of ``record`` over: overwrite its record with ``record`` if that one
        completed at or before ``expired_before`` (it has expired), or insert ``record`` if the key
        has none; return whether it did.

        A record that is no longer expired (another transaction took the key over first and
        committed) stays as it is, and the answer is ``False``: read the key again and decide. Of
        two transactions taking one expired key over at once, the second waits for the first (the
        key's row) and then finds its record, so one request runs, not two.
        """
        ...

    def complete(self, record: IdempotencyRecord) -> None:
        """Overwrite the record of the key this transaction claimed with ``record``, its completion.

        Nothing a client sends can make it fail (the transaction holds the key's row), so a store
        may write it as late as its commit (PostgreSQL: in the commit's round trip); a failure
        then fails the commit.
        """
        ...

    def purge_completed_before(self, cutoff: datetime) -> int:
        """Delete records completed before ``cutoff``; return how many went."""
        ...


class WebhookRepository(Protocol):
    """Webhook subscriptions of one organization, and the lease of the single dispatcher."""

    def add(self, webhook: Webhook) -> None:
        """Store a new webhook."""
        ...

    def get(self, org_id: OrgId, webhook_id: WebhookId) -> Webhook | None:
        """The webhook of ``org_id``, or ``None``."""
        ...

    def lock(self, org_id: OrgId, webhook_id: WebhookId) -> Webhook | None:
        """The webhook, or ``None``, locked until this unit of work ends (write units of work only):
        changes to its queue (new positions) take this lock, so that positions never collide."""
        ...

    def list(self, org_id: OrgId) -> Sequence[Webhook]:
        """The organization's webhooks, oldest first."""
        ...

    def update(self, webhook: Webhook) -> None:
        """Replace a stored webhook (nothing happens if it is not stored)."""
        ...

    def delete(self, org_id: OrgId, webhook_id: WebhookId) -> bool:
        """Delete the webhook and its deliveries; whether it existed. It locks the webhook first,
        as the writers that queue its deliveries do (:meth:`lock`), so that it waits for them and
        deletes what they queued too."""
        ...

    def behind(self, limit: int, *, after: WebhookId | None = None) -> Sequence[Webhook]:
        """At most ``limit`` active webhooks, of any org, whose ``event_cursor`` is below their org's
        latest event, in id order (with ``after``: those whose id is greater), locked for this unit
        of work (PostgreSQL: ``FOR UPDATE SKIP LOCKED``, so that dispatchers of several processes
        take different webhooks). The fan-out of events only."""
        ...

    def take_dispatcher_lease(self, holder: str, now: datetime, until: datetime) -> bool:
        """Hold (or renew) the one dispatcher lease of the store until ``until``, unless another
        ``holder`` holds it past ``now``; whether ``holder`` holds it now (housekeeping across every
        org: a SQLite file has one dispatcher, see docs/webhooks.md)."""
        ...

    def release_dispatcher_lease(self, holder: str) -> bool:
        """Give the dispatcher lease up if ``holder`` holds it, so that another dispatcher may take
        it at once (a dispatcher that stops); whether ``holder`` held it."""
        ...


class WebhookDeliveryRepository(Protocol):
    """The deliveries of webhooks: each webhook's queue, and its log."""

    def add(self, delivery: WebhookDelivery) -> None:
        """Queue a new delivery (its webhook must exist in its organization)."""
        ...

    def get(self, org_id: OrgId, webhook_id: WebhookId, delivery_id: DeliveryId) -> WebhookDelivery | None:
        """The delivery of the organization's webhook, or ``None``."""
        ...

    def list(
        self, org_id: OrgId, webhook_id: WebhookId, *, limit: int, before: int | None = None
    ) -> Sequence[WebhookDelivery]:
        """At most ``limit`` deliveries of the webhook, newest (highest position) first, below
        position ``before`` if given."""
        ...

    def claim_due(
        self, now: datetime, until: datetime, limit: int, *, share: OrgShare | None = None
    ) -> Sequence[WebhookDelivery]:
        """Lease at most ``limit`` due deliveries until ``until`` and return them, leased, in the
        order they fell due (``next_attempt_at``, then id), or with ``share`` in the order it gives
        them their slots.

        A delivery is due when it is pending, its ``next_attempt_at`` has come, no lease on it runs
        past ``now``, its webhook is active, and it is the first pending delivery of its webhook
        (deliveries of a webhook go out one at a time, in order). With ``share``, the deliveries of
        the organizations at their share are not read, those of the least loaded organizations are
        read first, and :meth:`~hours_core.delivery_share.OrgShare.take` chooses among the first
        :meth:`~hours_core.delivery_share.OrgShare.candidates` read. Of several dispatchers
        claiming at once, each delivery goes to one (PostgreSQL: ``FOR UPDATE SKIP LOCKED``).
        Housekeeping across every org, like :meth:`purge_finished_before`.
        """
        ...

    def record(self, delivery: WebhookDelivery, *, leased_until: datetime) -> bool:
        """Store the outcome of an attempt, if the delivery is still held under the lease that ends
        at ``leased_until``; whether it was (``False``: the lease ran out and another dispatcher
        took the delivery, or the webhook was deleted)."""
        ...

    def purge_finished_before(self, cutoff: datetime) -> int:
        """Delete deliveries delivered or given up before ``cutoff``; how many went."""
        ...


class EventRepository(Protocol):
    """The organizations' events (the outbox): appended with the change, never edited.

    :meth:`append` only collects: the unit of work writes what it collected when it commits, in
    the same transaction, numbering each org's events after the last committed one under a
    per-org counter that stays locked until the commit (so sequence numbers become visible in
    order, even across processes). Rolled-back events are never written and take no number.
    """

    def append(self, event: NewEvent) -> None:
        """Collect ``event``; the commit of this unit of work writes it with its sequence number."""
        ...

    def list(self, org_id: OrgId, query: EventQuery) -> Sequence[Event]:
        """At most ``query.limit`` committed events of the org matching ``query``, by ``seq``."""
        ...

    def latest_seq(self, org_id: OrgId) -> int:
        """The org's last committed sequence number (0 before its first event)."""
        ...

    def purged_through(self, org_id: OrgId) -> int:
        """The highest sequence number the retention purge has deleted in the org (0: none)."""
        ...

    def purge_before(self, cutoff: datetime) -> int:
        """Delete, in every org, the events up to the last one that occurred before ``cutoff``
        (a prefix of each org's sequence); return how many went. The retention purge only."""
        ...


class ImportRepository(Protocol):
    """Imports of one organization (what ``DELETE /imports/{id}`` undoes)."""

    def add(self, record: Import) -> None:
        """Store a new import."""
        ...

    def get(self, org_id: OrgId, import_id: ImportId) -> Import | None:
        """The import of ``org_id``, or ``None`` (deleted ones too: see ``deleted_at``)."""
        ...

    def lock(self, org_id: OrgId, import_id: ImportId) -> Import | None:
        """As :meth:`get`, locked until this unit of work ends (write units of work only): an undo
        takes this lock, so that of two undos of one import the second sees the first's
        ``deleted_at``. (PostgreSQL: ``FOR NO KEY UPDATE``; SQLite and the in-memory store run one
        writer at a time.)"""
        ...

    def update(self, record: Import) -> None:
        """Replace a stored import's counts and ``deleted_at``."""

    def add_creations(self, creations: Sequence[ImportCreation]) -> None:
        """Store what an import created (each of its own organization and import, stored first);
        at once, in a few statements however many there are."""
        ...

    def creations(self, org_id: OrgId, import_id: ImportId) -> Sequence[ImportCreation]:
        """What the import of ``org_id`` created (nothing for another organization's import), by
        ``subject_id``."""
        ...

    def forget_creations(self, org_id: OrgId, import_id: ImportId, subject_ids: Sequence[UUID]) -> None:
        """Drop those of the import's creations whose ``subject_id`` is given: what its undo left
        alone, since something else uses it (an undone import lists what its undo retired)."""
        ...

    def retired_creations(self, org_id: OrgId) -> Sequence[ImportCreation]:
        """The creations of the organization's undone imports: what their undos archived or
        deactivated (another import that names one of them revives it, as its own creation)."""
        ...

    def hold(self, org_id: OrgId) -> None:
        """Wait for the organization's other imports that hold it to end, and keep new ones waiting
        until this unit of work ends (write units of work only): an import takes it before it reads
        the names it matches, so that two imports of one organization that create the same project,
        client, task or user create it once. Imports of other organizations do not wait. (PostgreSQL:
        a transaction-level advisory lock on a key of the organization; SQLite and the in-memory
        store run one writer at a time.)"""
        ...


class TimesheetRepository(Protocol):
    """Timesheets of one organization: at most one per user and first day of a week."""

    def add(self, timesheet: Timesheet) -> None:
        """Store a new timesheet; :class:`~hours_core.errors.Conflict` if its user has one that
        starts the same day (or its user is not of its organization)."""
        ...

    def get(self, org_id: OrgId, timesheet_id: TimesheetId) -> Timesheet | None:
        """The timesheet of ``org_id``, or ``None``."""
        ...

    def lock(self, org_id: OrgId, timesheet_id: TimesheetId) -> Timesheet | None:
        """The timesheet, or ``None``, locked until this unit of work ends (write units of work
        only): its transitions take this lock, so that two of them cannot both start from one status."""
        ...

    def update(self, timesheet: Timesheet) -> None:
        """Replace a stored timesheet's status and its submission and decision."""
        ...

    def list(self, org_id: OrgId, query: TimesheetQuery) -> Sequence[Timesheet]:
        """The organization's timesheets that match ``query``, newest week first (then by user and id)."""
        ...

    def covering(self, org_id: OrgId, user_id: UserId, day: date) -> Sequence[Timesheet]:
        """The user's timesheets whose week holds ``day``, in any status (one, unless the org's week
        start changed between two creations). In a write unit of work the rows stay locked until it
        ends (PostgreSQL: ``FOR NO KEY UPDATE``), so that an entry write checked against a timesheet
        and that timesheet's submission happen one after the other, never across each other."""
        ...


class InstallationSecretRepository(Protocol):
    """The installation's named secrets (not an organization's: one set per database)."""

    def get(self, name: str) -> InstallationSecret | None:
        """The secret named ``name``, or ``None``."""
        ...

    def add_unless_present(self, secret: InstallationSecret) -> InstallationSecret:
        """Store ``secret`` unless one of its name is stored (committed, or this transaction's);
        return the stored one, so that concurrent makers agree on one."""
        ...


class PeriodRepository(Protocol):
    """The closed periods of one organization (:mod:`hours_core.periods`): a few disjoint ranges.

    Every write of an entry reads them (:func:`~hours_core.entry_locks.ClosedDays.read`) before it
    checks its locks, so they are also where an organization's entry writes are held back: in a
    write unit of work, :meth:`list` and :meth:`holding` take the organization's entry writes in
    share mode, and :meth:`hold` takes them exclusively. (PostgreSQL: a transaction-level advisory
    lock; SQLite and the in-memory store run one writer at a time.)
    """

    def list(self, org_id: OrgId) -> Sequence[ClosedPeriod]:
        """The organization's closed periods, by their last day (in a write unit of work, once every
        unit of work that holds them (:meth:`hold`) has ended)."""
        ...

    def holding(self, org_id: OrgId, first: date, last: date) -> Sequence[ClosedPeriod]:
        """The organization's closed periods that hold a day from ``first`` to ``last``, by their
        last day: :meth:`list` narrowed to what a write of entries dated in that range needs, and
        taking the organization's entry writes in share mode as :meth:`list` does."""
        ...

    def hold(self, org_id: OrgId) -> None:
        """Wait for the write units of work that read the organization's closed periods, and keep new
        ones from reading them, until this unit of work ends (write units of work only): what closes
        days or weeks does this first, so that no entry write checked before it lands after it; so
        does a deactivation, so that no entry write of the user lands after it (every entry write
        reads the closed periods first and its user after them: ``guard_entry_write``). Every entry
        write of the organization waits meanwhile: hold it for short units of work only."""
        ...

    def replace(self, org_id: OrgId, periods: Sequence[ClosedPeriod]) -> None:
        """Make ``periods`` (disjoint, of ``org_id``) the organization's closed periods."""
        ...


class InvoiceRepository(Protocol):
    """Invoices of one organization (the entries they name carry their id while they are open)."""

    def add(self, invoice: Invoice) -> None:
        """Store a new invoice."""
        ...

    def get(self, org_id: OrgId, invoice_id: InvoiceId) -> Invoice | None:
        """The invoice of ``org_id``, or ``None``."""
        ...

    def lock(self, org_id: OrgId, invoice_id: InvoiceId) -> Invoice | None:
        """As :meth:`get`, locked until this unit of work ends (write units of work only): a void
        takes this lock, so that of two voids of one invoice the second sees it void. (PostgreSQL:
        ``FOR NO KEY UPDATE``; SQLite and the in-memory store run one writer at a time.)"""
        ...

    def list(self, org_id: OrgId, *, limit: int, before: InvoiceId | None = None) -> Sequence[Invoice]:
        """At most ``limit`` invoices of the organization, newest first, older than ``before`` if given
        (invoice ids grow with time)."""
        ...

    def update(self, invoice: Invoice) -> None:
        """Replace a stored invoice's ``status`` and ``voided_at`` (nothing else changes)."""
        ...


class UnitOfWork(Protocol):
    """One transaction over every repository. Leaving the block without :meth:`commit` rolls back.

    :meth:`commit` first writes the events collected by ``events`` (see :class:`EventRepository`).
    """

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

    def __enter__(self) -> Self:
        """Begin the transaction."""
        ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """End the transaction, rolling back whatever was not committed."""
        ...

    def commit(self) -> None:
        """Make the transaction's writes durable and visible."""
        ...

    def savepoint(self) -> AbstractContextManager[None]:
        """A nested scope of this (writable) transaction: leaving it with an exception undoes
        every write made in it, the events it collected included, and lets the exception through;
        the transaction goes on as it was when the scope opened. Leaving it normally keeps the
        writes for :meth:`commit`. Scopes nest. (SQL stores: ``SAVEPOINT``; memory: a snapshot.)
        """
        ...


class UnitOfWorkFactory(Protocol):
    """Opens units of work. ``read_only`` ones may run concurrently and must not write."""

    def __call__(self, *, read_only: bool = False) -> UnitOfWork:
        """A new, not yet entered, unit of work."""
        ...
