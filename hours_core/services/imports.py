"""The import use case: a tracker's export in, time entries out, each source row at most once.

The file is read through the :class:`~hours_core.exchange.ImportReader` port, row by row, in
batches of :data:`IMPORT_BATCH_SIZE`. Each good row is matched to the organization's users (by
email), projects and tasks (by name; created when missing), checked as a new entry is, and stored
through the bulk path (``add_many``) unless an entry of the organization already holds its
``external_ref``, or, for hours' own JSON lines, is the entry the row was exported from (then it
is a duplicate; both are looked up once per batch). The whole import is one write transaction: an
``atomic`` import that meets a failed row, and a problem with the file itself, store nothing; a
dry run reads and checks everything in a read-only one. The imports of one organization that
store run one at a time (``ImportRepository.hold``), so that names they create are created once.
docs/export-import.md has the rules.

A row of hours' JSON lines that the file marks deleted (``deletedAt``: an export with deleted
entries) is stored as a deleted entry, deleted at the import's time as it is created then, so that
restoring a backup never turns deleted entries into live time.

What an import stores writes its events in the same transaction, ``via: import``: the
``*.created`` of each user, client, project and task it creates, and ``time_entry.created`` for
each entry of a batch it stores (then ``time_entry.deleted`` for one stored deleted); duplicates
write nothing. Its undo writes ``time_entry.deleted`` for each entry it deletes (docs/events.md,
"Imports").

An import records what it created besides entries (:class:`~hours_core.model.ImportCreation`, one
per client, project, task and user, stored with it), and its undo soft-deletes those as each kind
is deleted: it archives the tasks, projects and clients and deactivates the users, except what
something outside the import uses by then (:func:`_retire_creations`), with their ``*.archived``
and ``user.deactivated`` events. A later import whose rows name what an undo retired revives it as
its own (``*.unarchived``, ``user.reactivated``), so that a file imports again after its undo
(docs/export-import.md, "Undoing an import").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from itertools import islice
from uuid import UUID

import attrs

from hours_core.caseless import caseless
from hours_core.emails import email_key, email_problem
from hours_core.entry_locks import ClosedDays, LockOverride, check_entry_write
from hours_core.errors import NotFound, PlanRequired, Unauthenticated
from hours_core.events import EventType
from hours_core.exchange import (
    DEFAULT_LIMITS,
    FileFormats,
    ImportData,
    ImportLimits,
    ImportRow,
    RejectedRow,
    RowError,
)
from hours_core.model import (
    Client,
    ClientId,
    Import,
    ImportCreation,
    ImportedKind,
    ImportId,
    Org,
    OrgId,
    Project,
    ProjectId,
    Role,
    Task,
    TaskId,
    TimeEntry,
    TimeEntryId,
    User,
    UserId,
    name_problem,
)
from hours_core.plans import (
    FREE_PLAN_ACTIVE_PROJECTS,
    Feature,
    allows,
    require_room_for_users,
    required_plan,
)
from hours_core.ports import Clock, EntryReference, IdFactory, UnitOfWork
from hours_core.rates import RateBook
from hours_core.services.caller import Caller, allowed_after_existence
from hours_core.services.recording import EventRecorder, Origin
from hours_core.services.team import deactivate, locked_org, reactivate
from hours_core.services.transactions import Transactions
from hours_core.timesheet_locks import TimesheetLocks, timesheet_locked
from hours_core.validation import FIRST_ENTRY_DATE, LAST_ENTRY_DATE, instant_problem

__all__ = [
    "IMPORT_BATCH_SIZE",
    "IMPORT_CURRENCY",
    "MAX_REPORTED_ROW_ERRORS",
    "ImportEntries",
    "ImportReport",
    "ImportService",
]

IMPORT_BATCH_SIZE = 2_000
"""Rows checked for duplicates and stored together."""

_UNDO_PAGE = 1_000
"""Entries an undo deletes (and records the events of) at a time."""

MAX_REPORTED_ROW_ERRORS = 1_000
"""The row errors a report lists: the first ones, by row; the rest are counted in
``errors_omitted``. A file of 500,000 failing rows would otherwise make a report of hundreds of
megabytes (a tester's 1.5 MB file of ``{}`` lines: a 214 MB answer and 1.1 GB in the server), and
a person fixes a file from its first errors. ``failed`` still counts every failed row."""

IMPORT_CURRENCY = "EUR"
"""The currency of a client an import creates: no tracker's export states a client's currency."""


@attrs.frozen
class ImportEntries:
    """Import a file: ``source`` is ``toggl``, ``clockify``, ``harvest`` or ``hours``.

    ``timezone`` (an IANA name) is required for Toggl and Clockify; ``date_format`` (``MDY`` or
    ``DMY``) settles dates such as ``09/04/2025``. ``dry_run`` stores nothing; ``atomic`` stores
    nothing when any row fails; ``create_users`` adds an unknown email as a member.
    """

    source: str
    data: ImportData
    timezone: str | None = None
    date_format: str | None = None
    dry_run: bool = False
    atomic: bool = False
    create_users: bool = False
    limits: ImportLimits = DEFAULT_LIMITS


@attrs.frozen
class ImportReport:
    """What an import did (or, for a dry run, would do).

    ``created`` entries were stored (0 when nothing was; a dry run counts what the import would
    store: an atomic import with a failed row stores and counts nothing, its dry run too);
    ``duplicates`` rows were already imported; ``failed`` rows are explained in ``errors`` (the
    first :data:`MAX_REPORTED_ROW_ERRORS` of their errors; ``errors_omitted`` counts the rest). The
    ``created_*`` lists name what the import created (or would), in the order it did. ``id`` is the
    stored import's id (``None`` when nothing was stored).
    """

    id: ImportId | None
    source: str
    dry_run: bool
    created: int
    duplicates: int
    failed: int
    created_projects: tuple[str, ...]
    created_clients: tuple[str, ...]
    created_tasks: tuple[str, ...]
    created_users: tuple[str, ...]
    errors: tuple[RowError, ...]
    created_task_projects: tuple[str, ...] = ()
    """The project of each of ``created_tasks``, in the same order (a task name may be new in
    several projects)."""
    errors_omitted: int = 0
    """Row errors past the first :data:`MAX_REPORTED_ROW_ERRORS`, counted but not listed."""


class _Abandoned(Exception):
    """Rolls an atomic import with a failed row back, carrying its report out."""

    def __init__(self, report: ImportReport) -> None:
        super().__init__("atomic import abandoned")
        self.report = report


class ImportService:
    """Imports files, and undoes imports."""

    def __init__(
        self, transactions: Transactions, clock: Clock, ids: IdFactory, formats: FileFormats | None
    ) -> None:
        self._transactions = transactions
        self._clock = clock
        self._ids = ids
        self._formats = formats
        self._events = EventRecorder(clock, ids)

    def import_entries(self, caller: Caller, command: ImportEntries) -> ImportReport:
        """Import the file (owners and admins); answer with the report.

        File-level problems (a missing column, dates that stay ambiguous, a file too large) raise
        an :class:`~hours_core.errors.HoursError` and store nothing, wherever in the file they are.
        """
        if self._formats is None:
            raise RuntimeError("no file formats were wired into the services")
        caller.require_manager("import time entries")
        rows = self._formats.read(
            command.source,
            command.data,
            timezone=command.timezone,
            date_format=command.date_format,
            limits=command.limits,
        )
        source = str(command.source)
        if command.dry_run:
            with self._transactions.read() as uow:
                run = _Run(uow, caller, self._ids, self._clock.now(), source, command, events=None)
                run.take_all(rows)
                return run.report(None, stored=not (command.atomic and run.failed))  # as the real run
        try:
            with self._transactions.write() as uow:
                # First: the organization's other imports end before this one reads the names it
                # matches, so that two imports creating one project create it once (PostgreSQL).
                uow.imports.hold(caller.org_id)
                now = self._clock.now()
                if command.create_users or not allows(caller.org.plan, Feature.UNLIMITED_PROJECTS):
                    # The plan's limits of users and of active projects are counted under the
                    # organization's lock, as POST /users and POST /projects count them.
                    uow.orgs.lock(caller.org_id)
                record = Import(
                    id=ImportId(self._ids.new_id()),
                    org_id=caller.org_id,
                    user_id=caller.user_id,
                    source=source,
                    created=0,
                    duplicates=0,
                    failed=0,
                    created_at=now,
                )
                uow.imports.add(record)
                run = _Run(
                    uow, caller, self._ids, now, source, command, events=self._events, import_id=record.id
                )
                run.take_all(rows)
                if command.atomic and run.failed:
                    raise _Abandoned(run.report(None, stored=False))
                uow.imports.add_creations(run.creations)
                uow.imports.update(
                    attrs.evolve(record, created=run.created, duplicates=run.duplicates, failed=run.failed)
                )
                return run.report(record.id)
        except _Abandoned as abandoned:
            return abandoned.report

    def delete_import(
        self, caller: Caller, import_id: ImportId, *, override: LockOverride | None = None
    ) -> Import:
        """Undo an import (owners and admins): soft-delete the entries it created that are not
        deleted yet, and release their source rows, so that the file imports again; then archive
        the tasks, projects and clients it created and deactivate the users it created, each unless
        something outside the import uses it (:func:`_retire_creations`). Each entry deleted writes
        ``time_entry.deleted``, each thing archived or deactivated its ``*.archived`` or
        ``user.deactivated`` (all ``via: import``).

        An import of another organization, or one already deleted, is :class:`NotFound`. An import
        with a live entry that a delete of it would not change is :class:`~hours_core.errors.EntryLocked`,
        and nothing changes: an invoiced entry, an entry on a closed day, or one in a week whose
        timesheet is submitted or approved. An owner's ``override`` lets the undo through closed days
        (explicit periods and the rolling rule), as it lets a delete through: each entry it deletes on
        a closed day records the reason. It never lifts an invoice or a timesheet.
        """

        def look_up() -> None:
            with self._transactions.read() as uow:
                record = uow.imports.get(caller.org_id, import_id)
            if record is None or record.deleted_at is not None:
                raise NotFound.of("import")

        def check() -> None:
            caller.require_manager("delete imports")
            check_entry_write(ClosedDays(), caller.user.role, None, (), override)  # only owners override

        allowed_after_existence(check, look_up)
        with self._transactions.write() as uow:
            made = uow.imports.creations(caller.org_id, import_id)  # stored with the import, never changed
            kinds = {creation.kind for creation in made}
            org = caller.org
            if kinds:
                # An import that would find what this archives still active runs before or after
                # (taken first, as an import takes it).
                uow.imports.hold(caller.org_id)
            if kinds & {ImportedKind.CLIENT, ImportedKind.USER}:
                # Archiving a client and deactivating a user take the organization's lock (as PATCH
                # /clients and POST /users/{id}/deactivate do), first in the order of locks.
                org = locked_org(uow, caller.org_id)
            if kinds:
                # The organization's entry writes wait (as for a deactivation, team.deactivate): an
                # entry that names a project, task or user this retires either landed before and
                # keeps it, or comes after and is refused. Taken before the undo reads in share mode.
                uow.periods.hold(caller.org_id)
            record = uow.imports.lock(caller.org_id, import_id)  # two undos: the second sees the first's
            if record is None or record.deleted_at is not None:
                raise NotFound.of("import")
            now = self._clock.now()
            origin = Origin.importing(caller)
            closed = ClosedDays.read(uow.periods, caller.org, now)
            week_locks = TimesheetLocks(uow, caller.org_id)
            while True:
                entries = uow.entries.delete_imported(caller.org_id, import_id, now, limit=_UNDO_PAGE)
                for entry in entries:
                    used = _undo_check(entry, caller, closed, week_locks, override)  # raising undoes all
                    self._events.entry(
                        uow, origin, EventType.TIME_ENTRY_DELETED, entry, entry.unimported(now), override=used
                    )
                if len(entries) < _UNDO_PAGE:
                    break
            kept = _retire_creations(uow, self._events, origin, org, made, now)
            # What the undo did not retire is no longer the import's: another import that names it
            # finds it as it is (an undone import lists what its undo archived or deactivated).
            uow.imports.forget_creations(caller.org_id, import_id, kept)
            deleted = record.deleted(now)
            uow.imports.update(deleted)
        return deleted


def _retired_by_undos(uow: UnitOfWork, org_id: OrgId) -> dict[UUID, datetime]:
    """What the organization's undone imports created and their undos archived or deactivated,
    each with the time of the last undo that did (an undo retires what it retires at its own
    ``deleted_at``)."""
    creations = uow.imports.retired_creations(org_id)
    undone_at: dict[ImportId, datetime] = {}
    for import_id in {creation.import_id for creation in creations}:
        record = uow.imports.get(org_id, import_id)
        if record is not None and record.deleted_at is not None:
            undone_at[import_id] = record.deleted_at
    retired: dict[UUID, datetime] = {}
    for creation in creations:
        at = undone_at.get(creation.import_id)
        if at is not None:
            retired[creation.subject_id] = max(at, retired.get(creation.subject_id, at))
    return retired


_NAMED_BY_ENTRIES: Mapping[EntryReference, ImportedKind] = {
    "project_id": ImportedKind.PROJECT,
    "task_id": ImportedKind.TASK,
    "user_id": ImportedKind.USER,
}
"""The field of an entry that names each kind of thing an import creates (a client is named by
projects, not entries)."""


def _retire_creations(
    uow: UnitOfWork,
    events: EventRecorder,
    origin: Origin,
    org: Org,
    made: Sequence[ImportCreation],
    now: datetime,
) -> list[UUID]:
    """Soft-delete what an import created, once its entries are deleted: archive each task,
    project and client, and deactivate each user, that is still active and that nothing outside
    the import uses (each change with the event its own route writes); return the ids of the others
    (left alone, or archived or deactivated already):

    * a task or a project that a live entry names (the import's are deleted by now, so another's);
    * a project with an active task (one the import created and kept, or one added since);
    * a client with an active project (one not created by the import, or one kept);
    * a user with a live entry, who is an owner or an admin now, or who was given a way to sign in
      since (an active token, a password).

    Tasks go first, then projects, then clients, so that each sees what the step before kept."""
    org_id = org.id
    of_kind = {kind: [c.subject_id for c in made if c.kind is kind] for kind in ImportedKind}
    retired: set[UUID] = set()
    # One read of the live entries for tasks, projects and users at once: retiring one changes no
    # entry, so what the live entries name is the same at each step.
    asked: dict[EntryReference, Sequence[UUID]] = {
        field: of_kind[kind] for field, kind in _NAMED_BY_ENTRIES.items() if of_kind[kind]
    }
    named = uow.entries.referenced_by_live_entries(org_id, asked) if asked else {}

    task_ids = of_kind[ImportedKind.TASK]
    used = named.get("task_id", set())
    for task_id in task_ids:
        task = uow.tasks.get(org_id, TaskId(task_id))
        if task is not None and not task.archived and task_id not in used:
            events.archivable(uow, origin, task, uow.tasks.update(task.revised(now, archived=True)))
            retired.add(task_id)

    project_ids = of_kind[ImportedKind.PROJECT]
    used = named.get("project_id", set())
    for project_id in project_ids:
        project = uow.projects.get(org_id, ProjectId(project_id))
        if project is None or project.archived or project_id in used:
            continue
        if any(not task.archived for task in uow.tasks.list_for_project(org_id, project.id)):
            continue
        events.archivable(uow, origin, project, uow.projects.update(project.revised(now, archived=True)))
        retired.add(project_id)

    client_ids = of_kind[ImportedKind.CLIENT]
    if client_ids:
        served = {project.client_id for project in uow.projects.list(org_id, include_archived=False)}
        for client_id in client_ids:
            client = uow.clients.get(org_id, ClientId(client_id))
            if client is not None and not client.archived and client.id not in served:
                events.archivable(uow, origin, client, uow.clients.update(client.revised(now, archived=True)))
                retired.add(client_id)

    user_ids = of_kind[ImportedKind.USER]
    used = named.get("user_id", set())
    for user_id in user_ids:
        user = uow.users.get(org_id, UserId(user_id))
        if user is None or not user.is_active or user.role is not Role.MEMBER or user_id in used:
            continue
        if uow.tokens.count_active(org_id, user.id, now) or any(
            login.user.id == user.id for login in uow.sessions.password_logins(user.email_key)
        ):
            continue
        deactivate(uow, events, origin, org, user, now)
        retired.add(user_id)
    return [creation.subject_id for creation in made if creation.subject_id not in retired]


def _undo_check(
    entry: TimeEntry,
    caller: Caller,
    closed: ClosedDays,
    week_locks: TimesheetLocks,
    override: LockOverride | None,
) -> str | None:
    """Refuse the undo of ``entry`` as a delete of it would be refused
    (:class:`~hours_core.errors.EntryLocked`): an invoice, its day closed (unless the owner's
    ``override``), or its week in a submitted or approved timesheet of its user. The override's
    reason if it let the entry through."""
    used = check_entry_write(closed, caller.user.role, entry, [entry.entry_date], override)
    timesheet = week_locks.holding(entry.user_id, entry.entry_date)
    if timesheet is not None:
        raise timesheet_locked(timesheet)
    return used


class _RowFailed(Exception):
    def __init__(self, column: str | None, code: str, message: str) -> None:
        super().__init__(message)
        self.column = column
        self.code = code
        self.message = message


def _batches(rows: Iterable[ImportRow | RejectedRow]) -> Iterator[list[ImportRow | RejectedRow]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, IMPORT_BATCH_SIZE)):
        yield batch


class _Run:
    """One import in progress: what it has matched, created and counted so far."""

    def __init__(
        self,
        uow: UnitOfWork,
        caller: Caller,
        ids: IdFactory,
        now: datetime,
        source: str,
        command: ImportEntries,
        *,
        events: EventRecorder | None,
        import_id: ImportId | None = None,
    ) -> None:
        self.uow, self.caller, self.ids, self.now = uow, caller, ids, now
        self.source, self.command, self.import_id = source, command, import_id
        self.events, self.store = events, events is not None
        self.origin = Origin.importing(caller)
        self.created = self.duplicates = self.failed = 0
        self.errors: list[RowError] = []
        self.errors_omitted = 0
        self.created_projects: list[str] = []
        self.created_clients: list[str] = []
        self.created_tasks: list[str] = []
        self.created_task_projects: list[str] = []
        self.created_users: list[str] = []
        org = caller.org_id
        # The closed days first: reading them holds the org's entry writes (PostgreSQL), which a
        # deactivation waits for and holds itself, so the users read next are as it left them.
        self.closed = ClosedDays.read(uow.periods, caller.org, now)
        users = uow.users.list(org)
        if not any(user.id == caller.user_id and user.is_active for user in users):
            raise Unauthenticated(token_sent=True)  # deactivated since the request was authenticated
        self.users_by_email = {user.email_key: user for user in users}
        self.users_by_name: dict[str, list[User]] = {}
        for user in users:
            self.users_by_name.setdefault(caseless(user.name), []).append(user)
        self.active_users = sum(1 for user in users if user.is_active)
        projects = uow.projects.list(org)
        self.projects: dict[str, Project] = {}
        for project in projects:  # the oldest of a name, an active one first
            known = self.projects.get(caseless(project.name))
            if known is None or (known.archived and not project.archived):
                self.projects[caseless(project.name)] = project
        self.active_projects = sum(1 for project in projects if not project.archived)
        self.clients: dict[str, Client] = {}
        self.clients_by_id: dict[ClientId, Client] = {}
        for client in uow.clients.list(org):  # the oldest of a name, an active one first
            self.clients_by_id[client.id] = client
            known_client = self.clients.get(caseless(client.name))
            if known_client is None or (known_client.archived and not client.archived):
                self.clients[caseless(client.name)] = client
        self.rates = (
            RateBook(uow.rates.list(org)) if allows(caller.org.plan, Feature.BILLABLE_RATES) else None
        )
        self.tasks: dict[tuple[ProjectId, str], Task] = {}
        self.tasks_loaded: set[ProjectId] = set()
        self.seen: set[str] = set()
        self.week_locks = TimesheetLocks(uow, org)
        # What the row being checked would create (a user, a client, a project, a task), kept only
        # once the whole row passes: a row that fails creates nothing (no seat, no project slot).
        self.pending: list[Callable[[], None]] = []
        self.creations: list[ImportCreation] = []
        """What this import created and stored (what its undo archives or deactivates)."""
        self.retired = _retired_by_undos(uow, org)
        """What undone imports archived or deactivated, each with when: a row naming one that is
        still as that undo left it revives it (as created); see :meth:`_left_by_an_undo`."""

    def take_all(self, rows: Iterable[ImportRow | RejectedRow]) -> None:
        """Read every row of the file, storing each batch as it goes."""
        for batch in _batches(rows):
            self._take(batch)

    def report(self, import_id: ImportId | None, *, stored: bool = True) -> ImportReport:
        """The report so far (``stored=False``: an atomic import with a failed row, which creates
        nothing, rolled back or dry run)."""
        errors = tuple(sorted(self.errors, key=lambda error: error.row))
        return ImportReport(
            id=import_id,
            source=self.source,
            dry_run=not self.store,
            created=self.created if stored else 0,
            duplicates=self.duplicates,
            failed=self.failed,
            created_projects=tuple(self.created_projects) if stored else (),
            created_clients=tuple(self.created_clients) if stored else (),
            created_tasks=tuple(self.created_tasks) if stored else (),
            created_users=tuple(self.created_users) if stored else (),
            errors=errors,
            created_task_projects=tuple(self.created_task_projects) if stored else (),
            errors_omitted=self.errors_omitted,
        )

    def _take(self, batch: list[ImportRow | RejectedRow]) -> None:
        good = [row for row in batch if isinstance(row, ImportRow)]
        refs = [self._ref(row) for row in good]
        refs += [ref for row in batch if isinstance(row, RejectedRow) and (ref := self._rejected_ref(row))]
        refs += [earlier for row in good for earlier in self._earlier_refs(row)]
        existing = self.uow.entries.existing_external_refs(self.caller.org_id, refs) if refs else set()
        exported = [TimeEntryId(row.exported_id) for row in batch if row.exported_id is not None]
        present = self.uow.entries.existing_ids(self.caller.org_id, exported) if exported else set()
        entries: list[TimeEntry] = []
        for row in batch:
            if isinstance(row, RejectedRow):
                known = self._rejected_ref(row)
                if (known is not None and (known in existing or known in self.seen)) or (
                    row.exported_id in present
                ):
                    self.duplicates += 1  # the export of an entry that is here: nothing else counts
                    continue
                self.failed += 1
                self._note(*row.errors)
                continue
            ref = self._ref(row)
            if (
                ref in existing
                or ref in self.seen
                or not existing.isdisjoint(self._earlier_refs(row))
                or row.exported_id in present  # the organization's own export: the entry is here
            ):
                self.duplicates += 1
                continue
            try:
                entries.append(self._entry(row, ref))
            except _RowFailed as failure:
                self.failed += 1
                self._note(RowError(row.row, failure.column, failure.code, failure.message))
                continue
            self.seen.add(ref)
        if self.events is not None and entries:
            self.uow.entries.add_many(entries)
            self._record_created(self.events, entries)
        self.created += len(entries)

    def _left_by_an_undo(self, subject_id: UUID, changed_at: datetime | None) -> bool:
        """Whether an undone import's undo archived or deactivated ``subject_id`` and nothing changed
        it since: its last change (``changed_at``: a project's or task's ``updated_at``, a client's
        ``archived_at``, a user's ``deactivated_at``) is the last such undo. A thing archived or
        deactivated by hand since, even after an undo revived it and another undid it, is not revived:
        its row fails as for any archived or inactive one."""
        return changed_at is not None and self.retired.get(subject_id) == changed_at

    def _created(self, kind: ImportedKind, subject_id: UUID) -> None:
        """Note that the import stored a new ``kind`` (stored with the import: its undo reads them)."""
        assert self.import_id is not None  # only a run that stores creates
        self.creations.append(ImportCreation(self.caller.org_id, self.import_id, kind, subject_id))

    def _note(self, *errors: RowError) -> None:
        """Keep ``errors`` for the report while it lists fewer than :data:`MAX_REPORTED_ROW_ERRORS`
        (rows come in order, so those kept are the first); count the rest."""
        room = MAX_REPORTED_ROW_ERRORS - len(self.errors)
        self.errors.extend(errors[:room] if room > 0 else ())
        self.errors_omitted += max(0, len(errors) - max(room, 0))

    def _record_created(self, events: EventRecorder, entries: list[TimeEntry]) -> None:
        """``time_entry.created`` for each entry stored, and, for each one stored deleted (a row the
        file marks deleted), ``time_entry.deleted`` after it: its creation as live time, then its
        deletion, as any deleted entry's events tell it (a consumer that follows either sees it deleted)."""
        live = [
            entry if entry.deleted_at is None else attrs.evolve(entry, deleted_at=None) for entry in entries
        ]
        events.entries_created(self.uow, self.origin, live)
        for created, entry in zip(live, entries, strict=True):
            if entry.deleted_at is not None:
                events.entry(self.uow, self.origin, EventType.TIME_ENTRY_DELETED, created, entry)

    def _ref(self, row: ImportRow) -> str:
        return f"{self.source}:{row.external_ref}"

    def _rejected_ref(self, row: RejectedRow) -> str | None:
        """The reference of the entry a rejected row is the export of, if the reader could tell."""
        return None if row.external_ref is None else f"{self.source}:{row.external_ref}"

    def _earlier_refs(self, row: ImportRow) -> list[str]:
        """The row's references as earlier versions of hours stored them, those that differ: an entry
        imported then from the same row holds one (new entries store :meth:`_ref`)."""
        return [f"{self.source}:{earlier}" for earlier in row.earlier_external_refs]

    def _entry(self, row: ImportRow, ref: str) -> TimeEntry:
        """The row's entry; the users, clients, projects and tasks it needs are created (stored,
        recorded and reported) only when every check of the row passed."""
        self.pending = []
        entry = self._checked_entry(row, ref)
        for keep in self.pending:
            keep()
        self.pending = []
        return entry

    def _checked_entry(self, row: ImportRow, ref: str) -> TimeEntry:
        if not FIRST_ENTRY_DATE <= row.entry_date <= LAST_ENTRY_DATE:
            raise _RowFailed(
                _column(row, "entry_date"),
                "invalid_date",
                f"the date must be from {FIRST_ENTRY_DATE} to {LAST_ENTRY_DATE}, got {row.entry_date}",
            )
        for field in ("started_at", "stopped_at"):  # the range every instant of an entry keeps
            instant: datetime | None = getattr(row, field)
            problem = None if instant is None else instant_problem(instant)
            if problem is not None:
                assert instant is not None
                message = f"{problem}, got {instant.isoformat()}"
                raise _RowFailed(_column(row, field), "invalid_datetime", message)
        lock = self.closed.lock_of(row.entry_date)
        if lock is not None:
            raise _RowFailed(_column(row, "entry_date"), "entry_locked", lock.message)
        user = self._user(row)
        locked = self.week_locks.holding(user.id, row.entry_date)
        if locked is not None:
            raise _RowFailed(
                _column(row, "entry_date"),
                "entry_locked",
                f"the date is in the week {locked.week_start} to {locked.week_end}, whose timesheet is "
                f"{locked.status.value}",
            )
        project = self._project(row)
        task = self._task(row, project)
        billable = project.billable_by_default if row.billable is None else row.billable
        if billable:
            self._require(row, "billable", Feature.BILLABLE_TIME, "billable time")
        if user.id != self.caller.user_id:  # matched by email, else by name (Harvest has no email)
            field = "user_email" if row.user_email is not None else "user_name"
            self._require(row, field, Feature.TEAM_ENTRIES, "entries of other users")
        entry = TimeEntry(
            id=TimeEntryId(self.ids.new_id()),
            org_id=self.caller.org_id,
            user_id=user.id,
            project_id=project.id,
            task_id=None if task is None else task.id,
            invoice_id=None,
            duration_seconds=row.duration_seconds,
            billable=billable,
            note=row.note,
            entry_date=row.entry_date,
            started_at=row.started_at,
            stopped_at=row.stopped_at,
            created_at=self.now,
            updated_at=self.now,
            deleted_at=None if row.deleted_at is None else self.now,  # deleted in the file: stays deleted
            import_id=self.import_id,
            external_ref=ref,
        )
        if self.rates:
            entry = attrs.evolve(entry, rate=self.rates.stored_for(entry, project))
        return entry

    def _require(self, row: ImportRow, field: str, feature: Feature, what: str) -> None:
        if not allows(self.caller.org.plan, feature):
            plan = required_plan(feature).value
            raise _RowFailed(
                _column(row, field),
                "plan_required",
                f"{what} needs the {plan} plan (feature {feature.value})",
            )

    def _user(self, row: ImportRow) -> User:
        if row.user_email is not None:
            column = _column(row, "user_email")
            user = self.users_by_email.get(email_key(row.user_email))
            if user is None:
                user = self._new_user(row, column)
            elif self._left_by_an_undo(user.id, user.deactivated_at) and self.command.create_users:
                user = self._revived_user(user, column)
        elif row.user_name is not None:
            column = _column(row, "user_name")
            named = self.users_by_name.get(caseless(row.user_name), [])
            if len(named) != 1:
                how = "no user" if not named else "more than one user"
                raise _RowFailed(
                    column, "unknown_user", f"{how} of this organization is called {row.user_name!r}"
                )
            user = named[0]
        else:
            return self.caller.user
        if not user.is_active:
            raise _RowFailed(column, "user_deactivated", f"the user {user.email} is deactivated")
        return user

    def _new_user(self, row: ImportRow, column: str | None) -> User:
        email = row.user_email or ""
        if not self.command.create_users:
            raise _RowFailed(
                column,
                "unknown_user",
                f"no user of this organization has the email {email}; add them first, or let the "
                "import create users (createUsers over the API, --create-users on the CLI)",
            )
        problem = email_problem(email)
        if problem is not None:
            raise _RowFailed(column, "invalid_email", f"the email {problem}")
        try:
            require_room_for_users(self.caller.org.plan, self.active_users + 1)
        except PlanRequired as refusal:
            raise _RowFailed(column, "plan_required", refusal.message) from None
        name = row.user_name if row.user_name and name_problem(row.user_name) is None else None
        user = User.new(
            UserId(self.ids.new_id()),
            self.caller.org_id,
            email,
            name or User.name_from_email(email),
            Role.MEMBER,
            self.now,
        )

        def keep() -> None:
            if self.events is not None:
                self.uow.users.add(user)
                self.events.user(self.uow, self.origin, EventType.USER_CREATED, None, user)
                self._created(ImportedKind.USER, user.id)
            self.users_by_email[user.email_key] = user
            self.users_by_name.setdefault(caseless(user.name), []).append(user)
            self.active_users += 1
            self.created_users.append(email)

        self.pending.append(keep)
        return user

    def _revived_user(self, user: User, column: str | None) -> User:
        """``user``, whom an undone import created and its undo deactivated, active again (with
        ``create_users``: the import creates them again), if the plan holds one more active user."""
        try:
            require_room_for_users(self.caller.org.plan, self.active_users + 1)
        except PlanRequired as refusal:
            raise _RowFailed(column, "plan_required", refusal.message) from None
        revived = user.reactivated()

        def keep() -> None:
            if self.events is not None:
                reactivate(self.uow, self.events, self.origin, user)
                self._created(ImportedKind.USER, user.id)
            self.users_by_email[user.email_key] = revived
            named = self.users_by_name.get(caseless(user.name), [])
            self.users_by_name[caseless(user.name)] = [revived if u.id == user.id else u for u in named]
            self.active_users += 1
            self.created_users.append(user.email)

        self.pending.append(keep)
        return revived

    def _project(self, row: ImportRow) -> Project:
        column = _column(row, "project")
        if row.project is None:
            raise _RowFailed(column, "missing_value", "the row names no project; every entry needs one")
        project = self.projects.get(caseless(row.project))
        if project is None:
            client = None if row.client is None else self._client(row.client, _column(row, "client"))
            project = self._new_project(row.project, column, client)
        elif project.archived:
            if not self._left_by_an_undo(project.id, project.updated_at):
                raise _RowFailed(column, "project_archived", f"the project {project.name!r} is archived")
            project = self._revived_project(project, column)
        return project

    def _revived_project(self, project: Project, column: str | None) -> Project:
        """``project``, which an undone import created and its undo archived, active again (as a
        new one would be: the plan's active projects counted), with its client if that undo
        archived it too."""
        self._require_room_for_a_project(project.name, column)
        client = None if project.client_id is None else self.clients_by_id.get(project.client_id)
        if client is not None and client.archived and self._left_by_an_undo(client.id, client.archived_at):
            self._revived_client(client)
        revived = project.revised(self.now, archived=False)

        def keep() -> None:
            stored = revived
            if self.events is not None:
                stored = self.uow.projects.update(revived)
                self.events.archivable(self.uow, self.origin, project, stored)
                self._created(ImportedKind.PROJECT, project.id)
            self.projects[caseless(project.name)] = stored
            self.active_projects += 1
            self.created_projects.append(project.name)

        self.pending.append(keep)
        return revived

    def _client(self, name: str, column: str | None) -> Client:
        """The client of that name (ignoring case), created when missing: in :data:`IMPORT_CURRENCY`,
        since no tracker's export states a client's currency (change it with ``PATCH /clients/{id}``
        before setting its rates)."""
        client = self.clients.get(caseless(name))
        if client is not None:
            if client.archived:
                if not self._left_by_an_undo(client.id, client.archived_at):
                    raise _RowFailed(column, "client_archived", f"the client {client.name!r} is archived")
                return self._revived_client(client)
            return client
        problem = name_problem(name)
        if problem is not None:
            raise _RowFailed(column, "invalid_name", f"the client name {problem}")
        new = Client.new(ClientId(self.ids.new_id()), self.caller.org_id, name, IMPORT_CURRENCY, self.now)

        def keep() -> None:
            if self.events is not None:
                self.uow.clients.add(new)
                self.events.archivable(self.uow, self.origin, None, new)
                self._created(ImportedKind.CLIENT, new.id)
            self.clients[caseless(name)] = self.clients_by_id[new.id] = new
            self.created_clients.append(name)

        self.pending.append(keep)
        return new

    def _revived_client(self, client: Client) -> Client:
        """``client``, which an undone import created and its undo archived, active again."""
        revived = client.revised(self.now, archived=False)

        def keep() -> None:
            stored = revived
            if self.events is not None:
                stored = self.uow.clients.update(revived)
                self.events.archivable(self.uow, self.origin, client, stored)
                self._created(ImportedKind.CLIENT, client.id)
            self.clients[caseless(client.name)] = self.clients_by_id[client.id] = stored
            self.created_clients.append(client.name)

        self.pending.append(keep)
        return revived

    def _new_project(self, name: str, column: str | None, client: Client | None = None) -> Project:
        problem = name_problem(name)
        if problem is not None:
            raise _RowFailed(column, "invalid_name", f"the project name {problem}")
        self._require_room_for_a_project(name, column)
        project = Project.new(
            ProjectId(self.ids.new_id()),
            self.caller.org_id,
            name,
            self.now,
            billable_by_default=self._client_default(client),
            client_id=None if client is None else client.id,
        )
        self.tasks_loaded.add(project.id)  # a new project has no tasks to read

        def keep() -> None:
            if self.events is not None:
                self.uow.projects.add(project)
                self.events.archivable(self.uow, self.origin, None, project)
                self._created(ImportedKind.PROJECT, project.id)
            self.projects[caseless(name)] = project
            self.active_projects += 1
            self.created_projects.append(name)

        self.pending.append(keep)
        return project

    def _client_default(self, client: Client | None) -> bool:
        """A created project's billable default: its client's, as ``POST /projects`` gives it, where
        the plan has billable time (a plan without it keeps every project not billable by default,
        rather than failing the rows that do not say)."""
        return bool(
            client is not None
            and client.billable_by_default
            and allows(self.caller.org.plan, Feature.BILLABLE_TIME)
        )

    def _require_room_for_a_project(self, name: str, column: str | None) -> None:
        """Refuse the row (``plan_required``) if the plan holds no more active projects."""
        plan = self.caller.org.plan
        if not allows(plan, Feature.UNLIMITED_PROJECTS) and self.active_projects >= FREE_PLAN_ACTIVE_PROJECTS:
            needed = required_plan(Feature.UNLIMITED_PROJECTS).value
            raise _RowFailed(
                column,
                "plan_required",
                f"the {plan.value} plan holds {FREE_PLAN_ACTIVE_PROJECTS} active projects; creating "
                f"{name!r} needs the {needed} plan",
            )

    def _task(self, row: ImportRow, project: Project) -> Task | None:
        if row.task is None:
            return None
        column = _column(row, "task")
        self._require(row, "task", Feature.TASKS, "tasks")
        if project.id not in self.tasks_loaded:
            for task in self.uow.tasks.list_for_project(self.caller.org_id, project.id):
                self.tasks.setdefault((project.id, caseless(task.name)), task)
            self.tasks_loaded.add(project.id)
        known = self.tasks.get((project.id, caseless(row.task)))
        if known is not None:
            if known.archived:
                if not self._left_by_an_undo(known.id, known.updated_at):
                    raise _RowFailed(column, "task_archived", f"the task {known.name!r} is archived")
                return self._revived_task(known, project)
            return known
        problem = name_problem(row.task)
        if problem is not None:
            raise _RowFailed(column, "invalid_name", f"the task name {problem}")
        name = row.task
        task = Task.new(TaskId(self.ids.new_id()), project, name, self.now)

        def keep() -> None:
            if self.events is not None:
                self.uow.tasks.add(task)
                self.events.archivable(self.uow, self.origin, None, task)
                self._created(ImportedKind.TASK, task.id)
            self.tasks[(project.id, caseless(name))] = task
            self.created_tasks.append(name)
            self.created_task_projects.append(project.name)

        self.pending.append(keep)
        return task

    def _revived_task(self, task: Task, project: Project) -> Task:
        """``task``, which an undone import created and its undo archived, active again."""
        revived = task.revised(self.now, archived=False)

        def keep() -> None:
            stored = revived
            if self.events is not None:
                stored = self.uow.tasks.update(revived)
                self.events.archivable(self.uow, self.origin, task, stored)
                self._created(ImportedKind.TASK, task.id)
            self.tasks[(project.id, caseless(task.name))] = stored
            self.created_tasks.append(task.name)
            self.created_task_projects.append(project.name)

        self.pending.append(keep)
        return revived


def _column(row: ImportRow, field: str) -> str | None:
    """The header of the column ``field`` came from in the row's file, or ``None`` when the file has
    no such column (a Toggl file without `Project`, a Harvest file without `Billable?`): an error
    names a cell of the file, or none, never one of hours' field names."""
    return row.columns.get(field)
