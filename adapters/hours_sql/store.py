"""What every SQL store offers its owner (the composition root, the operator commands, tests).

:class:`SqlStore` is the common face of ``SqliteStore`` and ``PostgresStore``: a factory of units
of work (the core's ``UnitOfWorkFactory``), the schema's migrations, and closing. Opening one, and
what else it can do (backups, integrity checks, introspection), is each database's own.
"""

from __future__ import annotations

from types import TracebackType
from typing import Self

from hours_core.ports import UnitOfWorkFactory
from hours_sql.unit_of_work import SqlUnitOfWork

__all__ = ["SqlStore"]


class SqlStore:
    """An open SQL database: units of work over it, its migrations, and ``close``."""

    def unit_of_work(self, *, read_only: bool = False) -> SqlUnitOfWork:
        """A new, not yet entered, unit of work (this bound method is a ``UnitOfWorkFactory``)."""
        raise NotImplementedError

    def pending_migrations(self) -> list[str]:
        """The names of the migrations not yet applied, in the order :meth:`migrate` would apply them."""
        raise NotImplementedError

    def migrate(self, *, stop_before: str | None = None) -> list[str]:
        """Apply the pending migrations (up to ``stop_before``, if given); return their names."""
        raise NotImplementedError

    def close(self) -> None:
        """Close every connection; the store is unusable after."""
        raise NotImplementedError

    def __enter__(self) -> Self:
        """The store itself; the ``with`` block closes it."""
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Close the store."""
        self.close()


def _conforms(store: SqlStore) -> UnitOfWorkFactory:
    return store.unit_of_work
