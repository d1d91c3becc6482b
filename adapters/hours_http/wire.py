"""Wire types: the JSON request and response bodies, with their JSON names as attribute names.

Litestar documents these attrs classes in the OpenAPI schema as they are. They are also the one
mapping between the core and the wire: each member is a core attribute named by the naming rule
(:func:`hours_http.naming.json_name`), and the converter (:mod:`hours_http.converter`) derives
from them how to structure request bodies and render entities, in the order listed here.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, ClassVar, Literal, TypedDict
from uuid import UUID

import attrs
from litestar.openapi.spec import OpenAPIType, Schema
from litestar.params import KwargDefinition

__all__ = [
    "ABSENT",
    "CreateTimeEntryBody",
    "ErrorBody",
    "ErrorEnvelope",
    "HealthBody",
    "HealthEnvelope",
    "TimeEntryEnvelope",
    "TimeEntryOut",
]


class _SchemaExtra(dict[str, Any]):
    """A ``schema_extra`` that can be hashed, as a ``KwargDefinition`` in a union (``Seconds | None``) is."""

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(tuple(sorted(self.items())))


# Constraints are KwargDefinition metadata, which Litestar turns into the OpenAPI schema. (Litestar
# 2.25 drops falsy bounds such as ge=0, so "at least 0" is set through schema_extra.)
Seconds = Annotated[
    int,
    KwargDefinition(
        le=86_400, schema_extra=_SchemaExtra(minimum=0), description="Whole seconds, 0 to 86400 (24 hours)."
    ),
]
DurationText = Annotated[
    str,
    KwargDefinition(
        min_length=1,
        max_length=64,
        description=(
            'A duration such as "1h30m", "1:30", "90m", "1.5h" or "PT1H30M"; at most 24h. '
            "Ignored when `durationSeconds` is sent."
        ),
    ),
]
Note = Annotated[str, KwargDefinition(max_length=5000, description="Free text, at most 5,000 characters.")]
EntryDate = Annotated[dt.date, KwargDefinition(description="The calendar day, 2000-01-01 to 2100-12-31.")]
Instant = Annotated[
    dt.datetime, KwargDefinition(description="An RFC 3339 date-time with an offset; stored in UTC.")
]
Name = Annotated[
    str,
    KwargDefinition(
        min_length=1, max_length=200, pattern=r"\S", description="1 to 200 characters, not blank."
    ),
]
TokenName = Annotated[
    str, KwargDefinition(min_length=1, max_length=100, pattern=r"\S", description="What the token is for.")
]
LifetimeDays = Annotated[
    int, KwargDefinition(ge=1, le=365, description="Days until it expires (default 90).")
]
# The schema's email rule is looser than the server's (hours_core.emails): it documents the length
# and the one "@"; the server also checks the local part and the domain (422).
Email = Annotated[
    str,
    KwargDefinition(
        max_length=254,
        pattern=r"^[^@]+@[^@]+$",
        description=(
            "An email address such as `ada@example.com`, at most 254 characters; unique in the "
            "organization, ignoring case."
        ),
    ),
]
TimezoneName = Annotated[
    str,
    KwargDefinition(
        min_length=1,
        max_length=64,
        description="An IANA time zone name such as `Europe/Berlin`, `America/New_York` or `UTC`.",
    ),
]
RoleName = Literal["owner", "admin", "member"]
PlanName = Literal["free", "solo", "studio", "agency"]
WeekStartName = Literal["monday", "sunday"]


class _Absent:
    """The default of a PATCH field the client did not send."""

    def __repr__(self) -> str:
        return "ABSENT"

    def __bool__(self) -> bool:
        return False


ABSENT: Any = _Absent()
"""A PATCH field that was not sent (``null`` is a value: it clears a nullable field)."""


@attrs.frozen
class CreateTimeEntryBody:
    """The body of ``POST /time-entries``.

    Exactly one of ``durationSeconds`` and ``duration`` is required; when both are sent,
    ``durationSeconds`` wins and ``duration`` is ignored. ``null`` counts as absent for every
    optional field.
    """

    projectId: UUID
    entryDate: EntryDate
    durationSeconds: Seconds | None = None
    duration: DurationText | None = None
    taskId: UUID | None = None
    billable: bool | None = None
    note: Note | None = None
    startedAt: Instant | None = None
    stoppedAt: Instant | None = None
    userId: UUID | None = None

    __openapi_dependent_required__: ClassVar = {"stoppedAt": ["startedAt"]}

    @staticmethod
    def __openapi_any_of__() -> list[Schema]:
        """Exactly one of the duration pair is needed (``durationSeconds`` wins when both are sent)."""
        return [
            Schema(
                type=OpenAPIType.OBJECT,
                required=["durationSeconds"],
                properties={"durationSeconds": Schema(type=OpenAPIType.INTEGER)},
            ),
            Schema(
                type=OpenAPIType.OBJECT,
                required=["duration"],
                properties={"duration": Schema(type=OpenAPIType.STRING)},
            ),
        ]


@attrs.frozen
class TimeEntryOut:
    """A time entry. Absent values are ``null``; timestamps are RFC 3339 in UTC with ``Z``."""

    id: UUID
    orgId: UUID
    userId: UUID
    projectId: UUID
    taskId: UUID | None
    invoiceId: UUID | None
    durationSeconds: Seconds
    billable: bool
    note: str | None
    entryDate: dt.date
    startedAt: dt.datetime | None
    stoppedAt: dt.datetime | None
    createdAt: dt.datetime
    updatedAt: dt.datetime
    deletedAt: dt.datetime | None


@attrs.frozen
class TimeEntryEnvelope:
    """``{"data": TimeEntry}``."""

    data: TimeEntryOut


@attrs.frozen
class ErrorBody:
    """What went wrong: ``fields`` names wrong fields; a plan gate sets ``requiredPlan`` and ``feature``.

    Members that do not apply are left out, never ``null`` (``hours_http.errors.error_body``).
    """

    code: str
    message: str
    fields: dict[str, str] = ABSENT
    # The free plan is never required: it is the lowest (hours_core.plans.FEATURE_PLANS).
    requiredPlan: Literal["solo", "studio", "agency"] = ABSENT
    feature: Literal[
        "billable_time",
        "tasks",
        "team_entries",
        "team_members",
        "unlimited_projects",
        "webhooks",
        "audit_log",
    ] = ABSENT


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


@attrs.frozen
class UpdateTimeEntryBody:
    """The body of ``PATCH /time-entries/{id}``: only the fields to change.

    ``null`` clears ``taskId``, ``note``, ``startedAt`` and ``stoppedAt``; it is an error for the
    other fields. The merged entry is validated as a whole.
    """

    projectId: UUID = ABSENT
    taskId: UUID | None = ABSENT
    entryDate: EntryDate = ABSENT
    durationSeconds: Seconds = ABSENT
    duration: DurationText = ABSENT
    billable: bool = ABSENT
    note: Note | None = ABSENT
    startedAt: Instant | None = ABSENT
    stoppedAt: Instant | None = ABSENT


@attrs.frozen
class TimeEntryListEnvelope:
    """A page of time entries; pass ``nextCursor`` back as ``cursor`` (``null``: the last page)."""

    data: list[TimeEntryOut]
    nextCursor: str | None


@attrs.frozen
class StartTimerBody:
    """The body of ``POST /timers``."""

    projectId: UUID
    taskId: UUID | None = None
    note: Note | None = None
    billable: bool | None = None
    entryDate: EntryDate | None = None
    stopRunning: bool | None = None


@attrs.frozen
class StopTimerBody:
    """The optional body of ``POST /timers/current/stop``; without ``stoppedAt`` the timer stops now."""

    stoppedAt: Instant | None = None


@attrs.frozen
class CreateProjectBody:
    """The body of ``POST /projects``."""

    name: Name
    billableByDefault: bool | None = None


@attrs.frozen
class UpdateProjectBody:
    """The body of ``PATCH /projects/{id}``: rename, archive, unarchive, billable default."""

    name: Name = ABSENT
    archived: bool = ABSENT
    billableByDefault: bool = ABSENT


@attrs.frozen
class ProjectOut:
    """A project."""

    id: UUID
    orgId: UUID
    name: str
    archived: bool
    billableByDefault: bool
    createdAt: dt.datetime
    updatedAt: dt.datetime


@attrs.frozen
class ProjectEnvelope:
    """``{"data": Project}``."""

    data: ProjectOut


@attrs.frozen
class ProjectListEnvelope:
    """``{"data": [Project, ...]}``."""

    data: list[ProjectOut]


@attrs.frozen
class CreateTaskBody:
    """The body of ``POST /projects/{id}/tasks``."""

    name: Name


@attrs.frozen
class UpdateTaskBody:
    """The body of ``PATCH /tasks/{id}``: rename, archive, unarchive."""

    name: Name = ABSENT
    archived: bool = ABSENT


@attrs.frozen
class TaskOut:
    """A task of a project."""

    id: UUID
    orgId: UUID
    projectId: UUID
    name: str
    archived: bool
    createdAt: dt.datetime
    updatedAt: dt.datetime


@attrs.frozen
class TaskEnvelope:
    """``{"data": Task}``."""

    data: TaskOut


@attrs.frozen
class TaskListEnvelope:
    """``{"data": [Task, ...]}``."""

    data: list[TaskOut]


@attrs.frozen
class CreateTokenBody:
    """The body of ``POST /tokens``."""

    name: TokenName
    expiresInDays: LifetimeDays | None = None


@attrs.frozen
class TokenOut:
    """A personal access token, described without its secret."""

    prefix: str
    name: str
    env: str
    createdAt: dt.datetime
    expiresAt: dt.datetime | None
    lastUsedAt: dt.datetime | None
    revokedAt: dt.datetime | None


@attrs.frozen
class CreatedTokenOut:
    """A new token. ``token`` is the plaintext, shown in this response only: store it now."""

    token: str
    prefix: str
    name: str
    env: str
    createdAt: dt.datetime
    expiresAt: dt.datetime | None


@attrs.frozen
class CreatedTokenEnvelope:
    """``{"data": {"token", "prefix", ...}}``."""

    data: CreatedTokenOut


@attrs.frozen
class TokenListEnvelope:
    """``{"data": [Token, ...]}``."""

    data: list[TokenOut]


@attrs.frozen
class MeUser:
    """The calling user."""

    id: UUID
    email: str
    role: RoleName
    createdAt: dt.datetime


@attrs.frozen
class MeOrg:
    """The caller's organization (its settings: ``GET /org``)."""

    id: UUID
    name: str
    plan: PlanName


@attrs.frozen
class MeToken:
    """The token this request came with."""

    prefix: str
    name: str
    env: str
    expiresAt: dt.datetime | None
    lastUsedAt: dt.datetime | None


@attrs.frozen
class Me:
    """Who is calling."""

    user: MeUser
    org: MeOrg
    token: MeToken


@attrs.frozen
class MeEnvelope:
    """``{"data": {"user", "org", "token"}}``."""

    data: Me


@attrs.frozen
class OrgOut:
    """The organization and its settings. The plan is the operator's to change, not the API's."""

    id: UUID
    name: str
    plan: PlanName
    timezone: str
    weekStart: WeekStartName
    createdAt: dt.datetime


@attrs.frozen
class OrgEnvelope:
    """``{"data": Org}``."""

    data: OrgOut


@attrs.frozen
class UpdateOrgBody:
    """The body of ``PATCH /org``: only the settings to change; ``null`` is refused for each.

    ``plan`` is not one of them: it is the organization's subscription, which its operator changes.
    """

    name: Name = ABSENT
    timezone: TimezoneName = ABSENT
    weekStart: WeekStartName = ABSENT

    __refused_members__: ClassVar = {
        "plan": (
            "is not set over the API: the plan is the organization's subscription, which the operator "
            "changes (hours orgs set-plan)"
        )
    }


@attrs.frozen
class UserOut:
    """A user of the organization. ``email`` is ``null`` when a member asks (members see names and
    roles only); ``deactivatedAt`` is set on users who left."""

    id: UUID
    orgId: UUID
    email: str | None
    name: str
    role: RoleName
    createdAt: dt.datetime
    deactivatedAt: dt.datetime | None


@attrs.frozen
class UserEnvelope:
    """``{"data": User}``."""

    data: UserOut


@attrs.frozen
class UserListEnvelope:
    """``{"data": [User, ...]}``."""

    data: list[UserOut]


@attrs.frozen
class CreateUserBody:
    """The body of ``POST /users``; ``role`` defaults to ``member``."""

    email: Email
    name: Name
    role: RoleName | None = None


@attrs.frozen
class UpdateUserBody:
    """The body of ``PATCH /users/{id}``: rename, or change the role; ``null`` is refused for each."""

    name: Name = ABSENT
    role: RoleName = ABSENT


WebhookUrlText = Annotated[
    str,
    KwargDefinition(
        min_length=1,
        max_length=2048,
        description=(
            "An absolute `https` URL (plain `http` only where the operator allows it) of a public host; "
            "no user name, password or fragment. See docs/webhooks.md for every rule."
        ),
    ),
]
EventFilter = Annotated[
    list[str],
    KwargDefinition(
        min_items=1,
        max_items=50,
        description=(
            '`"*"` for every event, `"<family>.*"` (e.g. `"project.*"`) for every event of a family, or '
            "event types such as `time_entry.created`; families: time_entry, timer, project, task, token, "
            "org, user."
        ),
    ),
]
WebhookDescription = Annotated[
    str, KwargDefinition(max_length=500, description="A note for people, at most 500 characters.")
]


@attrs.frozen
class CreateWebhookBody:
    """The body of ``POST /webhooks``."""

    url: WebhookUrlText
    events: EventFilter
    description: WebhookDescription | None = None
    active: bool | None = None


@attrs.frozen
class UpdateWebhookBody:
    """The body of ``PATCH /webhooks/{id}``: send only what changes; ``null`` is refused for each."""

    url: WebhookUrlText = ABSENT
    events: EventFilter = ABSENT
    description: WebhookDescription = ABSENT
    active: bool = ABSENT


@attrs.frozen
class WebhookOut:
    """A webhook, without its signing secret. ``disabledAt`` and ``disabledReason`` say when and why
    hours turned it off (a 410 answer, or about 3 days of failed attempts); ``previousSecretExpiresAt``
    is when the secret replaced by the last rotation stops signing."""

    id: UUID
    url: str
    events: list[str]
    description: str
    active: bool
    createdAt: dt.datetime
    updatedAt: dt.datetime
    disabledAt: dt.datetime | None
    disabledReason: str | None
    previousSecretExpiresAt: dt.datetime | None


@attrs.frozen
class WebhookWithSecretOut:
    """A webhook with its signing secret (``whsec_`` and 32 characters), shown in this response only:
    store it now."""

    secret: str
    id: UUID
    url: str
    events: list[str]
    description: str
    active: bool
    createdAt: dt.datetime
    updatedAt: dt.datetime
    disabledAt: dt.datetime | None
    disabledReason: str | None
    previousSecretExpiresAt: dt.datetime | None


@attrs.frozen
class WebhookEnvelope:
    """``{"data": Webhook}``."""

    data: WebhookOut


@attrs.frozen
class WebhookWithSecretEnvelope:
    """``{"data": Webhook with its secret}``."""

    data: WebhookWithSecretOut


@attrs.frozen
class WebhookListEnvelope:
    """``{"data": [Webhook, ...]}``."""

    data: list[WebhookOut]


DeliveryStatusName = Literal["pending", "delivered", "failed"]


@attrs.frozen
class DeliveryOut:
    """One delivery of a webhook: an event (or a ping) and its last attempt. ``attempt`` counts the
    attempts made (0: not tried yet); ``responseCode``, ``durationMs`` and ``error`` describe the last
    one; ``nextAttemptAt`` is set while it is pending."""

    id: UUID
    webhookId: UUID
    eventId: str
    eventType: str
    status: DeliveryStatusName
    attempt: int
    responseCode: int | None
    durationMs: int | None
    error: str | None
    createdAt: dt.datetime
    lastAttemptAt: dt.datetime | None
    nextAttemptAt: dt.datetime | None
    completedAt: dt.datetime | None


@attrs.frozen
class DeliveryEnvelope:
    """``{"data": Delivery}``."""

    data: DeliveryOut


@attrs.frozen
class DeliveryListEnvelope:
    """A page of deliveries, newest first; pass ``nextCursor`` back as ``cursor`` (``null``: the end)."""

    data: list[DeliveryOut]
    nextCursor: str | None


# Events: the change feed, an entry's history, the audit trail (docs/events.md).

JsonScalar = str | int | float | bool | None

EventTypeName = Literal[
    "time_entry.created",
    "time_entry.updated",
    "time_entry.deleted",
    "time_entry.restored",
    "timer.started",
    "timer.stopped",
    "project.created",
    "project.updated",
    "project.archived",
    "project.unarchived",
    "task.created",
    "task.updated",
    "task.archived",
    "task.unarchived",
    "token.created",
    "token.revoked",
    "org.updated",
    "user.created",
    "user.updated",
    "user.deactivated",
    "user.reactivated",
]
"""Every event type (``hours_core.events.EventType``; ``test_events`` holds the two together)."""

ChangeOut = TypedDict("ChangeOut", {"from": JsonScalar, "to": JsonScalar})
"""One field's value before (``null`` before a creation) and after a change."""


@attrs.frozen
class ActorOut:
    """Who made a change: ``userId`` and ``tokenPrefix`` over the API; both ``null`` for the operator
    (``via: "cli"``) and for hours itself (``via: "system"``)."""

    userId: UUID | None
    tokenPrefix: str | None
    via: Literal["api", "cli", "import", "system"]


@attrs.frozen
class SubjectOut:
    """What a change is about: its kind and its id (a UUID, or a token's prefix)."""

    type: Literal["time_entry", "project", "task", "token", "org", "user"]
    id: str


@attrs.frozen
class EventOut:
    """One change. ``seq`` is the organization's sequence number: strictly increasing, no gaps.
    ``changes`` names each changed field by its JSON name."""

    id: UUID
    seq: int
    type: EventTypeName
    occurredAt: dt.datetime
    actor: ActorOut
    requestId: str | None
    idempotencyKey: str | None
    subject: SubjectOut
    changes: dict[str, ChangeOut]


@attrs.frozen
class ChangeFeedEnvelope:
    """A page of the change feed: pass ``nextAfter`` back as ``after``; ``latestSeq`` is the
    organization's latest sequence number as of this read."""

    data: list[EventOut]
    nextAfter: int
    latestSeq: int


@attrs.frozen
class EventListEnvelope:
    """A page of events; pass ``nextCursor`` back as ``cursor`` (``null``: the last page)."""

    data: list[EventOut]
    nextCursor: str | None
