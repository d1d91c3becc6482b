"""Events: one record of every change, written in the same transaction as the change (an outbox).

A use case that changes something appends a :class:`NewEvent` to its unit of work
(``uow.events.append``); the unit of work gives the org's pending events their sequence numbers
when it commits, in the same transaction, and they become :class:`Event` s. Sequence numbers are
per organization, start at 1 and have no gaps; the stores assign them under a per-org counter
that is locked until the transaction commits, so commit order is sequence order and a reader
never sees seq N+1 before seq N (see docs/events.md).

``changes`` maps the core's field names (snake_case, as on the entities) to the value before and
after, both JSON-able (:func:`jsonable`: ids and times as strings, enums as their values), so that
a store can keep them as JSON and each boundary respell only the names.
"""

from __future__ import annotations

import enum
import functools
import uuid
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from types import MappingProxyType
from typing import Any, NamedTuple, NewType, cast

import attrs
from attrs import AttrsInstance

from hours_core.model import OrgId, UserId

__all__ = [
    "EVENT_RETENTION",
    "MAX_REQUEST_ID_LENGTH",
    "SHARED_SUBJECTS",
    "Actor",
    "Change",
    "Event",
    "EventId",
    "EventQuery",
    "EventType",
    "JsonScalar",
    "JsonValue",
    "NewEvent",
    "Subject",
    "SubjectType",
    "Via",
    "changes_between",
    "jsonable",
    "scalar",
]

EventId = NewType("EventId", uuid.UUID)

JsonScalar = str | int | float | bool | None
"""A JSON scalar."""

JsonValue = JsonScalar | Mapping[str, JsonScalar]
"""What a value of :attr:`Change.old` and :attr:`Change.new` may be: a scalar, or a flat object of
scalars for a value object (an entry's stored ``rate``: its fields by their core names)."""

EVENT_RETENTION = timedelta(days=90)
"""Events are kept at least this long; the retention purge deletes older ones (docs/events.md)."""

MAX_REQUEST_ID_LENGTH = 128
"""The longest request id an event keeps."""


class Via(enum.StrEnum):
    """How a change came in."""

    API = "api"
    CLI = "cli"
    IMPORT = "import"
    SYSTEM = "system"


class SubjectType(enum.StrEnum):
    """What kind of thing an event is about."""

    TIME_ENTRY = "time_entry"
    PROJECT = "project"
    TASK = "task"
    TOKEN = "token"
    ORG = "org"
    USER = "user"
    # Clients and rates (issue 14's gaps).
    CLIENT = "client"
    RATE = "rate"
    TIMESHEET = "timesheet"
    PERIOD = "period"
    INVOICE = "invoice"


SHARED_SUBJECTS: tuple[SubjectType, ...] = (
    SubjectType.PROJECT,
    SubjectType.TASK,
    SubjectType.ORG,
    SubjectType.CLIENT,
    SubjectType.PERIOD,
)
"""Subjects every member of the org may read, so every member sees their events in the feed (rates
are not among them: only owners and admins read rates)."""


class EventType(enum.StrEnum):
    """Every kind of event: ``<subject>.<what happened>``."""

    TIME_ENTRY_CREATED = "time_entry.created"
    TIME_ENTRY_UPDATED = "time_entry.updated"
    TIME_ENTRY_DELETED = "time_entry.deleted"
    TIME_ENTRY_RESTORED = "time_entry.restored"
    TIMER_STARTED = "timer.started"
    TIMER_STOPPED = "timer.stopped"
    PROJECT_CREATED = "project.created"
    PROJECT_UPDATED = "project.updated"
    PROJECT_ARCHIVED = "project.archived"
    PROJECT_UNARCHIVED = "project.unarchived"
    TASK_CREATED = "task.created"
    TASK_UPDATED = "task.updated"
    TASK_ARCHIVED = "task.archived"
    TASK_UNARCHIVED = "task.unarchived"
    TOKEN_CREATED = "token.created"
    TOKEN_REVOKED = "token.revoked"
    ORG_UPDATED = "org.updated"
    USER_CREATED = "user.created"
    USER_UPDATED = "user.updated"
    USER_DEACTIVATED = "user.deactivated"
    USER_REACTIVATED = "user.reactivated"
    # Clients and rates (issue 14's gaps).
    CLIENT_CREATED = "client.created"
    CLIENT_UPDATED = "client.updated"
    CLIENT_ARCHIVED = "client.archived"
    CLIENT_UNARCHIVED = "client.unarchived"
    RATE_CREATED = "rate.created"
    RATE_DELETED = "rate.deleted"
    TIMESHEET_CREATED = "timesheet.created"
    TIMESHEET_SUBMITTED = "timesheet.submitted"
    TIMESHEET_APPROVED = "timesheet.approved"
    TIMESHEET_REJECTED = "timesheet.rejected"
    TIMESHEET_REOPENED = "timesheet.reopened"
    PERIOD_LOCKED = "period.locked"
    PERIOD_UNLOCKED = "period.unlocked"
    INVOICE_CREATED = "invoice.created"
    INVOICE_VOIDED = "invoice.voided"


@attrs.frozen
class Actor:
    """Who made a change: a user (through a token, over the API), the operator (CLI), or hours itself."""

    user_id: UserId | None
    token_prefix: str | None
    via: Via


@attrs.frozen
class Subject:
    """What a change is about. ``id`` is how the API names it (a UUID, or a token's prefix)."""

    type: SubjectType
    id: str


class Change(NamedTuple):
    """One field's value before and after a change (``None`` before a creation).

    A named tuple rather than an attrs class: an event holds one per field, and an import makes
    one event per entry, where a frozen attrs instance costs several times as much to build.
    """

    old: JsonValue
    new: JsonValue


_NO_OFFSET = timedelta(0)


def _utc(_instance: object, attribute: attrs.Attribute[Any], value: datetime) -> None:
    if value.utcoffset() != _NO_OFFSET:
        raise ValueError(f"{attribute.name} must be a UTC datetime, got {value!r}")


def _request_id(_instance: object, attribute: attrs.Attribute[Any], value: str | None) -> None:
    if value is not None and not 0 < len(value) <= MAX_REQUEST_ID_LENGTH:
        raise ValueError(f"{attribute.name} must be 1 to {MAX_REQUEST_ID_LENGTH} characters, got {value!r}")


def _frozen_changes(value: Mapping[str, Change]) -> Mapping[str, Change]:
    return MappingProxyType(dict(value))


@attrs.frozen
class NewEvent:
    """An event of an uncommitted change: everything but its sequence number.

    ``owner_id`` is the user whose data the subject is (an entry's user, a token's user, the
    user a team change is about), ``None`` for the org's shared things: members see the events of
    their own data and of :data:`SHARED_SUBJECTS`. It is not part of the event's public shape.
    """

    id: EventId
    org_id: OrgId
    type: EventType
    occurred_at: datetime = attrs.field(validator=_utc)
    actor: Actor
    request_id: str | None = attrs.field(validator=_request_id)
    idempotency_key: str | None
    subject: Subject
    changes: Mapping[str, Change] = attrs.field(converter=_frozen_changes)
    owner_id: UserId | None = None

    def sequenced(self, seq: int) -> Event:
        """This event, committed as number ``seq`` of its organization."""
        return Event(
            id=self.id,
            org_id=self.org_id,
            seq=seq,
            type=self.type,
            occurred_at=self.occurred_at,
            actor=self.actor,
            request_id=self.request_id,
            idempotency_key=self.idempotency_key,
            subject=self.subject,
            changes=self.changes,
            owner_id=self.owner_id,
        )


def _positive(_instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    if type(value) is not int or value < 1:
        raise ValueError(f"{attribute.name} must be a positive int, got {value!r}")


@attrs.frozen
class Event:
    """A committed change: number ``seq`` of its organization's strictly increasing sequence."""

    id: EventId
    org_id: OrgId
    seq: int = attrs.field(validator=_positive)
    type: EventType
    occurred_at: datetime = attrs.field(validator=_utc)
    actor: Actor
    request_id: str | None = attrs.field(validator=_request_id)
    idempotency_key: str | None
    subject: Subject
    changes: Mapping[str, Change] = attrs.field(converter=_frozen_changes)
    owner_id: UserId | None = None


@attrs.frozen
class EventQuery:
    """Which of an organization's events to list, in sequence order, and from where.

    ``after``/``before`` bound the sequence numbers (exclusive). ``owner_id`` keeps the events
    about that user's data, and also those about ``or_subject_types`` when given (what a member
    sees). ``occurred_from`` is inclusive, ``occurred_to`` exclusive. ``None`` means "any".
    """

    after: int = 0
    before: int | None = None
    subject_type: SubjectType | None = None
    subject_id: str | None = None
    actor_id: UserId | None = None
    occurred_from: datetime | None = None
    occurred_to: datetime | None = None
    owner_id: UserId | None = None
    or_subject_types: tuple[SubjectType, ...] = ()
    descending: bool = False
    limit: int = 100

    def matches(self, event: Event) -> bool:
        """Whether ``event`` passes every filter (the in-memory store's query; SQL has its own)."""
        if event.seq <= self.after or (self.before is not None and event.seq >= self.before):
            return False
        if self.subject_type is not None and event.subject.type is not self.subject_type:
            return False
        if self.subject_id is not None and event.subject.id != self.subject_id:
            return False
        if self.actor_id is not None and event.actor.user_id != self.actor_id:
            return False
        if self.occurred_from is not None and event.occurred_at < self.occurred_from:
            return False
        if self.occurred_to is not None and event.occurred_at >= self.occurred_to:
            return False
        if self.owner_id is not None and event.owner_id != self.owner_id:
            return event.subject.type in self.or_subject_types
        return True


def jsonable(value: object) -> JsonValue:
    """``value`` as JSON: a value object (attrs) as an object of its fields (:func:`scalar` each),
    anything else as :func:`scalar`."""
    if attrs.has(type(value)):
        fields = attrs.fields(cast("type[AttrsInstance]", type(value)))
        return {field.name: scalar(getattr(value, field.name)) for field in fields}
    return scalar(value)


_SCALARS = (bool, int, float, str)


def scalar(value: object) -> JsonScalar:
    """``value`` as a JSON scalar: UUIDs canonical, instants RFC 3339 with ``Z``, dates ISO, enums
    their value; strings, numbers, booleans and ``None`` as they are."""
    if value is None or isinstance(value, _SCALARS):
        return value
    if isinstance(value, enum.Enum):
        return scalar(value.value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"no JSON form for {value!r}")


_NEVER_IN_CHANGES = frozenset(
    {"id", "org_id", "created_at", "updated_at", "version", "secret_hash", "last_used_at", "released_ref"}
)
"""Fields no event reports: the subject's identity, bookkeeping times (the event has its own
``occurred_at``) and write counts (``version``: one more with every write, events or not), a
token's hash and its last use (not a change anyone made), and an entry's ``released_ref`` (the
store's memory of a released source row: its ``externalRef`` change says it). An entry's stored
``rate`` is reported,
as an object of its fields (:func:`jsonable`), or ``None``."""


def changes_between(old: AttrsInstance | None, new: AttrsInstance | None) -> dict[str, Change]:
    """The fields of two versions of one attrs entity that differ, as :class:`Change` s.

    ``old=None`` (a creation) reports every field of ``new``; ``new=None`` every field of ``old``.
    """
    if old is None:
        if new is None:
            return {}
        return {name: Change(None, _json(getattr(new, name))) for name in _reported(type(new))}
    if new is None:
        return {name: Change(_json(getattr(old, name)), None) for name in _reported(type(old))}
    changes: dict[str, Change] = {}
    for name in _reported(type(new)):
        was, now = getattr(old, name), getattr(new, name)
        if was is now:  # a field ``attrs.evolve`` left alone: one object, one JSON value
            continue
        before, after = _json(was), _json(now)
        if before != after:
            changes[name] = Change(before, after)
    return changes


_AS_THEY_ARE = frozenset({type(None), bool, int, float, str})


def _json(value: object) -> JsonValue:
    """:func:`jsonable`, the common cases first, by their exact type (it runs for every field of
    every event: an import of 100,000 rows runs it 1.4 million times)."""
    kind = type(value)
    if kind in _AS_THEY_ARE:
        return cast("JsonScalar", value)
    if kind is uuid.UUID:
        return str(value)
    if kind is datetime:
        return cast("datetime", value).isoformat().replace("+00:00", "Z")
    if kind is date:
        return cast("date", value).isoformat()
    return jsonable(value)  # an enum, a value object, a subclass: the general path


@functools.cache
def _reported(entity: type) -> tuple[str, ...]:
    """The fields of ``entity`` an event reports, in field order."""
    return tuple(field.name for field in attrs.fields(entity) if field.name not in _NEVER_IN_CHANGES)
