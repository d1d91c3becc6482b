"""``hours export`` and ``hours import``: the API's export and import use cases on the command line.

Both act as the organization's oldest active owner (:meth:`AdminService.owner_caller`), so they
see and may do what an owner sees and does over the API. ``hours export`` writes the file to
``--output`` or standard output, and draws a progress line on standard error when that is a
terminal; ``hours import`` prints the import's report (``--json``: the API's body).

Both stop on SIGTERM and SIGHUP (``kill``, ``timeout``, systemd, a closed terminal) as they stop on
Ctrl-C: the signal raises :class:`Terminated` (a ``KeyboardInterrupt``) in the main thread, so the
export's ``FILE.partial`` is removed and the import's transaction rolled back, and ``hours`` exits
with 128 + the signal's number (143, 129), as a shell reports a process the signal ended. The
handlers are installed for the command only (:func:`signals_interrupt`).
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from types import FrameType
from typing import IO, TextIO

from hours_app import cli_output as out
from hours_app.cli_commands import _opened, _program, db_option
from hours_app.cli_output import FileUnusable
from hours_app.garbage import freeze_what_lasts
from hours_app.settings import Settings, SettingsError
from hours_core.exchange import ImportLimits
from hours_core.model import OrgId, ProjectId, TaskId, UserId
from hours_core.ports import EntryQuery
from hours_core.services import Caller, ExportEntries, ImportEntries, ImportReport, Services
from hours_core.services.admin import NoActiveOwner
from hours_http.converter import import_report_json

__all__ = [
    "CLI_IMPORT_LIMITS",
    "EXIT_ROWS_FAILED",
    "INTERRUPTING_SIGNALS",
    "FileUnusable",
    "Progress",
    "Terminated",
    "export_entries",
    "import_file",
    "signals_interrupt",
]

CLI_IMPORT_LIMITS = ImportLimits(max_bytes=4 * 1024**3, max_rows=20_000_000)
"""The CLI reads files from disk: larger ones than the API takes (4 GiB, 20 million rows)."""

EXIT_ROWS_FAILED = 3
"""``hours import``'s exit status when the import ran but some rows failed (see the report)."""


INTERRUPTING_SIGNALS = (signal.SIGTERM, signal.SIGHUP)
"""The signals that stop ``hours export`` and ``hours import`` as Ctrl-C (SIGINT) does."""


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP arrived while ``hours export`` or ``hours import`` ran.

    A ``KeyboardInterrupt``, so that everything that cleans up after Ctrl-C cleans up after it too;
    ``exit_status`` is 128 + the signal's number, the status a shell gives a process the signal ended.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def exit_status(self) -> int:
        """128 + the signal's number: 143 for SIGTERM, 129 for SIGHUP."""
        return 128 + self.signum


def _terminate(signum: int, _frame: FrameType | None) -> None:
    raise Terminated(signum)


@contextmanager
def signals_interrupt() -> Iterator[None]:
    """While the block runs, SIGTERM and SIGHUP raise :class:`Terminated` in the main thread; the
    handlers that were there before come back when it ends, however it ends. A signal the process
    ignores (``nohup`` ignores SIGHUP) stays ignored; outside the main thread (where Python cannot
    set handlers) nothing changes."""
    previous: dict[signal.Signals, signal._HANDLER] = {}
    try:
        for signum in INTERRUPTING_SIGNALS:
            if signal.getsignal(signum) is not signal.SIG_IGN:
                previous[signum] = signal.signal(signum, _terminate)
    except ValueError:  # not the main thread: the signals keep their handlers
        pass
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, signal.SIG_DFL if handler is None else handler)


class Progress:
    """A progress line on a terminal: bytes written, the rate, the time so far; redrawn at most
    ten times a second, and only when ``stream`` is a terminal (never into a pipe or a log)."""

    def __init__(self, stream: TextIO, *, label: str) -> None:
        self._stream = stream
        self._label = label
        self._on = stream.isatty()
        self._start = time.monotonic()
        self._drawn = 0.0
        self._bytes = 0

    def advance(self, size: int) -> None:
        """Count ``size`` more bytes, and redraw when a tenth of a second has passed."""
        self._bytes += size
        now = time.monotonic()
        if self._on and now - self._drawn >= 0.1:
            self._drawn = now
            self._draw(now)

    def finish(self) -> None:
        """Draw the last state and end the line."""
        if self._on:
            self._draw(time.monotonic())
            self._stream.write("\n")
            self._stream.flush()

    def _draw(self, now: float) -> None:
        elapsed = max(now - self._start, 1e-6)
        mib = self._bytes / 2**20
        width = 24
        filled = int(elapsed * 4) % (width + 1)  # the file's size is not known ahead: a moving bar
        bar = "=" * filled + ">" + " " * (width - filled)
        self._stream.write(
            f"\r{self._label} [{bar[:width]}] {mib:8.1f} MiB  {mib / elapsed:6.1f} MiB/s  {elapsed:5.1f} s"
        )
        self._stream.flush()


def export_entries(args: argparse.Namespace, settings: Settings) -> int:
    """Write an export of an organization's entries to ``--output`` or standard output."""
    query = EntryQuery(
        date_from=args.date_from,
        date_to=args.date_to,
        project_id=None if args.project is None else ProjectId(args.project),
        task_id=None if args.task is None else TaskId(args.task),
        user_id=None if args.user is None else UserId(args.user),
        billable=args.billable,
        invoiced=args.invoiced,
        running=args.running,
        updated_since=args.updated_since,
        include_deleted=args.include_deleted,
    )
    command = ExportEntries(
        export_format=args.format,
        query=query,
        columns=args.columns,
        delimiter=args.delimiter,
        bom=not args.no_bom,
    )
    if args.format == "xlsx" and args.output is None and sys.stdout.isatty():
        raise SettingsError(
            "--format xlsx writes a binary file, not text for a terminal: give --output FILE.xlsx, "
            "or redirect standard output (> FILE.xlsx)"
        )
    with signals_interrupt(), _opened(settings) as application:
        services = application.services
        caller = _acting_owner(services, OrgId(args.org), settings)
        freeze_what_lasts()  # the export's garbage is collected without walking the application
        export = services.exports.export_time_entries(caller, command)
        progress = Progress(sys.stderr, label=f"exporting {export.export_format.value}")
        target: IO[bytes]
        with _output(args.output) as target:
            for chunk in export.chunks:
                target.write(chunk)
                progress.advance(len(chunk))
        progress.finish()
    return 0


@contextmanager
def _output(path: Path | None) -> Iterator[IO[bytes]]:
    if path is None:
        with out.stdout_writes(), nullcontext(sys.stdout.buffer) as stdout:
            yield stdout
            stdout.flush()
        return
    if path.is_dir():  # checked first: FILE.partial would be written beside it, then not renamed
        raise FileUnusable(f"cannot write {path}: Is a directory")
    partial = path.with_name(path.name + ".partial")
    try:
        file = partial.open("wb")
    except OSError as error:
        raise FileUnusable.of("write", path, error) from error
    try:
        with file:
            yield file
        partial.replace(path)  # a failed export leaves no file that looks complete
    except OSError as error:  # a full disk, a rename refused: nothing is left behind
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
        raise FileUnusable.of("write", path, error) from error
    except BaseException:  # the export failed, Ctrl-C, SIGTERM or SIGHUP: no FILE.partial is left either
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
        raise


def _acting_owner(services: Services, org_id: OrgId, settings: Settings) -> Caller:
    """The organization's oldest active owner, whom hours export and hours import act as; an
    organization without one (``hours orgs create`` makes none) is an error that says how to add one."""
    try:
        return services.admin.owner_caller(org_id)
    except NoActiveOwner as error:
        program, db = _program(), db_option(settings)
        raise NoActiveOwner(
            f"{str(error).rstrip('.')}: give it one with `{program} users create --org {org_id} --role owner "
            f"--email EMAIL{db}` (or `{program} users reactivate USER_ID{db}`, `{program} users set-role "
            f"USER_ID owner{db}`), then run this again."
        ) from error


def import_file(args: argparse.Namespace, settings: Settings) -> int:
    """Import a file into an organization and print the report."""
    with signals_interrupt(), _opened(settings) as application:
        services = application.services
        caller = _acting_owner(services, OrgId(args.org), settings)
        freeze_what_lasts()  # the import's garbage is collected without walking the application
        with _input(args.file) as data, _nothing_stored_if_interrupted():
            report = services.imports.import_entries(
                caller,
                ImportEntries(
                    source=args.source,
                    data=data,
                    timezone=args.timezone,
                    date_format=args.date_format,
                    dry_run=args.dry_run,
                    atomic=args.all_or_nothing,
                    create_users=args.create_users,
                    limits=CLI_IMPORT_LIMITS,
                ),
            )
    out.emit(args.json, import_report_json(report), _human_report(report))
    return EXIT_ROWS_FAILED if report.failed else 0


@contextmanager
def _nothing_stored_if_interrupted() -> Iterator[None]:
    """Around the import's one write transaction: Ctrl-C (or SIGTERM, SIGHUP) before it committed
    rolls all of it back, and standard error says so (exit status 130, or 128 + the signal's number,
    as for any interrupted command)."""
    try:
        yield
    except KeyboardInterrupt:
        print(
            "interrupted: nothing was imported (the import is one transaction, rolled back)", file=sys.stderr
        )
        raise


@contextmanager
def _input(name: str) -> Iterator[IO[bytes]]:
    if name == "-":
        yield sys.stdin.buffer
        return
    try:
        file = Path(name).open("rb")  # noqa: SIM115 - closed below; only opening is translated
    except OSError as error:  # missing, a folder, not permitted
        raise FileUnusable.of("read", name, error) from error
    with file:
        yield file


def _human_report(report: ImportReport) -> str:
    if report.dry_run:
        head = "Dry run, nothing stored:"
        verb = "would be created"
    elif report.id is None:
        head = "Nothing stored (--all-or-nothing, and rows failed):"
        verb = "created"
    else:
        head = f"Import {report.id} (undo it with DELETE /imports/{report.id}):"
        verb = "created"
    lines = [
        head,
        f"  {out.counted(report.created, 'entry', 'entries')} {verb}, "
        f"{out.counted(report.duplicates, 'duplicate', 'duplicates')} skipped, "
        f"{out.counted(report.failed, 'row', 'rows')} failed",
    ]
    tasks = [
        f"{task} ({project})"
        for task, project in zip(report.created_tasks, report.created_task_projects, strict=True)
    ]
    for kind, names in (
        ("projects", report.created_projects),
        ("clients", report.created_clients),
        ("tasks", tasks),
        ("users", report.created_users),
    ):
        if names:
            lines.append(f"  new {kind}: {', '.join(names)}")
    if report.errors:
        rows = [(str(e.row), e.column or "-", e.code, e.message) for e in report.errors]
        lines.append(out.table(("ROW", "COLUMN", "CODE", "MESSAGE"), rows, empty=""))
    if report.errors_omitted:
        lines.append(
            f"  and {report.errors_omitted} more row errors, not listed (the report lists the first "
            f"{len(report.errors)}): fix these and import again"
        )
    return "\n".join(lines)
