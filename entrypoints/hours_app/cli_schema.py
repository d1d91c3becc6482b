"""The API's published contract, without a database: the OpenAPI document and TypeScript types.

Both come from the Litestar app built over an empty in-memory store, so ``hours schema ...``
works anywhere, offline, and always matches the code. The TypeScript comes from Litestar's own
converter (the one behind ``litestar schema typescript``), re-indented for people.
"""

from __future__ import annotations

import copy
import dataclasses

import msgspec
from litestar import Litestar
from litestar._openapi.typescript_converter.converter import convert_openapi_to_typescript
from litestar.openapi.spec import OpenAPI, Schema
from litestar.serialization import encode_json, get_serializer

from hours_app.version import hours_version
from hours_core.clock import SystemClock
from hours_core.ids import UuidV7Ids
from hours_core.services import build_services
from hours_http import JsonEventBodies, create_app
from hours_memory import InMemoryStore

__all__ = ["TYPESCRIPT_NAMESPACE", "openapi_document", "typescript_definitions"]

TYPESCRIPT_NAMESPACE = "HoursAPI"

_TYPESCRIPT_HEADER = (
    "// The request and response bodies of the hours API, generated from its OpenAPI document\n"
    "// by `hours schema typescript` (hours {version}). Do not edit: regenerate.\n"
)


def _offline_app() -> Litestar:
    services = build_services(
        InMemoryStore().unit_of_work, clock=SystemClock(), ids=UuidV7Ids(), bodies=JsonEventBodies()
    )
    return create_app(services, version=hours_version())


def openapi_document() -> str:
    """The OpenAPI 3.1 document of the API, as indented JSON."""
    app = _offline_app()
    encoded = encode_json(app.openapi_schema.to_schema(), serializer=get_serializer(app.type_encoders))
    return msgspec.json.format(encoded, indent=2).decode("utf-8")


def typescript_definitions(namespace: str = TYPESCRIPT_NAMESPACE) -> str:
    """TypeScript types for every operation's parameters, request body and responses.

    They agree with what openapi-typescript generates from the same document (a test type-checks
    bodies against both): see :func:`_for_typescript` for the two rewrites that takes.
    """
    app = _offline_app()
    raw = convert_openapi_to_typescript(_for_typescript(app.openapi_schema), namespace).write()
    return _TYPESCRIPT_HEADER.format(version=hours_version()) + _reindent(raw)


def _for_typescript(document: OpenAPI) -> OpenAPI:
    """A copy of ``document`` that Litestar's TypeScript converter renders right.

    - ``anyOf`` becomes ``oneOf``: the converter reads only the latter, and both are a TypeScript
      union (a union of object types admits an object that matches several members, as ``anyOf``
      does).
    - ``allOf: [A, {oneOf: [B, C]}]`` becomes ``oneOf: [{allOf: [A, B]}, {allOf: [A, C]}]``, the same
      set of values: the converter writes ``A & B | C`` without parentheses, which TypeScript reads
      as ``(A & B) | C``.
    """
    copied = copy.deepcopy(document)
    pending: list[object] = [copied]
    while pending:
        node = pending.pop()
        if isinstance(node, Schema):
            if node.any_of and not node.one_of:
                node.one_of, node.any_of = node.any_of, None
            _distribute(node)
        if dataclasses.is_dataclass(node):
            pending.extend(getattr(node, field.name) for field in dataclasses.fields(node))
        elif isinstance(node, dict):
            pending.extend(node.values())
        elif isinstance(node, list | tuple):
            pending.extend(node)
    return copied


def _distribute(schema: Schema) -> None:
    """Rewrite ``allOf: [..., {anyOf or oneOf: [B, C]}]`` in place as ``oneOf`` of ``allOf``s."""
    members = list(schema.all_of or [])
    choice = next((m for m in members if isinstance(m, Schema) and (m.one_of or m.any_of)), None)
    if choice is None:
        return
    rest = [member for member in members if member is not choice]
    schema.all_of = None
    schema.one_of = [Schema(all_of=[*rest, option]) for option in (choice.one_of or choice.any_of or [])]


def _reindent(source: str) -> str:
    """Indent ``source`` by brace depth (two spaces a level), dropping blank lines; ``{ }`` becomes ``{}``."""
    stripped = [line.strip() for line in source.splitlines() if line.strip()]
    merged: list[str] = []
    for line in stripped:
        if merged and merged[-1].endswith("{") and line.startswith("}"):
            merged[-1] += line
        else:
            merged.append(line)
    depth = 0
    out: list[str] = []
    for line in merged:
        closes_first = line.startswith("}")
        if closes_first:
            depth = max(0, depth - 1)
        out.append("  " * depth + line)
        depth = max(0, depth + line.count("{") - line.count("}") + (1 if closes_first else 0))
    return "\n".join(out) + "\n"
