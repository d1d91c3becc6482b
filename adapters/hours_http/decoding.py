"""Strict decoding of JSON request bodies into wire types.

Litestar's own decoding is lax (``"5"`` becomes ``5``, unknown keys are dropped). Ours is not:
an unknown field, a string or boolean where an integer belongs, ``5400.0`` for an integer, a UUID
or date in a non-canonical form, or a date-time without an offset is a
:class:`~hours_core.errors.ValidationFailed` that names every wrong field. This module owns the
adapter's cattrs converter; the core never sees cattrs.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, TypeVar
from uuid import UUID

import cattrs
import msgspec
from cattrs.errors import ClassValidationError, ForbiddenExtraKeysError
from cattrs.gen import make_dict_structure_fn

from hours_http.errors import TYPE_PHRASES, InvalidJson, InvalidWireFields
from hours_http.wire import CreateTimeEntryBody

__all__ = ["NOT_JSON", "decode_document", "parse_instant", "parse_json", "structure"]

T = TypeVar("T")

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DATETIME = re.compile(
    r"(?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2})[Tt](?P<time>[0-9]{2}:[0-9]{2}:[0-9]{2})"
    r"(?:\.(?P<fraction>[0-9]{1,9}))?(?P<offset>[Zz]|[+-][0-9]{2}:[0-9]{2})"
)

NOT_JSON = object()
"""What :func:`parse_json` returns for a body that is not JSON."""


class _WrongValue(ValueError):
    """A value of the right JSON type that is still wrong; its message is the field message."""


def _null(expected: str) -> _WrongValue:
    return _WrongValue(f"must be {expected}, not null")


def _exact(kind: type, expected: str) -> Any:
    def structure_exactly(value: object, _type: object) -> object:
        if value is None:
            raise _null(expected)
        if type(value) is not kind:
            raise _WrongValue(f"must be {expected}, got {_json_type(value)}")
        return value

    return structure_exactly


def _uuid(value: object, _type: object) -> UUID:
    expected = TYPE_PHRASES[UUID]
    if value is None:
        raise _null(expected)
    if type(value) is not str or _UUID.fullmatch(value) is None:
        raise _WrongValue(f"must be {expected}")
    return UUID(value)


def _date(value: object, _type: object) -> dt.date:
    expected = TYPE_PHRASES[dt.date]
    if value is None:
        raise _null(expected)
    if type(value) is not str or _DATE.fullmatch(value) is None:
        raise _WrongValue(f"must be {expected}")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise _WrongValue(f"is not a real calendar date: {value}") from None


def _datetime(value: object, _type: object) -> dt.datetime:
    expected = TYPE_PHRASES[dt.datetime]
    if value is None:
        raise _null(expected)
    match = _DATETIME.fullmatch(value) if type(value) is str else None
    if match is None:
        raise _WrongValue(f"must be {expected}")
    fraction = (match["fraction"] or "").ljust(6, "0")[:6]
    offset = "+00:00" if match["offset"] in "Zz" else match["offset"]
    try:
        parsed = dt.datetime.fromisoformat(f"{match['date']}T{match['time']}.{fraction}{offset}")
    except ValueError:
        raise _WrongValue(f"is not a real date and time: {value}") from None
    return parsed.astimezone(dt.UTC)


def parse_instant(text: str, field: str) -> dt.datetime:
    """An RFC 3339 date-time with an offset, in UTC; 422 naming ``field`` otherwise."""
    try:
        return _datetime(text, dt.datetime)
    except _WrongValue as error:
        raise InvalidWireFields.one(field, str(error)) from None


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number with a fraction or exponent"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _build_converter() -> cattrs.Converter:
    converter = cattrs.Converter(forbid_extra_keys=True, detailed_validation=True)
    for kind in (int, bool, str):
        converter.register_structure_hook(kind, _exact(kind, TYPE_PHRASES[kind]))
    converter.register_structure_hook(UUID, _uuid)
    converter.register_structure_hook(dt.date, _date)
    converter.register_structure_hook(dt.datetime, _datetime)
    _ignore_duration_when_seconds_sent(converter)
    return converter


def _ignore_duration_when_seconds_sent(converter: cattrs.Converter) -> None:
    """``durationSeconds`` wins over ``duration``: then ``duration`` is ignored, even when malformed."""
    generated = make_dict_structure_fn(
        CreateTimeEntryBody, converter, _cattrs_forbid_extra_keys=True, _cattrs_detailed_validation=True
    )

    def structure_create_body(document: dict[str, Any], wire_type: type[CreateTimeEntryBody]) -> Any:
        if document.get("durationSeconds") is not None and "duration" in document:
            document = {name: value for name, value in document.items() if name != "duration"}
        return generated(document, wire_type)

    converter.register_structure_hook(CreateTimeEntryBody, structure_create_body)


_converter = _build_converter()


def parse_json(body: bytes) -> Any:
    """The JSON document in ``body``, or :data:`NOT_JSON` when it is not JSON (or not UTF-8)."""
    try:
        return msgspec.json.decode(body)
    except (msgspec.DecodeError, msgspec.ValidationError, UnicodeDecodeError, RecursionError):
        return NOT_JSON


def decode_document(document: Any) -> dict[str, Any]:
    """The body as a JSON object, or :class:`InvalidJson`."""
    if document is NOT_JSON:
        raise InvalidJson("The request body is not valid JSON.")
    if not isinstance(document, dict):
        raise InvalidJson(f"The request body must be a JSON object, got {_json_type(document)}.")
    return document


def structure(document: dict[str, Any], wire_type: type[T]) -> T:
    """``document`` as ``wire_type``, or :class:`ValidationFailed` naming every wrong field."""
    try:
        return _converter.structure(document, wire_type)
    except ClassValidationError as group:
        raise InvalidWireFields(_field_messages(group)) from None


def _field_messages(group: ClassValidationError) -> dict[str, str]:
    fields: dict[str, str] = {}
    for error in group.exceptions:
        if isinstance(error, ForbiddenExtraKeysError):
            for extra in sorted(error.extra_fields):
                fields[extra] = "is not a field of this request"
            continue
        name: str | None = next(
            (note.name for note in getattr(error, "__notes__", ()) if hasattr(note, "name")), None
        )
        if name is None:
            continue
        if isinstance(error, KeyError):
            fields[name] = "is required"
        elif isinstance(error, _WrongValue):
            fields[name] = str(error)
        else:
            fields[name] = "has the wrong type"
    return fields or {"body": "does not match the request schema"}
