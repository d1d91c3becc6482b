"""The values export and import pass between the core and the file formats, and the ports for them.

The file formats themselves (CSV, JSON lines, XLSX; the Toggl, Clockify, Harvest and hours readers)
are an adapter (``hours_exchange``); the use cases (:mod:`hours_core.services.exports`,
:mod:`hours_core.services.imports`) feed it :class:`ExportRow` values and read :class:`ImportRow`
and :class:`RejectedRow` values from it through the two ports of :class:`FileFormats`. See
docs/export-import.md.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime, timedelta, tzinfo
from types import MappingProxyType
from typing import IO, Any, Protocol
from uuid import UUID

import attrs

from hours_core.model import Project, Task, TimeEntry, User

__all__ = [
    "DEFAULT_LIMITS",
    "EXPORT_COLUMNS_VERSION",
    "DateFormat",
    "ExportFormat",
    "ExportRow",
    "ExportWriter",
    "FileFormats",
    "ImportData",
    "ImportLimits",
    "ImportReader",
    "ImportRow",
    "ImportSource",
    "RejectedRow",
    "RowError",
    "utc_or_none",
]

EXPORT_COLUMNS_VERSION = 1
"""The version of the export's column list (docs/export-import.md, "Columns, version 1"): within a
version columns are only ever added at the end."""

ImportData = bytes | bytearray | memoryview | IO[bytes] | IO[str]
"""What a reader accepts: the file's bytes, or a binary or text stream positioned at its start."""


class ImportSource(enum.StrEnum):
    """Where an import file comes from; recorded on every imported entry with its ``external_ref``."""

    TOGGL = "toggl"
    CLOCKIFY = "clockify"
    HARVEST = "harvest"
    HOURS = "hours"


class DateFormat(enum.StrEnum):
    """The order of a numeric date that does not start with the year: ``09/04/2025``."""

    MDY = "MDY"
    """Month first, as in the USA: ``09/04/2025`` is 4 September 2025."""
    DMY = "DMY"
    """Day first, as in most of Europe: ``09/04/2025`` is 9 April 2025."""


def utc_or_none(_instance: object, attribute: attrs.Attribute[Any], value: datetime | None) -> None:
    """An attrs validator: ``value`` is ``None`` or an aware datetime in UTC."""
    if value is not None and value.utcoffset() != timedelta(0):
        raise ValueError(f"{attribute.name} must be an aware UTC datetime, got {value!r}")


def _read_only(value: Mapping[str, str]) -> Mapping[str, str]:
    return value if isinstance(value, MappingProxyType) else MappingProxyType(dict(value))


@attrs.frozen
class RowError:
    """Why one row (or one cell of it) cannot be imported.

    ``row`` is 1-based and counts the header (the first data row of a CSV file is row 2, as a
    spreadsheet shows it; in JSON lines it is the line number). ``column`` is the header of the
    cell as the file spells it, or ``None`` when the problem is the whole row. ``code`` is stable
    snake_case (see docs/export-import.md), ``message`` is for a person.
    """

    row: int
    column: str | None
    code: str
    message: str

    def as_dict(self) -> dict[str, object]:
        """``{row, column, code, message}``, the shape of one entry of an import report's errors."""
        return {"row": self.row, "column": self.column, "code": self.code, "message": self.message}


@attrs.frozen
class RejectedRow:
    """A source row that cannot be imported, with every problem found in it.

    ``external_ref`` and ``exported_id`` (hours' JSON lines, when the line's ``id`` reads) say which
    entry the row is the export of, as for :class:`ImportRow`: the import use case counts the row
    as a duplicate, not as failed, when the organization already holds that entry (its own export
    with a running timer in it: the timer's line does not import, but its entry is there).
    """

    row: int
    errors: tuple[RowError, ...]
    external_ref: str | None = None
    exported_id: UUID | None = None


@attrs.frozen
class ImportRow:
    """One source row, normalized: what an imported time entry is made of.

    Names (user, client, project, task) are as the file spells them, trimmed; matching them to
    hours' users, clients, projects and tasks is the import use case's work. ``billable`` is
    ``None`` when the file does not say (the project's default applies). ``started_at`` and
    ``stopped_at`` are aware UTC datetimes, both or neither (Harvest rows have neither).
    ``duration_seconds`` is in 0..86400 and never longer than the span between them.
    ``deleted_at`` (hours' JSON lines only) is when the exported entry had been deleted, ``None``
    for a live one: the import use case stores such a row as a deleted entry, never as live time.

    ``external_ref`` identifies the source row: the SHA-256 (hex) of what identifies the entry (for
    a row with its start and stop: who (by email, else by name), on what project, with what note,
    and when, not how long, which a duration format rounds; for a row without times, every field),
    so the same row read from the same file, or from another export of the same data (in another
    layout or duration format, for a row with times), gets the same reference (see
    docs/export-import.md). ``earlier_external_refs`` are the references earlier versions of the
    reader gave the same row, those that differ from it (a CSV row's whole content; a timed row's
    reference of 2026-12-07, which hashed the name and the duration too; with its email as written,
    when that is not how users are compared); the import use case counts the row as a
    duplicate when an entry holds any of them. ``exported_id`` (hours' JSON lines only) is
    the id the entry had where it was exported, when the file's ``id`` is a UUID: the import use
    case counts the row as a duplicate when the importing organization has an entry of that id (the
    file is that organization's own export). ``columns`` maps each field name of this
    class to the header of the column it came from in this file, for error messages about a row
    that reads well but cannot be stored (an unknown email, an archived project).
    """

    source: ImportSource
    row: int
    external_ref: str
    entry_date: date
    duration_seconds: int
    user_email: str | None = None
    user_name: str | None = None
    client: str | None = None
    project: str | None = None
    task: str | None = None
    note: str | None = None
    billable: bool | None = None
    started_at: datetime | None = attrs.field(default=None, validator=utc_or_none)
    stopped_at: datetime | None = attrs.field(default=None, validator=utc_or_none)
    tags: tuple[str, ...] = ()
    earlier_external_refs: tuple[str, ...] = ()
    exported_id: UUID | None = None
    deleted_at: datetime | None = attrs.field(default=None, validator=utc_or_none)
    columns: Mapping[str, str] = attrs.field(factory=dict, eq=False, repr=False, converter=_read_only)

    def __attrs_post_init__(self) -> None:
        if (self.started_at is None) != (self.stopped_at is None):
            raise ValueError("started_at and stopped_at go together")
        if self.started_at is not None and self.stopped_at is not None:
            span = (self.stopped_at - self.started_at).total_seconds()
            if span < self.duration_seconds:
                raise ValueError("duration_seconds is longer than the span from started_at to stopped_at")
        if not 0 <= self.duration_seconds <= 86_400:
            raise ValueError(f"duration_seconds must be in 0..86400, got {self.duration_seconds}")


@attrs.frozen
class ImportLimits:
    """What a reader accepts before it refuses the file (documented in docs/export-import.md).

    The defaults suit an upload over the API; the CLI may pass larger ones.
    """

    max_bytes: int = 64 * 1024 * 1024
    """The largest file, in bytes (64 MiB: about 180,000 Clockify rows)."""
    max_rows: int = 500_000
    """The most data rows (or JSON lines)."""
    max_columns: int = 100
    """The most columns in the header."""
    max_row_chars: int = 65_536
    """The longest row, in characters (all its cells together, or one JSON line)."""


DEFAULT_LIMITS = ImportLimits()


def _digits(_instance: object, _attribute: attrs.Attribute[int], value: int) -> None:
    if not 0 <= value <= 4:
        raise ValueError(f"currency_digits must be in 0..4, got {value!r}")


@attrs.frozen
class ExportRow:
    """One time entry as exported: its fields, the names it refers to, and its rate and amounts.

    Money is in integer minor units of ``currency`` (cents for EUR); ``currency_digits`` is the
    currency's number of decimals (2 for EUR, 0 for JPY, 3 for BHD), used to write major units.
    ``billable_rate_minor`` and ``cost_rate_minor`` are the hourly rates the entry stored,
    ``billable_amount_minor`` and ``cost_amount_minor`` what the entry is worth as the reports
    count it (the use case computes them; the writers only format them). All four are ``None``
    when no rate applies. ``user_name`` is ``None`` while hours keeps no display names.
    ``deleted_at`` is when the entry was soft-deleted, ``None`` for a live one (an export of
    deleted entries is asked for: ``include_deleted``).
    """

    id: UUID
    entry_date: date
    duration_seconds: int
    billable: bool
    user_id: UUID
    user_email: str
    project_id: UUID
    project_name: str
    created_at: datetime = attrs.field(validator=utc_or_none)
    updated_at: datetime = attrs.field(validator=utc_or_none)
    started_at: datetime | None = attrs.field(default=None, validator=utc_or_none)
    stopped_at: datetime | None = attrs.field(default=None, validator=utc_or_none)
    note: str | None = None
    invoice_id: UUID | None = None
    user_name: str | None = None
    client_id: UUID | None = None
    client_name: str | None = None
    task_id: UUID | None = None
    task_name: str | None = None
    currency: str | None = None
    currency_digits: int = attrs.field(default=2, validator=_digits)
    billable_rate_minor: int | None = None
    cost_rate_minor: int | None = None
    billable_amount_minor: int | None = None
    cost_amount_minor: int | None = None
    deleted_at: datetime | None = attrs.field(default=None, validator=utc_or_none)

    @property
    def invoiced(self) -> bool:
        """Whether the entry is on an invoice (and so locked)."""
        return self.invoice_id is not None

    @classmethod
    def of(
        cls,
        entry: TimeEntry,
        *,
        user: User,
        project: Project,
        task: Task | None = None,
        user_name: str | None = None,
        client_id: UUID | None = None,
        client_name: str | None = None,
    ) -> ExportRow:
        """The export row of ``entry`` (without money: pass rates with ``attrs.evolve``)."""
        return cls(
            id=entry.id,
            entry_date=entry.entry_date,
            duration_seconds=entry.duration_seconds,
            billable=entry.billable,
            user_id=user.id,
            user_email=user.email,
            user_name=user_name,
            project_id=project.id,
            project_name=project.name,
            task_id=task.id if task is not None else None,
            task_name=task.name if task is not None else None,
            client_id=client_id,
            client_name=client_name,
            note=entry.note,
            invoice_id=entry.invoice_id,
            started_at=entry.started_at,
            stopped_at=entry.stopped_at,
            created_at=entry.created_at,
            updated_at=entry.updated_at,
            deleted_at=entry.deleted_at,
        )


class ExportFormat(enum.StrEnum):
    """The export formats, with the media type and file extension of each."""

    CSV = "csv"
    JSONL = "jsonl"
    XLSX = "xlsx"

    @property
    def media_type(self) -> str:
        """The ``Content-Type`` of the export."""
        return {
            ExportFormat.CSV: "text/csv; charset=utf-8",
            ExportFormat.JSONL: "application/jsonl",
            ExportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }[self]

    @property
    def extension(self) -> str:
        """The file name extension, without the dot."""
        return self.value


class ExportWriter(Protocol):
    """Writes an export: a generator of byte chunks, its arguments checked before it is returned.

    A wrong ``columns`` or ``delimiter`` raises :class:`~hours_core.errors.ValidationFailed` when
    called, so that a caller can refuse the request before anything is sent.
    """

    def __call__(
        self,
        export_format: ExportFormat,
        rows: Iterable[ExportRow],
        *,
        columns: str | Sequence[str] | None = None,
        delimiter: str = "comma",
        bom: bool = True,
    ) -> Iterator[bytes]:
        """The export of ``rows`` as byte chunks, read from ``rows`` one at a time."""
        ...


class ImportReader(Protocol):
    """Reads an import file: one :class:`ImportRow` or :class:`RejectedRow` per source row.

    File-level problems raise a :class:`~hours_core.errors.HoursError` (when called, or while the
    rows are read); wrong arguments raise :class:`~hours_core.errors.ValidationFailed` naming
    ``source``, ``timezone`` or ``date_format``.
    """

    def __call__(
        self,
        source: ImportSource | str,
        data: ImportData,
        *,
        timezone: str | tzinfo | None = None,
        date_format: DateFormat | str | None = None,
        limits: ImportLimits = ...,
    ) -> Iterator[ImportRow | RejectedRow]:
        """The rows of the file, read lazily."""
        ...


@attrs.frozen
class FileFormats:
    """The file formats the export and import use cases write and read (wired by the composition root)."""

    write: ExportWriter
    read: ImportReader
