"""Unknown query parameters are refused, like unknown body fields, and so are repeated ones.

A typo such as ``?projectID=...`` would otherwise be ignored silently and return unfiltered data.
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.constants import RESERVED_KWARGS
from litestar.enums import ParamType
from litestar.params import DependencyKwarg, KwargDefinition, ParameterKwarg

from hours_http.errors import InvalidWireFields

__all__ = ["STRICT_QUERY", "refuse_unknown_query_parameters"]

STRICT_QUERY = {"strict_query": True}
"""The ``opt`` of controllers whose handlers refuse unknown query parameters (the API, not /schema)."""


def _query_names(route_handler: Any) -> frozenset[str]:
    """The query parameters the handler declares: its arguments that are not the framework's
    reserved ones (``request``, ``data``, ...), dependencies (``caller``, ``services``), or path,
    header and cookie parameters; under the name a client sends (``from``, not ``date_from``).

    Worked out per request that has a query string (a few dozen attribute reads): a cache keyed
    by the handler would outlive it, and ``id()`` keys are reused once an app is collected.
    """
    dependencies = route_handler.resolve_dependencies()
    found: set[str] = set()
    for name, field in route_handler.parsed_fn_signature.parameters.items():
        definition = field.kwarg_definition
        if name in RESERVED_KWARGS or name in dependencies or isinstance(definition, DependencyKwarg):
            continue
        if isinstance(definition, ParameterKwarg) and definition.param_type not in (None, ParamType.QUERY):
            continue
        if isinstance(definition, KwargDefinition) and not isinstance(definition, ParameterKwarg):
            continue
        found.add(getattr(definition, "query", None) or getattr(definition, "name", None) or name)
    return frozenset(found)


async def refuse_unknown_query_parameters(request: Request[Any, Any, Any]) -> None:
    """The app's ``before_request`` hook: 422 naming every query parameter the endpoint does not
    take, and every one it takes that is given more than once (each takes one value; silently
    keeping the first or the last would hide a client's bug).
    """
    if not request.scope.get("query_string") or not request.route_handler.opt.get("strict_query"):
        return
    allowed = _query_names(request.route_handler)
    path_names = request.path_params  # a path parameter is no query parameter
    problems: dict[str, str] = {}
    for name in request.query_params:
        if name not in allowed or name in path_names:
            problems[name] = "is not a query parameter of this endpoint"
        elif len(request.query_params.getall(name)) > 1:
            problems[name] = "must be given once"
    if problems:
        raise InvalidWireFields(problems)
