"""The ``hours`` command line, run in-process through ``main([...])`` against a temporary SQLite file."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from litestar.testing import TestClient

from hours_app.cli import main
from hours_app.composition import build
from hours_app.settings import DatabaseUrl, Settings
from hours_core.tokens import TOKEN_PATTERN
from hours_http import create_app

UNKNOWN_ID = "01900000-0000-7000-8000-000000000000"


class Run:
    """Runs ``hours`` with ``--db`` pointing at one temporary database, capturing its output."""

    def __init__(self, db: str, capsys: pytest.CaptureFixture[str]) -> None:
        self.db = db
        self._capsys = capsys
        self.stdout = ""
        self.stderr = ""

    def __call__(self, *argv: str, db: bool = True) -> int:
        self._capsys.readouterr()
        code = main([*argv, "--db", self.db] if db else list(argv))
        self.stdout, self.stderr = self._capsys.readouterr()
        return code

    @property
    def error(self) -> str:
        """The last line on stderr (earlier lines may report migrations applied to a new database)."""
        lines = self.stderr.splitlines()
        return lines[-1] if lines else ""

    def json(self, *argv: str) -> Any:
        """Run with ``--json``; the command must succeed and print one JSON document."""
        code = self(*argv, "--json")
        assert code == 0, self.stderr
        return json.loads(self.stdout)


@pytest.fixture(autouse=True)
def _no_hours_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in ("HOURS_DATABASE_URL", "HOURS_ENV", "HOURS_HOST", "HOURS_PORT", "HOURS_LOG_LEVEL"):
        monkeypatch.delenv(variable, raising=False)


@pytest.fixture
def hours(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Run:
    return Run(f"sqlite:///{tmp_path / 'hours.db'}", capsys)


@pytest.fixture
def demo(hours: Run) -> dict[str, str]:
    result: dict[str, str] = hours.json("bootstrap")
    return result


# -- help --------------------------------------------------------------------------------------

COMMANDS = [
    [],
    ["serve"],
    ["worker"],
    ["migrate"],
    ["bootstrap"],
    ["orgs"],
    ["orgs", "create"],
    ["orgs", "list"],
    ["orgs", "set-plan"],
    ["users"],
    ["users", "create"],
    ["users", "list"],
    ["users", "set-role"],
    ["users", "set-password"],
    ["users", "deactivate"],
    ["users", "reactivate"],
    ["projects"],
    ["projects", "create"],
    ["tasks"],
    ["tasks", "create"],
    ["tokens"],
    ["tokens", "create"],
    ["tokens", "list"],
    ["tokens", "revoke"],
    ["report"],
    ["export"],
    ["import"],
    ["events"],
    ["events", "purge"],
    ["schema"],
    ["schema", "openapi"],
    ["schema", "typescript"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "hours")
def test_every_command_has_help_with_examples(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*command, "--help"]) == 0
    text = capsys.readouterr().out
    assert "examples:" in text
    assert f"hours {' '.join(command)}".strip() in text


def test_serve_help_names_every_option(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--help"]) == 0
    text = capsys.readouterr().out
    for option in ("--db", "--json", "--host", "--port", "--env", "--workers", "--log-level"):
        assert option in text


def help_of(command: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """The help of ``hours COMMAND``, its words separated by single spaces (as wrapped at any width)."""
    assert main([*command, "--help"]) == 0
    return " ".join(capsys.readouterr().out.split())


@pytest.mark.parametrize(
    ("command", "said"),
    [
        (["serve"], "Apply pending migrations, then serve the web app and the HTTP API"),
        (["serve"], "and one line when it stops"),
        ([], "hours serve the web app and the API on http://127.0.0.1:8000/"),
        ([], "hours bootstrap a demo organization: its owner (with a password for the web app)"),
    ],
)
def test_the_help_says_hours_serve_serves_the_web_app_too(
    command: list[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The help said hours serve served the API, and not that the web app is where a new user signs in."""
    assert said in help_of(command, capsys)


@pytest.mark.parametrize(
    ("command", "said"),
    [
        (["orgs", "list"], "--json print the result as JSON (for scripts)"),
        (["serve"], "--json write every log line on stderr as JSON, a startup error included"),
        (["worker"], "--json no effect: hours worker prints only its log lines, as text"),
        (["tokens", "list"], "--json no effect: the list is JSON either way"),
        (["export"], "--json no effect: --format chooses the file's format (jsonl: JSON lines)"),
    ],
)
def test_each_command_says_what_json_does_to_it(
    command: list[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every command's --json said 'print the result as JSON', also where it makes log lines JSON
    (serve) or changes nothing (worker, tokens list, export)."""
    assert said in help_of(command, capsys)


# -- migrate and bootstrap ---------------------------------------------------------------------


def test_migrate_applies_the_migrations_once_then_reports_up_to_date(hours: Run) -> None:
    first = hours.json("migrate")
    assert first["applied"] and first["upToDate"] is False
    second = hours.json("migrate")
    assert second == {**first, "applied": [], "upToDate": True}
    assert hours("migrate") == 0
    assert "up to date" in hours.stdout


def test_bootstrap_prints_ids_and_a_token(demo: dict[str, str]) -> None:
    assert list(demo) == ["orgId", "userId", "projectId", "taskId", "token", "password"]
    for key in ("orgId", "userId", "projectId", "taskId"):
        UUID(demo[key])
    assert TOKEN_PATTERN.fullmatch(demo["token"])
    assert demo["token"].startswith("hsk_live_")


def test_bootstrap_again_makes_another_independent_org(hours: Run, demo: dict[str, str]) -> None:
    again = hours.json("bootstrap")
    assert again["orgId"] != demo["orgId"] and again["token"] != demo["token"]
    orgs = hours.json("orgs", "list")
    assert [org["id"] for org in orgs] == [demo["orgId"], again["orgId"]]
    assert {org["name"] for org in orgs} == {"Demo"} and {org["plan"] for org in orgs} == {"agency"}


def test_the_default_demo_org_is_usable_whole(hours: Run, demo: dict[str, str]) -> None:
    """Issue 3: "Defaults give a usable demo org": the task bootstrap prints takes time, billable
    time and another member's entries too (the default plan is agency)."""
    member = hours.json(
        "users", "create", "--org", demo["orgId"], "--email", "mo@example.com", "--role", "member"
    )
    body = {"projectId": demo["projectId"], "taskId": demo["taskId"], "entryDate": "2026-03-02"}
    application = build(Settings(database=DatabaseUrl.parse(hours.db)))
    try:
        with TestClient(create_app(application.services)) as client:
            auth = {"Authorization": f"Bearer {demo['token']}"}
            answers = [
                client.post("/time-entries", json={**body, "duration": "1h30m"}, headers=auth),
                client.post("/time-entries", json={**body, "duration": "1h", "billable": True}, headers=auth),
                client.post(
                    "/time-entries", json={**body, "duration": "2h", "userId": member["id"]}, headers=auth
                ),
            ]
    finally:
        application.close()
    assert [answer.status_code for answer in answers] == [201, 201, 201], [a.text for a in answers]


def test_bootstrap_takes_a_name_plan_email_and_env(hours: Run) -> None:
    made = hours.json(
        "bootstrap", "--org-name", "Acme", "--plan", "studio", "--email", "ada@acme.test", "--env", "test"
    )
    assert made["token"].startswith("hsk_test_")
    [org] = hours.json("orgs", "list")
    assert org == {**org, "id": made["orgId"], "name": "Acme", "plan": "studio"}


def test_bootstrap_without_json_prints_the_token_and_a_curl_command(hours: Run) -> None:
    assert hours("bootstrap") == 0
    text = hours.stdout
    token = re.search(TOKEN_PATTERN.pattern, text)
    assert token is not None
    assert "curl" in text and "http://127.0.0.1:8000/time-entries" in text
    assert f"Authorization: Bearer {token.group(0)}" in text
    assert "Idempotency-Key: " in text and '"duration": "1h30m"' in text
    assert f"hours serve --db {hours.db}" in text


# -- orgs, users, projects, tasks --------------------------------------------------------------


def test_orgs_create_says_the_organization_has_no_user_yet_and_how_to_add_its_owner(hours: Run) -> None:
    assert hours("orgs", "create", "--name", "Acme") == 0
    org_id = hours.stdout.split(": ", 1)[1].splitlines()[0]
    assert hours.stdout == (
        f"Created organization 'Acme' (free): {org_id}\n"
        "It has no user yet; add its owner: "
        f"hours users create --org {org_id} --role owner --email EMAIL --db {hours.db}\n"
    )


def test_orgs_create_list_and_set_plan(hours: Run) -> None:
    created = hours.json("orgs", "create", "--name", "Acme", "--plan", "solo")
    assert created["name"] == "Acme" and created["plan"] == "solo"
    assert list(created) == [
        "id",
        "name",
        "plan",
        "timezone",
        "weekStart",
        "createdAt",
        "overlapPolicy",
        "lockPolicy",
    ]
    changed = hours.json("orgs", "set-plan", created["id"], "agency")
    assert changed == {**created, "plan": "agency"}
    assert hours.json("orgs", "list") == [changed]
    assert hours("orgs", "list") == 0
    assert created["id"] in hours.stdout and "agency" in hours.stdout


def test_orgs_list_is_empty_on_a_new_database(hours: Run) -> None:
    assert hours.json("orgs", "list") == []
    assert hours("orgs", "list") == 0
    assert "No organizations" in hours.stdout


def test_the_json_of_users_projects_and_tasks_names_things_as_the_api_does(
    hours: Run, demo: dict[str, str]
) -> None:
    """An org, user, project or task the CLI prints is the body the API answers for it, member for member
    (a user after ``userId``, the name bootstrap gives it)."""
    project = hours.json("projects", "create", "--org", demo["orgId"], "--name", "Shared")
    task = hours.json("tasks", "create", "--project", project["id"], "--name", "Design")
    user = hours.json(
        "users", "create", "--org", demo["orgId"], "--email", "cy@example.com", "--role", "member"
    )
    application = build(Settings(database=DatabaseUrl.parse(hours.db)))
    try:
        with TestClient(create_app(application.services)) as client:
            auth = {"Authorization": f"Bearer {demo['token']}"}
            assert client.get(f"/projects/{project['id']}", headers=auth).json()["data"] == project
            assert client.get(f"/projects/{project['id']}/tasks", headers=auth).json()["data"] == [task]
            api_user = client.get(f"/users/{user['id']}", headers=auth).json()["data"]
    finally:
        application.close()
    assert list(user) == ["userId", "id", "orgId", "email", "name", "role", "createdAt", "deactivatedAt"]
    assert user["userId"] == user["id"]
    assert {key: value for key, value in user.items() if key != "userId"} == api_user


def test_every_user_document_of_the_cli_names_the_user_user_id_as_bootstrap_does(
    hours: Run, demo: dict[str, str]
) -> None:
    made = hours.json(
        "users", "create", "--org", demo["orgId"], "--email", "dee@example.com", "--role", "admin"
    )
    user_id = made["userId"]
    documents = [
        made,
        *hours.json("users", "list", "--org", demo["orgId"]),
        hours.json("users", "set-role", user_id, "member"),
        hours.json("users", "deactivate", user_id),
        hours.json("users", "reactivate", user_id),
    ]
    assert all(document["userId"] == document["id"] for document in documents)
    assert [document["userId"] for document in documents] == [
        user_id,
        demo["userId"],
        user_id,
        *[user_id] * 3,
    ]


def test_users_projects_and_tasks_are_created_in_an_org(hours: Run, demo: dict[str, str]) -> None:
    user = hours.json(
        "users", "create", "--org", demo["orgId"], "--email", "bo@example.com", "--role", "admin"
    )
    assert user["orgId"] == demo["orgId"] and user["role"] == "admin" and UUID(user["id"])
    project = hours.json(
        "projects", "create", "--org", demo["orgId"], "--name", "Site", "--billable-by-default"
    )
    assert project["billableByDefault"] is True and project["orgId"] == demo["orgId"]
    task = hours.json("tasks", "create", "--project", project["id"], "--name", "Design")
    assert task["projectId"] == project["id"] and task["orgId"] == demo["orgId"]


def test_a_malformed_id_is_a_usage_error(hours: Run) -> None:
    assert hours("users", "create", "--org", "not-an-id", "--email", "a@b.c", "--role", "member") == 2
    assert "'not-an-id' is not an id; ids are UUIDs" in hours.stderr
    assert "Traceback" not in hours.stderr


def test_an_unknown_id_is_not_found(hours: Run) -> None:
    assert hours("users", "create", "--org", UNKNOWN_ID, "--email", "a@b.c", "--role", "member") == 1
    assert hours.error == (  # names the database it read: the id may be one of another
        f"error: The organization was not found in {hours.db}; if it is in another database, name that "
        "one with --db (or HOURS_DATABASE_URL)"
    )
    assert hours("tasks", "create", "--project", UNKNOWN_ID, "--name", "x") == 1
    assert hours.error.startswith(f"error: The project was not found in {hours.db}; ")
    assert hours("orgs", "set-plan", UNKNOWN_ID, "solo") == 1
    assert hours("tokens", "list", "--user", UNKNOWN_ID) == 1


def test_invalid_values_name_the_field(hours: Run, demo: dict[str, str]) -> None:
    assert hours("users", "create", "--org", demo["orgId"], "--email", "nope", "--role", "member") == 2
    assert hours.error.startswith("error: --email: must be an email address")
    assert hours("orgs", "create", "--name", "   ") == 2
    assert hours.error.startswith("error: --name: must not be blank")


def test_a_duplicate_email_is_a_conflict(hours: Run, demo: dict[str, str]) -> None:
    code = hours(
        "users", "create", "--org", demo["orgId"], "--email", "owner@example.com", "--role", "member"
    )
    assert code == 1
    assert hours.error.startswith("error: ") and "owner@example.com" in hours.error


def test_a_missing_required_option_is_a_usage_error(hours: Run) -> None:
    assert hours("orgs", "create") == 2
    assert "--name" in hours.stderr
    assert hours("orgs", "set-plan", UNKNOWN_ID, "platinum") == 2
    assert hours("tokens") == 2


# -- the team ----------------------------------------------------------------------------------


def test_users_list_shows_the_team_oldest_first(hours: Run, demo: dict[str, str]) -> None:
    added = hours.json(
        "users", "create", "--org", demo["orgId"], "--email", "Bo.Diaz@example.com", "--role", "admin"
    )
    named = hours.json(
        "users",
        "create",
        "--org",
        demo["orgId"],
        "--email",
        "cy@example.com",
        "--role",
        "member",
        "--name",
        "Cy",
    )
    assert (added["name"], named["name"]) == ("Bo.Diaz", "Cy")
    listed = hours.json("users", "list", "--org", demo["orgId"])
    assert [user["id"] for user in listed] == [demo["userId"], added["id"], named["id"]]
    assert listed[1] == added and added["deactivatedAt"] is None
    assert hours("users", "list", "--org", demo["orgId"]) == 0
    assert "Bo.Diaz@example.com" in hours.stdout and "active" in hours.stdout
    assert hours("users", "list", "--org", UNKNOWN_ID) == 1
    assert hours.error.startswith(f"error: The organization was not found in {hours.db}; ")


def test_users_set_role_keeps_an_active_owner(hours: Run, demo: dict[str, str]) -> None:
    assert hours("users", "set-role", demo["userId"], "admin") == 1
    assert hours.error == (
        "error: The organization must keep at least one active owner; make another user an owner first."
    )
    other = hours.json(
        "users", "create", "--org", demo["orgId"], "--email", "o2@example.com", "--role", "admin"
    )
    assert hours.json("users", "set-role", other["id"], "owner")["role"] == "owner"
    assert hours.json("users", "set-role", demo["userId"], "member")["role"] == "member"
    assert hours("users", "set-role", other["id"], "boss") == 2
    assert hours("users", "set-role", UNKNOWN_ID, "admin") == 1


def test_the_team_commands_take_ids_as_arguments_or_options(hours: Run, demo: dict[str, str]) -> None:
    by_option = hours.json("users", "list", "--org", demo["orgId"])
    assert hours.json("users", "list", demo["orgId"]) == by_option
    other = hours.json(
        "users", "create", "--org", demo["orgId"], "--email", "o2@example.com", "--role", "member"
    )
    assert hours.json("users", "set-role", "--user", other["id"], "--role", "owner")["role"] == "owner"
    assert hours.json("users", "set-role", other["id"], "--role", "admin")["role"] == "admin"
    assert hours.json("users", "deactivate", "--user", other["id"])["deactivatedAt"] is not None
    assert hours.json("users", "reactivate", other["id"], "--user", other["id"])["deactivatedAt"] is None
    assert hours("users", "deactivate") == 2
    assert "required: USER_ID (or --user)" in hours.stderr
    assert hours("users", "set-role", other["id"]) == 2
    assert "required: ROLE (or --role)" in hours.stderr
    assert hours("users", "reactivate", other["id"], "--user", demo["userId"]) == 2
    assert "USER_ID and --user differ" in hours.stderr
    assert hours("users", "list", "--org", "nope") == 2


def test_users_deactivate_refuses_the_users_token_until_reactivated(hours: Run, demo: dict[str, str]) -> None:
    member = hours.json(
        "users", "create", "--org", demo["orgId"], "--email", "m@example.com", "--role", "member"
    )
    token = hours.json("tokens", "create", "--user", member["id"])["token"]
    # The command is another process as far as the server is concerned (its own store, its own
    # authentication cache, kept here for a minute): the file's identity signal makes the server
    # see each change on its next request, with the token still in its cache.
    application = build(Settings(database=DatabaseUrl.parse(hours.db), auth_cache_seconds=60))
    try:
        with TestClient(create_app(application.services)) as client:
            auth = {"Authorization": f"Bearer {token}"}
            assert client.get("/me", headers=auth).status_code == 200
            deactivated = hours.json("users", "deactivate", member["id"])
            assert deactivated["deactivatedAt"].endswith("Z")
            assert client.get("/me", headers=auth).status_code == 401
            assert hours.json("users", "deactivate", member["id"]) == deactivated  # a second time: no change
            assert hours("users", "deactivate", member["id"]) == 0 and "deactivated since" in hours.stdout
            assert hours.json("users", "reactivate", member["id"])["deactivatedAt"] is None
            assert client.get("/me", headers=auth).status_code == 200
    finally:
        application.close()
    assert hours("users", "deactivate", demo["userId"]) == 1
    assert "active owner" in hours.error


def test_tokens_create_refuses_a_deactivated_user_and_mints_again_once_reactivated(
    hours: Run, demo: dict[str, str]
) -> None:
    member = hours.json(
        "users", "create", "--org", demo["orgId"], "--email", "m@example.com", "--role", "member"
    )
    hours.json("users", "deactivate", member["id"])
    assert hours("tokens", "create", "--user", member["id"]) == 2  # a wrong value, as any --user
    assert "--user: is a deactivated user" in hours.error and "reactivate them first" in hours.error
    assert "hsk_" not in hours.stdout
    assert hours.json("tokens", "list", "--user", member["id"]) == []  # nothing was minted
    hours.json("users", "reactivate", member["id"])
    assert hours.json("tokens", "create", "--user", member["id"])["token"].startswith("hsk_")


def test_the_operator_adds_users_past_the_plans_limit(hours: Run, demo: dict[str, str]) -> None:
    for n in range(3):  # bootstrap's demo is on the free plan, which holds 1 user over the API
        hours.json(
            "users", "create", "--org", demo["orgId"], "--email", f"u{n}@example.com", "--role", "member"
        )
    assert len(hours.json("users", "list", "--org", demo["orgId"])) == 4


# -- tokens ------------------------------------------------------------------------------------


def test_tokens_create_prints_the_token_once_with_prefix_and_expiry(hours: Run, demo: dict[str, str]) -> None:
    minted = hours.json("tokens", "create", "--user", demo["userId"], "--name", "ci", "--expires-in", "30d")
    assert list(minted) == ["token", "prefix", "expiresAt"]
    assert TOKEN_PATTERN.fullmatch(minted["token"])
    assert minted["token"].split("_")[2] == minted["prefix"]
    assert minted["expiresAt"].endswith("Z")
    forever = hours.json("tokens", "create", "--user", demo["userId"], "--expires-in", "never")
    assert forever["expiresAt"] is None


@pytest.mark.parametrize("lifetime", ["0d", "366d", "30", "1w", "P30D", "-1d", "soon"])
def test_tokens_create_rejects_lifetimes_outside_1d_to_365d(
    hours: Run, demo: dict[str, str], lifetime: str
) -> None:
    assert hours("tokens", "create", "--user", demo["userId"], f"--expires-in={lifetime}") == 2
    assert "1d to 365d" in hours.stderr


def test_tokens_list_shows_no_secrets(hours: Run, demo: dict[str, str]) -> None:
    minted = hours.json("tokens", "create", "--user", demo["userId"], "--name", "ci")
    listed = hours.json("tokens", "list", "--user", demo["userId"])
    assert [token["name"] for token in listed] == ["ci", "bootstrap"]
    assert set(listed[0]) == {"prefix", "name", "env", "createdAt", "expiresAt", "lastUsedAt", "revokedAt"}
    assert listed[0]["prefix"] == minted["prefix"] and listed[0]["revokedAt"] is None
    assert hours("tokens", "list", "--user", demo["userId"]) == 0
    for text in (json.dumps(listed), hours.stdout):
        assert minted["token"] not in text and demo["token"] not in text
        assert "hsk_" not in text


def test_tokens_revoke_marks_the_token_revoked(hours: Run, demo: dict[str, str]) -> None:
    prefix = demo["token"].split("_")[2]
    revoked = hours.json("tokens", "revoke", prefix)
    assert revoked["prefix"] == prefix and revoked["revokedAt"].endswith("Z")
    [listed] = hours.json("tokens", "list", "--user", demo["userId"])
    assert listed["revokedAt"] == revoked["revokedAt"]


def test_tokens_create_refuses_a_51st_active_token_naming_the_limit(hours: Run, demo: dict[str, str]) -> None:
    user = ["--user", demo["userId"]]
    for _ in range(49):  # and the bootstrap token: 50
        assert hours("tokens", "create", *user) == 0
    assert hours("tokens", "create", *user) == 1
    assert hours.error == (
        "error: A user may have at most 50 active tokens (not revoked and not expired), "
        "and this user has that many; revoke one to create another."
    )
    assert hours("tokens", "revoke", demo["token"].split("_")[2]) == 0
    assert hours("tokens", "create", *user) == 0


def test_tokens_revoke_needs_a_known_well_formed_prefix(hours: Run) -> None:
    assert hours("tokens", "revoke", "short") == 2
    assert "not a token prefix" in hours.stderr
    assert hours("tokens", "revoke", "AAAAAAAAAAAA") == 1
    assert hours.error.startswith(f"error: The token was not found in {hours.db}; ")


# -- the database URL --------------------------------------------------------------------------


def test_the_default_database_is_hours_db_in_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["orgs", "create", "--name", "Here"]) == 0
    assert (tmp_path / "hours.db").is_file()


def test_the_database_comes_from_hours_database_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOURS_DATABASE_URL", "sqlite:///from-env.db")
    assert main(["orgs", "create", "--name", "Env", "--json"]) == 0
    assert (tmp_path / "from-env.db").is_file() and not (tmp_path / "hours.db").exists()


def test_db_may_come_before_the_command(hours: Run) -> None:
    assert hours("--db", hours.db, "--json", "orgs", "create", "--name", "First", db=False) == 0
    assert json.loads(hours.stdout)["name"] == "First"
    assert [org["name"] for org in hours.json("orgs", "list")] == ["First"]


def test_an_unopenable_database_exits_1_with_a_message(hours: Run, tmp_path: Path) -> None:
    missing = f"sqlite:///{tmp_path / 'no' / 'such' / 'folder.db'}"
    assert hours("--db", missing, "orgs", "list", db=False) == 1
    assert hours.stderr.startswith("error: cannot open ") and "does not exist" in hours.stderr
    not_a_database = tmp_path / "notes.txt"
    not_a_database.write_text("these are not the tables you are looking for\n" * 100)
    assert hours("--db", f"sqlite:///{not_a_database}", "migrate", db=False) == 1
    assert hours.error.startswith("error: ") and "Traceback" not in hours.stderr


def test_an_unsupported_database_url_is_a_usage_error(hours: Run) -> None:
    assert hours("--db", "mysql://localhost/hours", "orgs", "list", db=False) == 2
    assert hours.stderr.startswith("error: unsupported database URL")


@pytest.mark.parametrize("tail", ["?mode=ro", "?", "#x", "?mode=ro&cache=shared#x", "?immutable=1"])
@pytest.mark.parametrize("given_by", ["--db", "HOURS_DATABASE_URL"])
def test_a_sqlite_url_with_a_query_or_fragment_is_a_usage_error_and_creates_no_file(
    hours: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tail: str, given_by: str
) -> None:
    folder = tmp_path / "x"
    folder.mkdir()
    url = f"sqlite:///{folder / 'h.db'}{tail}"
    if given_by == "--db":
        code = hours("--db", url, "orgs", "list", db=False)
    else:
        monkeypatch.setenv("HOURS_DATABASE_URL", url)
        code = hours("orgs", "list", db=False)

    assert code == 2
    assert hours.stdout == ""
    assert hours.stderr == (
        f"error: bad SQLite URL {url!r}: it takes no query string (?...) or fragment (#...), so no SQLite "
        "URI options such as mode=ro and no ? or # in the file name; use sqlite:///relative/path.db or "
        "sqlite:////absolute/path.db\n"
    )
    assert list(folder.iterdir()) == []


@pytest.mark.parametrize("name", ["h.db", "with space.db", "h%3Fmode=ro.db", "h;x=1.db"])
def test_a_sqlite_url_without_a_query_opens_the_file_it_names(hours: Run, tmp_path: Path, name: str) -> None:
    assert hours("--db", f"sqlite:///{tmp_path / name}", "orgs", "list", db=False) == 0
    assert (tmp_path / name).is_file()
    assert DatabaseUrl.parse(f"sqlite:///{tmp_path / name}").sqlite_path == tmp_path / name


# -- schema ------------------------------------------------------------------------------------


def test_schema_openapi_prints_the_document_without_a_database(hours: Run, tmp_path: Path) -> None:
    assert hours("schema", "openapi") == 0
    document = json.loads(hours.stdout)
    assert document["openapi"].startswith("3.")
    assert "/time-entries" in document["paths"]
    assert not (tmp_path / "hours.db").exists()


@pytest.mark.parametrize("command", ["openapi", "typescript"])
def test_schema_reads_no_database_setting(hours: Run, command: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """hours schema needs no database and says --db is ignored, yet refused a --db, a
    HOURS_DATABASE_URL or a HOURS_SQLITE_SYNCHRONOUS that could not work."""
    assert hours("schema", command, "--db", "bogus", db=False) == 0
    monkeypatch.setenv("HOURS_DATABASE_URL", "sqlite:///:memory:")
    monkeypatch.setenv("HOURS_SQLITE_SYNCHRONOUS", "off")
    monkeypatch.setenv("HOURS_PORT", "abc")
    assert hours("schema", command, db=False) == 0
    assert hours.stdout and hours.stderr == ""


def test_schema_typescript_prints_the_body_types(hours: Run) -> None:
    assert hours("schema", "typescript") == 0
    assert "export namespace HoursAPI {" in hours.stdout
    assert "projectId: string;" in hours.stdout
    plain = hours.stdout
    wrapped = hours.json("schema", "typescript")
    assert wrapped["typescript"].rstrip("\n") == plain.rstrip("\n")


def test_serve_on_a_port_in_use_says_so_before_starting(hours: Run) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code = hours("serve", "--port", str(port))
    assert code == 2
    assert f"cannot listen on http://127.0.0.1:{port}" in hours.error
    assert "--port" in hours.error
    assert "listening" not in hours.stderr


# -- passwords for the web app -----------------------------------------------------------------


def _signs_in(hours: Run, email: str, password: str) -> bool:
    application = build(Settings(database=DatabaseUrl.parse(hours.db)))
    try:
        application.services.sign_in.sign_in(email, password)
    except Exception:
        return False
    finally:
        application.close()
    return True


def test_bootstrap_prints_a_first_password_that_signs_the_owner_in(hours: Run) -> None:
    made = hours.json("bootstrap", "--email", "ada@acme.test")
    assert len(made["password"]) == 20
    assert _signs_in(hours, "ada@acme.test", made["password"])
    assert hours("bootstrap", "--email", "bo@acme.test") == 0
    assert "Password for bo@acme.test to sign in to the web app at http://127.0.0.1:8000/" in hours.stdout


@pytest.mark.parametrize(("host", "url"), [("0.0.0.0", "http://127.0.0.1:8001"), ("::", "http://[::1]:8001")])
def test_bootstrap_on_a_wildcard_host_sends_the_reader_to_the_loopback_address(
    hours: Run, monkeypatch: pytest.MonkeyPatch, host: str, url: str
) -> None:
    """A server told to listen on every address (0.0.0.0, ::) is opened at the loopback address:
    http://0.0.0.0:8001/ names no host to connect to, and the web app's cookies work over plain HTTP
    to a loopback host only, so the sign-in the summary points to failed there."""
    monkeypatch.setenv("HOURS_HOST", host)
    monkeypatch.setenv("HOURS_PORT", "8001")
    assert hours("bootstrap") == 0
    assert f"sign in to the web app at {url}/ (shown only now;" in hours.stdout
    assert f"curl -sS -i -X POST {url}/time-entries" in hours.stdout
    assert f"API docs: {url}/schema" in hours.stdout
    assert f"--host {host} --port 8001" in hours.stdout  # the server still listens where it was told


def test_users_set_password_reads_stdin_and_ends_the_old_password(
    hours: Run, demo: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("a new long password\n"))
    assert hours.json("users", "set-password", demo["userId"]) == {"userId": demo["userId"]}
    assert _signs_in(hours, "owner@example.com", "a new long password")
    assert not _signs_in(hours, "owner@example.com", demo["password"])


def test_users_set_password_generates_one_on_request(hours: Run, demo: dict[str, str]) -> None:
    made = hours.json("users", "set-password", "--user", demo["userId"], "--generate")
    assert list(made) == ["userId", "password"]
    assert _signs_in(hours, "owner@example.com", made["password"])


def test_users_set_password_refuses_a_short_one_and_an_unknown_user(
    hours: Run, demo: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert hours("users", "set-password", demo["userId"]) == 2
    assert hours.error == "error: the new password must be at least 10 characters (got 5)"
    assert hours("users", "set-password", UNKNOWN_ID, "--generate") == 1


@pytest.mark.parametrize("stdin", ["bytes", "text"])
def test_users_set_password_without_a_terminal_or_a_line_on_stdin_says_how_to_give_one(
    hours: Run, demo: dict[str, str], monkeypatch: pytest.MonkeyPatch, stdin: str
) -> None:
    """Run where stdin is no terminal and holds nothing (docker exec without -t, ssh host cmd, a
    script), it said "the new password must be at least 10 characters (got 0)": nobody was asked."""
    import io

    empty = io.TextIOWrapper(io.BytesIO(b"")) if stdin == "bytes" else io.StringIO("")
    monkeypatch.setattr("sys.stdin", empty)
    assert hours("users", "set-password", demo["userId"]) == 2
    assert hours.error.startswith(
        "error: no password on standard input, which is not a terminal (so nothing was asked): "
    )
    assert "--generate" in hours.error
    assert "got 0" not in hours.error
    assert _signs_in(hours, "owner@example.com", demo["password"])


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            b"\xff\xfeabcdefghijkl\n",
            "the new password is not UTF-8 text (byte 0xff at position 1); nothing was stored",
        ),
        (
            b"abcdefghij\xed\xa0\x80\n",
            "the new password is not UTF-8 text (byte 0xed at position 11); nothing was stored",
        ),
    ],
)
def test_users_set_password_refuses_a_line_that_is_not_utf8_and_keeps_the_old_one(
    hours: Run, demo: dict[str, str], monkeypatch: pytest.MonkeyPatch, line: bytes, message: str
) -> None:
    import io

    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(line), errors="surrogateescape"))
    assert hours("users", "set-password", demo["userId"]) == 2
    assert hours.error == f"error: {message}"
    assert _signs_in(hours, "owner@example.com", demo["password"])


def test_users_set_password_refuses_a_lone_surrogate_however_it_was_read(
    hours: Run, demo: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("abcdefghij\udcff\n"))  # text, no bytes beneath
    assert hours("users", "set-password", demo["userId"]) == 2
    assert hours.error == (
        "error: the new password contains the lone surrogate U+DCFF at position 11, "
        "which is not a character (was the text valid UTF-8?)"
    )
    assert _signs_in(hours, "owner@example.com", demo["password"])


@pytest.mark.parametrize(
    ("command", "option"),
    [
        (("orgs", "create", "--name", "Caf\udce9"), "--name"),
        (("projects", "create", "--org", "{orgId}", "--name", "bad\udcffname"), "--name"),
        (("tokens", "create", "--user", "{userId}", "--name", "t\udcff"), "--name"),
    ],
)
def test_a_name_that_was_not_utf_8_is_refused_naming_its_option_not_a_traceback(
    hours: Run, demo: dict[str, str], command: tuple[str, ...], option: str
) -> None:
    """A Latin-1 terminal's ``Caf\xe9`` reaches Python as ``Caf\udce9`` (``surrogateescape``). On
    SQLite it ended in a ``UnicodeEncodeError`` traceback; on PostgreSQL in an error naming the
    wrong option; in memory it was stored. The core's text rule refuses it before any store."""
    before = hours.json("orgs", "list")
    assert hours(*(part.format(**demo) for part in command)) == 2
    assert "Traceback" not in hours.stderr
    position = next(index for index, char in enumerate(command[-1]) if "\ud800" <= char <= "\udfff") + 1
    assert hours.error == (
        f"error: {option}: contains the lone surrogate U+{ord(command[-1][position - 1]):04X} at position "
        f"{position}, which is not a character (was the text valid UTF-8?)"
    )
    assert hours.json("orgs", "list") == before


# -- events ------------------------------------------------------------------------------------


def test_events_purge_deletes_nothing_younger_than_the_retention_and_says_how_many(
    hours: Run, demo: dict[str, str]
) -> None:
    assert hours.json("events", "purge") == {"purged": 0}
    assert hours("events", "purge") == 0
    assert hours.stdout.strip() == "Purged 0 events older than 90 days."


@pytest.mark.parametrize(
    ("gone", "said"), [(0, "Purged 0 events"), (1, "Purged 1 event"), (2, "Purged 2 events")]
)
def test_events_purge_says_one_event_in_the_singular(
    hours: Run, demo: dict[str, str], monkeypatch: pytest.MonkeyPatch, gone: int, said: str
) -> None:
    """It said "Purged 1 events older than 90 days."."""
    from hours_core.services.audit import EventService

    monkeypatch.setattr(EventService, "purge_expired", lambda self: gone)
    assert hours("events", "purge") == 0
    assert hours.stdout.strip() == f"{said} older than 90 days."


def test_the_operators_changes_are_events_via_the_cli(hours: Run, demo: dict[str, str]) -> None:
    hours("orgs", "set-plan", demo["orgId"], "studio")
    application = build(Settings(database=DatabaseUrl.parse(hours.db)))
    try:
        with TestClient(create_app(application.services)) as client:
            page = client.get("/changes", headers={"Authorization": f"Bearer {demo['token']}"}).json()
    finally:
        application.close()
    last = page["data"][-1]
    assert last["type"] == "org.updated"
    assert last["actor"] == {"userId": None, "tokenPrefix": None, "via": "cli"}
    assert last["changes"]["plan"]["to"] == "studio"


@pytest.mark.parametrize(
    ("command", "listed"),
    [([], ["serve", "bootstrap", "migrate", "tokens"]), (["tokens"], ["create", "list", "revoke"])],
    ids=["hours", "hours tokens"],
)
def test_no_command_prints_the_help_of_what_was_typed_and_is_a_usage_error(
    command: list[str], listed: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """`hours` alone printed argparse's 'the following arguments are required: COMMAND' and a bare
    usage line: a new user learned neither what the commands are nor how to start."""
    assert main(command) == 2
    out, err = capsys.readouterr()
    assert out == ""  # stdout holds results; a usage error prints none
    assert "required: COMMAND" not in err
    assert "examples:" in err
    for name in listed:
        assert re.search(rf"^\s+{name}\s", err, re.MULTILINE), err
    assert err.rstrip().splitlines()[-1] == (
        f"error: no command given: pick one of the commands above (hours {' '.join(command)} COMMAND "
        "--help explains each)".replace("hours  ", "hours ")
    )
