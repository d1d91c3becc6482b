"""Rendering domain objects as JSON response bodies, with the wire names and field order."""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec

from hours_core.model import Project, Task, TimeEntry
from hours_core.services import Caller
from hours_core.tokens import ApiToken, MintedToken

__all__ = [
    "created_token_json",
    "encode_data",
    "me_json",
    "project_json",
    "task_json",
    "time_entry_json",
    "token_json",
]


def _instant(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def time_entry_json(entry: TimeEntry, now: dt.datetime) -> dict[str, Any]:
    """The wire form of ``entry`` (see :class:`hours_http.wire.TimeEntryOut`), for :func:`encode_data`.

    A running entry reports its elapsed seconds at ``now``. Ids, the date and the instants stay
    objects: msgspec renders them in C exactly as the wire form wants them (a UUID's canonical
    form, ``YYYY-MM-DD``, and RFC 3339 with ``Z``, since an entity's instants are UTC), which
    makes a list page several times cheaper than formatting them here.
    """
    return {
        "id": entry.id,
        "orgId": entry.org_id,
        "userId": entry.user_id,
        "projectId": entry.project_id,
        "taskId": entry.task_id,
        "invoiceId": entry.invoice_id,
        "durationSeconds": entry.elapsed_seconds(now),
        "billable": entry.billable,
        "note": entry.note,
        "entryDate": entry.entry_date,
        "startedAt": entry.started_at,
        "stoppedAt": entry.stopped_at,
        "createdAt": entry.created_at,
        "updatedAt": entry.updated_at,
        "deletedAt": entry.deleted_at,
    }


def encode_data(data: object, **extra: object) -> bytes:
    """``{"data": data, **extra}`` as JSON bytes."""
    return msgspec.json.encode({"data": data, **extra})


def project_json(project: Project) -> dict[str, Any]:
    """The wire form of a project (see :class:`hours_http.wire.ProjectOut`)."""
    return {
        "id": str(project.id),
        "orgId": str(project.org_id),
        "name": project.name,
        "archived": project.archived,
        "billableByDefault": project.billable_by_default,
        "createdAt": _instant(project.created_at),
        "updatedAt": _instant(project.updated_at),
    }


def task_json(task: Task) -> dict[str, Any]:
    """The wire form of a task (see :class:`hours_http.wire.TaskOut`)."""
    return {
        "id": str(task.id),
        "orgId": str(task.org_id),
        "projectId": str(task.project_id),
        "name": task.name,
        "archived": task.archived,
        "createdAt": _instant(task.created_at),
        "updatedAt": _instant(task.updated_at),
    }


def token_json(token: ApiToken) -> dict[str, Any]:
    """A token without its secret (see :class:`hours_http.wire.TokenOut`)."""
    return {
        "prefix": token.prefix,
        "name": token.name,
        "env": token.env,
        "createdAt": _instant(token.created_at),
        "expiresAt": _instant(token.expires_at),
        "lastUsedAt": _instant(token.last_used_at),
        "revokedAt": _instant(token.revoked_at),
    }


def created_token_json(minted: MintedToken) -> dict[str, Any]:
    """A new token with its plaintext, for the one response that carries it."""
    token = minted.token
    return {
        "token": minted.plaintext,
        "prefix": token.prefix,
        "name": token.name,
        "env": token.env,
        "createdAt": _instant(token.created_at),
        "expiresAt": _instant(token.expires_at),
    }


def me_json(caller: Caller) -> dict[str, Any]:
    """The caller, their organization and the token in use (see :class:`hours_http.wire.Me`)."""
    token = caller.token
    return {
        "user": {
            "id": str(caller.user.id),
            "email": caller.user.email,
            "role": caller.user.role.value,
            "createdAt": _instant(caller.user.created_at),
        },
        "org": {"id": str(caller.org.id), "name": caller.org.name, "plan": caller.org.plan.value},
        "token": None
        if token is None
        else {
            "prefix": token.prefix,
            "name": token.name,
            "env": token.env,
            "expiresAt": _instant(token.expires_at),
            "lastUsedAt": _instant(token.last_used_at),
        },
    }
