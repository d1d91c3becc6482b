"""The ``hours`` command line: serve the API and administer an installation.

``hours --help`` lists the commands; ``hours <command> --help`` explains each, with examples.
``hours`` alone (or a group alone: ``hours tokens``) prints that help on stderr, a usage error.
Every command takes ``--db URL`` (default: ``$HOURS_DATABASE_URL``, else ``sqlite:///hours.db``
in the current folder), applies pending migrations by itself, and prints JSON with ``--json``.

Exit status: :data:`EXIT_STATUSES` (0 on success; 1 when the database cannot be opened or
reached, a file cannot be read or written, an id is not found, or the request conflicts with what
is stored; 2 for bad arguments and settings; 3 when ``hours import`` ran but some rows failed; 130
when interrupted, but 0 for ``hours serve`` and ``hours worker``, whose normal stop is Ctrl-C or
SIGTERM; 129 and 143 when SIGHUP or SIGTERM stopped ``hours export`` or ``hours import``).
Errors go to stderr as ``error: <message>``, never as a traceback (``hours serve --json``: as a
JSON log line, as its other log lines).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from hours_app import cli_args, cli_commands, cli_exchange, server
from hours_app.cli_exchange import EXIT_ROWS_FAILED, Terminated
from hours_app.cli_output import (
    FileUnusable,
    StdoutUnwritable,
    print_error,
    print_validation_error,
    print_warning,
    stdout_writes,
)
from hours_app.composition import StoreUnavailable
from hours_app.logging_setup import LOG_LEVELS, cli_logging
from hours_app.settings import ENVIRONMENT, DatabaseUrl, Settings, SettingsError
from hours_app.version import hours_version
from hours_core.errors import HoursError, NotFound, StoreFull, ValidationFailed
from hours_core.model import Plan, Role
from hours_core.services.admin import NoActiveOwner

__all__ = [
    "EXIT_BAD_ARGUMENTS",
    "EXIT_FAILED",
    "EXIT_HANGUP",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_STATUSES",
    "EXIT_TERMINATED",
    "build_parser",
    "main",
]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_ARGUMENTS = 2
EXIT_INTERRUPTED = 130
EXIT_HANGUP = 128 + signal.SIGHUP
EXIT_TERMINATED = 128 + signal.SIGTERM

Handler = Callable[[argparse.Namespace, Settings], int]

_PLANS = [plan.value for plan in Plan]
_ROLES = [role.value for role in Role]

_DB_HELP = (
    "database URL: sqlite:///relative/path.db, sqlite:////absolute/path.db or postgresql://... "
    "(default: $HOURS_DATABASE_URL, else sqlite:///hours.db in the current folder)"
)

_MAIN_EXAMPLES = """\
examples:
  hours bootstrap                      a demo organization: its owner (with a password for the web
                                       app), a project, a task and a token
  hours serve                          the web app and the API on http://127.0.0.1:8000/ (API docs
                                       at /schema)
  hours --db sqlite:////var/lib/hours/hours.db migrate
  hours orgs list --json
  hours tokens create --user 0190c2d4-5a6b-7c8d-9e0f-112233445566 --expires-in 30d

Every command that opens the database applies pending migrations to it by itself (hours schema
needs none). Results go to stdout (JSON with --json); errors go to stderr as one line,
`error: <message>` (with hours serve --json, a JSON log line), never a traceback.
"""

EXIT_STATUSES = (
    (EXIT_OK, "success; also hours serve and hours worker stopped by Ctrl-C or SIGTERM (their normal stop)"),
    (
        EXIT_FAILED,
        "the database cannot be opened or reached, a file cannot be read or written (standard\n"
        "output included), an id was not found, or a conflict",
    ),
    (
        EXIT_BAD_ARGUMENTS,
        "bad arguments or settings (a usage error; no command: the help is printed; a malformed id,\n"
        "email or name, a bad --db URL, a bad HOURS_* variable the command reads (those of hours\n"
        "serve's address, workers and limits: hours serve alone; the others warn and run), a --host\n"
        "or --port hours serve cannot listen on: taken by another program, not an address of this\n"
        "machine, or a port below 1024 without the privilege)",
    ),
    (EXIT_ROWS_FAILED, "hours import ran, but some rows failed (see its report)"),
    (EXIT_INTERRUPTED, "interrupted (Ctrl-C) before it finished (not hours serve or hours worker: 0)"),
    (EXIT_HANGUP, "hours export or hours import stopped by SIGHUP (128 + 1), cleaned up as for Ctrl-C"),
    (EXIT_TERMINATED, "hours export or hours import stopped by SIGTERM (128 + 15), cleaned up as for Ctrl-C"),
)
"""Every exit status of the ``hours`` command and what it means (``hours --help`` lists them)."""


def _main_epilog() -> str:
    """The top-level help's epilog: examples, then the environment variables and the exit statuses,
    both from their tables (:data:`~hours_app.settings.ENVIRONMENT`, :data:`EXIT_STATUSES`)."""
    width = max(len(variable.name) for variable in ENVIRONMENT)
    environment = [f"  {variable.name.ljust(width)}  {variable.summary}" for variable in ENVIRONMENT]
    statuses = [
        f"  {str(code).ljust(3)}  {text.replace(chr(10), chr(10) + ' ' * 7)}" for code, text in EXIT_STATUSES
    ]
    return "\n".join(
        [_MAIN_EXAMPLES, "environment (flags win over them):", *environment, "", "exit status:", *statuses]
    )


_JSON_HELP = "print the result as JSON (for scripts)"


def _common_options(*, suppress: bool, json_help: str = _JSON_HELP) -> argparse.ArgumentParser:
    """``--db`` and ``--json`` (``json_help`` says what it does to the command). Subcommands suppress
    their defaults so ``hours --db X cmd`` works too."""
    parent = argparse.ArgumentParser(add_help=False)
    group = parent.add_argument_group("common options")
    group.add_argument("--db", metavar="URL", help=_DB_HELP, default=argparse.SUPPRESS if suppress else None)
    group.add_argument(
        "--json", action="store_true", help=json_help, default=argparse.SUPPRESS if suppress else False
    )
    return parent


class _Commands:
    """Adds subcommands that share the common options, help formatting and a handler."""

    def __init__(self, subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
        self._subparsers = subparsers
        self._common = _common_options(suppress=True)

    def add(
        self,
        name: str,
        summary: str,
        *,
        epilog: str,
        handler: Handler | None = None,
        details: str = "",
        json_help: str | None = None,
    ) -> argparse.ArgumentParser:
        """A subcommand; ``handler`` runs it (a group of subcommands has none); ``json_help`` says
        what ``--json`` does to it, when that is not printing its result as JSON."""
        common = self._common if json_help is None else _common_options(suppress=True, json_help=json_help)
        parser = self._subparsers.add_parser(
            name,
            help=summary,
            description=f"{summary}\n\n{details}".rstrip(),
            epilog=epilog,
            formatter_class=argparse.RawDescriptionHelpFormatter,
            parents=[common],
        )
        if handler is not None:
            parser.set_defaults(handler=handler)
        return parser


_COMMANDS_OF = "commands_of"
"""The parser default that names the parser whose commands were given none (``hours``, ``hours
tokens``): :func:`main` prints its help rather than argparse's bare "COMMAND required"."""


def _group(parser: argparse.ArgumentParser, title: str) -> _Commands:
    """Commands under ``parser``; given none, ``parser``'s help and a usage error (exit status 2)."""
    subparsers = parser.add_subparsers(title=title, metavar="COMMAND")
    parser.set_defaults(handler=None, **{_COMMANDS_OF: parser})
    return _Commands(subparsers)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``hours`` command, with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="hours",
        description="hours: a time-tracking API server, and the tools to run it.",
        epilog=_main_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[_common_options(suppress=False)],
    )
    parser.add_argument("--version", action="version", version=f"hours {hours_version()}")
    commands = _group(parser, "commands")
    _add_serve(commands)
    _add_worker(commands)
    _add_migrate(commands)
    _add_bootstrap(commands)
    _add_orgs(commands)
    _add_users(commands)
    _add_projects(commands)
    _add_tasks(commands)
    _add_tokens(commands)
    _add_report(commands)
    _add_export(commands)
    _add_import(commands)
    _add_events(commands)
    _add_schema(commands)
    return parser


def _flag(text: str) -> bool:
    """``true`` or ``false``, as the API's boolean query parameters."""
    if text in ("true", "false"):
        return text == "true"
    raise argparse.ArgumentTypeError(f"must be true or false, got {text!r}")


def _add_export(commands: _Commands) -> None:
    export = commands.add(
        "export",
        "Export an organization's time entries as CSV, JSON lines or XLSX.",
        details=(
            "The same file as GET /time-entries/export, with the same filters and columns\n"
            "(docs/export-import.md), as the organization's oldest active owner sees it. The file goes\n"
            "to --output (written as FILE.partial, renamed when complete; a FILE that cannot be\n"
            "written is an error, exit status 1, and no FILE.partial is left; Ctrl-C, SIGTERM and\n"
            "SIGHUP remove it too) or to standard output; a progress line goes to standard error\n"
            "when it is a terminal."
        ),
        epilog="""\
examples:
  hours export --org 0190c2d4-5a6b-7c8d-9e0f-112233445566 --format csv --output entries.csv
  hours export --org 0190c2d4-5a6b-7c8d-9e0f-112233445566 --format jsonl --from 2026-01-01 > 2026.jsonl
  hours export --org 0190c2d4-5a6b-7c8d-9e0f-112233445566 --format jsonl \\
      --updated-since 2026-03-01T00:00:00Z > changed.jsonl
  hours export --org 0190c2d4-5a6b-7c8d-9e0f-112233445566 --format xlsx --output q1.xlsx \\
      --from 2026-01-01 --to 2026-03-31 --columns entryDate,userEmail,projectName,decimalHours""",
        handler=cli_exchange.export_entries,
        json_help="no effect: --format chooses the file's format (jsonl: JSON lines)",
    )
    export.add_argument(
        "--org", required=True, type=cli_args.identifier, metavar="ORG_ID", help="organization id"
    )
    export.add_argument("--format", choices=("csv", "jsonl", "xlsx"), default="csv", help="file format (csv)")
    export.add_argument("--output", type=Path, metavar="FILE", help="write here (default: standard output)")
    export.add_argument("--columns", help="comma-separated column keys, in order (default: all)")
    export.add_argument(
        "--delimiter", choices=("comma", "semicolon", "tab"), default="comma", help="CSV delimiter (comma)"
    )
    export.add_argument("--no-bom", action="store_true", help="CSV without the UTF-8 byte-order mark")
    export.add_argument(
        "--from", dest="date_from", type=cli_args.day, metavar="DATE", help="first day, YYYY-MM-DD"
    )
    export.add_argument(
        "--to", dest="date_to", type=cli_args.day, metavar="DATE", help="last day, YYYY-MM-DD"
    )
    export.add_argument("--project", type=cli_args.identifier, metavar="PROJECT_ID", help="one project")
    export.add_argument("--task", type=cli_args.identifier, metavar="TASK_ID", help="one task")
    export.add_argument("--user", type=cli_args.identifier, metavar="USER_ID", help="one user")
    export.add_argument("--billable", type=_flag, metavar="true|false", help="billable entries or not")
    export.add_argument("--invoiced", type=_flag, metavar="true|false", help="invoiced entries or not")
    export.add_argument(
        "--running", type=_flag, metavar="true|false", help="running timers (true) or stopped entries (false)"
    )
    export.add_argument(
        "--updated-since",
        type=cli_args.instant,
        metavar="INSTANT",
        help="entries changed at or after this RFC 3339 instant with an offset, e.g. 2026-03-02T08:00:00Z; "
        "soft-deleted ones included, whatever --include-deleted says (the list's updatedSince)",
    )
    export.add_argument("--include-deleted", action="store_true", help="soft-deleted entries too")


def _add_import(commands: _Commands) -> None:
    imported = commands.add(
        "import",
        "Import a Toggl, Clockify or Harvest export, or an hours JSON lines export.",
        details=(
            "The same import as POST /imports (docs/export-import.md), as the organization's oldest\n"
            "active owner. Rows already imported are skipped as duplicates. Prints the report; with\n"
            "--json the API's body. Exit status 3: the import ran, but some rows failed; 1: FILE\n"
            "cannot be read (missing, a folder, not permitted), or the import was refused and stored\n"
            "nothing (an empty file, or one of blank lines only; not UTF-8; a required column missing)."
        ),
        epilog="""\
examples:
  hours import toggl Toggl_time_entries.csv --org 0190c2d4-5a6b-7c8d-9e0f-112233445566 \\
      --timezone Europe/Berlin
  hours import clockify report.csv --org 0190c2d4-5a6b-7c8d-9e0f-112233445566 --timezone UTC \\
      --date-format DMY --dry-run
  hours import harvest harvest.csv --org 0190c2d4-5a6b-7c8d-9e0f-112233445566 --all-or-nothing --json""",
        handler=cli_exchange.import_file,
    )
    imported.add_argument("source", choices=("toggl", "clockify", "harvest", "hours"), help="whose export")
    imported.add_argument("file", metavar="FILE", help="the file (- for standard input)")
    imported.add_argument(
        "--org", required=True, type=cli_args.identifier, metavar="ORG_ID", help="organization id"
    )
    imported.add_argument("--timezone", metavar="ZONE", help="IANA zone of the times (Toggl, Clockify)")
    imported.add_argument("--date-format", choices=("MDY", "DMY"), help="the order of dates like 09/04/2025")
    imported.add_argument("--dry-run", action="store_true", help="check everything, store nothing")
    imported.add_argument("--all-or-nothing", action="store_true", help="store nothing when a row fails")
    imported.add_argument("--create-users", action="store_true", help="add unknown emails as members")


def _add_worker(commands: _Commands) -> None:
    from hours_app.worker import worker

    parser = commands.add(
        "worker",
        "Apply pending migrations, then deliver webhooks until stopped (without serving the API).",
        details=(
            "hours serve delivers webhooks too (a background thread of each worker process); run\n"
            "hours worker where the deliveries should run apart from the API. On PostgreSQL any number\n"
            "of workers and servers share the work; on SQLite one process at a time dispatches (a lease\n"
            "in the database), the others wait. Stop with Ctrl-C or SIGTERM: the deliveries in flight\n"
            "finish first. HOURS_WEBHOOKS_ALLOW_HTTP=1 and HOURS_WEBHOOKS_ALLOW_PRIVATE=1 lift the\n"
            "https-only and public-addresses-only rules (development only; docs/webhooks.md)."
        ),
        epilog="""\
examples:
  hours worker --db postgresql://hours@db/hours
  HOURS_DATABASE_URL=sqlite:///hours.db hours worker""",
        handler=worker,
        json_help="no effect: hours worker prints only its log lines, as text",
    )
    parser.add_argument(
        "--lease-seconds",
        type=cli_args.seconds,
        default=60.0,
        metavar="SECONDS",
        help="how long a claimed delivery (and SQLite's dispatcher lease) is held before another "
        "dispatcher may take it over: at least as long as the longest attempt (35 s), or a delivery "
        "still being sent may be sent again; a shorter one is warned of (default: 60)",
    )
    parser.add_argument(
        "--poll-seconds",
        type=cli_args.seconds,
        default=1.0,
        metavar="SECONDS",
        help="how long an idle dispatcher waits before it looks for due deliveries again (default: 1)",
    )
    parser.set_defaults(**{_LOG_PREFIX: "hours worker", _SERVICE: "hours worker"})


def _add_serve(commands: _Commands) -> None:
    serve = commands.add(
        "serve",
        "Apply pending migrations, then serve the web app and the HTTP API (granian, HTTP/1.1).",
        details=(
            "The web app is at / (sign in with a password from hours users set-password or hours\n"
            "bootstrap), the API beside it, its docs at /schema. Logs the version, the store, the listen\n"
            "address, the token environment and where the web app and the API docs are on stderr, one\n"
            "line once every worker serves (hours ready: N workers serve ...), and one line when it stops;\n"
            "access logs go to stdout, one JSON line per request (never with the Authorization header).\n"
            "With --json every log line is JSON. Stop with Ctrl-C or SIGTERM: requests in flight finish\n"
            "first (for up to 30 s).\n\n"
            "The server needs no proxy in front: it caps the size of request headers, disconnects\n"
            "clients that are slow to send them, and caps open connections (the limits below)."
        ),
        epilog="""\
examples:
  hours serve
  hours serve --db sqlite:////var/lib/hours/hours.db --host 0.0.0.0 --port 8080 --workers 4
  HOURS_DATABASE_URL=sqlite:///demo.db hours serve --log-level debug""",
        handler=server.serve,
        json_help="write every log line on stderr as JSON, a startup error included (the access log "
        "on stdout is JSON either way)",
    )
    serve.set_defaults(**{_SERVICE: "hours serve"})
    serve.add_argument("--host", help="address to listen on (default: $HOURS_HOST, else 127.0.0.1)")
    serve.add_argument(
        "--port", type=cli_args.port, help="TCP port to listen on (default: $HOURS_PORT, else 8000)"
    )
    serve.add_argument(
        "--env",
        type=cli_args.token_env,
        help="token environment this server accepts, e.g. live or test (default: $HOURS_ENV, else live)",
    )
    serve.add_argument(
        "--workers",
        type=cli_args.workers,
        metavar="N",
        help="worker processes, each with its own connections, 1 to 256 (default: $HOURS_WORKERS, else 1)",
    )
    serve.add_argument(
        "--log-level",
        choices=list(LOG_LEVELS),
        help="least severe level to log (default: $HOURS_LOG_LEVEL, else info)",
    )
    serve.add_argument(
        "--rate-limit",
        metavar="COUNT/UNIT",
        help="requests per user, all their tokens and every server process together: 600/min, 10/s, "
        "5000/hour (default: $HOURS_RATE_LIMIT, or none)",
    )
    serve.add_argument(
        "--auth-failure-limit",
        metavar="COUNT/UNIT",
        help="failed authentications per client address, every server process together; over it, "
        "the address is refused (429) until the window ends; off for none "
        "(default: $HOURS_AUTH_FAILURE_LIMIT, else 60/min)",
    )
    serve.add_argument(
        "--auth-cache-seconds",
        type=cli_args.seconds,
        metavar="SECONDS",
        help="serve an authenticated token's user and org from memory for this long; every "
        "process sees a revocation at once (on PostgreSQL, a process that does not confirm it "
        "within a second: within this time); 0 to 60, 0 for off "
        "(default: $HOURS_AUTH_CACHE_SECONDS, else 1)",
    )
    serve.add_argument(
        "--web-secure-cookies",
        action="store_true",
        default=None,
        help="make the web app's cookies Secure even over plain HTTP to 127.0.0.1 or localhost: "
        "set it behind a TLS-terminating proxy (default: $HOURS_WEB_SECURE_COOKIES, else off: "
        "Secure but for plain HTTP to a loopback host that no proxy forwarded)",
    )
    limits = serve.add_argument_group("connection limits (docs/operations.md)")
    limits.add_argument(
        "--header-timeout",
        type=cli_args.seconds,
        metavar="SECONDS",
        help="disconnect a client that has not sent a request's headers within this time, idle "
        "keep-alive connections included; 0.1 to 60 (default: $HOURS_HEADER_TIMEOUT, else 10)",
    )
    limits.add_argument(
        "--body-timeout",
        type=cli_args.seconds,
        metavar="SECONDS",
        help="answer 408 and close the connection when no byte of a request's body has arrived "
        "for this time, and abandon a streamed answer (an export) the client has taken nothing of "
        "for twice this time; 0.1 to 600 (default: $HOURS_BODY_TIMEOUT, else 30)",
    )
    limits.add_argument(
        "--max-header-bytes",
        type=cli_args.count,
        metavar="BYTES",
        help="largest request line plus headers, answered 431 beyond (a head that arrives in "
        "large pieces may pass with up to twice it: docs/operations.md); 8192 to 1048576 "
        "(default: $HOURS_MAX_HEADER_BYTES, else 65536)",
    )
    limits.add_argument(
        "--max-connections",
        type=cli_args.count,
        metavar="N",
        help="open connections per worker process; more wait in the listen backlog "
        "(default: $HOURS_MAX_CONNECTIONS, else 512)",
    )


def _add_migrate(commands: _Commands) -> None:
    commands.add(
        "migrate",
        "Apply pending database migrations and say which ran.",
        details=(
            "Safe to run any time, from several processes at once; other commands migrate by themselves.\n"
            "It also stores the key that signs list cursors if it is missing (hours serve does too)."
        ),
        epilog="""\
examples:
  hours migrate
  hours migrate --db sqlite:////var/lib/hours/hours.db --json""",
        handler=cli_commands.migrate,
    )


def _add_bootstrap(commands: _Commands) -> None:
    bootstrap = commands.add(
        "bootstrap",
        "Create a demo organization: its owner, a project with a task, and a token.",
        details=(
            "Each run creates another, independent organization. Without --json it prints a summary\n"
            "with the token and the owner's first password for the web app (both shown only once) and a\n"
            'curl command that logs time; with --json it prints {"orgId", "userId", "projectId", "taskId",\n'
            '"token", "password"}.'
        ),
        epilog="""\
examples:
  hours bootstrap
  hours bootstrap --org-name "Acme" --plan free --email ada@acme.test --json
  TOKEN=$(hours bootstrap --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')""",
        handler=cli_commands.bootstrap,
    )
    bootstrap.add_argument(
        "--org-name", default="Demo", metavar="NAME", help="organization name (default: Demo)"
    )
    bootstrap.set_defaults(**{_FIELD_OPTIONS: {"name": "--org-name"}})
    bootstrap.add_argument(
        "--plan",
        choices=_PLANS,
        default=Plan.AGENCY.value,
        help="plan (default: agency, on which all of the demo works: its task, billable time, the team's "
        "features; --plan free shows the free plan's limits)",
    )
    bootstrap.add_argument(
        "--email", default="owner@example.com", help="the owner's email (default: owner@example.com)"
    )
    bootstrap.add_argument(
        "--env",
        type=cli_args.token_env,
        help="environment of the token; the server must run with the same (default: $HOURS_ENV, else live)",
    )


def _add_orgs(commands: _Commands) -> None:
    orgs = _group(
        commands.add(
            "orgs",
            "Create and list organizations, and change their plan.",
            epilog="examples:\n  hours orgs create --name Acme --plan solo\n  hours orgs list --json",
        ),
        "orgs commands",
    )
    create = orgs.add(
        "create",
        "Create an organization.",
        epilog="""\
examples:
  hours orgs create --name "Acme"
  hours orgs create --name "Acme" --plan studio --json""",
        handler=cli_commands.orgs_create,
    )
    create.add_argument("--name", required=True, help="organization name (1 to 200 characters)")
    create.add_argument("--plan", choices=_PLANS, default=Plan.FREE.value, help="plan (default: free)")
    orgs.add(
        "list",
        "List every organization, oldest first.",
        epilog="examples:\n  hours orgs list\n  hours orgs list --json",
        handler=cli_commands.orgs_list,
    )
    set_plan = orgs.add(
        "set-plan",
        "Move an organization to another plan.",
        details="Plans, from least to most: free < solo < studio < agency.",
        epilog="examples:\n  hours orgs set-plan 0190c2d4-5a6b-7c8d-9e0f-112233445566 studio",
        handler=cli_commands.orgs_set_plan,
    )
    set_plan.add_argument("org_id", metavar="ORG_ID", type=cli_args.identifier, help="the organization's id")
    set_plan.add_argument("plan", metavar="PLAN", choices=_PLANS, help=f"the new plan: {', '.join(_PLANS)}")


def _add_events(commands: _Commands) -> None:
    events = _group(
        commands.add(
            "events",
            "Housekeeping of the events (the change feed and the audit trail).",
            epilog="examples:\n  hours events purge",
        ),
        "events commands",
    )
    events.add(
        "purge",
        "Delete the events older than the retention (90 days).",
        details=(
            "hours serve runs the same purge by itself, at most once an hour per process; run this from\n"
            "cron where no server writes. A change feed position older than what is deleted is answered\n"
            "with 410 cursor_expired."
        ),
        epilog="examples:\n  hours events purge\n  hours events purge --json",
        handler=cli_commands.events_purge,
    )


def _add_users(commands: _Commands) -> None:
    users = _group(
        commands.add(
            "users",
            "Create and list users, set their password, change their role, deactivate and reactivate them.",
            epilog=(
                "examples:\n  hours users create --org ORG_ID --email ada@acme.test --role admin\n"
                "  hours users list --org ORG_ID\n  hours users set-role USER_ID owner\n"
                "  hours users deactivate USER_ID"
            ),
        ),
        "users commands",
    )
    create = users.add(
        "create",
        "Create a user in an organization.",
        details=(
            'With --json prints {"userId", "id", "orgId", "email", "name", "role", "createdAt",\n'
            '"deactivatedAt"}: the user as GET /users/{id} answers it (id), after userId, the same id\n'
            "under the name hours bootstrap --json gives it. The plan's user limit binds the API, not\n"
            "this command."
        ),
        epilog="""\
examples:
  hours users create --org 0190c2d4-5a6b-7c8d-9e0f-112233445566 --email ada@acme.test --role member
  hours users create --org 0190c2d4-5a6b-7c8d-9e0f-112233445566 --email bo@acme.test --role admin \\
      --name "Bo Diaz" --json""",
        handler=cli_commands.users_create,
    )
    create.add_argument(
        "--org", required=True, type=cli_args.identifier, metavar="ORG_ID", help="organization id"
    )
    create.add_argument("--email", required=True, help="email address, unique within the organization")
    create.add_argument("--role", required=True, choices=_ROLES, help="role: owner, admin or member")
    create.add_argument(
        "--name", help="display name, 1 to 200 characters (default: the part of the email before the @)"
    )
    listing = users.add(
        "list",
        "List an organization's users, oldest first, deactivated ones included.",
        details="With --json prints a JSON array of users, each as `hours users create --json` prints one.",
        epilog="""\
examples:
  hours users list --org 0190c2d4-5a6b-7c8d-9e0f-112233445566 --json
  hours users list 0190c2d4-5a6b-7c8d-9e0f-112233445566""",
        handler=cli_commands.users_list,
    )
    _either(listing, "org_id", "--org", "ORG_ID", "the organization's id", type=cli_args.identifier)
    set_role = users.add(
        "set-role",
        "Give a user another role.",
        details="An organization keeps at least one active owner: demoting the last one fails.",
        epilog="""\
examples:
  hours users set-role 0190c2d4-5a6b-7c8d-9e0f-112233445566 admin
  hours users set-role --user 0190c2d4-5a6b-7c8d-9e0f-112233445566 --role owner --json""",
        handler=cli_commands.users_set_role,
    )
    _either(set_role, "user_id", "--user", "USER_ID", "the user's id", type=cli_args.identifier)
    _either(set_role, "role", "--role", "ROLE", f"the new role: {', '.join(_ROLES)}", choices=_ROLES)
    set_password = users.add(
        "set-password",
        "Give a user a password to sign in to the web app; their web sessions end.",
        details=(
            "The password (10 to 1024 characters) is read from the first line of stdin (UTF-8), or prompted\n"
            "for twice on a terminal; --generate makes a random one and prints it once. The JSON API\n"
            'takes tokens only, never a password. With --json prints {"userId"} (and "password" with\n'
            "--generate)."
        ),
        epilog="""\
examples:
  hours users set-password 0190c2d4-5a6b-7c8d-9e0f-112233445566
  printf '%s\\n' "$NEW_PASSWORD" | hours users set-password --user 0190c2d4-5a6b-7c8d-9e0f-112233445566
  hours users set-password 0190c2d4-5a6b-7c8d-9e0f-112233445566 --generate --json""",
        handler=cli_commands.users_set_password,
    )
    _either(set_password, "user_id", "--user", "USER_ID", "the user's id", type=cli_args.identifier)
    set_password.add_argument(
        "--generate", action="store_true", help="make a random password and print it (shown only once)"
    )
    deactivate = users.add(
        "deactivate",
        "Deactivate a user: their tokens stop working at once, their running timer stops now.",
        details=(
            "Their time entries stay and keep counting. The last active owner of an organization\n"
            "cannot be deactivated. A running timer on a closed day (a closed period or the lock\n"
            "policy) refuses the deactivation and changes nothing: reopen the day, or have an owner\n"
            "deactivate the user over the API with ?overrideLock=true&reason=... (the timer's stop\n"
            "then records the reason). Deactivating a deactivated user changes nothing."
        ),
        epilog="examples:\n  hours users deactivate 0190c2d4-5a6b-7c8d-9e0f-112233445566",
        handler=cli_commands.users_deactivate,
    )
    _either(deactivate, "user_id", "--user", "USER_ID", "the user's id", type=cli_args.identifier)
    reactivate = users.add(
        "reactivate",
        "Reactivate a deactivated user: their tokens (unexpired, unrevoked) work again.",
        details="The plan's user limit binds the API, not this command.",
        epilog="examples:\n  hours users reactivate 0190c2d4-5a6b-7c8d-9e0f-112233445566",
        handler=cli_commands.users_reactivate,
    )
    _either(reactivate, "user_id", "--user", "USER_ID", "the user's id", type=cli_args.identifier)


_FIELD_OPTIONS = "field_options"
"""The parser default of a command whose options name the core's fields otherwise than
``--<field>`` (``hours bootstrap``: the organization's ``name`` is ``--org-name``)."""

_LOG_PREFIX = "log_prefix"
"""The parser default of a command whose log lines name it rather than ``hours`` (``hours worker``:
its lines are all it prints, and they read ``hours worker: dispatching webhooks ...``)."""

_SERVICE = "service"
"""The parser default of a command that runs until stopped (``hours serve``, ``hours worker``), its
name: a Ctrl-C while it starts stops it as one while it runs does, exit status 0."""

_EITHER = "either_of"
"""The parser default that lists the values given either as a positional argument or an option."""


def _either(
    parser: argparse.ArgumentParser, dest: str, option: str, metavar: str, help_text: str, **kind: Any
) -> None:
    """A required value given as a positional argument (``USER_ID``) or as an option (``--user``):
    the commands of the team take both, as ``hours tokens`` takes ``--user`` and ``hours orgs
    set-plan`` a positional id. :func:`_resolve_either` checks that exactly one came."""
    parser.add_argument(dest, nargs="?", metavar=metavar, help=f"{help_text} (or {option})", **kind)
    parser.add_argument(option, dest=f"{dest}_option", metavar=metavar, help=f"the same as {metavar}", **kind)
    earlier = parser.get_default(_EITHER) or []
    parser.set_defaults(**{_EITHER: [*earlier, (dest, option, metavar, parser)]})


def _resolve_either(args: argparse.Namespace) -> None:
    """Set each value given either way; a usage error (exit 2) if it is missing or given twice."""
    for dest, option, metavar, parser in getattr(args, _EITHER, None) or ():
        positional, given = getattr(args, dest), getattr(args, f"{dest}_option")
        if positional is None and given is None:
            parser.error(f"the following arguments are required: {metavar} (or {option})")
        if positional is not None and given is not None and positional != given:
            parser.error(f"{metavar} and {option} differ; give one of them")
        setattr(args, dest, given if positional is None else positional)


def _add_projects(commands: _Commands) -> None:
    projects = _group(
        commands.add(
            "projects",
            "Create projects.",
            epilog="examples:\n  hours projects create --org ORG_ID --name Website",
        ),
        "projects commands",
    )
    create = projects.add(
        "create",
        "Create a project in an organization.",
        epilog="""\
examples:
  hours projects create --org 0190c2d4-5a6b-7c8d-9e0f-112233445566 --name "Website"
  hours projects create --org 0190c2d4-5a6b-7c8d-9e0f-112233445566 --name "Retainer" --billable-by-default""",
        handler=cli_commands.projects_create,
    )
    create.add_argument(
        "--org", required=True, type=cli_args.identifier, metavar="ORG_ID", help="organization id"
    )
    create.add_argument("--name", required=True, help="project name (1 to 200 characters)")
    create.add_argument(
        "--billable-by-default", action="store_true", help="new time entries on it are billable unless told"
    )


def _add_tasks(commands: _Commands) -> None:
    tasks = _group(
        commands.add(
            "tasks",
            "Create tasks.",
            epilog="examples:\n  hours tasks create --project PROJECT_ID --name Design",
        ),
        "tasks commands",
    )
    create = tasks.add(
        "create",
        "Create a task in a project.",
        epilog=(
            "examples:\n"
            "  hours tasks create --project 0190c2d4-5a6b-7c8d-9e0f-112233445566 --name Design --json"
        ),
        handler=cli_commands.tasks_create,
    )
    create.add_argument(
        "--project", required=True, type=cli_args.identifier, metavar="PROJECT_ID", help="project id"
    )
    create.add_argument("--name", required=True, help="task name (1 to 200 characters)")


def _add_tokens(commands: _Commands) -> None:
    tokens = _group(
        commands.add(
            "tokens",
            "Mint, list and revoke personal access tokens.",
            epilog=(
                "examples:\n  hours tokens create --user USER_ID --expires-in 30d --json\n"
                "  hours tokens list --user USER_ID\n  hours tokens revoke PREFIX"
            ),
        ),
        "tokens commands",
    )
    create = tokens.add(
        "create",
        "Mint a token for a user; it is printed this once and never stored.",
        details='With --json prints {"token", "prefix", "expiresAt"} (expiresAt is null for never).',
        epilog="""\
examples:
  hours tokens create --user 0190c2d4-5a6b-7c8d-9e0f-112233445566
  hours tokens create --user 0190c2d4-5a6b-7c8d-9e0f-112233445566 --name ci --expires-in 30d --json
  hours tokens create --user 0190c2d4-5a6b-7c8d-9e0f-112233445566 --expires-in never --env test""",
        handler=cli_commands.tokens_create,
    )
    create.add_argument("--user", required=True, type=cli_args.identifier, metavar="USER_ID", help="user id")
    create.add_argument("--name", default="cli", help="a label to recognize the token by (default: cli)")
    create.add_argument(
        "--expires-in",
        type=cli_args.lifetime,
        default=cli_args.lifetime("90d"),
        metavar="DAYS",
        help="lifetime in days, 1d to 365d (e.g. 30d), or never (default: 90d)",
    )
    create.add_argument(
        "--env",
        type=cli_args.token_env,
        help="environment of the token; the server must run with the same (default: $HOURS_ENV, else live)",
    )
    listing = tokens.add(
        "list",
        "List a user's tokens, newest first, without secrets.",
        details=(
            "Always prints a JSON array of "
            '{"prefix", "name", "env", "createdAt", "expiresAt", "lastUsedAt", "revokedAt"}.'
        ),
        epilog="examples:\n  hours tokens list --user 0190c2d4-5a6b-7c8d-9e0f-112233445566",
        handler=cli_commands.tokens_list,
        json_help="no effect: the list is JSON either way",
    )
    listing.add_argument("--user", required=True, type=cli_args.identifier, metavar="USER_ID", help="user id")
    revoke = tokens.add(
        "revoke",
        "Revoke a token; it stops working on the next request.",
        epilog="examples:\n  hours tokens revoke a1B2c3D4e5F6",
        handler=cli_commands.tokens_revoke,
    )
    revoke.add_argument(
        "prefix",
        metavar="PREFIX",
        type=cli_args.token_prefix,
        help="the token's 12-character prefix, as `hours tokens list` shows it (or the whole token)",
    )


def _add_report(commands: _Commands) -> None:
    parser = commands.add(
        "report",
        "Print an organization's time report, as GET /reports/time answers its owners.",
        details=(
            "A table with one line per group (indented by level) and the totals; times are H:MM:SS,\n"
            "amounts billable / cost per currency. With --json prints the API's body,\n"
            '{"data": {"totals", "groups"}, "meta": {...}}. The plan gates apply as on the API\n'
            "(--rounding needs solo). docs/reports.md states the semantics."
        ),
        epilog="""\
examples:
  hours report --org 0190c2d4-5a6b-7c8d-9e0f-112233445566 --from 2026-03-01 --to 2026-03-31 \\
      --group-by project,user
  hours report --org 0190c2d4-5a6b-7c8d-9e0f-112233445566 --from 2026-01-01 --to 2026-12-31 \\
      --group-by month --rounding up:15:entry --billable --json""",
        handler=cli_commands.report,
    )
    parser.add_argument(
        "--org",
        dest="org_id",
        required=True,
        type=cli_args.identifier,
        metavar="ORG_ID",
        help="organization id",
    )
    parser.add_argument(
        "--from",
        dest="date_from",
        required=True,
        type=cli_args.day,
        metavar="DATE",
        help="first day, YYYY-MM-DD",
    )
    parser.add_argument(
        "--to",
        dest="date_to",
        required=True,
        type=cli_args.day,
        metavar="DATE",
        help="last day, YYYY-MM-DD (inclusive; at most 366 days after --from)",
    )
    parser.add_argument("--group-by", metavar="LEVELS", help="1 to 3 levels, e.g. project,user or month")
    parser.add_argument("--week-start", choices=("monday", "sunday"), help="default: the organization's")
    parser.add_argument("--rounding", metavar="MODE:MINUTES:SCOPE", help="e.g. up:15:entry (needs solo)")
    for option, dest, what in (
        ("--user", "users", "user"),
        ("--project", "projects", "project"),
        ("--client", "clients", "client"),
        ("--task", "tasks", "task"),
    ):
        parser.add_argument(
            option,
            dest=dest,
            action="append",
            type=cli_args.identifier,
            metavar="ID",
            help=f"only this {what} (repeatable)",
        )
    billable = parser.add_mutually_exclusive_group()
    billable.add_argument(
        "--billable", dest="billable", action="store_const", const=True, help="billable time only"
    )
    billable.add_argument(
        "--non-billable", dest="billable", action="store_const", const=False, help="non-billable time only"
    )


def _add_schema(commands: _Commands) -> None:
    schema = _group(
        commands.add(
            "schema",
            "Print the API's OpenAPI document or TypeScript definitions (no database needed).",
            epilog=(
                "examples:\n  hours schema openapi > openapi.json\n  hours schema typescript > hours-api.ts"
            ),
        ),
        "schema commands",
    )
    schema.add(
        "openapi",
        "Print the OpenAPI 3.1 document of the API as JSON.",
        details=(
            "The same document the server serves at /schema/openapi.json; --db and the HOURS_*\n"
            "variables are ignored."
        ),
        epilog="examples:\n  hours schema openapi > openapi.json",
        handler=cli_commands.schema_openapi,
    )
    schema.add(
        "typescript",
        "Print TypeScript definitions of the API's parameters, request and response bodies.",
        details=(
            'Generated from the OpenAPI document; --json wraps them as {"typescript": "..."}; --db\n'
            "and the HOURS_* variables are ignored."
        ),
        epilog="examples:\n  hours schema typescript > src/hours-api.ts",
        handler=cli_commands.schema_typescript,
    )


def _settings(args: argparse.Namespace) -> Settings:
    """Settings from the environment, with the flags this command has on top. A command that does
    not listen warns of a server setting (``HOURS_PORT``, ...) that cannot work, and runs."""
    flags = {
        "database": args.db,
        "token_env": getattr(args, "env", None),
        "host": getattr(args, "host", None),
        "port": getattr(args, "port", None),
        "workers": getattr(args, "workers", None),
        "log_level": getattr(args, "log_level", None),
        "rate_limit": getattr(args, "rate_limit", None),
        "auth_failure_limit": getattr(args, "auth_failure_limit", None),
        "auth_cache_seconds": getattr(args, "auth_cache_seconds", None),
        "web_secure_cookies": getattr(args, "web_secure_cookies", None),
        "header_timeout": getattr(args, "header_timeout", None),
        "body_timeout": getattr(args, "body_timeout", None),
        "max_header_bytes": getattr(args, "max_header_bytes", None),
        "max_connections": getattr(args, "max_connections", None),
    }
    listening = args.handler is server.serve
    return Settings.from_env(listening=listening, ignored=print_warning, **flags)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``hours`` command line with ``argv`` (default: ``sys.argv[1:]``); return the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        _resolve_either(args)
    except SystemExit as stop:  # --help, --version, or a usage error (argparse printed it)
        return stop.code if isinstance(stop.code, int) else EXIT_BAD_ARGUMENTS
    if args.handler is None:  # `hours`, `hours tokens`: what the commands are, and how to start
        return _no_command(getattr(args, _COMMANDS_OF))
    handler: Handler = args.handler
    json_line = handler is server.serve and bool(args.json)  # its stderr holds JSON log lines only
    try:
        # hours schema opens no database: its --db and the HOURS_* variables are not read.
        reads_no_settings = handler in (cli_commands.schema_openapi, cli_commands.schema_typescript)
        settings = Settings() if reads_no_settings else _settings(args)
        if handler is server.serve:
            return handler(args, settings)
        with cli_logging(prefix=getattr(args, _LOG_PREFIX, "hours")):
            status = handler(args, settings)
        with stdout_writes():  # what is still buffered fails here, not unseen at exit
            sys.stdout.flush()
        return status
    except SettingsError as error:
        print_error(str(error), json_line=json_line)
        return EXIT_BAD_ARGUMENTS
    except StdoutUnwritable as error:
        _silence_stdout()  # what is left in its buffer would fail again at exit
        print_error(str(error), json_line=json_line)
        return EXIT_FAILED
    except (StoreUnavailable, FileUnusable) as error:
        print_error(str(error), json_line=json_line)
        return EXIT_FAILED
    except ValidationFailed as error:
        print_validation_error(error, getattr(args, _FIELD_OPTIONS, None), json_line=json_line)
        return EXIT_BAD_ARGUMENTS
    except NotFound as error:  # most often an id of another database: say which one was read
        found_elsewhere = (
            f"{error.message.rstrip('.')} in {settings.database.redacted()}; if it is in another "
            "database, name that one with --db (or HOURS_DATABASE_URL)"
        )
        # An organization without an owner was found: its message says what to do instead.
        message = error.message if isinstance(error, NoActiveOwner) else found_elsewhere
        print_error(message, json_line=json_line)
        return EXIT_FAILED
    except StoreFull:  # its message is the API's, for a client; this is the operator's
        print_error(_disk_full(settings.database), json_line=json_line)
        return EXIT_FAILED
    except HoursError as error:
        print_error(error.message, json_line=json_line)
        return EXIT_FAILED
    except Terminated as terminated:  # SIGTERM or SIGHUP during hours export or hours import
        return terminated.exit_status
    except KeyboardInterrupt:
        service = getattr(args, _SERVICE, None)
        if service is None:
            return EXIT_INTERRUPTED
        if not json_line:  # hours serve --json: its stderr holds JSON log lines only
            print(f"{service}: SIGINT received while starting; stopped", file=sys.stderr)
        return EXIT_OK  # Ctrl-C is how hours serve and hours worker stop, also while they start
    except BrokenPipeError:  # e.g. `hours schema openapi | head`: the reader left; say nothing more
        _silence_stdout()
        return EXIT_FAILED


def _disk_full(database: DatabaseUrl) -> str:
    """What a write refused for a full disk tells the person at the terminal: where the disk is
    full, that nothing was stored, and what to do."""
    if database.scheme == "sqlite":
        where = f"the disk holding {database.sqlite_path.resolve().parent} is full"
        room = "free disk space there"
    else:
        where = f"the disk of the PostgreSQL server at {database.redacted()} is full"
        room = "free disk space on the database server"
    return (
        f"{where}, so nothing was stored (this command's change was rolled back): {room} and run the "
        "command again"
    )


def _no_command(parser: argparse.ArgumentParser) -> int:
    """Print the help of ``parser``, which was given no command, on stderr: a usage error."""
    parser.print_help(sys.stderr)
    print_error(
        f"no command given: pick one of the commands above ({parser.prog} COMMAND --help explains each)"
    )
    return EXIT_BAD_ARGUMENTS


def _silence_stdout() -> None:
    """Point stdout at /dev/null so that flushing it at exit does not fail again."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


if __name__ == "__main__":
    sys.exit(main())
