"""What each ``hours`` command does, once its arguments are parsed.

Every function here takes the parsed arguments and the :class:`~hours_app.settings.Settings`,
opens the store through the composition root (which applies pending migrations), calls one
operator use case, prints the result and returns the exit status. Errors propagate to
:func:`hours_app.cli.main`, which turns them into ``error: ...`` and an exit status.
"""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import os
import shlex
import shutil
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import BinaryIO

from hours_app import cli_output as out
from hours_app.cli_schema import openapi_document, typescript_definitions
from hours_app.composition import Application, build, open_store, prepare_installation
from hours_app.server import base_url as _base_url
from hours_app.settings import DEFAULT_DATABASE_URL, Settings, SettingsError
from hours_core.model import OrgId, Plan, ProjectId, Role, UserId
from hours_core.passwords import generate_password, password_problem
from hours_core.services import TimeReportRequest

__all__ = [
    "bootstrap",
    "migrate",
    "orgs_create",
    "orgs_list",
    "orgs_set_plan",
    "projects_create",
    "report",
    "schema_openapi",
    "schema_typescript",
    "tasks_create",
    "tokens_create",
    "tokens_list",
    "tokens_revoke",
    "users_create",
    "users_deactivate",
    "users_list",
    "users_reactivate",
    "users_set_password",
    "users_set_role",
]

logger = logging.getLogger("hours")


@contextmanager
def _opened(settings: Settings) -> Iterator[Application]:
    application = build(settings)
    try:
        yield application
    finally:
        application.close()


# -- server and schema ------------------------------------------------------------------------


def schema_openapi(args: argparse.Namespace, _settings: Settings) -> int:
    """Print the OpenAPI document (JSON either way)."""
    out.say(openapi_document())
    return 0


def schema_typescript(args: argparse.Namespace, _settings: Settings) -> int:
    """Print the TypeScript definitions; ``--json`` wraps them as ``{"typescript": "..."}``."""
    source = typescript_definitions()
    out.emit(args.json, {"typescript": source}, source.rstrip("\n"))
    return 0


def migrate(args: argparse.Namespace, settings: Settings) -> int:
    """Apply pending migrations and say which ran."""
    store = open_store(settings.database, settings, migrate=True)
    try:
        applied, description = store.applied_migrations, store.description
        prepare_installation(store)
    finally:
        store.close()
    human = (
        f"Applied {len(applied)} migration{'s' if len(applied) != 1 else ''} to {description}:\n"
        + "\n".join(f"  {name}" for name in applied)
        if applied
        else f"{description} is up to date; no migrations to apply."
    )
    out.emit(args.json, {"applied": applied, "upToDate": not applied, "store": description}, human)
    return 0


# -- bootstrap ---------------------------------------------------------------------------------


def _program() -> str:
    """How to run this ``hours`` again in the summary's commands: ``hours`` when that name on the
    PATH is this program (or it was not run by a path), else the path it was run by
    (``.venv/bin/hours`` in a virtual environment that is not activated, as the README's quickstart)."""
    invoked = sys.argv[0] if sys.argv else ""
    if os.path.basename(invoked) != "hours" or os.sep not in invoked:
        return "hours"
    on_path = shutil.which("hours")
    if on_path is not None and os.path.realpath(on_path) == os.path.realpath(invoked):
        return "hours"
    return shlex.quote(invoked)


def db_option(settings: Settings) -> str:
    """`` --db URL`` for a command printed to be run next, when the database is not the default one
    (``hours.db`` in the current folder): without it, that command would open another database. A
    password in the URL is shown as ``***`` (the output may be kept or shared, as logs are)."""
    if settings.database.url == DEFAULT_DATABASE_URL:
        return ""
    return f" --db {shlex.quote(settings.database.redacted())}"


def next_command(settings: Settings, words: str) -> str:
    """``hours WORDS`` as a person pastes it to run next: hours as it was run (:func:`_program`) and
    the ``--db`` of this database (:func:`db_option`), so that it acts where this command did."""
    return f"{_program()} {words}{db_option(settings)}"


def bootstrap(args: argparse.Namespace, settings: Settings) -> int:
    """Create a demo organization with its owner, a project, a task and a token."""
    with _opened(settings) as application:
        made = application.services.admin.bootstrap(
            org_name=args.org_name, plan=Plan(args.plan), email=args.email, env=settings.token_env
        )
    document = {
        "orgId": str(made.org.id),
        "userId": str(made.user.id),
        "projectId": str(made.project.id),
        "taskId": str(made.task.id),
        "token": made.token.plaintext,
        "password": made.password,
    }
    made_note = (
        f"the organization {made.org.id} ({made.org.name!r}) was created with its owner {made.user.email} "
        f"({made.user.id}), a project, a task and a token (prefix {made.token.token.prefix}), but its "
        f"token and password were not shown: revoke the token with "
        f"`{next_command(settings, f'tokens revoke {made.token.token.prefix}')}`, mint another with "
        f"`{next_command(settings, f'tokens create --user {made.user.id}')}` and set a password with "
        f"`{next_command(settings, f'users set-password {made.user.id}')}`"
    )
    if args.json:
        with out.shown_once(made_note):
            out.emit(True, document, "")
        return 0
    program = _program()
    serve_command = f"{program} serve"
    if settings.database.url != DEFAULT_DATABASE_URL:
        serve_command += f" --db {shlex.quote(settings.database.url)}"  # ? & and spaces: as one word
    if settings.token_env != "live":
        serve_command += f" --env {settings.token_env}"
    defaults = Settings()
    if settings.host != defaults.host:
        serve_command += f" --host {settings.host}"
    if settings.port != defaults.port:
        serve_command += f" --port {settings.port}"
    entry = json.dumps(
        {
            "projectId": str(made.project.id),
            "entryDate": datetime.now(UTC).date().isoformat(),
            "duration": "1h30m",
            "note": "Hello, hours",
        }
    )
    expires = out.when(made.token.token.expires_at, missing="never")
    with out.shown_once(made_note):
        out.say(
            f"""Created organization {made.org.name!r} on the {made.org.plan.value} plan.

  organization  {made.org.id}  {made.org.name}
  owner         {made.user.id}  {made.user.email}
  project       {made.project.id}  {made.project.name}
  task          {made.task.id}  {made.task.name}

API token for {made.user.email} (env {made.token.token.env}, expires {expires}); it is shown only now:

  {made.token.plaintext}

Password for {made.user.email} to sign in to the web app at {_base_url(settings)}/ (shown only now;
change it with `{next_command(settings, f"users set-password {made.user.id}")}`):

  {made.password}

Start the server:

  {serve_command}

Then log an hour and a half (run it twice: the second answer is a replay, marked
Idempotent-Replayed: true, and no second entry is made):

curl -sS -i -X POST {_base_url(settings)}/time-entries \\
  -H "Authorization: Bearer {made.token.plaintext}" \\
  -H "Content-Type: application/json" \\
  -H "Idempotency-Key: {uuid.uuid4()}" \\
  -d '{entry}'

API docs: {_base_url(settings)}/schema"""
        )
    return 0


# -- events ----------------------------------------------------------------------------------


def events_purge(args: argparse.Namespace, settings: Settings) -> int:
    """Delete the events past the retention."""
    with _opened(settings) as application:
        gone = application.services.events.purge_expired()
    purged = out.counted(gone, "event", "events")
    out.emit(args.json, {"purged": gone}, f"Purged {purged} older than 90 days.")
    return 0


# -- organizations, users, projects, tasks -----------------------------------------------------


def orgs_create(args: argparse.Namespace, settings: Settings) -> int:
    """Create an organization."""
    with _opened(settings) as application:
        org = application.services.admin.create_org(args.name, Plan(args.plan))
    human = (
        f"Created organization {org.name!r} ({org.plan.value}): {org.id}\n"
        "It has no user yet; add its owner: "
        + next_command(settings, f"users create --org {org.id} --role owner --email EMAIL")
    )
    out.emit(args.json, out.org_json(org), human)
    return 0


def orgs_list(args: argparse.Namespace, settings: Settings) -> int:
    """List every organization, oldest first."""
    with _opened(settings) as application:
        orgs = application.services.admin.list_orgs()
    rows = [(str(org.id), org.plan.value, out.when(org.created_at), org.name) for org in orgs]
    human = out.table(("ID", "PLAN", "CREATED", "NAME"), rows, empty="No organizations yet.")
    out.emit(args.json, [out.org_json(org) for org in orgs], human)
    return 0


def orgs_set_plan(args: argparse.Namespace, settings: Settings) -> int:
    """Move an organization to another plan."""
    with _opened(settings) as application:
        org = application.services.admin.set_plan(OrgId(args.org_id), Plan(args.plan))
    out.emit(
        args.json, out.org_json(org), f"Organization {org.name!r} ({org.id}) is now on the {org.plan} plan."
    )
    return 0


def users_create(args: argparse.Namespace, settings: Settings) -> int:
    """Create a user in an organization."""
    with _opened(settings) as application:
        user = application.services.admin.create_user(
            OrgId(args.org), args.email, Role(args.role), name=args.name
        )
    human = (
        f"Created {user.role.value} {user.name!r} <{user.email}>: {user.id}\n"
        f"Mint a token for them: {next_command(settings, f'tokens create --user {user.id}')}"
    )
    out.emit(args.json, out.user_json(user), human)
    return 0


def users_list(args: argparse.Namespace, settings: Settings) -> int:
    """List an organization's users, oldest first."""
    with _opened(settings) as application:
        users = application.services.admin.list_users(OrgId(args.org_id))
    rows = [
        (
            str(user.id),
            user.role.value,
            "active" if user.is_active else f"deactivated {out.when(user.deactivated_at)}",
            user.email,
            user.name,
        )
        for user in users
    ]
    human = out.table(("ID", "ROLE", "STATUS", "EMAIL", "NAME"), rows, empty="No users yet.")
    out.emit(args.json, [out.user_json(user) for user in users], human)
    return 0


def users_set_role(args: argparse.Namespace, settings: Settings) -> int:
    """Give a user another role."""
    with _opened(settings) as application:
        user = application.services.admin.set_role(UserId(args.user_id), Role(args.role))
    out.emit(args.json, out.user_json(user), f"{user.name!r} <{user.email}> ({user.id}) is now {user.role}.")
    return 0


def users_set_password(args: argparse.Namespace, settings: Settings) -> int:
    """Give a user a new password for the web app (read from stdin, prompted for, or generated)."""
    password = generate_password() if args.generate else _read_password()
    problem = password_problem(password)
    if problem is not None:  # the use case checks the same; this names what was read, not an option
        raise SettingsError(f"the new password {problem}")
    with _opened(settings) as application:
        application.services.sign_in.set_password(UserId(args.user_id), password)
    document = {"userId": str(args.user_id), **({"password": password} if args.generate else {})}
    human = f"The password of user {args.user_id} is set; their web sessions have ended."
    if not args.generate:
        out.emit(args.json, document, human)
        return 0
    human += f" The new password (shown only now):\n\n  {password}"
    made = (
        f"the password of user {args.user_id} was changed, but the new one was not shown: set "
        f"another with `{next_command(settings, f'users set-password {args.user_id}')}`"
    )
    with out.shown_once(made):
        out.emit(args.json, document, human)
    return 0


_NO_PASSWORD_ON_STDIN = (
    "no password on standard input, which is not a terminal (so nothing was asked): pipe it in as "
    "one line (printf '%s\\n' \"$PASSWORD\" | hours users set-password USER_ID), run the command on a "
    "terminal to be asked, or use --generate; nothing was stored"
)


def _read_password() -> str:
    """The new password: prompted for twice on a terminal, else the first line of stdin, which must
    be UTF-8 (read as bytes and decoded strictly: a text stream would fail with a traceback, or under
    the C locale carry the bad bytes on as lone surrogates)."""
    if sys.stdin.isatty():
        first = getpass.getpass("New password: ")
        if getpass.getpass("Again: ") != first:
            raise SettingsError("the two passwords differ")
        return first
    raw: BinaryIO | None = getattr(sys.stdin, "buffer", None)
    if raw is None:  # a text stream with no bytes beneath it; the core's rule still refuses surrogates
        text = sys.stdin.readline()
        if not text:
            raise SettingsError(_NO_PASSWORD_ON_STDIN)
        return text.rstrip("\r\n")
    line = raw.readline()
    if not line:  # end of input before any line: no terminal to ask on, and nothing piped in
        raise SettingsError(_NO_PASSWORD_ON_STDIN)
    try:
        return line.decode("utf-8").rstrip("\r\n")
    except UnicodeDecodeError as error:  # read as bytes: a text stream would raise, or smuggle surrogates
        raise SettingsError(
            f"the new password is not UTF-8 text (byte 0x{line[error.start]:02x} at position "
            f"{error.start + 1}); nothing was stored"
        ) from error


def users_deactivate(args: argparse.Namespace, settings: Settings) -> int:
    """Deactivate a user."""
    with _opened(settings) as application:
        user = application.services.admin.deactivate_user(UserId(args.user_id))
    human = (
        f"{user.name!r} <{user.email}> ({user.id}) is deactivated since {out.when(user.deactivated_at)}: "
        "their tokens no longer work."
    )
    out.emit(args.json, out.user_json(user), human)
    return 0


def users_reactivate(args: argparse.Namespace, settings: Settings) -> int:
    """Reactivate a deactivated user."""
    with _opened(settings) as application:
        user = application.services.admin.reactivate_user(UserId(args.user_id))
    human = f"{user.name!r} <{user.email}> ({user.id}) is active: their live tokens work again."
    out.emit(args.json, out.user_json(user), human)
    return 0


def projects_create(args: argparse.Namespace, settings: Settings) -> int:
    """Create a project in an organization."""
    with _opened(settings) as application:
        project = application.services.admin.create_project(
            OrgId(args.org), args.name, billable_by_default=args.billable_by_default
        )
    billable = " (billable by default)" if project.billable_by_default else ""
    out.emit(
        args.json, out.project_json(project), f"Created project {project.name!r}{billable}: {project.id}"
    )
    return 0


def tasks_create(args: argparse.Namespace, settings: Settings) -> int:
    """Create a task in a project."""
    with _opened(settings) as application:
        task = application.services.admin.create_task(ProjectId(args.project), args.name)
    out.emit(
        args.json, out.task_json(task), f"Created task {task.name!r} in project {task.project_id}: {task.id}"
    )
    return 0


# -- tokens ------------------------------------------------------------------------------------


def tokens_create(args: argparse.Namespace, settings: Settings) -> int:
    """Mint a token for a user and print it, this once."""
    with _opened(settings) as application:
        minted = application.services.admin.mint_token(
            UserId(args.user), env=settings.token_env, name=args.name, lifetime=args.expires_in
        )
    token = minted.token
    document = {"token": minted.plaintext, "prefix": token.prefix, "expiresAt": token.expires_at}
    human = (
        f"Token {token.name!r} for user {token.user_id} (env {token.env}, prefix {token.prefix}, "
        f"expires {out.when(token.expires_at, missing='never')}).\n"
        "It is shown only now; store it somewhere safe:\n\n"
        f"  {minted.plaintext}"
    )
    made = (
        f"the token {token.name!r} (prefix {token.prefix}) for user {token.user_id} was created but not "
        f"shown: revoke it with `{next_command(settings, f'tokens revoke {token.prefix}')}` and create "
        "another"
    )
    with out.shown_once(made):
        out.emit(args.json, document, human)
    return 0


def tokens_list(args: argparse.Namespace, settings: Settings) -> int:
    """List a user's tokens, newest first, without secrets: always a JSON array, for scripts."""
    with _opened(settings) as application:
        tokens = application.services.admin.list_tokens(UserId(args.user))
    out.emit(True, [out.token_json(token) for token in tokens], "")
    return 0


def tokens_revoke(args: argparse.Namespace, settings: Settings) -> int:
    """Revoke the token with a prefix."""
    with _opened(settings) as application:
        token = application.services.admin.revoke_token(args.prefix)
    human = (
        f"Revoked token {token.prefix} ({token.name!r}) at {out.when(token.revoked_at)}; "
        "it stops working on the next request."
    )
    out.emit(args.json, {"prefix": token.prefix, "revokedAt": token.revoked_at}, human)
    return 0


# -- reports ------------------------------------------------------------------------------------


def report(args: argparse.Namespace, settings: Settings) -> int:
    """Print an organization's time report: a table, or with ``--json`` the API's body."""
    request = TimeReportRequest(
        date_from=args.date_from,
        date_to=args.date_to,
        group_by=args.group_by,
        week_start=args.week_start,
        rounding=args.rounding,
        user_ids=frozenset(args.users or ()),
        project_ids=frozenset(args.projects or ()),
        task_ids=frozenset(args.tasks or ()),
        client_ids=frozenset(args.clients or ()),
        billable=args.billable,
    )
    with _opened(settings) as application:
        result = application.services.reports.org_time_report(OrgId(args.org_id), request)
    data, meta = out.report_document(result)
    out.emit(args.json, {"data": data, "meta": meta}, out.report_table(result))
    return 0
