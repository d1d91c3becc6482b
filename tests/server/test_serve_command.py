"""``hours serve`` as a command: its limit settings, its process, its shutdown and its response header."""

from __future__ import annotations

import contextlib
import ctypes
import json
import logging
import os
import re
import signal
import socket
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from hours_app.cli import EXIT_BAD_ARGUMENTS, main
from hours_app.logging_setup import LOG_LEVELS
from hours_app.readiness import READY_PIPE, report_now
from hours_app.server import ServerOptions, base_url, listen_url
from hours_app.settings import ENVIRONMENT, SERVER_SETTINGS, Settings, SettingsError
from tests.server_support import (
    HEALTH_ATTEMPTS,
    HEALTH_PAUSE_SECONDS,
    Server,
    clean_environment,
    hours_command,
    python_output,
    raw_exchange,
    served,
    stop,
    wait_until_healthy,
)

PATIENCE_SECONDS = 30


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (
            ["--header-timeout", "0"],
            "HOURS_HEADER_TIMEOUT / --header-timeout must be 0.1 to 60 seconds, got 0.0",
        ),
        (["--header-timeout", "61"], "must be 0.1 to 60 seconds"),
        (["--body-timeout", "0"], "HOURS_BODY_TIMEOUT / --body-timeout must be 0.1 to 600 seconds, got 0.0"),
        (["--body-timeout", "601"], "must be 0.1 to 600 seconds"),
        (
            ["--max-header-bytes", "100"],
            "HOURS_MAX_HEADER_BYTES / --max-header-bytes must be 8192 to 1048576 bytes",
        ),
        (["--max-connections", "100001"], "HOURS_MAX_CONNECTIONS / --max-connections must be 1 to 100000"),
        (
            ["--auth-cache-seconds", "61"],
            "HOURS_AUTH_CACHE_SECONDS / --auth-cache-seconds must be 0 to 60 seconds, got 61",
        ),
    ],
)
def test_a_limit_out_of_its_range_is_refused_before_anything_starts(
    flags: list[str], message: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    status = main(["serve", "--db", f"sqlite:///{tmp_path / 'hours.db'}", *flags])
    assert status == EXIT_BAD_ARGUMENTS
    assert message in capsys.readouterr().err
    assert not (tmp_path / "hours.db").exists()


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("HOURS_PORT", "65536", "HOURS_PORT / --port must be 0 to 65535, got 65536"),
        ("HOURS_PORT", "-1", "HOURS_PORT / --port must be 0 to 65535, got -1"),
        ("HOURS_PORT", "abc", "HOURS_PORT must be a whole number, got 'abc'"),
        ("HOURS_WORKERS", "0", "HOURS_WORKERS / --workers must be 1 to 256 processes, got 0"),
        ("HOURS_WORKERS", "100000", "HOURS_WORKERS / --workers must be 1 to 256 processes, got 100000"),
        ("HOURS_RATE_LIMIT", "lots", "HOURS_RATE_LIMIT / --rate-limit: bad rate limit 'lots'"),
        ("HOURS_HEADER_TIMEOUT", "soon", "HOURS_HEADER_TIMEOUT must be a number of seconds, got 'soon'"),
        ("HOURS_WEB_SECURE_COOKIES", "https", "HOURS_WEB_SECURE_COOKIES must be 1 or 0"),
    ],
)
def test_a_server_variable_that_cannot_work_stops_hours_serve_alone_before_anything_starts(
    variable: str,
    value: str,
    message: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """Before, 65536 logged "listening on" and ended in an OverflowError traceback, -1 in a
    resolver error that named neither, and 100,000 workers in "Too many open files". And
    HOURS_PORT=abc made hours migrate, and every other command that does not listen, refuse to
    run: they warn of it now, and run."""
    monkeypatch.setenv(variable, value)
    db = f"sqlite:///{tmp_path / 'hours.db'}"
    assert main(["serve", "--db", db]) == EXIT_BAD_ARGUMENTS
    err = capsys.readouterr().err
    assert err.startswith(f"error: {message}") and err.count("\n") == 1
    assert not (tmp_path / "hours.db").exists()
    assert main(["migrate", "--db", db]) == 0
    assert f"warning: {message}" in capsys.readouterr().err
    assert main(["orgs", "list", "--db", db, "--json"]) == 0
    out, err = capsys.readouterr()
    assert out == "[]\n"
    assert err.endswith("; ignored by this command, which does not listen (hours serve refuses it)\n")


def test_the_settings_table_gives_to_serve_the_variables_only_hours_serve_refuses() -> None:
    table = (Path(__file__).parents[2] / "docs" / "operations.md").read_text().split("## Settings", 1)[1]
    of_serve = set(re.findall(r"^\| `(HOURS_[A-Z_]+)` \| [^|]+ \| `serve`(?!,)", table, re.MULTILINE))
    assert of_serve == {variable.name for variable in ENVIRONMENT if variable.setting in SERVER_SETTINGS}


def test_the_settings_table_names_every_log_level_serve_takes() -> None:
    """The table listed critical to debug; hours serve --log-level takes trace too."""
    table = (Path(__file__).parents[2] / "docs" / "operations.md").read_text().split("## Settings", 1)[1]
    row = next(line for line in table.splitlines() if line.startswith("| `HOURS_LOG_LEVEL` |"))
    meaning = row.split(" | ")[4].split(" (")[0]
    assert re.findall(r"`([a-z]+)`", meaning) == list(LOG_LEVELS)


def test_a_flag_given_leaves_its_variable_unread() -> None:
    """The flag wins: HOURS_PORT=abc did not matter to hours serve --port 8001, yet stopped it."""
    assert Settings.from_env({"HOURS_PORT": "abc"}, port=8001).port == 8001
    assert Settings.from_env({"HOURS_RATE_LIMIT": "lots"}, rate_limit="10/s").rate_limit == "10/s"


def test_a_command_that_does_not_listen_keeps_the_default_of_a_server_setting_it_ignores() -> None:
    ignored: list[str] = []
    settings = Settings.from_env(
        {"HOURS_PORT": "abc", "HOURS_HOST": "0.0.0.0"}, listening=False, ignored=ignored.append
    )
    assert (settings.host, settings.port) == ("0.0.0.0", 8000)
    assert ignored == [
        "HOURS_PORT must be a whole number, got 'abc'; ignored by this command, which does not listen "
        "(hours serve refuses it)"
    ]
    with pytest.raises(SettingsError, match="HOURS_SQLITE_SYNCHRONOUS must be full or normal"):
        Settings.from_env({"HOURS_SQLITE_SYNCHRONOUS": "off"}, listening=False)  # every command's


@pytest.mark.parametrize(("flag", "value"), [("--workers", "257"), ("--workers", "0"), ("--port", "65536")])
def test_a_port_or_workers_flag_out_of_its_range_is_a_usage_error(
    flag: str, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["serve", flag, value]) == EXIT_BAD_ARGUMENTS
    assert "use a number from" in capsys.readouterr().err


@pytest.mark.parametrize("value", ["ten", "-1", "1e3", "nan"])
def test_a_header_timeout_that_is_not_a_number_of_seconds_is_a_usage_error(
    value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["serve", "--header-timeout", value]) == EXIT_BAD_ARGUMENTS
    assert "is not a number of seconds" in capsys.readouterr().err


def test_a_port_another_program_listens_on_is_refused_with_a_hint(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        status = main(["serve", "--db", f"sqlite:///{tmp_path / 'hours.db'}", "--port", str(port)])
    assert status == EXIT_BAD_ARGUMENTS
    error = capsys.readouterr().err
    assert (
        f"cannot listen on http://127.0.0.1:{port}" in error and "is another server running there?" in error
    )


@pytest.mark.parametrize(
    ("host", "opened", "listened"),
    [
        ("0.0.0.0", "http://127.0.0.1:8000", "http://0.0.0.0:8000"),
        ("::", "http://[::1]:8000", "http://[::]:8000"),
        ("127.0.0.1", "http://127.0.0.1:8000", "http://127.0.0.1:8000"),
        ("::1", "http://[::1]:8000", "http://[::1]:8000"),
        ("hours.internal", "http://hours.internal:8000", "http://hours.internal:8000"),
    ],
)
def test_the_url_to_open_names_the_loopback_address_for_a_server_on_every_address(
    host: str, opened: str, listened: str
) -> None:
    """The startup log's "API docs" line and the bootstrap summary send a person to ``base_url``;
    0.0.0.0 names no host to connect to (and the web app's cookies need a loopback host over plain
    HTTP), so a wildcard host is opened at the loopback address while "will listen on" keeps it."""
    settings = Settings(host=host, port=8000)
    assert base_url(settings) == opened
    assert listen_url(settings) == listened


def test_limits_come_from_the_environment_and_flags_win() -> None:
    environ = {
        "HOURS_HEADER_TIMEOUT": "2.5",
        "HOURS_MAX_HEADER_BYTES": "16384",
        "HOURS_MAX_CONNECTIONS": "64",
        "HOURS_BODY_TIMEOUT": "30",
    }
    settings = Settings.from_env(environ)
    assert (settings.header_timeout, settings.max_header_bytes, settings.max_connections) == (2.5, 16384, 64)
    assert settings.body_timeout == 30.0
    assert Settings.from_env({}).body_timeout == 30.0
    assert Settings.from_env(environ, max_connections=8).max_connections == 8
    assert Settings.from_env({}).max_header_bytes == 64 * 1024
    assert Settings.from_env(settings.to_env()) == settings


def test_the_authentication_cache_lasts_a_second_unless_set_and_0_turns_it_off() -> None:
    assert Settings.from_env({}).auth_cache_seconds == 1.0
    settings = Settings.from_env({"HOURS_AUTH_CACHE_SECONDS": "0"})
    assert settings.auth_cache_seconds == 0.0
    assert Settings.from_env(settings.to_env()) == settings  # what worker processes get
    assert (
        Settings.from_env({"HOURS_AUTH_CACHE_SECONDS": "0"}, auth_cache_seconds=2.5).auth_cache_seconds == 2.5
    )


def test_secure_web_cookies_are_off_unless_the_environment_or_the_flag_turns_them_on() -> None:
    assert Settings.from_env({}).web_secure_cookies is False
    settings = Settings.from_env({"HOURS_WEB_SECURE_COOKIES": "1"})
    assert settings.web_secure_cookies is True
    assert Settings.from_env(settings.to_env()) == settings  # what worker processes get
    assert Settings.from_env({}, web_secure_cookies=True).web_secure_cookies is True
    with pytest.raises(SettingsError, match="HOURS_WEB_SECURE_COOKIES must be 1 or 0"):
        Settings.from_env({"HOURS_WEB_SECURE_COOKIES": "https"})


@pytest.mark.slow
@pytest.mark.parametrize(("flags", "secure"), [([], False), (["--web-secure-cookies"], True)])
def test_hours_serve_web_secure_cookies_makes_the_cookies_secure_over_plain_http_to_loopback(
    tmp_path: Path, flags: list[str], secure: bool
) -> None:
    with served(tmp_path, *flags) as server:
        answer = raw_exchange(server.port, b"GET /app/sign-in HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    cookie = next(
        line for line in answer.split(b"\r\n") if line.lower().startswith(b"set-cookie: hours_sign_in=")
    )
    assert (b"; Secure" in cookie) is secure


def test_the_supervisor_reads_back_the_options_it_is_given() -> None:
    options = ServerOptions("::1", 8080, 3, "debug", True, 0.25, 9000, 7)
    assert ServerOptions.from_argv(options.to_argv()) == options


@pytest.mark.slow
def test_port_0_serves_on_a_free_port_that_the_logs_name(tmp_path: Path) -> None:
    """hours serve --port 0 served on a port the system picked, and logged 'listening on
    http://127.0.0.1:0': nobody could tell where the server was."""
    stderr = tmp_path / "serve.err"
    with stderr.open("wb") as err:
        process = subprocess.Popen(
            hours_command("serve", "--db", f"sqlite:///{tmp_path / 'hours.db'}", "--port", "0"),
            stdout=subprocess.DEVNULL,
            stderr=err,
            env=clean_environment(),
        )
    try:
        listening = None
        for _ in range(HEALTH_ATTEMPTS):
            listening = re.search(r"will listen on http://127\.0\.0\.1:(\d+) ", stderr.read_text())
            if listening is not None or process.poll() is not None:
                break
            time.sleep(HEALTH_PAUSE_SECONDS)
        assert listening is not None, stderr.read_text()
        port = int(listening[1])
        assert port != 0
        wait_until_healthy(process, f"http://127.0.0.1:{port}", stderr)
        assert f"API docs: http://127.0.0.1:{port}/schema " in stderr.read_text()
    finally:
        stop(process)


def test_the_startup_log_names_the_web_app_where_a_person_signs_in(tmp_path: Path) -> None:
    """The startup log named the listen address and the API docs, not the web app: a person who
    ran scripts/serve again (no demo, so no summary) was not told where to sign in."""
    with served(tmp_path) as server:
        log = server.stderr.read_text()
    assert f"web app: {server.base_url}/ (sign in with the password of hours bootstrap" in log
    assert log.index("web app: ") < log.index("API docs: ")


def test_several_workers_serve_one_port_and_stop_together(tmp_path: Path) -> None:
    with served(tmp_path, "--workers", "2") as server:
        supervisor = server.process.pid
        workers = Path(f"/proc/{supervisor}/task/{supervisor}/children").read_text().split()
        assert len(workers) == 2
        for _ in range(4):
            assert raw_exchange(server.port, b"GET /health HTTP/1.1\r\nHost: hours\r\n\r\n").startswith(
                b"HTTP/1.1 200 OK"
            )
        server.process.send_signal(signal.SIGTERM)
        assert server.exit_status(within=PATIENCE_SECONDS) == 0
        assert "with 2 workers" in server.stderr.read_text()


def test_a_server_of_several_workers_says_once_that_it_is_ready(tmp_path: Path) -> None:
    """Each worker logged 'hours ready: SQLite at ..., token env 'live', API docs at /schema' as it
    started: N alike lines for --workers N, none saying which worker, nor that all of them serve."""
    with served(tmp_path, "--workers", "2") as server:
        said = _wait_for_line(server, "hours ready")
    assert said.endswith(
        f"INFO hours: hours ready: 2 workers serve {server.base_url} (API docs at {server.base_url}/schema)"
    ), said
    assert server.stderr.read_text().count("hours ready") == 1, server.stderr.read_text()


def test_a_worker_tells_its_supervisor_or_else_logs_a_ready_line_naming_its_process(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    read_end, write_end = os.pipe()
    monkeypatch.setenv(READY_PIPE, str(write_end))
    with caplog.at_level(logging.INFO, logger="hours"):
        report_now("SQLite at /srv/hours/hours.db", "live")  # under hours serve: told, not logged
        with os.fdopen(read_end, "rb") as pipe:
            assert pipe.read() == f"{os.getpid()}\n".encode()
        assert caplog.records == []
        report_now("SQLite at /srv/hours/hours.db", "live")  # the app under another server
    assert [record.getMessage() for record in caplog.records] == [
        f"hours ready (pid {os.getpid()}): SQLite at /srv/hours/hours.db, token env 'live', API docs at /schema"
    ]


def _wait_for_line(server: Server, text: str) -> str:
    """The first line of the server's application log that holds ``text``, once it is there."""
    for _ in range(PATIENCE_SECONDS * 10):
        lines = [line for line in server.stderr.read_text().splitlines() if text in line]
        if lines:
            return lines[0]
        time.sleep(0.1)
    pytest.fail(f"the server did not log {text!r}:\n{server.logs()[-20_000:]}")


def test_the_key_that_signs_cursors_is_stored_before_the_workers_serve(tmp_path: Path) -> None:
    """The key was stored by a list's first page with a next page, which a full disk answered 503
    (operations.md, "A full disk"); hours serve stores it as it starts, the workers only read it."""
    read_only = f"file:{tmp_path / 'hours.db'}?mode=ro"
    with served(tmp_path, "--workers", "2"), contextlib.closing(sqlite3.connect(read_only, uri=True)) as db:
        names = [name for (name,) in db.execute("SELECT name FROM installation_secrets")]
    assert names == ["cursors"]


@pytest.mark.slow
def test_a_worker_that_dies_is_replaced_and_the_others_serve_on(tmp_path: Path) -> None:
    """A worker killed (as the out-of-memory killer does) used to take the whole server down: the
    supervisor stopped the other workers and exited 1. Now it starts a new worker in its place."""
    with served(tmp_path, "--workers", "2") as server:
        supervisor = server.process.pid
        _wait_for_line(server, "hours ready")  # both serve (the first one answered /health)
        before = _workers_of(supervisor)
        assert len(before) == 2
        os.kill(before[0], signal.SIGKILL)
        for _ in range(PATIENCE_SECONDS * 10):
            now = _workers_of(supervisor)
            if len(now) == 2 and before[0] not in now:
                break
            time.sleep(0.1)
        now = _workers_of(supervisor)
        assert len(now) == 2 and before[0] not in now and before[1] in now
        assert server.process.poll() is None  # the server runs on
        replaced = _wait_for_line(server, "serves again")
        for _ in range(8):  # whichever worker takes the connection: the survivor or the new one
            assert raw_exchange(server.port, b"GET /health HTTP/1.1\r\nHost: hours\r\n\r\n").startswith(
                b"HTTP/1.1 200 OK"
            )
        server.process.send_signal(signal.SIGTERM)
        assert server.exit_status(within=PATIENCE_SECONDS) == 0
        assert "Respawning worker-1" in server.stderr.read_text()
    assert replaced.endswith(
        f"hours ready: worker-1 (pid {next(pid for pid in now if pid != before[1])}) serves again in place of "
        "one that stopped"
    ), replaced


@pytest.mark.slow
def test_sighup_replaces_the_workers_one_at_a_time_and_the_server_serves_on(tmp_path: Path) -> None:
    """SIGHUP is granian's graceful respawn, as operations.md says: each worker in turn is replaced
    by a new one, started beside the old one; the server does not stop (a terminal that closes
    sends it, to the whole group)."""
    with served(tmp_path, "--workers", "2", process_group=True) as server:
        supervisor = server.process.pid
        _wait_for_line(server, "hours ready: 2 workers serve")
        before = set(_workers_of(supervisor))
        os.killpg(supervisor, signal.SIGHUP)
        _wait_for_line(server, "Stopped old worker-2")
        _wait_for_line(server, "worker-2 (pid")  # the new worker-2 serves (granian does not wait for it)
        after = set(_workers_of(supervisor))
        assert len(after) == 2 and not after & before
        assert server.process.poll() is None
        assert raw_exchange(server.port, b"GET /health HTTP/1.1\r\nHost: hours\r\n\r\n").startswith(
            b"HTTP/1.1 200 OK"
        )
        server.process.send_signal(signal.SIGTERM)
        assert server.exit_status(within=PATIENCE_SECONDS) == 0
    logs = server.stderr.read_text()
    assert logs.count("serves again in place of one that stopped") == 2, logs


@pytest.mark.slow
def test_a_ctrl_c_while_sighup_replaces_the_workers_stops_the_server_as_any_ctrl_c(tmp_path: Path) -> None:
    """While granian replaces the workers after a SIGHUP, its supervisor waits 3.5 s per worker and
    reads no signal. A Ctrl-C then reached the workers, which stopped on their own: granian logged
    each as an unexpected exit, went on replacing them, and the server exited with status 1. The
    workers leave SIGINT to the supervisor, which stops them once it has finished the replacement."""
    with served(tmp_path, "--workers", "2", process_group=True) as server:
        _wait_for_line(server, "hours ready: 2 workers serve")
        server.process.send_signal(signal.SIGHUP)
        _wait_for_line(server, "Respawning worker-1")
        os.killpg(server.process.pid, signal.SIGINT)
        assert server.exit_status(within=PATIENCE_SECONDS) == 0
        logs = server.stderr.read_text()
    assert "Unexpected exit" not in logs, logs
    assert "Granian shutdown completed" in logs


@pytest.mark.slow
@pytest.mark.parametrize(
    ("stop_signal", "whole_group"),
    [(signal.SIGTERM, False), (signal.SIGINT, True)],
    ids=["sigterm", "ctrl-c"],
)
def test_a_stopped_server_logs_its_stop_once_whatever_its_workers(
    tmp_path: Path, stop_signal: signal.Signals, whole_group: bool
) -> None:
    """hours serve logged nothing of its own when stopped, only granian's lines. A terminal's Ctrl-C
    reaches the supervisor and every worker (their process group): the line comes from the
    supervisor alone, once."""
    with served(tmp_path, "--workers", "2", process_group=True) as server:
        for _ in range(PATIENCE_SECONDS * 10):  # both workers serve, so that both get the signal
            # granian's "Started worker-2" comes as the worker starts, before its app has, so a
            # Ctrl-C could reach a worker still starting up; the supervisor's line comes once both serve.
            if "hours ready: 2 workers serve" in server.stderr.read_text():
                break
            time.sleep(0.1)
        if whole_group:
            os.killpg(server.process.pid, stop_signal)
        else:
            server.process.send_signal(stop_signal)
        assert server.exit_status(within=PATIENCE_SECONDS) == 0
        logs = server.stderr.read_text()
    said = [line for line in logs.splitlines() if "received, stopping" in line]
    assert len(said) == 1, logs
    assert said[0].endswith(
        f"hours serve: {stop_signal.name} received, stopping: no new connections; the requests in "
        "flight have up to 30 s to finish"
    ), said[0]
    assert logs.index("received, stopping") < logs.index("Granian shutdown completed")


def _workers_of(supervisor: int) -> list[int]:
    """The live worker processes of ``supervisor`` (its children that are not zombies)."""
    children = Path(f"/proc/{supervisor}/task/{supervisor}/children").read_text().split()
    return [int(pid) for pid in children if _running(int(pid))]


@pytest.mark.slow
def test_responses_name_hours_and_not_the_server_stack(tmp_path: Path) -> None:
    with served(tmp_path) as server:
        answer = raw_exchange(server.port, b"GET /health HTTP/1.1\r\nHost: hours\r\n\r\n").lower()
        assert b"\r\nserver: hours\r\n" in answer and b"granian" not in answer


@pytest.mark.slow
def test_a_request_in_flight_finishes_when_the_server_is_stopped(tmp_path: Path) -> None:
    with served(tmp_path) as server:
        body = json.dumps(
            {"projectId": server.demo["projectId"], "entryDate": "2026-03-02", "duration": "1h"}
        )
        head = (
            f"POST /time-entries HTTP/1.1\r\nHost: hours\r\nAuthorization: Bearer {server.demo['token']}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        with socket.create_connection(("127.0.0.1", server.port), timeout=PATIENCE_SECONDS) as connection:
            connection.sendall(head.encode() + body[:10].encode())
            time.sleep(0.5)  # the request is in flight: the server waits for the rest of its body
            server.process.send_signal(signal.SIGTERM)
            time.sleep(0.5)
            connection.sendall(body[10:].encode())
            answer = connection.recv(65536)
        assert answer.startswith(b"HTTP/1.1 201 Created"), answer
        assert server.exit_status(within=PATIENCE_SECONDS) == 0
        assert "Granian shutdown completed" in server.stderr.read_text()


@pytest.mark.slow
def test_killing_the_supervisor_stops_its_workers(tmp_path: Path) -> None:
    with served(tmp_path) as server:
        supervisor = server.process.pid
        workers = [
            int(pid) for pid in Path(f"/proc/{supervisor}/task/{supervisor}/children").read_text().split()
        ]
        assert workers
        server.process.kill()
        server.process.wait()
        for pid in workers:
            for _ in range(PATIENCE_SECONDS * 10):
                if not _running(pid):
                    break
                time.sleep(0.1)
            assert not _running(pid), f"worker {pid} outlived its supervisor"
        with pytest.raises(ConnectionRefusedError):
            raw_exchange(server.port, b"GET /health HTTP/1.1\r\nHost: hours\r\n\r\n", timeout=5)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped by init) counts as stopped.
    status = Path(f"/proc/{pid}/status").read_text() if Path(f"/proc/{pid}/status").exists() else ""
    return "State:\tZ" not in status


def printed_by_a_worker(tmp_path: Path, script: str) -> str:
    """What ``script`` (which calls ``worker_app()``) prints, run in a process of its own over a new
    SQLite file."""
    env = {**clean_environment(), "HOURS_DATABASE_URL": f"sqlite:///{tmp_path / 'hours.db'}"}
    return python_output(script, env=env)


def test_a_workers_startup_objects_are_left_out_of_the_garbage_collectors_passes(tmp_path: Path) -> None:
    """The collector walked everything a worker holds from its startup to its exit (the app, its
    routes, the modules) in each full pass, for nothing: a worker freezes them once its app is built."""
    script = (
        "import gc; from hours_app.server import worker_app; "
        "before = gc.get_freeze_count(); worker_app(); print(before, gc.get_freeze_count())"
    )
    before, frozen = map(int, printed_by_a_worker(tmp_path, script).split())
    assert before == 0
    assert frozen > 50_000  # the modules and the app, not a handful


def test_a_worker_gives_large_freed_blocks_back_to_the_system(tmp_path: Path) -> None:
    """glibc raised its mmap threshold to the size of each large block freed, so after an import
    (a body of up to 8 MiB in memory) blocks of a few MiB came from the heap and their memory
    stayed with the worker once freed: it grew from 70 to 126 MB over one import of 100,000 rows.
    A worker fixes the threshold, so a 4 MiB block after a freed 8 MiB one is still mapped alone."""
    script = (
        "import ctypes\n"
        "from hours_app.server import worker_app\n"
        "worker_app()\n"
        "class Info(ctypes.Structure):\n"
        "    _fields_ = [(name, ctypes.c_size_t) for name in ('arena', 'ordblks', 'smblks', 'hblks', "
        "'hblkhd', 'usmblks', 'fsmblks', 'uordblks', 'fordblks', 'keepcost')]\n"
        "libc = ctypes.CDLL(None)\n"
        "libc.mallinfo2.restype = Info\n"
        "freed = bytearray(8 * 2**20)\n"
        "del freed\n"
        "mapped = libc.mallinfo2().hblkhd\n"
        "block = bytearray(4 * 2**20)\n"
        "print(libc.mallinfo2().hblkhd - mapped)\n"
    )
    if not hasattr(ctypes.CDLL(None), "mallinfo2"):
        pytest.skip("not glibc 2.33 or later")
    assert int(printed_by_a_worker(tmp_path, script)) >= 4 * 2**20
