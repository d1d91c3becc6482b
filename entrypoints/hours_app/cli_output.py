"""What the ``hours`` commands print: JSON documents for scripts, short text for people.

JSON documents name things as the API does: an organization, user, project, task or token is the
body the API answers for it (``hours_http.converter``: ``id``, not ``projectId``; a user with
their email, as owners and admins see them). Results go to stdout; errors go to stderr as
``error: <message>``, with the fields named by the options that set them.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

import msgspec

from hours_core.errors import Hint, ValidationFailed
from hours_core.model import Org, User
from hours_http.converter import org_json as api_org_json
from hours_http.converter import project_json, task_json, token_json
from hours_http.converter import user_json as api_user_json

__all__ = [
    "emit",
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


def when(value: datetime | None, *, missing: str = "-") -> str:
    """An instant for people: ``2026-03-02 09:00 UTC``."""
    if value is None:
        return missing
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def emit(as_json: bool, document: object, human: str) -> None:
    """Print ``document`` as JSON when ``as_json``, else the ``human`` text.

    The JSON is the API's: entities rendered by the HTTP adapter's converter, ids, dates and
    instants encoded by msgspec exactly as the API encodes them.
    """
    if as_json:
        print(msgspec.json.format(msgspec.json.encode(document), indent=2).decode("utf-8"))
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
    """An organization as ``GET /org`` answers it."""
    return api_org_json(org)


def user_json(user: User) -> dict[str, Any]:
    """A user as ``GET /users/{id}`` answers an owner or admin."""
    return api_user_json(user, with_email=True)
