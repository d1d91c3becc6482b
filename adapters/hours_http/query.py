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


def _query_parameters(route_handler: Any) -> dict[str, bool]:
    """The query parameters the handler declares, each with whether it takes a list
    (``?projectId=a&projectId=b``): its arguments that are not the framework's
    reserved ones (``request``, ``data``, ...), dependencies (``caller``, ``services``), or path,
    header and cookie parameters; under the name a client sends (``from``, not ``date_from``).

    Worked out per request that has a query string (a few dozen attribute reads): a cache keyed
    by the handler would outlive it, and ``id()`` keys are reused once an app is collected.
    """
    dependencies = route_handler.resolve_dependencies()
    found: dict[str, bool] = {}
    for name, field in route_handler.parsed_fn_signature.parameters.items():
        definition = field.kwarg_definition
        if name in RESERVED_KWARGS or name in dependencies or isinstance(definition, DependencyKwarg):
            continue
        if isinstance(definition, ParameterKwarg) and definition.param_type not in (None, ParamType.QUERY):
            continue
        if isinstance(definition, KwargDefinition) and not isinstance(definition, ParameterKwarg):
            continue
        query_name = getattr(definition, "query", None) or getattr(definition, "name", None) or name
        found[query_name] = field.is_non_string_sequence
    return found


async def refuse_unknown_query_parameters(request: Request[Any, Any, Any]) -> None:
    """The app's ``before_request`` hook: 422 naming every query parameter the endpoint does not
    take, and every one it takes that is given more than once (each takes one value; silently
    keeping the first or the last would hide a client's bug), unless it takes a list.
    """
    if not request.scope.get("query_string") or not request.route_handler.opt.get("strict_query"):
        return
    parameters = _query_parameters(request.route_handler)
    path_names = request.path_params  # a path parameter is no query parameter
    problems: dict[str, str] = {}
    for name in request.query_params:
        if name not in parameters or name in path_names:
            problems[name] = "is not a query parameter of this endpoint"
        elif not parameters[name] and len(request.query_params.getall(name)) > 1:
            problems[name] = "must be given once"
    if problems:
        raise InvalidWireFields(problems)
