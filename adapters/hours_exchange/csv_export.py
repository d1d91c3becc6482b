"""The CSV export: RFC 4180, UTF-8 (with a byte-order mark by default), streamed in chunks.

The header row is the column keys; rows end in CRLF; a field is quoted when it holds the
delimiter, a quote, CR or LF (quotes doubled). Text cells are guarded against formula injection
(OWASP): one that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is written
with a leading ``'``, so that a spreadsheet shows it as text instead of running it. Only text
columns (names, emails, notes, the currency) are guarded; numbers, dates, ids and booleans are
written as they are and never altered.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Sequence

from hours_core.errors import ValidationFailed
from hours_exchange.columns import ColumnKind, ExportColumn, Value, select_columns, utf8
from hours_exchange.export_rows import ExportRow

__all__ = ["DELIMITERS", "FORMULA_TRIGGERS", "guard_formula", "write_csv"]

DELIMITERS = {"comma": ",", "semicolon": ";", "tab": "\t"}
"""The ``delimiter`` choices and the character each one writes."""

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
"""The first characters that make a spreadsheet read a cell as a formula (OWASP CSV injection)."""

_BOM = "\ufeff"
_CHUNK_CHARS = 64 * 1024


def guard_formula(text: str) -> str:
    """``text`` with a leading ``'`` when, past any leading ``'``, it begins with a formula trigger,
    else unchanged. The ``'``s count, so that dropping one leading ``'`` from a cell of that kind
    always gives the text back: ``'=x`` is written ``''=x``, and read back as ``'=x``."""
    return "'" + text if text.lstrip("'").startswith(FORMULA_TRIGGERS) else text


def _text(value: Value) -> str:
    return "" if value is None else guard_formula(str(value))


def _plain(value: Value) -> str:
    return "" if value is None else str(value)


def _boolean(value: Value) -> str:
    return "" if value is None else ("true" if value else "false")


def _instant(value: Value) -> str:
    return "" if value is None else value.isoformat().replace("+00:00", "Z")  # type: ignore[union-attr]


def _decimal(value: Value) -> str:
    return "" if value is None else format(value, "f")


_FORMATTERS: dict[ColumnKind, Callable[[Value], str]] = {
    ColumnKind.TEXT: _text,
    ColumnKind.ID: _plain,
    ColumnKind.DATE: _instant,
    ColumnKind.DATETIME: _instant,
    ColumnKind.INTEGER: _plain,
    ColumnKind.DECIMAL: _decimal,
    ColumnKind.BOOLEAN: _boolean,
    ColumnKind.CLOCK: _plain,
}


def csv_cell(column: ExportColumn, row: ExportRow) -> str:
    """The text of one cell as the CSV export writes it (before CSV quoting)."""
    return _FORMATTERS[column.kind](column.value(row))


def write_csv(
    rows: Iterable[ExportRow],
    *,
    columns: str | Sequence[str] | None = None,
    delimiter: str = "comma",
    bom: bool = True,
) -> Iterator[bytes]:
    """The CSV export of ``rows`` as chunks of bytes (about 64 KiB each).

    Checks the arguments now (``columns`` as :func:`~hours_exchange.select_columns`,
    ``delimiter`` one of ``comma``, ``semicolon``, ``tab``: else :class:`ValidationFailed`) and
    returns a generator. Its first chunk is the BOM and the header, before any row is read;
    then it reads ``rows`` one at a time, so memory stays flat however many there are.
    """
    chosen = select_columns(columns)
    if delimiter not in DELIMITERS:
        raise ValidationFailed.one("delimiter", f"must be comma, semicolon or tab, got {delimiter!r}")
    return _chunks(rows, chosen, DELIMITERS[delimiter], bom)


def _chunks(
    rows: Iterable[ExportRow], columns: tuple[ExportColumn, ...], delimiter: str, bom: bool
) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    if bom:
        buffer.write(_BOM)
    writer.writerow([column.key for column in columns])
    yield _drain(buffer)
    cells = [(_FORMATTERS[column.kind], column.value) for column in columns]
    for row in rows:
        writer.writerow([format_(value(row)) for format_, value in cells])
        if buffer.tell() >= _CHUNK_CHARS:
            yield _drain(buffer)
    if buffer.tell():
        yield _drain(buffer)


def _drain(buffer: io.StringIO) -> bytes:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return utf8(text)
