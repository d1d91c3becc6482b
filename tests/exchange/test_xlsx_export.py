"""The XLSX export, read back with openpyxl: typed cells, no formulas, streaming, more sheets when full."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hours_exchange import COLUMNS, ExportRow, write_xlsx, xlsx_export

from .entries import export_row, export_rows


def workbook(rows: list[ExportRow] | Iterator[ExportRow], **options: object) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(b"".join(write_xlsx(rows, **options))))  # type: ignore[arg-type]


def cells(book: openpyxl.Workbook, row: int = 2) -> dict[str, object]:
    sheet = book.worksheets[0]
    header = [cell.value for cell in sheet[1]]
    return dict(zip(header, [cell.value for cell in sheet[row]], strict=True))


def test_cells_are_typed_numbers_dates_booleans_and_text() -> None:
    book = workbook([export_row(invoice_id=None)])
    sheet = book.worksheets[0]
    assert sheet.title == "Time entries"
    values = cells(book)
    assert list(values) == [column.key for column in COLUMNS]
    assert values["entryDate"] == datetime(2026, 3, 2, 0, 0)
    assert sheet["B2"].number_format == "yyyy\\-mm\\-dd"
    assert values["startedAt"] == datetime(2026, 3, 2, 8, 0)
    assert values["durationSeconds"] == 5400
    assert values["decimalHours"] == 1.5
    assert sheet.cell(2, 19).number_format == "0.00"
    assert values["hoursMinutes"] == timedelta(hours=1, minutes=30)
    assert values["billable"] is True
    assert values["invoiced"] is False
    assert values["invoiceId"] is None
    assert values["billableAmount"] == 127.5
    assert values["note"] == "Design review"
    assert values["id"] == "0190c2d4-5a6b-7c8d-9e0f-112233445566"
    assert [cell.data_type for cell in sheet[2]][:3] == ["s", "d", "d"]


def test_deleted_at_is_the_last_column_a_utc_date_time_or_an_empty_cell() -> None:
    gone = export_row(deleted_at=datetime(2026, 3, 3, 10, 15, tzinfo=UTC))
    book = workbook([export_row(), gone])
    live, deleted = cells(book, 2), cells(book, 3)
    assert list(live)[-1] == "deletedAt"
    assert (live["deletedAt"], deleted["deletedAt"]) == (None, datetime(2026, 3, 3, 10, 15))
    assert book.worksheets[0].cell(3, len(COLUMNS)).is_date


def test_text_that_looks_like_a_formula_stays_text_without_a_quote() -> None:
    book = workbook([export_row(note="=SUM(A1:A9)", project_name="+cmd", user_email="@x.example")])
    sheet = book.worksheets[0]
    values = cells(book)
    assert (values["note"], values["projectName"], values["userEmail"]) == (
        "=SUM(A1:A9)",
        "+cmd",
        "@x.example",
    )
    assert all(cell.data_type != "f" for cell in sheet[2])
    raw = zipfile.ZipFile(io.BytesIO(b"".join(write_xlsx([export_row(note="=SUM(A1)")])))).read(
        "xl/worksheets/sheet1.xml"
    )
    assert b"<f>" not in raw
    assert b"<f " not in raw


def test_line_breaks_tabs_carriage_returns_and_edge_spaces_survive() -> None:
    note = "  two\r\nlines\tand & <tags> "
    assert cells(workbook([export_row(note=note)]))["note"] == note


def test_control_characters_and_literal_escapes_are_written_the_ooxml_way() -> None:
    data = b"".join(write_xlsx([export_row(note="bell\x07 and _x0041_")], columns="note"))
    raw = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    assert b"bell_x0007_ and _x005F_x0041_" in raw


def test_a_second_sheet_continues_when_the_first_is_full(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(xlsx_export, "SHEET_ROW_LIMIT", 3)
    rows = [export_row(duration_seconds=seconds) for seconds in range(5)]
    book = workbook(rows, columns="durationSeconds")
    assert book.sheetnames == ["Time entries", "Time entries (2)", "Time entries (3)"]
    values = [[cell.value for cell in row] for sheet in book.worksheets for row in sheet.iter_rows()]
    assert values == [["durationSeconds"], [0], [1], ["durationSeconds"], [2], [3], ["durationSeconds"], [4]]


def test_an_export_that_fills_a_sheet_exactly_has_no_empty_extra_sheet(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(xlsx_export, "SHEET_ROW_LIMIT", 3)
    assert workbook([export_row(), export_row()]).sheetnames == ["Time entries"]


def test_an_empty_export_is_a_workbook_with_the_header_only() -> None:
    book = workbook([])
    assert [[cell.value for cell in row] for row in book.worksheets[0].iter_rows()] == [
        [c.key for c in COLUMNS]
    ]


def test_the_first_bytes_leave_before_the_last_row_is_read() -> None:
    consumed = 0

    def rows() -> Iterator[ExportRow]:
        nonlocal consumed
        for _ in range(20_000):
            consumed += 1
            yield export_row()

    chunks = write_xlsx(rows())
    first = next(chunks)
    assert first.startswith(b"PK\x03\x04")
    assert consumed < 5_000
    rest = b"".join(chunks)
    assert consumed == 20_000
    sheet = openpyxl.load_workbook(io.BytesIO(first + rest), read_only=True).worksheets[0]
    assert sum(1 for _ in sheet.iter_rows(values_only=True)) == 20_001


def test_instants_keep_their_time_to_the_millisecond() -> None:
    started = datetime(2026, 3, 2, 8, 0, 1, 250_000, tzinfo=UTC)
    value = cells(workbook([export_row(started_at=started, stopped_at=started + timedelta(hours=2))]))[
        "startedAt"
    ]
    assert isinstance(value, datetime)
    assert abs(value - started.replace(tzinfo=None)) < timedelta(milliseconds=1)


@settings(max_examples=25)
@given(st.lists(export_rows(), min_size=1, max_size=3))
def test_any_rows_read_back_with_their_values_and_types(rows: list[ExportRow]) -> None:
    book = workbook(rows)
    for number, row in enumerate(rows, start=2):
        values = cells(book, number)
        assert values["durationSeconds"] == row.duration_seconds
        assert values["entryDate"] == datetime.combine(row.entry_date, datetime.min.time())
        assert values["billable"] is row.billable
        assert values["projectName"] == row.project_name
        assert values["note"] == (row.note or None)
        assert values["taskName"] == row.task_name


def test_a_bad_sheet_name_is_refused() -> None:
    with pytest.raises(ValueError, match="sheet_name"):
        write_xlsx([], sheet_name="a/b")


def test_dates_are_excel_serials_from_1899_12_30() -> None:
    raw = zipfile.ZipFile(
        io.BytesIO(b"".join(write_xlsx([export_row(entry_date=date(2026, 3, 2))], columns="entryDate")))
    )
    assert b"<v>46083</v>" in raw.read("xl/worksheets/sheet1.xml")
