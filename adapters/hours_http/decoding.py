"""Strict decoding of JSON values: the body as a JSON object, and each value of a wire type.

Litestar's own decoding is lax (``"5"`` becomes ``5``, unknown keys are dropped). Ours is not:
a string or boolean where an integer belongs, ``5400.0`` for an integer, a UUID or date in a
non-canonical form, or a date-time without an offset is a :class:`WrongValue` whose message is
the field message. The converter (:mod:`hours_http.converter`) structures bodies with these hooks
and reports every wrong field at once.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable
from typing import Any, Literal, get_args, get_origin
from uuid import UUID

import msgspec

from hours_core.json_shape import MAX_NESTING, RepeatedMember, json_type, nesting_exceeds, unique_members
from hours_core.rfc3339 import NotARealDateTime, read_date_time
from hours_core.validation import instant_problem
from hours_http.errors import TYPE_PHRASES, InvalidJson, InvalidWireFields

__all__ = [
    "DATE_SHAPE",
    "MAX_NESTING",
    "NOT_JSON",
    "UUID_SHAPE",
    "WrongValue",
    "decode_document",
    "exact",
    "instant_text_problem",
    "is_literal",
    "json_type",
    "nesting_exceeds",
    "parse_instant",
    "parse_json",
    "repeated_member",
    "structure_date",
    "structure_datetime",
    "structure_literal",
    "structure_strings",
    "structure_uuid",
]

UUID_SHAPE = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
"""The one accepted form of a UUID, in bodies, paths and queries: hyphenated 8-4-4-4-12 hex digits."""
DATE_SHAPE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
"""The one accepted form of a date: ``YYYY-MM-DD``."""
NOT_JSON = object()
"""What :func:`parse_json` returns for a body that is not JSON."""


class WrongValue(ValueError):
    """A value of the right JSON type that is still wrong; its message is the field message."""


def _null(expected: str) -> WrongValue:
    return WrongValue(f"must be {expected}, not null")


def exact(kind: type, expected: str) -> Any:
    """A structure hook for values of exactly ``kind`` (no ``True`` for ``1``, no ``"5"`` for ``5``)."""

    def structure_exactly(value: object, _type: object) -> object:
        if value is None:
            raise _null(expected)
        if type(value) is not kind:
            raise WrongValue(f"must be {expected}, got {json_type(value)}")
        return value

    return structure_exactly


def structure_strings(value: object, _type: object) -> list[str]:
    """A structure hook for ``list[str]``: a JSON array of strings, nothing else (a string is not one)."""
    if value is None:
        raise _null("an array of strings")
    if type(value) is not list:
        raise WrongValue(f"must be an array of strings, got {json_type(value)}")
    for index, item in enumerate(value):
        if type(item) is not str:
            raise WrongValue(f"must be an array of strings; item {index + 1} is {json_type(item)}")
    return list(value)


def is_literal(kind: object) -> bool:
    """Whether ``kind`` is a ``Literal[...]`` of strings (a choice: a role, a day of the week)."""
    return get_origin(kind) is Literal


def structure_literal(value: object, kind: object) -> str:
    """One of the strings of a ``Literal``, exactly: ``must be owner, admin or member`` otherwise."""
    choices = [str(choice) for choice in get_args(kind)]
    expected = choices[0] if len(choices) == 1 else f"{', '.join(choices[:-1])} or {choices[-1]}"
    if value is None:
        raise _null(expected)
    if type(value) is not str:
        raise WrongValue(f"must be {expected}, got {json_type(value)}")
    if value not in choices:
        raise WrongValue(f"must be {expected}")
    return value


def structure_uuid(value: object, _type: object) -> UUID:
    """A hyphenated UUID string, as a UUID."""

    expected = TYPE_PHRASES[UUID]
    if value is None:
        raise _null(expected)
    if type(value) is not str or UUID_SHAPE.fullmatch(value) is None:
        raise WrongValue(f"must be {expected}")
    return UUID(value)


def structure_date(value: object, _type: object) -> dt.date:
    """A ``YYYY-MM-DD`` string that names a real day, as a date."""

    expected = TYPE_PHRASES[dt.date]
    if value is None:
        raise _null(expected)
    if type(value) is not str or DATE_SHAPE.fullmatch(value) is None:
        raise WrongValue(f"must be {expected}")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise WrongValue(f"is not a real calendar date: {value}") from None


def structure_datetime(value: object, _type: object) -> dt.datetime:
    """An RFC 3339 date-time with an offset, in the range of instants
    (:data:`hours_core.validation.FIRST_INSTANT` to ``LAST_INSTANT``), in UTC."""

    expected = TYPE_PHRASES[dt.datetime]
    if value is None:
        raise _null(expected)
    try:
        parsed = read_date_time(value) if type(value) is str else None
    except NotARealDateTime:
        raise WrongValue(f"is not a real date and time: {value}") from None
    if parsed is None:
        raise WrongValue(f"must be {expected}")
    problem = instant_problem(parsed)  # before the conversion, which overflows out of range
    if problem is not None:
        raise WrongValue(problem)
    return parsed.astimezone(dt.UTC)


def parse_instant(text: str, field: str) -> dt.datetime:
    """An RFC 3339 date-time with an offset, in UTC; 422 naming ``field`` otherwise."""
    try:
        return structure_datetime(text, dt.datetime)
    except WrongValue as error:
        raise InvalidWireFields.one(field, str(error)) from None


def instant_text_problem(text: str) -> str | None:
    """Why ``text`` is no instant :func:`parse_instant` reads (its message), or ``None`` if it is
    one: the rule of an instant query parameter, checked with the others (:mod:`hours_http.query`)."""
    try:
        structure_datetime(text, dt.datetime)
    except WrongValue as error:
        return str(error)
    return None


def parse_json(body: bytes) -> Any:
    """The JSON document in ``body``, or :data:`NOT_JSON` when it is not JSON (or not UTF-8).

    Raises :class:`InvalidJson` for a body that nests deeper than :data:`MAX_NESTING`, before
    parsing it.
    """
    if nesting_exceeds(body):
        raise InvalidJson(
            f"The request body nests arrays and objects deeper than {MAX_NESTING} levels; "
            f"at most {MAX_NESTING} are allowed."
        )
    try:
        return msgspec.json.decode(body)
    except (msgspec.DecodeError, msgspec.ValidationError, UnicodeDecodeError, RecursionError):
        return NOT_JSON


def repeated_member(body: bytes, document: Any = NOT_JSON) -> str | None:
    """The first member named twice in one object of the JSON ``body`` (a document msgspec has
    read), or ``None``. msgspec keeps the last of the two silently, so another parser on the way (a
    proxy, a log reader) that keeps the first would see another request than the one stored; the
    JSON lines import refuses the same.

    Given the parsed ``document``, a body with no more colons than the document has members cannot
    name one twice (each member takes a colon of its own; colons in strings only add), which is the
    common case and costs a count. Otherwise a second, C-speed parse with the standard library
    decides."""
    if document is not NOT_JSON and body.count(b":") <= _member_count(document):
        return None
    try:
        json.loads(body, object_pairs_hook=unique_members)
    except RepeatedMember as repeated:
        return repeated.name
    except (ValueError, RecursionError):  # what msgspec read and json does not (4,300+ digit ints)
        return None
    return None


def _member_count(value: Any) -> int:
    """How many members the objects of a parsed JSON ``value`` have, at every depth (a document
    nests at most :data:`~hours_core.json_shape.MAX_NESTING` deep: it was refused unparsed otherwise)."""
    items: Iterable[Any]
    if isinstance(value, dict):
        count, items = len(value), value.values()
    elif isinstance(value, list):
        count, items = 0, value
    else:
        return 0
    for item in items:
        if isinstance(item, dict | list):
            count += _member_count(item)
    return count


def decode_document(document: Any, repeated: str | None) -> dict[str, Any]:
    """The body (``document``, parsed) as a JSON object, or :class:`InvalidJson`: not JSON, not an
    object, or an object that names a member twice (``repeated``: :func:`repeated_member` of its
    bytes, which the body works out once for this and for its fingerprint)."""
    if document is NOT_JSON:
        raise InvalidJson("The request body is not valid JSON.")
    if not isinstance(document, dict):
        raise InvalidJson(f"The request body must be a JSON object, got {json_type(document)}.")
    if repeated is not None:
        raise InvalidJson(
            f"The request body names the member {json.dumps(repeated)} twice in one object; "
            "send each member once."
        )
    return document
