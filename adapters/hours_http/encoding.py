"""Rendering domain objects as JSON response bodies, with the wire names and field order."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

import msgspec

from hours_core.model import TimeEntry

__all__ = ["encode_data", "time_entry_json"]


def _uuid(value: UUID | None) -> str | None:
    return None if value is None else str(value)


def _instant(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def time_entry_json(entry: TimeEntry, now: dt.datetime) -> dict[str, Any]:
    """The wire form of ``entry`` (see :class:`hours_http.wire.TimeEntryOut`).

    A running entry reports its elapsed seconds at ``now``.
    """
    return {
        "id": str(entry.id),
        "orgId": str(entry.org_id),
        "userId": str(entry.user_id),
        "projectId": str(entry.project_id),
        "taskId": _uuid(entry.task_id),
        "invoiceId": _uuid(entry.invoice_id),
        "durationSeconds": entry.elapsed_seconds(now),
        "billable": entry.billable,
        "note": entry.note,
        "entryDate": entry.entry_date.isoformat(),
        "startedAt": _instant(entry.started_at),
        "stoppedAt": _instant(entry.stopped_at),
        "createdAt": _instant(entry.created_at),
        "updatedAt": _instant(entry.updated_at),
        "deletedAt": _instant(entry.deleted_at),
    }


def encode_data(data: object, **extra: object) -> bytes:
    """``{"data": data, **extra}`` as JSON bytes."""
    return msgspec.json.encode({"data": data, **extra})
