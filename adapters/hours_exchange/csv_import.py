"""The machinery every CSV reader shares: the header, the date order, the row loop, the references.

A source (Toggl, Clockify, Harvest) is a :class:`CsvLayout`: the columns it knows, by every name
they go by, which of them a file must have, which hold dates, and a function that turns the
:class:`Cells` of one row into the fields of an :class:`~hours_exchange.ImportRow`. This module
does the rest, the same way for each:

- reads the header, picks the delimiter (comma, semicolon or tab: the one whose header names the
  most known columns), matches headers by name (case, spacing and a BOM do not matter), and
  refuses a file that lacks a required column or repeats a known one;
- settles the date order (``date_format``, or a first pass over the date columns that stops at
  the first date with a day above 12; a file that never settles it is refused);
- reads the rows as a generator, so memory stays flat however long the file, or any line of it
  (:mod:`hours_exchange.csv_records`): one row error list per bad row, one :class:`ImportRow` per
  good one, with its ``external_ref``.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import json
import re
from collections.abc import Callable, Iterator, Mapping
from datetime import date, tzinfo
from types import MappingProxyType
from typing import Any, TextIO, TypeVar

import attrs

from hours_core.caseless import caseless
from hours_core.errors import ValidationFailed
from hours_core.model import MAX_NOTE_LENGTH, control_character_problem, name_problem
from hours_exchange.csv_records import OverlongRecord, csv_records, record_text_limit
from hours_exchange.errors import (
    AmbiguousDateFormat,
    ImportColumnsMissing,
    ImportFileTooLarge,
    ImportFileUnreadable,
)
from hours_exchange.import_rows import (
    DateFormat,
    ImportLimits,
    ImportRow,
    ImportSource,
    RejectedRow,
    RowError,
)
from hours_exchange.source_text import CSV_ADVICE, ImportData, SourceText, refuse_utf16
from hours_exchange.wall_clock import (
    CellProblem,
    ClockTime,
    Duration,
    date_order_evidence,
    parse_boolean,
    parse_date,
    parse_duration_text,
    parse_time_of_day,
)

__all__ = ["Cells", "Column", "CsvLayout", "RowContext", "RowReferences", "read_csv"]

_DELIMITERS = (",", ";", "\t")

_T = TypeVar("_T")

_name_problem = functools.lru_cache(maxsize=4096)(name_problem)
"""Names repeat on almost every row (the same projects, users, clients): check each once."""

_folded_email = functools.lru_cache(maxsize=4096)(caseless)
"""Emails repeat on almost every row too: fold each once."""

_SPACE = re.compile(r"\s")

_NOTE_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
"""A quick look for what :func:`control_character_problem` refuses in a note, before it says why."""


def normalize_header(text: str) -> str:
    """A header as matched: without BOM and surrounding space, single-spaced, case-folded."""
    return " ".join(text.replace("\ufeff", "").split()).casefold()


@attrs.frozen
class Column:
    """A column a source knows: its field name and every header it goes by (as normalized)."""

    field: str
    names: tuple[str, ...]


@attrs.frozen
class RowContext:
    """What a row builder needs besides the cells: the date order and the time zone."""

    date_format: DateFormat | None
    zone: tzinfo | None


@attrs.frozen
class CsvLayout:
    """One tracker's CSV export: its columns, the required ones, the date columns, the row builder.

    ``required`` lists alternatives: each tuple names fields of which the header must have one.
    ``build`` returns the keyword arguments of :class:`ImportRow` (all but ``source``, ``row``,
    ``external_ref`` and ``columns``), or ``None`` after recording errors in the cells.
    """

    source: ImportSource
    columns: tuple[Column, ...]
    required: tuple[tuple[str, ...], ...]
    date_fields: tuple[str, ...]
    build: Callable[[Cells, RowContext], dict[str, Any] | None]

    def column_of(self, header: str) -> Column | None:
        """The known column a header names, if any."""
        normalized = normalize_header(header)
        for column in self.columns:
            if normalized in column.names:
                return column
        return None


@attrs.frozen
class _Header:
    delimiter: str
    width: int
    index: Mapping[str, int]
    """field -> position in the row"""
    labels: Mapping[str, str]
    """field -> the header as the file spells it"""
    row_columns: Mapping[str, str]
    """ImportRow field -> the header it comes from (ImportRow.columns)"""
    names: Mapping[str, str]
    """field -> the header the tracker writes for it (``Start time``), for a file that lacks it"""


_ROW_FIELD_SOURCES = {
    "user_name": ("user_name", "first_name"),
    "user_email": ("user_email",),
    "client": ("client",),
    "project": ("project",),
    "task": ("task",),
    "note": ("note",),
    "billable": ("billable",),
    "tags": ("tags",),
    "entry_date": ("start_date", "date"),
    "started_at": ("start_time",),
    "stopped_at": ("end_time", "duration", "duration_decimal"),
    "duration_seconds": ("duration", "duration_decimal", "hours", "end_time"),
}
"""Which column each ImportRow field comes from, in order of preference (the first the file has)."""


class Cells:
    """One data row: its cells by field name, and the errors found in it so far.

    Every reading method returns ``None`` for a missing column or an empty cell (and
    :meth:`required` records ``missing_value`` for those), and records a :class:`RowError`
    naming the column (and returns ``None``) for a cell that does not read.
    """

    def __init__(self, row: int, values: list[str], header: _Header) -> None:
        self.row = row
        self._values = values
        self._header = header
        self.errors: list[RowError] = []

    def label(self, field: str) -> str | None:
        """The header of ``field`` in this file, or ``None`` when the file has no such column (an
        error then names no column: never one of hours' field names, which no file has)."""
        return self._header.labels.get(field)

    def fail(self, field: str, code: str, message: str) -> None:
        """Record a problem with the cell of ``field``."""
        self.errors.append(RowError(self.row, self.label(field), code, message))

    def fail_missing(self, field: str, empty: str, lacking: str) -> None:
        """Record ``missing_value`` for ``field``: on its cell (``empty``, as "is empty, ...") when
        the file has the column, else on the whole row (``lacking``, as "the row has no ...", with
        the name of the column the file lacks)."""
        if self.has(field):
            self.fail(field, "missing_value", empty)
        else:
            name = self._header.names.get(field, field)
            message = f"{lacking} (the file has no {name} column)"
            self.errors.append(RowError(self.row, None, "missing_value", message))

    def has(self, field: str) -> bool:
        """Whether the file has a column for ``field``."""
        return field in self._header.index

    def text(self, field: str) -> str | None:
        """The cell, trimmed; ``None`` when the column is missing or the cell is empty."""
        position = self._header.index.get(field)
        if position is None:
            return None
        value = self._values[position].strip()
        return value or None

    def required(self, field: str) -> str | None:
        """The cell, trimmed; records ``missing_value`` when it is missing or empty."""
        value = self.text(field)
        if value is None:
            self.fail(field, "missing_value", "is empty; this column needs a value in every row")
        return value

    def name(self, field: str) -> str | None:
        """A client, project, task or user name: one line of text, at most 200 characters."""
        value = self.text(field)
        if value is not None and (problem := _name_problem(value)) is not None:
            self.fail(field, "invalid_name", problem)
            return None
        return value

    def note(self, field: str) -> str | None:
        """A note: line breaks made ``\\n``, at most 5,000 characters, no control characters but tab, LF."""
        value = self.text(field)
        if value is None:
            return None
        value = value.replace("\r\n", "\n").replace("\r", "\n")
        if len(value) > MAX_NOTE_LENGTH:
            self.fail(
                field,
                "note_too_long",
                f"has {len(value):,} characters; hours keeps at most {MAX_NOTE_LENGTH:,}",
            )
            return None
        if _NOTE_CONTROL.search(value) and (problem := control_character_problem(value, "\t\n")):
            self.fail(field, "invalid_note", problem)
            return None
        return value

    def email(self, field: str) -> str | None:
        """An email address (``local@domain``, no spaces, at most 254 characters)."""
        value = self.text(field)
        if value is None:
            return None
        local, at, domain = value.partition("@")
        if not (local and at and domain) or len(value) > 254 or _SPACE.search(value):
            self.fail(field, "invalid_email", f"must be an email address like ada@example.com, got {value!r}")
            return None
        return value

    def descriptive_fields(self, user_name: str | None) -> dict[str, Any]:
        """The fields every source reads the same way: user, client, project, task, note, billable, tags."""
        return {
            "user_name": user_name,
            "user_email": self.email("user_email"),
            "client": self.name("client"),
            "project": self.name("project"),
            "task": self.name("task"),
            "note": self.note("note"),
            "billable": self.boolean("billable"),
            "tags": self.tags("tags"),
        }

    def _parsed(self, field: str, parse: Callable[[str], _T]) -> _T | None:
        value = self.text(field)
        if value is None:
            return None
        try:
            return parse(value)
        except CellProblem as problem:
            self.fail(field, problem.code, problem.message)
            return None

    def date(self, field: str, order: DateFormat | None) -> date | None:
        """A date (see :func:`~hours_exchange.wall_clock.parse_date`)."""
        return self._parsed(field, lambda text: parse_date(text, order))

    def time(self, field: str) -> ClockTime | None:
        """A time of day, 24- or 12-hour."""
        return self._parsed(field, parse_time_of_day)

    def duration(self, field: str) -> Duration | None:
        """A duration (``H:MM:SS``, ``H:MM``, decimal hours)."""
        return self._parsed(field, parse_duration_text)

    def boolean(self, field: str) -> bool | None:
        """``Yes`` or ``No``; ``None`` when empty or missing."""
        return self._parsed(field, parse_boolean)

    def tags(self, field: str) -> tuple[str, ...]:
        """Tags joined with ``", "`` (as Toggl and Clockify write them), trimmed, empty ones dropped."""
        value = self.text(field)
        if value is None:
            return ()
        return tuple(tag for part in value.split(",") if (tag := part.strip()))


def read_csv(
    layout: CsvLayout,
    data: ImportData,
    *,
    zone: tzinfo | None,
    date_format: DateFormat | str | None,
    limits: ImportLimits,
) -> Iterator[ImportRow | RejectedRow]:
    """Check the file's header and date order now, and return a generator of its rows."""
    text = SourceText(data, limits.max_bytes, not_utf8_advice=CSV_ADVICE)
    header = _read_header(text, layout, limits)
    order = (
        _date_order(date_format) if date_format is not None else _detect_order(text, header, layout, limits)
    )
    return _rows(text, header, layout, RowContext(order, zone), limits)


def _date_order(value: DateFormat | str) -> DateFormat:
    try:
        return DateFormat(str(value).upper())
    except ValueError:
        raise ValidationFailed.one("dateFormat", f"must be MDY or DMY, got {value!r}") from None


def _read_header(text: SourceText, layout: CsvLayout, limits: ImportLimits) -> _Header:
    with text.open() as stream:
        line = stream.readline(limits.max_row_chars + 1)
    if not line.strip():
        raise ImportFileUnreadable(
            "The first line is empty: the file is empty, or does not start with its header row.", row=1
        )
    refuse_utf16(line, CSV_ADVICE, row=1)
    if len(line) > limits.max_row_chars and not line.endswith("\n"):
        raise ImportFileTooLarge(
            f"The header row is longer than {limits.max_row_chars:,} characters; is this a CSV export?", row=1
        )
    best: tuple[int, str, list[str]] | None = None
    for delimiter in _DELIMITERS:
        names = next(csv.reader([line], delimiter=delimiter), [])
        known = sum(1 for name in names if layout.column_of(name) is not None)
        if best is None or known > best[0]:
            best = (known, delimiter, names)
    assert best is not None
    _, delimiter, names = best
    if len(names) > limits.max_columns:
        raise ImportFileTooLarge(
            f"The header has {len(names)} columns; the limit is {limits.max_columns}.", row=1
        )
    index: dict[str, int] = {}
    labels: dict[str, str] = {}
    for position, name in enumerate(names):
        column = layout.column_of(name)
        if column is None:
            continue
        if column.field in index:
            raise ImportFileUnreadable(
                f"The columns {labels[column.field]!r} and {name.strip()!r} hold the same thing; keep one.",
                row=1,
                column=name.strip(),
            )
        index[column.field] = position
        labels[column.field] = name.replace("\ufeff", "").strip()
    missing = [choice for choice in layout.required if not any(field in index for field in choice)]
    if missing:
        wanted = "; ".join(
            " or ".join(repr(_display(layout, field)) for field in choice) for choice in missing
        )
        raise ImportColumnsMissing(
            f"This does not look like a {layout.source.value.title()} export: the header lacks {wanted}. "
            f"Its columns are: {', '.join(name.strip() for name in names)}.",
            row=1,
        )
    row_columns = {
        field: next(labels[source] for source in sources if source in labels)
        for field, sources in _ROW_FIELD_SOURCES.items()
        if any(source in labels for source in sources)
    }
    return _Header(
        delimiter,
        len(names),
        MappingProxyType(index),
        MappingProxyType(labels),
        MappingProxyType(row_columns),
        MappingProxyType({column.field: _display(layout, column.field) for column in layout.columns}),
    )


def _display(layout: CsvLayout, field: str) -> str:
    for column in layout.columns:
        if column.field == field:
            return column.names[0].capitalize()
    return field


def _records(
    stream: TextIO, header: _Header, limits: ImportLimits
) -> Iterator[tuple[int, list[str] | OverlongRecord]]:
    """The data rows as (row number, cells); blank lines are skipped (a spreadsheet shows none).

    A row whose text is longer than any row within ``limits.max_row_chars`` could be is read past
    without being held (:func:`~hours_exchange.csv_records.csv_records`) and comes as an
    :class:`OverlongRecord`: its number of fields, not its cells.
    """
    records = csv_records(
        stream,
        delimiter=header.delimiter,
        record_limit=record_text_limit(limits.max_row_chars, header.width),
    )
    row = 0
    count = 0
    try:
        for values in records:
            row += 1
            if row == 1 or _blank(values):
                continue
            count += 1
            if count > limits.max_rows:
                raise ImportFileTooLarge(
                    f"The file has more than {limits.max_rows:,} rows; row {row:,} is the first past the "
                    "limit (the header is row 1). Split it by date range.",
                    row=row,
                )
            yield row, values
    except csv.Error as error:
        raise ImportFileUnreadable(
            f"The file stops being CSV at row {row + 1}: {error}. Is a quote left open?", row=row + 1
        ) from error


def _blank(values: list[str] | OverlongRecord) -> bool:
    if isinstance(values, OverlongRecord):
        return values.blank
    return not any(value.strip() for value in values)


def _detect_order(
    text: SourceText, header: _Header, layout: CsvLayout, limits: ImportLimits
) -> DateFormat | None:
    positions = [
        (header.index[field], header.labels[field]) for field in layout.date_fields if field in header.index
    ]
    first_ambiguous: tuple[int, str, str] | None = None
    with text.open() as stream:
        for row, values in _records(stream, header, limits):
            if isinstance(values, OverlongRecord):
                continue  # a row too long to read settles nothing: it is rejected
            for position, label in positions:
                if position >= len(values):
                    continue
                evidence = date_order_evidence(values[position])
                if isinstance(evidence, DateFormat):
                    return evidence
                if evidence is None and first_ambiguous is None:
                    first_ambiguous = (row, label, values[position].strip())
    if first_ambiguous is None:
        return None
    row, label, value = first_ambiguous
    raise AmbiguousDateFormat(
        f"The dates can be read month-first or day-first (the first is {value!r} in column {label!r}, "
        f"row {row}) and no date in the file has a day above 12 to settle it. Say which: date format "
        "MDY (MM/DD/YYYY) or DMY (DD/MM/YYYY), with --date-format on the CLI or dateFormat over the API.",
        row=row,
        column=label,
    )


def _rows(
    text: SourceText, header: _Header, layout: CsvLayout, context: RowContext, limits: ImportLimits
) -> Iterator[ImportRow | RejectedRow]:
    references = RowReferences(layout.source)
    with text.open() as stream:
        for row, values in _records(stream, header, limits):
            if isinstance(values, OverlongRecord):
                yield _overlong_rejected(row, values, header, limits)
                continue
            if len(values) != header.width:
                yield _wrong_field_count(row, len(values), header)
                continue
            if sum(len(value) for value in values) > limits.max_row_chars:
                yield _row_too_long(row, limits)
                continue
            cells = Cells(row, values, header)
            fields = layout.build(cells, context)
            if fields is None or cells.errors:
                yield RejectedRow(row, tuple(cells.errors))
                continue
            reference, earlier = references.of(fields)
            yield ImportRow(
                source=layout.source,
                row=row,
                external_ref=reference,
                earlier_external_refs=earlier,
                columns=header.row_columns,
                **fields,
            )


def _overlong_rejected(
    row: int, record: OverlongRecord, header: _Header, limits: ImportLimits
) -> RejectedRow:
    """A row read past for its length: as many fields as the header in that much text are too many
    characters (:func:`~hours_exchange.csv_records.record_text_limit`); else the count is off."""
    if record.field_count != header.width:
        return _wrong_field_count(row, record.field_count, header)
    return _row_too_long(row, limits)


def _wrong_field_count(row: int, field_count: int, header: _Header) -> RejectedRow:
    return _rejected(
        row,
        "wrong_field_count",
        f"has {field_count} fields where the header has {header.width}; is a quote off?",
    )


def _row_too_long(row: int, limits: ImportLimits) -> RejectedRow:
    return _rejected(row, "row_too_long", f"is longer than {limits.max_row_chars:,} characters")


def _rejected(row: int, code: str, message: str) -> RejectedRow:
    return RejectedRow(row, (RowError(row, None, code, message),))


_IDENTITY = ("user", "project", "note", "entry_date", "started_at", "stopped_at")
"""What the reference of a row with its start and stop hashes: who spent the time (the folded email,
or the user's name where the file has no email), on what project, with what note, and when. Not what
an export may leave out of its layout while the entry stays the same (a ``Client``, ``Task``,
``Billable`` or ``Tags`` column that a Clockify or Toggl export can hide), nor what its settings
write differently: the user's display name beside an email (renamed since, or a file without the
``User`` column), and the duration, which the tracker's duration format rounds (Clockify's
``h:mm`` or ``h.hh``, Toggl's Decimal) while the start and stop stay. Two entries of one user on
one project at the very same times are not two entries a tracker exports."""

_IDENTITY_OF_2026_12_07 = (
    "user_email",
    "user_name",
    "project",
    "note",
    "entry_date",
    "started_at",
    "stopped_at",
    "duration_seconds",
)
"""What a row with times hashed on 2026-12-07 (``bf425ff``), before the user's name and the
duration left it: an earlier reference, so that its entries are still found."""

_WHOLE_CONTENT = (
    "user_email",
    "user_name",
    "client",
    "project",
    "task",
    "note",
    "billable",
    "entry_date",
    "started_at",
    "stopped_at",
    "duration_seconds",
    "tags",
)
"""What the reference of a row without times hashes (Harvest's rows have none): every field. A day's
entries of one project without times may differ only in their task (two hours of Design, two of
Meetings), so the task and the client stay in their reference; every reference hashed this before
2026-12-07."""


class RowReferences:
    """The ``external_ref`` of each row of one file, in order, and the references earlier versions
    of hours gave it, those that differ.

    A reference is the SHA-256 of what identifies the row's entry as canonical JSON: for a row with
    its start and stop, :data:`_IDENTITY` (the user, the project, the note, the date, the UTC start
    and stop), so that a column an export may leave out (client, task, billable, tags), the user's
    display name beside an email, or the duration format's rounding never changes it; for a row
    without times, its whole content (:data:`_WHOLE_CONTENT`), the task
    and client included, which are then what tells a day's entries apart. Quoting, column order,
    line ends or a BOM never change either. The email is case-folded and in NFC
    (:func:`~hours_core.caseless.caseless`: ``Ada@Example.com`` and ``ada@example.com`` are one user,
    and so one row). That is the key users were compared by before 0029, which reads a domain label
    in its ASCII form (``xn--caf-dma``) as the label it writes: the reference keeps the domain as
    written. Identical rows in one file (two one-hour Harvest entries on the same day with the same
    note) are different entries: the second copy's reference also hashes its copy number.

    Earlier versions of hours hashed every row's whole content (:data:`_WHOLE_CONTENT`), and before
    emails were folded, with the email as written; on 2026-12-07 a timed row hashed
    :data:`_IDENTITY_OF_2026_12_07`. :meth:`of` gives those references too (each with
    its copies counted as that version counted them), so that the import use case still finds an
    entry imported from the same file then. The references with the email as written are worked out
    only from the first row whose email folding changes (upper-case letters, or not in NFC): until
    then they are the folded ones, and their table of copies starts as a copy of those.
    """

    def __init__(self, source: ImportSource) -> None:
        self._source = source
        self._seen: dict[bytes, int] = {}
        self._whole_seen: dict[bytes, int] = {}
        self._identity_seen: dict[bytes, int] = {}
        self._as_written_seen: dict[bytes, int] | None = None

    def of(self, fields: Mapping[str, Any]) -> tuple[str, tuple[str, ...]]:
        """The row's reference, and its earlier ones that differ from it."""
        email: str | None = fields.get("user_email")
        folded = None if email is None else _folded_email(email)
        if email != folded and self._as_written_seen is None:
            self._as_written_seen = dict(self._whole_seen)  # every row so far had a folded email
        values = {name: fields.get(name) for name in _WHOLE_CONTENT}
        for name in _DATES_AND_TIMES:
            if (value := values[name]) is not None:
                values[name] = value.isoformat()
        values["user_email"] = folded
        whole = self._hashed(values, _WHOLE_CONTENT, self._whole_seen)
        earlier = [whole]
        if values["started_at"] is None:  # a row has its start and stop, or neither
            reference = whole
        else:
            values["user"] = values["user_name"] if folded is None else folded
            reference = self._hashed(values, _IDENTITY, self._seen)
            earlier.append(self._hashed(values, _IDENTITY_OF_2026_12_07, self._identity_seen))
        if self._as_written_seen is not None:
            values["user_email"] = email
            earlier.append(self._hashed(values, _WHOLE_CONTENT, self._as_written_seen))
        return reference, tuple(dict.fromkeys(ref for ref in earlier if ref != reference))

    def _hashed(self, values: Mapping[str, object], names: tuple[str, ...], seen: dict[bytes, int]) -> str:
        """SHA-256 of the source and ``values`` of ``names`` as canonical JSON, and which copy of
        them this is (counted in ``seen``)."""
        digest = hashlib.sha256(
            _canonical_json([self._source.value, *(values[name] for name in names)]).encode()
        )
        whole = digest.digest()
        copy = seen[whole[:16]] = seen.get(whole[:16], 0) + 1
        if copy == 1:
            return digest.hexdigest()
        return hashlib.sha256(whole + f"#{copy}".encode()).hexdigest()


_DATES_AND_TIMES = ("entry_date", "started_at", "stopped_at")
"""The fields a reference holds in ISO 8601 (the rest as they are)."""


_canonical_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
"""``json.dumps(value, ensure_ascii=False, separators=(",", ":"))``, the text every reference
hashed, with one encoder for every row (``dumps`` makes one per call)."""
