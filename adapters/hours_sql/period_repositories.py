"""Closed periods and invoices in SQL, for every SQL database."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from hours_core.invoices import Invoice, InvoiceId
from hours_core.model import OrgId
from hours_core.periods import ClosedPeriod
from hours_core.ports import InvoiceRepository, PeriodRepository
from hours_sql.repositories import _Repository, org_key
from hours_sql.session import Refused, Session
from hours_sql.statements import PeriodStatements, Statements
from hours_sql.tables import CLOSED_PERIODS

__all__ = ["SqlInvoiceRepository", "SqlPeriodRepository"]


class _LedgerRepository(_Repository):
    @property
    def _ledger(self) -> PeriodStatements:
        return self._sql.period_sql


ENTRY_WRITES_KEY = 0x686F7572
"""The first half of the key an organization's entry writes lock (``hour`` in ASCII); the second
half is the low 32 bits of the organization's id, as a signed integer."""


def entry_writes_key(org_id: OrgId) -> tuple[int, int]:
    """The two integers of the key that :meth:`SqlPeriodRepository.list` (shared) and
    :meth:`SqlPeriodRepository.hold` (exclusive) lock (:func:`~hours_sql.repositories.org_key`)."""
    return org_key(ENTRY_WRITES_KEY, org_id)


class SqlPeriodRepository(_LedgerRepository):
    """Closed periods in SQL: the organization's rows are replaced as a whole. In a write unit of
    work, reading them takes the organization's entry-writes key in share mode (where the dialect
    has key locks: PostgreSQL), which :meth:`hold` takes exclusively."""

    def __init__(self, session: Session, statements: Statements, *, locking: bool) -> None:
        super().__init__(session, statements)
        self._locking = locking

    def list(self, org_id: OrgId) -> Sequence[ClosedPeriod]:
        """The organization's closed periods, by their last day."""
        return self._read(org_id, self._ledger.periods_of_org, (self._sql.reference(org_id),))

    def holding(self, org_id: OrgId, first: date, last: date) -> Sequence[ClosedPeriod]:
        """The organization's closed periods that hold a day from ``first`` to ``last``, by their last day."""
        sql = self._sql
        return self._read(
            org_id, self._ledger.periods_holding, (sql.reference(org_id), sql.date(first), sql.date(last))
        )

    def _read(self, org_id: OrgId, statement: str, params: tuple[object, ...]) -> Sequence[ClosedPeriod]:
        """The periods ``statement`` reads, after the organization's entry writes in share mode in a
        write unit of work."""
        ledger = self._ledger
        if self._locking and ledger.entry_writes_shared is not None:
            # The lock, then the read, in one round trip: the read's snapshot is taken once the
            # lock is held, so it sees a period that a holder committed while this one waited.
            lock = entry_writes_key(org_id)
            rows = self._session.rows_after(ledger.entry_writes_shared, lock, statement, params)
        else:
            rows = self._session.rows(statement, params)
        return [ledger.periods.decode(row) for row in rows]

    def hold(self, org_id: OrgId) -> None:
        """Wait for the organization's write units of work that read its closed periods, and keep
        new ones from reading them, until this unit of work ends."""
        statement = self._ledger.entry_writes_exclusive
        if statement is not None:
            self._session.rows(statement, entry_writes_key(org_id))

    def replace(self, org_id: OrgId, periods: Sequence[ClosedPeriod]) -> None:
        """Make ``periods`` the organization's closed periods: one delete, then one bulk insert
        (:meth:`~hours_sql.Session.insert_many`), so that a lock's round trips do not grow with the
        periods it keeps (an organization that closes every day gains a period a day)."""
        ledger = self._ledger
        self._write(ledger.periods_delete, (self._sql.reference(org_id),), kind="closed period")
        if periods:
            try:
                self._session.insert_many(CLOSED_PERIODS, map(ledger.periods.encode, periods))
            except Refused as refusal:
                raise refusal.error("closed period") from refusal


class SqlInvoiceRepository(_LedgerRepository):
    """Invoices in SQL."""

    def add(self, invoice: Invoice) -> None:
        """Store a new invoice."""
        self._write(self._ledger.invoices.insert, self._ledger.invoices.encode(invoice), kind="invoice")

    def get(self, org_id: OrgId, invoice_id: InvoiceId) -> Invoice | None:
        """The invoice of ``org_id``, or ``None``."""
        return self._one(self._ledger.invoice_by_id, org_id, invoice_id)

    def lock(self, org_id: OrgId, invoice_id: InvoiceId) -> Invoice | None:
        """The invoice of ``org_id``, or ``None``, locked until the unit of work ends (the dialect's
        row lock)."""
        return self._one(self._ledger.invoice_by_id_locked, org_id, invoice_id)

    def _one(self, statement: str, org_id: OrgId, invoice_id: InvoiceId) -> Invoice | None:
        sql = self._sql
        row = self._row(statement, (sql.uuid(invoice_id), sql.reference(org_id)))
        return None if row is None else self._ledger.invoices.decode(row)

    def list(self, org_id: OrgId, *, limit: int, before: InvoiceId | None = None) -> Sequence[Invoice]:
        """At most ``limit`` invoices, newest first, older than ``before`` if given."""
        sql, ledger = self._sql, self._ledger
        if before is None:
            rows = self._session.rows(ledger.invoices_of_org, (sql.reference(org_id), max(limit, 0)))
        else:
            params = (sql.reference(org_id), sql.uuid(before), max(limit, 0))
            rows = self._session.rows(ledger.invoices_of_org_before, params)
        return [ledger.invoices.decode(row) for row in rows]

    def update(self, invoice: Invoice) -> None:
        """Replace a stored invoice's status and ``voided_at``."""
        sql = self._sql
        voided = None if invoice.voided_at is None else sql.instant(invoice.voided_at)
        params = (invoice.status.value, voided, sql.uuid(invoice.id), sql.reference(invoice.org_id))
        self._write(self._ledger.invoice_update, params, kind="invoice")


_periods: type[PeriodRepository] = SqlPeriodRepository
_invoices: type[InvoiceRepository] = SqlInvoiceRepository
