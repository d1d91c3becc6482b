"""The JSON lines export: one JSON object per entry and line, UTF-8, streamed in chunks.

Members are the column keys, in the column order; values are typed: strings (text, ids, dates
``YYYY-MM-DD``, instants ``2026-03-02T08:00:00Z``, ``hoursMinutes``), integers, booleans,
``null`` for an empty cell, and exact decimal numbers for hours and money (``1.50``, written as
the decimal literal, never through a float). Nothing is escaped against formulas: JSON is data,
not a spreadsheet. With the default columns the file re-imports losslessly with the ``hours``
reader (:func:`~hours_exchange.read_hours_jsonl`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence

from hours_exchange.columns import LONE_SURROGATE, ColumnKind, ExportColumn, Value, select_columns
from hours_exchange.export_rows import ExportRow

__all__ = ["write_jsonl"]

_CHUNK_BYTES = 64 * 1024


_quoted: Callable[[str], str] = json.encoder.encode_basestring
"""The JSON string of a ``str`` (not ASCII-escaped), without a JSONEncoder per call."""


def _string(value: Value) -> str:
    return "null" if value is None else _quoted(str(value))


def _stringified(value: Value) -> str:
    return "null" if value is None else '"' + str(value) + '"'  # ids: hex digits and dashes only


def _instant(value: Value) -> str:
    return "null" if value is None else '"' + value.isoformat().replace("+00:00", "Z") + '"'  # type: ignore[union-attr]


def _literal(value: Value) -> str:
    return "null" if value is None else format(value, "f") if not isinstance(value, int) else str(value)


def _boolean(value: Value) -> str:
    return "null" if value is None else ("true" if value else "false")


_ENCODERS: dict[ColumnKind, Callable[[Value], str]] = {
    ColumnKind.TEXT: _string,
    ColumnKind.ID: _stringified,
    ColumnKind.DATE: _instant,
    ColumnKind.DATETIME: _instant,
    ColumnKind.INTEGER: _literal,
    ColumnKind.DECIMAL: _literal,
    ColumnKind.BOOLEAN: _boolean,
    ColumnKind.CLOCK: _string,
}


def write_jsonl(rows: Iterable[ExportRow], *, columns: str | Sequence[str] | None = None) -> Iterator[bytes]:
    """The JSON lines export of ``rows`` as chunks of bytes (about 64 KiB each).

    Checks ``columns`` now and returns a generator that reads ``rows`` one at a time. A line
    whose text holds a lone surrogate (which UTF-8 cannot carry) is written with ASCII escapes
    (``\\ud800``), so it stays valid, lossless JSON.
    """
    chosen = select_columns(columns)
    return _chunks(rows, chosen)


def _chunks(rows: Iterable[ExportRow], columns: tuple[ExportColumn, ...]) -> Iterator[bytes]:
    prefixes = [
        ("{" if index == 0 else ",") + json.dumps(column.key) + ":" for index, column in enumerate(columns)
    ]
    cells = [
        (prefix, _ENCODERS[column.kind], column.value)
        for prefix, column in zip(prefixes, columns, strict=True)
    ]
    pending: list[bytes] = []
    size = 0
    first = True
    for row in rows:
        line = "".join(prefix + encode(value(row)) for prefix, encode, value in cells) + "}\n"
        try:
            data = line.encode("utf-8")
        except UnicodeEncodeError:
            # Only a JSON string can hold a lone surrogate, so escaping it in place keeps the JSON valid.
            data = LONE_SURROGATE.sub(lambda match: f"\\u{ord(match[0]):04x}", line).encode("utf-8")
        pending.append(data)
        size += len(data)
        if size >= _CHUNK_BYTES or first:  # the first line leaves at once, then 64 KiB at a time
            yield b"".join(pending)
            pending.clear()
            size = 0
            first = False
    if pending:
        yield b"".join(pending)
