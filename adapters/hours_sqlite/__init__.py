"""SQLite storage adapter: every port of ``hours_core.ports`` on one SQLite file, via sqlite-utils.

``SqliteStore.open(path)`` opens a database (WAL; it does not migrate), ``store.migrate()``
brings the schema up to date, and ``store.unit_of_work`` is the core's ``UnitOfWorkFactory``.
"""

from hours_sqlite.store import SqliteStore, SqliteUnitOfWork

__all__ = ["SqliteStore", "SqliteUnitOfWork"]
