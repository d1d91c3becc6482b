"""One entry point per direction, for the use cases: ``write_export`` and ``read_import``."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import tzinfo

from hours_core.errors import ValidationFailed
from hours_core.exchange import ExportFormat, FileFormats
from hours_exchange.clockify import read_clockify
from hours_exchange.csv_export import write_csv
from hours_exchange.export_rows import ExportRow
from hours_exchange.harvest import read_harvest
from hours_exchange.import_rows import (
    DEFAULT_LIMITS,
    DateFormat,
    ImportLimits,
    ImportRow,
    ImportSource,
    RejectedRow,
)
from hours_exchange.jsonl_export import write_jsonl
from hours_exchange.jsonl_import import read_hours_jsonl
from hours_exchange.source_text import ImportData
from hours_exchange.toggl import read_toggl
from hours_exchange.xlsx_export import write_xlsx

__all__ = ["FILE_FORMATS", "ExportFormat", "read_import", "write_export"]


def write_export(
    export_format: ExportFormat | str,
    rows: Iterable[ExportRow],
    *,
    columns: str | Sequence[str] | None = None,
    delimiter: str = "comma",
    bom: bool = True,
) -> Iterator[bytes]:
    """The export of ``rows`` in ``export_format`` as a generator of byte chunks.

    Every argument is checked before the generator is returned (:class:`ValidationFailed`
    naming ``format``, ``columns`` or ``delimiter``), so a caller can answer an error before it
    starts a response. ``delimiter`` and ``bom`` apply to CSV only.
    """
    try:
        chosen = ExportFormat(export_format)
    except ValueError:
        raise ValidationFailed.one("format", f"must be csv, jsonl or xlsx, got {export_format!r}") from None
    if chosen is ExportFormat.CSV:
        return write_csv(rows, columns=columns, delimiter=delimiter, bom=bom)
    if chosen is ExportFormat.JSONL:
        return write_jsonl(rows, columns=columns)
    return write_xlsx(rows, columns=columns)


_Reader = Callable[..., Iterator[ImportRow | RejectedRow]]

_READERS: dict[ImportSource, _Reader] = {
    ImportSource.TOGGL: read_toggl,
    ImportSource.CLOCKIFY: read_clockify,
    ImportSource.HARVEST: read_harvest,
    ImportSource.HOURS: read_hours_jsonl,
}

_NEEDS_TIME_ZONE = frozenset({ImportSource.TOGGL, ImportSource.CLOCKIFY})


def read_import(
    source: ImportSource | str,
    data: ImportData,
    *,
    timezone: str | tzinfo | None = None,
    date_format: DateFormat | str | None = None,
    limits: ImportLimits = DEFAULT_LIMITS,
) -> Iterator[ImportRow | RejectedRow]:
    """The rows of an import file from ``source`` (``toggl``, ``clockify``, ``harvest``, ``hours``).

    ``timezone`` (an IANA name) is required for Toggl and Clockify, whose times are wall-clock
    times; the other two have none. File-level problems raise
    :class:`~hours_exchange.ImportFileError` (now, or while the rows are read); wrong arguments
    raise :class:`ValidationFailed` naming ``source``, ``timezone`` or ``dateFormat``.
    """
    try:
        chosen = ImportSource(source)
    except ValueError:
        raise ValidationFailed.one(
            "source", f"must be toggl, clockify, harvest or hours, got {source!r}"
        ) from None
    if chosen in _NEEDS_TIME_ZONE and timezone is None:
        raise ValidationFailed.one(
            "timezone",
            f"is required for {chosen.value} files: their times are wall-clock times (e.g. Europe/Berlin)",
        )
    return _READERS[chosen](data, timezone=timezone, date_format=date_format, limits=limits)


FILE_FORMATS = FileFormats(write=write_export, read=read_import)
"""Both ports of the core's :class:`~hours_core.exchange.FileFormats`, for the composition root."""
