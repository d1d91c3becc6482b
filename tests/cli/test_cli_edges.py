"""Edges of the ``hours`` commands: output that fails after something shown only once was made,
errors named by the right option, ``hours serve --json``'s errors as JSON lines, Ctrl-C during an
import, an XLSX export to a terminal, the import report's new tasks, and scripts/serve's summary."""

from __future__ import annotations

import contextlib
import io
import json
import os
import shlex
import shutil
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import pytest

from hours_app import cli_exchange
from hours_app.cli import main
from tests.exchange.odd_files import HARVEST_HEADER
from tests.server_support import clean_environment, hours_command

REPOSITORY = Path(__file__).parents[2]


@pytest.fixture(autouse=True)
def _no_hours_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [name for name in os.environ if name.startswith("HOURS_")]:
        monkeypatch.delenv(name)


@pytest.fixture
def db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'hours.db'}"


def hours(*argv: str, stdout: IO[bytes] | int = subprocess.PIPE) -> subprocess.CompletedProcess[bytes]:
    """``hours`` in a process of its own (so that its standard output can be /dev/full or a closed pipe)."""
    return subprocess.run(
        hours_command(*argv), stdout=stdout, stderr=subprocess.PIPE, env=clean_environment(), check=False
    )


def demo(db: str) -> dict[str, str]:
    made = hours("bootstrap", "--db", db, "--json")
    assert made.returncode == 0, made.stderr.decode()
    result: dict[str, str] = json.loads(made.stdout)
    return result


def tokens_of(db: str, user: str) -> list[dict[str, Any]]:
    listed = hours("tokens", "list", "--user", user, "--db", db)
    assert listed.returncode == 0, listed.stderr.decode()
    result: list[dict[str, Any]] = json.loads(listed.stdout)
    return result


@contextmanager
def closed_pipe() -> Iterator[int]:
    """The write end of a pipe nobody reads (as `hours ... | head -c0` once head has left)."""
    read, write = os.pipe()
    os.close(read)
    try:
        yield write
    finally:
        os.close(write)


# -- something shown only once, and an output that fails ---------------------------------------


@pytest.mark.parametrize("json_output", [True, False])
@pytest.mark.parametrize("output", ["/dev/full", "closed pipe"])
def test_a_token_that_cannot_be_printed_is_named_with_how_to_revoke_it(
    db: str, json_output: bool, output: str
) -> None:
    user = demo(db)["userId"]
    argv = ["tokens", "create", "--user", user, "--db", db, *(["--json"] if json_output else [])]
    if output == "/dev/full":
        with open(os.devnull.replace("null", "full"), "wb") as full:
            created = hours(*argv, stdout=full)
    else:
        with closed_pipe() as write:
            created = hours(*argv, stdout=write)

    tokens = tokens_of(db, user)
    assert len(tokens) == 2  # bootstrap's, and the one that was not shown
    prefix = tokens[0]["prefix"]
    err = created.stderr.decode()
    assert created.returncode == 1
    assert err.count("\n") == 1, err
    assert err.startswith("error: ")
    assert f"the token 'cli' (prefix {prefix}) for user {user} was created but not shown" in err
    assert f"`hours tokens revoke {prefix} --db {db}`" in err  # runs on this database as printed
    assert "Traceback" not in err


@pytest.mark.parametrize("json_output", [True, False])
def test_a_bootstrap_that_cannot_be_printed_says_what_it_made_and_how_to_replace_its_secrets(
    db: str, json_output: bool
) -> None:
    with open("/dev/full", "wb") as full:
        made = hours("bootstrap", "--db", db, *(["--json"] if json_output else []), stdout=full)
    err = made.stderr.decode().splitlines()[-1]  # after the line of the migrations of a new file
    assert made.returncode == 1
    listed = hours("orgs", "list", "--db", db, "--json")
    org = json.loads(listed.stdout)[0]
    users = json.loads(hours("users", "list", org["id"], "--db", db, "--json").stdout)
    user = users[0]["id"]
    prefix = tokens_of(db, user)[0]["prefix"]
    assert (
        f"error: cannot write standard output: No space left on device; the organization {org['id']}" in err
    )
    assert f"`hours tokens revoke {prefix} --db {db}`" in err
    assert f"`hours tokens create --user {user} --db {db}`" in err
    assert f"`hours users set-password {user} --db {db}`" in err


def test_a_generated_password_that_cannot_be_printed_says_it_was_changed(db: str) -> None:
    user = demo(db)["userId"]
    with open("/dev/full", "wb") as full:
        changed = hours("users", "set-password", user, "--generate", "--db", db, stdout=full)
    err = changed.stderr.decode()
    assert changed.returncode == 1
    assert err == (
        f"error: cannot write standard output: No space left on device; the password of user {user} "
        f"was changed, but the new one was not shown: set another with `hours users set-password {user} "
        f"--db {db}`\n"
    )


# -- errors named by the option that sets the value --------------------------------------------


def test_a_blank_organization_name_of_bootstrap_is_named_org_name(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["bootstrap", "--org-name", " ", "--db", db]) == 2
    assert capsys.readouterr().err.splitlines()[-1] == "error: --org-name: must not be blank"


def test_a_blank_organization_name_of_orgs_create_is_still_named_name(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["orgs", "create", "--name", " ", "--db", db]) == 2
    assert capsys.readouterr().err.splitlines()[-1] == "error: --name: must not be blank"


# -- hours serve --json: its errors are JSON log lines too ---------------------------------------


def test_a_bad_setting_of_serve_with_json_is_one_json_log_line(
    db: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOURS_SQLITE_SYNCHRONOUS", "off")
    assert main(["--json", "serve", "--db", db, "--port", "0"]) == 2
    err = capsys.readouterr().err
    record = json.loads(err)
    assert (record["level"], record["logger"]) == ("error", "hours")
    assert record["message"] == "HOURS_SQLITE_SYNCHRONOUS must be full or normal, got 'off'"


def test_a_store_serve_cannot_open_with_json_is_a_json_log_line(tmp_path: Path) -> None:
    missing = tmp_path / "no" / "such" / "h.db"
    served = hours("serve", "--json", "--port", "0", "--db", f"sqlite:///{missing}")
    assert served.returncode == 1
    lines = served.stderr.decode().splitlines()
    record = json.loads(lines[-1])
    assert record["level"] == "error"
    assert "does not exist" in record["message"]
    assert all(json.loads(line) for line in lines)


def test_without_json_serve_errors_stay_text(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--db", db, "--port", "0", "--rate-limit", "lots"]) == 2
    assert capsys.readouterr().err.startswith("error: HOURS_RATE_LIMIT / --rate-limit: ")


# -- hours import: Ctrl-C, and the report's new tasks --------------------------------------------


def harvest(rows: list[str]) -> bytes:
    return (HARVEST_HEADER + "\n" + "\n".join(rows) + "\n").encode()


def org_of(db: str, capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["bootstrap", "--plan", "agency", "--db", db, "--json"]) == 0
    org: str = json.loads(capsys.readouterr().out)["orgId"]
    return org


def test_the_import_report_names_the_project_of_each_new_task(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    org = org_of(db, capsys)
    path = tmp_path / "harvest.csv"
    path.write_bytes(harvest(["2025-02-03,Acme,Website,Ops,a,1,No,,", "2025-02-03,Acme,Mobile,Ops,b,1,No,,"]))
    assert main(["import", "harvest", str(path), "--org", org, "--db", db]) == 0
    assert "  new tasks: Ops (Website), Ops (Mobile)\n" in capsys.readouterr().out


class InterruptedRead(io.RawIOBase):
    """A file whose reader is interrupted (Ctrl-C) after its first chunk."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)
        self._reads = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        self._reads += 1
        if self._reads > 1:
            raise KeyboardInterrupt
        return self._data.readinto(memoryview(buffer)[:64])


def test_ctrl_c_during_an_import_says_that_nothing_was_imported(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    org = org_of(db, capsys)
    data = harvest([f"2025-02-03,Acme,Website,Ops,row {number},1,No,," for number in range(200)])

    @contextmanager
    def interrupted(_name: str) -> Iterator[IO[bytes]]:
        yield io.BufferedReader(InterruptedRead(data), buffer_size=64)

    monkeypatch.setattr(cli_exchange, "_input", interrupted)
    assert main(["import", "harvest", "-", "--org", org, "--db", db]) == 130
    assert capsys.readouterr().err.splitlines()[-1] == (
        "interrupted: nothing was imported (the import is one transaction, rolled back)"
    )
    assert main(["export", "--org", org, "--db", db, "--format", "jsonl"]) == 0
    assert capsys.readouterr().out == ""


# -- SIGTERM and SIGHUP during hours export and hours import ---------------------------------------

STOPPED_MIDWAY = """
import sys, time
from hours_app import cli_exchange
from hours_app.cli import main
from hours_core.services import imports

def wait_for_a_signal(*_arguments, **_options):
    sys.stdout.write("ready\\n")
    sys.stdout.flush()
    while True:
        time.sleep(60)

if sys.argv[1] == "export":  # after the first chunk is written to FILE.partial
    cli_exchange.Progress.advance = wait_for_a_signal
else:  # in the import's write transaction, at its first batch
    imports._Run._take = wait_for_a_signal
sys.exit(main(sys.argv[2:]))
"""
"""``hours`` in a process of its own that stops half way through an export or an import, says
``ready`` and waits for a signal, so that the test sends it at a known point (no race, no sleep)."""

SIGNAL_PATIENCE_SECONDS = 120
"""A guard against a process that never ends (a hang), not a claim about how long anything takes."""


def stopped_midway(command: str, signum: signal.Signals, *argv: str) -> subprocess.CompletedProcess[bytes]:
    """Run ``hours command argv`` with :data:`STOPPED_MIDWAY`, send ``signum`` once it is half way, and
    return how it ended."""
    process = subprocess.Popen(
        [sys.executable, "-c", STOPPED_MIDWAY, command, command, *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=clean_environment(),
    )
    assert process.stdout is not None
    ready = process.stdout.readline()
    if ready == b"ready\n":
        process.send_signal(signum)
    out, err = process.communicate(timeout=SIGNAL_PATIENCE_SECONDS)
    assert ready == b"ready\n", err.decode()
    return subprocess.CompletedProcess(process.args, process.returncode, ready + out, err)


@pytest.mark.parametrize(
    ("signum", "status"), [(signal.SIGTERM, 143), (signal.SIGHUP, 129)], ids=["SIGTERM", "SIGHUP"]
)
def test_sigterm_or_sighup_during_an_export_leaves_no_partial_file_and_exits_128_plus_the_signal(
    db: str, tmp_path: Path, signum: signal.Signals, status: int
) -> None:
    org = demo(db)["orgId"]
    target = tmp_path / "entries.csv"

    ended = stopped_midway("export", signum, "--org", org, "--output", str(target), "--db", db)

    assert ended.returncode == status == 128 + signum, ended.stderr.decode()
    assert b"Traceback" not in ended.stderr
    assert sorted(path.name for path in tmp_path.iterdir() if path.name.startswith("entries")) == []


def test_sigterm_during_an_import_says_that_nothing_was_imported_and_stores_nothing(
    db: str, tmp_path: Path
) -> None:
    org = demo(db)["orgId"]
    path = tmp_path / "harvest.csv"
    path.write_bytes(harvest([f"2025-02-03,Acme,Website,Ops,row {number},1,No,," for number in range(20)]))

    ended = stopped_midway("import", signal.SIGTERM, "harvest", str(path), "--org", org, "--db", db)

    assert ended.returncode == 143, ended.stderr.decode()
    assert ended.stderr.decode().splitlines()[-1] == (
        "interrupted: nothing was imported (the import is one transaction, rolled back)"
    )
    with contextlib.closing(sqlite3.connect(db.removeprefix("sqlite:///"))) as connection:
        assert connection.execute("SELECT count(*) FROM imports").fetchone() == (0,)
        assert connection.execute("SELECT count(*) FROM projects WHERE name = 'Website'").fetchone() == (0,)


def test_the_signal_handlers_are_the_previous_ones_again_after_the_command(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    org = org_of(db, capsys)
    before = {signum: signal.getsignal(signum) for signum in (signal.SIGTERM, signal.SIGHUP)}
    target = tmp_path / "entries.csv"

    assert main(["export", "--org", org, "--output", str(target), "--db", db]) == 0
    assert main(["import", "harvest", str(target), "--org", org, "--db", db]) == 1  # not a Harvest file

    assert {signum: signal.getsignal(signum) for signum in before} == before


def test_a_sighup_the_process_ignores_stays_ignored_during_an_export(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``nohup hours export ...``: the hangup of the terminal does not stop it."""
    org = org_of(db, capsys)
    advance = cli_exchange.Progress.advance

    def hang_up(self: cli_exchange.Progress, size: int) -> None:
        os.kill(os.getpid(), signal.SIGHUP)
        advance(self, size)

    monkeypatch.setattr(cli_exchange.Progress, "advance", hang_up)
    previous = signal.signal(signal.SIGHUP, signal.SIG_IGN)
    try:
        assert main(["export", "--org", org, "--output", str(tmp_path / "entries.csv"), "--db", db]) == 0
        assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGHUP, previous)
    assert (tmp_path / "entries.csv").read_bytes().startswith(b"\xef\xbb\xbfid,")


# -- hours export --format xlsx to a terminal ----------------------------------------------------


def test_an_xlsx_export_to_a_terminal_is_refused_with_what_to_do(
    db: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    org = org_of(db, capsys)
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    assert main(["export", "--org", org, "--format", "xlsx", "--db", db]) == 2
    printed = capsys.readouterr()
    assert printed.out == ""
    assert printed.err == (
        "error: --format xlsx writes a binary file, not text for a terminal: give --output FILE.xlsx, "
        "or redirect standard output (> FILE.xlsx)\n"
    )


def test_a_csv_export_to_a_terminal_is_still_printed(
    db: str, capsysbinary: pytest.CaptureFixture[bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(["bootstrap", "--plan", "agency", "--db", db, "--json"]) == 0
    org = json.loads(capsysbinary.readouterr().out)["orgId"]
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    assert main(["export", "--org", org, "--format", "csv", "--db", db, "--no-bom"]) == 0
    assert capsysbinary.readouterr().out.startswith(b"id,entryDate,")


# -- the bootstrap summary and scripts/serve name the port the server will listen on ------------


def test_the_bootstrap_summary_starts_the_server_on_the_port_of_hours_port(
    db: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOURS_PORT", "18300")
    assert main(["bootstrap", "--db", db]) == 0
    out = capsys.readouterr().out
    assert f"  hours serve --db {db} --port 18300\n" in out
    assert "curl -sS -i -X POST http://127.0.0.1:18300/time-entries" in out


def scripts_serve_in(folder: Path) -> Path:
    """A copy of scripts/serve in ``folder``, with a .venv whose pip does nothing and whose ``hours``
    is this one, but for ``hours serve``, which prints the command it was given instead of serving."""
    (folder / "scripts").mkdir()
    shutil.copy(REPOSITORY / "scripts" / "serve", folder / "scripts" / "serve")
    bin_folder = folder / ".venv" / "bin"
    bin_folder.mkdir(parents=True)
    real_hours = shlex.join(hours_command())
    for name, body in (
        ("python", "exit 0"),
        ("hours", f'if [ "$1" = serve ]; then echo "hours $*"; else exec {real_hours} "$@"; fi'),
    ):
        (bin_folder / name).write_text(f"#!/bin/sh\n{body}\n")
        (bin_folder / name).chmod(0o755)
    return folder / "scripts" / "serve"


def run_scripts_serve(script: Path, *argv: str) -> str:
    ran = subprocess.run(
        ["bash", str(script), *argv], capture_output=True, text=True, env=clean_environment(), check=False
    )
    assert ran.returncode == 0, ran.stderr
    return ran.stdout


@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_scripts_serve_help_prints_the_help_and_makes_no_demo(tmp_path: Path, flag: str) -> None:
    """bash scripts/serve --help created hours.db and a demo organization (printing its token and
    password) before hours serve printed its help."""
    out = run_scripts_serve(scripts_serve_in(tmp_path), "--port", "18300", flag)
    assert out == "hours serve --help\n"  # the stand-in for hours serve prints what it was given
    assert not (tmp_path / "hours.db").exists()


def test_scripts_serve_leaves_no_file_that_git_does_not_ignore(tmp_path: Path) -> None:
    """The first run of the README's command in a clone left hours.db-identity (the SQLite store's
    signal file, made beside the database) as an untracked file in git status."""
    script = scripts_serve_in(tmp_path)
    shutil.copy(REPOSITORY / ".gitignore", tmp_path / ".gitignore")
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    before = git_untracked(tmp_path)
    run_scripts_serve(script)
    assert (tmp_path / "hours.db-identity").exists()
    assert git_untracked(tmp_path) == before == [".gitignore", "scripts/serve"]


def git_untracked(folder: Path) -> list[str]:
    listed = subprocess.run(
        ["git", "-C", str(folder), "ls-files", "--others", "--exclude-standard"],
        capture_output=True,
        text=True,
        check=True,
    )
    return sorted(listed.stdout.split())


def test_scripts_serve_says_which_port_it_serves_on(tmp_path: Path) -> None:
    out = run_scripts_serve(scripts_serve_in(tmp_path), "--port", "18300")
    assert "scripts/serve starts the server for you now on http://127.0.0.1:18300 " in out
    assert out.rstrip().endswith("hours serve --db sqlite:///hours.db --port 18300")


@pytest.mark.parametrize("db_option", [["--db", "sqlite:///other.db"], ["--db=sqlite:///other.db"]])
def test_scripts_serve_makes_its_demo_in_the_database_it_serves(tmp_path: Path, db_option: list[str]) -> None:
    """scripts/serve --db sqlite:///other.db made its demo in hours.db, printed a token of that
    file, and served other.db, where the token did not exist."""
    script = scripts_serve_in(tmp_path)
    out = run_scripts_serve(script, *db_option, "--port", "18400")
    assert "  hours serve --db sqlite:///other.db --port 18400\n" in out  # the bootstrap summary's
    assert out.rstrip().endswith(f"hours serve --db sqlite:///other.db {shlex.join(db_option)} --port 18400")
    assert not (tmp_path / "hours.db").exists()
    again = run_scripts_serve(script, *db_option)  # a database with an organization: no second demo
    assert "Created organization" not in again
    listed = hours("orgs", "list", "--db", f"sqlite:///{tmp_path / 'other.db'}", "--json")
    assert [org["name"] for org in json.loads(listed.stdout)] == ["Demo"]


def test_a_host_that_is_not_an_address_of_this_machine_says_so_not_that_the_port_is_taken(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # 192.0.2.1 is TEST-NET-1 (RFC 5737): never an address of this machine.
    assert main(["serve", "--db", db, "--host", "192.0.2.1", "--port", "18599"]) == 2
    assert capsys.readouterr().err == (
        "error: cannot listen on http://192.0.2.1:18599: 192.0.2.1 is not an address of this machine; "
        "use --host 127.0.0.1 (this machine only), 0.0.0.0 (every address) or one of its own "
        "(or HOURS_HOST)\n"
    )


def test_a_port_this_user_may_not_open_says_so_not_that_it_is_taken(
    db: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno
    import socket

    def refuse(_probe: socket.socket, _address: object) -> None:
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(socket.socket, "bind", refuse)
    assert main(["serve", "--db", db, "--port", "80"]) == 2
    assert capsys.readouterr().err == (
        "error: cannot listen on http://127.0.0.1:80: Permission denied; ports below 1024 need "
        "privileges this user lacks: pick a port from 1024 up with --port (or HOURS_PORT), and put a "
        "proxy or a port forward in front if it must be 80 or 443\n"
    )


def test_the_bootstrap_summary_names_hours_as_it_was_run_when_it_is_not_on_the_path(
    db: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # The README's quickstart runs .venv/bin/hours without activating the virtual environment.
    program = tmp_path / ".venv" / "bin" / "hours"
    program.parent.mkdir(parents=True)
    program.write_text("#!/bin/sh\n")
    program.chmod(0o755)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", [".venv/bin/hours", "bootstrap"])
    monkeypatch.setenv("PATH", "/nonexistent")
    assert main(["bootstrap", "--db", db]) == 0
    out = capsys.readouterr().out
    assert f"\n  .venv/bin/hours serve --db {db}\n" in out
    assert "`.venv/bin/hours users set-password " in out

    monkeypatch.setenv("PATH", str(program.parent))  # the same program is `hours` on the PATH
    assert main(["bootstrap", "--db", db]) == 0
    out = capsys.readouterr().out
    assert f"\n  hours serve --db {db}\n" in out
    assert "`hours users set-password " in out


def test_the_bootstrap_summary_quotes_the_database_of_its_serve_command(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A URL with a space, or PostgreSQL's ?options=...&...: printed bare, the shell split it, ran
    it in the background at the &, or (zsh) refused the ? as a pattern that matched no file."""
    folder = tmp_path / "my time"
    folder.mkdir()
    url = f"sqlite:///{folder / 'hours.db'}"
    assert main(["bootstrap", "--db", url]) == 0
    printed = capsys.readouterr().out.split("Start the server:\n\n  ", 1)[1].split("\n", 1)[0]
    assert shlex.split(printed)[1:] == ["serve", "--db", url]


def test_the_commands_bootstrap_and_users_create_print_run_on_that_database_as_hours_was_run(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """bash scripts/serve --db sqlite:///other.db printed `.venv/bin/hours users set-password ID`
    without the --db, and hours users create printed `hours tokens create --user ID` (neither the
    --db nor hours as it was run): pasted as printed, each opened ./hours.db and found no user."""
    monkeypatch.chdir(tmp_path)  # hours.db here is the default database: not the one the user is in
    monkeypatch.setattr(sys, "argv", [".venv/bin/hours", "bootstrap"])
    monkeypatch.setenv("PATH", "/nonexistent")
    other_url = f"sqlite:///{tmp_path / 'other.db'}"

    def pasted(printed: str) -> list[str]:
        words = shlex.split(printed)
        assert words[0] == ".venv/bin/hours"
        return words[1:]

    assert main(["bootstrap", "--db", other_url]) == 0
    summary = capsys.readouterr().out
    set_password = pasted(summary.split("change it with `", 1)[1].split("`", 1)[0])
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"a new password\n")))
    assert main(set_password) == 0
    org = json.loads(hours("orgs", "list", "--db", other_url, "--json").stdout)[0]["id"]
    create = ["users", "create", "--org", org, "--email", "bo@acme.test", "--role", "member"]
    assert main([*create, "--db", other_url]) == 0
    mint = pasted(capsys.readouterr().out.split("Mint a token for them: ", 1)[1].strip())
    assert main(mint) == 0
    assert "It is shown only now" in capsys.readouterr().out
    assert not (tmp_path / "hours.db").exists()  # nothing went to another database


def test_the_command_orgs_create_prints_adds_the_owner_to_that_database_as_hours_was_run(
    db: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)  # hours.db here is the default database: not the one created in
    monkeypatch.setattr(sys, "argv", [".venv/bin/hours", "orgs", "create"])
    monkeypatch.setenv("PATH", "/nonexistent")
    other = tmp_path / "other.db"
    other_url = f"sqlite:///{other}"
    assert main(["orgs", "create", "--name", "Acme", "--db", other_url]) == 0
    printed = capsys.readouterr().out.splitlines()[1].split("add its owner: ", 1)[1]
    words = shlex.split(printed.replace("EMAIL", "ada@acme.test"))
    assert words[0] == ".venv/bin/hours"
    assert main(words[1:]) == 0  # as a person pasting it would run it
    assert "ada@acme.test" in capsys.readouterr().out
    assert not (tmp_path / "hours.db").exists()  # not added to another database


def test_a_full_disk_tells_the_person_at_the_terminal_what_happened_and_what_to_do(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The error said 'retry later (the operator has to free space)': the API's words for its
    client, read here by the operator. The disk is full for SQLite's writer as in
    tests/http/test_full_disk.py: no page more than the file holds."""
    from hours_sqlite import SqliteStore

    org = org_of(db, capsys)
    path = tmp_path / "harvest.csv"
    path.write_bytes(
        harvest([f"2025-02-03,Acme,Website,Ops,{number:03d}{'x' * 2000},1,No,," for number in range(50)])
    )
    opened = SqliteStore.open.__func__  # type: ignore[attr-defined]

    def open_on_a_full_disk(cls: type[SqliteStore], *args: Any, **kwargs: Any) -> SqliteStore:
        store: SqliteStore = opened(cls, *args, **kwargs)
        with store._writer.held() as connection:
            (pages,) = connection.execute("PRAGMA page_count").fetchone()
            connection.execute(f"PRAGMA max_page_count = {pages:d}")
        return store

    monkeypatch.setattr(SqliteStore, "open", classmethod(open_on_a_full_disk))

    assert main(["import", "harvest", str(path), "--org", org, "--db", db]) == 1

    assert capsys.readouterr().err.splitlines()[-1] == (
        f"error: the disk holding {tmp_path} is full, so nothing was stored (this command's change "
        "was rolled back): free disk space there and run the command again"
    )
    monkeypatch.undo()
    assert main(["export", "--org", org, "--format", "jsonl", "--db", db]) == 0
    assert capsys.readouterr().out == ""
