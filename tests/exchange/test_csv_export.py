"""The CSV export: RFC 4180, BOM, delimiters, versioned columns, and the formula-injection guard."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from hours_core.errors import ValidationFailed
from hours_exchange import COLUMNS, ColumnKind, ExportRow, guard_formula, write_csv, write_export
from hours_exchange.csv_export import FORMULA_TRIGGERS

from .entries import export_row, export_rows

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def written(rows: list[ExportRow], **options: object) -> bytes:
    return b"".join(write_csv(rows, **options))  # type: ignore[arg-type]


def parsed(data: bytes, delimiter: str = ",") -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=delimiter))


def test_the_file_starts_with_a_bom_and_the_versioned_header_and_ends_rows_in_crlf() -> None:
    data = written([export_row()])
    assert data.startswith(b"\xef\xbb\xbfid,entryDate,startedAt,stoppedAt,userId,userEmail,")
    assert data.endswith(b"\r\n")
    assert data.count(b"\r\n") == 2
    header, row = parsed(data)
    assert header == [column.key for column in COLUMNS]
    cells = dict(zip(header, row, strict=True))
    assert cells == {
        "id": "0190c2d4-5a6b-7c8d-9e0f-112233445566",
        "entryDate": "2026-03-02",
        "startedAt": "2026-03-02T08:00:00Z",
        "stoppedAt": "2026-03-02T09:30:00Z",
        "userId": "0190c2d4-0000-7000-8000-000000000001",
        "userEmail": "ada@example.com",
        "userName": "Ada Lovelace",
        "clientId": "0190c2d4-0000-7000-8000-000000000004",
        "clientName": "Acme GmbH",
        "projectId": "0190c2d4-0000-7000-8000-000000000002",
        "projectName": "Website relaunch",
        "taskId": "0190c2d4-0000-7000-8000-000000000003",
        "taskName": "Design",
        "note": "Design review",
        "billable": "true",
        "invoiced": "false",
        "invoiceId": "",
        "durationSeconds": "5400",
        "decimalHours": "1.50",
        "hoursMinutes": "1:30",
        "currency": "EUR",
        "billableRate": "85.00",
        "costRate": "40.00",
        "billableAmount": "127.50",
        "costAmount": "60.00",
        "createdAt": "2026-03-02T17:00:00Z",
        "updatedAt": "2026-03-02T17:00:00Z",
        "deletedAt": "",
    }


def test_deleted_at_is_the_last_column_an_instant_for_a_deleted_entry_and_empty_for_a_live_one() -> None:
    gone = export_row(deleted_at=datetime(2026, 3, 3, 10, 15, tzinfo=UTC))
    header, live, deleted = parsed(written([export_row(), gone]))
    assert header[-1] == "deletedAt" and header[:-1] == [column.key for column in COLUMNS[:-1]]
    assert (live[-1], deleted[-1]) == ("", "2026-03-03T10:15:00Z")


def test_bom_false_drops_the_byte_order_mark() -> None:
    assert written([export_row()], bom=False).startswith(b"id,entryDate,")


@pytest.mark.parametrize(("name", "char"), [("comma", ","), ("semicolon", ";"), ("tab", "\t")])
def test_each_delimiter_separates_the_cells(name: str, char: str) -> None:
    rows = parsed(written([export_row(note="a, b; c\td")], delimiter=name), delimiter=char)
    assert rows[1][[column.key for column in COLUMNS].index("note")] == "a, b; c\td"
    assert len(rows[1]) == len(COLUMNS)


def test_columns_pick_and_order_the_cells() -> None:
    data = written([export_row()], columns="durationSeconds, entryDate,NOTE")
    assert parsed(data) == [["durationSeconds", "entryDate", "note"], ["5400", "2026-03-02", "Design review"]]


@pytest.mark.parametrize(
    ("columns", "message"),
    [
        ("entryDate,color", "unknown column 'color'"),
        ("note,note", "twice"),
        ("", "at least one"),
        ("note,", "none empty"),
    ],
)
def test_a_wrong_column_choice_is_refused_before_anything_is_written(columns: str, message: str) -> None:
    with pytest.raises(ValidationFailed, match=message) as raised:
        write_csv(iter(()), columns=columns)
    assert set(raised.value.fields) == {"columns"}


def test_an_unknown_delimiter_or_format_is_refused_naming_it() -> None:
    with pytest.raises(ValidationFailed) as delimiter:
        write_csv([], delimiter="pipe")
    assert set(delimiter.value.fields) == {"delimiter"}
    with pytest.raises(ValidationFailed) as format_:
        write_export("pdf", [])
    assert set(format_.value.fields) == {"format"}


@pytest.mark.parametrize(
    ("note", "cell"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1 call", "'+1 call"),
        ("-5 minutes", "'-5 minutes"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tindented", "'\tindented"),
        ("\rreturn", "'\rreturn"),
        ("a=b", "a=b"),
        ("'quoted", "'quoted"),
        ("'=x", "''=x"),  # so that dropping one leading quote gives the note back
        ("''-1", "'''-1"),
        ("''", "''"),
        (" =spaced", " =spaced"),
    ],
)
def test_text_that_starts_like_a_formula_gets_a_leading_quote(note: str, cell: str) -> None:
    (_, row) = parsed(written([export_row(note=note, project_name=note.strip() or "x")], columns="note"))
    assert row == [cell]


def test_numbers_are_never_altered_and_names_are_guarded_too() -> None:
    row = export_row(project_name="=cmd|' /C calc'!A0", user_email="-@example.com", duration_seconds=0)
    (_, cells) = parsed(
        written([row], columns="projectName,userEmail,durationSeconds,decimalHours,billableAmount")
    )
    assert cells == ["'=cmd|' /C calc'!A0", "'-@example.com", "0", "0.00", "127.50"]


@pytest.mark.parametrize(
    ("seconds", "decimal", "clock"),
    [
        (0, "0.00", "0:00"),
        (17, "0.00", "0:00"),
        (18, "0.01", "0:00"),
        (30, "0.01", "0:01"),
        (5430, "1.51", "1:31"),
        (86_400, "24.00", "24:00"),
    ],
)
def test_decimal_hours_and_h_mm_round_half_up(seconds: int, decimal: str, clock: str) -> None:
    (_, cells) = parsed(written([export_row(duration_seconds=seconds)], columns="decimalHours,hoursMinutes"))
    assert cells == [decimal, clock]


def test_money_is_written_in_major_units_with_the_currencys_decimals() -> None:
    yen = export_row(
        currency="JPY", currency_digits=0, billable_rate_minor=12000, billable_amount_minor=18000
    )
    none = export_row(
        currency=None,
        billable_rate_minor=None,
        cost_rate_minor=None,
        billable_amount_minor=None,
        cost_amount_minor=None,
    )
    (_, first, second) = parsed(
        written([yen, none], columns="currency,billableRate,billableAmount,costAmount")
    )
    assert first == ["JPY", "12000", "18000", "6000"]
    assert second == ["", "", "", ""]


def test_the_header_leaves_before_any_row_is_read() -> None:
    consumed: list[int] = []

    def rows() -> Iterator[ExportRow]:
        for number in range(3):
            consumed.append(number)
            yield export_row()

    chunks = write_csv(rows())
    assert next(chunks).startswith(b"\xef\xbb\xbfid,")
    assert consumed == []
    assert b"".join(chunks).count(b"\r\n") == 3


def test_a_lone_surrogate_becomes_a_replacement_character_instead_of_breaking_the_file() -> None:
    (_, cells) = parsed(written([export_row(note="bad \ud800 text")], columns="note"))
    assert cells == ["bad \ufffd text"]


def expected_cell(kind: ColumnKind, text: str) -> str:
    return guard_formula(text) if kind is ColumnKind.TEXT else text


@given(st.lists(export_rows(), max_size=4), st.sampled_from(["comma", "semicolon", "tab"]))
@example([export_row(note='=1+1\r\n"x"', user_name="@x", client_name="-")], "comma")
def test_csv_parses_back_to_the_cells_apart_from_the_injection_quote(
    rows: list[ExportRow], delimiter: str
) -> None:
    char = {"comma": ",", "semicolon": ";", "tab": "\t"}[delimiter]
    header, *lines = parsed(written(rows, delimiter=delimiter), delimiter=char)
    assert header == [column.key for column in COLUMNS]
    assert len(lines) == len(rows)
    for row, line in zip(rows, lines, strict=True):
        for column, cell in zip(COLUMNS, line, strict=True):
            value = column.value(row)
            if column.kind is ColumnKind.TEXT:
                assert cell == ("" if value is None else guard_formula(str(value)))
                unquoted = (
                    cell[1:] if cell.startswith("'") and str(value).startswith(FORMULA_STARTS) else cell
                )
                assert unquoted == ("" if value is None else str(value))
            assert not cell.startswith(FORMULA_STARTS), (column.key, cell)


def unguarded(cell: str) -> str:
    """What docs/export-import.md tells a reader to do: drop one leading ``'`` from a text cell that
    begins with one or more ``'`` followed by one of the six triggers."""
    return cell[1:] if cell.startswith("'") and cell.lstrip("'").startswith(FORMULA_TRIGGERS) else cell


@given(st.text(alphabet=st.sampled_from("'=+-@\t\rab "), max_size=6) | st.text(max_size=20))
def test_the_documented_undo_gives_back_every_text(text: str) -> None:
    cell = guard_formula(text)
    assert not cell.startswith(FORMULA_TRIGGERS)
    assert unguarded(cell) == text
