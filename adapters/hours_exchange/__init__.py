"""hours_exchange: the file formats of hours' exports and imports.

Writers stream an export of :class:`ExportRow` values as CSV, JSON lines or XLSX (generators of
byte chunks, constant memory); readers turn Toggl, Clockify and Harvest CSV exports and hours'
own JSON lines into normalized :class:`ImportRow` values, one :class:`RejectedRow` per bad row.
This package knows files only: matching names to users and projects, storing, idempotency and
the import report belong to the use cases. The formats and rules are in docs/export-import.md.
"""

from hours_exchange.clockify import read_clockify
from hours_exchange.columns import COLUMNS, COLUMNS_VERSION, ColumnKind, ExportColumn, select_columns
from hours_exchange.csv_export import guard_formula, write_csv
from hours_exchange.errors import (
    AmbiguousDateFormat,
    ImportColumnsMissing,
    ImportFileError,
    ImportFileTooLarge,
    ImportFileUnreadable,
)
from hours_exchange.export_rows import ExportRow
from hours_exchange.formats import FILE_FORMATS, ExportFormat, read_import, write_export
from hours_exchange.harvest import read_harvest
from hours_exchange.import_rows import (
    DEFAULT_LIMITS,
    DateFormat,
    ImportLimits,
    ImportRow,
    ImportSource,
    RejectedRow,
    RowError,
)
from hours_exchange.jsonl_export import write_jsonl
from hours_exchange.jsonl_import import read_hours_jsonl
from hours_exchange.source_text import ImportData
from hours_exchange.toggl import read_toggl
from hours_exchange.xlsx_export import SHEET_ROW_LIMIT, write_xlsx

__all__ = [
    "COLUMNS",
    "COLUMNS_VERSION",
    "DEFAULT_LIMITS",
    "FILE_FORMATS",
    "SHEET_ROW_LIMIT",
    "AmbiguousDateFormat",
    "ColumnKind",
    "DateFormat",
    "ExportColumn",
    "ExportFormat",
    "ExportRow",
    "ImportColumnsMissing",
    "ImportData",
    "ImportFileError",
    "ImportFileTooLarge",
    "ImportFileUnreadable",
    "ImportLimits",
    "ImportRow",
    "ImportSource",
    "RejectedRow",
    "RowError",
    "guard_formula",
    "read_clockify",
    "read_harvest",
    "read_hours_jsonl",
    "read_import",
    "read_toggl",
    "select_columns",
    "write_csv",
    "write_export",
    "write_jsonl",
    "write_xlsx",
]
