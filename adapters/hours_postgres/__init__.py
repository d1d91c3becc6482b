"""PostgreSQL storage adapter: every port of ``hours_core.ports`` on PostgreSQL, via psycopg 3.

``PostgresStore.open(url)`` connects (a pool of connections; it does not migrate),
``store.migrate()`` brings the schema up to date, and ``store.unit_of_work`` is the core's
``UnitOfWorkFactory``. Several processes may share one database: the idempotency guarantees hold
across them (see :mod:`hours_postgres.store`).
"""

from hours_postgres.connection import DatabaseUnavailable
from hours_postgres.store import PostgresStore, PostgresUnitOfWork

__all__ = ["DatabaseUnavailable", "PostgresStore", "PostgresUnitOfWork"]
