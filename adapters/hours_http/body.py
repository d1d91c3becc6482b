"""Request bodies that are decoded when the handler asks, not before.

The documented order of checks puts authentication and the idempotency replay *before* JSON
decoding and validation: a replay must answer even if the decoder would now object, and a key
reused with a different (even malformed) body must say so. So a handler receives a
:class:`PendingBody`: the raw bytes (already size-checked by the framework) and the wire type,
and calls :meth:`PendingBody.decode` once the idempotency claim is made.

:class:`StrictJson` is the Litestar DTO that produces it. It also tells Litestar the body's
schema, so the OpenAPI document shows the wire type exactly.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Generator
from functools import cached_property
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from litestar.dto import AbstractDTO
from litestar.openapi.spec import Reference, Schema
from litestar.typing import FieldDefinition

from hours_http.converter import structure
from hours_http.decoding import NOT_JSON, decode_document, parse_json, repeated_member
from hours_http.errors import UnsupportedMediaType

if TYPE_CHECKING:
    from litestar._openapi.schema_generation import SchemaCreator
    from litestar.dto.data_structures import DTOFieldDefinition

__all__ = ["PendingBody", "StrictJson", "charset_refusal", "declared_charsets", "declares_utf8"]

T = TypeVar("T")


class PendingBody(Generic[T]):
    """A request body not yet decoded: its bytes, its content type and the wire type it must match."""

    __slots__ = ("__dict__", "content_type", "raw", "wire_type")

    def __init__(self, raw: bytes, content_type: str, wire_type: type[T]) -> None:
        self.raw = raw
        self.content_type = content_type
        self.wire_type = wire_type

    @cached_property
    def document(self) -> Any:
        """The parsed JSON (or :data:`hours_http.decoding.NOT_JSON`), for fingerprints and decoding;
        raises 400 ``invalid_json`` for a body nested deeper than the limit, before parsing it."""
        return parse_json(self.raw)

    @cached_property
    def repeated_member(self) -> str | None:
        """A member the body names twice in one object, or ``None`` (also for a body that is not
        JSON): worked out once, for its decoding (400 ``invalid_json``) and its fingerprint."""
        document = self.document
        return None if document is NOT_JSON else repeated_member(self.raw, document)

    def decode(self) -> T:
        """The body as the wire type; raises 415, 400 ``invalid_json`` or 422 with field messages."""
        return structure(self.json_object(), self.wire_type)

    def json_object(self) -> dict[str, Any]:
        """The body as a JSON object, for a handler that reads it itself; raises 415 or 400
        ``invalid_json``."""
        if not _is_json(self.content_type):
            raise UnsupportedMediaType()
        return decode_document(self.document, self.repeated_member)

    def decode_optional(self) -> T | None:
        """Like :meth:`decode`, but an empty body (with any content type) is ``None``."""
        if not self.raw.strip():
            return None
        return self.decode()


def _choose_one_of(schema: Schema, choices: list[Schema]) -> None:
    """Turn ``schema`` in place into ``allOf: [the object as it was, {anyOf: choices}]``; its
    title and description stay on the outside."""
    whole = dataclasses.replace(schema, title=None, description=None)
    for field in dataclasses.fields(schema):
        if field.name not in {"title", "description"}:
            setattr(schema, field.name, field.default)
    schema.all_of = [whole, Schema(any_of=choices)]


def _use_wire_names(schema: Schema, names: dict[str, str]) -> None:
    """Rename in place the members whose JSON name is not their attribute's (``from_`` -> ``from``)."""
    if not names:
        return
    if schema.properties is not None:
        schema.properties = {names.get(key, key): value for key, value in schema.properties.items()}
    if schema.required is not None:
        schema.required = [names.get(key, key) for key in schema.required]


_UTF8 = ("utf-8", "utf8", "us-ascii", "ascii")  # ASCII is a part of UTF-8


def declared_charsets(content_type: str) -> list[str]:
    """The ``charset`` parameters of ``content_type`` as sent (lowercased, unquoted): none, one, or
    (a malformed header) several."""
    _, _, parameters = content_type.partition(";")
    charsets = []
    for parameter in parameters.split(";"):
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset":
            charsets.append(value.strip().strip('"').lower())
    return charsets


def declares_utf8(content_type: str) -> bool:
    """Whether ``content_type`` declares no charset or UTF-8 (US-ASCII, a part of it, included), once:
    the only text encoding hours reads. A body declared in another charset, an empty one, or two
    (which one would win?) is refused rather than read as UTF-8, which would store its accented
    letters wrongly or fail on them."""
    charsets = declared_charsets(content_type)
    return not charsets or (len(charsets) == 1 and charsets[0] in _UTF8)


def charset_refusal(content_type: str) -> str:
    """How the charset of a ``content_type`` that :func:`declares_utf8` refuses is named in a message."""
    charsets = declared_charsets(content_type)
    if len(charsets) > 1:
        return f"declares {len(charsets)} charsets ({', '.join(repr(each) for each in charsets)})"
    if not charsets[0]:
        return "declares an empty charset"
    return f"is declared as {charsets[0]}"


def _is_json(content_type: str) -> bool:
    """Whether ``content_type`` is ``application/json`` in UTF-8: JSON has no other encoding on the
    wire (RFC 8259, 8.1), so a ``charset`` parameter, if sent, must say UTF-8. Other parameters are
    ignored."""
    media_type, _, _ = content_type.partition(";")
    return media_type.strip().lower() == "application/json" and declares_utf8(content_type)


class StrictJson(AbstractDTO[T]):
    """Hands the handler a :class:`PendingBody` of ``T`` and documents ``T`` as the request body.

    Use on handlers as ``dto=StrictJson[WireType], return_dto=None`` with a
    ``data: JSONBody[PendingBody[WireType]]`` parameter.
    """

    def decode_bytes(self, value: bytes) -> Any:
        """Wrap the raw body; decoding waits for :meth:`PendingBody.decode`."""
        content_type = self.asgi_connection.headers.get("content-type", "")
        return PendingBody(value, content_type, self.model_type)

    def decode_builtins(self, value: dict[str, Any]) -> Any:
        """Form bodies never reach a JSON handler."""
        raise UnsupportedMediaType()

    @classmethod
    def create_for_field_definition(
        cls, field_definition: FieldDefinition, handler_id: str, backend_cls: Any = None
    ) -> None:
        """No transfer models: the body is decoded by :mod:`hours_http.decoding`."""

    @classmethod
    def create_openapi_schema(
        cls, field_definition: FieldDefinition, handler_id: str, schema_creator: SchemaCreator
    ) -> Reference | Schema:
        """The wire type's own schema: no unknown fields (nor in the nested objects it lists in
        ``__openapi_closed_parts__``, with the rules between their members that they declare in
        ``__openapi_all_of__``), plus the cross-field rules it declares
        (``__openapi_dependent_schemas__``: what a member asks of the others when sent, and
        ``__openapi_any_of__``: a choice of members).

        A choice is documented as ``allOf`` of the object and an ``anyOf`` of the choices, not as an
        ``anyOf`` beside the object's ``properties``: code generators (openapi-typescript) turn the
        latter into a union whose branches drop the object's required members.
        """
        for part in getattr(
            cls.model_type, "__openapi_closed_parts__", ()
        ):  # nested objects: no unknown fields
            nested = schema_creator.for_field_definition(FieldDefinition.from_annotation(part))
            if isinstance(nested, Reference):
                nested_schema = schema_creator.schema_registry.from_reference(nested).schema
                nested_schema.additional_properties = False
                all_of = getattr(part, "__openapi_all_of__", None)
                if all_of is not None:  # rules between its members (BatchOperationBody's per op)
                    nested_schema.all_of = all_of()
        reference = schema_creator.for_field_definition(FieldDefinition.from_annotation(cls.model_type))
        if isinstance(reference, Reference):
            schema = schema_creator.schema_registry.from_reference(reference).schema
            schema.additional_properties = False
            _use_wire_names(schema, getattr(cls.model_type, "__wire_names__", {}))
            dependent_schemas = getattr(cls.model_type, "__openapi_dependent_schemas__", None)
            if dependent_schemas is not None:
                schema.dependent_schemas = dependent_schemas()
            any_of = getattr(cls.model_type, "__openapi_any_of__", None)
            if any_of is not None:
                _choose_one_of(schema, any_of())
        return reference

    @classmethod
    def generate_field_definitions(cls, model_type: type[Any]) -> Generator[DTOFieldDefinition, None, None]:
        """Unused: this DTO builds no transfer model."""
        yield from ()

    @classmethod
    def detect_nested_field(cls, field_definition: FieldDefinition) -> bool:
        """Unused: this DTO builds no transfer model."""
        return False
