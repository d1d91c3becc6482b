"""A write of an entry that waited for another write of it, on PostgreSQL (where writers run side by
side): it answers as if it had come after the other, as on the stores that run one writer at a time.

SQLite and the in-memory store serialize writers, so a write that comes second reads the entry as
the first left it: a deleted entry is 404 for a PATCH or a DELETE, whatever ``If-Match`` says (the
entry exists first, then its version). On PostgreSQL the second writer read the entry before the
first committed, and its guarded write finds the row changed; that write must then answer what a
read a moment later would have: 404 once the entry is deleted, not 409 ``stale_update`` (a second
DELETE, retried by a client that timed out, is 404 as docs/api.md says) nor 412 with the version
of an entry that is no longer there.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hours_core.errors import NotFound, PreconditionFailed
from hours_core.events import EventType
from hours_core.services import StartTimer, UpdateTimeEntry
from tests.contract.test_entry_lock_races import events
from tests.contract.test_lock_order_races import first_then_second, new_entries
from tests.postgres_support import empty_postgres_store
from tests.world import World, make_world

pytestmark = pytest.mark.postgres


@pytest.fixture
def world() -> Iterator[World]:
    with empty_postgres_store() as unit_of_work:
        yield make_world(unit_of_work)


def test_a_delete_that_waited_for_another_delete_of_the_entry_is_not_found(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    [entry] = new_entries(world, 1)
    owner = world.caller(world.owner)

    def delete() -> object:
        return world.services.entries.delete_time_entry(owner, entry.id)

    first, second = first_then_second(monkeypatch, delete, delete)

    assert not isinstance(first, BaseException), first
    assert isinstance(second, NotFound), second


def test_a_patch_with_if_match_that_waited_for_a_delete_of_the_entry_is_not_found(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    [entry] = new_entries(world, 1)
    owner = world.caller(world.owner)
    entries = world.services.entries

    first, second = first_then_second(
        monkeypatch,
        lambda: entries.delete_time_entry(owner, entry.id, if_match=entry.version),
        lambda: entries.update_time_entry(
            owner, entry.id, UpdateTimeEntry(note="late"), if_match=entry.version
        ),
    )

    assert not isinstance(first, BaseException), first
    assert isinstance(second, NotFound), second


def test_a_patch_with_if_match_that_waited_for_a_patch_of_the_entry_is_still_a_failed_precondition(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    [entry] = new_entries(world, 1)
    owner = world.caller(world.owner)
    entries = world.services.entries

    def patch(note: str) -> object:
        return entries.update_time_entry(owner, entry.id, UpdateTimeEntry(note=note), if_match=entry.version)

    first, second = first_then_second(monkeypatch, lambda: patch("first"), lambda: patch("second"))

    assert not isinstance(first, BaseException), first
    assert isinstance(second, PreconditionFailed) and second.current_version == entry.version + 1, second


def test_a_restore_that_waited_for_another_restore_of_the_entry_finds_it_restored(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    [entry] = new_entries(world, 1)
    owner = world.caller(world.owner)
    entries = world.services.entries
    deleted = entries.delete_time_entry(owner, entry.id)

    def restore() -> object:
        return entries.restore_time_entry(owner, entry.id)

    first, second = first_then_second(monkeypatch, restore, restore)

    assert not isinstance(first, BaseException), first
    assert second == first  # a restore of an entry that is not deleted: the entry, unchanged
    assert entries.get_time_entry(owner, entry.id).version == deleted.version + 1


def test_a_timer_stop_that_waited_for_a_delete_of_the_timer_finds_no_timer_running(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    member = world.caller(world.member)
    entries = world.services.entries
    timer = entries.start_timer(member, StartTimer(project_id=world.project.id))

    first, second = first_then_second(
        monkeypatch, lambda: entries.delete_time_entry(member, timer.id), lambda: entries.stop_timer(member)
    )

    assert not isinstance(first, BaseException), first
    assert isinstance(second, NotFound) and str(second) == "No timer is running.", second


def test_a_start_with_stop_running_that_waited_for_a_delete_of_the_timer_starts_without_stopping_it(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    member = world.caller(world.member)
    entries = world.services.entries
    timer = entries.start_timer(member, StartTimer(project_id=world.project.id))
    start = StartTimer(project_id=world.project.id, stop_running=True)

    first, second = first_then_second(
        monkeypatch,
        lambda: entries.delete_time_entry(member, timer.id),
        lambda: entries.start_timer(member, start),
    )

    assert not isinstance(first, BaseException), first
    assert not isinstance(second, BaseException), second
    assert entries.current_timer(member).id == second.id
    stops = [event for event in events(world) if event.type is EventType.TIMER_STOPPED]
    assert stops == []  # the deleted timer was not stopped: it stays as its delete left it
