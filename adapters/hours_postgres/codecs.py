"""Row codecs: entities to SQL parameters and rows back to entities, one explicit pair per table.

PostgreSQL has the types hours needs (``uuid``, ``date``, ``timestamptz``, ``boolean``,
``bytea``, ``jsonb``) and psycopg adapts them both ways, so these codecs mostly reorder fields.
What they still do: enums go in as their values and come back as enum members; response headers
go in as a JSON array of ``[name, value]`` pairs (keeping order and repeats) and are checked on
the way out. Decoders build entities through their constructors, so the entities' validators
check what comes out of the database.

Each ``*_COLUMNS`` tuple is the column order that the matching ``encode_*`` produces and the
matching ``decode_*`` expects; the repositories build their SQL from these tuples.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

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
    "decode_entry",
    "decode_idempotency",
    "decode_org",
    "decode_project",
    "decode_task",
    "decode_token",
    "decode_user",
    "encode_entry",
    "encode_idempotency",
    "encode_org",
    "encode_project",
    "encode_task",
    "encode_token",
    "encode_user",
]

Row = Sequence[Any]
"""A row as psycopg returns it: a tuple, in the order of a ``*_COLUMNS`` tuple."""


# Organizations, users, projects, tasks.

ORG_COLUMNS = ("id", "name", "plan", "created_at")


def encode_org(org: Org) -> tuple[Any, ...]:
    """The parameters of ``org`` in :data:`ORG_COLUMNS` order."""
    return (org.id, org.name, org.plan.value, org.created_at)


def decode_org(row: Row) -> Org:
    """The organization of a row in :data:`ORG_COLUMNS` order."""
    id_, name, plan, created_at = row
    return Org(id=OrgId(id_), name=name, plan=Plan(plan), created_at=created_at)


USER_COLUMNS = ("id", "org_id", "email", "role", "created_at")


def encode_user(user: User) -> tuple[Any, ...]:
    """The parameters of ``user`` in :data:`USER_COLUMNS` order."""
    return (user.id, user.org_id, user.email, user.role.value, user.created_at)


def decode_user(row: Row) -> User:
    """The user of a row in :data:`USER_COLUMNS` order."""
    id_, org_id, email, role, created_at = row
    return User(id=UserId(id_), org_id=OrgId(org_id), email=email, role=Role(role), created_at=created_at)


PROJECT_COLUMNS = ("id", "org_id", "name", "archived", "billable_by_default", "created_at", "updated_at")


def encode_project(project: Project) -> tuple[Any, ...]:
    """The parameters of ``project`` in :data:`PROJECT_COLUMNS` order."""
    return (
        project.id,
        project.org_id,
        project.name,
        project.archived,
        project.billable_by_default,
        project.created_at,
        project.updated_at,
    )


def decode_project(row: Row) -> Project:
    """The project of a row in :data:`PROJECT_COLUMNS` order."""
    id_, org_id, name, archived, billable_by_default, created_at, updated_at = row
    return Project(
        id=ProjectId(id_),
        org_id=OrgId(org_id),
        name=name,
        archived=archived,
        billable_by_default=billable_by_default,
        created_at=created_at,
        updated_at=updated_at,
    )


TASK_COLUMNS = ("id", "org_id", "project_id", "name", "archived", "created_at", "updated_at")


def encode_task(task: Task) -> tuple[Any, ...]:
    """The parameters of ``task`` in :data:`TASK_COLUMNS` order."""
    return (
        task.id,
        task.org_id,
        task.project_id,
        task.name,
        task.archived,
        task.created_at,
        task.updated_at,
    )


def decode_task(row: Row) -> Task:
    """The task of a row in :data:`TASK_COLUMNS` order."""
    id_, org_id, project_id, name, archived, created_at, updated_at = row
    return Task(
        id=TaskId(id_),
        org_id=OrgId(org_id),
        project_id=ProjectId(project_id),
        name=name,
        archived=archived,
        created_at=created_at,
        updated_at=updated_at,
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
    return (
        entry.id,
        entry.org_id,
        entry.user_id,
        entry.project_id,
        entry.task_id,
        entry.invoice_id,
        entry.duration_seconds,
        entry.billable,
        entry.note,
        entry.entry_date,
        entry.started_at,
        entry.stopped_at,
        entry.created_at,
        entry.updated_at,
        entry.deleted_at,
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
        id=TimeEntryId(id_),
        org_id=OrgId(org_id),
        user_id=UserId(user_id),
        project_id=ProjectId(project_id),
        task_id=None if task_id is None else TaskId(task_id),
        invoice_id=invoice_id,
        duration_seconds=duration_seconds,
        billable=billable,
        note=note,
        entry_date=entry_date,
        started_at=started_at,
        stopped_at=stopped_at,
        created_at=created_at,
        updated_at=updated_at,
        deleted_at=deleted_at,
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
        token.id,
        token.org_id,
        token.user_id,
        token.name,
        token.env,
        token.prefix,
        token.secret_hash,
        token.created_at,
        token.expires_at,
        token.revoked_at,
        token.last_used_at,
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
        id=id_,
        org_id=OrgId(org_id),
        user_id=UserId(user_id),
        name=name,
        env=env,
        prefix=prefix,
        secret_hash=secret_hash,
        created_at=created_at,
        expires_at=expires_at,
        revoked_at=revoked_at,
        last_used_at=last_used_at,
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
        record.org_id,
        record.user_id,
        record.key,
        record.fingerprint,
        record.created_at,
        record.result,
        record.completed_at,
    )


def decode_idempotency(row: Row) -> IdempotencyRecord:
    """The idempotency record of a row in :data:`IDEMPOTENCY_COLUMNS` order."""
    org_id, user_id, key, fingerprint, created_at, result, completed_at = row
    return IdempotencyRecord(
        org_id=OrgId(org_id),
        user_id=UserId(user_id),
        key=key,
        fingerprint=fingerprint,
        created_at=created_at,
        result=None if result is None else bytes(result),
        completed_at=completed_at,
    )
