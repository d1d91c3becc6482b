"""How PostgreSQL stores hours' values: the PostgreSQL :class:`~hours_sql.dialect.Dialect`.

PostgreSQL has the types hours needs (``uuid``, ``date``, ``timestamptz``, ``boolean``,
``bytea``) and psycopg adapts them both ways, so every value goes in and comes out as it is: the
generated row codecs only reorder fields and turn enums into their values and back. Parameters
are psycopg's ``%s``. ``timestamptz`` values come back as UTC datetimes because every connection
sets ``TimeZone`` to UTC (:mod:`hours_postgres.connection`). A locking read ends with
``FOR NO KEY UPDATE``; a lock on a key without a row is a transaction-level advisory lock.
"""

from __future__ import annotations

from hours_sql import AS_IS, JSON_STRINGS, Dialect, Kind

__all__ = ["POSTGRES"]

POSTGRES = Dialect(
    name="postgresql",
    placeholder="%s",
    codecs={**dict.fromkeys(Kind, AS_IS), Kind.STRINGS: JSON_STRINGS},
    row_lock=" FOR NO KEY UPDATE",
    skip_locked=" FOR UPDATE SKIP LOCKED",
    shared_key_lock="SELECT pg_advisory_xact_lock_shared(CAST(? AS INTEGER), CAST(? AS INTEGER))",
    exclusive_key_lock="SELECT pg_advisory_xact_lock(CAST(? AS INTEGER), CAST(? AS INTEGER))",
    reference_as_text="CAST({column} AS TEXT)",
    # A date minus an integer is a date; date_trunc gives a timestamp, cast back to a date.
    period_starts={
        "week": "({column} - (CAST(EXTRACT(DOW FROM {column}) AS INTEGER) + 7 - {first}) % 7)",
        "month": "CAST(date_trunc('month', {column}) AS DATE)",
        "year": "CAST(date_trunc('year', {column}) AS DATE)",
    },
)
"""PostgreSQL's dialect: ``%s`` parameters, native types for every value, and a row lock that other
writers of the row wait for (``FOR NO KEY UPDATE``: rows that merely refer to it, whose foreign
keys take ``FOR KEY SHARE``, do not)."""
