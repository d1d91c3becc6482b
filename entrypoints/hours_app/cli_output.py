"""What the ``hours`` commands print: JSON documents for scripts, short text for people.

JSON documents name things as the API does: an organization, user, project, task or token is the
body the API answers for it (``hours_http.converter``: ``id``, not ``projectId``; a user with
their email, as owners and admins see them, and with ``userId`` first, see :func:`user_json`).
Results go to stdout; errors go to stderr as ``error: <message>``, with the fields named by the
options that set them. Text for people never carries a control character a terminal would act on
(:func:`terminal_safe`): a name read from a file (an import's header) may hold an escape sequence.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

import msgspec

from hours_core.errors import Hint, ValidationFailed
from hours_core.model import Org, User
from hours_core.money import format_minor
from hours_core.reports import Node
from hours_core.services import TimeReport
from hours_http.converter import org_json as api_org_json
from hours_http.converter import project_json, task_json, token_json
from hours_http.converter import user_json as api_user_json
from hours_http.report_json import report_document

__all__ = [
    "FileUnusable",
    "OutputLost",
    "StdoutUnwritable",
    "counted",
    "emit",
    "org_json",
    "print_error",
    "print_validation_error",
    "print_warning",
    "project_json",
    "report_document",
    "report_table",
    "say",
    "shown_once",
    "stdout_writes",
    "table",
    "task_json",
    "token_json",
    "user_json",
    "when",
]


def counted(count: int, singular: str, plural: str) -> str:
    """``count`` with the noun that agrees with it: ``1 entry``, ``0 entries``, ``2 entries``."""
    return f"{count} {singular if count == 1 else plural}"


def when(value: datetime | None, *, missing: str = "-") -> str:
    """An instant for people: ``2026-03-02 09:00 UTC``."""
    if value is None:
        return missing
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


class FileUnusable(Exception):
    """A file the command was told to read or write cannot be (missing, a folder, not permitted,
    a full disk): ``error: cannot write FILE: <reason>`` (or ``read``) and exit status 1, never a
    traceback."""

    @classmethod
    def of(cls, verb: str, path: object, error: OSError) -> FileUnusable:
        """The error for ``verb`` (``read``, ``write``) on ``path``, with the system's reason."""
        return cls(f"cannot {verb} {path}: {error.strerror or error}")


class StdoutUnwritable(FileUnusable):
    """Standard output refused a write (a full disk, ``> /dev/full``); a closed pipe is not this
    but :class:`BrokenPipeError`, which ends the command quietly."""


class OutputLost(StdoutUnwritable):
    """Something shown only once (a token, a password) was made, but standard output refused it or
    its reader left: the message says what exists now and how to undo it (exit status 1)."""


@contextmanager
def shown_once(made: str) -> Iterator[None]:
    """Around printing what was just made and can be shown only this once: standard output is
    flushed inside, and when it fails (a full disk, ``> /dev/full``, a closed pipe) the error says
    ``made`` (what was created, and how to revoke or replace it) instead of a bare write error."""
    try:
        with stdout_writes():
            yield
            sys.stdout.flush()
    except BrokenPipeError as error:
        raise OutputLost(f"standard output was closed before the output was written; {made}") from error
    except StdoutUnwritable as error:
        raise OutputLost(f"{error}; {made}") from error


@contextmanager
def stdout_writes() -> Iterator[None]:
    """Around writes to standard output: an :class:`OSError` but a closed pipe becomes
    :class:`StdoutUnwritable`."""
    try:
        yield
    except BrokenPipeError:
        raise
    except OSError as error:
        raise StdoutUnwritable.of("write", "standard output", error) from error


_TERMINAL_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
"""The C0 controls but tab and line feed, DEL, and the C1 controls: what a terminal acts on (an
escape sequence sets a window's title or colours the text, a bell rings, a carriage return writes
over the line) rather than shows."""


def _escaped(control: re.Match[str]) -> str:
    code = ord(control[0])
    return f"\\x{code:02x}" if code < 0x20 else f"\\u{code:04x}"


def terminal_safe(text: str) -> str:
    """``text`` with each control character a terminal would act on written as an escape: a C0
    control as Python writes it in a ``repr`` (``\\x1b``, ``\\x00``), DEL and the C1 controls as
    JSON and Python both read them (``\\u007f``, ``\\u0085``); tab and line feed stay. JSON output
    stays the same JSON: its encoder escapes every C0 control in a string already, and writes DEL
    and the C1 controls as they are, which this turns into ``\\u`` escapes of the same characters."""
    return _TERMINAL_CONTROLS.sub(_escaped, text)


def say(text: str) -> None:
    """Print ``text`` to standard output (see :func:`stdout_writes`), terminal-safe."""
    with stdout_writes():
        print(terminal_safe(text))


def emit(as_json: bool, document: object, human: str) -> None:
    """Print ``document`` as JSON when ``as_json``, else the ``human`` text.

    The JSON is the API's: entities rendered by the HTTP adapter's converter, ids, dates and
    instants encoded by msgspec exactly as the API encodes them.
    """
    if as_json:
        say(msgspec.json.format(msgspec.json.encode(document), indent=2).decode("utf-8"))
    else:
        say(human)


def print_error(message: str, *, json_line: bool = False) -> None:
    """``error: <message>`` on stderr; with ``json_line``, the JSON log line of an error of the
    ``hours`` logger instead (``hours serve --json``, whose stderr holds JSON lines only)."""
    if json_line:
        from hours_app.logging_setup import JsonLineFormatter

        record = logging.LogRecord("hours", logging.ERROR, __file__, 0, "%s", (message,), None)
        print(JsonLineFormatter().format(record), file=sys.stderr)
        return
    print(f"error: {terminal_safe(message)}", file=sys.stderr)


def print_warning(message: str) -> None:
    """``warning: <message>`` on stderr: something the command went on without (a setting it ignored)."""
    print(f"warning: {terminal_safe(message)}", file=sys.stderr)


CLI_HINTS: Mapping[Hint, str] = MappingProxyType({Hint.STOP_THE_TIMER: "stop it first"})
"""How the command line words each next step the core suggests."""


_OPTIONS = MappingProxyType(
    {
        "lifetime": "--expires-in",
        "user_id": "--user",  # every command that names a user takes --user (the team's USER_ID too)
        # The report's parameters, which the core names as the API does (hours_core.reports).
        "groupBy": "--group-by",
        "weekStart": "--week-start",
        "userId": "--user",
        "projectId": "--project",
        "taskId": "--task",
        "clientId": "--client",
    }
)


def option_name(field: str) -> str:
    """The command-line option that sets the core's ``field``: ``email`` -> ``--email``."""
    return _OPTIONS.get(field, "--" + field.replace("_", "-"))


def print_validation_error(
    error: ValidationFailed, options: Mapping[str, str] | None = None, *, json_line: bool = False
) -> None:
    """``error: <message>``, then each wrong field on its own line (unless the message is that line).

    Fields are named by the options that set them: ``options`` first (a command's own names, such
    as ``hours bootstrap``'s ``--org-name`` for the core's ``name``), then :func:`option_name`.
    With ``json_line``, one JSON log line (:func:`print_error`) holds the message and the fields.
    """
    chosen = options or {}
    error = error.respelled(lambda field: chosen.get(field) or option_name(field), CLI_HINTS)
    details = [
        f"{name}: {problem}"
        for name, problem in sorted(error.fields.items())
        if error.message != f"{name}: {problem}"
    ]
    if json_line:
        print_error("; ".join([error.message, *details]), json_line=True)
        return
    print_error(error.message)
    for detail in details:
        print(f"  {terminal_safe(detail)}", file=sys.stderr)


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
    """A user as ``GET /users/{id}`` answers an owner or admin, after ``userId``: the same id under
    the name every other document of the command line gives a user (``hours bootstrap --json``,
    ``hours users set-password --json``), which scripts read (issue #3: ``users create --json``
    prints ``{"userId", ...}``). ``id`` stays, for scripts that read the API's name."""
    return {"userId": user.id, **api_user_json(user, with_email=True)}


def clock_time(seconds: int) -> str:
    """Seconds as hours, minutes and seconds: ``1:02:03``; hours are not wrapped (``100:00:00``)."""
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}"


def _amounts(node: Node) -> str:
    return ", ".join(
        f"{amount.currency} {format_minor(amount.billable_minor, amount.currency)}"
        f" / {format_minor(amount.cost_minor, amount.currency)}"
        for amount in node.amounts
    )


def report_table(result: TimeReport) -> str:
    """The report as a table: one line per group, indented by level, then the totals.

    Times are ``H:MM:SS``; amounts are ``CUR billable / cost`` in major units, one per currency.
    """
    query = result.query
    rows: list[tuple[str, ...]] = []

    def add(node: Node, depth: int) -> None:
        rows.append(
            (
                "  " * depth + node.key.label,
                str(node.entry_count),
                clock_time(node.duration_seconds),
                clock_time(node.billable_seconds),
                clock_time(node.rounded_seconds),
                _amounts(node),
            )
        )
        for child in node.children:
            add(child, depth + 1)

    for group in result.report.groups:
        add(group, 0)
    add(result.report.totals, 0)
    levels = ",".join(key.value for key in query.group_by)
    grouping = f"by {levels}" if levels else "the totals alone (no --group-by)"
    heading = (
        f"Time from {query.date_from} to {query.date_to}, {grouping}; "
        f"weeks start on {query.week_start.value}; rounding {query.rounding or 'none'}"
        + ("; a running timer counted up to now" if result.report.running else "")
    )
    body = table(
        ("GROUP", "ENTRIES", "DURATION", "BILLABLE", "ROUNDED", "AMOUNTS (BILLABLE / COST)"), rows, empty=""
    )
    return f"{heading}\n{body}"
