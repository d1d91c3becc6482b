"""``hours export`` and ``hours import``, run in-process against a temporary SQLite file."""

from __future__ import annotations

import ast
import contextlib
import csv
import datetime as dt
import io
import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import openpyxl
import pytest
from litestar.testing import TestClient

from hours_app import cli_exchange
from hours_app.cli import main
from hours_app.cli_output import terminal_safe
from hours_app.composition import build
from hours_app.settings import DatabaseUrl, Settings
from hours_http import create_app
from tests.exchange.odd_files import harvest_file, toggl_file


@pytest.fixture(autouse=True)
def _no_hours_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in ("HOURS_DATABASE_URL", "HOURS_ENV", "HOURS_LOG_LEVEL"):
        monkeypatch.delenv(variable, raising=False)


@pytest.fixture
def db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'hours.db'}"


@pytest.fixture
def org(db: str, capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["bootstrap", "--plan", "agency", "--db", db, "--json"]) == 0
    org_id: str = json.loads(capsys.readouterr().out)["orgId"]
    return org_id


def owner_email(db: str, org: str, capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["users", "list", org, "--db", db, "--json"]) == 0
    email: str = json.loads(capsys.readouterr().out)[0]["email"]
    return email


def test_an_import_prints_its_report_and_exits_3_when_rows_failed(
    db: str, org: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    email = owner_email(db, org, capsys)
    path = tmp_path / "toggl.csv"
    path.write_bytes(toggl_file(email, email))

    code = main(["import", "toggl", str(path), "--org", org, "--timezone", "Europe/Berlin", "--db", db])
    text = capsys.readouterr().out
    assert code == cli_exchange.EXIT_ROWS_FAILED
    assert "5 entries created, 0 duplicates skipped, 1 row failed" in text
    assert "duration_over_24_hours" in text

    again = main(
        ["import", "toggl", str(path), "--org", org, "--timezone", "Europe/Berlin", "--db", db, "--json"]
    )
    report = json.loads(capsys.readouterr().out)
    assert again == cli_exchange.EXIT_ROWS_FAILED
    assert (report["created"], report["duplicates"], report["failed"]) == (0, 5, 1)
    assert report["errors"][0] == {
        "row": 4,
        "column": "Duration",
        "code": "duration_over_24_hours",
        "message": report["errors"][0]["message"],
    }


def test_an_import_with_many_failed_rows_lists_the_first_errors_and_says_how_many_more(
    db: str, org: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "empty-lines.jsonl"
    path.write_bytes(b"{}\n" * 1_200)

    code = main(["import", "hours", str(path), "--org", org, "--db", db, "--dry-run"])

    text = capsys.readouterr().out
    assert code == cli_exchange.EXIT_ROWS_FAILED
    assert "1200 rows failed" in text
    assert "more row errors, not listed (the report lists the first 1000): fix these and import again" in text


def test_dry_run_and_all_or_nothing_store_nothing(
    db: str, org: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    email = owner_email(db, org, capsys)
    path = tmp_path / "toggl.csv"
    path.write_bytes(toggl_file(email, email))
    base = ["import", "toggl", str(path), "--org", org, "--timezone", "Europe/Berlin", "--db", db, "--json"]

    main([*base, "--dry-run"])
    dry = json.loads(capsys.readouterr().out)
    main([*base, "--all-or-nothing"])
    atomic = json.loads(capsys.readouterr().out)
    assert (dry["dryRun"], dry["created"], dry["id"]) == (True, 5, None)
    assert (atomic["created"], atomic["id"]) == (0, None)

    assert main(["export", "--org", org, "--db", db, "--output", str(tmp_path / "out.csv")]) == 0
    assert (tmp_path / "out.csv").read_bytes().decode("utf-8-sig").count("\r\n") == 1  # the header only


def test_the_import_report_counts_one_entry_one_duplicate_and_one_row_in_the_singular(
    db: str, org: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A one-row file's report said "1 entries would be created" and "1 duplicates skipped"."""
    email = owner_email(db, org, capsys)
    path = tmp_path / "toggl.csv"
    path.write_text(
        "User,Email,Project,Description,Start date,Start time,Duration\n"
        f"owner,{email},Website,One row,2025-04-09,09:00:00,01:30:00\n"
    )
    command = ["import", "toggl", str(path), "--org", org, "--timezone", "Europe/Berlin", "--db", db]
    assert main([*command, "--dry-run"]) == 0
    assert "  1 entry would be created, 0 duplicates skipped, 0 rows failed\n" in capsys.readouterr().out
    assert main(command) == 0
    assert "  1 entry created, 0 duplicates skipped, 0 rows failed\n" in capsys.readouterr().out
    assert main(command) == 0
    assert "  0 entries created, 1 duplicate skipped, 0 rows failed\n" in capsys.readouterr().out


def test_a_clean_import_exits_0_and_the_export_writes_the_file(
    db: str, org: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "harvest.csv"
    path.write_bytes(harvest_file())
    assert main(["import", "harvest", str(path), "--org", org, "--db", db]) == 0
    capsys.readouterr()

    target = tmp_path / "out.xlsx"
    assert main(["export", "--org", org, "--format", "xlsx", "--output", str(target), "--db", db]) == 0
    sheet = openpyxl.load_workbook(target).active
    assert sheet is not None
    assert sheet.max_row == 3
    assert not (tmp_path / "out.xlsx.partial").exists()
    assert capsys.readouterr().err == ""  # no progress line: standard error is not a terminal


def test_the_export_goes_to_standard_output_with_the_list_s_filters(
    db: str, tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    assert main(["bootstrap", "--plan", "agency", "--db", db, "--json"]) == 0
    org = json.loads(capsysbinary.readouterr().out)["orgId"]
    path = tmp_path / "harvest.csv"
    path.write_bytes(harvest_file())
    assert main(["import", "harvest", str(path), "--org", org, "--db", db]) == 0
    capsysbinary.readouterr()

    code = main(
        [
            "export",
            "--org",
            org,
            "--db",
            db,
            "--from",
            "2025-02-04",
            "--columns",
            "entryDate,note",
            "--no-bom",
        ]
    )
    assert code == 0
    out = capsysbinary.readouterr().out
    assert list(csv.reader(io.StringIO(out.decode()))) == [["entryDate", "note"], ["2025-02-04", "Review"]]


_FROZEN_WHEN_CALLED = """
import gc, sys
from hours_core.services import exports, imports

seen = {}

def counting(owner, name):
    run = getattr(owner, name)
    def counted(self, *args):
        seen[name] = gc.get_freeze_count()
        return run(self, *args)
    setattr(owner, name, counted)

counting(imports.ImportService, "import_entries")
counting(exports.ExportService, "export_time_entries")
from hours_app.cli import main
status = main(sys.argv[1:])
print(seen, file=sys.stderr)
"""


@pytest.mark.parametrize("command", ["import", "export"])
def test_an_import_or_export_runs_with_the_application_frozen_out_of_the_collectors_passes(
    command: str, db: str, org: str, tmp_path: Path
) -> None:
    """Python's cyclic collector walked everything the command had built (the modules, the store,
    the services) in each full pass of an import of 100,000 rows, about 25 times, for nothing:
    ``hours import`` and ``hours export`` freeze it first, as a server's worker does."""
    path = tmp_path / "harvest.csv"
    path.write_bytes(harvest_file())
    arguments = {
        "import": ["import", "harvest", str(path), "--org", org, "--db", db],
        "export": ["export", "--org", org, "--output", str(tmp_path / "out.csv"), "--db", db],
    }[command]
    done = subprocess.run(
        [sys.executable, "-c", _FROZEN_WHEN_CALLED, *arguments],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    seen = ast.literal_eval(done.stderr.strip().splitlines()[-1])
    name = {"import": "import_entries", "export": "export_time_entries"}[command]
    assert seen[name] > 50_000  # the modules, the store and the services, not a handful


@contextlib.contextmanager
def api(db: str) -> Iterator[TestClient[Any]]:
    """The HTTP API over the same database, for what the commands cannot make (a running timer)."""
    application = build(Settings(database=DatabaseUrl.parse(db)))
    try:
        with TestClient(create_app(application.services)) as client:
            yield client
    finally:
        application.close()


def exported_notes(db: str, org: str, capsysbinary: pytest.CaptureFixture[bytes], *options: str) -> list[str]:
    capsysbinary.readouterr()
    code = main(["export", "--org", org, "--db", db, "--format", "jsonl", *options])
    assert code == 0
    return [json.loads(line)["note"] for line in capsysbinary.readouterr().out.splitlines()]


def test_the_export_takes_the_list_s_running_and_updated_since_filters(
    db: str, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    assert main(["bootstrap", "--plan", "agency", "--db", db, "--json"]) == 0
    demo = json.loads(capsysbinary.readouterr().out)
    org, auth = demo["orgId"], {"Authorization": f"Bearer {demo['token']}"}
    with api(db) as client:
        body = {"projectId": demo["projectId"], "entryDate": "2026-03-02", "duration": "1h", "note": "done"}
        assert client.post("/time-entries", json=body, headers=auth).status_code == 201
        between = dt.datetime.now(dt.UTC).isoformat().replace("+00:00", "Z")
        timer = {"projectId": demo["projectId"], "note": "running"}
        assert client.post("/timers", json=timer, headers=auth).status_code == 201
        listed = client.get(f"/time-entries?updatedSince={between}", headers=auth).json()["data"]
    assert [entry["note"] for entry in listed] == ["running"]

    assert exported_notes(db, org, capsysbinary, "--running", "true") == ["running"]
    assert exported_notes(db, org, capsysbinary, "--running", "false") == ["done"]
    assert exported_notes(db, org, capsysbinary, "--updated-since", between) == ["running"]
    assert exported_notes(db, org, capsysbinary, "--updated-since", "2000-01-01T01:00:00+01:00") == [
        "done",
        "running",
    ]
    assert exported_notes(db, org, capsysbinary, "--updated-since", between, "--running", "false") == []

    with api(db) as client:
        done = client.get("/time-entries?running=false", headers=auth).json()["data"][0]
        assert client.delete(f"/time-entries/{done['id']}", headers=auth).status_code == 204
    assert exported_notes(db, org, capsysbinary, "--running", "false") == []
    assert exported_notes(db, org, capsysbinary, "--running", "false", "--updated-since", between) == ["done"]


@pytest.mark.parametrize(
    "value",
    [
        "2026-03-02",
        "2026-03-02T08:00:00",
        "2026-03-02 08:00:00Z",
        "2026-02-30T08:00:00Z",
        "1969-12-31T23:59:59Z",
        "2200-01-01T00:00:00Z",
        "2026-03-02T08:00:00.1234567890Z",
        "",
    ],
)
def test_a_wrong_updated_since_is_a_usage_error_in_the_api_s_words(
    db: str, capsys: pytest.CaptureFixture[str], value: str
) -> None:
    assert main(["bootstrap", "--plan", "agency", "--db", db, "--json"]) == 0
    demo = json.loads(capsys.readouterr().out)
    with api(db) as client:
        response = client.get(
            "/time-entries/export",
            params={"updatedSince": value},
            headers={"Authorization": f"Bearer {demo['token']}"},
        )
    assert response.status_code == 422, response.text
    api_message = response.json()["error"]["fields"]["updatedSince"]

    code = main(["export", "--org", demo["orgId"], "--db", db, "--updated-since", value])

    printed = capsys.readouterr()
    assert code == 2
    assert printed.out == ""
    assert printed.err.splitlines()[-1] == f"hours export: error: argument --updated-since: {api_message}"


@pytest.mark.parametrize("option", ["--from", "--to"])
@pytest.mark.parametrize("value", ["20260302", "2026-W10-1", "2026-3-2", "2026-02-30", ""])
def test_an_export_day_is_yyyy_mm_dd_as_in_the_api(
    db: str, org: str, capsys: pytest.CaptureFixture[str], option: str, value: str
) -> None:
    capsys.readouterr()
    assert main(["export", "--org", org, "--db", db, option, value]) == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        f"hours export: error: argument {option}: must be a date such as 2026-03-31, not {value!r}"
    )


@pytest.mark.parametrize("value", ["yes", "1", "", "null", "TRUE", "False"])
def test_a_running_filter_other_than_true_or_false_is_a_usage_error(
    db: str, org: str, capsys: pytest.CaptureFixture[str], value: str
) -> None:
    capsys.readouterr()
    assert main(["export", "--org", org, "--db", db, "--running", value]) == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        f"hours export: error: argument --running: must be true or false, got {value!r}"
    )


def test_an_unknown_column_is_a_usage_error(db: str, org: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", "--org", org, "--db", db, "--columns", "nope"]) == 2
    assert "nope" in capsys.readouterr().err


def test_an_ambiguous_file_names_the_option(
    db: str, org: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "clockify.csv"
    path.write_bytes(
        b'"Project","Start Date","Start Time","Duration (h)"\n"P","09/04/2025","10:00 AM","1:00:00"\n'
    )
    assert main(["import", "clockify", str(path), "--org", org, "--timezone", "UTC", "--db", db]) == 1
    assert "--date-format" in capsys.readouterr().err


def _left_in(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir() if not path.name.startswith("hours.db"))


@pytest.mark.parametrize(
    ("where", "reason"),
    [("missing/out.csv", "No such file or directory"), (".", "Is a directory")],
)
def test_an_export_to_a_file_it_cannot_write_is_an_error_line_and_leaves_nothing(
    db: str, org: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], where: str, reason: str
) -> None:
    target = tmp_path / where
    capsys.readouterr()

    code = main(["export", "--org", org, "--output", str(target), "--db", db])

    assert code == 1
    assert capsys.readouterr().err.splitlines()[-1] == f"error: cannot write {target}: {reason}"
    assert _left_in(tmp_path) == []
    assert not tmp_path.with_name(tmp_path.name + ".partial").exists()  # nothing beside a folder either


def test_an_export_that_fails_while_writing_leaves_no_partial_file(
    db: str, org: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def full_disk(self: cli_exchange.Progress, size: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(cli_exchange.Progress, "advance", full_disk)
    target = tmp_path / "out.csv"
    capsys.readouterr()

    assert main(["export", "--org", org, "--output", str(target), "--db", db]) == 1
    assert (
        capsys.readouterr().err.splitlines()[-1] == f"error: cannot write {target}: No space left on device"
    )
    assert not target.exists() and not (tmp_path / "out.csv.partial").exists()


@pytest.mark.parametrize(
    ("name", "reason"), [("missing.csv", "No such file or directory"), (".", "Is a directory")]
)
def test_an_import_of_a_file_it_cannot_read_is_an_error_line(
    db: str, org: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, reason: str
) -> None:
    path = tmp_path / name
    capsys.readouterr()

    code = main(["import", "toggl", str(path), "--org", org, "--timezone", "UTC", "--db", db])

    assert code == 1
    assert capsys.readouterr().err.splitlines()[-1] == f"error: cannot read {path}: {reason}"


def stored_imports(db: str) -> int:
    with contextlib.closing(sqlite3.connect(db.removeprefix("sqlite:///"))) as connection:
        (count,) = connection.execute("SELECT count(*) FROM imports").fetchone()
    return int(count)


@pytest.mark.parametrize("content", [b"", b"\n \n"], ids=["empty", "blank-lines"])
@pytest.mark.parametrize("options", [[], ["--dry-run"], ["--json"]])
def test_an_empty_json_lines_file_is_an_error_line_and_stores_no_import(
    db: str,
    org: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    content: bytes,
    options: list[str],
) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_bytes(content)
    capsys.readouterr()

    code = main(["import", "hours", str(path), "--org", org, "--db", db, *options])

    printed = capsys.readouterr()
    assert code == 1
    assert printed.out == ""
    assert printed.err == (
        "error: The file is empty: it has no lines, or only blank ones; an hours JSON lines export has one "
        "JSON object per line.\n"
    )
    assert stored_imports(db) == 0


def test_an_empty_json_lines_file_on_standard_input_is_refused_too(
    db: str, org: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"")))
    capsys.readouterr()
    assert main(["import", "hours", "-", "--org", org, "--db", db]) == 1
    assert "error: The file is empty" in capsys.readouterr().err
    assert stored_imports(db) == 0


class FullDevice(io.RawIOBase):
    """Standard output on a full disk (``> /dev/full``) until ``full`` is cleared."""

    full = True

    def writable(self) -> bool:
        return True

    def write(self, data: object) -> int:
        if self.full:
            raise OSError(28, "No space left on device")
        return len(data)  # type: ignore[arg-type]


@pytest.mark.parametrize("command", [["export", "--org"], ["users", "list"], ["users", "list", "--json"]])
def test_standard_output_on_a_full_disk_is_an_error_line(
    db: str, org: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    device = FullDevice()
    monkeypatch.setattr("sys.stdout", io.TextIOWrapper(io.BufferedWriter(device)))
    capsys.readouterr()
    try:
        code = main([*command, org, "--db", db])
    finally:
        device.full = False  # what is left in the buffer may go now

    assert code == 1
    assert (
        capsys.readouterr().err.splitlines()[-1]
        == "error: cannot write standard output: No space left on device"
    )


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads and writes any file")
def test_files_without_permission_are_error_lines(
    db: str, org: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    secret = tmp_path / "secret.csv"
    secret.write_bytes(b"x")
    secret.chmod(0)
    locked.chmod(0o555)
    capsys.readouterr()
    try:
        assert main(["export", "--org", org, "--output", str(locked / "out.csv"), "--db", db]) == 1
        assert capsys.readouterr().err.endswith(
            f"error: cannot write {locked / 'out.csv'}: Permission denied\n"
        )
        assert main(["import", "toggl", str(secret), "--org", org, "--timezone", "UTC", "--db", db]) == 1
        assert capsys.readouterr().err.endswith(f"error: cannot read {secret}: Permission denied\n")
    finally:
        locked.chmod(0o755)


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_progress_line_is_drawn_on_a_terminal_only() -> None:
    terminal, pipe = _Terminal(), io.StringIO()
    for stream in (terminal, pipe):
        progress = cli_exchange.Progress(stream, label="exporting csv")
        progress.advance(3 * 2**20)
        progress.finish()
    assert "exporting csv [" in terminal.getvalue() and "MiB" in terminal.getvalue()
    assert terminal.getvalue().endswith("\n")
    assert pipe.getvalue() == ""


@pytest.mark.parametrize(
    "command",
    [["export", "--format", "csv"], ["import", "toggl", "FILE", "--timezone", "UTC"]],
)
def test_an_organization_without_an_owner_says_how_to_give_it_one(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    assert main(["orgs", "create", "--name", "Bare", "--db", db, "--json"]) == 0
    bare = json.loads(capsys.readouterr().out)["id"]
    path = tmp_path / "toggl.csv"
    path.write_bytes(toggl_file("ada@acme.test", "bo@acme.test"))
    argv = [str(path) if word == "FILE" else word for word in command]
    assert main([*argv, "--org", bare, "--db", db]) == 1
    assert capsys.readouterr().err == (
        "error: The organization has no active owner to act as: give it one with "
        f"`hours users create --org {bare} --role owner --email EMAIL --db {db}` (or `hours users "
        f"reactivate USER_ID --db {db}`, `hours users set-role USER_ID owner --db {db}`), then run this again.\n"
    )


def test_control_characters_from_a_file_reach_the_terminal_escaped(
    db: str, org: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The header names an error lists come from the file: an escape sequence among them set the
    operator's window title and coloured the text, a NUL went through as is (the auditor's file)."""
    path = tmp_path / "odd.csv"
    path.write_bytes(b"Da\x1b]0;pwned\x07te,Hours\x00,\x1b[31mX\r\n2025-01-02,1,x\r\n")

    code = main(["import", "harvest", str(path), "--org", org, "--db", db, "--dry-run"])

    error = capsys.readouterr().err
    assert code == 1
    assert r"Da\x1b]0;pwned\x07te" in error and r"Hours\x00" in error and r"\x1b[31mX" in error
    assert not any(char in error for char in "\x1b\x07\x00\r")


def test_json_output_stays_the_same_json_once_terminal_safe() -> None:
    """The JSON encoder escapes C0 controls and writes DEL and the C1 controls as they are; the
    terminal escapes turn those into JSON escapes of the same characters (a ``\\x85`` would not be
    JSON: a column named from a file with U+0085 in its header made ``--json`` unreadable)."""
    document = {"column": "Start\x85date", "note": "a\x7fb\x1bc\r\u009b"}
    text = msgspec.json.format(msgspec.json.encode(document), indent=2).decode()

    safe = terminal_safe(text)

    assert json.loads(safe) == document
    assert not any(0x7F <= ord(char) <= 0x9F or (ord(char) < 0x20 and char != "\n") for char in safe)
