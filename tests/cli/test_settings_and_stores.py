"""Bad settings and stores the CLI cannot use: one clear line and the documented exit status, never
a traceback; which database a command really opened; ``hours --help`` lists what the CLI reads and
every exit status it uses."""

from __future__ import annotations

import os
import re
import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

import pytest

from hours_app import composition
from hours_app.cli import EXIT_STATUSES, main
from hours_app.composition import StoreUnavailable, open_store
from hours_app.settings import ENVIRONMENT, SQLITE_SYNCHRONOUS_LEVELS, DatabaseUrl, Settings, SettingsError
from hours_sqlite.connection import SYNCHRONOUS_LEVELS
from tests.postgres_url import new_schema_name, require_postgres, url_with_search_path


@pytest.fixture(autouse=True)
def _no_hours_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in ENVIRONMENT:
        monkeypatch.delenv(variable.name, raising=False)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# -- HOURS_SQLITE_SYNCHRONOUS --------------------------------------------------------------------


@pytest.mark.parametrize("command", [["orgs", "list"], ["migrate"], ["serve", "--port", "0"]])
def test_a_bad_sqlite_synchronous_level_is_a_usage_error_that_names_the_variable(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path, command: list[str]
) -> None:
    monkeypatch.setenv("HOURS_SQLITE_SYNCHRONOUS", "off")
    code, out, err = run(capsys, "--db", f"sqlite:///{tmp_path / 'h.db'}", *command)
    assert (code, out) == (2, "")
    assert err == "error: HOURS_SQLITE_SYNCHRONOUS must be full or normal, got 'off'\n"
    assert list(tmp_path.iterdir()) == []


def test_the_sqlite_synchronous_level_is_read_in_any_case() -> None:
    settings = Settings.from_env({"HOURS_SQLITE_SYNCHRONOUS": " NORMAL"})
    assert settings.sqlite_synchronous == "normal"


def test_the_settings_accept_the_synchronous_levels_the_sqlite_adapter_takes() -> None:
    assert SQLITE_SYNCHRONOUS_LEVELS == SYNCHRONOUS_LEVELS


# -- sqlite:///:memory: ------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["sqlite:///:memory:", "SQLITE:///:memory:"])
def test_an_in_memory_sqlite_database_is_refused_with_the_reason_and_what_to_use(
    capsys: pytest.CaptureFixture[str], url: str
) -> None:
    code, out, err = run(capsys, "--db", url, "orgs", "list")
    assert (code, out) == (2, "")
    assert err.count("\n") == 1
    assert err.startswith(f"error: bad SQLite URL {url!r}: hours needs a database file")
    assert "WAL" in err
    assert "several connections" in err
    assert "sqlite:////absolute/path.db" in err


def test_a_store_that_refuses_wal_mode_is_a_clear_error_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from hours_sqlite import SqliteStore

    def refuse(*_args: object, **_kwargs: object) -> SqliteStore:
        raise RuntimeError("SQLite refused WAL mode for x.db (journal_mode=delete)")

    monkeypatch.setattr(SqliteStore, "open", refuse)
    with pytest.raises(StoreUnavailable, match="refused WAL mode"):
        open_store(DatabaseUrl.parse(f"sqlite:///{tmp_path / 'x.db'}"), Settings())


# -- HOURS_ENV -------------------------------------------------------------------------------


def test_a_bad_hours_env_names_the_variable_and_the_flag(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("HOURS_ENV", "BAD")
    code, out, err = run(capsys, "--db", f"sqlite:///{tmp_path / 'h.db'}", "bootstrap")
    assert (code, out) == (2, "")
    assert err == (
        "error: HOURS_ENV / --env must be 2 to 16 lowercase letters or digits, starting with a letter "
        "(e.g. live, test, staging2), got 'BAD'\n"
    )


# -- a SQLite database hours cannot write ----------------------------------------------------


def test_a_folder_that_cannot_be_written_is_named_as_the_cause(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    database = folder / "h.db"
    real_access = os.access

    def access(path: object, mode: int, **kwargs: object) -> bool:
        """As for a user who owns h.db but not its folder (root may write anywhere)."""
        if Path(str(path)) == folder and mode & os.W_OK:
            return False
        return real_access(path, mode)  # type: ignore[arg-type]

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise sqlite3.OperationalError("attempt to write a readonly database")

    from hours_sqlite import SqliteStore

    monkeypatch.setattr(composition.os, "access", access)
    monkeypatch.setattr(SqliteStore, "open", refuse)
    code, out, err = run(capsys, "--db", f"sqlite:///{database}", "orgs", "list")
    assert (code, out) == (1, "")
    assert err == (
        f"error: cannot open the SQLite database {database}: the folder {folder} is not writable by this "
        "user, and SQLite must create h.db-wal and h.db-shm beside the database (WAL mode): let this "
        "user write to the folder, or move the database to a folder it can write\n"
    )


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes any folder")
def test_a_read_only_folder_is_named_as_the_cause_for_real(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    database = folder / "h.db"
    sqlite3.connect(database).close()
    folder.chmod(0o555)
    try:
        code, _out, err = run(capsys, "--db", f"sqlite:///{database}", "orgs", "list")
    finally:
        folder.chmod(0o755)
    assert code == 1
    assert f"the folder {folder} is not writable" in err


def test_other_sqlite_errors_keep_their_own_reason(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    database = tmp_path / "h.db"
    database.write_text("not a database, but plain text long enough to be looked at " * 20)
    code, _out, err = run(capsys, "--db", f"sqlite:///{database}", "orgs", "list")
    assert code == 1
    assert err.startswith(f"error: cannot open the SQLite database {database}: file is not a database")


def _disk_full(self: object, *, stop_before: str | None = None) -> list[str]:
    """What SQLite raises when the disk fills up (a page limit stands in for the disk)."""
    with closing(sqlite3.connect(":memory:")) as small:
        small.execute("PRAGMA max_page_count = 1")
        small.execute("CREATE TABLE filled (text TEXT)")
        small.execute("INSERT INTO filled VALUES (?)", ["x" * 10_000])
    raise AssertionError("the page limit let the row in")


@pytest.mark.parametrize("command", [["migrate"], ["orgs", "list"]])
def test_a_migration_that_fills_the_disk_says_so_and_that_nothing_changed(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    command: list[str],
) -> None:
    """It said 'cannot open the SQLite database ...: database or disk is full': the file opened,
    and a migration (0028 copies every event) ran out of disk."""
    from hours_sqlite import SqliteStore

    database = tmp_path / "h.db"
    with SqliteStore.open(database) as store:
        store.migrate(stop_before="0028_events_with_rowid")
        pending = store.pending_migrations()
    monkeypatch.setattr(SqliteStore, "migrate", _disk_full)

    code, _out, err = run(capsys, "--db", f"sqlite:///{database}", *command)

    assert code == 1
    assert err == (
        f"error: cannot migrate the SQLite database {database} ({', '.join(pending)}): the disk is full "
        "(database or disk is full); nothing was changed (the migrations roll back together): free "
        'disk space beside the database (docs/operations.md, "Migrations and upgrades", says how much) '
        "and run it again\n"
    )


@pytest.mark.parametrize(
    ("schema", "named"),
    [
        (["CREATE TABLE notes (id INTEGER PRIMARY KEY, name TEXT)"], "the table notes"),
        (
            [
                "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)",
                "CREATE TABLE projects (id INTEGER PRIMARY KEY, name TEXT)",
            ],
            "the tables projects, users",
        ),
        # a view is another application's too: it was migrated (or failed on CREATE TABLE users)
        (["CREATE VIEW users AS SELECT 1 AS id"], "the view users"),
        (
            ["CREATE TABLE notes (id INTEGER PRIMARY KEY)", "CREATE VIEW recent AS SELECT id FROM notes"],
            "the table notes and the view recent",
        ),
    ],
    ids=["table", "tables", "view", "table-and-view"],
)
def test_a_sqlite_database_of_another_application_is_refused_and_left_as_it_was(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, schema: list[str], named: str
) -> None:
    database = tmp_path / "other.db"
    with sqlite3.connect(database) as conn:
        for statement in schema:
            conn.execute(statement)
        before = conn.execute("SELECT type, name FROM sqlite_master ORDER BY name").fetchall()
    conn.close()
    code, out, err = run(capsys, "--db", f"sqlite:///{database}", "migrate")
    assert (code, out) == (1, "")
    assert err == (
        f"error: cannot open the SQLite database {database}: it is not an hours database (it has "
        f"{named}, and no hours migration ran on it): hours adds its tables "
        "only to a new or empty database or one of its own; point --db (or HOURS_DATABASE_URL) at "
        "one of those\n"
    )
    with sqlite3.connect(database) as conn:
        left = conn.execute("SELECT type, name FROM sqlite_master ORDER BY name").fetchall()
        journal = conn.execute("PRAGMA journal_mode").fetchone()[0]
    conn.close()
    assert left == before
    assert journal == "delete"  # not turned to WAL mode (which lasts in the file) before the refusal
    assert sorted(path.name for path in tmp_path.iterdir()) == ["other.db"]


def test_an_empty_sqlite_file_becomes_an_hours_database(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    database = tmp_path / "empty.db"
    sqlite3.connect(database).close()
    code, out, _err = run(capsys, "--db", f"sqlite:///{database}", "migrate")
    assert code == 0
    assert "0001_initial" in out


def test_a_read_runs_while_another_process_holds_the_write_lock(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A migrated database is opened without its write lock: ``hours orgs list`` reads while
    another connection writes (WAL), where it used to wait out the busy timeout and fail with
    "cannot open the SQLite database ...: database is locked"."""
    url = f"sqlite:///{tmp_path / 'hours.db'}"
    assert run(capsys, "--db", url, "bootstrap", "--org-name", "Acme", "--json")[0] == 0
    with closing(sqlite3.connect(tmp_path / "hours.db", isolation_level=None)) as writer:
        writer.execute("BEGIN IMMEDIATE")
        code, out, err = run(capsys, "--db", url, "orgs", "list")
        writer.execute("ROLLBACK")
    assert (code, err) == (0, "")
    assert "Acme" in out


# -- PostgreSQL: which database, and why it refused -------------------------------------------


@pytest.mark.parametrize(
    "url", ["postgresql://", "postgresql://postgres@127.0.0.1:5432", "postgres://u:secret@db.internal/"]
)
def test_a_postgresql_url_without_a_database_is_refused_before_anything_connects(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    for variable in ("PGDATABASE", "PGSERVICE"):
        monkeypatch.delenv(variable, raising=False)
    code, out, err = run(capsys, "--db", url, "orgs", "list")
    assert (code, out) == (2, "")
    assert "names no database" in err
    assert "postgresql://user@host:5432/dbname (or set PGDATABASE)" in err
    assert "secret" not in err


@pytest.mark.parametrize(
    ("url", "environ"),
    [
        ("postgresql://h/hours", {}),
        ("postgresql://h?dbname=hours", {}),
        ("postgresql://h", {"PGDATABASE": "hours"}),
        ("postgresql://?service=hours", {}),
    ],
)
def test_a_postgresql_url_may_name_its_database_in_any_way_libpq_takes(
    url: str, environ: dict[str, str]
) -> None:
    assert DatabaseUrl.parse(url, environ).scheme == "postgresql"


def test_the_environment_url_is_checked_with_the_same_environment() -> None:
    with pytest.raises(SettingsError, match="names no database"):
        Settings.from_env({"HOURS_DATABASE_URL": "postgresql://h"})
    settings = Settings.from_env({"HOURS_DATABASE_URL": "postgresql://h", "PGDATABASE": "hours"})
    assert settings.database.url == "postgresql://h"


def test_the_db_flag_leaves_hours_database_url_unread(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A variable whose flag is given is not read: a stale HOURS_DATABASE_URL in the environment
    stopped hours --db URL migrate, though the command never opens it."""
    monkeypatch.setenv("HOURS_DATABASE_URL", "mysql://elsewhere/hours")
    db = tmp_path / "h.db"
    code, _, err = run(capsys, "--db", f"sqlite:///{db}", "migrate")
    assert (code, err) == (0, "") and db.exists()
    settings = Settings.from_env({"HOURS_DATABASE_URL": "postgresql://h"}, database=f"sqlite:///{db}")
    assert settings.database.url == f"sqlite:///{db}"


def test_the_store_description_says_which_postgresql_database_libpq_chose() -> None:
    from hours_postgres import PostgresStore

    url = require_postgres()
    schema = new_schema_name("cli")
    created = PostgresStore.open(url, schema=schema)  # creates the schema, no table
    try:
        opened = open_store(DatabaseUrl.parse(url_with_search_path(url, schema)), Settings(), migrate=False)
        opened.close()
    finally:
        created.drop_schema()
        created.close()
    description = opened.description
    assert re.fullmatch(
        rf"PostgreSQL database \S+ on \S+:\d+ as \S+, schema {schema} \(postgresql://.*\)", description
    ), description
    password = urlsplit(url).password
    assert not password or password not in description


@pytest.mark.parametrize(
    ("relations", "named", "tables_left"),
    [
        ("CREATE TABLE {schema}.users (id integer PRIMARY KEY, name text)", "a table users", ["users"]),
        # an index is no table, but its name is taken all the same (information_schema missed it)
        (
            "CREATE TABLE {schema}.widgets (id integer); CREATE INDEX users ON {schema}.widgets (id)",
            "an index users",
            ["widgets"],
        ),
        ("CREATE VIEW {schema}.projects AS SELECT 1 AS id", "a view projects", ["projects"]),
        ("CREATE SEQUENCE {schema}.api_tokens", "a sequence api_tokens", []),
        (
            "CREATE MATERIALIZED VIEW {schema}.tasks AS SELECT 1 AS id; CREATE TABLE {schema}.users (id integer)",
            "a materialized view tasks and a table users",
            ["users"],
        ),
    ],
    ids=["table", "index", "view", "sequence", "several"],
)
def test_a_postgresql_schema_with_a_relation_of_an_hours_name_is_refused_naming_its_kind(
    capsys: pytest.CaptureFixture[str], relations: str, named: str, tables_left: list[str]
) -> None:
    import psycopg

    from hours_postgres import PostgresStore

    url = require_postgres()
    schema = new_schema_name("cli")
    created = PostgresStore.open(url, schema=schema)  # creates the schema, no table
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(relations.format(schema=schema))  # type: ignore[arg-type]
        code, out, err = run(capsys, "--db", url_with_search_path(url, schema), "migrate")
        with psycopg.connect(url, autocommit=True) as conn:
            rows = conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (schema,)
            ).fetchall()
    finally:
        created.drop_schema()
        created.close()
    assert (code, out) == (1, "")
    assert err.count("\n") == 1
    assert err.startswith("error: cannot open PostgreSQL database ")
    assert err.endswith(
        f": schema {schema} is not an hours schema: it has {named} of its own, and no hours "
        "migration ran on it; give hours a schema of its own (?options=-csearch_path%3Dhours in the URL) "
        "or a database of its own\n"
    )
    assert sorted(row[0] for row in rows) == tables_left


def test_a_postgresql_schema_that_does_not_exist_is_named_with_how_to_make_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The error said '(create it, or open the store with schema=...)': an argument of the
    adapter's Python API that no command takes, and it named no schema."""
    url = require_postgres()
    schema = new_schema_name("missing")  # never created
    code, out, err = run(capsys, "--db", url_with_search_path(url, schema), "migrate")
    assert (code, out) == (1, "")
    assert err.startswith("error: cannot open PostgreSQL database ")
    assert err.endswith(
        f": no schema to create the tables in: no schema of the search_path ({schema}) exists; create "
        "it (CREATE SCHEMA name, by a user who may), or name an existing one in the URL "
        "(?options=-csearch_path%3Dname)\n"
    )


@pytest.mark.parametrize(
    ("reason", "expected"),
    [
        (
            'connection failed: connection to server at "127.0.0.1", port 5432 failed: FATAL:  password '
            'authentication failed for user "hours"',
            "error: PostgreSQL at postgresql://hours:***@127.0.0.1:5432/hours refused the credentials",
        ),
        (
            'connection failed: connection to server at "127.0.0.1", port 5432 failed: fe_sendauth: no '
            "password supplied",
            "error: PostgreSQL at postgresql://hours:***@127.0.0.1:5432/hours refused the credentials",
        ),
        (
            'connection failed: connection to server at "127.0.0.1", port 5432 failed: FATAL:  database '
            '"hours" does not exist',
            "error: PostgreSQL at postgresql://hours:***@127.0.0.1:5432/hours refused the connection",
        ),
        (
            'connection failed: connection to server at "127.0.0.1", port 5432 failed: Connection refused\n'
            "\tIs the server running on that host and accepting TCP/IP connections?",
            "error: cannot reach PostgreSQL at postgresql://hours:***@127.0.0.1:5432/hours",
        ),
    ],
)
def test_a_refused_postgresql_connection_says_whether_the_server_was_reached(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, reason: str, expected: str
) -> None:
    import psycopg

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise psycopg.OperationalError(reason)

    monkeypatch.setattr(psycopg, "connect", refuse)
    code, out, err = run(capsys, "--db", "postgresql://hours:secret@127.0.0.1:5432/hours", "orgs", "list")
    assert (code, out) == (1, "")
    assert err.startswith(expected), err
    assert err.count("\n") == 1
    assert "secret" not in err


# -- hours --help ----------------------------------------------------------------------------


def test_the_help_lists_every_environment_variable_the_settings_read(
    capsys: pytest.CaptureFixture[str],
) -> None:
    _code, help_text, _err = run(capsys, "--help")
    settings_source = (Path(__file__).parents[2] / "entrypoints/hours_app/settings.py").read_text()
    read = set(re.findall(r"\bHOURS_[A-Z_]+[A-Z]\b", settings_source))
    listed = set(re.findall(r"^  (HOURS_[A-Z_]+)", help_text, re.MULTILINE))
    assert read == listed == {variable.name for variable in ENVIRONMENT}


def test_the_help_lists_every_exit_status(capsys: pytest.CaptureFixture[str]) -> None:
    _code, help_text, _err = run(capsys, "--help")
    section = help_text.split("exit status:\n", 1)[1]
    listed = [int(code) for code in re.findall(r"^  (\d+)  ", section, re.MULTILINE)]
    assert listed == [code for code, _text in EXIT_STATUSES]
    assert {0, 1, 2, 3, 130} <= set(listed)


def test_the_help_says_serve_and_worker_stop_with_status_0_on_ctrl_c(
    capsys: pytest.CaptureFixture[str],
) -> None:
    _code, help_text, _err = run(capsys, "--help")
    statuses = dict(
        re.findall(r"^  (\d+) +(.*(?:\n {7}.*)*)", help_text.split("exit status:\n", 1)[1], re.MULTILINE)
    )
    assert "hours serve and hours worker stopped by Ctrl-C or SIGTERM" in " ".join(statuses["0"].split())
    assert "not hours serve or hours worker" in " ".join(statuses["130"].split())


def _io_error(code: int, name: str) -> Callable[..., Any]:
    """A stand-in for ``SqliteStore.open`` that fails as SQLite does with the I/O error ``name``."""

    def failing(*_args: object, **_kwargs: object) -> Any:
        error = sqlite3.OperationalError("disk I/O error")
        error.sqlite_errorcode = code  # type: ignore[attr-defined]
        error.sqlite_errorname = name  # type: ignore[attr-defined]
        raise error

    return failing


def test_a_database_on_a_full_disk_that_cannot_be_opened_says_the_disk_is_full(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It said 'cannot open the SQLite database ...: disk I/O error': with no byte free, SQLite
    cannot grow the -shm file it creates beside the database (SQLITE_IOERR_SHMSIZE), as a server
    restarted on a disk that filled up found."""
    from hours_sqlite import SqliteStore

    database = tmp_path / "h.db"
    with SqliteStore.open(database) as store:
        store.migrate()

    monkeypatch.setattr(SqliteStore, "open", _io_error(4874, "SQLITE_IOERR_SHMSIZE"))
    monkeypatch.setattr(
        composition.shutil, "disk_usage", lambda _folder: SimpleNamespace(total=100, used=100, free=0)
    )

    code, _out, err = run(capsys, "--db", f"sqlite:///{database}", "orgs", "list")

    assert code == 1
    assert err == (
        f"error: cannot open the SQLite database {database}: the disk holding {tmp_path} is full (0 bytes "
        "free; SQLite said: disk I/O error): SQLite writes h.db-wal and h.db-shm beside the database as "
        "it opens it: free disk space there and run it again\n"
    )


def test_an_io_error_with_room_on_the_disk_keeps_sqlite_s_reason(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hours_sqlite import SqliteStore

    monkeypatch.setattr(SqliteStore, "open", _io_error(10, "SQLITE_IOERR"))

    code, _out, err = run(capsys, "--db", f"sqlite:///{tmp_path / 'h.db'}", "orgs", "list")

    assert code == 1
    assert err == f"error: cannot open the SQLite database {tmp_path / 'h.db'}: disk I/O error\n"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://ada:s3cret@db:5432/hours", "postgresql://ada:***@db:5432/hours"),
        ("postgresql://ada@db/hours?password=s3cret", "postgresql://ada@db/hours?password=***"),
        (
            "postgresql://db/hours?sslmode=require&PASSWORD=s3cret&sslpassword=k3y&application_name=x",
            "postgresql://db/hours?sslmode=require&PASSWORD=***&sslpassword=***&application_name=x",
        ),
        ("postgresql://db/hours?pass%77ord=s3cret", "postgresql://db/hours?pass%77ord=***"),
        ("postgresql://ada@db/hours?sslmode=require", "postgresql://ada@db/hours?sslmode=require"),
        ("postgresql:///hours?password=s3cret", "postgresql:///hours?password=***"),
        (
            "postgresql:///hours?host=/var/run/postgresql&password=s3cret#x",
            "postgresql:///hours?host=/var/run/postgresql&password=***#x",
        ),
        ("postgresql://ada:s3cret@/hours", "postgresql://ada:***@/hours"),
    ],
)
def test_a_database_url_is_shown_without_any_password_it_carries(url: str, shown: str) -> None:
    """libpq takes a password in the query string too (``?password=``): the startup line, ``hours
    migrate`` and every connection error showed it in clear, while ``user:password@`` was masked."""
    assert DatabaseUrl.parse(url).redacted() == shown


def test_an_unsupported_url_is_refused_without_its_password() -> None:
    with pytest.raises(SettingsError) as refused:
        DatabaseUrl.parse("mysql://ada:s3cret@db/hours?password=other")
    assert "s3cret" not in str(refused.value) and "other" not in str(refused.value)
    assert "mysql://ada:***@db/hours?password=***" in str(refused.value)


@pytest.mark.parametrize("url", ["sqlite:////tmp/hours.db", "sqlite:///hours.db", "postgresql:///hours"])
def test_a_url_without_a_password_is_shown_as_written(url: str) -> None:
    assert DatabaseUrl.parse(url).redacted() == url


def test_a_bad_sqlite_url_is_refused_without_its_password() -> None:
    for url in ("sqlite://ada:s3cret@host/x.db", "sqlite:///h.db?password=s3cret"):
        with pytest.raises(SettingsError) as refused:
            DatabaseUrl.parse(url)
        assert "s3cret" not in str(refused.value), refused.value
