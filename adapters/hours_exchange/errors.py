"""The errors of the file formats: a file that cannot be read as a whole.

A problem with one row never raises: the readers report it as a :class:`~hours_exchange.RowError`
and go on. These errors are for the file itself (too large, not UTF-8, a required column missing,
dates that stay ambiguous) and may be raised when a reader is called (the header and the date
order are checked before the first row is returned) or, for problems further down the file (a
broken quote, bytes that are not UTF-8, the row limit), while its rows are being read: a consumer
that stores rows as it reads them treats that as the failure of the whole import.

Wrong arguments (an unknown time zone, an unknown export column) are
:class:`~hours_core.errors.ValidationFailed`, like every other wrong parameter.
"""

from __future__ import annotations

from hours_core.errors import HoursError

__all__ = [
    "AmbiguousDateFormat",
    "ImportColumnsMissing",
    "ImportFileError",
    "ImportFileTooLarge",
    "ImportFileUnreadable",
]


class ImportFileError(HoursError):
    """An import file that cannot be read as a whole.

    ``row`` is the 1-based row of the file (the header is row 1) and ``column`` the header of the
    column where the problem is, when it has one.
    """

    code = "import_file_invalid"
    default_message = "The import file cannot be read."

    def __init__(self, message: str | None = None, *, row: int | None = None, column: str | None = None):
        self.row = row
        self.column = column
        super().__init__(message)


class ImportFileTooLarge(ImportFileError):
    """The file is larger than the documented limits (bytes, rows or columns)."""

    code = "import_file_too_large"


class ImportFileUnreadable(ImportFileError):
    """The file is not UTF-8 text, not CSV (or JSON lines) at all, or broken beyond one row."""

    code = "import_file_unreadable"


class ImportColumnsMissing(ImportFileError):
    """The header lacks a column the source always has (``Start date``, ``Hours``, ...)."""

    code = "import_columns_missing"


class AmbiguousDateFormat(ImportFileError):
    """The dates read both month-first and day-first and nothing in the file settles it.

    ``option`` names the reader argument that settles it (``date_format``); the CLI spells it
    ``--date-format``, the API ``dateFormat``.
    """

    code = "ambiguous_date_format"
    option = "date_format"
