"""The shape of JSON text, for the adapters that read JSON from outside (request bodies, import lines).

Three rules both apply, kept once here since the adapters do not import each other: how deep arrays and
objects may nest before a document is refused unparsed (a parser that recurses once per level would
exhaust the stack on a thousand ``[``), that an object names each member once (:func:`unique_members`,
the hook a parser calls), and how a message names a parsed value's JSON type. Pure text and values: no
parser, no serializer.
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["MAX_NESTING", "RepeatedMember", "json_type", "nesting_exceeds", "unique_members"]

MAX_NESTING = 32
"""The deepest nesting of arrays and objects a document may have, its own object counting as one. No
request of the API and no line of an export needs more than three."""

_TOKEN = re.compile(rb'"(?:[^"\\]|\\.)*"?|[\[\]{}]', re.DOTALL)
_TEXT_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"?|[\[\]{}]', re.DOTALL)
"""A string (to its closing quote, or to the end when it has none: every character is read once) or
a bracket; in bytes and in text."""


def nesting_exceeds(document: bytes | str, limit: int = MAX_NESTING) -> bool:
    """Whether the arrays and objects of ``document`` nest deeper than ``limit``, brackets inside
    strings aside. One pass with no recursion, for any bytes or text (JSON or not)."""
    if isinstance(document, bytes):
        opened = document.count(b"[") + document.count(b"{")
        tokens = (token[0][:1].decode("latin-1") for token in _TOKEN.finditer(document))
    else:
        opened = document.count("[") + document.count("{")
        tokens = (token[0][:1] for token in _TEXT_TOKEN.finditer(document))
    if opened <= limit:
        return False
    depth = 0
    for kind in tokens:
        if kind in ("[", "{"):
            depth += 1
            if depth > limit:
                return True
        elif kind in ("]", "}"):
            depth -= 1
    return False


def json_type(value: object) -> str:
    """How a message names the JSON type of a parsed ``value``: ``a string``, ``an integer``, ...
    (the words of docs/api.md, "Strict decoding")."""
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


class RepeatedMember(ValueError):
    """An object of a JSON document names the member :attr:`name` twice."""

    def __init__(self, name: str) -> None:
        super().__init__(f"the member {json.dumps(name)} appears twice")
        self.name = name


def unique_members(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """The object of ``pairs`` (an ``object_pairs_hook`` of :func:`json.loads`), or
    :class:`RepeatedMember` for a member named twice: keeping the first or the last silently would
    let two readers of one document see two different requests."""
    members = dict(pairs)
    if len(members) != len(pairs):
        seen: set[str] = set()
        for name, _value in pairs:
            if name in seen:
                raise RepeatedMember(name)
            seen.add(name)
    return members
