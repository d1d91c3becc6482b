"""The outbox contract, for every store: events are written at commit, numbered per organization
without gaps, in commit order (also between concurrent writers), never on rollback; filters,
tenancy, and the retention purge."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta

import pytest

from hours_core.errors import Conflict
from hours_core.events import (
    Actor,
    Change,
    EventId,
    EventQuery,
    EventType,
    NewEvent,
    Subject,
    SubjectType,
    Via,
    changes_between,
)
from hours_core.model import OrgId, UserId
from hours_core.ports import UnitOfWork

from .conftest import T0, Build, OpenStore, World
from .test_units_of_work import Boom, run_in_threads


def new_event(
    org_id: OrgId,
    *,
    type_: EventType = EventType.PROJECT_UPDATED,
    subject: Subject | None = None,
    actor: UserId | None = None,
    owner: UserId | None = None,
    at_minutes: int = 0,
    changes: dict[str, Change] | None = None,
) -> NewEvent:
    return NewEvent(
        id=EventId(uuid.uuid4()),
        org_id=org_id,
        type=type_,
        occurred_at=T0 + timedelta(minutes=at_minutes),
        actor=Actor(user_id=actor, token_prefix=None if actor is None else "AbCdEfGhIjKl", via=Via.API),
        request_id="req-1",
        idempotency_key=None,
        subject=subject or Subject(SubjectType.PROJECT, str(uuid.uuid4())),
        changes=changes if changes is not None else {"name": Change("Old", "New")},
        owner_id=owner,
    )


def commit_one(uow: UnitOfWork, event: NewEvent) -> None:
    uow.events.append(event)
    uow.commit()


def all_events(store: OpenStore, org_id: OrgId, **query: object) -> list[int]:
    with store.unit_of_work(read_only=True) as uow:
        return [event.seq for event in uow.events.list(org_id, EventQuery(limit=1000, **query))]  # type: ignore[arg-type]


def test_an_appended_event_is_written_at_commit_with_the_next_number_and_reads_back_equal(
    store: OpenStore, world: World
) -> None:
    org = world.a.org.id
    first = new_event(
        org,
        actor=world.a.owner.id,
        owner=world.a.member.id,
        changes={"note": Change(None, 'ünïcode "quoted"'), "duration_seconds": Change(60, 90)},
    )
    second = new_event(org, type_=EventType.TASK_CREATED)
    with store.unit_of_work() as uow:
        uow.events.append(first)
        uow.events.append(second)
        assert uow.events.list(org, EventQuery()) == []  # collected, not yet written
        uow.commit()

    with store.unit_of_work(read_only=True) as uow:
        events = list(uow.events.list(org, EventQuery()))
        assert uow.events.latest_seq(org) == 2
        assert uow.events.purged_through(org) == 0
    assert events == [first.sequenced(1), second.sequenced(2)]
    assert list(events[0].changes) == ["note", "duration_seconds"]


def test_period_and_invoice_events_read_back_and_filter_by_their_subject(
    store: OpenStore, world: World
) -> None:
    org = world.a.org.id
    locked = new_event(
        org,
        type_=EventType.PERIOD_LOCKED,
        subject=Subject(SubjectType.PERIOD, str(org)),
        changes={"through": Change(None, "2024-02-29"), "closed_days": Change("", "..2024-02-29")},
    )
    invoiced = new_event(
        org, type_=EventType.INVOICE_CREATED, subject=Subject(SubjectType.INVOICE, str(uuid.uuid4()))
    )
    voided = new_event(org, type_=EventType.INVOICE_VOIDED, subject=invoiced.subject)
    unlocked = new_event(org, type_=EventType.PERIOD_UNLOCKED, subject=locked.subject)
    with store.unit_of_work() as uow:
        for event in (locked, invoiced, voided, unlocked):
            uow.events.append(event)
        uow.commit()
    with store.unit_of_work(read_only=True) as uow:
        assert list(uow.events.list(org, EventQuery(subject_type=SubjectType.INVOICE))) == [
            invoiced.sequenced(2),
            voided.sequenced(3),
        ]
        assert list(uow.events.list(org, EventQuery(subject_type=SubjectType.PERIOD))) == [
            locked.sequenced(1),
            unlocked.sequenced(4),
        ]


def test_a_rolled_back_unit_of_work_writes_no_event_and_takes_no_number(
    store: OpenStore, world: World
) -> None:
    org = world.a.org.id

    def commit_one_then_fail() -> None:
        with store.unit_of_work() as uow:
            uow.events.append(new_event(org))
            uow.commit()
            uow.events.append(new_event(org))
            raise Boom()

    with pytest.raises(Boom):
        commit_one_then_fail()
    with store.unit_of_work() as uow:
        uow.events.append(new_event(org))
        uow.commit()
    assert all_events(store, org) == [1, 2]


def test_sequences_are_per_organization(store: OpenStore, world: World) -> None:
    with store.unit_of_work() as uow:
        uow.events.append(new_event(world.a.org.id))
        uow.events.append(new_event(world.b.org.id))
        uow.events.append(new_event(world.a.org.id))
        uow.commit()
    assert all_events(store, world.a.org.id) == [1, 2]
    assert all_events(store, world.b.org.id) == [1]
    with store.unit_of_work(read_only=True) as uow:
        assert uow.events.latest_seq(OrgId(uuid.uuid4())) == 0


def test_an_event_of_an_unknown_organization_fails_the_commit(store: OpenStore, world: World) -> None:
    with pytest.raises(Conflict), store.unit_of_work() as uow:
        commit_one(uow, new_event(OrgId(uuid.uuid4())))
    assert all_events(store, world.a.org.id) == []


def test_a_read_only_unit_of_work_cannot_write_events(store: OpenStore, world: World) -> None:
    with pytest.raises(RuntimeError), store.unit_of_work(read_only=True) as uow:
        commit_one(uow, new_event(world.a.org.id))


def test_list_pages_after_and_before_a_number_in_either_direction(store: OpenStore, world: World) -> None:
    org = world.a.org.id
    with store.unit_of_work() as uow:
        for _ in range(5):
            uow.events.append(new_event(org))
        uow.commit()
    assert all_events(store, org, after=2) == [3, 4, 5]
    assert all_events(store, org, after=1, before=4) == [2, 3]
    assert all_events(store, org, descending=True, before=5) == [4, 3, 2, 1]
    with store.unit_of_work(read_only=True) as uow:
        assert [e.seq for e in uow.events.list(org, EventQuery(after=1, limit=2))] == [2, 3]


def test_filters_by_subject_actor_time_and_owner(store: OpenStore, world: World) -> None:
    a = world.a
    org = a.org.id
    entry = Subject(SubjectType.TIME_ENTRY, str(uuid.uuid4()))
    with store.unit_of_work() as uow:
        uow.events.append(new_event(org, subject=entry, actor=a.member.id, owner=a.member.id))  # 1
        uow.events.append(new_event(org, actor=a.owner.id, at_minutes=10))  # 2: a project
        uow.events.append(
            new_event(
                org, subject=Subject(SubjectType.TOKEN, "AbCdEfGhIjKl"), owner=a.owner.id, at_minutes=20
            )
        )  # 3
        uow.events.append(
            new_event(org, subject=entry, actor=a.owner.id, owner=a.member.id, at_minutes=30)
        )  # 4
        uow.commit()
    assert all_events(store, org, subject_type=SubjectType.TIME_ENTRY, subject_id=entry.id) == [1, 4]
    assert all_events(store, org, subject_type=SubjectType.TOKEN) == [3]
    assert all_events(store, org, actor_id=a.owner.id) == [2, 4]
    assert all_events(store, org, occurred_from=T0 + timedelta(minutes=10)) == [2, 3, 4]
    assert all_events(store, org, occurred_to=T0 + timedelta(minutes=20)) == [1, 2]
    assert all_events(store, org, owner_id=a.member.id) == [1, 4]
    assert all_events(store, org, owner_id=a.member.id, or_subject_types=(SubjectType.PROJECT,)) == [1, 2, 4]
    assert all_events(store, world.b.org.id) == []


def test_the_purge_deletes_a_prefix_of_each_org_and_remembers_how_far(store: OpenStore, world: World) -> None:
    org = world.a.org.id
    with store.unit_of_work() as uow:
        uow.events.append(new_event(org, at_minutes=0))
        uow.events.append(new_event(org, at_minutes=20))  # occurred later than the next, numbered before it
        uow.events.append(new_event(org, at_minutes=5))
        uow.events.append(new_event(org, at_minutes=30))
        uow.events.append(new_event(world.b.org.id, at_minutes=30))
        uow.commit()
    with store.unit_of_work() as uow:
        assert uow.events.purge_before(T0 + timedelta(minutes=10)) == 3
        uow.commit()
    assert all_events(store, org) == [4]
    with store.unit_of_work(read_only=True) as uow:
        assert uow.events.purged_through(org) == 3
        assert uow.events.latest_seq(org) == 4
        assert uow.events.purged_through(world.b.org.id) == 0
    with store.unit_of_work() as uow:
        assert uow.events.purge_before(T0) == 0
        uow.events.append(new_event(org))
        uow.commit()
    assert all_events(store, org) == [4, 5]


def test_concurrent_writers_of_one_org_get_distinct_numbers_without_gaps(
    store: OpenStore, world: World
) -> None:
    org = world.a.org.id
    per_thread = 10

    def writer() -> None:
        for _ in range(per_thread):
            with store.unit_of_work() as uow:
                uow.events.append(new_event(org))
                uow.commit()

    run_in_threads(*(writer for _ in range(4)))
    assert all_events(store, org) == list(range(1, 4 * per_thread + 1))


def test_a_number_becomes_visible_only_after_every_smaller_one(store: OpenStore, world: World) -> None:
    """The first writer numbers its event and waits before committing; the second, which numbers
    later, cannot commit a larger number first: readers see a prefix of the sequence at all times."""
    org = world.a.org.id
    numbered = threading.Event()
    release = threading.Event()
    seen: list[list[int]] = []

    def slow() -> None:
        with store.unit_of_work() as uow:
            uow.events.append(new_event(org))
            flush = getattr(uow.events, "flush")  # noqa: B009 - the store's own: number now, commit later
            flush()
            numbered.set()
            release.wait(10)
            uow.commit()

    def fast() -> None:
        assert numbered.wait(10)
        with store.unit_of_work() as uow:
            uow.events.append(new_event(org))
            uow.commit()

    def reader() -> None:
        assert numbered.wait(10)
        for _ in range(20):
            seen.append(all_events(store, org))
        release.set()

    run_in_threads(slow, fast, reader)
    assert all_events(store, org) == [1, 2]
    for snapshot in seen:
        assert snapshot == list(range(1, len(snapshot) + 1))


def test_changes_between_reports_the_fields_that_differ_by_their_json_form(
    build: Build, world: World
) -> None:
    project = world.a.project
    renamed = project.revised(T0 + timedelta(hours=1), name="Renamed", archived=True)
    assert changes_between(project, renamed) == {
        "name": Change(project.name, "Renamed"),
        "archived": Change(False, True),
    }
    created = changes_between(None, world.a.task)
    assert created["project_id"] == Change(None, str(world.a.project.id))
    assert "id" not in created and "org_id" not in created and "created_at" not in created


def test_a_unit_of_work_with_many_events_numbers_them_all_in_append_order_per_org(
    store: OpenStore, world: World
) -> None:
    """More events than a unit of work collects before spilling them (SQL: to ``event_drafts``):
    they are numbered as if they had been collected, in append order per org, after earlier ones."""
    a, b = world.a.org.id, world.b.org.id
    with store.unit_of_work() as uow:
        commit_one(uow, new_event(a))
    appended = [new_event(a if n % 3 else b, changes={"n": Change(None, n)}) for n in range(2500)]
    with store.unit_of_work() as uow:
        for event in appended:
            uow.events.append(event)
        uow.commit()

    with store.unit_of_work(read_only=True) as uow:
        of_a = list(uow.events.list(a, EventQuery(limit=5000)))
        of_b = list(uow.events.list(b, EventQuery(limit=5000)))
        assert uow.events.latest_seq(a) == len(of_a)
    assert of_a[1:] == [
        event.sequenced(seq) for seq, event in enumerate((e for e in appended if e.org_id == a), 2)
    ]
    assert [e.seq for e in of_a] == list(range(1, len(of_a) + 1))
    assert of_b == [
        event.sequenced(seq) for seq, event in enumerate((e for e in appended if e.org_id == b), 1)
    ]


def test_a_rolled_back_unit_of_work_with_many_events_writes_none(store: OpenStore, world: World) -> None:
    org = world.a.org.id

    def spill_then_fail() -> None:
        with store.unit_of_work() as uow:
            for _ in range(2100):
                uow.events.append(new_event(org))
            raise Boom()

    with pytest.raises(Boom):
        spill_then_fail()
    with store.unit_of_work() as uow:
        commit_one(uow, new_event(org))
    assert all_events(store, org) == [1]


def test_a_change_whose_value_is_an_object_reads_back_equal(store: OpenStore, world: World) -> None:
    rate = {
        "billable_rate_minor": 100,
        "cost_rate_minor": None,
        "currency": "EUR",
        "scope": "org",
        "rate_id": "r",
    }
    event = new_event(world.a.org.id, changes={"rate": Change(None, rate)})
    with store.unit_of_work() as uow:
        commit_one(uow, event)
    with store.unit_of_work(read_only=True) as uow:
        assert list(uow.events.list(world.a.org.id, EventQuery())) == [event.sequenced(1)]


def test_two_writers_with_many_events_each_get_one_unbroken_run_of_numbers(
    store: OpenStore, world: World
) -> None:
    org = world.a.org.id
    batches = [[new_event(org) for _ in range(1500)] for _ in range(2)]

    def writer(events: list[NewEvent]) -> None:
        with store.unit_of_work() as uow:
            for event in events:
                uow.events.append(event)
            uow.commit()

    run_in_threads(*(lambda events=events: writer(events) for events in batches))

    with store.unit_of_work(read_only=True) as uow:
        numbers = {event.id: event.seq for event in uow.events.list(org, EventQuery(limit=5000))}
    assert sorted(numbers.values()) == list(range(1, 3001))
    for events in batches:
        seqs = [numbers[event.id] for event in events]
        assert seqs == list(range(seqs[0], seqs[0] + len(events)))
