"""The JSON lines export: typed members, exact decimals, never escaped against formulas."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

from hours_exchange import COLUMNS, ExportRow, write_export, write_jsonl

from .entries import export_row


def lines(rows: list[ExportRow], **options: object) -> list[dict[str, object]]:
    data = b"".join(write_jsonl(rows, **options))  # type: ignore[arg-type]
    return [json.loads(line, parse_float=Decimal) for line in data.decode().splitlines()]


def test_each_line_is_an_object_with_typed_members_in_column_order() -> None:
    (line,) = lines([export_row()])
    assert list(line) == [column.key for column in COLUMNS]
    assert line["durationSeconds"] == 5400
    assert line["decimalHours"] == Decimal("1.50")
    assert line["billableAmount"] == Decimal("127.50")
    assert line["billable"] is True
    assert line["invoiceId"] is None
    assert line["startedAt"] == "2026-03-02T08:00:00Z"
    assert line["hoursMinutes"] == "1:30"


def test_deleted_at_is_the_last_member_an_instant_or_null() -> None:
    gone = export_row(deleted_at=datetime(2026, 3, 3, 10, 15, tzinfo=UTC))
    live, deleted = lines([export_row(), gone])
    assert list(live)[-1] == "deletedAt"
    assert (live["deletedAt"], deleted["deletedAt"]) == (None, "2026-03-03T10:15:00Z")


def test_decimals_are_written_as_exact_literals() -> None:
    data = b"".join(write_jsonl([export_row()], columns="decimalHours,billableRate"))
    assert data == b'{"decimalHours":1.50,"billableRate":85.00}\n'


def test_formula_like_text_is_never_escaped_in_json() -> None:
    (line,) = lines([export_row(note="=1+1", project_name="-x")], columns="note,projectName")
    assert line == {"note": "=1+1", "projectName": "-x"}


def test_a_lone_surrogate_is_escaped_so_the_line_stays_valid_json() -> None:
    data = b"".join(write_jsonl([export_row(note="a\ud800b \u00e9")], columns="note"))
    assert data == b'{"note":"a\\ud800b \xc3\xa9"}\n'
    assert json.loads(data)["note"] == "a\ud800b \u00e9"


def test_the_first_line_leaves_before_the_second_row_is_read() -> None:
    consumed = 0

    def rows() -> Iterator[ExportRow]:
        nonlocal consumed
        for _ in range(3):
            consumed += 1
            yield export_row()

    chunks = write_export("jsonl", rows())
    assert next(chunks).count(b"\n") == 1
    assert consumed == 1
    assert sum(chunk.count(b"\n") for chunk in chunks) == 2
