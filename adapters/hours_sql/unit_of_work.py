"""The unit of work of every SQL store: a session, and the repositories bound to it.

A database adapter subclasses :class:`SqlUnitOfWork` with two methods: :meth:`~SqlUnitOfWork._begin`
takes a connection and begins the transaction (SQLite: the writer's group or a reader's
snapshot; PostgreSQL: a pooled connection), and :meth:`~SqlUnitOfWork._give_back` returns the
connection once the unit of work has ended. Opening, binding the repositories, committing and
the rollback on the way out are the same for both, and written here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Self, cast

from hours_core.ports import (
    ClientRepository,
    EventRepository,
    IdempotencyRepository,
    ImportRepository,
    InstallationSecretRepository,
    InvoiceRepository,
    OrgRepository,
    PeriodRepository,
    ProjectRepository,
    RateCounterRepository,
    RateRepository,
    ReportRepository,
    SessionRepository,
    TaskRepository,
    TimeEntryRepository,
    TimesheetRepository,
    TokenRepository,
    UnitOfWork,
    UserRepository,
    WebhookDeliveryRepository,
    WebhookRepository,
)
from hours_sql.events import SqlEventRepository
from hours_sql.period_repositories import SqlInvoiceRepository, SqlPeriodRepository
from hours_sql.reports import SqlReportRepository
from hours_sql.repositories import (
    SqlClientRepository,
    SqlIdempotencyRepository,
    SqlImportRepository,
    SqlInstallationSecretRepository,
    SqlOrgRepository,
    SqlProjectRepository,
    SqlRateCounterRepository,
    SqlRateRepository,
    SqlSessionRepository,
    SqlTaskRepository,
    SqlTimeEntryRepository,
    SqlTokenRepository,
    SqlUserRepository,
)
from hours_sql.session import Session
from hours_sql.statements import Statements
from hours_sql.timesheet_repositories import SqlTimesheetRepository
from hours_sql.webhook_repositories import SqlWebhookDeliveryRepository, SqlWebhookRepository

__all__ = ["SqlUnitOfWork"]


class SqlUnitOfWork:
    """One transaction on an SQL store. Leaving the block without :meth:`commit` rolls back."""

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

    def __init__(self, statements: Statements, *, read_only: bool = False) -> None:
        """A unit of work that will run ``statements``; read-only ones refuse every write."""
        self._statements = statements
        self._read_only = read_only
        self._session: Session | None = None

    @property
    def read_only(self) -> bool:
        """Whether this unit of work refuses writes."""
        return self._read_only

    def _begin(self) -> Session:
        """A session on a connection of the store, its transaction begun (each adapter says how).

        If beginning fails, the adapter gives the connection back itself before raising.
        """
        raise NotImplementedError

    def _give_back(self, session: Session) -> None:
        """Return the session's connection to the store, after the unit of work has ended."""
        raise NotImplementedError

    def __enter__(self) -> Self:
        """Take a connection and begin the transaction; the repositories are bound to it as the
        block first uses each (:meth:`__getattr__`)."""
        if self._session is not None:
            raise RuntimeError("this unit of work is already open")
        self._session = self._begin()
        for name in self.__dict__.keys() & _REPOSITORIES.keys():  # bound to an earlier block
            del self.__dict__[name]
        return self

    def __getattr__(self, name: str) -> object:
        """A repository (``orgs``, ``entries``, ...), bound to this block's session on first use.

        Most transactions use two or three of the twenty: building them all as the block opened
        was a measurable part of a request (a replay lookup, an authentication).
        """
        build = _REPOSITORIES.get(name)
        if build is None:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        session = self.__dict__.get("_session")
        if session is None:
            raise RuntimeError(
                f"the {name} repository is used after its unit of work ended, or before it began"
            )
        repository = build(session, self._statements, self._read_only)
        setattr(self, name, repository)
        return repository

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Roll back whatever was not committed and give the connection back."""
        session, self._session = self._session, None
        if session is None:
            return
        try:
            session.rollback()
        finally:
            session.close()
            self._give_back(session)

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """A savepoint of the transaction; an exception undoes its writes and the events it collected."""
        if self._session is None:
            raise RuntimeError("savepoint() outside the unit of work's block")
        events = cast(SqlEventRepository, self.events)
        claims = self._claims()
        mark, claimed = events.collected(), {} if claims is None else claims.unwritten()
        try:
            with self._session.savepoint():
                yield
        except BaseException:
            events.forget_after(mark)
            claims = self._claims()  # perhaps first used inside the savepoint
            if claims is not None:  # the claims made in the savepoint are undone with it
                claims.forget_after(claimed)
            raise

    def _claims(self) -> SqlIdempotencyRepository | None:
        """The idempotency repository, if this block has used it (it holds claims not written yet)."""
        return self.__dict__.get("idempotency")

    def commit(self) -> None:
        """Write the idempotency claims not written yet, then the collected events (numbered under
        the org's counter lock), then commit; later statements in the block run in a new transaction."""
        if self._session is None:
            raise RuntimeError("commit() outside the unit of work's block")
        claims = self._claims()
        if claims is not None:
            claims.flush()
        events: SqlEventRepository | None = self.__dict__.get("events")
        if events is not None:  # the block collected events only if it used the repository
            events.flush()
        self._session.commit()


_REPOSITORIES: dict[str, Callable[[Session, Statements, bool], object]] = {
    "orgs": lambda session, statements, _: SqlOrgRepository(session, statements),
    "users": lambda session, statements, _: SqlUserRepository(session, statements),
    "clients": lambda session, statements, _: SqlClientRepository(session, statements),
    "projects": lambda session, statements, _: SqlProjectRepository(session, statements),
    "tasks": lambda session, statements, _: SqlTaskRepository(session, statements),
    "entries": lambda session, statements, _: SqlTimeEntryRepository(session, statements),
    "tokens": lambda session, statements, _: SqlTokenRepository(session, statements),
    "idempotency": lambda session, statements, read_only: SqlIdempotencyRepository(
        session, statements, read_only=read_only
    ),
    "rate_counters": lambda session, statements, _: SqlRateCounterRepository(session, statements),
    "rates": lambda session, statements, _: SqlRateRepository(session, statements),
    "sessions": lambda session, statements, _: SqlSessionRepository(session, statements),
    "webhooks": lambda session, statements, _: SqlWebhookRepository(session, statements),
    "deliveries": lambda session, statements, _: SqlWebhookDeliveryRepository(session, statements),
    "events": lambda session, statements, _: SqlEventRepository(session, statements.dialect),
    "reports": lambda session, statements, _: SqlReportRepository(session, statements),
    "imports": lambda session, statements, _: SqlImportRepository(session, statements),
    "installation": lambda session, statements, _: SqlInstallationSecretRepository(session, statements),
    "timesheets": lambda session, statements, read_only: SqlTimesheetRepository(
        session, statements, locking=not read_only
    ),
    "periods": lambda session, statements, read_only: SqlPeriodRepository(
        session, statements, locking=not read_only
    ),
    "invoices": lambda session, statements, _: SqlInvoiceRepository(session, statements),
}
"""How each repository of :class:`SqlUnitOfWork` is built on the block's session: its attribute
name, then a function of the session, the statements and whether the block is read-only."""

_: type[UnitOfWork] = SqlUnitOfWork
