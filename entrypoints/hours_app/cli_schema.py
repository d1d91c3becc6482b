"""The API's published contract, without a database: the OpenAPI document and TypeScript types.

Both come from the Litestar app built over an empty in-memory store, so ``hours schema ...``
works anywhere, offline, and always matches the code. The TypeScript comes from Litestar's own
converter (the one behind ``litestar schema typescript``), re-indented for people.
"""

from __future__ import annotations

import msgspec
from litestar import Litestar
from litestar._openapi.typescript_converter.converter import convert_openapi_to_typescript
from litestar.serialization import encode_json, get_serializer

from hours_app.version import hours_version
from hours_core.clock import SystemClock
from hours_core.ids import UuidV7Ids
from hours_core.services import build_services
from hours_http import create_app
from hours_memory import InMemoryStore

__all__ = ["TYPESCRIPT_NAMESPACE", "openapi_document", "typescript_definitions"]

TYPESCRIPT_NAMESPACE = "HoursAPI"

_TYPESCRIPT_HEADER = (
    "// The request and response bodies of the hours API, generated from its OpenAPI document\n"
    "// by `hours schema typescript` (hours {version}). Do not edit: regenerate.\n"
)


def _offline_app() -> Litestar:
    services = build_services(InMemoryStore().unit_of_work, clock=SystemClock(), ids=UuidV7Ids())
    return create_app(services, version=hours_version())


def openapi_document() -> str:
    """The OpenAPI 3.1 document of the API, as indented JSON."""
    app = _offline_app()
    encoded = encode_json(app.openapi_schema.to_schema(), serializer=get_serializer(app.type_encoders))
    return msgspec.json.format(encoded, indent=2).decode("utf-8")


def typescript_definitions(namespace: str = TYPESCRIPT_NAMESPACE) -> str:
    """TypeScript types for every operation's parameters, request body and responses."""
    app = _offline_app()
    raw = convert_openapi_to_typescript(app.openapi_schema, namespace).write()
    return _TYPESCRIPT_HEADER.format(version=hours_version()) + _reindent(raw)


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
