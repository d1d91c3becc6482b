"""The overlap rule and policy, against a naive model.

Times are whole minutes from the world's start. A half-open interval ``[a, b)`` with whole-minute
ends overlaps another exactly when the two share a whole minute, so the model is sets of minutes:
``range(a, b)``. A running timer covers ``range(start, max(now, start + 1))``: the minutes up to
now, and at least the one it started in (an interval of one microsecond at its start shares a
minute ``m`` with ``[a, b)`` exactly when ``a <= start < b``, like the minute ``start``).
Hypothesis generates intervals, and sequences of edits that run through the service with the
policy ``reject`` or ``warn``; the model says which writes overlap which entries.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from uuid import UUID

import attrs
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from hours_core.errors import EntryOverlaps, TimerAlreadyRunning
from hours_core.model import OverlapPolicy, TimeEntry, TimeEntryId
from hours_core.overlaps import Interval, clusters, overlaps
from hours_core.services import ChangeOrg, CreateTimeEntry, StartTimer, UpdateTimeEntry
from hours_core.write_warnings import collecting
from hours_memory import InMemoryStore
from tests.world import START, World, make_world

MINUTE = timedelta(minutes=1)


def at(minute: int) -> datetime:
    return START + minute * MINUTE


minutes = st.integers(min_value=-300, max_value=300)
spans = st.tuples(minutes, st.integers(min_value=0, max_value=120)).map(lambda p: (p[0], p[0] + p[1]))
coarse_spans = st.tuples(st.integers(-6, 6), st.integers(0, 3)).map(lambda p: (p[0] * 20, (p[0] + p[1]) * 20))
"""Spans on a 20-minute grid, so that edits often touch, nest and overlap."""


@given(spans, spans)
@example((0, 60), (60, 120))  # touching intervals do not overlap
@example((10, 10), (0, 60))  # an empty interval overlaps nothing, even inside another
def test_two_intervals_overlap_exactly_when_they_share_a_minute(
    a: tuple[int, int], b: tuple[int, int]
) -> None:
    shared = set(range(*a)) & set(range(*b))
    assert overlaps(Interval(at(a[0]), at(a[1])), Interval(at(b[0]), at(b[1]))) == bool(shared)
    assert overlaps(Interval(at(b[0]), at(b[1])), Interval(at(a[0]), at(a[1]))) == bool(shared)


def _entry(world: World, number: int, span: tuple[int, int]) -> TimeEntry:
    return TimeEntry(
        id=TimeEntryId(UUID(int=number + 1)),
        org_id=world.org.id,
        user_id=world.owner.id,
        project_id=world.project.id,
        task_id=None,
        invoice_id=None,
        duration_seconds=0,
        billable=False,
        note=None,
        entry_date=START.date(),
        started_at=at(span[0]),
        stopped_at=at(span[1]),
        created_at=START,
        updated_at=START,
    )


@given(st.lists(spans, max_size=12))
def test_clusters_are_the_connected_groups_of_the_overlap_graph(spans_: list[tuple[int, int]]) -> None:
    world = make_world(InMemoryStore().unit_of_work)
    entries = sorted((_entry(world, n, span) for n, span in enumerate(spans_)), key=lambda e: e.started_at)
    cells = {entry.id: set(range(*spans_[entry.id.int - 1])) for entry in entries}
    groups = [frozenset(e.id for e in group) for group in clusters(entries, START)]
    expected: list[frozenset[UUID]] = []
    for entry in entries:  # naive union-find over pairs that share a minute
        linked = {g for g in expected if any(cells[entry.id] & cells[other] for other in g)}
        merged = frozenset({entry.id}).union(*linked)
        expected = [g for g in expected if g not in linked] + [merged]
    assert sorted(map(sorted, groups)) == sorted(sorted(g) for g in expected if len(g) > 1)


# Edits through the service, and the model of what they store.


@attrs.define
class Stored:
    """What the model knows of one entry: its span (``None``: a duration only; ``end`` ``None``:
    a running timer) and whether it is live."""

    start: int | None
    end: int | None
    live: bool = True


@attrs.define
class Model:
    entries: dict[TimeEntryId, Stored] = attrs.field(factory=dict)
    now: int = 0

    def minutes_of(self, stored: Stored) -> set[int]:
        if stored.start is None:
            return set()
        if stored.end is None:
            return set(range(stored.start, max(self.now, stored.start + 1)))
        return set(range(stored.start, stored.end))

    def conflicts(self, entry_id: TimeEntryId | None, candidate: Stored) -> list[TimeEntryId]:
        mine = self.minutes_of(candidate)
        found = [
            (stored.start, other)
            for other, stored in self.entries.items()
            if other != entry_id and stored.live and mine & self.minutes_of(stored)
        ]
        return [other for _start, other in sorted(found)]

    def running(self) -> TimeEntryId | None:
        return next(
            (i for i, s in self.entries.items() if s.live and s.start is not None and s.end is None), None
        )


edits = st.lists(
    st.one_of(
        st.tuples(st.just("create"), coarse_spans),
        st.tuples(st.just("duration_only"), st.just(None)),
        st.tuples(st.just("start_timer"), st.just(None)),
        st.tuples(st.just("stop_timer"), st.just(None)),
        st.tuples(st.just("tick"), st.sampled_from([1, 10, 20, 40])),
        st.tuples(st.just("move"), st.tuples(st.integers(0, 20), coarse_spans)),
        st.tuples(st.just("note"), st.integers(0, 20)),
        st.tuples(st.just("delete"), st.integers(0, 20)),
        st.tuples(st.just("restore"), st.integers(0, 20)),
    ),
    max_size=25,
)


@pytest.mark.parametrize("policy", [OverlapPolicy.REJECT, OverlapPolicy.WARN])
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edits=edits)
def test_writes_overlap_exactly_the_entries_the_naive_model_says(
    policy: OverlapPolicy, edits: list[tuple[str, object]]
) -> None:
    world = make_world(InMemoryStore().unit_of_work)
    world.services.team.change_org(world.caller(world.owner), ChangeOrg(overlap_policy=policy))
    caller = world.caller(world.owner)
    entries = world.services.entries
    model = Model()
    for kind, argument in edits:
        if kind == "tick":
            assert isinstance(argument, int)
            world.clock.advance(argument * MINUTE)
            model.now += argument
            continue
        if kind == "stop_timer":
            running = model.running()
            if running is not None:
                entries.stop_timer(caller)
                model.entries[running].end = model.now
            continue
        target, candidate, write = _plan(world, model, kind, argument)
        if write is None:
            continue
        expected = model.conflicts(target, candidate)
        refused: EntryOverlaps | None = None
        with collecting() as warnings:
            try:
                written = write()
            except EntryOverlaps as error:
                refused = error
        if refused is not None:
            assert policy is OverlapPolicy.REJECT
            assert [e["id"] for e in refused.entries] == expected
            continue
        assert policy is OverlapPolicy.WARN or not expected
        listed = [[e["id"] for e in w.details["entries"]] for w in warnings]  # type: ignore[attr-defined]
        assert listed == ([expected] if expected else [])
        if kind == "note":
            continue
        model.entries[written.id] = candidate


def _plan(
    world: World, model: Model, kind: str, argument: object
) -> tuple[TimeEntryId | None, Stored, Callable[[], TimeEntry] | None]:
    """The entry an edit writes, what the model will know of it (a note's is its span "unchanged",
    modelled as a duration only: the policy never checks it), and the call that writes it
    (``None``: the edit does not apply to the model's state)."""
    caller = world.caller(world.owner)
    entries = world.services.entries
    ids = list(model.entries)
    if kind == "create":
        assert isinstance(argument, tuple)
        start, end = argument
        command = CreateTimeEntry(
            project_id=world.project.id,
            entry_date=START.date(),
            duration_seconds=(end - start) * 60,
            started_at=at(start),
            stopped_at=at(end),
        )
        return None, Stored(start, end), lambda: entries.create_time_entry(caller, command)
    if kind == "duration_only":
        command = CreateTimeEntry(project_id=world.project.id, entry_date=START.date(), duration_seconds=600)
        return None, Stored(None, None), lambda: entries.create_time_entry(caller, command)
    if kind == "start_timer":
        if model.running() is not None:
            return None, Stored(None, None), None
        start = StartTimer(project_id=world.project.id)
        return None, Stored(model.now, None), lambda: entries.start_timer(caller, start)
    if not ids:
        return None, Stored(None, None), None
    if kind == "move":
        assert isinstance(argument, tuple)
        index, (start, end) = argument
        target = ids[index % len(ids)]
        stored = model.entries[target]
        if not stored.live or (stored.start is not None and stored.end is None):
            return None, stored, None
        if (stored.start, stored.end) == (start, end):
            return None, stored, None  # the span does not change: nothing is checked
        change = UpdateTimeEntry(
            started_at=at(start), stopped_at=at(end), duration_seconds=(end - start) * 60
        )
        return target, Stored(start, end), lambda: entries.update_time_entry(caller, target, change)
    assert isinstance(argument, int)
    target = ids[argument % len(ids)]
    stored = model.entries[target]
    if kind == "note":
        if not stored.live:
            return None, stored, None
        note = UpdateTimeEntry(note="fixed")
        return (
            target,
            attrs.evolve(stored, start=None),
            lambda: entries.update_time_entry(caller, target, note),
        )
    if kind == "delete":
        if stored.live:
            entries.delete_time_entry(caller, target)
            stored.live = False
        return None, stored, None
    if stored.live or (stored.start is not None and stored.end is None and model.running() is not None):
        return None, stored, None
    return target, Stored(stored.start, stored.end), lambda: entries.restore_time_entry(caller, target)


def test_a_note_on_an_old_overlapping_entry_is_never_refused(world: World) -> None:
    entries = world.services.entries
    owner = world.caller(world.owner)
    first = entries.create_time_entry(owner, _span_command(world, 0, 60))
    second = entries.create_time_entry(owner, _span_command(world, 30, 90))
    world.services.team.change_org(owner, ChangeOrg(overlap_policy=OverlapPolicy.REJECT))
    owner = world.caller(world.owner)
    assert entries.update_time_entry(owner, second.id, UpdateTimeEntry(note="fixed")).note == "fixed"
    with pytest.raises(EntryOverlaps) as refused:
        entries.update_time_entry(owner, second.id, UpdateTimeEntry(started_at=at(20)))
    assert [e["id"] for e in refused.value.entries] == [first.id]


def test_a_restored_running_timer_still_meets_the_one_timer_rule_first(world: World) -> None:
    owner = world.caller(world.owner)
    world.services.team.change_org(owner, ChangeOrg(overlap_policy=OverlapPolicy.REJECT))
    owner = world.caller(world.owner)
    entries = world.services.entries
    timer = entries.start_timer(owner, StartTimer(project_id=world.project.id))
    entries.delete_time_entry(owner, timer.id)
    entries.start_timer(owner, StartTimer(project_id=world.project.id))
    with pytest.raises(TimerAlreadyRunning):
        entries.restore_time_entry(owner, timer.id)


def _span_command(world: World, start: int, end: int) -> CreateTimeEntry:
    return CreateTimeEntry(
        project_id=world.project.id,
        entry_date=START.date(),
        duration_seconds=(end - start) * 60,
        started_at=at(start),
        stopped_at=at(end),
    )


def test_an_error_lists_the_first_twenty_conflicts_by_start_and_counts_them_all(world: World) -> None:
    entries = world.services.entries
    owner = world.caller(world.owner)
    made = [
        entries.create_time_entry(owner, _span_command(world, minute, minute + 60)) for minute in range(25)
    ]
    world.services.team.change_org(owner, ChangeOrg(overlap_policy=OverlapPolicy.REJECT))
    with pytest.raises(EntryOverlaps) as refused:
        entries.create_time_entry(world.caller(world.owner), _span_command(world, 0, 120))
    assert [e["id"] for e in refused.value.entries] == [e.id for e in made[:20]]
    assert refused.value.total == 25
    assert "25 other entries" in refused.value.message
    assert "first 20" in refused.value.message


def test_warnings_go_nowhere_without_a_collector(world: World) -> None:
    entries = world.services.entries
    owner = world.caller(world.owner)
    entries.create_time_entry(owner, _span_command(world, 0, 60))
    world.services.team.change_org(owner, ChangeOrg(overlap_policy=OverlapPolicy.WARN))
    stored = entries.create_time_entry(world.caller(world.owner), _span_command(world, 30, 90))
    with collecting() as warnings:
        entries.update_time_entry(world.caller(world.owner), stored.id, UpdateTimeEntry(note="n"))
    assert warnings == []
