"""The unit of work of every SQL store: a session, and the repositories bound to it.

A database adapter subclasses :class:`SqlUnitOfWork` with two methods: :meth:`~SqlUnitOfWork._begin`
takes a connection and begins the transaction (SQLite: the writer's group or a reader's
snapshot; PostgreSQL: a pooled connection), and :meth:`~SqlUnitOfWork._give_back` returns the
connection once the unit of work has ended. Opening, binding the repositories, committing and
the rollback on the way out are the same for both, and written here.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Self

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
        """Take a connection and begin the transaction."""
        if self._session is not None:
            raise RuntimeError("this unit of work is already open")
        session = self._begin()
        self._session = session
        statements = self._statements
        self.orgs = SqlOrgRepository(session, statements)
        self.users = SqlUserRepository(session, statements)
        self.clients = SqlClientRepository(session, statements)
        self.projects = SqlProjectRepository(session, statements)
        self.tasks = SqlTaskRepository(session, statements)
        self.entries = SqlTimeEntryRepository(session, statements)
        self.tokens = SqlTokenRepository(session, statements)
        self.idempotency = SqlIdempotencyRepository(session, statements)
        self.rate_counters = SqlRateCounterRepository(session, statements)
        self.rates = SqlRateRepository(session, statements)
        self.sessions = SqlSessionRepository(session, statements)
        self.webhooks = SqlWebhookRepository(session, statements)
        self.deliveries = SqlWebhookDeliveryRepository(session, statements)
        self.events = self._events = SqlEventRepository(session, statements.dialect)
        self.reports = SqlReportRepository(session, statements)
        self.imports = SqlImportRepository(session, statements)
        self.installation = SqlInstallationSecretRepository(session, statements)
        self.timesheets = SqlTimesheetRepository(session, statements, locking=not self._read_only)
        self.periods = SqlPeriodRepository(session, statements)
        self.invoices = SqlInvoiceRepository(session, statements)
        return self

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
        mark = self._events.collected()
        try:
            with self._session.savepoint():
                yield
        except BaseException:
            self._events.forget_after(mark)
            raise

    def commit(self) -> None:
        """Write the collected events (numbered under the org's counter lock), then commit; later
        statements in the block run in a new transaction."""
        if self._session is None:
            raise RuntimeError("commit() outside the unit of work's block")
        self._events.flush()
        self._session.commit()


_: type[UnitOfWork] = SqlUnitOfWork
