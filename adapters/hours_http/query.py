"""Unknown query parameters are refused, like unknown body fields.

A typo such as ``?projectID=...`` would otherwise be ignored silently and return unfiltered data.
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.constants import RESERVED_KWARGS
from litestar.enums import ParamType
from litestar.params import DependencyKwarg, KwargDefinition, ParameterKwarg

from hours_core.errors import ValidationFailed

__all__ = ["STRICT_QUERY", "refuse_unknown_query_parameters"]

STRICT_QUERY = {"strict_query": True}
"""The ``opt`` of controllers whose handlers refuse unknown query parameters (the API, not /schema)."""

_known: dict[int, frozenset[str]] = {}


def _query_names(route_handler: Any) -> frozenset[str]:
    """The query parameters the handler declares: its arguments that are not the framework's
    reserved ones (``request``, ``data``, ...), dependencies (``caller``, ``services``), or path,
    header and cookie parameters; under the name a client sends (``from``, not ``date_from``).
    """
    names = _known.get(id(route_handler))
    if names is None:
        dependencies = route_handler.resolve_dependencies()
        found: set[str] = set()
        for name, field in route_handler.parsed_fn_signature.parameters.items():
            definition = field.kwarg_definition
            if name in RESERVED_KWARGS or name in dependencies or isinstance(definition, DependencyKwarg):
                continue
            if isinstance(definition, ParameterKwarg) and definition.param_type not in (
                None,
                ParamType.QUERY,
            ):
                continue
            if isinstance(definition, KwargDefinition) and not isinstance(definition, ParameterKwarg):
                continue
            query_name = getattr(definition, "query", None) or getattr(definition, "name", None) or name
            found.add(query_name)
        names = _known[id(route_handler)] = frozenset(found)
    return names


async def refuse_unknown_query_parameters(request: Request[Any, Any, Any]) -> None:
    """The app's ``before_request`` hook: 422 naming every query parameter the endpoint does not take."""
    if not request.scope.get("query_string") or not request.route_handler.opt.get("strict_query"):
        return
    allowed = _query_names(request.route_handler)
    path_names = request.path_params  # a path parameter is no query parameter
    unknown = [name for name in request.query_params if name not in allowed or name in path_names]
    if unknown:
        raise ValidationFailed(dict.fromkeys(unknown, "is not a query parameter of this endpoint"))
