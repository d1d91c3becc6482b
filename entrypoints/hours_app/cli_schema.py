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
from litestar.openapi.spec import OpenAPI, Reference, Schema
from litestar.serialization import encode_json, get_serializer

from hours_app.version import hours_version
from hours_core.clock import SystemClock
from hours_core.ids import UuidV7Ids
from hours_core.reports import MAX_GROUP_LEVELS
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
    - A component that refers to itself (a report node's ``children``) is unrolled to the depth the
      API can reach (:data:`~hours_core.reports.MAX_GROUP_LEVELS`): the converter inlines every
      reference, so a recursive one would never end.
    - ``allOf: [A, {oneOf: [B, C]}]`` becomes ``oneOf: [{allOf: [A, B]}, {allOf: [A, C]}]``, the same
      set of values: the converter writes ``A & B | C`` without parentheses, which TypeScript reads
      as ``(A & B) | C``.
    """
    copied = copy.deepcopy(document)
    _unroll_recursive_components(copied)
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


def _unroll_recursive_components(document: OpenAPI) -> None:
    """Replace each self-referring component schema with itself unrolled ``MAX_GROUP_LEVELS`` deep.

    The innermost copy drops the properties that refer to the component (a report node of the
    finest ``groupBy`` level has no ``children``), so the TypeScript type is exact for every
    report the API can answer.
    """
    schemas = document.components.schemas if document.components else None
    for name, schema in list((schemas or {}).items()):
        ref = f"#/components/schemas/{name}"
        if not _refers_to(schema, ref):
            continue
        unrolled = _without_references(copy.deepcopy(schema), ref)
        for _ in range(MAX_GROUP_LEVELS - 1):
            outer = copy.deepcopy(schema)
            _with_references_replaced(outer, ref, unrolled)
            unrolled = outer
        assert schemas is not None
        schemas[name] = unrolled


def _refers_to(node: object, ref: str) -> bool:
    """Whether ``ref`` is referenced anywhere inside ``node``."""
    if isinstance(node, Reference):
        return node.ref == ref
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        return any(_refers_to(getattr(node, field.name), ref) for field in dataclasses.fields(node))
    if isinstance(node, dict):
        return any(_refers_to(value, ref) for value in node.values())
    if isinstance(node, list | tuple):
        return any(_refers_to(value, ref) for value in node)
    return False


def _without_references(schema: Schema, ref: str) -> Schema:
    """``schema`` without the properties that refer to ``ref`` (nor their ``required`` entries)."""
    dropped = {key for key, value in (schema.properties or {}).items() if _refers_to(value, ref)}
    if schema.properties:
        schema.properties = {key: value for key, value in schema.properties.items() if key not in dropped}
    if schema.required:
        schema.required = [key for key in schema.required if key not in dropped]
    return schema


def _with_references_replaced(node: object, ref: str, replacement: Schema) -> object:
    """``node`` (changed in place, and returned) with every reference to ``ref`` replaced."""
    if isinstance(node, Reference) and node.ref == ref:
        return replacement
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        for field in dataclasses.fields(node):
            setattr(node, field.name, _with_references_replaced(getattr(node, field.name), ref, replacement))
    elif isinstance(node, dict):
        for key, value in node.items():
            node[key] = _with_references_replaced(value, ref, replacement)
    elif isinstance(node, list):
        node[:] = [_with_references_replaced(value, ref, replacement) for value in node]
    return node


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
