"""The OpenAPI document: bearer auth, the Idempotency-Key header, and each operation's responses.

Each operation declares what it can answer with :func:`documented`: the error codes it can return
(the descriptions come from one table, :data:`ERROR_TEXT`, unless the operation words a reason
itself) and the headers it sends. Litestar cannot say all of that on its own:

- ``ResponseSpec`` (``responses=``) carries no headers, and ``ResponseHeader`` (``response_headers=``)
  documents only the success response, with a schema derived from the type of its ``value``;
- Litestar adds its own 400 body (``{status_code, detail, extra}``) to every handler with parameters
  (``ResponseFactory.create_responses(raises_validation_error=True)``), which our API never sends:
  a path id that is not a UUID matches no route (404), and a wrong query parameter is 422.

So :func:`documented` also gives the handler an operation class that, when Litestar builds the
operation, drops every error response the operation did not declare and adds the headers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Annotated, TypedDict

from litestar import Router
from litestar.datastructures import CacheControlHeader
from litestar.openapi import OpenAPIConfig, ResponseSpec
from litestar.openapi.plugins import OpenAPIRenderPlugin, ScalarRenderPlugin, SwaggerRenderPlugin
from litestar.openapi.spec import (
    Components,
    OpenAPIFormat,
    OpenAPIHeader,
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Operation,
    Parameter,
    Reference,
    RequestBody,
    Schema,
    SecurityScheme,
)
from litestar.params import HeaderParameter
from litestar.static_files import create_static_files_router

from hours_http.errors import STATUS_BY_CODE
from hours_http.idempotency import IDEMPOTENCY_HEADER, IDEMPOTENT, REPLAYED_HEADER
from hours_http.wire import ErrorEnvelope
from hours_litestar import LocalFiles

__all__ = [
    "DOCS_ASSETS",
    "DOCS_ASSETS_CACHE_CONTROL",
    "DOCS_ASSETS_PATH",
    "ERROR_TEXT",
    "ETAG",
    "LOCATION",
    "SCALAR_VERSION",
    "SECURITY",
    "SWAGGER_UI_VERSION",
    "Documentation",
    "IdempotencyKeyHeader",
    "Reason",
    "docs_pages",
    "documented",
    "openapi_config",
    "refused_before_routing",
]

SECURITY_SCHEME = "BearerAuth"

LOCATION = "location"
"""The route ``opt`` key of the path template (``/time-entries/{id}``) of a created resource."""

ETAG = "etag"
"""The route ``opt`` key of a route whose success answer is one versioned resource: its ``ETag``."""

SCALAR_VERSION = "1.76.0"
"""The Scalar bundle (npm ``@scalar/api-reference``) of ``/schema``, vendored in :data:`DOCS_ASSETS`."""
SWAGGER_UI_VERSION = "5.35.0"
"""The Swagger UI bundle (npm ``swagger-ui-dist``) of ``/schema/swagger``, vendored in :data:`DOCS_ASSETS`."""
DOCS_ASSETS = Path(__file__).with_name("docs_assets")
"""The vendored scripts and styles of the docs pages, one folder per ``<npm package>@<version>``
(provenance and licenses: ``docs_assets/README.md``; ``scripts/vendor-docs-assets`` updates them)."""
DOCS_ASSETS_PATH = "/schema/assets"
"""Where the server serves :data:`DOCS_ASSETS`."""
DOCS_ASSETS_CACHE_CONTROL = CacheControlHeader(public=True, max_age=365 * 24 * 3600, immutable=True)
"""Each asset URL names its version, so its content never changes: clients may keep it a year."""

_UUID = "[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}"
_ULID = "[0-7][0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{25}"
IDEMPOTENCY_KEY_PATTERN = f'^(?:{_UUID}|{_ULID}|"{_UUID}"|"{_ULID}")$'
"""The documented shape of an Idempotency-Key (``hours_core.idempotency.parse_key`` is the check)."""
SECURITY: list[dict[str, list[str]]] = [{SECURITY_SCHEME: []}]

IdempotencyKeyHeader = Annotated[
    str | None,
    HeaderParameter(
        name=IDEMPOTENCY_HEADER,
        required=False,
        # Documented as a plain string with its pattern: "absent" is how a client leaves it out, not null.
        # The pattern documents the shape; parse_key checks it (400 idempotency_key_invalid).
        schema_extra={"oneOf": None, "type": OpenAPIType.STRING, "pattern": IDEMPOTENCY_KEY_PATTERN},
        description=(
            "A UUID or ULID chosen by the client. A replay of the same request within 24 hours of its "
            "first success returns the recorded response (with Idempotent-Replayed: true) and writes nothing."
        ),
        examples=None,
    ),
]

ERROR_TEXT: Mapping[str, str] = {
    "invalid_json": "the body is not a JSON object (not JSON, an array, `null`, ...) or is empty",
    "idempotency_key_invalid": "`Idempotency-Key` is not a UUID or a ULID",
    "bad_request": "the request is malformed",
    "unauthenticated": (
        "no, malformed, unknown, revoked, expired or other-environment token; `WWW-Authenticate` is "
        "`Bearer` when no bearer token was sent (no header, another scheme, `Bearer` alone), else "
        '`Bearer error="invalid_token"`'
    ),
    "plan_required": "the organization's plan lacks a feature; `requiredPlan` and `feature` say which",
    "forbidden": "your role may not do this",
    "not_found": "no such resource in your organization",
    "conflict": "the store refused the write as conflicting",
    "email_taken": "another user of your organization has this email (compared ignoring case)",
    "last_owner": (
        "the change would leave the organization without an active owner; make another user an owner first"
    ),
    "webhook_inactive": "the webhook is not active; set `active` to true first",
    "entry_locked": (
        "the entry is invoiced (`invoiceId` is set), or its old or new `entryDate` is in a closed period "
        "or in a week whose timesheet is submitted or approved; `lock` says which (`reason`, `through`, "
        "`kind`)"
    ),
    "invalid_transition": (
        "the timesheet's status does not allow this (approving a draft, submitting twice); "
        "`currentStatus` says its status"
    ),
    "entry_overlaps": (
        "the entry would overlap other entries of its user and the organization's `overlapPolicy` is "
        "`reject`; `entries` lists them (the first 20 by start)"
    ),
    "timer_already_running": "another timer of yours is running; the message names its id",
    "external_ref_taken": (
        "the entry's import was undone and the file imported again: another live entry holds the "
        "source row it came from (`externalRef`); the message names it"
    ),
    "stale_update": "the entry changed concurrently; read it again and retry",
    "batch_failed": "an operation of an atomic batch failed, so nothing was stored; `errors` names it",
    "invalid_precondition": (
        '`If-Match` or `If-None-Match` is not `*` nor a list of quoted entity tags (`"3"`, '
        '`W/"3"`), or lists more than 100'
    ),
    "precondition_failed": (
        "`If-Match` names a version that is no longer the resource's; `currentVersion` is the one "
        "stored now, and the `ETag` header carries it"
    ),
    "idempotency_request_in_progress": (
        "a request with the same key is still running; retry after `Retry-After` seconds"
    ),
    "payload_too_large": "the body exceeds 64 KiB",
    "unsupported_media_type": "a body sent without `Content-Type: application/json`",
    "validation_failed": "an unknown query parameter; `fields` names it",
    "import_file_too_large": "the file is over a limit of docs/export-import.md (bytes, rows or columns)",
    "import_file_invalid": "the file cannot be read as a whole",
    "import_file_unreadable": (
        "the file is empty (blank lines only, for JSON lines), not UTF-8, has a quote left open, has a "
        "CSV field over 131,072 characters, or names a column twice"
    ),
    "import_columns_missing": "a column the source always has is missing; the message names it",
    "ambiguous_date_format": (
        "the dates read month-first and day-first alike; send `dateFormat` (`MDY` or `DMY`), "
        "which `fields` names"
    ),
    "idempotency_key_reused": "the key was used within 24 hours for a different request",
    "rate_limited": (
        "over your user's request limit (when the server runs with `--rate-limit`), or your address "
        "over its limit of failed authentications; retry after `Retry-After` seconds"
    ),
    "internal_error": "a bug on our side; it was logged, the body never holds a stack trace",
    "store_busy": (
        "the database could not take the write in time (another writer held it past the busy "
        "timeout, or on PostgreSQL it deadlocked twice); nothing was changed; retry after "
        "`Retry-After` seconds (a read never waits for the token's last-use stamp)"
    ),
    "service_unavailable": "PostgreSQL is unreachable or every pooled connection stayed busy; retry shortly",
    "store_full": (
        "the database's disk is full: nothing was stored; retry after `Retry-After` seconds (the "
        "operator has to free space)"
    ),
}
"""What each error code means, unless an operation words it itself (:class:`Reason`)."""

_IDEMPOTENCY_CODES = ("idempotency_key_invalid", "idempotency_key_reused", "idempotency_request_in_progress")
_BODY_CODES = ("invalid_json", "payload_too_large", "unsupported_media_type")
_EVERY_OPERATION = ("unauthenticated", "validation_failed", "rate_limited", "internal_error")
_STORE_CODES = ("store_busy", "store_full", "service_unavailable")

_BODY_VALIDATION = (
    "a body field is wrong, or a query parameter unknown; `fields` names each (an unknown body field too)"
)

# The headers the API sends, declared inline on each response that sends them.
_HEADER_COMPONENTS: dict[str, OpenAPIHeader] = {
    "X-Request-Id": OpenAPIHeader(
        schema=Schema(type=OpenAPIType.STRING, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:@/+=-]{0,127}$"),
        description=(
            "The request's id: the `X-Request-Id` the request sent, when safe, else a new UUID. "
            "Every response carries it; the events of the request's changes record it."
        ),
        required=True,
    ),
    "WWW-Authenticate": OpenAPIHeader(
        schema=Schema(type=OpenAPIType.STRING, enum=["Bearer", 'Bearer error="invalid_token"']),
        description=(
            "`Bearer` when no bearer token was sent (no `Authorization` header, an empty one, another "
            'scheme such as `Basic`, or `Bearer` alone), else `Bearer error="invalid_token"`.'
        ),
        required=True,
    ),
    "Retry-After": OpenAPIHeader(
        schema=Schema(type=OpenAPIType.INTEGER, minimum=1),
        description="Seconds to wait before retrying.",
    ),
    "RateLimit-Policy": OpenAPIHeader(
        schema=Schema(type=OpenAPIType.STRING, pattern=r'^"(user|address)";q=[0-9]+;w=[0-9]+$'),
        description=(
            'The quota and its window in seconds: `"user";q=600;w=60` on every authenticated response '
            "when the server runs with `--rate-limit` (per user, all their tokens together), "
            '`"address";q=60;w=60` on a 429 for too many failed authentications from the client\'s '
            "address."
        ),
    ),
    "RateLimit": OpenAPIHeader(
        schema=Schema(type=OpenAPIType.STRING, pattern=r'^"(user|address)";r=[0-9]+;t=[0-9]+$'),
        description=(
            "Requests remaining in the window and seconds until it ends and the quota is full again, "
            'e.g. `"user";r=599;t=42`; sent with `RateLimit-Policy`.'
        ),
    ),
    "ETag": OpenAPIHeader(
        schema=Schema(type=OpenAPIType.STRING, pattern=r'^"[1-9][0-9]*"$'),
        description=(
            'The version of the resource as a strong entity tag: `"3"` for `version` 3. Send it back '
            "in `If-Match` to change only that version, or in `If-None-Match` to read it only if it "
            "changed."
        ),
    ),
    REPLAYED_HEADER: OpenAPIHeader(
        schema=Schema(type=OpenAPIType.STRING, enum=["true"]),
        description=(
            "`true` when this response is the recorded answer to an earlier request with the same "
            "`Idempotency-Key` (nothing was written); absent otherwise."
        ),
    ),
}
_RATE_LIMIT_HEADERS = ("RateLimit-Policy", "RateLimit")
_HEADERS_BY_CODE: Mapping[str, tuple[str, ...]] = {
    "unauthenticated": ("WWW-Authenticate",),
    "rate_limited": ("Retry-After", *_RATE_LIMIT_HEADERS),
    "store_busy": ("Retry-After",),
    "store_full": ("Retry-After",),
    "service_unavailable": ("Retry-After",),
    "idempotency_request_in_progress": ("Retry-After",),
    "precondition_failed": ("ETag",),
}
"""The headers each error code always sends (``hours_http.errors.error_response``, ``rate_limit``)."""


def _header(name: str, *, required: bool) -> OpenAPIHeader:
    """The header, written out on each response that sends it: shared ``components.headers`` would
    break Litestar's TypeScript conversion (``hours schema typescript`` expects only schemas there).
    """
    component = _HEADER_COMPONENTS[name]
    return OpenAPIHeader(schema=component.schema, description=component.description, required=required)


@dataclass(frozen=True)
class Reason:
    """One error an operation can return: its code and, if the general text does not fit, its own."""

    code: str
    text: str | None = None
    at: int | None = None
    """The status, for a code answered with more than one (``batch_failed``: 409 or 422)."""

    @property
    def status(self) -> int:
        """The HTTP status of the code (or the one it is documented at)."""
        return self.at or STATUS_BY_CODE[self.code]

    def describe(self) -> str:
        """``code``: text."""
        return f"`{self.code}`: {self.text or ERROR_TEXT[self.code]}"


_TRANSPORT_REASONS = (
    Reason(
        "bad_request",
        "`Authorization`, `Idempotency-Key` or `Content-Type` sent more than once (`fields` names it), "
        "or `Host` no URL can be built from (a port that is no port, or none sent over HTTP/1.1: "
        "then the connection is closed)",
    ),
    Reason(
        "unsupported_media_type",
        "a `Content-Encoding` other than `identity`, or a `Transfer-Encoding` other than `chunked`, "
        "whatever the body",
    ),
)
"""What every request may be refused for before routing (:class:`hours_http.transport.HttpSemantics`):
each operation lists them, after its own reasons for the same code."""

_BODY_TRANSPORT_REASONS = (
    Reason(
        "bad_request",
        "a body that cannot be read (a chunked encoding that is not valid HTTP/1.1, or the "
        "connection closed before the body was complete): the connection is closed",
    ),
    Reason(
        "request_timeout",
        "the body stopped arriving for the server's body timeout (30 s unless its operator chose "
        "another), or came slower than its minimum rate: the connection is closed and nothing was "
        "stored; send the whole body again (with the same `Idempotency-Key`)",
    ),
)
"""What a request is refused for while its body is read (:class:`hours_http.body_deadline.BodyDeadline`),
on an operation that reads one: an operation that reads none never waits for a body."""
_UNREAD_BODY = Reason("payload_too_large", "a body over 64 KiB, although this operation reads none")
"""A body over the limit is refused on an operation that reads none too (``hours_http.auth.caller_of``)."""


class Documentation(TypedDict):
    """The keyword arguments of a route decorator that document its responses."""

    responses: dict[int, ResponseSpec]
    operation_class: type[Operation]
    opt: dict[str, str]


def documented(
    *reasons: str | Reason,
    body: bool = False,
    idempotent: bool = False,
    location: str | None = None,
    optional_body: bool = False,
    success_content: Sequence[str] = (),
    raw_body: Sequence[str] = (),
    etag: bool = False,
    if_match: bool = False,
    if_none_match: bool = False,
) -> Documentation:
    """The responses of an authenticated operation, for its decorator: ``@post(..., **documented(...))``.

    ``reasons`` are the operation's own error codes (or :class:`Reason` with its own wording); every
    operation may also answer 401, 422 (an unknown query parameter), 429, 500 and 503. ``body``: it
    reads a JSON body (400 ``invalid_json``, 413, 415, 422 on its fields); ``idempotent``: it honors
    ``Idempotency-Key`` (400, 409 and 422 of the key, ``Idempotent-Replayed`` on success);
    ``location``: its success answer carries ``Location`` with this path (e.g.
    ``/time-entries/{id}``), which :class:`hours_http.responses.Writer` fills in with the new
    resource's id; ``optional_body``: the body may be left out. ``success_content``: the media
    types of a success answer that is a file, not JSON (an export); ``raw_body``: the media types of
    a body that is a file, not JSON, read by the handler itself (an import).

    Versions (docs/api.md, "Optimistic concurrency"): ``etag``: the success answer is one versioned
    resource and carries its ``ETag`` (the :class:`~hours_http.responses.Writer` adds it to a
    write's answer); ``if_match``: the operation takes ``If-Match`` (412 ``precondition_failed``,
    400 ``invalid_precondition``); ``if_none_match``: it takes ``If-None-Match`` (304, and 400).
    """
    chosen = [reason if isinstance(reason, Reason) else Reason(reason) for reason in reasons]
    if if_match:
        chosen.append(Reason("precondition_failed"))
    if if_match or if_none_match:
        chosen.append(Reason("invalid_precondition"))
    extra = [*_EVERY_OPERATION, *_STORE_CODES]
    if (body or optional_body) and all(reason.code != "validation_failed" for reason in chosen):
        chosen.append(Reason("validation_failed", _BODY_VALIDATION))
    if body or optional_body:
        extra += _BODY_CODES
    if idempotent:
        extra += _IDEMPOTENCY_CODES
    named = {reason.code for reason in chosen}
    chosen += [Reason(code) for code in extra if code not in named]
    reads_body = body or optional_body or bool(raw_body)
    if not reads_body and "payload_too_large" not in named:
        chosen.append(_UNREAD_BODY)
    transport = _TRANSPORT_REASONS + (_BODY_TRANSPORT_REASONS if reads_body else ())
    for cause in transport:
        chosen = [_with_transport_reason(reason, cause) for reason in chosen]
        if cause.code not in {reason.code for reason in chosen}:
            chosen.append(cause)

    by_status: dict[int, list[Reason]] = {}
    for reason in sorted(chosen, key=lambda r: (r.status, r.code)):
        group = by_status.setdefault(reason.status, [])
        if reason not in group:
            group.append(reason)

    responses = {
        status: ResponseSpec(
            data_container=ErrorEnvelope,
            description="\n".join(f"- {reason.describe()}." for reason in group),
            generate_examples=False,
        )
        for status, group in by_status.items()
    }
    error_headers = {
        status: _error_headers([reason.code for reason in group]) for status, group in by_status.items()
    }
    success_headers: dict[str, OpenAPIHeader] = {"X-Request-Id": _header("X-Request-Id", required=True)}
    if location is not None:
        success_headers["Location"] = OpenAPIHeader(
            schema=Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.URI_REFERENCE),
            description=f"The path of the new resource: `{location}`.",
            required=True,
        )
    if idempotent:
        success_headers[REPLAYED_HEADER] = _header(REPLAYED_HEADER, required=False)
    if etag:
        success_headers["ETag"] = _header("ETag", required=True)
    success_headers.update({name: _header(name, required=False) for name in _RATE_LIMIT_HEADERS})
    opt = {} if location is None else {LOCATION: location}
    if etag:
        opt[ETAG] = "true"
    if idempotent:
        opt[IDEMPOTENT] = "true"
    return Documentation(
        responses=responses,
        operation_class=_operation_class(
            error_headers,
            success_headers,
            optional_body=optional_body,
            success_content=success_content,
            raw_body=raw_body,
            not_modified=if_none_match,
        ),
        opt=opt,
    )


def refused_before_routing() -> dict[int, ResponseSpec]:
    """The error responses of an operation that needs no token (``GET /health``): only what every
    request may be refused for before routing (:data:`_TRANSPORT_REASONS`)."""
    return {
        reason.status: ResponseSpec(
            data_container=ErrorEnvelope, description=f"- {reason.describe()}.", generate_examples=False
        )
        for reason in _TRANSPORT_REASONS
    }


def _with_transport_reason(reason: Reason, cause: Reason) -> Reason:
    """``reason``, with ``cause``, a cause a request may have for the same code before the route
    (:data:`_TRANSPORT_REASONS`, :data:`_BODY_TRANSPORT_REASONS`), added to its own: an operation's
    415 for a body without JSON is also a 415 for a coded body."""
    if cause.code != reason.code:
        return reason
    return Reason(reason.code, f"{reason.text or ERROR_TEXT[reason.code]}; or {cause.text}", reason.at)


def _error_headers(codes: Iterable[str]) -> dict[str, OpenAPIHeader]:
    """The headers of one error status: required when every code of the status sends them."""
    codes = list(codes)
    sent = [set(_HEADERS_BY_CODE.get(code, ())) for code in codes]
    names = [name for name in _HEADER_COMPONENTS if any(name in group for group in sent)]
    headers = {name: _header(name, required=all(name in group for group in sent)) for name in names}
    headers["X-Request-Id"] = _header("X-Request-Id", required=True)
    # Every authenticated response carries the rate limit headers when the limit is on; a 401 never.
    if not {"unauthenticated", "rate_limited"} & set(codes):
        headers.update({name: _header(name, required=False) for name in _RATE_LIMIT_HEADERS})
    return headers


def _operation_class(
    error_headers: Mapping[int, Mapping[str, OpenAPIHeader]],
    success_headers: Mapping[str, OpenAPIHeader],
    *,
    optional_body: bool,
    success_content: Sequence[str] = (),
    raw_body: Sequence[str] = (),
    not_modified: bool = False,
) -> type[Operation]:
    """An :class:`Operation` that keeps only the declared error responses and adds their headers
    (and, for files, declares their media types; with ``not_modified``, the 304 of ``If-None-Match``)."""
    binary = Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY)

    @dataclass
    class DocumentedOperation(Operation):
        def __post_init__(self) -> None:
            parent = getattr(super(), "__post_init__", None)
            if parent is not None:  # should Litestar's Operation ever get one
                parent()
            if optional_body and isinstance(self.request_body, RequestBody):
                self.request_body.required = False  # Litestar marks every body required
            self.parameters = [
                replace(parameter, schema=_never_null(parameter.schema))
                if isinstance(parameter, Parameter) and parameter.schema is not None
                else parameter
                for parameter in self.parameters or []
            ] or None
            if raw_body:
                self.request_body = RequestBody(
                    content={media_type: OpenAPIMediaType(schema=binary) for media_type in raw_body},
                    required=True,
                )
            kept: dict[str, OpenAPIResponse | Reference] = {}
            for status, response in (self.responses or {}).items():
                if not status.isdigit():  # "default", "4XX": not ours to touch
                    kept[status] = response
                    continue
                code = int(status)
                if code == 400 and code not in error_headers:
                    continue  # Litestar's own 400 (its ValidationException), which our API never sends
                if code >= 400 and code not in error_headers:
                    raise ValueError(f"status {code} is not declared with documented(): declare its codes")
                if isinstance(response, OpenAPIResponse):
                    if success_content and code < 300:
                        response.content = {
                            media_type: OpenAPIMediaType(schema=binary) for media_type in success_content
                        }
                    headers = error_headers.get(code) if code >= 400 else success_headers
                    response.headers = {**(response.headers or {}), **(headers or {})} or None
                kept[status] = response
            if not_modified:
                kept["304"] = OpenAPIResponse(
                    description=(
                        "Not modified: `If-None-Match` names the current version. No body; the `ETag` "
                        "header carries the version."
                    ),
                    headers={
                        "ETag": _header("ETag", required=True),
                        "X-Request-Id": _header("X-Request-Id", required=True),
                    },
                )
            self.responses = kept

    return DocumentedOperation


def _never_null(schema: Schema | Reference) -> Schema | Reference:
    """A parameter's schema without ``null``. Litestar documents an optional argument ``T | None``
    as ``T`` or null (``oneOf`` with a null branch, or ``type: [null, ...]`` with ``null`` in its
    ``enum``); but a query string or a header carries text, no text is null (a client leaves the
    parameter out instead), and the server refuses ``?billable=null`` as any other wrong value. The
    constraints Litestar puts beside ``oneOf`` (``maxLength``, ``maximum``, the description) join
    the one branch left."""
    if not isinstance(schema, Schema):
        return schema
    if schema.one_of is not None:
        branches = [branch for branch in schema.one_of if not _is_null(branch)]
        if len(branches) == 1 and isinstance(branches[0], Schema):
            beside = {
                field.name: getattr(schema, field.name)
                for field in fields(schema)
                if field.name != "one_of" and getattr(schema, field.name) is not None
            }
            return replace(branches[0], **beside)
        schema = replace(schema, one_of=branches)
    types = schema.type
    if isinstance(types, Sequence) and not isinstance(types, str) and OpenAPIType.NULL in types:
        kept = [kind for kind in types if kind != OpenAPIType.NULL]
        enum = None if schema.enum is None else [value for value in schema.enum if value is not None]
        schema = replace(schema, type=kept[0] if len(kept) == 1 else kept, enum=enum)
    return schema


def _is_null(schema: Schema | Reference) -> bool:
    return isinstance(schema, Schema) and schema.type == OpenAPIType.NULL


def docs_pages() -> list[OpenAPIRenderPlugin]:
    """The interactive docs: Scalar at ``/schema``, Swagger UI at ``/schema/swagger``.

    Both load their scripts and styles from the server itself (:data:`DOCS_ASSETS_PATH`), never
    from a CDN, so they work offline and run the vendored, pinned code. Scalar's options switch
    off what would reach the internet by itself: its web fonts, telemetry, and the AI agent and MCP
    integrations; and its developer toolbar (links to Scalar's hosted services, shown on localhost).
    The favicon is an empty ``data:`` URL (no request at all).
    """
    scalar = f"{DOCS_ASSETS_PATH}/@scalar/api-reference@{SCALAR_VERSION}"
    swagger = f"{DOCS_ASSETS_PATH}/swagger-ui-dist@{SWAGGER_UI_VERSION}"
    favicon = "<link rel='icon' href='data:,'>"
    return [
        ScalarRenderPlugin(
            js_url=f"{scalar}/standalone.js",
            css_url=f"{DOCS_ASSETS_PATH}/hours-scalar.css",
            options={
                "withDefaultFonts": False,
                "telemetry": False,
                "agent": {"disabled": True},
                "mcp": {"disabled": True},
                "showDeveloperTools": "never",
            },
            favicon=favicon,
        ),
        SwaggerRenderPlugin(
            js_url=f"{swagger}/swagger-ui-bundle.js",
            css_url=f"{swagger}/swagger-ui.css",
            standalone_preset_js_url=f"{swagger}/swagger-ui-standalone-preset.js",
            path="/swagger",
            favicon=favicon,
        ),
    ]


def _docs_router() -> Router:
    """The ``/schema`` router, with the vendored assets; Litestar adds the pages and the JSON to it."""
    assets = create_static_files_router(
        path=DOCS_ASSETS_PATH.removeprefix("/schema"),
        directories=[DOCS_ASSETS],
        file_system=LocalFiles(),
        name="docs_assets",
        cache_control=DOCS_ASSETS_CACHE_CONTROL,
        include_in_schema=False,
    )
    return Router("/schema", route_handlers=[assets], include_in_schema=False)


def openapi_config(version: str) -> OpenAPIConfig:
    """The OpenAPI configuration: served at ``/schema``, JSON at ``/schema/openapi.json``.

    The pages at ``/schema`` (Scalar) and ``/schema/swagger`` need nothing but the server: see
    :func:`docs_pages`.
    """
    return OpenAPIConfig(
        title="hours API",
        version=version,
        description=(
            "Time tracking over HTTP. Authenticate with a personal access token "
            "(`Authorization: Bearer hsk_<env>_<prefix12>_<secret32>`), minted in the web app's "
            "Settings -> API (`/app/settings/api`), with `POST /tokens`, or on the server with "
            "`hours tokens create`. The API takes tokens only: never a password or the web app's cookie. "
            'Success bodies are `{"data": ...}`; errors are '
            '`{"error": {"code", "message", "fields"?, "requiredPlan"?, "feature"?}}`, where members '
            "that do not apply are left out (never `null`)."
        ),
        path="/schema",
        openapi_router=_docs_router(),
        render_plugins=docs_pages(),
        components=Components(
            security_schemes={
                SECURITY_SCHEME: SecurityScheme(
                    type="http",
                    scheme="bearer",
                    bearer_format="hsk_<env>_<prefix12>_<secret32>",
                    description=(
                        "A personal access token: minted with `POST /tokens` or `hours tokens create`."
                    ),
                )
            },
        ),
        security=SECURITY,
        use_handler_docstrings=True,
    )
