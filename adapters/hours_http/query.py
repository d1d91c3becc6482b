"""Strict request parameters: query parameters and path ids accept exactly their documented forms.

Unknown query parameters are refused, like unknown body fields, and so are repeated ones: a typo
such as ``?projectID=...`` would otherwise be ignored silently and return unfiltered data. The
framework's own parsing is lax (``limit=2.0`` and ``limit=1e2`` are 2 and 100, ``billable=TRUE``
and ``billable=1`` are true, an id may be 32 hex digits, in braces or a ``urn:uuid:``), so every
value is first held to its one form: an integer is plain decimal digits, a boolean ``true`` or
``false``, a UUID hyphenated 8-4-4-4-12 hex digits, a date ``YYYY-MM-DD``. A query value in
another form is a 422 naming the parameter; a path id in another form matches no route (404),
as any other text in its place does.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from typing import Any
from uuid import UUID

from litestar import Request
from litestar.constants import RESERVED_KWARGS
from litestar.enums import ParamType
from litestar.exceptions import NotFoundException
from litestar.params import DependencyKwarg, KwargDefinition, ParameterKwarg
from litestar.typing import FieldDefinition

from hours_core.query_text import not_utf8_parameters
from hours_core.reports import MISSING_DATE
from hours_http.decoding import DATE_SHAPE, UUID_SHAPE
from hours_http.errors import InvalidWireFields, declared_type, parameter_message

__all__ = [
    "QUERY_RULES",
    "STRICT_QUERY",
    "QueryRule",
    "check_parameters",
    "loose_path_ids",
    "refuse_unknown_query_parameters",
]

STRICT_QUERY = {"strict_query": True}
"""The ``opt`` of controllers whose handlers refuse unknown query parameters (the API, not /schema)."""

QueryRule = Callable[[str], "str | None"]
"""A rule of one query parameter beyond its declared type: the message of a wrong value, or ``None``."""

QUERY_RULES = "query_rules"
"""The key of a handler's ``opt`` that maps query parameters (by the name a client sends) to a
:data:`QueryRule` of their own: for a value declared as text but read as something else (an
RFC 3339 instant, a UUID or a token prefix), so that a wrong one is reported with every other wrong
parameter, not alone once the others are right. A handler names them with the keyword argument
``query_rules`` of its route decorator, which Litestar keeps in the handler's ``opt``."""

_SHAPES: dict[Any, re.Pattern[str]] = {
    int: re.compile(r"0|[1-9][0-9]{0,18}"),
    bool: re.compile(r"true|false"),
    UUID: UUID_SHAPE,
    dt.date: DATE_SHAPE,
}
"""The one accepted form of a query value of each type. An integer has at most 19 digits: enough for
the largest a parameter takes (``after`` of ``GET /changes``: 2**63 - 1, 19 digits), so that every
value its range message names is accepted; a longer one breaks that range anyway, and is refused
before ``int()`` reads it."""


def _query_parameters(route_handler: Any) -> dict[str, FieldDefinition]:
    """The query parameters the handler declares: its arguments that are not the framework's
    reserved ones (``request``, ``data``, ...), dependencies (``caller``, ``services``), or path,
    header and cookie parameters; under the name a client sends (``from``, not ``date_from``).

    Worked out per request that has a query string (a few dozen attribute reads): a cache keyed
    by the handler would outlive it, and ``id()`` keys are reused once an app is collected.
    """
    dependencies = route_handler.resolve_dependencies()
    found: dict[str, FieldDefinition] = {}
    for name, field in route_handler.parsed_fn_signature.parameters.items():
        definition = field.kwarg_definition
        if name in RESERVED_KWARGS or name in dependencies or isinstance(definition, DependencyKwarg):
            continue
        if isinstance(definition, ParameterKwarg) and definition.param_type not in (None, ParamType.QUERY):
            continue
        if isinstance(definition, KwargDefinition) and not isinstance(definition, ParameterKwarg):
            continue
        query_name = getattr(definition, "query", None) or getattr(definition, "name", None) or name
        found[query_name] = field
    return found


def _value_problem(field: FieldDefinition, value: str, rule: QueryRule | None = None) -> str | None:
    """The message for a query value that breaks its parameter's rule (its type's one form, its
    range, length or choices, then the handler's own ``rule`` for it), or ``None``. Every rule of
    every declared parameter is checked here, so that all wrong parameters are reported at once;
    Litestar's own parsing only follows."""
    declared = declared_type(field)
    if declared is not None and declared.is_non_string_sequence:  # a list: each value is one element
        declared = declared.inner_types[0] if declared.inner_types else None
        field = declared or field
    if declared is None or _meets_rule(declared, field.kwarg_definition, value):
        return None if rule is None else rule(value)
    return parameter_message(field, value) or "is not valid"


def _meets_rule(declared: FieldDefinition, definition: Any, value: str) -> bool:
    if declared.is_literal:
        return value in [str(choice) for choice in declared.args]
    kind = declared.annotation
    shape = _SHAPES.get(kind)
    if shape is not None and shape.fullmatch(value) is None:
        return False
    if kind is int:
        return _within(int(value), definition)
    if kind is dt.date:
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            return False
    if kind is str:
        shortest, longest = getattr(definition, "min_length", None), getattr(definition, "max_length", None)
        return (shortest is None or len(value) >= shortest) and (longest is None or len(value) <= longest)
    return True


def _within(number: int, definition: Any) -> bool:
    ge, gt = getattr(definition, "ge", None), getattr(definition, "gt", None)
    le, lt = getattr(definition, "le", None), getattr(definition, "lt", None)
    return (
        (ge is None or number >= ge)
        and (gt is None or number > gt)
        and (le is None or number <= le)
        and (lt is None or number < lt)
    )


async def refuse_unknown_query_parameters(request: Request[Any, Any, Any]) -> None:
    """422 naming every query parameter the endpoint does not take, every one it takes that is
    given more than once unless it takes a list (``?projectId=a&projectId=b``; a single value
    silently keeping the first or the last would hide a client's bug), and every value that breaks
    its parameter's rule.
    """
    if request.method == "OPTIONS":  # it asks what the path allows: its query string is not read
        return
    if not request.scope.get("query_string") or not request.route_handler.opt.get("strict_query"):
        return
    declared = _query_parameters(request.route_handler)
    rules: Mapping[str, QueryRule] = request.route_handler.opt.get(QUERY_RULES, {})
    path_names = request.path_params  # a path parameter is no query parameter
    problems = not_utf8_parameters(request.scope["query_string"])
    given = request.query_params  # the framework builds it anew at each access: once, not once a name
    for name in given:
        if name in problems or (problems and "\ufffd" in name):  # reported above, under its own name
            continue
        values = given.getall(name)
        if name not in declared or name in path_names:
            problems[name] = "is not a query parameter of this endpoint"
        elif len(values) > 1 and not declared[name].is_non_string_sequence:
            problems[name] = "must be given once"
        else:
            found = (_value_problem(declared[name], value, rules.get(name)) for value in values)
            problem = next((each for each in found if each is not None), None)
            if problem is not None:
                problems[name] = problem
    if problems:
        raise InvalidWireFields({**problems, **_missing_required(declared, given)})


def _missing_required(declared: Mapping[str, FieldDefinition], given: Any) -> dict[str, str]:
    """The required parameters missing from ``given``, each with its message. A required parameter
    is declared optional and checked by its use case (Litestar would stop at the first missing
    one, with a 400); when other parameters are wrong, this names it with them."""
    return {
        name: MISSING_DATE if _is_date(field) else "is required"
        for name, field in declared.items()
        if name not in given and getattr(field.kwarg_definition, "required", False)
    }


def _is_date(field: FieldDefinition) -> bool:
    declared = declared_type(field)
    return declared is not None and declared.annotation is dt.date


def refuse_loose_path_ids(request: Request[Any, Any, Any]) -> None:
    """404 (as for any path that matches no route) when a UUID path parameter was not written in
    the canonical hyphenated form: the framework also reads 32 hex digits, braces and ``urn:uuid:``.
    """
    if loose_path_ids(request.scope):
        raise NotFoundException()


def loose_path_ids(scope: Any) -> bool:
    """Whether a UUID path parameter of the routed request ``scope`` was written in another form
    than the canonical one (see :func:`refuse_loose_path_ids`)."""
    ids = [value for value in scope.get("path_params", {}).values() if isinstance(value, UUID)]
    if not ids:
        return False
    written = {UUID(segment) for segment in scope["path"].split("/") if UUID_SHAPE.fullmatch(segment)}
    return any(value not in written for value in ids)


async def check_parameters(request: Request[Any, Any, Any]) -> None:
    """The app's ``before_request`` hook: path ids, then query parameters (see the module)."""
    refuse_loose_path_ids(request)
    await refuse_unknown_query_parameters(request)
