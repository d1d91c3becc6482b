"""Row codecs: entities to SQL parameters and rows back to entities, one explicit pair per table.

The functions are plain code rather than a generic converter because they sit on the hot path
(the bulk load encodes a million entries; every list decodes a page) and because the storage
forms are deliberate (see :mod:`hours_sqlite.migrations`). Decoders build entities through their
constructors, so the entities' validators check what comes out of the database.

Each ``*_COLUMNS`` tuple is the column order that the matching ``encode_*`` produces and the
matching ``decode_*`` expects; the repositories build their SQL from these tuples.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any
from uuid import UUID

from hours_core.idempotency import IdempotencyRecord
from hours_core.model import (
    Org,
    OrgId,
    Plan,
    Project,
    ProjectId,
    Role,
    Task,
    TaskId,
    TimeEntry,
    TimeEntryId,
    User,
    UserId,
)
from hours_core.tokens import ApiToken

__all__ = [
    "ENTRY_COLUMNS",
    "IDEMPOTENCY_COLUMNS",
    "ORG_COLUMNS",
    "PROJECT_COLUMNS",
    "TASK_COLUMNS",
    "TOKEN_COLUMNS",
    "USER_COLUMNS",
    "decode_date",
    "decode_entry",
    "decode_idempotency",
    "decode_instant",
    "decode_org",
    "decode_project",
    "decode_task",
    "decode_token",
    "decode_user",
    "encode_date",
    "encode_entry",
    "encode_idempotency",
    "encode_instant",
    "encode_org",
    "encode_project",
    "encode_task",
    "encode_token",
    "encode_user",
]

Row = Sequence[Any]
"""A row as ``sqlite3`` returns it: a tuple, in the order of a ``*_COLUMNS`` tuple."""


# Scalars.


def encode_instant(value: datetime) -> str:
    """``value`` as fixed-width UTC text, ``YYYY-MM-DDTHH:MM:SS.ffffffZ``; naive values are refused."""
    offset = value.utcoffset()
    if offset is None:
        raise ValueError(f"cannot store a naive datetime: {value!r}")
    if offset:
        value = value.astimezone(UTC)
    # "YYYY-MM-DDTHH:MM:SS.ffffff+00:00": the first 26 characters, then "Z" (the bulk path
    # encodes millions of these; slicing is cheaper than replace(tzinfo=None)).
    return value.isoformat(timespec="microseconds")[:26] + "Z"


def decode_instant(text: str) -> datetime:
    """The UTC datetime of text made by :func:`encode_instant`."""
    return datetime.fromisoformat(text)


def _instant_or_none(value: datetime | None) -> str | None:
    return None if value is None else encode_instant(value)


def _decode_instant_or_none(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def encode_date(value: date) -> str:
    """``value`` as ``YYYY-MM-DD``."""
    return value.isoformat()


def decode_date(text: str) -> date:
    """The date of ``YYYY-MM-DD`` text."""
    return date.fromisoformat(text)


# A list page decodes an entry per row: these spare :func:`decode_entry` a Python call per column.
_date = date.fromisoformat
_instant = datetime.fromisoformat


_REFERENCES_CACHED = 8192


@lru_cache(maxsize=_REFERENCES_CACHED)
def _ref_text(value: UUID) -> str:
    """The text of an id that many rows refer to (organization, user, project, task), memoized."""
    return str(value)


@lru_cache(maxsize=_REFERENCES_CACHED)
def _ref(text: str) -> UUID:
    """The id of the text of an id that many rows refer to, memoized (UUIDs are immutable)."""
    return UUID(text)


def _bool(value: int) -> bool:
    if value == 1:
        return True
    if value == 0:
        return False
    raise ValueError(f"expected a stored boolean (0 or 1), got {value!r}")


# Organizations, users, projects, tasks.

ORG_COLUMNS = ("id", "name", "plan", "created_at")


def encode_org(org: Org) -> tuple[Any, ...]:
    """The parameters of ``org`` in :data:`ORG_COLUMNS` order."""
    return (str(org.id), org.name, org.plan.value, encode_instant(org.created_at))


def decode_org(row: Row) -> Org:
    """The organization of a row in :data:`ORG_COLUMNS` order."""
    id_, name, plan, created_at = row
    return Org(id=OrgId(_ref(id_)), name=name, plan=Plan(plan), created_at=decode_instant(created_at))


USER_COLUMNS = ("id", "org_id", "email", "role", "created_at")


def encode_user(user: User) -> tuple[Any, ...]:
    """The parameters of ``user`` in :data:`USER_COLUMNS` order."""
    return (
        str(user.id),
        _ref_text(user.org_id),
        user.email,
        user.role.value,
        encode_instant(user.created_at),
    )


def decode_user(row: Row) -> User:
    """The user of a row in :data:`USER_COLUMNS` order."""
    id_, org_id, email, role, created_at = row
    return User(
        id=UserId(_ref(id_)),  # users are decoded on every request (authentication): memoized
        org_id=OrgId(_ref(org_id)),
        email=email,
        role=Role(role),
        created_at=decode_instant(created_at),
    )


PROJECT_COLUMNS = ("id", "org_id", "name", "archived", "billable_by_default", "created_at", "updated_at")


def encode_project(project: Project) -> tuple[Any, ...]:
    """The parameters of ``project`` in :data:`PROJECT_COLUMNS` order."""
    return (
        str(project.id),
        _ref_text(project.org_id),
        project.name,
        int(project.archived),
        int(project.billable_by_default),
        encode_instant(project.created_at),
        encode_instant(project.updated_at),
    )


def decode_project(row: Row) -> Project:
    """The project of a row in :data:`PROJECT_COLUMNS` order."""
    id_, org_id, name, archived, billable_by_default, created_at, updated_at = row
    return Project(
        id=ProjectId(UUID(id_)),
        org_id=OrgId(_ref(org_id)),
        name=name,
        archived=_bool(archived),
        billable_by_default=_bool(billable_by_default),
        created_at=decode_instant(created_at),
        updated_at=decode_instant(updated_at),
    )


TASK_COLUMNS = ("id", "org_id", "project_id", "name", "archived", "created_at", "updated_at")


def encode_task(task: Task) -> tuple[Any, ...]:
    """The parameters of ``task`` in :data:`TASK_COLUMNS` order."""
    return (
        str(task.id),
        _ref_text(task.org_id),
        _ref_text(task.project_id),
        task.name,
        int(task.archived),
        encode_instant(task.created_at),
        encode_instant(task.updated_at),
    )


def decode_task(row: Row) -> Task:
    """The task of a row in :data:`TASK_COLUMNS` order."""
    id_, org_id, project_id, name, archived, created_at, updated_at = row
    return Task(
        id=TaskId(UUID(id_)),
        org_id=OrgId(_ref(org_id)),
        project_id=ProjectId(_ref(project_id)),
        name=name,
        archived=_bool(archived),
        created_at=decode_instant(created_at),
        updated_at=decode_instant(updated_at),
    )


# Time entries.

ENTRY_COLUMNS = (
    "id",
    "org_id",
    "user_id",
    "project_id",
    "task_id",
    "invoice_id",
    "duration_seconds",
    "billable",
    "note",
    "entry_date",
    "started_at",
    "stopped_at",
    "created_at",
    "updated_at",
    "deleted_at",
)


def encode_entry(entry: TimeEntry) -> tuple[Any, ...]:
    """The parameters of ``entry`` in :data:`ENTRY_COLUMNS` order."""
    created_at = encode_instant(entry.created_at)
    return (
        str(entry.id),
        _ref_text(entry.org_id),
        _ref_text(entry.user_id),
        _ref_text(entry.project_id),
        None if entry.task_id is None else _ref_text(entry.task_id),
        None if entry.invoice_id is None else str(entry.invoice_id),
        entry.duration_seconds,
        1 if entry.billable else 0,
        entry.note,
        entry.entry_date.isoformat(),
        None if entry.started_at is None else encode_instant(entry.started_at),
        None if entry.stopped_at is None else encode_instant(entry.stopped_at),
        created_at,
        created_at if entry.updated_at == entry.created_at else encode_instant(entry.updated_at),
        None if entry.deleted_at is None else encode_instant(entry.deleted_at),
    )


def decode_entry(row: Row) -> TimeEntry:
    """The time entry of a row in :data:`ENTRY_COLUMNS` order."""
    (
        id_,
        org_id,
        user_id,
        project_id,
        task_id,
        invoice_id,
        duration_seconds,
        billable,
        note,
        entry_date,
        started_at,
        stopped_at,
        created_at,
        updated_at,
        deleted_at,
    ) = row
    return TimeEntry(
        id=TimeEntryId(UUID(id_)),
        org_id=OrgId(_ref(org_id)),
        user_id=UserId(_ref(user_id)),
        project_id=ProjectId(_ref(project_id)),
        task_id=None if task_id is None else TaskId(_ref(task_id)),
        invoice_id=None if invoice_id is None else UUID(invoice_id),
        duration_seconds=duration_seconds,
        billable=_bool(billable),
        note=note,
        entry_date=_date(entry_date),
        started_at=None if started_at is None else _instant(started_at),
        stopped_at=None if stopped_at is None else _instant(stopped_at),
        created_at=_instant(created_at),
        updated_at=_instant(updated_at),
        deleted_at=None if deleted_at is None else _instant(deleted_at),
    )


# API tokens.

TOKEN_COLUMNS = (
    "id",
    "org_id",
    "user_id",
    "name",
    "env",
    "prefix",
    "secret_hash",
    "created_at",
    "expires_at",
    "revoked_at",
    "last_used_at",
)


def encode_token(token: ApiToken) -> tuple[Any, ...]:
    """The parameters of ``token`` in :data:`TOKEN_COLUMNS` order (its hash, never a plaintext)."""
    return (
        str(token.id),
        _ref_text(token.org_id),
        _ref_text(token.user_id),
        token.name,
        token.env,
        token.prefix,
        token.secret_hash,
        encode_instant(token.created_at),
        _instant_or_none(token.expires_at),
        _instant_or_none(token.revoked_at),
        _instant_or_none(token.last_used_at),
    )


def decode_token(row: Row) -> ApiToken:
    """The token of a row in :data:`TOKEN_COLUMNS` order."""
    (
        id_,
        org_id,
        user_id,
        name,
        env,
        prefix,
        secret_hash,
        created_at,
        expires_at,
        revoked_at,
        last_used_at,
    ) = row
    return ApiToken(
        id=UUID(id_),
        org_id=OrgId(_ref(org_id)),
        user_id=UserId(_ref(user_id)),
        name=name,
        env=env,
        prefix=prefix,
        secret_hash=secret_hash,
        created_at=decode_instant(created_at),
        expires_at=_decode_instant_or_none(expires_at),
        revoked_at=_decode_instant_or_none(revoked_at),
        last_used_at=_decode_instant_or_none(last_used_at),
    )


# Idempotency records.

IDEMPOTENCY_COLUMNS = (
    "org_id",
    "user_id",
    "key",
    "fingerprint",
    "created_at",
    "result",
    "completed_at",
)


def encode_idempotency(record: IdempotencyRecord) -> tuple[Any, ...]:
    """The parameters of ``record`` in :data:`IDEMPOTENCY_COLUMNS` order (its result as opaque bytes)."""
    return (
        _ref_text(record.org_id),
        _ref_text(record.user_id),
        record.key,
        record.fingerprint,
        encode_instant(record.created_at),
        record.result,
        _instant_or_none(record.completed_at),
    )


def decode_idempotency(row: Row) -> IdempotencyRecord:
    """The idempotency record of a row in :data:`IDEMPOTENCY_COLUMNS` order."""
    org_id, user_id, key, fingerprint, created_at, result, completed_at = row
    return IdempotencyRecord(
        org_id=OrgId(_ref(org_id)),
        user_id=UserId(_ref(user_id)),
        key=key,
        fingerprint=fingerprint,
        created_at=decode_instant(created_at),
        result=None if result is None else bytes(result),
        completed_at=_decode_instant_or_none(completed_at),
    )
