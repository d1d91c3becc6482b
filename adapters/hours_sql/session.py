"""The session: one unit of work's connection and transaction, as the shared repositories see it.

Each database adapter implements :class:`Session` over its driver (``SqliteSession``,
``PostgresSession``); how a transaction begins, commits and waits for locks is theirs. What they
share is this contract:

* a failed write changes nothing and leaves the transaction usable (SQLite undoes the statement,
  PostgreSQL runs each write in a savepoint), so that a unit of work can go on after a refusal;
* a write the database refuses raises :class:`Refused`, which says why in terms of this package
  (a unique constraint and its name, a foreign key, another rule, a lock wait, a value the
  database cannot store); the repositories turn it into the core's errors
  (:meth:`Refused.error`), with the messages written once here;
* anything else the driver raises is the adapter's to translate (a busy database is
  :class:`~hours_core.errors.StoreBusy`; a lost server, PostgreSQL's ``DatabaseUnavailable``).

:class:`SessionState` holds the bookkeeping both sessions share: whether a transaction is open and
whether the unit of work has ended.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any, Protocol

from hours_core.errors import Conflict, StoreBusy, ValidationFailed
from hours_sql.tables import Table

__all__ = ["ErrorFactory", "Params", "Reason", "Refused", "Session", "SessionState", "savepoint"]

Params = Sequence[Any]
"""The parameters of one statement, in the order of its placeholders."""

ErrorFactory = Callable[[], Exception]
"""Makes the error to raise for a refused write (it may query: the write is undone by then)."""


class Reason(enum.Enum):
    """Why the database refused a write."""

    UNIQUE = "unique"
    FOREIGN_KEY = "foreign_key"
    RULE = "rule"
    """A CHECK or NOT NULL constraint."""
    LOCK_TIMEOUT = "lock_timeout"
    """A lock the write waited for stayed taken longer than the store allows."""
    UNSTORABLE = "unstorable"
    """A value the database cannot store (PostgreSQL: a NUL character in text)."""


class Refused(Exception):
    """The database refused a write; the transaction is usable and the write undone.

    ``constraint`` names the violated unique constraint when the database says which (the names
    of :data:`hours_sql.tables.UNIQUE_CONSTRAINTS` are the same on every database). The driver's
    error is the ``__cause__``.
    """

    def __init__(self, reason: Reason, constraint: str | None = None) -> None:
        super().__init__(f"{reason.value}{'' if constraint is None else f' ({constraint})'}")
        self.reason = reason
        self.constraint = constraint

    def error(
        self,
        kind: str,
        unique: Mapping[str, ErrorFactory] | None = None,
        lock_timeout: ErrorFactory | None = None,
    ) -> Exception:
        """The core error for this refusal of a write of a ``kind`` ("time entry").

        ``unique`` maps a constraint's name to the error for a duplicate in it; ``lock_timeout``
        makes the error for a lock wait that ran out (default: the busy ``StoreBusy``).
        """
        if self.reason is Reason.UNIQUE:
            factory = (unique or {}).get(self.constraint or "")
            return Conflict(f"The {kind} already exists.") if factory is None else factory()
        if self.reason is Reason.FOREIGN_KEY:
            return Conflict(
                f"The {kind} refers to an organization, user, client, project or task that does not exist "
                "in its organization."
            )
        if self.reason is Reason.LOCK_TIMEOUT:
            return StoreBusy() if lock_timeout is None else lock_timeout()
        if self.reason is Reason.UNSTORABLE:
            return ValidationFailed.one(
                kind, "contains a value the database cannot store (such as a NUL character in text)"
            )
        return Conflict(f"The {kind} breaks a rule of the database.")  # the cause (chained) names the rule


class Session(Protocol):
    """What the shared repositories need from a unit of work's connection."""

    def rows(self, sql: str, params: Params = ()) -> list[Any]:
        """Every row of a query, as tuples in the order of its columns."""
        ...

    def rows_after(self, statement: str, params: Params, query: str, query_params: Params) -> list[Any]:
        """Run ``statement`` (one that waits for a lock), then ``query``, which sees what committed
        during that wait: the query's rows. PostgreSQL sends both at once (one round trip)."""
        ...

    def write(self, sql: str, params: Params) -> int:
        """Run one write; return how many rows it changed. Raises :class:`Refused`."""
        ...

    def write_or_read(
        self, sql: str, params: Params, query: str, query_params: Params
    ) -> tuple[int, list[Any]]:
        """Run one write as :meth:`write` does; if it changed no row, also ``query`` (after the
        write, so that it sees what the write waited for): how many rows the write changed, and
        the query's rows (``[]`` when the write changed one). PostgreSQL sends both at once
        (one round trip), SQLite the query only when it is needed."""
        ...

    def execute_all(self, statements: Sequence[tuple[str, Params]]) -> None:
        """Run writes that no client input can make fail (the outbox, as the unit of work commits),
        in order, without the undo of :meth:`write`, at once where the database can (PostgreSQL:
        one pipeline, one round trip). A failure fails the commit: the unit of work rolls back whole.
        """
        ...

    def insert_many(self, table: Table, rows: Iterable[Params]) -> int:
        """Insert ``rows`` (each in ``table``'s column order), all or none; return how many.

        The bulk path: each database does it its fastest way. Raises :class:`Refused`.
        """
        ...

    def savepoint(self) -> AbstractContextManager[None]:
        """A savepoint of the (writable) transaction, begun if need be: an exception undoes the
        block's writes alone (and goes on), a normal exit keeps them. See :func:`savepoint`."""
        ...

    def insert_rows(self, table: str, columns: Sequence[str], rows: Iterable[Params]) -> int:
        """Insert ``rows`` (each in the order of ``columns``) into ``table``, as :meth:`insert_many`
        does: for tables whose rows are not entities (the outbox's drafts)."""
        ...

    def commit(self) -> None:
        """Commit the open transaction, if any; the next statement begins a new one."""
        ...

    def rollback(self) -> None:
        """Roll back the open transaction, if any."""
        ...

    def close(self) -> None:
        """Forbid further use (the unit of work has ended)."""
        ...


class SessionState:
    """Whether a session's transaction is open, and whether its unit of work has ended."""

    def __init__(self, *, writable: bool) -> None:
        self.writable = writable
        self._active = False
        self._closed = False

    def begin(self) -> None:
        """Begin a transaction (each session says how)."""
        raise NotImplementedError

    def close(self) -> None:
        """Forbid further use: the connection goes back to the store."""
        self._closed = True
        self._active = False

    def _check_alive(self) -> None:
        if self._closed:
            raise RuntimeError("this unit of work has ended; open a new one")

    def _ensure_transaction(self) -> None:
        self._check_alive()
        if not self._active:
            self.begin()

    def _ensure_writable(self) -> None:
        if not self.writable:
            raise RuntimeError("this unit of work is read-only")
        self._ensure_transaction()


SAVEPOINT = "hours_step"
"""The name of :func:`savepoint`'s savepoints. One name serves nested ones: both databases roll
back to (and release) the innermost savepoint of a name."""


@contextmanager
def savepoint(run: Callable[[str], object], *, open_: Callable[[], bool] | None = None) -> Iterator[None]:
    """``SAVEPOINT``, then ``RELEASE`` after the block, or ``ROLLBACK TO`` and ``RELEASE`` when it
    raises; ``run`` sends one statement. The statements are the same on SQLite and PostgreSQL,
    and ``ROLLBACK TO`` also clears PostgreSQL's failed-transaction state. ``open_`` says whether
    the transaction is still open when the block raises: SQLite rolls a whole transaction back
    after some errors (a full disk), its savepoints with it, and the block's error then goes on
    as it is, where ``ROLLBACK TO`` would replace it with "no such savepoint"."""
    run(f"SAVEPOINT {SAVEPOINT}")
    try:
        yield
    except BaseException:
        if open_ is None or open_():
            run(f"ROLLBACK TO SAVEPOINT {SAVEPOINT}")
            run(f"RELEASE SAVEPOINT {SAVEPOINT}")
        raise
    run(f"RELEASE SAVEPOINT {SAVEPOINT}")
