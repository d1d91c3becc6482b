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
import msgspec
from litestar.openapi.spec import OpenAPIFormat, OpenAPIType, Reference, Schema
from litestar.params import KwargDefinition

from hours_core.money import CURRENCIES
from hours_core.subscriptions import ALL_EVENTS, EVENT_FAMILIES, EVENT_TYPES
from hours_core.validation import INSTANT_RANGE

__all__ = [
    "ABSENT",
    "AT_LEAST_ZERO",
    "NOTE_TEXT",
    "ONE_LINE_TEXT",
    "BatchBody",
    "BatchEnvelope",
    "BatchErrorOut",
    "BatchOperationBody",
    "BatchOut",
    "BatchResultOut",
    "ClientEnvelope",
    "ClientListEnvelope",
    "ClientOut",
    "CreateClientBody",
    "CreateTimeEntryBody",
    "ErrorBody",
    "ErrorEnvelope",
    "HealthBody",
    "HealthEnvelope",
    "ImportReportEnvelope",
    "ImportReportOut",
    "ImportRowErrorOut",
    "LockOut",
    "OverlapListEnvelope",
    "OverlappingEntryOut",
    "TimeEntryEnvelope",
    "TimeEntryOnlyEnvelope",
    "TimeEntryOut",
    "WarningOut",
]


class _SchemaExtra(dict[str, Any]):
    """A ``schema_extra`` that can be hashed, as a ``KwargDefinition`` in a union (``Seconds | None``) is,
    or read by the decoder (a list's). By its ``repr``: a value may be a ``Schema``, which is not hashable."""

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(repr(sorted(self.items())))


AT_LEAST_ZERO = _SchemaExtra(minimum=0)
"""``schema_extra`` for a number whose least value is 0: Litestar 2.25 drops falsy bounds, so a
``ge=0`` (which the server still enforces) never reaches the document; pass this beside it."""

# Constraints are KwargDefinition metadata, which Litestar turns into the OpenAPI schema; "at least
# 0" is AT_LEAST_ZERO.
Seconds = Annotated[
    int,
    KwargDefinition(
        le=86_400, schema_extra=AT_LEAST_ZERO, description="Whole seconds, 0 to 86400 (24 hours)."
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
_NOT_ON_ONE_LINE = r"\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069"
ONE_LINE_TEXT = rf"^[^{_NOT_ON_ONE_LINE}]*[^\s{_NOT_ON_ONE_LINE}][^{_NOT_ON_ONE_LINE}]*$"
"""The documented shape of a name and of the other one-line texts (a reason, an invoice's reference):
something that is not white space, and no control character (C0, DEL, C1: tab and newline too), line
or paragraph separator, or bidirectional embedding, override or isolate. ``hours_core.model.name_problem``
and ``hours_core.periods.short_text_problem`` are the checks; a text of only invisible characters (a
zero-width space) is blank to them, which a pattern cannot say."""
_NOT_IN_A_NOTE = r"\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f"
NOTE_TEXT = rf"^[^{_NOT_IN_A_NOTE}]*$"
"""The documented shape of a note: no control character but tab, LF and CR
(``hours_core.validation.check_note`` is the check)."""
_ONE_LINE_OR_BLANK = rf"^[^{_NOT_ON_ONE_LINE}]*$"
"""A one-line text that may be empty or blank: a webhook's description
(``hours_core.subscriptions.description_problem``)."""
_NOT_IN_A_REJECTION = _NOT_IN_A_NOTE + r"\u202a-\u202e\u2066-\u2069"
_LINES_OF_TEXT = rf"^[^{_NOT_IN_A_REJECTION}]*[^\s{_NOT_IN_A_REJECTION}][^{_NOT_IN_A_REJECTION}]*$"
"""Text of several lines, not blank: no control character but tab, LF and CR, no bidirectional
control (a timesheet's rejection reason: ``hours_core.timesheets.reason_problem``)."""

Note = Annotated[
    str,
    KwargDefinition(
        max_length=5000,
        pattern=NOTE_TEXT,
        description="Free text, at most 5,000 characters; no control characters but tab, CR and LF.",
    ),
]
EntryDate = Annotated[dt.date, KwargDefinition(description="The calendar day, 2000-01-01 to 2100-12-31.")]
Instant = Annotated[
    dt.datetime,
    KwargDefinition(description=f"An RFC 3339 date-time with an offset: {INSTANT_RANGE}; stored in UTC."),
]
Name = Annotated[
    str,
    KwargDefinition(
        min_length=1, max_length=200, pattern=ONE_LINE_TEXT, description="1 to 200 characters, not blank."
    ),
]
TokenName = Annotated[
    str,
    KwargDefinition(
        min_length=1, max_length=100, pattern=ONE_LINE_TEXT, description="What the token is for."
    ),
]
LifetimeDays = Annotated[
    int, KwargDefinition(ge=1, le=365, description="Days until it expires (default 90).")
]
# The schema's email rule is looser than the server's (hours_core.emails): it documents the length,
# the one "@", dots only between characters and a domain of two labels or more; the server also
# checks each part's characters and lengths (422).
Email = Annotated[
    str,
    KwargDefinition(
        max_length=254,
        pattern=r"^[^@\s.]+(\.[^@\s.]+)*@[^@\s.]+(\.[^@\s.]+)+$",
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
CurrencyCode = Annotated[
    str,
    KwargDefinition(
        min_length=3,
        max_length=3,
        pattern=r"^[A-Z]{3}$",
        description="An ISO 4217 code with a minor unit, in capitals, such as `EUR`, `USD` or `JPY`.",
        # The codes hours_core.money.currency_problem takes (it is the check, with its messages: a
        # lower-case code gets a hint), in the document only.
        schema_extra=_SchemaExtra(
            enum=sorted(code for code, currency in CURRENCIES.items() if currency.minor_units is not None)
        ),
    ),
]
RateMinor = Annotated[
    int,
    KwargDefinition(
        le=1_000_000_000,
        schema_extra=AT_LEAST_ZERO,
        description="An hourly rate in minor units of the currency (cents for EUR): 0 to 1,000,000,000.",
    ),
]
LockReasonText = Annotated[
    str,
    KwargDefinition(
        min_length=1,
        max_length=500,
        pattern=ONE_LINE_TEXT,
        description=(
            "Why: 1 to 500 characters, not blank, one line (no control characters, line separators "
            "or bidirectional controls)."
        ),
    ),
]
OverrideLock = Annotated[
    bool,
    KwargDefinition(
        description=(
            "Owners only: `true` writes through a closed period (never an invoice) and needs `reason`, "
            "which the event of the write records as `lockOverride`. `false` (or leaving it out) is no "
            "override, and then `reason` is refused (422)."
        )
    ),
]
OverrideReasonText = Annotated[
    str,
    KwargDefinition(
        min_length=1,
        max_length=500,
        pattern=ONE_LINE_TEXT,
        description=(
            "Why the owner overrides the closed period: 1 to 500 characters, not blank, no control "
            "characters. Taken only with `overrideLock: true` (422 otherwise), and required with it."
        ),
    ),
]


def _override_rules() -> dict[str, Schema]:
    """``dependentSchemas`` of a body with ``overrideLock`` and ``reason``: ``overrideLock: true``
    needs a ``reason``, and a ``reason`` needs ``overrideLock: true``, as
    :func:`hours_core.entry_locks.lock_override` rules. ``false``, ``null`` or leaving both out is no
    override, which every body accepts."""
    return {
        "overrideLock": _when("overrideLock", Schema(const=True), then_required="reason", of=_TEXT),
        "reason": _when("reason", _TEXT, then_required="overrideLock", of=Schema(const=True)),
    }


_TEXT = Schema(type=OpenAPIType.STRING)


def _when(member: str, value: Schema, *, then_required: str, of: Schema) -> Schema:
    """A ``dependentSchemas`` entry for ``member``: when its value matches ``value``, ``then_required``
    must be sent, matching ``of`` (``null`` does not count: it means left out on a create)."""
    return Schema(
        schema_if=Schema(properties={member: value}),
        then=Schema(required=[then_required], properties={then_required: of}),
    )


Version = Annotated[
    int,
    KwargDefinition(
        ge=1,
        description=(
            "How many times the resource was written: 1 when created, one more for every change. "
            'The `ETag` header carries it (`"3"`); send it back in `If-Match` to change only that '
            'version (see "Optimistic concurrency").'
        ),
    ),
]
CurrentVersion = Annotated[
    int,
    KwargDefinition(
        ge=1,
        description=(
            "The version the resource has now (412 `precondition_failed`: `If-Match` or `ifMatch` named "
            "another; the `ETag` header says the same). Read the resource again before retrying."
        ),
    ),
]
RateScopeName = Literal["org", "client", "project", "user", "user_project"]
RoleName = Literal["owner", "admin", "member"]
PlanName = Literal["free", "solo", "studio", "agency"]
WeekStartName = Literal["monday", "sunday"]
OverlapPolicyName = Literal["allow", "warn", "reject"]


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
    overrideLock: OverrideLock | None = None
    reason: OverrideReasonText | None = None

    @staticmethod
    def __openapi_dependent_schemas__() -> dict[str, Schema]:
        """A ``stoppedAt`` needs a ``startedAt``; ``overrideLock: true`` and ``reason`` go together."""
        return {
            "stoppedAt": _when("stoppedAt", _TEXT, then_required="startedAt", of=_TEXT),
            **_override_rules(),
        }

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
    rate: StoredRateOut | None
    importId: UUID | None
    externalRef: str | None
    version: Version


@attrs.frozen
class RateSourceOut:
    """Where a stored rate came from: the rate's scope and id (the rate may since have been deleted)."""

    scope: RateScopeName
    rateId: UUID


@attrs.frozen
class StoredRateOut:
    """The rate a time entry stored when it was logged, or its project, user or date last changed."""

    billableRateMinor: RateMinor | None
    costRateMinor: RateMinor | None
    currency: str
    source: RateSourceOut


@attrs.frozen
class OverlappingEntryOut:
    """An entry another one overlaps: its id and interval (``stoppedAt`` is ``null`` for a running
    timer, which covers the time up to now)."""

    id: UUID
    startedAt: dt.datetime
    stoppedAt: dt.datetime | None


@attrs.frozen
class WarningOut:
    """Something to know about a write that succeeded: ``entry_overlaps`` (the org's overlap policy
    is ``warn``) lists the first 20 entries by start that the entry overlaps."""

    code: Literal["entry_overlaps"]
    message: str
    entries: list[OverlappingEntryOut]


@attrs.frozen
class TimeEntryEnvelope:
    """``{"data": TimeEntry}``, and ``warnings`` when the write succeeded with some (left out
    otherwise)."""

    data: TimeEntryOut
    warnings: list[WarningOut] = ABSENT


@attrs.frozen
class TimeEntryOnlyEnvelope:
    """``{"data": TimeEntry}`` and nothing else: the answer of a read and of a timer's stop, which
    are never checked for overlaps, so never carry ``warnings``."""

    data: TimeEntryOut


@attrs.frozen
class OverlapClusterOut:
    """One user's entries linked by overlaps (each overlaps at least one other of them), by start:
    the first 100, and ``count``, how many there are."""

    userId: UUID
    count: int
    entries: list[OverlappingEntryOut]


@attrs.frozen
class OverlapListEnvelope:
    """The groups of overlapping entries, by user then start; ``truncated`` when there were more
    than 200 groups (narrow the dates or pick a user)."""

    data: list[OverlapClusterOut]
    truncated: bool


@attrs.frozen
class LockOut:
    """Why an entry is locked (``entry_locked``): ``invoiced``, or the lock's own reason, and the last
    day a lock of a range of days covers (``null`` for a lock of one entry, such as an invoice).

    ``kind`` is ``period`` (a closed period or the rolling rule: an owner may override it) or
    ``invoiced`` (with the ``invoiceId``: void the invoice to free the entry)."""

    reason: str
    through: dt.date | None
    kind: Literal["period", "invoiced", "timesheet"] = ABSENT
    """What kind of lock refused the write: ``period`` (a closed period or the rolling rule),
    ``invoiced`` (``invoiceId`` names the invoice) or ``timesheet`` (a submitted or approved
    timesheet, ``reason`` ``submitted`` or ``approved``, ``through`` the last day of its week)."""
    invoiceId: UUID = ABSENT
    """The invoice that locks the entry (``kind: invoiced``)."""
    timesheetId: UUID = ABSENT
    """The timesheet that locks the entry (``kind: timesheet``)."""


@attrs.frozen
class BatchErrorOut:
    """A failed operation of an all-or-nothing batch (``batch_failed``): its index (from 0), the
    status its single-entry route would have answered, and its error; ``fields`` is ``{}`` when the
    error names no field. A plan gate adds ``requiredPlan`` and ``feature``, a lock ``lock``, an
    overlap ``entries`` and a stale ``ifMatch`` ``currentVersion``."""

    index: int
    status: int
    code: str
    message: str
    fields: dict[str, str]
    requiredPlan: Literal["solo", "studio", "agency"] = ABSENT
    feature: str = ABSENT
    lock: LockOut = ABSENT
    entries: list[OverlappingEntryOut] = ABSENT
    currentVersion: CurrentVersion = ABSENT


@attrs.frozen
class ErrorBody:
    """What went wrong: ``fields`` names wrong fields; a plan gate sets ``requiredPlan`` and ``feature``;
    ``lock`` says which lock refused a write (``entry_locked``); ``entries`` which entries a write
    would overlap (``entry_overlaps``: the first 20 by start); ``currentVersion`` the version a
    resource has now (``precondition_failed``).

    Members that do not apply are left out, never ``null`` (``hours_http.errors.error_body``).
    """

    code: str
    message: str
    fields: dict[str, str] = ABSENT
    # The free plan is never required: it is the lowest (hours_core.plans.FEATURE_PLANS).
    requiredPlan: Literal["solo", "studio", "agency"] = ABSENT
    feature: Literal[
        "approvals",
        "audit_log",
        "billable_rates",
        "billable_time",
        "period_locks",
        "rounding",
        "tasks",
        "team_entries",
        "team_members",
        "unlimited_projects",
        "webhooks",
    ] = ABSENT
    lock: LockOut = ABSENT
    errors: list[BatchErrorOut] = ABSENT
    entries: list[OverlappingEntryOut] = ABSENT
    currentStatus: Literal["draft", "submitted", "approved", "rejected"] = ABSENT
    """The status of the timesheet that refused a transition (``invalid_transition``)."""
    timesheetId: UUID = ABSENT
    """The timesheet of the user and week that exists already (``conflict`` on ``POST /timesheets``)."""
    currentVersion: CurrentVersion = ABSENT


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
    overrideLock: OverrideLock = ABSENT
    reason: OverrideReasonText = ABSENT

    __openapi_dependent_schemas__ = staticmethod(_override_rules)


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
    overrideLock: OverrideLock | None = None
    reason: OverrideReasonText | None = None

    __openapi_dependent_schemas__ = staticmethod(_override_rules)


@attrs.frozen
class StopTimerBody:
    """The optional body of ``POST /timers/current/stop``; without ``stoppedAt`` the timer stops now."""

    stoppedAt: Instant | None = None
    overrideLock: OverrideLock | None = None
    reason: OverrideReasonText | None = None

    __openapi_dependent_schemas__ = staticmethod(_override_rules)


@attrs.frozen
class CreateClientBody:
    """The body of ``POST /clients``."""

    name: Name
    currency: CurrencyCode
    billableByDefault: bool | None = None


@attrs.frozen
class UpdateClientBody:
    """The body of ``PATCH /clients/{id}``: rename, archive, unarchive, currency, billable default
    (``null`` clears the billable default)."""

    name: Name = ABSENT
    currency: CurrencyCode = ABSENT
    archived: bool = ABSENT
    billableByDefault: bool | None = ABSENT


@attrs.frozen
class ClientOut:
    """A client. ``archived`` as a project's; ``archivedAt`` when it was archived, ``null`` while it
    is active; ``billableByDefault`` ``null`` when not set (its projects then default to not billable)."""

    id: UUID
    name: str
    currency: str
    billableByDefault: bool | None
    archived: bool
    archivedAt: dt.datetime | None
    createdAt: dt.datetime
    version: Version


@attrs.frozen
class ClientEnvelope:
    """``{"data": Client}``."""

    data: ClientOut


@attrs.frozen
class ClientListEnvelope:
    """``{"data": [Client, ...]}``."""

    data: list[ClientOut]


@attrs.frozen
class CreateProjectBody:
    """The body of ``POST /projects``. Without ``billableByDefault`` the project takes its client's
    billable default (false without a client or when the client has none)."""

    name: Name
    billableByDefault: bool | None = None
    clientId: UUID | None = None


@attrs.frozen
class UpdateProjectBody:
    """The body of ``PATCH /projects/{id}``: rename, archive, unarchive, billable default, client
    (``clientId: null`` detaches the project from its client)."""

    name: Name = ABSENT
    archived: bool = ABSENT
    billableByDefault: bool = ABSENT
    clientId: UUID | None = ABSENT


@attrs.frozen
class ProjectOut:
    """A project; ``clientId`` is ``null`` for a project of no client."""

    id: UUID
    orgId: UUID
    name: str
    archived: bool
    billableByDefault: bool
    createdAt: dt.datetime
    updatedAt: dt.datetime
    clientId: UUID | None
    version: Version


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
    version: Version


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
class ImportRowErrorOut:
    """Why one row of an import file was not imported."""

    row: int
    column: str | None
    code: str
    message: str


@attrs.frozen
class ImportReportOut:
    """What an import did (a dry run: would do)."""

    id: UUID | None
    source: str
    dryRun: bool
    created: int
    duplicates: int
    failed: int
    createdProjects: list[str]
    createdClients: list[str]
    createdTasks: list[str]
    createdUsers: list[str]
    errors: list[ImportRowErrorOut]
    errorsOmitted: int


@attrs.frozen
class ImportReportEnvelope:
    """``{"data": ImportReport}``."""

    data: ImportReportOut


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
    overlapPolicy: OverlapPolicyName
    lockPolicy: LockPolicyOut | None


@attrs.frozen
class LockPolicyOut:
    """The rolling rule of closed periods: days older than ``afterDays`` days (in the organization's
    time zone) are closed."""

    afterDays: int


@attrs.frozen
class OrgEnvelope:
    """``{"data": Org}``."""

    data: OrgOut


@attrs.frozen
class LockPolicyBody:
    """``lockPolicy`` of ``PATCH /org`` (``null`` removes the rule)."""

    afterDays: Annotated[int, KwargDefinition(ge=1, le=3650, description="Days, 1 to 3650.")]


@attrs.frozen
class UpdateOrgBody:
    """The body of ``PATCH /org``: only the settings to change; ``null`` is refused for each.

    ``plan`` is not one of them: it is the organization's subscription, which its operator changes.
    """

    name: Name = ABSENT
    timezone: TimezoneName = ABSENT
    weekStart: WeekStartName = ABSENT
    overlapPolicy: OverlapPolicyName = ABSENT
    lockPolicy: LockPolicyBody | None = ABSENT

    __refused_members__: ClassVar = {
        "plan": (
            "is not set over the API: the plan is the organization's subscription, which the operator "
            "changes (hours orgs set-plan)"
        )
    }
    __openapi_closed_parts__: ClassVar = (LockPolicyBody,)


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


ReportLevel = Literal["day", "week", "month", "year", "user", "client", "project", "task", "billable"]


@attrs.frozen
class ReportKeyOut:
    """What a report node groups: ``type`` is its level (``total`` for the totals), ``id`` the value
    (a period's name, a user's, client's, project's or task's id, ``"true"``/``"false"`` for
    ``billable``; ``null`` for the totals, no client and no task), ``label`` a name for people."""

    type: Literal["total", "day", "week", "month", "year", "user", "client", "project", "task", "billable"]
    id: str | None
    label: str


@attrs.frozen
class ReportAmountOut:
    """A node's amounts in one currency, in its minor units (cents): never added across currencies."""

    currency: str
    billableMinor: int
    costMinor: int


@attrs.frozen
class ReportTotalsOut:
    """A report's totals, or a group at its finest level: raw, billable and rounded seconds, the
    number of entries, and the amounts per currency (``[]`` when no entry has a rate)."""

    key: ReportKeyOut
    durationSeconds: int
    billableSeconds: int
    roundedSeconds: int
    entryCount: int
    amounts: list[ReportAmountOut]


@attrs.frozen
class ReportInnerNodeOut(ReportTotalsOut):
    """A group at the second of three levels: its ``children`` are the third level's groups."""

    children: list[ReportTotalsOut] = ABSENT


@attrs.frozen
class ReportNodeOut(ReportTotalsOut):
    """A top-level group: ``children`` (its groups at the next level) on every level but the finest.

    The three classes spell out the three levels a report may have (``groupBy`` lists one to three).
    """

    children: list[ReportInnerNodeOut] = ABSENT


@attrs.frozen
class ReportOut:
    """The totals and the top-level groups (``[]`` without ``groupBy``)."""

    totals: ReportTotalsOut
    groups: list[ReportNodeOut]


class ReportMeta(msgspec.Struct):
    """What the report answers: the range, the levels, the week start and rounding it used (the
    rounding's canonical spelling, or ``null``), and whether a running timer was counted up to now.

    A msgspec struct rather than attrs, because a member is called ``from``, a Python keyword.
    """

    from_: dt.date = msgspec.field(name="from")
    to: dt.date = msgspec.field()
    groupBy: list[ReportLevel] = msgspec.field()
    weekStart: WeekStartName = msgspec.field()
    rounding: str | None = msgspec.field()
    running: bool = msgspec.field()


@attrs.frozen
class ReportEnvelope:
    """``{"data": {"totals", "groups"}, "meta": {...}}``."""

    data: ReportOut
    meta: ReportMeta


@attrs.frozen
class CreateRateBody:
    """The body of ``POST /rates``. ``scope`` says which ids are sent: none (``org``), ``clientId``
    (``client``), ``projectId`` (``project``), ``userId`` (``user``), ``userId`` and ``projectId``
    (``user_project``). At least one of the two rates is needed. ``currency`` may be left out where
    the scope has a client (it is then the client's)."""

    scope: RateScopeName
    effectiveFrom: EntryDate
    clientId: UUID | None = None
    projectId: UUID | None = None
    userId: UUID | None = None
    billableRateMinor: RateMinor | None = None
    costRateMinor: RateMinor | None = None
    currency: CurrencyCode | None = None

    @staticmethod
    def __openapi_dependent_schemas__() -> dict[str, Schema]:
        """The rules of ``hours_core.services.rates`` (``_check_fields``) that a schema can state, on
        ``scope``: it is always sent, so its entry holds for every body. Each scope needs its ids
        (a string) and refuses the others (left out or ``null``); ``org`` and ``user`` need a
        ``currency`` (the other scopes may take it from a client, which only the server can tell);
        and one of the two rates is a number."""
        return {"scope": Schema(all_of=[*map(_rate_scope_rule, _RATE_SCOPE_IDS), _ONE_RATE])}


_RATE_SCOPE_IDS: dict[str, tuple[str, ...]] = {
    "org": (),
    "client": ("clientId",),
    "project": ("projectId",),
    "user": ("userId",),
    "user_project": ("userId", "projectId"),
}
"""The ids each scope of a rate names (``hours_core.services.rates._TARGETS``); it refuses the others."""
_RATE_SCOPES_WITHOUT_CLIENT = ("org", "user")
"""The scopes whose rate has no client to take its currency from: ``currency`` is required."""
_ONE_RATE = Schema(
    any_of=[
        Schema(required=[member], properties={member: Schema(type=OpenAPIType.INTEGER)})
        for member in ("billableRateMinor", "costRateMinor")
    ]
)


def _rate_scope_rule(scope: str) -> Schema:
    """``if scope is <scope> then``: its ids (and ``currency`` where no client gives it) are sent as
    strings, and the ids of the other scopes are left out or ``null``."""
    needed = [*_RATE_SCOPE_IDS[scope], *(("currency",) if scope in _RATE_SCOPES_WITHOUT_CLIENT else ())]
    refused = [member for member in ("clientId", "projectId", "userId") if member not in needed]
    return Schema(
        schema_if=Schema(properties={"scope": Schema(const=scope)}),
        then=Schema(
            required=needed,
            properties={
                **dict.fromkeys(needed, _TEXT),
                **dict.fromkeys(refused, Schema(type=OpenAPIType.NULL)),
            },
        ),
    )


@attrs.frozen
class RateOut:
    """An hourly rate: in effect from ``effectiveFrom`` until a later rate of the same scope and
    target takes over."""

    id: UUID
    scope: RateScopeName
    clientId: UUID | None
    projectId: UUID | None
    userId: UUID | None
    billableRateMinor: RateMinor | None
    costRateMinor: RateMinor | None
    currency: str
    effectiveFrom: dt.date
    createdAt: dt.datetime


@attrs.frozen
class RateEnvelope:
    """``{"data": Rate}``."""

    data: RateOut


@attrs.frozen
class RateListEnvelope:
    """``{"data": [Rate, ...]}``."""

    data: list[RateOut]


@attrs.frozen
class ReapplyRatesBody:
    """The body of ``POST /rates/reapply``: the entry dates to re-resolve, inclusive, at most 366 days
    apart; ``dryRun`` (default false) reports what would change and changes nothing."""

    from_: EntryDate
    to: EntryDate
    dryRun: bool = False

    __wire_names__: ClassVar = {"from_": "from"}
    """Members whose JSON name is a Python keyword: the converter and the schema use the JSON name."""


@attrs.frozen
class RateChangeOut:
    """One entry whose stored rate changed (or would): its rate before and after."""

    entryId: UUID
    before: StoredRateOut | None
    after: StoredRateOut | None


@attrs.frozen
class ReapplyResultOut:
    """What a reapply did (or would do, ``dryRun``): entries examined, changed, and skipped because
    they are locked (invoiced, on a closed day, or in a submitted or approved timesheet's week);
    ``changes`` lists the first 1,000 changes, ``truncated`` says more changed."""

    dryRun: bool
    examined: int
    changed: int
    skippedLocked: int
    changes: list[RateChangeOut]
    truncated: bool


@attrs.frozen
class ReapplyResultEnvelope:
    """``{"data": ReapplyResult}``."""

    data: ReapplyResultOut


# Looser than the server's rule (hours_core.webhooks.WebhookUrl.parse), which also checks the host
# and its address, the port and that every character is printable ASCII (422).
WebhookUrlText = Annotated[
    str,
    KwargDefinition(
        min_length=1,
        max_length=2048,
        pattern=r"^[Hh][Tt][Tt][Pp][Ss]?://[^/?#@\s]+([/?][^#\s]*)?$",
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
            'Each at most once: `"*"` for every event, `"<family>.*"` (e.g. `"project.*"`) for every '
            "event of a family, or event types such as `time_entry.created`; families: "
            f"{', '.join(EVENT_FAMILIES)}."
        ),
        # The entries hours_core.subscriptions.event_filter_problem takes (it is the check, with its
        # messages); a list of strings to the decoder, so that a wrong entry is its 422, not the decoder's.
        schema_extra=_SchemaExtra(
            items=Schema(
                type=OpenAPIType.STRING,
                enum=[ALL_EVENTS, *(f"{family}.*" for family in EVENT_FAMILIES), *EVENT_TYPES],
            ),
            uniqueItems=True,
        ),
    ),
]
WebhookDescription = Annotated[
    str,
    KwargDefinition(
        max_length=500,
        pattern=_ONE_LINE_OR_BLANK,
        description=(
            "A note for people, at most 500 characters, one line (no control characters, line "
            "separators or bidirectional controls)."
        ),
    ),
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

JsonScalar = str | float | bool | None
"""A JSON scalar as the schema documents it. No ``int`` beside ``float``: JSON Schema's ``number``
covers the integers, and ``integer`` next to ``number`` in a ``oneOf`` makes every whole number match
two branches, which ``oneOf`` refuses (a ``lockAfterDays`` change then broke the documented shape).
Output only: nothing is decoded through it."""

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
    # Clients and rates (issue 14's gaps).
    "client.created",
    "client.updated",
    "client.archived",
    "client.unarchived",
    "rate.created",
    "rate.deleted",
    "timesheet.created",
    "timesheet.submitted",
    "timesheet.approved",
    "timesheet.rejected",
    "timesheet.reopened",
    "period.locked",
    "period.unlocked",
    "invoice.created",
    "invoice.voided",
]
"""Every event type (``hours_core.events.EventType``; ``test_events`` holds the two together)."""

ChangeOut = TypedDict("ChangeOut", {"from": JsonScalar | StoredRateOut, "to": JsonScalar | StoredRateOut})
"""One field's value before (``null`` before a creation) and after a change; an entry's ``rate`` is
an object, as the entry has it."""


@attrs.frozen
class ActorOut:
    """Who made a change: ``userId`` and ``tokenPrefix`` over the API; both ``null`` for the operator
    (``via: "cli"``) and for hours itself (``via: "system"``)."""

    userId: UUID | None
    tokenPrefix: str | None
    via: Literal["api", "cli", "import", "system"]


SubjectTypeName = Literal[
    "time_entry",
    "project",
    "task",
    "token",
    "org",
    "user",
    # Clients and rates (issue 14's gaps).
    "client",
    "rate",
    "timesheet",
    # Closed periods and invoices (issue 15).
    "period",
    "invoice",
]
"""Every kind of subject (``hours_core.events.SubjectType``; ``test_events`` holds the two together)."""


@attrs.frozen
class SubjectOut:
    """What a change is about: its kind and its id (a UUID, or a token's prefix)."""

    type: SubjectTypeName
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


# Timesheets.

TimesheetStatusName = Literal["draft", "submitted", "approved", "rejected"]
RejectionReason = Annotated[
    str,
    KwargDefinition(
        min_length=1,
        max_length=1000,
        pattern=_LINES_OF_TEXT,
        description=(
            "Why the timesheet is rejected, for its user: 1 to 1,000 characters, not blank; lines "
            "may break, but no other control characters nor bidirectional controls."
        ),
    ),
]


@attrs.frozen
class CreateTimesheetBody:
    """The body of ``POST /timesheets``: the week's first day (by the organization's ``weekStart``)
    and whose week it is (``userId`` left out or ``null``: yours)."""

    weekStart: EntryDate
    userId: UUID | None = None


@attrs.frozen
class RejectTimesheetBody:
    """The body of ``POST /timesheets/{id}/reject``."""

    reason: RejectionReason


@attrs.frozen
class TimesheetTotalsOut:
    """The time of the week: the seconds of the user's entries dated in it (a running timer's so
    far) and how many entries there are (deleted ones left out)."""

    durationSeconds: int
    entryCount: int


@attrs.frozen
class TimesheetOut:
    """A user's week and its approval: ``weekStart`` to ``weekEnd`` (inclusive), the last
    submission (``submittedAt``, ``submittedBy``) and the decision that followed it (``decidedAt``,
    ``decidedBy``; ``rejectionReason`` for a rejection); ``null`` where there is none, as on a draft
    (a reopen withdraws the submission)."""

    id: UUID
    userId: UUID
    weekStart: dt.date
    weekEnd: dt.date
    status: TimesheetStatusName
    submittedAt: dt.datetime | None
    submittedBy: UUID | None
    decidedAt: dt.datetime | None
    decidedBy: UUID | None
    rejectionReason: str | None
    totals: TimesheetTotalsOut


@attrs.frozen
class TimesheetEnvelope:
    """``{"data": Timesheet}``."""

    data: TimesheetOut


@attrs.frozen
class TimesheetListEnvelope:
    """A page of timesheets, newest week first; pass ``nextCursor`` back as ``cursor`` (``null``: the
    last page)."""

    data: list[TimesheetOut]
    nextCursor: str | None


# Closed periods and invoices (docs/api.md, "Closed periods", "Invoices").


@attrs.frozen
class PeriodChangeBody:
    """The body of ``POST /periods/lock`` and ``POST /periods/unlock``."""

    through: Annotated[dt.date, KwargDefinition(description="The last day to close (or reopen), inclusive.")]
    reason: LockReasonText


@attrs.frozen
class ClosedPeriodOut:
    """A range of closed days: ``firstDay`` (``null``: every day before) to ``through``, inclusive."""

    firstDay: dt.date | None
    through: dt.date
    reason: str
    lockedBy: UUID | None
    lockedAt: dt.datetime


@attrs.frozen
class ClosedDaysOut:
    """What is closed: the closed periods by date, the rolling rule, and the last day it closes
    today (``policyThrough``, ``null`` without a rule)."""

    periods: list[ClosedPeriodOut]
    lockPolicy: LockPolicyOut | None
    policyThrough: dt.date | None


@attrs.frozen
class ClosedDaysEnvelope:
    """``{"data": ClosedDays}``."""

    data: ClosedDaysOut


@attrs.frozen
class CreateInvoiceBody:
    """The body of ``POST /invoices``."""

    externalRef: Annotated[
        str,
        KwargDefinition(
            min_length=1,
            max_length=200,
            pattern=ONE_LINE_TEXT,
            description="The invoicing system's id of the invoice.",
        ),
    ]
    entryIds: Annotated[
        list[UUID],
        KwargDefinition(min_items=1, max_items=1000, description="1 to 1,000 entries, no repeats."),
    ]


@attrs.frozen
class InvoiceAmountOut:
    """What an invoice's entries are worth in one currency, in minor units (exact integers)."""

    currency: str
    billableMinor: int
    costMinor: int


@attrs.frozen
class InvoiceTotalsOut:
    """An invoice's totals as they were when it was made."""

    durationSeconds: int
    entryCount: int
    amounts: list[InvoiceAmountOut]


@attrs.frozen
class InvoiceOut:
    """An invoice: its entries (their ids, in the order sent), totals and status."""

    id: UUID
    externalRef: str
    status: Literal["open", "void"]
    entryIds: list[UUID]
    totals: InvoiceTotalsOut
    createdBy: UUID | None
    createdAt: dt.datetime
    voidedAt: dt.datetime | None


@attrs.frozen
class InvoiceWithEntriesOut(InvoiceOut):
    """An invoice with its entries (deleted ones included)."""

    entries: list[TimeEntryOut]


@attrs.frozen
class InvoiceEnvelope:
    """``{"data": Invoice}``."""

    data: InvoiceOut


@attrs.frozen
class InvoiceWithEntriesEnvelope:
    """``{"data": Invoice}`` with its entries."""

    data: InvoiceWithEntriesOut


@attrs.frozen
class InvoiceListEnvelope:
    """A page of invoices, newest first; pass ``nextCursor`` back as ``cursor`` (``null``: the last page)."""

    data: list[InvoiceOut]
    nextCursor: str | None


BatchOperationName = Literal["create", "update", "delete", "restore"]


@attrs.frozen
class BatchOperationBody:
    """One operation of ``POST /time-entries/batch``.

    ``create`` takes ``body`` (the body of ``POST /time-entries``) and no ``id`` nor ``ifMatch``;
    ``update`` takes ``id`` and ``body`` (the body of ``PATCH /time-entries/{id}``); ``delete`` and
    ``restore`` take ``id`` and no ``body``; these three may take ``ifMatch``. ``null`` counts as absent.
    """

    op: BatchOperationName
    id: UUID | None = ABSENT
    ifMatch: Annotated[
        int | str | None,
        KwargDefinition(
            description=(
                "Update, delete and restore only: the version the entry must be at (as `version` or the "
                '`ETag`), an integer such as `3`, or entity tags as `If-Match` takes them (`"\\"3\\""`); '
                "otherwise the operation fails with 412 `precondition_failed`."
            )
        ),
    ] = ABSENT
    body: Annotated[
        CreateTimeEntryBody | UpdateTimeEntryBody | None,
        KwargDefinition(
            description="The body of `POST /time-entries` (create) or `PATCH /time-entries/{id}` (update).",
            # Any of, not one of: a create body is also a valid update body.
            schema_extra={
                "one_of": None,
                "any_of": [
                    Reference("#/components/schemas/CreateTimeEntryBody"),
                    Reference("#/components/schemas/UpdateTimeEntryBody"),
                    Schema(type=OpenAPIType.NULL),
                ],
            },
        ),
    ] = ABSENT

    @staticmethod
    def __openapi_all_of__() -> list[Schema]:
        """What each ``op`` asks of the other members (``null`` counts as absent), so that the
        document, not only the server, refuses ``{"op": "create"}`` without a body or an update
        without its ``id``: one ``if``/``then`` per operation."""
        null = Schema(type=OpenAPIType.NULL)

        def when(ops: list[str], *, required: list[str], properties: dict[str, Schema | Reference]) -> Schema:
            return Schema(
                schema_if=Schema(
                    type=OpenAPIType.OBJECT,
                    required=["op"],
                    properties={"op": Schema(enum=list(ops))},
                ),
                then=Schema(type=OpenAPIType.OBJECT, required=required, properties=properties),
            )

        entry_id = Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.UUID)
        return [
            when(
                ["create"],
                required=["body"],
                properties={
                    "id": null,
                    "ifMatch": null,
                    "body": Reference("#/components/schemas/CreateTimeEntryBody"),
                },
            ),
            when(
                ["update"],
                required=["id", "body"],
                properties={"id": entry_id, "body": Reference("#/components/schemas/UpdateTimeEntryBody")},
            ),
            when(["delete", "restore"], required=["id"], properties={"id": entry_id, "body": null}),
        ]


BatchOperations = Annotated[
    list[BatchOperationBody],
    KwargDefinition(min_items=1, max_items=500, description="1 to 500 operations, applied in order."),
]


@attrs.frozen
class BatchBody:
    """The body of ``POST /time-entries/batch``."""

    atomic: bool
    operations: BatchOperations

    __openapi_closed_parts__: ClassVar = (BatchOperationBody,)


@attrs.frozen
class BatchResultOut:
    """What became of one operation: its index (from 0), the status its single-entry route would
    have answered (201 create, 200 update and restore, 204 delete, 4xx), and ``data`` (the entry as
    that route returns it; ``null`` for a delete) or ``error`` (that route's error)."""

    index: int
    status: int
    data: TimeEntryOut | None = ABSENT
    error: ErrorBody = ABSENT


@attrs.frozen
class BatchOut:
    """The outcome of a batch: one result per operation, in order."""

    results: list[BatchResultOut]


@attrs.frozen
class BatchEnvelope:
    """``{"data": {"results": [...]}}``, and ``warnings`` when operations succeeded with some (those of
    every operation together; left out when there are none)."""

    data: BatchOut
    warnings: list[WarningOut] = ABSENT
