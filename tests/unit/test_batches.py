"""The batch use case over the in-memory store: outcomes, the stop rules, and the store's own errors."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

import pytest

from hours_core.errors import BatchFailed, NotFound, StoreBusy, ValidationFailed
from hours_core.model import TimeEntryId
from hours_core.ports import EntryQuery
from hours_core.services import (
    Applied,
    BatchService,
    CreateOperation,
    CreateTimeEntry,
    DeleteOperation,
    Failed,
    Operation,
    UnreadableOperation,
)
from tests.world import World

UNKNOWN = TimeEntryId(UUID("5a8591dd-4039-49df-9202-96385ba3eff8"))


def create(world: World) -> CreateOperation:
    return CreateOperation(
        CreateTimeEntry(project_id=world.project.id, entry_date=date(2026, 3, 2), duration="1h")
    )


def stored(world: World) -> int:
    caller = world.caller(world.owner)
    return len(world.services.entries.list_time_entries(caller, EntryQuery(limit=500)).entries)


def test_each_on_its_own_reports_every_outcome_in_order(world: World) -> None:
    unreadable = UnreadableOperation(ValidationFailed.one("op", "must be create"))
    operations: list[Operation] = [create(world), DeleteOperation(UNKNOWN), unreadable, create(world)]
    outcomes = world.services.batches.run_batch(world.caller(world.owner), operations, atomic=False)
    assert [type(outcome) for outcome in outcomes] == [Applied, Failed, Failed, Applied]
    assert [outcome.index for outcome in outcomes] == [0, 1, 2, 3]
    assert isinstance(outcomes[1], Failed) and isinstance(outcomes[1].error, NotFound)
    assert stored(world) == 2


def test_all_or_nothing_names_every_unreadable_operation_and_runs_none(world: World) -> None:
    first, second = ValidationFailed.one("op", "wrong"), ValidationFailed.one("id", "wrong")
    operations: list[Operation] = [create(world), UnreadableOperation(first), UnreadableOperation(second)]
    with pytest.raises(BatchFailed) as raised:
        world.services.batches.run_batch(world.caller(world.owner), operations, atomic=True)
    assert raised.value.failures == ((1, first), (2, second))
    assert stored(world) == 0


def test_all_or_nothing_stops_at_the_first_failure(world: World) -> None:
    operations: list[Operation] = [create(world), DeleteOperation(UNKNOWN), DeleteOperation(UNKNOWN)]
    with pytest.raises(BatchFailed) as raised:
        world.services.batches.run_batch(world.caller(world.owner), operations, atomic=True)
    assert [index for index, _error in raised.value.failures] == [1]
    details: Any = raised.value.details()
    assert details["errors"][0] == {
        "index": 1,
        "code": "not_found",
        "message": "The time entry was not found.",
        "fields": {},
    }
    assert stored(world) == 0


@pytest.mark.parametrize("atomic", [True, False])
def test_a_busy_store_fails_the_whole_batch(world: World, atomic: bool) -> None:
    """An error of the store is not one operation's failure: nothing is stored, the error propagates."""
    calls = 0
    entries = world.services.entries

    class BusyOnTheSecond:
        def create_time_entry(self, *args: Any, **kwargs: Any) -> Any:
            nonlocal calls
            calls += 1
            if calls == 2:
                raise StoreBusy()
            return entries.create_time_entry(*args, **kwargs)

    batches = BatchService(world.services.transactions, BusyOnTheSecond())  # type: ignore[arg-type]
    with pytest.raises(StoreBusy):
        batches.run_batch(world.caller(world.owner), [create(world)] * 3, atomic=atomic)
    assert stored(world) == 0


@pytest.mark.parametrize(("count", "message"), [(0, "at least one"), (501, "at most 500")])
def test_a_batch_holds_1_to_500_operations(world: World, count: int, message: str) -> None:
    with pytest.raises(ValidationFailed, match=message):
        world.services.batches.run_batch(world.caller(world.owner), [create(world)] * count, atomic=False)
