"""hours' own JSON lines: an export re-imports losslessly, and a bad line fails alone."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hours_exchange import (
    ExportRow,
    ImportFileTooLarge,
    ImportFileUnreadable,
    ImportLimits,
    ImportRow,
    ImportSource,
    RejectedRow,
    read_hours_jsonl,
    write_jsonl,
)
from hours_exchange.jsonl_import import nesting_exceeds

from .entries import export_row, export_rows
from .odd_files import pipe


def exported(rows: list[ExportRow]) -> bytes:
    return b"".join(write_jsonl(rows))


def imported(data: bytes) -> list[ImportRow | RejectedRow]:
    return list(read_hours_jsonl(data))


def assert_same_entry(original: ExportRow, row: ImportRow) -> None:
    assert row.source is ImportSource.HOURS
    assert (row.user_email, row.user_name) == (original.user_email, original.user_name)
    assert (row.client, row.project, row.task) == (
        original.client_name,
        original.project_name,
        original.task_name,
    )
    assert (row.note, row.billable, row.entry_date) == (original.note, original.billable, original.entry_date)
    assert (row.started_at, row.stopped_at) == (original.started_at, original.stopped_at)
    assert row.duration_seconds == original.duration_seconds
    assert row.deleted_at == original.deleted_at


@given(st.lists(export_rows(), min_size=1, max_size=5))  # an export of nothing is an empty file: below
def test_an_hours_export_imports_back_to_the_same_entries(rows: list[ExportRow]) -> None:
    back = imported(exported(rows))
    assert len(back) == len(rows)
    for original, row in zip(rows, back, strict=True):
        assert isinstance(row, ImportRow), row
        assert_same_entry(original, row)


def test_the_reference_is_the_exported_entrys_id_so_a_later_edit_is_still_a_duplicate() -> None:
    (first,) = imported(exported([export_row()]))
    (edited,) = imported(exported([export_row(note="Design review, take two")]))
    (other,) = imported(exported([export_row(id=export_row().project_id)]))
    assert first.external_ref == edited.external_ref != other.external_ref  # type: ignore[union-attr]


def test_the_exported_id_is_carried_when_it_is_a_uuid() -> None:
    (row,) = imported(exported([export_row()]))
    assert isinstance(row, ImportRow) and row.exported_id == export_row().id
    (hand_made,) = imported(b'{"id":"row-1","entryDate":"2026-03-02","projectName":"P","durationSeconds":1}')
    assert isinstance(hand_made, ImportRow) and hand_made.exported_id is None


def test_deleted_at_is_read_as_utc_and_absent_or_null_is_a_live_entry() -> None:
    line = {"id": "x", "entryDate": "2026-03-02", "projectName": "P", "durationSeconds": 1}
    rows = [
        line,
        {**line, "deletedAt": None},
        {**line, "deletedAt": "2026-03-03T11:15:00+01:00"},
        {**line, "deletedAt": "yesterday"},
        {**line, "deletedAt": 7},
    ]
    absent, null, deleted, wrong, number = imported("\n".join(map(json.dumps, rows)).encode())
    assert isinstance(absent, ImportRow) and absent.deleted_at is None
    assert isinstance(null, ImportRow) and null.deleted_at is None
    assert isinstance(deleted, ImportRow) and deleted.deleted_at == datetime(2026, 3, 3, 10, 15, tzinfo=UTC)
    assert isinstance(wrong, RejectedRow) and isinstance(number, RejectedRow)
    assert [(e.column, e.code) for e in wrong.errors] == [("deletedAt", "invalid_datetime")]
    assert [(e.column, e.code) for e in number.errors] == [("deletedAt", "invalid_type")]


def test_line_numbers_are_rows_and_blank_lines_are_skipped() -> None:
    data = exported([export_row()]) + b"\n\n" + exported([export_row()])
    assert [row.row for row in imported(data)] == [1, 4]


@pytest.mark.parametrize(
    ("change", "column", "code"),
    [
        ({"durationSeconds": 86_401}, "durationSeconds", "invalid_duration"),
        ({"durationSeconds": "5400"}, "durationSeconds", "invalid_duration"),
        ({"durationSeconds": True}, "durationSeconds", "invalid_duration"),
        ({"stoppedAt": None}, "stoppedAt", "running_timer"),
        ({"startedAt": "2026-03-02T08:00:00"}, "startedAt", "invalid_datetime"),
        ({"startedAt": "2026-03-02T08:00:00+00:99"}, "startedAt", "invalid_datetime"),
        ({"startedAt": "2026-03-02T08:00:00-0560"}, "startedAt", "invalid_datetime"),
        ({"startedAt": "2026-03-02T08:00:00+05:30:15"}, "startedAt", "invalid_datetime"),
        ({"startedAt": "2026-03-02 08:00:00Z"}, "startedAt", "invalid_datetime"),
        ({"startedAt": "2026-03-02T08:00:00+0530"}, "startedAt", "invalid_datetime"),
        ({"startedAt": "2026-03-02T08:00+05"}, "startedAt", "invalid_datetime"),
        ({"startedAt": "20260302T080000Z"}, "startedAt", "invalid_datetime"),
        ({"entryDate": "2026-02-30"}, "entryDate", "invalid_date"),
        ({"projectName": None}, "projectName", "missing_value"),
        ({"projectName": 7}, "projectName", "invalid_type"),
        ({"billable": "yes"}, "billable", "invalid_boolean"),
        ({"note": "bell \x07"}, "note", "invalid_note"),
        ({"durationSeconds": 7200}, "durationSeconds", "duration_exceeds_span"),
    ],
)
def test_a_bad_member_fails_its_line_naming_the_member(
    change: dict[str, object], column: str, code: str
) -> None:
    member = json.loads(exported([export_row()]))
    member.update(change)
    (row,) = imported(json.dumps(member).encode())
    assert isinstance(row, RejectedRow)
    assert [(error.row, error.column, error.code) for error in row.errors] == [(1, column, code)]


@pytest.mark.parametrize(
    "line", [b"[1, 2]", b"{", b'{"durationSeconds": NaN}', b'{"id": "a", "id": "b"}', b"\xff"[:0] + b"null"]
)
def test_a_line_that_is_no_json_object_fails_alone(line: bytes) -> None:
    good = exported([export_row()])
    rows = imported(good + line + b"\n" + good)
    assert [type(row).__name__ for row in rows] == ["ImportRow", "RejectedRow", "ImportRow"]
    assert rows[1].errors[0].code == "invalid_json"  # type: ignore[union-attr]


def test_instants_with_any_offset_become_utc() -> None:
    member = json.loads(exported([export_row()]))
    member["startedAt"] = "2026-03-02T09:00:00+01:00"
    (row,) = imported(json.dumps(member).encode())
    assert row.started_at == datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "member", ["note", "projectName", "taskName", "clientName", "userEmail", "userName", "id", "entryDate"]
)
@pytest.mark.parametrize("escape", [chr(0xD800), chr(0xDFFF), chr(0xDC00) + chr(0xD800)])
def test_a_lone_surrogate_escape_fails_its_line_naming_the_member_without_echoing_it(
    member: str, escape: str
) -> None:
    line = json.loads(exported([export_row()]))
    line[member] = f"a{escape}@example.com" if member == "userEmail" else f"x{escape}y"
    data = json.dumps(line).encode()  # ASCII: the surrogate is the escape \udXXX
    assert b"\\ud" in data

    (row,) = imported(data)

    assert isinstance(row, RejectedRow)
    (error,) = row.errors
    assert (error.row, error.column, error.code) == (1, member, "invalid_json")
    assert "lone surrogate" in error.message
    error.message.encode("utf-8")  # what the report sends can be sent


def test_a_surrogate_pair_escape_is_one_character_and_imports() -> None:
    line = json.loads(exported([export_row()]))
    line["note"] = "\U0001f600 done"
    (row,) = imported(json.dumps(line).encode())
    assert isinstance(row, ImportRow)
    assert row.note == "\U0001f600 done"


@pytest.mark.parametrize(
    "line",
    [
        b"[" * 986,
        b'{"id": "a", "x": ' + b"[" * 1000 + b"]" * 1000 + b"}",
        b'{"id": "a", "x": ' + b"{}, " * 10 + b'{"y": ' * 40 + b"1" + b"}" * 40 + b"}",
        b"[" * 33 + b"]" * 33,
    ],
    ids=["986-open-brackets", "1000-nested-arrays", "40-nested-objects", "33-levels"],
)
def test_a_line_nested_deeper_than_32_levels_fails_alone_as_invalid_json(line: bytes) -> None:
    good = exported([export_row()])
    rows = imported(good + line + b"\n" + good)
    assert [type(row).__name__ for row in rows] == ["ImportRow", "RejectedRow", "ImportRow"]
    (error,) = rows[1].errors  # type: ignore[union-attr]
    assert (error.row, error.column, error.code) == (2, None, "invalid_json")
    assert error.message == "nests arrays and objects deeper than 32 levels; at most 32 are allowed"


def test_32_levels_and_brackets_inside_strings_are_fine() -> None:
    line = json.loads(exported([export_row()]))
    line["extra"] = json.loads("[" * 31 + "]" * 31)  # the line's own object is the 32nd level
    line["note"] = "[[[" * 20 + "{{{" * 20
    (row,) = imported(json.dumps(line).encode())
    assert isinstance(row, ImportRow), row
    assert row.note == "[[[" * 20 + "{{{" * 20


json_values = st.recursive(
    st.none() | st.integers() | st.text(st.sampled_from('[]{}"\\ ax')),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text("[{}]", max_size=3), inner, max_size=3)
    ),
    max_leaves=40,
)


@given(st.text(st.sampled_from('[]{}"\\ ax'), max_size=80) | json_values.map(json.dumps), st.integers(0, 12))
def test_the_nesting_scan_agrees_with_the_parser_on_json_and_never_fails(text: str, limit: int) -> None:
    deep = nesting_exceeds(text, limit)  # any text: never raises
    try:
        document = json.loads(text)
    except ValueError:
        return
    assert deep == (depth_of(document) > limit)


def depth_of(value: object) -> int:
    if isinstance(value, list):
        return 1 + max((depth_of(item) for item in value), default=0)
    if isinstance(value, dict):
        return 1 + max((depth_of(item) for item in value.values()), default=0)
    return 0


HUGE = "9" * 5000
"""An integer Python refuses to convert to or from text (over 4,300 digits) without a setting."""


@pytest.mark.parametrize(
    ("member", "raw_value", "code", "message"),
    [
        ("durationSeconds", HUGE, "invalid_duration", "must be an integer in 0..86400, got an integer that is too large"),
        ("durationSeconds", "-" + "9" * 21, "invalid_duration", "must be an integer in 0..86400, got an integer that is too large"),
        ("durationSeconds", "86401", "invalid_duration", "must be an integer in 0..86400, got 86401"),
        ("durationSeconds", "null", "missing_value", "is null; this member is required"),
        ("durationSeconds", "5400.0", "invalid_duration", "must be an integer in 0..86400, got a number with a fraction or exponent"),
        ("durationSeconds", "1e400", "invalid_duration", "must be an integer in 0..86400, got a number with a fraction or exponent"),
        ("durationSeconds", "true", "invalid_duration", "must be an integer in 0..86400, got a boolean"),
        ("durationSeconds", '"5400"', "invalid_duration", "must be an integer in 0..86400, got a string"),
        ("projectName", "[1]", "invalid_type", "must be a string, got an array"),
        ("taskName", "1.5", "invalid_type", "must be a string, got a number with a fraction or exponent"),
        ("note", '{"a": 1}', "invalid_type", "must be a string, got an object"),
        ("userEmail", HUGE, "invalid_type", "must be a string, got an integer that is too large"),
        ("id", "7", "invalid_type", "must be a string, got an integer"),
        ("billable", "[true]", "invalid_boolean", "must be true, false or null, got an array"),
        ("billable", '"yes"', "invalid_boolean", "must be true, false or null, got a string"),
    ],
)  # fmt: skip
def test_a_wrong_member_is_told_in_json_terms_never_in_python_ones(
    member: str, raw_value: str, code: str, message: str
) -> None:
    line = json.loads(exported([export_row()]))
    del line[member]
    data = json.dumps(line)[:-1].encode() + f', "{member}": {raw_value}}}'.encode()

    (row,) = imported(data)

    assert isinstance(row, RejectedRow), row
    assert [(error.column, error.code, error.message) for error in row.errors] == [(member, code, message)]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (b"[1, 2]", "must be a JSON object, got an array"),
        (b"null", "must be a JSON object, got null"),
        (b'"text"', "must be a JSON object, got a string"),
        (b"{", "is not JSON: expecting property name enclosed in double quotes at column 2"),
        (b'{"id": "a", "id": "b"}', 'is not a JSON object: the member "id" appears twice'),
        (b'{"durationSeconds": NaN}', "is not a JSON object: NaN is not a JSON number"),
    ],
)
def test_a_line_that_is_no_json_object_is_told_so_in_json_terms(line: bytes, message: str) -> None:
    (row,) = imported(line)
    assert isinstance(row, RejectedRow)
    assert [(error.column, error.code, error.message) for error in row.errors] == [
        (None, "invalid_json", message)
    ]


def test_a_huge_integer_in_a_member_the_reader_ignores_does_not_fail_the_line() -> None:
    line = exported([export_row()])
    (row,) = imported(line[:-2] + f', "extra": {HUGE}}}\n'.encode())
    assert isinstance(row, ImportRow), row


REQUIRED = ("id", "entryDate", "projectName", "durationSeconds")


@pytest.mark.parametrize("member", REQUIRED)
def test_a_required_member_that_is_absent_or_null_is_missing_value_never_got_null(member: str) -> None:
    line = json.loads(exported([export_row()]))
    del line[member]
    (absent,) = imported(json.dumps(line).encode())
    (null,) = imported(json.dumps({**line, member: None}).encode())

    assert isinstance(absent, RejectedRow) and isinstance(null, RejectedRow)
    assert [(e.column, e.code, e.message) for e in absent.errors] == [
        (member, "missing_value", "is missing; this member is required")
    ]
    assert [(e.column, e.code, e.message) for e in null.errors] == [
        (member, "missing_value", "is null; this member is required")
    ]


@pytest.mark.parametrize(
    ("line", "missing"),
    [
        ("{}", REQUIRED),
        ('{"id": "e-1"}', REQUIRED[1:]),
        ('{"id": "e-1", "entryDate": "2026-03-02", "billable": true}', REQUIRED[2:]),
    ],
)
def test_every_missing_required_member_is_reported_not_only_the_first(
    line: str, missing: tuple[str, ...]
) -> None:
    (row,) = imported(line.encode())
    assert isinstance(row, RejectedRow)
    assert [(e.row, e.column, e.code) for e in row.errors] == [
        (1, member, "missing_value") for member in missing
    ]


def test_every_wrong_member_of_a_line_is_reported_each_with_its_member_and_code() -> None:
    line = {
        "id": "0190c2d4-5a6b-7c8d-9e0f-112233445566",
        "entryDate": "2024-13-01",
        "startedAt": "x",
        "stoppedAt": "y",
        "userEmail": 5,
        "userName": "two\nlines",
        "clientName": ["c"],
        "projectName": "",
        "taskName": 1.5,
        "note": 5,
        "billable": "x",
        "durationSeconds": 99_999_999,
    }

    (row,) = imported(json.dumps(line).encode())

    assert isinstance(row, RejectedRow)
    assert [(e.row, e.column, e.code) for e in row.errors] == [
        (1, "entryDate", "invalid_date"),
        (1, "startedAt", "invalid_datetime"),
        (1, "stoppedAt", "invalid_datetime"),
        (1, "userEmail", "invalid_type"),
        (1, "userName", "invalid_name"),
        (1, "clientName", "invalid_type"),
        (1, "projectName", "invalid_name"),
        (1, "taskName", "invalid_type"),
        (1, "note", "invalid_type"),
        (1, "billable", "invalid_boolean"),
        (1, "durationSeconds", "invalid_duration"),
    ]
    assert row.errors[-1].message == "must be an integer in 0..86400, got 99999999"


def test_a_start_without_a_stop_is_a_running_timer_even_when_the_start_does_not_read() -> None:
    line = json.loads(exported([export_row()]))
    line.update(startedAt="08:00", stoppedAt=None, note="bell \x07")
    (row,) = imported(json.dumps(line).encode())
    assert isinstance(row, RejectedRow)
    assert [(e.column, e.code) for e in row.errors] == [
        ("startedAt", "invalid_datetime"),
        ("stoppedAt", "running_timer"),
        ("note", "invalid_note"),
    ]


def test_the_span_is_checked_only_when_start_stop_and_duration_all_read() -> None:
    line = json.loads(exported([export_row()]))
    line.update(stoppedAt="2026-03-02T08:00:01", durationSeconds=7200)  # no offset: does not read
    (row,) = imported(json.dumps(line).encode())
    assert isinstance(row, RejectedRow)
    assert [(e.column, e.code) for e in row.errors] == [("stoppedAt", "invalid_datetime")]


@pytest.mark.parametrize("seconds", [0, 60])
def test_a_stop_before_the_start_is_end_before_start_on_the_stop_as_in_the_csv_sources(seconds: int) -> None:
    """Not a duration longer than a negative span: the API refuses such a stop, the CSV readers
    call it `end_before_start`, and the JSON lines reader says the same, once, on `stoppedAt`."""
    line = json.loads(exported([export_row()]))
    line.update(startedAt="2026-03-02T10:00:00Z", stoppedAt="2026-03-02T09:59:00Z", durationSeconds=seconds)
    (row,) = imported(json.dumps(line).encode())
    assert isinstance(row, RejectedRow)
    assert [(e.column, e.code) for e in row.errors] == [("stoppedAt", "end_before_start")]
    assert row.errors[0].message == "is earlier than startedAt (2026-03-02T09:59:00Z < 2026-03-02T10:00:00Z)"


def test_a_line_that_is_no_json_object_still_has_one_error_naming_no_member() -> None:
    (row,) = imported(b'[{"id": 5, "durationSeconds": "x"}]')
    assert isinstance(row, RejectedRow)
    assert [(e.column, e.code) for e in row.errors] == [(None, "invalid_json")]


@pytest.mark.parametrize(
    "data",
    [b"", b"\n", b"\n\n   \r\n\t\n", b"\xef\xbb\xbf", b"\xef\xbb\xbf\n \n"],
    ids=["empty", "one-blank-line", "blank-lines", "a-bom", "a-bom-and-blank-lines"],
)
def test_an_empty_file_is_refused_as_unreadable_when_the_reader_is_called(data: bytes) -> None:
    for source in (
        data,
        io.BytesIO(data),
        pipe(data),
        io.StringIO(data.decode()),
    ):
        with pytest.raises(ImportFileUnreadable) as raised:
            read_hours_jsonl(source)  # called, not iterated: refused before any row is asked for
        assert raised.value.code == "import_file_unreadable"
        assert raised.value.message == (
            "The file is empty: it has no lines, or only blank ones; an hours JSON lines export has one "
            "JSON object per line."
        )


def test_an_export_of_no_entries_is_an_empty_file_and_importing_it_is_refused_so() -> None:
    assert exported([]) == b""
    with pytest.raises(ImportFileUnreadable, match="The file is empty"):
        read_hours_jsonl(exported([]))


def test_blank_lines_before_the_first_line_are_skipped_and_counted() -> None:
    data = b"\n  \n" + exported([export_row()])
    for source in (data, pipe(data)):
        assert [row.row for row in read_hours_jsonl(source)] == [3]


def test_a_file_that_is_not_utf_8_is_told_so_in_json_lines_terms_not_csv_ones() -> None:
    for data in (b"\xff\xfe{}\n", exported([export_row()]) + b'{"note": "\xe9"}\n'):
        with pytest.raises(ImportFileUnreadable) as raised:
            list(read_hours_jsonl(data))
        assert raised.value.message.startswith(
            "The file is not UTF-8 text; an hours JSON lines export is UTF-8: export it from hours "
            "again, or save it as UTF-8. ("
        )
        assert "CSV" not in raised.value.message


@pytest.mark.parametrize(("encoding", "row"), [("utf-16-le", 2), ("utf-16-be", 1)])
def test_a_utf_16_file_without_a_byte_order_mark_is_told_it_is_not_utf_8(encoding: str, row: int) -> None:
    """Without its BOM, an export saved as UTF-16 read as UTF-8 (a NUL beside each character) and
    every line failed as ``invalid_json``; the file is now told what it is, in JSON lines terms."""
    data = b"\n" + exported([export_row(), export_row()])
    with pytest.raises(ImportFileUnreadable) as raised:
        list(read_hours_jsonl(data.decode().encode(encoding)))
    assert raised.value.message == (
        "The first line holds NUL characters: the file is probably UTF-16 text, not UTF-8; an hours "
        "JSON lines export is UTF-8: export it from hours again, or save it as UTF-8."
    )
    # The first line that is not blank: in UTF-16-BE the blank line's NUL comes before its line feed.
    assert raised.value.row == row


def test_the_line_limit_error_names_the_line_where_the_limit_was_passed() -> None:
    """Blank lines are counted in line numbers but not against the limit."""
    data = b"{}\n\n{}\n"
    rows = read_hours_jsonl(data, limits=ImportLimits(max_rows=1))
    assert next(rows).row == 1
    with pytest.raises(ImportFileTooLarge) as raised:
        next(rows)
    assert raised.value.row == 3
    assert raised.value.message == (
        "The file has more than 1 lines; line 3 is the first past the limit. Split it by date range."
    )
