"""The OpenAPI document: bearer auth, the Idempotency-Key header and the error responses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from litestar.openapi import OpenAPIConfig, ResponseSpec
from litestar.openapi.plugins import ScalarRenderPlugin, SwaggerRenderPlugin
from litestar.openapi.spec import Components, OpenAPIType, Operation, RequestBody, SecurityScheme
from litestar.params import HeaderParameter

from hours_http.idempotency import IDEMPOTENCY_HEADER
from hours_http.wire import ErrorEnvelope

__all__ = ["SECURITY", "IdempotencyKeyHeader", "OptionalBodyOperation", "error_responses", "openapi_config"]

SECURITY_SCHEME = "BearerAuth"

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

_ERRORS = {
    400: "Bad request: `invalid_json` (the body is not a JSON object) or `idempotency_key_invalid`.",
    401: "`unauthenticated`: no, malformed, unknown, revoked or expired token.",
    402: "`plan_required`: the organization's plan lacks a feature; `requiredPlan` and `feature` say which.",
    403: "`forbidden`: the caller's role may not do this.",
    404: "`not_found`: no such resource in the caller's organization.",
    409: (
        "A conflict: `idempotency_request_in_progress` (retry after `Retry-After`), `stale_update` (changed "
        "concurrently), `entry_locked`, `timer_already_running`, or `conflict` (e.g. a duplicate)."
    ),
    413: "`payload_too_large`: the body exceeds 64 KiB.",
    415: "`unsupported_media_type`: send `Content-Type: application/json`.",
    422: "`validation_failed` (`fields` names each wrong field) or `idempotency_key_reused`.",
    429: "`rate_limited`: too many requests for this token; see `Retry-After`.",
    500: "`internal_error`: a bug on our side; never a stack trace.",
    503: "`store_busy`: the database could not take the write in time; retry after `Retry-After`.",
}


@dataclass
class OptionalBodyOperation(Operation):
    """An operation whose request body may be left out (Litestar marks every body required)."""

    def __post_init__(self) -> None:
        if isinstance(self.request_body, RequestBody):
            self.request_body.required = False


def error_responses(*statuses: int) -> dict[int, ResponseSpec]:
    """The documented error responses for ``statuses``, each with the error body schema.

    Every API operation may also answer 422 (an unknown query parameter), 429 (rate limit), 500,
    and 503 (a busy store).
    """
    statuses = tuple(sorted({*statuses, 422, 429, 500, 503}))
    return {
        status: ResponseSpec(
            data_container=ErrorEnvelope, description=_ERRORS[status], generate_examples=False
        )
        for status in statuses
    }


def openapi_config(version: str) -> OpenAPIConfig:
    """The OpenAPI configuration: served at ``/schema``, JSON at ``/schema/openapi.json``."""
    return OpenAPIConfig(
        title="hours API",
        version=version,
        description=(
            "Time tracking over HTTP. Authenticate with a personal access token "
            "(`Authorization: Bearer hsk_<env>_<prefix12>_<secret32>`), minted in Settings -> API or with "
            '`hours tokens create`. Success bodies are `{"data": ...}`; errors are '
            '`{"error": {"code", "message", "fields", "requiredPlan", "feature"}}`.'
        ),
        path="/schema",
        render_plugins=[ScalarRenderPlugin(), SwaggerRenderPlugin(path="/swagger")],
        components=Components(
            security_schemes={
                SECURITY_SCHEME: SecurityScheme(
                    type="http",
                    scheme="bearer",
                    bearer_format="hsk_<env>_<prefix12>_<secret32>",
                    description="A personal access token: Settings -> API, or `hours tokens create`.",
                )
            }
        ),
        security=SECURITY,
        use_handler_docstrings=True,
    )
