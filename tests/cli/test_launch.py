"""The ``hours`` script's entry point: a Ctrl-C while the command line loads is exit 130, not a traceback."""

from __future__ import annotations

import importlib.abc
import pathlib
import sys
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType

import pytest

from hours_app import cli, launch, supervisor


class InterruptedImport(importlib.abc.MetaPathFinder):
    """Raises ``KeyboardInterrupt`` when ``module`` is imported: a Ctrl-C while it loads."""

    def __init__(self, module: str = "hours_app.cli") -> None:
        self.module = module

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if fullname == self.module:
            raise KeyboardInterrupt
        return None


def test_a_ctrl_c_while_the_command_line_loads_is_exit_130_with_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delitem(sys.modules, "hours_app.cli")
    monkeypatch.setattr(sys, "meta_path", [InterruptedImport(), *sys.meta_path])

    assert launch.main() == launch.EXIT_INTERRUPTED == cli.EXIT_INTERRUPTED

    assert capsys.readouterr().err == f"{launch.INTERRUPTED_WHILE_LOADING}\n"


def test_a_ctrl_c_outside_the_commands_own_handling_is_exit_130(monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(argv: Sequence[str] | None = None) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "main", interrupted)

    assert launch.main() == 130


def test_the_command_lines_status_is_the_scripts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "argv", ["hours", "--version"])
    with pytest.raises(SystemExit) as stop:  # argparse's --version exits after printing
        raise SystemExit(launch.main())
    assert stop.value.code == 0


@pytest.mark.parametrize("json_lines", [False, True], ids=["text", "json"])
def test_a_ctrl_c_while_hours_serve_loads_its_server_stops_it_as_ctrl_c_does_without_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], json_lines: bool
) -> None:
    """After its startup lines, hours serve replaces itself with the supervisor, which loads granian
    and the logging setup: a Ctrl-C then ended it with a KeyboardInterrupt traceback (exit 1)."""
    monkeypatch.delitem(sys.modules, "hours_app.server")
    monkeypatch.setattr(sys, "meta_path", [InterruptedImport("hours_app.server"), *sys.meta_path])

    assert supervisor.main(["--host=127.0.0.1", "--port=8000", *(["--json"] if json_lines else [])]) == 0

    said = capsys.readouterr().err
    assert said == ("" if json_lines else f"{supervisor.STOPPED_WHILE_STARTING}\n")


@pytest.mark.parametrize(
    ("command", "starting"),
    [("serve", "hours_app.server.check_address_free"), ("worker", "hours_app.worker.build")],
)
def test_a_ctrl_c_while_serve_or_worker_starts_stops_it_with_status_0(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: pathlib.Path,
    command: str,
    starting: str,
) -> None:
    """Ctrl-C is how hours serve and hours worker stop (exit status 0, hours --help says), but one
    that came while they opened the database or checked the address was exit status 130."""

    def interrupted(*_args: object, **_kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(starting, interrupted)

    assert cli.main([command, "--db", f"sqlite:///{tmp_path / 'hours.db'}"]) == cli.EXIT_OK

    assert capsys.readouterr().err == f"hours {command}: SIGINT received while starting; stopped\n"
