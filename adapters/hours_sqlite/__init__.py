"""SQLite storage adapter: every port of ``hours_core.ports`` on one SQLite file.

``SqliteStore.open(path)`` opens a database (WAL; it does not migrate), ``store.migrate()``
brings the schema up to date, and ``store.unit_of_work`` is the core's ``UnitOfWorkFactory``.

The repositories and their SQL are the shared ones of :mod:`hours_sql`; this package adds what is
SQLite's own: the storage forms of values (:mod:`hours_sqlite.dialect`), connections, the single
writer and group commit (:mod:`hours_sqlite.connection`), the session (:mod:`hours_sqlite.session`)
and the schema (:mod:`hours_sqlite.migrations`).

The driver is the standard library's ``sqlite3``; every connection is wrapped in a sqlite-utils
``Database``. sqlite-utils runs the schema migrations (``Migrations``), the savepoint of the bulk
insert (``Database.atomic``) and the introspection of operator commands
(:mod:`hours_sqlite.introspection`: ``table_names``, ``Table.count``, ``columns``, ``indexes``).
The statements of the hot paths run on the ``sqlite3`` connection itself, prepared once and
cached by the driver: sqlite-utils' ``execute`` checks for implicit transactions on every call,
and its ``insert_all`` (measured against ``executemany`` for the bulk path) converts every value
in Python and was a third slower. See ``docs/store.md``.
"""

from hours_sqlite.store import SqliteStore, SqliteUnitOfWork
from hours_sqlite.write_queue import WriteQueue

__all__ = ["SqliteStore", "SqliteUnitOfWork", "WriteQueue"]
