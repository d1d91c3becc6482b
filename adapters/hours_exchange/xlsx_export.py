"""The XLSX export: typed cells, streamed as the rows are read, in constant memory.

No XLSX library for Python streams its output: xlsxwriter's ``constant_memory`` mode and
openpyxl's write-only mode keep memory flat, but both write the rows to a temporary file and
build the ZIP archive only when the workbook is closed, so the first byte would leave after the
last row was read (and the whole sheet would sit on disk first). This writer streams instead:
the workbook's few fixed parts are small constant XML documents, the worksheet is written row by
row into a ZIP member as it is read (Python's ``zipfile`` writing to a non-seekable sink, with
data descriptors), and every compressed chunk leaves as soon as ``zlib`` hands it over. Memory
holds one chunk of rows and the compressor's window, whatever the number of rows.

Cells are typed (docs/export-import.md, "XLSX"): numbers are numbers, dates and instants are
date-formatted serial numbers (instants in UTC: Excel has no time zones), booleans are
booleans, ``hoursMinutes`` is a duration formatted ``[h]:mm``, and text is an inline string:
never a formula, so no guard is needed and none is added. A sheet holds at most 1,048,576 rows
(Excel's limit, the header included); more rows continue on a second sheet, and so on.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal

from hours_exchange.columns import ColumnKind, ExportColumn, Value, select_columns, utf8
from hours_exchange.export_rows import ExportRow

__all__ = ["SHEET_ROW_LIMIT", "write_xlsx"]

SHEET_ROW_LIMIT = 1_048_576
"""Excel's rows per sheet, the header row included."""

_SHEET_BYTE_LIMIT = 1_800_000_000
"""A sheet's XML stays below the 2 GiB a ZIP member holds without ZIP64 extensions."""

_FLUSH_CHARS = 256 * 1024
_EPOCH = date(1899, 12, 30)
_ZIP_DATE = (2000, 1, 1, 0, 0, 0)

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_DOC_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

# Style indexes into cellXfs of _STYLES.
_HEADER, _DATE, _DATETIME, _CLOCK = 1, 2, 3, 4
_DECIMALS = {0: 5, 1: 6, 2: 7, 3: 8, 4: 9}

_STYLES = (
    _DECLARATION + f'<styleSheet xmlns="{_MAIN}">'
    '<numFmts count="7">'
    '<numFmt numFmtId="164" formatCode="yyyy\\-mm\\-dd"/>'
    '<numFmt numFmtId="165" formatCode="yyyy\\-mm\\-dd\\ hh:mm:ss"/>'
    '<numFmt numFmtId="166" formatCode="[h]:mm"/>'
    '<numFmt numFmtId="167" formatCode="0.0"/>'
    '<numFmt numFmtId="168" formatCode="0.000"/>'
    '<numFmt numFmtId="169" formatCode="0.0000"/>'
    '<numFmt numFmtId="170" formatCode="0"/>'
    "</numFmts>"
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="10">'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="166" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="170" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="167" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="2" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="168" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="169" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)

_ROOT_RELS = (
    _DECLARATION + f'<Relationships xmlns="{_PKG_RELS}">'
    f'<Relationship Id="rId1" Type="{_DOC_RELS}/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)

_WIDTHS = {
    ColumnKind.TEXT: 24,
    ColumnKind.ID: 38,
    ColumnKind.DATE: 11,
    ColumnKind.DATETIME: 20,
    ColumnKind.INTEGER: 12,
    ColumnKind.DECIMAL: 12,
    ColumnKind.BOOLEAN: 9,
    ColumnKind.CLOCK: 10,
}

# Text in OOXML: XML 1.0 cannot hold most C0 controls, so they are written as _xHHHH_ (which
# Excel decodes); a literal "_xHHHH_" in the text therefore escapes its underscore (_x005F_).
# A carriage return is a character reference, since XML parsers turn a raw one into a line feed.
_NEEDS_ESCAPE = re.compile("[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|_(?=x[0-9A-Fa-f]{4}_)")
_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;", "_": "_x005F_"}


def _escape_character(match: re.Match[str]) -> str:
    char = match[0]
    return _ESCAPES.get(char) or f"_x{ord(char):04X}_"


def xml_text(text: str) -> str:
    """``text`` as the content of an OOXML ``<t>`` element."""
    return _NEEDS_ESCAPE.sub(_escape_character, text)


def _attribute(text: str) -> str:
    return xml_text(text).replace('"', "&quot;")


def _inline(text: str) -> str:
    space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
    return f'<c t="inlineStr"><is><t{space}>{xml_text(text)}</t></is></c>'


def _text_cell(value: Value) -> str:
    return "<c/>" if value is None or value == "" else _inline(str(value))


def _integer_cell(value: Value) -> str:
    return "<c/>" if value is None else f"<c><v>{value}</v></c>"


def _decimal_cell(value: Value) -> str:
    if value is None:
        return "<c/>"
    assert isinstance(value, Decimal)
    exponent = value.as_tuple().exponent
    digits = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    return f'<c s="{_DECIMALS.get(digits, _DECIMALS[4])}"><v>{format(value, "f")}</v></c>'


def _boolean_cell(value: Value) -> str:
    return "<c/>" if value is None else f'<c t="b"><v>{1 if value else 0}</v></c>'


def _date_cell(value: Value) -> str:
    if value is None:
        return "<c/>"
    assert isinstance(value, date)
    return f'<c s="{_DATE}"><v>{(value - _EPOCH).days}</v></c>'


def _datetime_cell(value: Value) -> str:
    if value is None:
        return "<c/>"
    assert isinstance(value, datetime)
    days = (value.date() - _EPOCH).days
    seconds = value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1_000_000
    return f'<c s="{_DATETIME}"><v>{days + seconds / 86_400!r}</v></c>'


def _clock_cell(value: Value) -> str:
    if value is None:
        return "<c/>"
    hours, minutes = str(value).split(":")
    return f'<c s="{_CLOCK}"><v>{(int(hours) * 60 + int(minutes)) / 1440!r}</v></c>'


_CELLS: dict[ColumnKind, Callable[[Value], str]] = {
    ColumnKind.TEXT: _text_cell,
    ColumnKind.ID: _text_cell,
    ColumnKind.DATE: _date_cell,
    ColumnKind.DATETIME: _datetime_cell,
    ColumnKind.INTEGER: _integer_cell,
    ColumnKind.DECIMAL: _decimal_cell,
    ColumnKind.BOOLEAN: _boolean_cell,
    ColumnKind.CLOCK: _clock_cell,
}


class _Sink(io.RawIOBase):
    """Where ``zipfile`` writes: a list of chunks that the generator hands on. Not seekable."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self._chunks.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        data = b"".join(self._chunks)
        self._chunks.clear()
        return data


def write_xlsx(
    rows: Iterable[ExportRow], *, columns: str | Sequence[str] | None = None, sheet_name: str = "Time entries"
) -> Iterator[bytes]:
    """The XLSX export of ``rows`` as chunks of bytes.

    Checks ``columns`` now and returns a generator that reads ``rows`` one at a time and yields
    compressed bytes as soon as there are some (the first leave after the first few hundred rows).
    ``sheet_name`` (at most 25 characters, none of ``[]:*?/\\``) names the first sheet; more
    sheets, when one is full, add `` (2)``, `` (3)``...
    """
    chosen = select_columns(columns)
    if not sheet_name or len(sheet_name) > 25 or any(char in sheet_name for char in "[]:*?/\\"):
        raise ValueError(f"sheet_name must be 1..25 characters without []:*?/\\, got {sheet_name!r}")
    return _chunks(rows, chosen, sheet_name)


def _member(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def _sheet_start(columns: tuple[ExportColumn, ...]) -> str:
    widths = "".join(
        f'<col min="{index}" max="{index}" width="{_WIDTHS[column.kind]}" customWidth="1"/>'
        for index, column in enumerate(columns, start=1)
    )
    header = "".join(
        f'<c t="inlineStr" s="{_HEADER}"><is><t>{xml_text(column.key)}</t></is></c>' for column in columns
    )
    return (
        _DECLARATION + f'<worksheet xmlns="{_MAIN}" xmlns:r="{_DOC_RELS}">'
        '<sheetViews><sheetView workbookViewId="0">'
        '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
        "</sheetView></sheetViews>"
        f"<cols>{widths}</cols><sheetData>"
        f'<row r="1">{header}</row>'
    )


_SHEET_END = "</sheetData></worksheet>"


def _chunks(rows: Iterable[ExportRow], columns: tuple[ExportColumn, ...], sheet_name: str) -> Iterator[bytes]:
    sink = _Sink()
    cells = [(_CELLS[column.kind], column.value) for column in columns]
    start = _sheet_start(columns)
    iterator = iter(rows)
    upcoming = next(iterator, None)
    sheets = 0
    with zipfile.ZipFile(sink, mode="w", compression=zipfile.ZIP_DEFLATED) as archive:
        while sheets == 0 or upcoming is not None:
            sheets += 1
            with archive.open(_member(f"xl/worksheets/sheet{sheets}.xml"), mode="w") as sheet:
                pending = [start]
                size = len(start)
                written = 0
                number = 1
                while upcoming is not None and number < SHEET_ROW_LIMIT and written < _SHEET_BYTE_LIMIT:
                    number += 1
                    line = (
                        f'<row r="{number}">'
                        + "".join(cell(value(upcoming)) for cell, value in cells)
                        + "</row>"
                    )
                    pending.append(line)
                    size += len(line)
                    if size >= _FLUSH_CHARS:
                        data = utf8("".join(pending))
                        sheet.write(data)
                        written += len(data)
                        pending.clear()
                        size = 0
                        if chunk := sink.take():
                            yield chunk
                    upcoming = next(iterator, None)
                pending.append(_SHEET_END)
                sheet.write(utf8("".join(pending)))
            if chunk := sink.take():
                yield chunk
        _write_package(archive, sheets, sheet_name)
    yield sink.take()


def _write_package(archive: zipfile.ZipFile, sheets: int, sheet_name: str) -> None:
    names = [sheet_name if number == 1 else f"{sheet_name} ({number})" for number in range(1, sheets + 1)]
    workbook = (
        _DECLARATION
        + f'<workbook xmlns="{_MAIN}" xmlns:r="{_DOC_RELS}"><sheets>'
        + "".join(
            f'<sheet name="{_attribute(name)}" sheetId="{number}" r:id="rId{number}"/>'
            for number, name in enumerate(names, start=1)
        )
        + "</sheets></workbook>"
    )
    relations = (
        _DECLARATION
        + f'<Relationships xmlns="{_PKG_RELS}">'
        + "".join(
            f'<Relationship Id="rId{number}" Type="{_DOC_RELS}/worksheet" '
            f'Target="worksheets/sheet{number}.xml"/>'
            for number in range(1, sheets + 1)
        )
        + f'<Relationship Id="rId{sheets + 1}" Type="{_DOC_RELS}/styles" Target="styles.xml"/>'
        "</Relationships>"
    )
    content_types = (
        _DECLARATION + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/styles.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        + "".join(
            f'<Override PartName="/xl/worksheets/sheet{number}.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            for number in range(1, sheets + 1)
        )
        + "</Types>"
    )
    for name, text in (
        ("xl/styles.xml", _STYLES),
        ("xl/workbook.xml", workbook),
        ("xl/_rels/workbook.xml.rels", relations),
        ("_rels/.rels", _ROOT_RELS),
        ("[Content_Types].xml", content_types),
    ):
        archive.writestr(_member(name), text.encode("utf-8"))
