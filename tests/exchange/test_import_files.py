"""What every reader does with the file as a whole: encodings, line ends, streams, limits, references."""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hours_core.caseless import caseless
from hours_core.emails import email_key
from hours_core.errors import ValidationFailed
from hours_core.timezones import timezone_problem
from hours_exchange import (
    ImportFileTooLarge,
    ImportFileUnreadable,
    ImportLimits,
    ImportRow,
    RejectedRow,
    read_import,
    read_toggl,
)

from .odd_files import pipe

TEXT = (
    "User,Email,Project,Description,Start date,Start time,End date,End time,Duration\n"
    "Ada,ada@example.com,Website,First,2025-01-10,09:00:00,2025-01-10,10:00:00,01:00:00\n"
    'Ada,ada@example.com,Website,"Two\nlines",2025-01-10,11:00:00,2025-01-10,11:30:00,00:30:00\n'
)


def rows_of(data: object, **options: object) -> list[ImportRow | RejectedRow]:
    return list(read_toggl(data, timezone=options.pop("timezone", "UTC"), **options))  # type: ignore[arg-type]


def test_a_bom_crlf_and_no_final_newline_read_exactly_like_the_plain_file() -> None:
    plain = rows_of(TEXT.encode())
    dressed = rows_of(("\ufeff" + TEXT.replace("\n", "\r\n")).rstrip("\r\n").encode())
    assert dressed == plain
    assert [row.external_ref for row in dressed] == [row.external_ref for row in plain]  # type: ignore[union-attr]
    assert plain[1].note == "Two\nlines"  # type: ignore[union-attr]


def test_the_reference_does_not_depend_on_column_order_or_quoting() -> None:
    reordered = (
        '"Duration","End time","End date","Start time","Start date","Description","Project","Email","User"\n'
        '"01:00:00","10:00:00","2025-01-10","09:00:00","2025-01-10","First","Website","ada@example.com","Ada"\n'
    )
    assert rows_of(reordered.encode())[0].external_ref == rows_of(TEXT.encode())[0].external_ref  # type: ignore[union-attr]


def test_a_different_row_has_a_different_reference() -> None:
    changed = rows_of(TEXT.replace("First", "Frist").encode())
    assert changed[0].external_ref != rows_of(TEXT.encode())[0].external_ref  # type: ignore[union-attr]
    assert changed[1].external_ref == rows_of(TEXT.encode())[1].external_ref  # type: ignore[union-attr]


def test_binary_streams_text_streams_and_unseekable_pipes_read_the_same() -> None:
    expected = rows_of(TEXT.encode())

    assert rows_of(io.BytesIO(TEXT.encode())) == expected
    assert rows_of(io.StringIO(TEXT)) == expected
    assert rows_of(pipe(TEXT.encode())) == expected


def test_a_file_that_is_not_utf8_is_refused_with_the_way_out() -> None:
    with pytest.raises(ImportFileUnreadable, match="UTF-8") as raised:
        rows_of(TEXT.replace("First", "Für").encode("latin-1"))
    assert raised.value.code == "import_file_unreadable"


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_a_utf_16_file_without_a_byte_order_mark_is_told_it_is_not_utf_8(encoding: str) -> None:
    """ASCII in UTF-16 is valid UTF-8 with a NUL beside each letter: the file was refused for
    missing columns, listed as ``U\x00s\x00e\x00r\x00``, instead of being told what it is."""
    with pytest.raises(
        ImportFileUnreadable, match="probably UTF-16 text, not UTF-8; export it again"
    ) as raised:
        rows_of(TEXT.encode(encoding))
    assert raised.value.code == "import_file_unreadable"
    assert raised.value.row == 1


def test_an_empty_file_is_refused() -> None:
    with pytest.raises(ImportFileUnreadable, match="empty"):
        rows_of(b"")
    with pytest.raises(ImportFileUnreadable, match="empty"):
        rows_of(b"\xef\xbb\xbf\r\n")


def test_a_header_without_rows_reads_as_no_rows() -> None:
    assert rows_of(TEXT.splitlines()[0].encode()) == []


def test_a_quote_left_open_is_refused_as_unreadable() -> None:
    broken = (
        TEXT + 'Ada,x@example.com,Website,"open,2025-01-10,12:00:00,2025-01-10,12:30:00,00:30:00\n' + "x" * 10
    )
    with pytest.raises(ImportFileUnreadable, match="quote"):
        rows_of(broken.encode(), limits=ImportLimits(max_row_chars=100))


def test_a_row_with_the_wrong_number_of_fields_is_rejected_alone() -> None:
    text = TEXT + "Ada,ada@example.com,Website,oops\n" + TEXT.splitlines()[1] + "\n"
    rows = rows_of(text.encode())
    assert [type(row).__name__ for row in rows] == ["ImportRow", "ImportRow", "RejectedRow", "ImportRow"]
    (error,) = rows[2].errors  # type: ignore[union-attr]
    assert (error.row, error.column, error.code) == (4, None, "wrong_field_count")  # row 3 spans two lines


def test_blank_lines_are_skipped_but_counted_in_row_numbers() -> None:
    lines = TEXT.split("\n")
    text = lines[0] + "\n\n,,,,,,,,\n" + lines[1] + "\n"
    (row,) = rows_of(text.encode())
    assert row.row == 4


def test_a_file_over_the_byte_limit_is_refused_from_bytes_and_from_a_stream() -> None:
    limits = ImportLimits(max_bytes=100)
    with pytest.raises(ImportFileTooLarge, match="100 bytes"):
        rows_of(TEXT.encode(), limits=limits)
    with pytest.raises(ImportFileTooLarge):
        rows_of(io.BufferedReader(io.BytesIO(TEXT.encode())), limits=limits)


def test_more_rows_than_the_limit_refuse_the_file_in_the_date_pass_before_any_row() -> None:
    with pytest.raises(ImportFileTooLarge, match="more than 1 rows") as raised:
        read_toggl(TEXT.encode(), timezone="UTC", limits=ImportLimits(max_rows=1))
    assert raised.value.row == 3


def test_the_row_limit_error_names_the_row_of_the_file_where_the_limit_was_passed() -> None:
    """Blank lines are counted in row numbers but not against the limit: with a blank line before
    them, the second data row is row 4 of the file."""
    lines = TEXT.split("\n")
    text = "\n".join([lines[0], "", lines[1], lines[1].replace("First", "Second")]) + "\n"
    with pytest.raises(ImportFileTooLarge) as raised:
        read_toggl(text.encode(), timezone="UTC", limits=ImportLimits(max_rows=1))
    assert raised.value.row == 4
    assert raised.value.message == (
        "The file has more than 1 rows; row 4 is the first past the limit (the header is row 1). "
        "Split it by date range."
    )


def test_more_rows_than_the_limit_stop_the_file_while_it_is_read_when_the_date_format_is_given() -> None:
    rows = read_toggl(TEXT.encode(), timezone="UTC", date_format="DMY", limits=ImportLimits(max_rows=1))
    assert isinstance(next(rows), ImportRow)
    with pytest.raises(ImportFileTooLarge, match="more than 1 rows"):
        next(rows)


def test_a_header_with_too_many_columns_is_refused() -> None:
    with pytest.raises(ImportFileTooLarge, match="columns"):
        rows_of(TEXT.encode(), limits=ImportLimits(max_columns=5))


def test_a_row_longer_than_the_limit_is_rejected_alone() -> None:
    long_note = "x" * 300
    text = (
        TEXT + f"Ada,ada@example.com,Website,{long_note},2025-01-10,12:00:00,2025-01-10,12:30:00,00:30:00\n"
    )
    rows = rows_of(text.encode(), limits=ImportLimits(max_row_chars=200))
    assert rows[2].errors[0].code == "row_too_long"  # type: ignore[union-attr]


def test_a_repeated_known_column_is_refused() -> None:
    with pytest.raises(ImportFileUnreadable, match="same thing"):
        rows_of(b"Project,Start date,Duration,duration\nWebsite,2025-01-10,01:00:00,01:00:00\n")


def test_a_note_over_5000_characters_and_bad_names_are_rejected() -> None:
    text = (
        "Project,Task,Description,Start date,Duration\n"
        + f"Website,\x07bell,{'n' * 5001},2025-01-10,01:00:00\n"
    )
    (row,) = rows_of(text.encode())
    assert isinstance(row, RejectedRow)
    assert sorted((error.column, error.code) for error in row.errors) == [
        ("Description", "note_too_long"),
        ("Task", "invalid_name"),
    ]


def test_an_unknown_time_zone_is_a_validation_error_naming_timezone() -> None:
    with pytest.raises(ValidationFailed) as raised:
        rows_of(TEXT.encode(), timezone="Mars/Olympus_Mons")
    assert set(raised.value.fields) == {"timezone"}


def test_read_import_needs_a_time_zone_for_wall_clock_sources_only() -> None:
    with pytest.raises(ValidationFailed) as raised:
        read_import("toggl", TEXT.encode())
    assert set(raised.value.fields) == {"timezone"}
    harvest = b"Date,Project,Hours\n2025-01-10,Website,1.5\n"
    assert [row.duration_seconds for row in read_import("harvest", harvest)] == [5400]  # type: ignore[union-attr]
    with pytest.raises(ValidationFailed) as unknown:
        read_import("excel", harvest)
    assert set(unknown.value.fields) == {"source"}


def test_rows_are_read_lazily_one_at_a_time() -> None:
    def lines() -> Iterator[str]:
        yield TEXT
        for _ in range(100_000):
            yield "Ada,ada@example.com,Website,More,2025-01-10,12:00:00,2025-01-10,12:30:00,00:30:00\n"

    data = "".join(lines()).encode()
    rows = read_toggl(data, timezone="UTC")
    first = next(rows)
    assert isinstance(first, ImportRow)
    assert first.row == 2
    assert sum(1 for _ in rows) == 100_001


REFERENCES_BEFORE_FOLDING = {
    "ada@example.com": (
        "32169304f424768c87e9db0c64c31b2be71346e760cfeea4b1b0de2844bba6a9",
        "22f4f1ce050df2c8c89466a47d9bff5b98a15cd01f7f9702f38b64c0bd710b49",
    ),
    "Ada@Example.COM": (
        "84d8e590c3f61b5831287eccf4a611b7baa04d2b0793c6b6a459b73c7a7233bf",
        "2de374faaf1a74cafc43e8217a0c5760bf6a98eb58141db175853617dce6aa38",
    ),
}
"""The references of TEXT's two rows, with its email so spelled, as hours stored them before emails were
folded (the email as written), from the reader of commit 451df87."""


@pytest.mark.parametrize(
    "spelling", ["ada@example.com", "Ada@Example.COM", "ADA@EXAMPLE.COM", " ada@EXAMPLE.com"]
)
def test_the_reference_folds_the_email_s_case_as_users_are_matched(spelling: str) -> None:
    rows = rows_of(TEXT.replace("ada@example.com", spelling).encode())
    assert [row.external_ref for row in rows] == content_references(rows_of(TEXT.encode()), fold=True)  # type: ignore[arg-type, union-attr]
    assert [row.earlier_external_refs[0] for row in rows] == list(
        REFERENCES_BEFORE_FOLDING["ada@example.com"]
    )  # type: ignore[union-attr]
    assert [row.user_email for row in rows] == [spelling.strip()] * 2  # type: ignore[union-attr]


def test_a_lower_case_email_carries_the_references_hours_stored_before_as_its_earlier_ones() -> None:
    rows = rows_of(TEXT.encode())
    assert [row.earlier_external_refs for row in rows] == [  # type: ignore[union-attr]
        (whole, identity)
        for whole, identity in zip(
            REFERENCES_BEFORE_FOLDING["ada@example.com"], REFERENCES_OF_2026_12_07, strict=True
        )
    ]
    assert all(row.external_ref not in row.earlier_external_refs for row in rows)  # type: ignore[union-attr]


def test_an_email_that_folding_changes_also_carries_the_reference_hours_stored_before_the_folding() -> None:
    rows = rows_of(TEXT.replace("ada@example.com", "Ada@Example.COM").encode())
    assert [row.earlier_external_refs for row in rows] == list(  # type: ignore[union-attr]
        zip(
            REFERENCES_BEFORE_FOLDING["ada@example.com"],
            REFERENCES_OF_2026_12_07,
            REFERENCES_BEFORE_FOLDING["Ada@Example.COM"],
            strict=True,
        )
    )


REFERENCES_OF_AN_ASCII_DOMAIN = [
    "c0c40d55debdb0b829d8c83044d9adebbb970258da54a49c1b3800dc9e9ca399",
    "49070e864de8969953fb6e6dd1c5ae2506edb36bbf004e3a8826948587d4ece5",
]
"""The references of TEXT's two rows with the email ``ada@xn--caf-dma.test``, as hours stored them before
0029 (from the reader of commit ab693a4)."""


def test_an_email_of_an_ascii_domain_keeps_its_reference_after_0029() -> None:
    """Users compare ``xn--caf-dma`` as ``café`` since 0029; a reference keeps the domain as written, so
    that a file imported before finds its rows again."""
    rows = rows_of(TEXT.replace("ada@example.com", "ada@xn--caf-dma.test").encode())
    assert [row.earlier_external_refs[0] for row in rows] == REFERENCES_OF_AN_ASCII_DOMAIN  # type: ignore[union-attr]
    assert [row.external_ref for row in rows] == content_references(rows, fold=False)  # type: ignore[arg-type, union-attr]


IDENTITY = ("user", "project", "note", "entry_date", "started_at", "stopped_at")
"""What a timed row's reference hashes (docs/export-import.md, "external_ref"): ``user`` is the folded
email, or the user's name where the row has no email."""

IDENTITY_OF_2026_12_07 = (
    "user_email",
    "user_name",
    "project",
    "note",
    "entry_date",
    "started_at",
    "stopped_at",
    "duration_seconds",
)
"""What a timed row's reference hashed on 2026-12-07 (bf425ff), now one of its earlier references."""

REFERENCES_OF_2026_12_07 = [
    "158d7c16902b57a1be9655b82bcf70fe9f44785cc978217c55b60effb0d96575",
    "d4ddae4ac88f4fcda4781414500b2f9b8e9a6e4ccc443f82d14b95c8b253f30e",
]
"""TEXT's two references as the reader of bf425ff gave them (with any spelling of the email)."""

WHOLE_CONTENT = (
    "user_email", "user_name", "client", "project", "task", "note", "billable", "entry_date",
    "started_at", "stopped_at", "duration_seconds", "tags",
)  # fmt: skip
"""What a reference hashed before: every field."""


def content_references(rows: list[ImportRow], *, fold: bool, names: tuple[str, ...] = IDENTITY) -> list[str]:
    """The references of ``rows`` by the reader's rule, restated: the SHA-256 of the source and the
    fields ``names`` as canonical JSON (with the email as written, or with ``fold`` as users are
    compared), the n-th copy of the same content hashed again with its number."""
    seen: dict[bytes, int] = {}
    references = []
    for row in rows:
        content: list[object] = [row.source.value]
        for name in names:
            if name == "user":
                value = row.user_name if row.user_email is None else caseless(row.user_email)
            else:
                value = getattr(row, name)
            if name == "user_email" and value is not None and fold:
                value = email_key(value)
            content.append(
                list(value) if name == "tags" else value.isoformat() if hasattr(value, "isoformat") else value
            )
        digest = hashlib.sha256(
            json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode()
        ).digest()
        copy = seen[digest[:16]] = seen.get(digest[:16], 0) + 1
        references.append(
            digest.hex() if copy == 1 else hashlib.sha256(digest + f"#{copy}".encode()).hexdigest()
        )
    return references


@given(
    st.lists(
        st.tuples(
            st.sampled_from(
                ["", "ada@x.test", "Ada@X.test", "ADA@X.TEST", "bo@x.test", "Straße@x.test", "strasse@x.test"]
            ),
            st.sampled_from(["a", "b"]),
            st.sampled_from(["", "Design", "Review"]),
            st.sampled_from(["Yes", "No"]),
        ),
        min_size=1,
        max_size=12,
    )
)
def test_each_row_has_the_reference_of_its_identity_and_the_references_stored_before(
    cells: list[tuple[str, str, str, str]],
) -> None:
    head = "User,Email,Project,Task,Billable,Description,Start date,Start time,End date,End time,Duration\n"
    body = "".join(
        f"Ada,{email},Website,{task},{billable},{note},2025-01-10,09:00:00,2025-01-10,10:00:00,01:00:00\n"
        for email, note, task, billable in cells
    )
    rows = rows_of((head + body).encode())
    assert all(isinstance(row, ImportRow) for row in rows)
    good = [row for row in rows if isinstance(row, ImportRow)]

    assert [row.external_ref for row in good] == content_references(good, fold=True)
    assert [row.earlier_external_refs[0] for row in good] == content_references(
        good, fold=True, names=WHOLE_CONTENT
    )
    assert [row.earlier_external_refs[1] for row in good] == content_references(
        good, fold=True, names=IDENTITY_OF_2026_12_07
    )
    as_written = content_references(good, fold=False, names=WHOLE_CONTENT)
    assert all(
        reference in row.earlier_external_refs for reference, row in zip(as_written, good, strict=True)
    )
    assert all(row.external_ref not in row.earlier_external_refs for row in good)
    assert all(len(set(row.earlier_external_refs)) == len(row.earlier_external_refs) for row in good)


def test_a_row_without_times_keeps_the_reference_of_its_whole_content() -> None:
    """A row without times (Harvest's) hashes its task and client too, which tell a day's entries of
    one project apart; it is the reference such a row always had, so it has no earlier one."""
    text = (
        "Date,Client,Project,Task,Notes,Hours,Billable?,First Name,Last Name\n"
        "2025-02-04,Acme,Website,Design,,2,No,Ada,Lovelace\n"
        "2025-02-04,Acme,Website,Meetings,,2,No,Ada,Lovelace\n"
    )
    rows = list(read_import("harvest", text.encode()))
    good = [row for row in rows if isinstance(row, ImportRow)]
    assert len(good) == 2
    assert [row.external_ref for row in good] == content_references(good, fold=True, names=WHOLE_CONTENT)
    assert [row.earlier_external_refs for row in good] == [(), ()]
    assert good[0].external_ref != good[1].external_ref


def test_a_layout_without_the_columns_an_export_may_leave_out_gives_the_same_references() -> None:
    """Clockify's and Toggl's exports can leave out the client, task, billable and tags columns."""
    full = (
        "User,Email,Client,Project,Task,Description,Billable,Start date,Start time,End date,End time,Duration,Tags\n"
        'Ada,ada@example.com,Acme,Website,Design,First,Yes,2025-01-10,09:00:00,2025-01-10,10:00:00,01:00:00,"a, b"\n'
        "Ada,ada@example.com,Acme,Website,Review,First,No,2025-01-10,09:00:00,2025-01-10,10:00:00,01:00:00,\n"
    )
    narrow = (
        "User,Email,Project,Description,Start date,Start time,End date,End time,Duration\n"
        "Ada,ada@example.com,Website,First,2025-01-10,09:00:00,2025-01-10,10:00:00,01:00:00\n"
        "Ada,ada@example.com,Website,First,2025-01-10,09:00:00,2025-01-10,10:00:00,01:00:00\n"
    )
    references = [row.external_ref for row in rows_of(full.encode())]  # type: ignore[union-attr]
    assert references == [row.external_ref for row in rows_of(narrow.encode())]  # type: ignore[union-attr]
    assert len(set(references)) == 2  # the same identity twice: two entries, the second a copy


def test_a_re_export_with_another_duration_format_or_user_name_gives_the_same_references() -> None:
    """The audit's double counting: Toggl's Decimal format (and Clockify's h:mm) rounds the duration
    while the start and stop stay, and a user renamed in the tracker since (or an export without its
    User column) is the same user of the same email. Each made new references, and the same hour was
    imported twice."""
    head = "User,Email,Project,Description,Start date,Start time,End date,End time,Duration\n"
    row = "{user}ada@example.com,Website,First,2025-01-10,09:00:00,2025-01-10,10:00:01,{duration}\n"
    first = rows_of((head + row.format(user="Ada,", duration="01:00:01")).encode())
    again = [
        rows_of((head + row.format(user="Ada,", duration="1.00")).encode()),
        rows_of((head + row.format(user="Ada L.,", duration="01:00:01")).encode()),
        rows_of((head.replace("User,", "") + row.format(user="", duration="01:00:01")).encode()),
    ]
    assert isinstance(first[0], ImportRow) and first[0].duration_seconds == 3601
    assert isinstance(again[0][0], ImportRow) and again[0][0].duration_seconds == 3600
    for rows in again:
        assert [row.external_ref for row in rows] == [first[0].external_ref]  # type: ignore[union-attr]
    without_email = "User,Project,Description,Start date,Start time,End date,End time,Duration\n"
    by_name = rows_of(
        (without_email + "Ada,Website,First,2025-01-10,09:00:00,2025-01-10,10:00:01,01:00:01\n").encode()
    )
    renamed = rows_of(
        (without_email + "Bo,Website,First,2025-01-10,09:00:00,2025-01-10,10:00:01,01:00:01\n").encode()
    )
    assert by_name[0].external_ref != renamed[0].external_ref  # type: ignore[union-attr]  # no email: the name is the user


ENCODED_SURROGATE = "\ud800".encode("utf-8", "surrogatepass")
"""``ED A0 80``: a lone surrogate as a lax encoder writes it. Strict UTF-8 has no such sequence."""


@pytest.mark.parametrize(
    ("source", "text"),
    [
        ("toggl", "Project,Description,Start date,Duration\nWebsite,x{}y,2025-01-10,01:00:00\n"),
        (
            "clockify",
            '"Project","Description","Start Date","Duration (h)"\n"Web{}site","x","2025-01-10","1:00"\n',
        ),
        ("harvest", "Date,Project,Notes,Hours\n2025-01-10,Website,x{}y,1.5\n"),
    ],
)
def test_a_csv_reader_never_lets_a_lone_surrogate_through(source: str, text: str) -> None:
    head, tail = text.split("{}")
    as_bytes = head.encode() + ENCODED_SURROGATE + tail.encode()
    as_text = io.StringIO(head + "\ud800" + tail)  # a text stream holding one (the CLI may pass one)
    for data in (as_bytes, as_text):
        with pytest.raises(ImportFileUnreadable, match="not UTF-8") as raised:
            list(read_import(source, data, timezone="UTC"))  # type: ignore[arg-type]
        assert "save it as 'CSV UTF-8'" in raised.value.message


@pytest.mark.parametrize(
    "name",
    [
        "localtime",
        "Factory",
        "posixrules",
        "right/UTC",
        "",
        " UTC",
        "../etc/passwd",
        "/usr/share/zoneinfo/UTC",
    ],
)
def test_a_time_zone_is_checked_as_an_organizations_zone_is(name: str) -> None:
    with pytest.raises(ValidationFailed) as raised:
        rows_of(TEXT.encode(), timezone=name)
    assert raised.value.fields == {"timezone": timezone_problem(name)}
    assert timezone_problem(name) is not None


def test_a_time_zone_in_the_wrong_case_is_told_its_spelling() -> None:
    with pytest.raises(ValidationFailed) as raised:
        rows_of(TEXT.encode(), timezone="europe/berlin")
    assert "did you mean Europe/Berlin?" in str(raised.value.fields["timezone"])


@pytest.mark.parametrize(
    "name", ["UTC", "Europe/Berlin", "Etc/GMT+12", "Etc/GMT-14", "America/Argentina/Buenos_Aires"]
)
def test_every_zone_an_organization_may_have_reads_a_file(name: str) -> None:
    assert len(rows_of(TEXT.encode(), timezone=name)) == 2
