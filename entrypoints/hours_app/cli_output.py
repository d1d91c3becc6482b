"""What the ``hours`` commands print: JSON documents for scripts, short text for people.

JSON keys are camelCase like the API's; ids are UUID strings and instants are RFC 3339 in UTC
with ``Z``. Results go to stdout; errors go to stderr as ``error: <message>``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

from hours_core.errors import Hint, ValidationFailed
from hours_core.model import Org, Project, Task, User
from hours_core.tokens import ApiToken

__all__ = [
    "emit",
    "instant",
    "org_json",
    "print_error",
    "print_validation_error",
    "project_json",
    "table",
    "task_json",
    "token_json",
    "user_json",
    "when",
]


def instant(value: datetime | None) -> str | None:
    """An instant as the API writes it (``2026-03-02T09:00:00.123456Z``), or ``None``."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def when(value: datetime | None, *, missing: str = "-") -> str:
    """An instant for people: ``2026-03-02 09:00 UTC``."""
    if value is None:
        return missing
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def emit(as_json: bool, document: object, human: str) -> None:
    """Print ``document`` as JSON when ``as_json``, else the ``human`` text."""
    if as_json:
        print(json.dumps(document, indent=2, ensure_ascii=False))
    else:
        print(human)


def print_error(message: str) -> None:
    """``error: <message>`` on stderr."""
    print(f"error: {message}", file=sys.stderr)


CLI_HINTS: Mapping[Hint, str] = MappingProxyType({Hint.STOP_THE_TIMER: "stop it first"})
"""How the command line words each next step the core suggests."""


_OPTIONS = MappingProxyType({"lifetime": "--expires-in"})


def option_name(field: str) -> str:
    """The command-line option that sets the core's ``field``: ``email`` -> ``--email``."""
    return _OPTIONS.get(field, "--" + field.replace("_", "-"))


def print_validation_error(error: ValidationFailed) -> None:
    """``error: <message>``, then each wrong field on its own line (unless the message is that line).

    Fields are named by the options that set them (:func:`option_name`).
    """
    error = error.respelled(option_name, CLI_HINTS)
    print_error(error.message)
    for name, problem in sorted(error.fields.items()):
        if error.message != f"{name}: {problem}":
            print(f"  {name}: {problem}", file=sys.stderr)


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], *, empty: str) -> str:
    """Left-aligned columns under ``headers``; ``empty`` when there are no rows."""
    if not rows:
        return empty
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=False)]
    lines = [
        "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in (headers, *rows)
    ]
    return "\n".join(lines)


def org_json(org: Org) -> dict[str, Any]:
    """An organization."""
    return {
        "orgId": str(org.id),
        "name": org.name,
        "plan": org.plan.value,
        "createdAt": instant(org.created_at),
    }


def user_json(user: User) -> dict[str, Any]:
    """A user."""
    return {
        "userId": str(user.id),
        "orgId": str(user.org_id),
        "email": user.email,
        "role": user.role.value,
        "createdAt": instant(user.created_at),
    }


def project_json(project: Project) -> dict[str, Any]:
    """A project."""
    return {
        "projectId": str(project.id),
        "orgId": str(project.org_id),
        "name": project.name,
        "billableByDefault": project.billable_by_default,
        "archived": project.archived,
        "createdAt": instant(project.created_at),
    }


def task_json(task: Task) -> dict[str, Any]:
    """A task."""
    return {
        "taskId": str(task.id),
        "projectId": str(task.project_id),
        "orgId": str(task.org_id),
        "name": task.name,
        "archived": task.archived,
        "createdAt": instant(task.created_at),
    }


def token_json(token: ApiToken) -> Mapping[str, Any]:
    """A stored token, without its secret or hash."""
    return {
        "prefix": token.prefix,
        "name": token.name,
        "env": token.env,
        "createdAt": instant(token.created_at),
        "expiresAt": instant(token.expires_at),
        "lastUsedAt": instant(token.last_used_at),
        "revokedAt": instant(token.revoked_at),
    }
