"""Wire types: the JSON request and response bodies, with their JSON names as attribute names.

Litestar documents these attrs classes in the OpenAPI schema as they are; the strict decoder
(:mod:`hours_http.decoding`) structures request bodies into them, and
:mod:`hours_http.encoding` renders responses with the same names.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal
from uuid import UUID

import attrs
from msgspec import Meta

__all__ = [
    "CreateTimeEntryBody",
    "ErrorBody",
    "ErrorEnvelope",
    "HealthBody",
    "HealthEnvelope",
    "TimeEntryEnvelope",
    "TimeEntryOut",
]

Seconds = Annotated[int, Meta(ge=0, le=86_400, description="Whole seconds, 0 to 86400 (24 hours).")]
DurationText = Annotated[
    str,
    Meta(
        max_length=64,
        description='A duration such as "1h30m", "1:30", "90m", "1.5h" or "PT1H30M"; at most 24h.',
        examples=["1h30m"],
    ),
]
Note = Annotated[str, Meta(max_length=5000, description="Free text, at most 5,000 characters.")]
EntryDate = Annotated[dt.date, Meta(description="The calendar day, 2000-01-01 to 2100-12-31.")]
Instant = Annotated[dt.datetime, Meta(description="An RFC 3339 date-time with an offset; stored in UTC.")]


@attrs.frozen
class CreateTimeEntryBody:
    """The body of ``POST /time-entries``.

    Exactly one of ``durationSeconds`` and ``duration`` is required; when both are sent,
    ``durationSeconds`` wins and ``duration`` is ignored. ``null`` counts as absent for every
    optional field.
    """

    projectId: UUID  # noqa: N815 (JSON names on the wire)
    entryDate: EntryDate  # noqa: N815
    durationSeconds: Seconds | None = None  # noqa: N815
    duration: DurationText | None = None
    taskId: UUID | None = None  # noqa: N815
    billable: bool | None = None
    note: Note | None = None
    startedAt: Instant | None = None  # noqa: N815
    stoppedAt: Instant | None = None  # noqa: N815
    userId: UUID | None = None  # noqa: N815


@attrs.frozen
class TimeEntryOut:
    """A time entry. Absent values are ``null``; timestamps are RFC 3339 in UTC with ``Z``."""

    id: UUID
    orgId: UUID  # noqa: N815
    userId: UUID  # noqa: N815
    projectId: UUID  # noqa: N815
    taskId: UUID | None  # noqa: N815
    invoiceId: UUID | None  # noqa: N815
    durationSeconds: Seconds  # noqa: N815
    billable: bool
    note: str | None
    entryDate: dt.date  # noqa: N815
    startedAt: dt.datetime | None  # noqa: N815
    stoppedAt: dt.datetime | None  # noqa: N815
    createdAt: dt.datetime  # noqa: N815
    updatedAt: dt.datetime  # noqa: N815
    deletedAt: dt.datetime | None  # noqa: N815


@attrs.frozen
class TimeEntryEnvelope:
    """``{"data": TimeEntry}``."""

    data: TimeEntryOut


@attrs.frozen
class ErrorBody:
    """What went wrong: ``fields`` names wrong fields; a plan gate sets ``requiredPlan`` and ``feature``."""

    code: str
    message: str
    fields: dict[str, str] | None = None
    requiredPlan: Literal["free", "solo", "studio", "agency"] | None = None  # noqa: N815
    feature: str | None = None


@attrs.frozen
class ErrorEnvelope:
    """``{"error": {...}}``: the body of every error response."""

    error: ErrorBody


@attrs.frozen
class HealthBody:
    """The health check's answer."""

    status: Literal["ok"]


@attrs.frozen
class HealthEnvelope:
    """``{"data": {"status": "ok"}}``."""

    data: HealthBody
