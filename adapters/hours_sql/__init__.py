"""The shared SQL layer: every port of ``hours_core.ports`` once, for every SQL database.

It imports no driver. A database adapter (``hours_sqlite``, ``hours_postgres``) supplies:

* a :class:`~hours_sql.dialect.Dialect`: its parameter placeholder and how it stores UUIDs, dates,
  instants, booleans and bytes;
* a session (:class:`~hours_sql.session.Session`): transactions, locking, the bulk insert, and
  reading its driver's errors into :class:`~hours_sql.session.Refused`;
* a subclass of :class:`~hours_sql.unit_of_work.SqlUnitOfWork` that opens such sessions, and
  its store (a :class:`~hours_sql.store.SqlStore`);
* its schema migrations (the DDL of each database is its own).

This package holds the rest, once: the table descriptions taken from the entities
(:mod:`hours_sql.tables`), the row codecs generated from them per dialect
(:mod:`hours_sql.rows`), the statements (:mod:`hours_sql.statements`, including the keyset list
of entries), the repositories and the errors they raise (:mod:`hours_sql.repositories`).
"""

from hours_sql.dialect import AS_IS, JSON_STRINGS, Dialect, Kind, ScalarCodec
from hours_sql.events import OUTBOX_TABLES
from hours_sql.session import Params, Reason, Refused, Session, SessionState, savepoint
from hours_sql.statements import Statements, statements_for
from hours_sql.store import SqlStore
from hours_sql.tables import TABLES, UNIQUE_CONSTRAINTS, Table, Unique
from hours_sql.unit_of_work import SqlUnitOfWork

__all__ = [
    "AS_IS",
    "JSON_STRINGS",
    "OUTBOX_TABLES",
    "TABLES",
    "UNIQUE_CONSTRAINTS",
    "Dialect",
    "Kind",
    "Params",
    "Reason",
    "Refused",
    "ScalarCodec",
    "Session",
    "SessionState",
    "SqlStore",
    "SqlUnitOfWork",
    "Statements",
    "Table",
    "Unique",
    "savepoint",
    "statements_for",
]
