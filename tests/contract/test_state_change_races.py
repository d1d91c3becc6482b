"""State changes that must happen once, raced through the use cases on PostgreSQL (where writers run
side by side; SQLite and the in-memory store run one writer at a time, so these races cannot arise
there, and the service tests cover the sequential rules on every store).

Each test starts several threads at one barrier and checks both the answers (one winner, the
documented refusal for the others) and the change feed (one event per change that happened): a
check of a row read without a lock passes in every thread under READ COMMITTED, so each of these
changes reads its row locked, or asks the store whether its guarded write changed anything.
"""

from __future__ import annotations

import io
import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import date
from functools import partial
from typing import TypeVar

import attrs
import psycopg
import pytest

from hours_core.errors import (
    Conflict,
    ExternalRefTaken,
    NotFound,
    StoreBusy,
    Unauthenticated,
    ValidationFailed,
)
from hours_core.events import Event, EventType
from hours_core.model import TimeEntryId
from hours_core.services import (
    Caller,
    CreateInvoice,
    CreateTimeEntry,
    ImportEntries,
    ImportReport,
    StartTimer,
)
from hours_core.services.batches import CreateOperation, RestoreOperation
from tests.contract.test_entry_lock_races import events
from tests.exchange.odd_files import HARVEST_HEADER, TOGGL_HEADER, toggl_file
from tests.polling import eventually
from tests.postgres_support import empty_postgres_store
from tests.postgres_url import require_postgres
from tests.world import World, make_world

THREADS = 6
GUARD_SECONDS = 120
"""How long the test waits for its threads before it gives up (a guard against hangs)."""

_T = TypeVar("_T")


@pytest.fixture
def world() -> Iterator[World]:
    with empty_postgres_store() as unit_of_work:
        yield make_world(unit_of_work)


def at_once(calls: list[Callable[[], _T]]) -> list[_T | BaseException]:
    """Run ``calls`` in threads started together; each one's result or error, in order."""
    outcomes: dict[int, _T | BaseException] = {}
    start = threading.Barrier(len(calls))

    def run(index: int) -> None:
        start.wait()
        try:
            outcomes[index] = calls[index]()
        except BaseException as error:
            outcomes[index] = error

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(GUARD_SECONDS)
    assert not any(thread.is_alive() for thread in threads)
    return [outcomes[index] for index in range(len(calls))]


def of_type(world: World, type_: EventType) -> list[Event]:
    return [event for event in events(world) if event.type is type_]


def test_an_invoice_voided_by_several_callers_at_once_is_voided_once(world: World) -> None:
    owner = world.caller(world.owner)
    entries = [
        world.services.entries.create_time_entry(
            owner,
            CreateTimeEntry(project_id=world.project.id, entry_date=date(2026, 3, day), duration_seconds=60),
        )
        for day in (2, 3, 4)
    ]
    invoice = world.services.invoices.create_invoice(
        owner, CreateInvoice(external_ref="INV-1", entry_ids=[entry.id for entry in entries])
    )

    outcomes = at_once([lambda: world.services.invoices.void_invoice(owner, invoice.id)] * THREADS)

    voided = [outcome for outcome in outcomes if not isinstance(outcome, BaseException)]
    refused = [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
    assert len(voided) == 1
    assert all(isinstance(error, (Conflict, StoreBusy)) for error in refused), refused
    assert len(of_type(world, EventType.INVOICE_VOIDED)) == 1
    stored = world.services.invoices.get_invoice(owner, invoice.id).invoice
    assert stored.voided_at == voided[0].voided_at  # the winner's moment, not a later loser's
    # Each entry updated twice: invoiced, then freed by the one void.
    assert len(of_type(world, EventType.TIME_ENTRY_UPDATED)) == 2 * len(entries)


def test_a_token_revoked_by_several_callers_at_once_is_revoked_once(world: World) -> None:
    member = world.caller(world.member)
    minted = world.services.account.mint_token(member, "laptop")
    prefix = minted.token.prefix

    outcomes = at_once([lambda: world.services.account.revoke_token(member, prefix)] * THREADS)

    assert not [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
    revoked = of_type(world, EventType.TOKEN_REVOKED)
    assert len(revoked) == 1
    (stored,) = [token for token in world.services.account.list_tokens(member) if token.prefix == prefix]
    assert stored.revoked_at is not None
    assert revoked[0].changes["revoked_at"] == (None, stored.revoked_at.isoformat().replace("+00:00", "Z"))


def test_an_import_undone_by_several_callers_at_once_is_undone_once(world: World) -> None:
    owner = world.caller(world.owner)
    data = io.BytesIO(toggl_file(world.owner.email, world.member.email))
    report = world.services.imports.import_entries(
        owner, ImportEntries(source="toggl", data=data, timezone="Europe/Berlin")
    )
    assert report.id is not None and report.created > 0
    import_id = report.id

    outcomes = at_once([lambda: world.services.imports.delete_import(owner, import_id)] * THREADS)

    undone = [outcome for outcome in outcomes if not isinstance(outcome, BaseException)]
    refused = [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
    assert len(undone) == 1
    assert all(isinstance(error, (NotFound, StoreBusy)) for error in refused), refused
    assert len(of_type(world, EventType.TIME_ENTRY_DELETED)) == report.created


def test_a_user_deactivated_while_starting_timers_is_left_with_none_running(world: World) -> None:
    admin, member = world.caller(world.admin), world.caller(world.member)
    start = StartTimer(project_id=world.project.id, stop_running=True)
    starting: list[Callable[[], object]] = [lambda: world.services.entries.start_timer(member, start)] * (
        THREADS - 1
    )
    for _round in range(3):
        outcomes = at_once([*starting, lambda: world.services.team.deactivate_user(admin, world.member.id)])

        assert unexpected(outcomes, Unauthenticated, Conflict) == []
        if isinstance(outcomes[-1], StoreBusy):
            continue  # the deactivation waited out the lock timeout on a slow machine: nothing changed
        assert world.services.team.get_user(admin, world.member.id).deactivated_at is not None
        with pytest.raises(NotFound):  # nobody can stop a deactivated user's timer: none may run
            world.services.entries.current_timer(member)
        world.services.team.reactivate_user(admin, world.member.id)


def unexpected(outcomes: list[object], *expected: type[BaseException]) -> list[object]:
    """The errors among ``outcomes`` other than ``expected`` and a lock wait that ran out
    (:class:`StoreBusy`, on a machine too slow for the lock timeout; it changes nothing)."""
    allowed = (*expected, StoreBusy)
    return [
        outcome
        for outcome in outcomes
        if isinstance(outcome, BaseException) and not isinstance(outcome, allowed)
    ]


def test_no_entry_is_logged_for_a_user_after_their_deactivation(world: World) -> None:
    admin, member, owner = world.caller(world.admin), world.caller(world.member), world.caller(world.owner)
    create = CreateTimeEntry(project_id=world.project.id, entry_date=date(2026, 3, 2), duration_seconds=60)
    on_behalf = CreateTimeEntry(
        project_id=world.project.id, entry_date=date(2026, 3, 2), duration_seconds=60, user_id=world.member.id
    )
    writes: list[Callable[[], object]] = [
        lambda: world.services.entries.create_time_entry(member, create),
        lambda: world.services.entries.create_time_entry(owner, on_behalf),
    ] * 3
    for _round in range(3):
        outcomes = at_once([*writes, lambda: world.services.team.deactivate_user(admin, world.member.id)])
        assert unexpected(outcomes, Unauthenticated, ValidationFailed) == []
        world.services.team.reactivate_user(admin, world.member.id)  # a no-op if it did not happen

    inactive = False
    for event in events(world):
        if event.type is EventType.USER_DEACTIVATED:
            inactive = True
        elif event.type is EventType.USER_REACTIVATED:
            inactive = False
        elif event.type is EventType.TIME_ENTRY_CREATED and event.owner_id == world.member.id:
            assert not inactive, f"entry {event.subject.id} was logged for the member while deactivated"


def race_file(number: int) -> bytes:
    """A Harvest file of its own (its own note and hours) naming one client, project and task that
    the organization does not have yet."""
    row = f"2025-02-03,RaceClient,RaceProj,RaceTask,import {number},{number + 1},No,,"
    return (HARVEST_HEADER + "\n" + row + "\n").encode()


def test_imports_of_one_organization_that_create_one_project_at_once_create_it_once(world: World) -> None:
    owner = world.caller(world.owner)
    imports = [ImportEntries(source="harvest", data=race_file(number)) for number in range(THREADS)]

    outcomes = at_once(
        [partial(world.services.imports.import_entries, owner, command) for command in imports]
    )

    assert unexpected(outcomes) == []
    reports = [outcome for outcome in outcomes if isinstance(outcome, ImportReport)]
    assert reports and all(report.created == 1 for report in reports)
    assert sum(len(report.created_projects) for report in reports) == 1
    assert sum(len(report.created_clients) for report in reports) == 1
    assert sum(len(report.created_tasks) for report in reports) == 1
    projects = [p for p in world.services.projects.list_projects(owner) if p.name == "RaceProj"]
    clients = [c for c in world.services.clients.list_clients(owner) if c.name == "RaceClient"]
    assert (len(projects), len(clients)) == (1, 1)
    assert projects[0].client_id == clients[0].id
    assert len(of_type(world, EventType.PROJECT_CREATED)) == 1 + 1  # the world's own project, and RaceProj


def test_an_import_does_not_wait_for_another_organization_s_imports() -> None:
    with empty_postgres_store() as unit_of_work:
        acme, globex = make_world(unit_of_work), make_world(unit_of_work, name="Globex")
        with unit_of_work() as held:
            held.imports.hold(acme.org.id)  # as an import of Acme in progress holds it

            (report,) = at_once(
                [
                    lambda: globex.services.imports.import_entries(
                        globex.caller(globex.owner), ImportEntries(source="harvest", data=race_file(0))
                    )
                ]
            )

    assert isinstance(report, ImportReport) and report.created == 1


def test_timers_started_with_stop_running_by_one_user_at_once_all_start_one_after_another(
    world: World,
) -> None:
    # Each start with stop_running stops the timer running when it runs, whichever start that was:
    # none is refused as "already running" (its body says to stop it), and none stops a timer at an
    # instant before that timer's start (a 422 on a stoppedAt the request never sent).
    member = world.caller(world.member)
    start = StartTimer(project_id=world.project.id, stop_running=True)
    for _round in range(3):
        outcomes = at_once([lambda: world.services.entries.start_timer(member, start)] * THREADS)

        assert unexpected(outcomes) == []
        running = world.services.entries.current_timer(member)
        assert running.id in {outcome.id for outcome in outcomes if not isinstance(outcome, BaseException)}

    stopped = of_type(world, EventType.TIMER_STOPPED)
    started = of_type(world, EventType.TIMER_STARTED)
    assert len(stopped) == len(started) - 1  # every timer but the last was stopped, once


def test_a_stop_racing_starts_with_stop_running_of_one_user_stops_whichever_timer_runs_then(
    world: World,
) -> None:
    # The stop takes the user's row as the starts do: it stops the timer running once the starts
    # before it committed, never failing on a timer one of them stopped meanwhile (stale_update).
    member = world.caller(world.member)
    start = StartTimer(project_id=world.project.id, stop_running=True)
    for _round in range(3):
        world.services.entries.start_timer(member, start)
        outcomes = at_once(
            [lambda: world.services.entries.start_timer(member, start)] * (THREADS - 1)
            + [lambda: world.services.entries.stop_timer(member)]
        )

        assert unexpected(outcomes) == []


def test_an_import_s_undo_racing_entries_of_the_user_it_created_deactivates_them_only_if_none_landed(
    world: World,
) -> None:
    """The undo holds the organization's entry writes before it decides about the user (as a
    deactivation does): an entry logged for them either lands first, and the user stays active, or
    waits and is refused once they are deactivated; never a live entry of a user the undo retired."""
    owner = world.caller(world.owner)
    for round_ in range(3):
        email = f"newcomer{round_}@example.test"
        rows = f"Nia,{email},,Imported {round_},,Review,No,2025-03-04,11:00:00,2025-03-04,12:00:00,01:00:00,"
        report = world.services.imports.import_entries(
            owner,
            ImportEntries(
                source="toggl",
                data=f"{TOGGL_HEADER}\n{rows}\n".encode(),
                timezone="UTC",
                create_users=True,
            ),
        )
        assert report.id is not None and report.created_users == (email,)
        newcomer = next(user for user in world.services.team.list_users(owner) if user.email == email)
        import_id = report.id
        entry = CreateTimeEntry(
            project_id=world.project.id, entry_date=date(2026, 3, 2), duration_seconds=60, user_id=newcomer.id
        )

        outcomes = at_once(
            [
                partial(world.services.imports.delete_import, owner, import_id),
                *[partial(world.services.entries.create_time_entry, owner, entry)] * (THREADS - 1),
            ]
        )

        assert unexpected(outcomes, ValidationFailed, Conflict, Unauthenticated) == []
        if isinstance(outcomes[0], StoreBusy):
            continue  # the undo waited out the lock timeout on a slow machine: nothing changed
        logged = [outcome for outcome in outcomes[1:] if not isinstance(outcome, BaseException)]
        active = world.services.team.get_user(owner, newcomer.id).deactivated_at is None
        assert active == bool(logged), (active, outcomes)


WAITING_FOR_A_LOCK = (
    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
)
"""How many sessions of the test database wait for a lock."""


def undone_import_entry(world: World, owner: Caller) -> TimeEntryId:
    """The one entry of a Harvest import that ``owner`` made and then undid: deleted, its source
    row given up (``released_ref``)."""
    report = world.services.imports.import_entries(owner, ImportEntries(source="harvest", data=race_file(0)))
    assert report.id is not None and report.created == 1
    (created,) = of_type(world, EventType.TIME_ENTRY_CREATED)
    world.services.imports.delete_import(owner, report.id)
    return TimeEntryId(uuid.UUID(created.subject.id))


def test_a_restore_that_takes_back_its_source_row_waits_for_an_import_in_progress() -> None:
    # The undone import's entry gave its row up (released_ref); its restore takes the row back. An
    # import of the same file in progress meanwhile adds a copy of the row that the restore cannot
    # see until it commits: the restore waits for the organization's imports (as an import does),
    # then finds the copy and answers external_ref_taken, not a unique index's bare conflict.
    with empty_postgres_store() as unit_of_work:
        world = make_world(unit_of_work)
        owner = world.caller(world.owner)
        entry_id = undone_import_entry(world, owner)
        url = require_postgres()
        with unit_of_work() as held, psycopg.connect(url, autocommit=True) as watcher:
            held.imports.hold(world.org.id)  # as an import of the same file in progress holds it
            undone = held.entries.get(world.org.id, entry_id, include_deleted=True)
            assert undone is not None and undone.released_ref is not None
            copy = attrs.evolve(
                undone,
                id=TimeEntryId(uuid.uuid4()),
                external_ref=undone.released_ref,
                released_ref=None,
                deleted_at=None,
                version=1,
            )
            held.entries.add(copy)  # the import's copy of the row, not committed yet
            outcome: list[object] = []

            def restore() -> None:
                try:
                    outcome.append(world.services.entries.restore_time_entry(owner, entry_id))
                except Exception as error:
                    outcome.append(error)

            restoring = threading.Thread(target=restore)
            restoring.start()
            assert eventually(lambda: (watcher.execute(WAITING_FOR_A_LOCK).fetchone() or (0,))[0] >= 1)
            held.commit()
        restoring.join(GUARD_SECONDS)
        assert not restoring.is_alive()
        (answer,) = outcome
        assert isinstance(answer, ExternalRefTaken), answer
        assert answer.holder_id == str(copy.id)


def test_a_batch_that_restores_an_undone_entry_after_a_create_waits_for_an_undo_without_a_deadlock() -> None:
    # The restore waits for the organization's imports key, which an undo takes before the entry
    # writes key (exclusively). A batch took the entry writes (in share mode, for its create) before
    # its restore waited for the imports key: with an undo between the two, each waited for the
    # other until PostgreSQL failed one (store_busy). The batch now takes the imports key first.
    with empty_postgres_store() as unit_of_work:
        world = make_world(unit_of_work)
        owner = world.caller(world.owner)
        entry_id = undone_import_entry(world, owner)
        operations = [
            CreateOperation(
                CreateTimeEntry(project_id=world.project.id, entry_date=date(2026, 3, 2), duration_seconds=60)
            ),
            RestoreOperation(entry_id),
        ]
        outcome: list[object] = []

        def run_batch() -> None:
            try:
                outcome.append(world.services.batches.run_batch(owner, operations, atomic=True))
            except Exception as error:
                outcome.append(error)

        with unit_of_work() as undo, psycopg.connect(require_postgres(), autocommit=True) as watcher:
            undo.imports.hold(world.org.id)  # as an undo of another import holds it, first
            batch = threading.Thread(target=run_batch)
            batch.start()
            assert eventually(lambda: (watcher.execute(WAITING_FOR_A_LOCK).fetchone() or (0,))[0] >= 1)
            undo.periods.hold(world.org.id)  # then the entry writes, exclusively, as that undo does
            undo.commit()
        batch.join(GUARD_SECONDS)
        assert not batch.is_alive()
        (answer,) = outcome
        assert isinstance(answer, list) and len(answer) == 2, answer
