"""The error body, the HTTP status of each error code, and the app's exception handlers.

Every error leaves as ``{"error": {"code", "message", "fields"?, "requiredPlan"?, "feature"?}}``
with a JSON content type: core errors, framework errors (unknown route, wrong method, body too
large) and bugs alike. A bug answers 500 ``internal_error`` with a generic message; the stack
trace goes to the log, never to the client.

A query parameter the framework refuses is a 422 ``validation_failed`` like a wrong body field, and
its message is written from the parameter's declared type and constraints (``must be an integer from
1 to 500``), in the words of the body messages (:data:`TYPE_PHRASES`), not in the framework's.
"""

from __future__ import annotations

import datetime as dt
import heapq
import logging
import math
import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any
from uuid import UUID

import msgspec
from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.types import ExceptionHandlersMap
from litestar.typing import FieldDefinition

from hours_core.errors import (
    BatchFailed,
    Hint,
    HoursError,
    IdempotencyRequestInProgress,
    PlanRequired,
    PreconditionFailed,
    StoreFull,
    TimerAlreadyRunning,
    Unauthenticated,
    ValidationFailed,
    summarize,
)
from hours_core.tokens import redact_tokens
from hours_http.naming import field_path, json_name
from hours_http.options import with_head
from hours_http.preconditions import ETAG_HEADER, entity_tag
from hours_http.request_id import request_id_of

__all__ = [
    "HTTP_HINTS",
    "MAX_LISTED_FIELDS",
    "STATUS_BY_CODE",
    "TYPE_PHRASES",
    "VARYING_STATUSES",
    "InvalidJson",
    "InvalidWireFields",
    "PayloadTooLarge",
    "RateLimited",
    "UnsupportedMediaType",
    "declared_type",
    "error_body",
    "error_member",
    "error_response",
    "exception_handlers",
    "listed_fields",
    "parameter_message",
    "respelled",
    "status_for",
    "too_large_message",
]

logger = logging.getLogger("hours.http")

TYPE_PHRASES: Mapping[type, str] = MappingProxyType(
    {
        bool: "true or false",
        int: "an integer",
        str: "a string",
        UUID: "a UUID such as 5a8591dd-4039-49df-9202-96385ba3eff8",
        dt.date: "a date in the form YYYY-MM-DD",
        dt.datetime: "an RFC 3339 date-time with an offset, such as 2019-08-24T14:15:22Z",
    }
)
"""What a value of each wire type must be, as body fields and query parameters both say it."""


STORE_FULL_RETRY_AFTER_SECONDS = 30
"""``Retry-After`` of a 503 ``store_full``: freeing disk space takes a person, not a second."""

UNAUTHENTICATED_MESSAGE = "A valid personal access token is required (Authorization: Bearer hsk_...)."
"""The one message of every 401, naming the header the token goes in."""

HTTP_HINTS: Mapping[Hint, str] = MappingProxyType(
    {Hint.STOP_THE_TIMER: "stop it with POST /timers/current/stop first"}
)
"""How this API words each next step the core suggests: by its route."""


class InvalidWireFields(ValidationFailed):
    """``validation_failed`` found by this adapter (body, query, cursor): its fields are named as
    the client sent them already, so :func:`error_response` does not respell them.
    """


class InvalidJson(HoursError):
    """The body is not JSON, or not a JSON object."""

    code = "invalid_json"
    default_message = "The request body must be a JSON object."


class UnsupportedMediaType(HoursError):
    """The Content-Type is missing or not application/json."""

    code = "unsupported_media_type"
    default_message = "Send the body as JSON in UTF-8 with the header Content-Type: application/json."


class PayloadTooLarge(HoursError):
    """The body exceeds the limit."""

    code = "payload_too_large"
    default_message = "The request body exceeds the limit of 64 KiB."


class RateLimited(HoursError):
    """Over a rate limit; ``headers`` carry Retry-After and the RateLimit fields."""

    code = "rate_limited"
    default_message = "Too many requests for your user; retry after the seconds in Retry-After."

    def __init__(self, headers: dict[str, str], message: str | None = None) -> None:
        self.headers = headers
        super().__init__(message)


STATUS_BY_CODE: Mapping[str, int] = {
    "invalid_json": 400,
    "idempotency_key_invalid": 400,
    "bad_request": 400,
    "invalid_precondition": 400,
    "unauthenticated": 401,
    "plan_required": 402,
    "forbidden": 403,
    "not_found": 404,
    "method_not_allowed": 405,
    "request_timeout": 408,
    "conflict": 409,
    "email_taken": 409,
    "last_owner": 409,
    "webhook_inactive": 409,
    "entry_locked": 409,
    "entry_overlaps": 409,
    "invalid_transition": 409,
    "timer_already_running": 409,
    "external_ref_taken": 409,
    "stale_update": 409,
    "batch_failed": 409,
    "idempotency_request_in_progress": 409,
    "cursor_expired": 410,
    "precondition_failed": 412,
    "payload_too_large": 413,
    "import_file_too_large": 413,
    "unsupported_media_type": 415,
    "validation_failed": 422,
    "invalid_duration": 422,
    "duration_too_long": 422,
    "duration_out_of_range": 422,
    "idempotency_key_reused": 422,
    "import_file_invalid": 422,
    "import_file_unreadable": 422,
    "import_columns_missing": 422,
    "ambiguous_date_format": 422,
    "too_many_tokens": 422,
    "too_many_webhooks": 422,
    "rate_limited": 429,
    "internal_error": 500,
    "service_unavailable": 503,
    "store_busy": 503,
    "store_full": 503,
}
"""The HTTP status of each error code; only this adapter maps codes to statuses."""

VARYING_STATUSES: Mapping[str, frozenset[int]] = {"batch_failed": frozenset({409, 422})}
"""The codes answered with more than one status (:func:`status_for` says which, each time); their
:data:`STATUS_BY_CODE` entry is the default."""

_CODE_BY_FRAMEWORK_STATUS = {
    400: ("bad_request", "The request is malformed."),
    401: ("unauthenticated", UNAUTHENTICATED_MESSAGE),
    403: ("forbidden", "You may not do this."),
    404: ("not_found", "There is no such resource."),
    405: ("method_not_allowed", "This method is not allowed on this resource."),
    413: ("payload_too_large", PayloadTooLarge.default_message),
    415: ("unsupported_media_type", UnsupportedMediaType.default_message),
    429: ("rate_limited", RateLimited.default_message),
    503: ("service_unavailable", "The service is temporarily unavailable; retry shortly."),
}


def status_for(error: HoursError) -> int:
    """The HTTP status of a core or adapter error code.

    A failed all-or-nothing batch (``batch_failed``) is 422 when its operations failed validation
    (each would have been a 422 on its own), else 409.
    """
    if isinstance(error, BatchFailed):
        return 422 if all(status_for(failed) == 422 for _index, failed in error.failures) else 409
    return STATUS_BY_CODE.get(error.code, 400 if isinstance(error, ValueError) else 500)


def error_body(
    code: str,
    message: str,
    *,
    fields: dict[str, str] | None = None,
    required_plan: str | None = None,
    feature: str | None = None,
    details: Mapping[str, object] | None = None,
) -> bytes:
    """The JSON bytes of an error body; absent members are left out.

    ``details`` (see :meth:`~hours_core.errors.HoursError.details`) are added with their names
    respelled by :func:`~hours_http.naming.json_name`, at every depth.
    """
    error: dict[str, Any] = {"code": code, "message": message}
    if fields:
        error["fields"] = fields
    if required_plan is not None:
        error["requiredPlan"] = required_plan
    if feature is not None:
        error["feature"] = feature
    if details:
        error.update(respelled(details))
    return msgspec.json.encode({"error": error})


def respelled(value: Any) -> Any:
    """``value`` with the keys of its mappings (at every depth) in JSON names."""
    if isinstance(value, Mapping):
        return {json_name(str(key)): respelled(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [respelled(item) for item in value]
    return value


def error_member(error: HoursError) -> dict[str, Any]:
    """The ``error`` member of the body for ``error``, in the wire's words: the fields the core names
    are named by their path in the body (:func:`~hours_http.naming.field_path`), and its hints by
    :data:`HTTP_HINTS`; members that do not apply are left out."""
    if isinstance(error, ValidationFailed) and not isinstance(error, InvalidWireFields):
        error = error.respelled(field_path, HTTP_HINTS)
    fields = dict(error.fields) if isinstance(error, ValidationFailed) else None
    if fields is None and error.code in {"invalid_duration", "duration_too_long", "duration_out_of_range"}:
        fields = {"duration": error.message}
    option = getattr(error, "option", None)  # the argument that settles it (ambiguous_date_format)
    if fields is None and isinstance(option, str):
        fields = {json_name(option): error.message}
    member: dict[str, Any] = {"code": error.code, "message": redact_tokens(_wire_message(error))}
    if fields:  # a name or message may quote what the client sent: a token never goes back out
        shown = {redact_tokens(name): redact_tokens(text) for name, text in fields.items()}
        if isinstance(error, ValidationFailed) and error.summarized:  # from names already redacted,
            member["message"] = summarize(shown)  # so that cutting one short cannot split a token
        member["fields"] = listed_fields(shown)
    if isinstance(error, PlanRequired):
        member["requiredPlan"] = error.required_plan
        member["feature"] = error.feature
    if isinstance(error, BatchFailed):
        member["errors"] = [_batch_error(index, failed) for index, failed in error.failures]
        member["message"] = error.summary(member["errors"][0]["message"])  # in the wire's words too
    else:
        member.update(respelled(error.details()))
    return member


MAX_LISTED_FIELDS = 100
"""The most fields an error body lists: beyond it, the first this many in name order (the message
says how many there are). A client that sent more wrong names than this has a bug to find, not a
list to read; without a cap a query of 8,000 unknown names was answered with half a megabyte."""


def listed_fields(fields: Mapping[str, str]) -> Mapping[str, str]:
    """``fields`` as the body lists them: all of them up to :data:`MAX_LISTED_FIELDS`, else that
    many, the first in name order."""
    if len(fields) <= MAX_LISTED_FIELDS:
        return fields
    return {name: fields[name] for name in heapq.nsmallest(MAX_LISTED_FIELDS, fields)}


def _batch_error(index: int, error: HoursError) -> dict[str, Any]:
    """One failed operation of a batch: ``{index, code, message, fields, status, ...}``, where
    ``fields`` is always there (``{}`` when the error names none) and ``status`` is the status its
    single-entry route would have answered."""
    member = error_member(error)
    return {
        "index": index,
        "code": member.pop("code"),
        "message": member.pop("message"),
        "fields": member.pop("fields", {}),
        "status": status_for(error),
        **member,
    }


def error_response(error: HoursError, headers: dict[str, str] | None = None) -> Response[bytes]:
    """The response for a core or adapter error (its body's ``error`` is :func:`error_member`)."""
    extra = dict(headers or {})
    if isinstance(error, Unauthenticated):
        extra["WWW-Authenticate"] = 'Bearer error="invalid_token"' if error.token_sent else "Bearer"
    if isinstance(error, StoreFull):  # the operator has to free space first
        extra["Retry-After"] = str(STORE_FULL_RETRY_AFTER_SECONDS)
    elif isinstance(error, IdempotencyRequestInProgress) or error.transient:  # busy, unreachable
        extra["Retry-After"] = "1"
    if isinstance(error, RateLimited):
        extra.update(error.headers)
    if isinstance(error, PreconditionFailed):
        extra[ETAG_HEADER] = entity_tag(error.current_version)  # the version to read again
    body = msgspec.json.encode({"error": error_member(error)})
    return Response(body, status_code=status_for(error), media_type=MediaType.JSON, headers=extra)


def _wire_message(error: HoursError) -> str:
    """The message of ``error``; a core message that suggests a request member or header is worded here."""
    if isinstance(error, Unauthenticated) and error.message == Unauthenticated.default_message:
        return UNAUTHENTICATED_MESSAGE
    if isinstance(error, TimerAlreadyRunning) and not error.restoring:
        return (
            f"A timer is already running (time entry {error.running_entry_id}); stop it first, "
            f'or send "{json_name("stop_running")}": true to stop it now.'
        )
    return error.message


def _handle_hours_error(_request: Request[Any, Any, Any], error: HoursError) -> Response[bytes]:
    return error_response(error)


def _handle_http_exception(request: Request[Any, Any, Any], error: HTTPException) -> Response[bytes]:
    if isinstance(error, ValidationException):
        fields = _parameter_messages(request, error)
        missing = _MISSING_QUERY_PARAMETER.match(error.detail or "")
        if missing is not None:
            fields[missing.group(1)] = "is required"
        if fields:
            return error_response(InvalidWireFields(fields))
        if _is_missing_body(error):
            return error_response(InvalidJson("The request body is empty; send a JSON object."))
    status = error.status_code
    if status >= 500:
        return _handle_bug(request, error)
    code, message = _CODE_BY_FRAMEWORK_STATUS.get(status, ("bad_request", "The request is malformed."))
    if status == 413:
        message = _too_large_message(request)
    headers = {name: value for name, value in (error.headers or {}).items() if name.lower() != "allow"}
    if status == 405:
        headers["Allow"] = _allowed_methods(error)
    if status == 401:
        headers.setdefault("WWW-Authenticate", "Bearer")
    return Response(
        error_body(code, message), status_code=status, media_type=MediaType.JSON, headers=headers or None
    )


def _too_large_message(request: Request[Any, Any, Any]) -> str:
    """The 413 message, naming the limit of the route (64 KiB, or 1 MiB for a batch)."""
    handler = request.scope.get("route_handler")
    return too_large_message(getattr(handler, "resolve_request_max_body_size", lambda: None)())


def too_large_message(limit: object) -> str:
    """The 413 message for a route whose body may have ``limit`` bytes (64 KiB, 1 MiB, ...)."""
    if not isinstance(limit, int) or limit <= 0:
        return PayloadTooLarge.default_message
    size = f"{limit // 2**20} MiB" if limit % 2**20 == 0 else f"{limit // 2**10} KiB"
    return f"The request body exceeds the limit of {size}."


_MISSING_QUERY_PARAMETER = re.compile(r"Missing required query parameter '([^']+)'")
"""Litestar's words for a required query parameter left out (``POST /imports`` without ``source``)."""


def _parameter_messages(request: Request[Any, Any, Any], error: ValidationException) -> dict[str, str]:
    """Litestar's parameter errors, keyed by the names clients send (``from``, not ``date_from``)."""
    problems = error.extra if isinstance(error.extra, list) else []
    signature = getattr(request.scope.get("route_handler"), "parsed_fn_signature", None)
    parameters = getattr(signature, "parameters", {})
    fields: dict[str, str] = {}
    for problem in problems:
        if not isinstance(problem, dict) or problem.get("source") == "body" or "key" not in problem:
            continue
        key = str(problem["key"])
        parameter = parameters.get(key)
        definition = getattr(parameter, "kwarg_definition", None)
        name = getattr(definition, "query", None) or getattr(definition, "header", None)
        name = name or getattr(definition, "name", None) or key
        sent = request.query_params.get(name) if problem.get("source") == "query" else None
        framework_message = str(problem.get("message", ""))
        declared = parameter if isinstance(parameter, FieldDefinition) else None
        fields[name] = parameter_message(declared, sent) or _framework_message(framework_message)
    return fields


def _is_missing_body(error: ValidationException) -> bool:
    problems = error.extra if isinstance(error.extra, list) else []
    return any(isinstance(problem, dict) and problem.get("source") == "body" for problem in problems)


def parameter_message(parameter: FieldDefinition | None, sent: str | None) -> str | None:
    """What the parameter must be, from its declared type and constraints; ``None`` if we cannot say.

    The message states the whole rule (``must be an integer from 1 to 500``), so it fits whichever
    part of it the value broke.
    """
    if parameter is None:
        return None
    declared = declared_type(parameter)
    if declared is None:
        return None
    definition = parameter.kwarg_definition
    if declared.is_literal:
        return _one_of([str(value) for value in declared.args])
    if declared.is_enum:
        return _one_of([str(member.value) for member in declared.annotation])
    if declared.is_non_string_sequence and len(declared.inner_types) == 1:
        phrase = TYPE_PHRASES.get(declared.inner_types[0].annotation)
        return None if phrase is None else f"must be {phrase} each time it is given"
    kind = declared.annotation
    if kind is int:
        return _integer_rule(definition)
    if kind is str:
        return _string_rule(definition)
    if kind is dt.date and sent is not None and _DATE_SHAPE.fullmatch(sent):
        return f"is not a real calendar date: {sent}"
    phrase = TYPE_PHRASES.get(kind)
    return None if phrase is None else f"must be {phrase}"


def declared_type(parameter: FieldDefinition) -> FieldDefinition | None:
    """The parameter's type without ``| None``; ``None`` for a union of several types."""
    if not parameter.is_optional:
        return parameter
    kinds = [inner for inner in parameter.inner_types if not inner.is_none_type]
    return kinds[0] if len(kinds) == 1 else None


_DATE_SHAPE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _integer_rule(definition: Any) -> str:
    ge, gt = getattr(definition, "ge", None), getattr(definition, "gt", None)
    le, lt = getattr(definition, "le", None), getattr(definition, "lt", None)
    low = math.ceil(ge) if ge is not None else None if gt is None else math.floor(gt) + 1
    high = math.floor(le) if le is not None else None if lt is None else math.ceil(lt) - 1
    if low is not None and high is not None:
        return f"must be an integer from {low} to {high}"
    if low is not None:
        return f"must be an integer of at least {low}"
    if high is not None:
        return f"must be an integer of at most {high}"
    return f"must be {TYPE_PHRASES[int]}"


def _string_rule(definition: Any) -> str:
    pattern = getattr(definition, "pattern", None)
    shortest, longest = getattr(definition, "min_length", None), getattr(definition, "max_length", None)
    if shortest is not None and longest is not None:
        length = f"{shortest} to {longest} characters"
    elif shortest is not None:
        length = f"at least {shortest} characters"
    elif longest is not None:
        length = f"at most {longest} characters"
    else:
        length = None
    if pattern:
        return (
            f"must be {length} matching the pattern {pattern}"
            if length
            else f"must match the pattern {pattern}"
        )
    return f"must be {length}" if length else f"must be {TYPE_PHRASES[str]}"


def _one_of(choices: list[str]) -> str:
    if len(choices) == 1:
        return f"must be {choices[0]}"
    return f"must be {', '.join(choices[:-1])} or {choices[-1]}"


def _framework_message(message: str) -> str:
    """The fallback: the framework's own text, with its ``Expected`` turned into ``must be``."""
    text = message.replace("`", "")
    if text.startswith("Expected "):
        text = "must be " + text[len("Expected ") :]
    return text or "is not valid"


def _allowed_methods(error: HTTPException) -> str:
    allow = next((value for name, value in (error.headers or {}).items() if name.lower() == "allow"), "")
    methods = {method.strip() for method in allow.split(",") if method.strip()}
    return ", ".join(sorted(with_head(methods)))


def _handle_bug(request: Request[Any, Any, Any], error: Exception) -> Response[bytes]:
    """500 ``internal_error``; the log line names the request by the id its answer and access line
    carry, and so does the message, for a client to quote."""
    request_id = request_id_of(request.scope)
    logger.error(
        "unhandled error on %s %s (request %s)",
        request.method,
        request.scope["path"],  # not request.url: a bad Host header would fail here again
        request_id,
        exc_info=(type(error), error, error.__traceback__),
    )
    return Response(
        error_body(
            "internal_error",
            f"Something went wrong on our side; the error was logged as request {request_id}.",
        ),
        status_code=500,
        media_type=MediaType.JSON,
    )


exception_handlers: ExceptionHandlersMap = {
    HoursError: _handle_hours_error,
    HTTPException: _handle_http_exception,
    Exception: _handle_bug,
}
"""The app's exception handlers: one for the core's error base, one for the framework's, one for bugs."""
