"""What is in an hours SQLite file, for operator commands: tables, their rows, columns and indexes.

This is where sqlite-utils' introspection earns its place: ``Database.table_names()``,
``Table.count``, ``Table.columns``, ``Table.indexes`` and ``Table.strict`` read SQLite's catalog
(``sqlite_schema`` and the ``PRAGMA`` table functions) so that this module does not. It runs on a
read-only connection, inside one read transaction, so every figure comes from one snapshot.
"""

from __future__ import annotations

import attrs
from sqlite_utils import Database

from hours_sql import OUTBOX_TABLES, TABLES

__all__ = ["ColumnDescription", "IndexDescription", "TableDescription", "describe", "table_counts"]


@attrs.frozen
class ColumnDescription:
    """A column as SQLite declares it."""

    name: str
    type: str
    not_null: bool
    primary_key: bool


@attrs.frozen
class IndexDescription:
    """An index: its name, its columns in order, and whether it is unique or partial."""

    name: str
    columns: tuple[str, ...]
    unique: bool
    partial: bool


@attrs.frozen
class TableDescription:
    """A table of hours: how many rows it holds, and its declared shape."""

    name: str
    rows: int
    strict: bool
    columns: tuple[ColumnDescription, ...]
    indexes: tuple[IndexDescription, ...]


def _hours_tables(db: Database) -> list[str]:
    """The tables of hours that the file holds (none before it is migrated), referred-to ones first."""
    present = set(db.table_names())
    names = [*(table.name for table in TABLES), *OUTBOX_TABLES]
    return [name for name in names if name in present]


def table_counts(db: Database) -> dict[str, int]:
    """How many rows each table of hours holds."""
    return {name: db[name].count for name in _hours_tables(db)}


def describe(db: Database) -> tuple[TableDescription, ...]:
    """Every table of hours: rows, columns and indexes, as SQLite has them."""
    described = []
    for name in _hours_tables(db):
        table = db.table(name)
        described.append(
            TableDescription(
                name=name,
                rows=table.count,
                strict=table.strict,
                columns=tuple(
                    ColumnDescription(column.name, column.type, bool(column.notnull), bool(column.is_pk))
                    for column in table.columns
                ),
                indexes=tuple(
                    IndexDescription(
                        name=index.name,
                        columns=tuple(index.columns),
                        unique=bool(index.unique),
                        partial=bool(index.partial),
                    )
                    for index in sorted(table.indexes, key=lambda index: index.name)
                ),
            )
        )
    return tuple(described)
