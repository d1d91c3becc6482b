"""hours' own JSON lines export, read back: the import that loses nothing.

Each line is one object with the export's column keys (unknown keys are ignored, so a file from a
later version of the same column list still reads). The reader needs ``id``, ``entryDate``,
``durationSeconds`` and ``projectName``; everything else is optional. Instants carry their offset
(they are UTC in an export), so no time zone is involved. The ``external_ref`` of a row is the
hash of the exported entry's ``id``: an entry exported twice (with a note changed in between)
is still the same entry, and re-importing it is a duplicate, not a second entry.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, tzinfo
from types import MappingProxyType
from typing import Any

from hours_core.json_shape import MAX_NESTING, nesting_exceeds
from hours_core.json_shape import json_type as shared_json_type
from hours_core.model import MAX_NOTE_LENGTH, control_character_problem, name_problem
from hours_core.validation import instant_problem
from hours_exchange.columns import LONE_SURROGATE
from hours_exchange.errors import ImportFileTooLarge
from hours_exchange.import_rows import (
    DEFAULT_LIMITS,
    DateFormat,
    ImportLimits,
    ImportRow,
    ImportSource,
    RejectedRow,
    RowError,
)
from hours_exchange.source_text import ImportData, SourceText

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
    }
)


class _Problem(ValueError):
    def __init__(self, key: str | None, code: str, message: str) -> None:
        self.key = key
        self.code = code
        self.message = message
        super().__init__(message)


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


def _unique_members(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    members: dict[str, Any] = {}
    for key, value in pairs:
        if key in members:
            raise ValueError(f"the member {json.dumps(key)} appears twice")
        members[key] = value
    return members


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

    Returns a generator of one :class:`ImportRow` or :class:`RejectedRow` per non-blank line;
    ``row`` is the line number. A line longer than ``limits.max_row_chars`` is rejected without
    being read whole.
    """
    del timezone, date_format
    text = SourceText(data, limits.max_bytes)
    return _rows(text, limits)


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
                    line_number, None, "row_too_long", f"is longer than {limits.max_row_chars:,} characters"
                )
                continue
            if not line.strip():
                continue
            count += 1
            if count > limits.max_rows:
                raise ImportFileTooLarge(
                    f"The file has more than {limits.max_rows:,} lines; split it by date range.",
                    row=line_number,
                )
            try:
                yield _row(line_number, line)
            except _Problem as problem:
                yield _rejected(line_number, problem.key, problem.code, problem.message)


def _rejected(row: int, column: str | None, code: str, message: str) -> RejectedRow:
    return RejectedRow(row, (RowError(row, column, code, message),))


def _row(line_number: int, line: str) -> ImportRow:
    if nesting_exceeds(line):
        raise _Problem(
            None,
            "invalid_json",
            f"nests arrays and objects deeper than {MAX_NESTING} levels; at most {MAX_NESTING} are allowed",
        )
    try:
        member = json.loads(
            line, parse_constant=_reject_constant, parse_int=_integer, object_pairs_hook=_unique_members
        )
    except json.JSONDecodeError as error:
        reason = error.msg[:1].lower() + error.msg[1:]
        raise _Problem(None, "invalid_json", f"is not JSON: {reason} at column {error.colno}") from None
    except ValueError as error:
        raise _Problem(None, "invalid_json", f"is not a JSON object: {error}") from None
    if not isinstance(member, dict):
        raise _Problem(None, "invalid_json", f"must be a JSON object, got {json_type(member)}")
    entry_id = _string(member, "id", required=True)
    started_at = _instant(member, "startedAt")
    stopped_at = _instant(member, "stoppedAt")
    if started_at is not None and stopped_at is None:
        raise _Problem(
            "stoppedAt", "running_timer", "is null while startedAt is set: a running timer is not imported"
        )
    if stopped_at is not None and started_at is None:
        raise _Problem("startedAt", "missing_value", "is null while stoppedAt is set")
    duration = member.get("durationSeconds")
    if type(duration) is not int or not 0 <= duration <= 86_400:
        raise _Problem(
            "durationSeconds",
            "invalid_duration",
            f"must be an integer in 0..86400, got {_number_or_type(duration)}",
        )
    if (
        started_at is not None
        and stopped_at is not None
        and (stopped_at - started_at).total_seconds() < duration
    ):
        raise _Problem(
            "durationSeconds", "duration_exceeds_span", "is longer than the span from startedAt to stoppedAt"
        )
    billable = member.get("billable")
    if billable is not None and type(billable) is not bool:
        raise _Problem(
            "billable", "invalid_boolean", f"must be true, false or null, got {json_type(billable)}"
        )
    return ImportRow(
        source=ImportSource.HOURS,
        row=line_number,
        external_ref=hashlib.sha256(json.dumps(["hours", entry_id]).encode()).hexdigest(),
        entry_date=_date(member, "entryDate"),
        duration_seconds=duration,
        user_email=_string(member, "userEmail"),
        user_name=_name(member, "userName"),
        client=_name(member, "clientName"),
        project=_name(member, "projectName", required=True),
        task=_name(member, "taskName"),
        note=_note(member),
        billable=billable,
        started_at=started_at,
        stopped_at=stopped_at,
        columns=_FIELDS,
    )


def _number_or_type(value: object) -> str:
    """An integer as itself (it has at most 20 digits), anything else as its JSON type."""
    return str(value) if type(value) is int else json_type(value)


def _string(member: dict[str, Any], key: str, *, required: bool = False) -> str | None:
    value = member.get(key)
    if value is None:
        if required:
            raise _Problem(key, "missing_value", "is missing; this member is required")
        return None
    if not isinstance(value, str):
        raise _Problem(key, "invalid_type", f"must be a string, got {json_type(value)}")
    if LONE_SURROGATE.search(value):
        # JSON lets \ud800 be written, but it is half of a pair, not a character: UTF-8 (and so the
        # store and the report) cannot hold it. The message does not echo the value, for that reason.
        raise _Problem(
            key,
            "invalid_json",
            "holds a lone surrogate escape (\\ud800 to \\udfff without its pair), which is not a "
            "character: JSON text must be Unicode",
        )
    return value


def _name(member: dict[str, Any], key: str, *, required: bool = False) -> str | None:
    value = _string(member, key, required=required)
    if value is not None and (problem := name_problem(value)) is not None:
        raise _Problem(key, "invalid_name", problem)
    return value


def _note(member: dict[str, Any]) -> str | None:
    value = _string(member, "note")
    if value is None:
        return None
    if len(value) > MAX_NOTE_LENGTH:
        raise _Problem(
            "note", "note_too_long", f"has {len(value):,} characters; hours keeps at most {MAX_NOTE_LENGTH:,}"
        )
    if (problem := control_character_problem(value, allowed="\t\n\r")) is not None:
        raise _Problem("note", "invalid_note", problem)
    return value


def _date(member: dict[str, Any], key: str) -> date:
    value = _string(member, key, required=True)
    assert value is not None
    try:
        if len(value) != 10:
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise _Problem(key, "invalid_date", f"must be a date like 2026-03-02, got {value!r}") from None


def _instant(member: dict[str, Any], key: str) -> datetime | None:
    value = _string(member, key)
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise _Problem(
            key,
            "invalid_datetime",
            f"must be a date-time with an offset like 2026-03-02T08:00:00Z, got {value!r}",
        )
    problem = instant_problem(parsed)  # before the conversion, which overflows out of range
    if problem is not None:
        raise _Problem(key, "invalid_datetime", f"{problem}, got {value!r}")
    return parsed.astimezone(UTC)
