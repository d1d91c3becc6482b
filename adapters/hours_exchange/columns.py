"""The export columns, version 1: their keys, kinds, and values.

Every format writes the same columns under the same keys (the CSV header, the JSON member name),
each in the format's own types (see docs/export-import.md, "Columns"). The list is versioned:
within version 1 columns may be added at the end, never renamed, removed, reordered or given
another meaning; anything else is version 2. ``deletedAt`` is the one added so far.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

import attrs

from hours_core.errors import ValidationFailed
from hours_core.exchange import EXPORT_COLUMNS_VERSION
from hours_exchange.export_rows import ExportRow

__all__ = [
    "COLUMNS",
    "COLUMNS_VERSION",
    "LONE_SURROGATE",
    "ColumnKind",
    "ExportColumn",
    "Value",
    "decimal_hours",
    "hours_minutes",
    "select_columns",
    "utf8",
]

COLUMNS_VERSION = EXPORT_COLUMNS_VERSION
"""The version of the column list; exports say it (``Hours-Export-Version``, docs)."""

Value = str | int | bool | Decimal | date | datetime | UUID | None
"""A cell before a format writes it."""


class ColumnKind(enum.Enum):
    """What a column holds, which decides how each format writes it."""

    TEXT = "text"
    """Free text: names, notes, emails. The only kind CSV guards against formula injection."""
    ID = "id"
    """A UUID."""
    DATE = "date"
    """A calendar date."""
    DATETIME = "datetime"
    """An instant, in UTC."""
    INTEGER = "integer"
    """A whole number."""
    DECIMAL = "decimal"
    """An exact decimal number (hours, money in major units)."""
    BOOLEAN = "boolean"
    """True or false."""
    CLOCK = "clock"
    """A duration as ``h:mm``."""


@attrs.frozen
class ExportColumn:
    """One export column: its key, its kind, and how to read its value from a row."""

    key: str
    kind: ColumnKind
    value: Callable[[ExportRow], Value]
    description: str


def decimal_hours(seconds: int) -> Decimal:
    """Hours with two decimals, rounded half up: 5400 -> 1.50, 18 -> 0.01, 17 -> 0.00."""
    return Decimal((seconds + 18) // 36).scaleb(-2)


def hours_minutes(seconds: int) -> str:
    """``h:mm``, rounded half up to the minute: 5400 -> 1:30, 5430 -> 1:31, 86400 -> 24:00."""
    minutes = (seconds + 30) // 60
    return f"{minutes // 60}:{minutes % 60:02d}"


def _money(row: ExportRow, minor: int | None) -> Decimal | None:
    return None if minor is None else Decimal(minor).scaleb(-row.currency_digits)


COLUMNS: tuple[ExportColumn, ...] = (
    ExportColumn("id", ColumnKind.ID, lambda r: r.id, "the time entry's id"),
    ExportColumn("entryDate", ColumnKind.DATE, lambda r: r.entry_date, "the day the time belongs to"),
    ExportColumn("startedAt", ColumnKind.DATETIME, lambda r: r.started_at, "start (UTC), or empty"),
    ExportColumn("stoppedAt", ColumnKind.DATETIME, lambda r: r.stopped_at, "end (UTC), or empty"),
    ExportColumn("userId", ColumnKind.ID, lambda r: r.user_id, "the user's id"),
    ExportColumn("userEmail", ColumnKind.TEXT, lambda r: r.user_email, "the user's email"),
    ExportColumn("userName", ColumnKind.TEXT, lambda r: r.user_name, "the user's name, or empty"),
    ExportColumn("clientId", ColumnKind.ID, lambda r: r.client_id, "the project's client's id, or empty"),
    ExportColumn("clientName", ColumnKind.TEXT, lambda r: r.client_name, "the client's name, or empty"),
    ExportColumn("projectId", ColumnKind.ID, lambda r: r.project_id, "the project's id"),
    ExportColumn("projectName", ColumnKind.TEXT, lambda r: r.project_name, "the project's name"),
    ExportColumn("taskId", ColumnKind.ID, lambda r: r.task_id, "the task's id, or empty"),
    ExportColumn("taskName", ColumnKind.TEXT, lambda r: r.task_name, "the task's name, or empty"),
    ExportColumn("note", ColumnKind.TEXT, lambda r: r.note, "the note, or empty"),
    ExportColumn("billable", ColumnKind.BOOLEAN, lambda r: r.billable, "billable or not"),
    ExportColumn("invoiced", ColumnKind.BOOLEAN, lambda r: r.invoiced, "on an invoice (locked) or not"),
    ExportColumn("invoiceId", ColumnKind.ID, lambda r: r.invoice_id, "the invoice's id, or empty"),
    ExportColumn(
        "durationSeconds", ColumnKind.INTEGER, lambda r: r.duration_seconds, "the duration in seconds"
    ),
    ExportColumn(
        "decimalHours", ColumnKind.DECIMAL, lambda r: decimal_hours(r.duration_seconds), "hours, two decimals"
    ),
    ExportColumn("hoursMinutes", ColumnKind.CLOCK, lambda r: hours_minutes(r.duration_seconds), "h:mm"),
    ExportColumn("currency", ColumnKind.TEXT, lambda r: r.currency, "ISO 4217 code of the money columns"),
    ExportColumn(
        "billableRate", ColumnKind.DECIMAL, lambda r: _money(r, r.billable_rate_minor), "stored hourly rate"
    ),
    ExportColumn(
        "costRate", ColumnKind.DECIMAL, lambda r: _money(r, r.cost_rate_minor), "stored hourly cost"
    ),
    ExportColumn(
        "billableAmount", ColumnKind.DECIMAL, lambda r: _money(r, r.billable_amount_minor), "billable amount"
    ),
    ExportColumn("costAmount", ColumnKind.DECIMAL, lambda r: _money(r, r.cost_amount_minor), "cost amount"),
    ExportColumn(
        "createdAt", ColumnKind.DATETIME, lambda r: r.created_at, "when the entry was created (UTC)"
    ),
    ExportColumn("updatedAt", ColumnKind.DATETIME, lambda r: r.updated_at, "when it last changed (UTC)"),
    ExportColumn(
        "deletedAt", ColumnKind.DATETIME, lambda r: r.deleted_at, "when it was deleted (UTC), or empty"
    ),
)
"""Version 1, in the default order: the default export writes every column, those added to
version 1 since (at the end: ``deletedAt``) included."""

_BY_KEY = {column.key.casefold(): column for column in COLUMNS}


def select_columns(columns: str | Sequence[str] | None = None) -> tuple[ExportColumn, ...]:
    """The columns to write, in order: all of them for ``None``, else the named ones.

    ``columns`` is a sequence of keys or one comma-separated string (``"entryDate,note"``); keys
    match case-insensitively. An unknown, repeated or empty choice is :class:`ValidationFailed`
    naming ``columns``.
    """
    if columns is None:
        return COLUMNS
    keys = [key.strip() for key in columns.split(",")] if isinstance(columns, str) else [*columns]
    if not keys or any(not key for key in keys):
        raise ValidationFailed.one(
            "columns", "must name at least one column, separated by commas, with none empty"
        )
    chosen: list[ExportColumn] = []
    for key in keys:
        column = _BY_KEY.get(key.casefold()) if isinstance(key, str) else None
        if column is None:
            raise ValidationFailed.one(
                "columns",
                f"has the unknown column {key!r}; the columns are: {', '.join(c.key for c in COLUMNS)}",
            )
        if column in chosen:
            raise ValidationFailed.one("columns", f"names the column {column.key!r} twice")
        chosen.append(column)
    return tuple(chosen)


LONE_SURROGATE = re.compile("[\ud800-\udfff]")
"""A UTF-16 surrogate on its own: Python strings may hold one, UTF-8 cannot."""


def utf8(text: str) -> bytes:
    """``text`` as UTF-8 for CSV and XLSX; a lone surrogate (which UTF-8 cannot hold) becomes U+FFFD."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return LONE_SURROGATE.sub("\ufffd", text).encode("utf-8")
