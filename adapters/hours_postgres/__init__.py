"""PostgreSQL storage adapter: every port of ``hours_core.ports`` on PostgreSQL, via psycopg 3.

``PostgresStore.open(url)`` connects (a pool of connections; it does not migrate),
``store.migrate()`` brings the schema up to date, and ``store.unit_of_work`` is the core's
``UnitOfWorkFactory``. Several processes may share one database: the idempotency guarantees hold
across them (see :mod:`hours_postgres.store`).

The repositories and their SQL are the shared ones of :mod:`hours_sql`; this package adds what is
PostgreSQL's own: its dialect (native types, ``%s`` parameters; :mod:`hours_postgres.dialect`),
the pool and the translation of the driver's errors (:mod:`hours_postgres.connection`), the session
with its savepoints and ``COPY`` (:mod:`hours_postgres.session`) and the schema
(:mod:`hours_postgres.migrations`).
"""

from hours_postgres.connection import DatabaseUnavailable
from hours_postgres.store import PostgresStore, PostgresUnitOfWork

__all__ = ["DatabaseUnavailable", "PostgresStore", "PostgresUnitOfWork"]
