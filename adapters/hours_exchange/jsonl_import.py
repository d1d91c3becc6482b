"""hours' own JSON lines export, read back: the import that loses nothing.

Each line is one object with the export's column keys (unknown keys are ignored, so a file from a
later version of the same column list still reads). The reader needs ``id``, ``entryDate``,
``durationSeconds`` and ``projectName``; everything else is optional. A line that is a JSON
object is read member by member and every problem of it is reported, each on its member.
Instants carry their offset (they are UTC in an export), so no time zone is involved. The
``external_ref`` of a row is the hash of the exported entry's ``id``: an entry exported twice
(with a note changed in between) is still the same entry, and re-importing it is a duplicate,
not a second entry. The ``id`` itself is ``exported_id``, so that the import use case can tell a
row that is an entry of the importing organization (its own export, restored) as a duplicate too.
``deletedAt`` (an export with deleted entries) marks a row the use case stores as a deleted entry.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, tzinfo
from types import MappingProxyType
from typing import Any
from uuid import UUID

from hours_core.json_shape import MAX_NESTING, nesting_exceeds, unique_members
from hours_core.json_shape import json_type as shared_json_type
from hours_core.model import MAX_NOTE_LENGTH, control_character_problem, name_problem
from hours_core.rfc3339 import NotARealDateTime, read_date_time
from hours_core.validation import instant_problem
from hours_exchange.columns import LONE_SURROGATE
from hours_exchange.errors import ImportFileTooLarge, ImportFileUnreadable
from hours_exchange.import_rows import (
    DEFAULT_LIMITS,
    DateFormat,
    ImportLimits,
    ImportRow,
    ImportSource,
    RejectedRow,
    RowError,
)
from hours_exchange.source_text import JSON_LINES_ADVICE, ImportData, SourceText, refuse_utf16

__all__ = ["MAX_NESTING", "json_type", "nesting_exceeds", "read_hours_jsonl"]

_FIELDS = MappingProxyType(
    {
        "user_email": "userEmail",
        "user_name": "userName",
        "client": "clientName",
        "project": "projectName",
        "task": "taskName",
        "note": "note",
        "billable": "billable",
        "entry_date": "entryDate",
        "started_at": "startedAt",
        "stopped_at": "stoppedAt",
        "duration_seconds": "durationSeconds",
        "deleted_at": "deletedAt",
    }
)


_MAX_INTEGER_DIGITS = 20
"""More digits than any integer of an export has (a ``durationSeconds`` has at most five). A longer
one is not converted: Python refuses to read one of over 4,300 digits, and none would be right."""


class _TooLargeInteger:
    """An integer of the line with more than :data:`_MAX_INTEGER_DIGITS` digits, left unread."""


_TOO_LARGE_INTEGER = _TooLargeInteger()


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _integer(text: str) -> int | _TooLargeInteger:
    if len(text.lstrip("-")) > _MAX_INTEGER_DIGITS:
        return _TOO_LARGE_INTEGER
    return int(text)


def json_type(value: object) -> str:
    """How a message names the JSON type of a parsed ``value`` (:func:`hours_core.json_shape.json_type`,
    the words of the HTTP API's strict decoding, so that a row error reads like a field error of a
    request), and an integer this reader did not convert as ``an integer that is too large``."""
    if isinstance(value, _TooLargeInteger):
        return "an integer that is too large"
    return shared_json_type(value)


def read_hours_jsonl(
    data: ImportData,
    *,
    timezone: str | tzinfo | None = None,
    date_format: DateFormat | str | None = None,
    limits: ImportLimits = DEFAULT_LIMITS,
) -> Iterator[ImportRow | RejectedRow]:
    """The rows of an hours JSON lines export (``timezone`` and ``date_format`` are unused).

    Checks now that the file has a line that is not blank (an empty file, or one of blank lines
    only, raises :class:`~hours_exchange.ImportFileUnreadable`, as an empty CSV file does), and
    returns a generator of one :class:`ImportRow` or :class:`RejectedRow` per non-blank line;
    ``row`` is the line number. A line longer than ``limits.max_row_chars`` is rejected without
    being read whole.
    """
    del timezone, date_format
    text = SourceText(data, limits.max_bytes, not_utf8_advice=JSON_LINES_ADVICE)
    _require_a_line(text, limits)
    return _rows(text, limits)


def _require_a_line(text: SourceText, limits: ImportLimits) -> None:
    with text.open() as stream:
        row = 0
        while line := stream.readline(limits.max_row_chars + 1):
            row += 1
            if line.strip():
                refuse_utf16(line, JSON_LINES_ADVICE, row=row)
                return
    raise ImportFileUnreadable(
        "The file is empty: it has no lines, or only blank ones; an hours JSON lines export has one "
        "JSON object per line."
    )


def _rows(text: SourceText, limits: ImportLimits) -> Iterator[ImportRow | RejectedRow]:
    count = 0
    line_number = 0
    with text.open() as stream:
        while True:
            line = stream.readline(limits.max_row_chars + 1)
            if not line:
                return
            line_number += 1
            if len(line) > limits.max_row_chars and not line.endswith("\n"):
                while (rest := stream.readline(limits.max_row_chars)) and not rest.endswith("\n"):
                    pass
                yield _rejected(
                    line_number, "row_too_long", f"is longer than {limits.max_row_chars:,} characters"
                )
                continue
            if not line.strip():
                continue
            count += 1
            if count > limits.max_rows:
                raise ImportFileTooLarge(
                    f"The file has more than {limits.max_rows:,} lines; line {line_number:,} is the first "
                    "past the limit. Split it by date range.",
                    row=line_number,
                )
            yield _row(line_number, line)


def _reference(entry_id: str) -> str:
    """The row's ``external_ref``: the SHA-256 of the exported entry's id."""
    return hashlib.sha256(json.dumps(["hours", entry_id]).encode()).hexdigest()


def _utc(instant: datetime) -> str:
    """``instant`` as the export writes it (UTC, ``Z``)."""
    return instant.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _rejected(row: int, code: str, message: str) -> RejectedRow:
    """A line refused as a whole (too long, not a JSON object): one error, with no member named."""
    return RejectedRow(row, (RowError(row, None, code, message),))


def _row(line_number: int, line: str) -> ImportRow | RejectedRow:
    if nesting_exceeds(line):
        return _rejected(
            line_number,
            "invalid_json",
            f"nests arrays and objects deeper than {MAX_NESTING} levels; at most {MAX_NESTING} are allowed",
        )
    try:
        parsed = json.loads(
            line, parse_constant=_reject_constant, parse_int=_integer, object_pairs_hook=unique_members
        )
    except json.JSONDecodeError as error:
        reason = error.msg[:1].lower() + error.msg[1:]
        return _rejected(line_number, "invalid_json", f"is not JSON: {reason} at column {error.colno}")
    except ValueError as error:
        return _rejected(line_number, "invalid_json", f"is not a JSON object: {error}")
    if not isinstance(parsed, dict):
        return _rejected(line_number, "invalid_json", f"must be a JSON object, got {json_type(parsed)}")
    return _Line(line_number, parsed).read()


class _Line:
    """One line's object: each member the reader takes is read on its own, and every problem found is
    recorded (as :class:`~hours_exchange.csv_import.Cells` does for a CSV row), so that a line with
    three wrong members is told all three. A reading method returns ``None`` for an absent, null or
    wrong member; ``column`` of each error is the member's name."""

    def __init__(self, row: int, members: dict[str, Any]) -> None:
        self.row = row
        self._members = members
        self.errors: list[RowError] = []

    def fail(self, key: str, code: str, message: str) -> None:
        """Record a problem with the member ``key``."""
        self.errors.append(RowError(self.row, key, code, message))

    def read(self) -> ImportRow | RejectedRow:
        """The line as an :class:`ImportRow`, or every problem of it as a :class:`RejectedRow`.

        The members are read in the export's column order, so the errors come in that order too.
        """
        entry_id = self.string("id", required=True)
        entry_date = self.date("entryDate")
        started_at = self.instant("startedAt")
        stopped_at = self.instant("stoppedAt")
        self._check_pair()
        self._check_order(started_at, stopped_at)
        user_email = self.string("userEmail")
        user_name = self.name("userName")
        client = self.name("clientName")
        project = self.name("projectName", required=True)
        task = self.name("taskName")
        note = self.note()
        billable = self.billable()
        duration = self.duration()
        self._check_span(started_at, stopped_at, duration)
        deleted_at = self.instant("deletedAt")
        if self.errors:
            return RejectedRow(
                self.row,
                tuple(self.errors),
                external_ref=None if entry_id is None else _reference(entry_id),
                exported_id=None if entry_id is None else _uuid_or_none(entry_id),
            )
        assert entry_id is not None and entry_date is not None and duration is not None
        return ImportRow(
            source=ImportSource.HOURS,
            row=self.row,
            external_ref=_reference(entry_id),
            entry_date=entry_date,
            duration_seconds=duration,
            user_email=user_email,
            user_name=user_name,
            client=client,
            project=project,
            task=task,
            note=note,
            billable=billable,
            started_at=started_at,
            stopped_at=stopped_at,
            exported_id=_uuid_or_none(entry_id),
            deleted_at=deleted_at,
            columns=_FIELDS,
        )

    def _missing(self, key: str) -> None:
        said = "is null" if key in self._members else "is missing"
        self.fail(key, "missing_value", f"{said}; this member is required")

    def _check_pair(self) -> None:
        """A start needs a stop (a running timer is not imported) and a stop a start; told whenever
        the other member is there, even when it does not read (that is its own error)."""
        started, stopped = self._members.get("startedAt"), self._members.get("stoppedAt")
        if started is not None and stopped is None:
            self.fail(
                "stoppedAt",
                "running_timer",
                "is null while startedAt is set: a running timer is not imported",
            )
        if stopped is not None and started is None:
            self.fail("startedAt", "missing_value", "is null while stoppedAt is set")

    def _check_order(self, started: datetime | None, stopped: datetime | None) -> None:
        """The stop is not before the start (when both read): `end_before_start` on the stop, as the
        CSV readers say it and as the API refuses such a stop."""
        if started is not None and stopped is not None and stopped < started:
            self.fail(
                "stoppedAt",
                "end_before_start",
                f"is earlier than startedAt ({_utc(stopped)} < {_utc(started)})",
            )

    def _check_span(self, started: datetime | None, stopped: datetime | None, duration: int | None) -> None:
        """The duration fits between start and stop (when all three read and the stop is not before
        the start: that is :meth:`_check_order`'s error, told once)."""
        if started is None or stopped is None or duration is None or stopped < started:
            return
        if (stopped - started).total_seconds() < duration:
            self.fail(
                "durationSeconds",
                "duration_exceeds_span",
                "is longer than the span from startedAt to stoppedAt",
            )

    def string(self, key: str, *, required: bool = False) -> str | None:
        """A string member; ``missing_value`` when ``required`` and absent or null."""
        value = self._members.get(key)
        if value is None:
            if required:
                self._missing(key)
            return None
        if not isinstance(value, str):
            self.fail(key, "invalid_type", f"must be a string, got {json_type(value)}")
            return None
        if LONE_SURROGATE.search(value):
            # JSON lets \ud800 be written, but it is half of a pair, not a character: UTF-8 (and so the
            # store and the report) cannot hold it. The message does not echo the value, for that reason.
            self.fail(
                key,
                "invalid_json",
                "holds a lone surrogate escape (\\ud800 to \\udfff without its pair), which is not a "
                "character: JSON text must be Unicode",
            )
            return None
        return value

    def name(self, key: str, *, required: bool = False) -> str | None:
        """A client, project, task or user name (the name rule of :func:`name_problem`)."""
        value = self.string(key, required=required)
        if value is not None and (problem := name_problem(value)) is not None:
            self.fail(key, "invalid_name", problem)
            return None
        return value

    def note(self) -> str | None:
        """The note: at most 5,000 characters, no control characters but tab, line feed, return."""
        value = self.string("note")
        if value is None:
            return None
        if len(value) > MAX_NOTE_LENGTH:
            self.fail(
                "note",
                "note_too_long",
                f"has {len(value):,} characters; hours keeps at most {MAX_NOTE_LENGTH:,}",
            )
            return None
        if (problem := control_character_problem(value, allowed="\t\n\r")) is not None:
            self.fail("note", "invalid_note", problem)
            return None
        return value

    def date(self, key: str) -> date | None:
        """A required ``YYYY-MM-DD`` date."""
        value = self.string(key, required=True)
        if value is None:
            return None
        try:
            if len(value) != 10:
                raise ValueError(value)
            return date.fromisoformat(value)
        except ValueError:
            self.fail(key, "invalid_date", f"must be a date like 2026-03-02, got {value!r}")
            return None

    def instant(self, key: str) -> datetime | None:
        """An optional date-time with an offset, in the range of instants, as UTC."""
        value = self.string(key)
        if value is None:
            return None
        try:
            parsed = read_date_time(value)
        except NotARealDateTime:
            parsed = None
        if parsed is None:
            self.fail(
                key,
                "invalid_datetime",
                f"must be an RFC 3339 date-time with an offset like 2026-03-02T08:00:00Z, got {value!r}",
            )
            return None
        problem = instant_problem(parsed)  # before the conversion, which overflows out of range
        if problem is not None:
            self.fail(key, "invalid_datetime", f"{problem}, got {value!r}")
            return None
        return parsed.astimezone(UTC)

    def billable(self) -> bool | None:
        """``true``, ``false``, or ``None`` (absent or null: the project's default applies)."""
        value = self._members.get("billable")
        if value is not None and type(value) is not bool:
            self.fail("billable", "invalid_boolean", f"must be true, false or null, got {json_type(value)}")
            return None
        return value

    def duration(self) -> int | None:
        """The required ``durationSeconds``: an integer in 0..86400."""
        value = self._members.get("durationSeconds")
        if value is None:
            self._missing("durationSeconds")
            return None
        if type(value) is not int or not 0 <= value <= 86_400:
            self.fail(
                "durationSeconds",
                "invalid_duration",
                f"must be an integer in 0..86400, got {_number_or_type(value)}",
            )
            return None
        return value


def _uuid_or_none(text: str) -> UUID | None:
    """The exported entry's id, or ``None`` for an ``id`` that is no UUID (a hand-made file): such
    a row cannot be an entry of the importing organization, and imports as any other row."""
    try:
        return UUID(text)
    except ValueError:
        return None


def _number_or_type(value: object) -> str:
    """An integer as itself (it has at most 20 digits), anything else as its JSON type."""
    return str(value) if type(value) is int else json_type(value)
