"""The contract of the time entry repository, for every store: storage, tenancy, filters, order."""

import itertools
import uuid
from datetime import date, datetime, timedelta

import attrs
import pytest

from hours_core.errors import StaleUpdate
from hours_core.model import TimeEntry, TimeEntryId
from hours_core.ports import EntryQuery

from .conftest import D0, T0, Build, OpenStore, World

INVOICE = uuid.UUID("0f0f0f0f-0000-4000-8000-000000000001")


def day(n: int) -> date:
    """The n-th day of March 2024 (the ledger's month)."""
    return date(2024, 3, n)


@attrs.frozen
class Ledger:
    """Entries of tenant A (and one of tenant B) chosen so that every filter tells them apart.

    In list order: e1 and e2 share their date and creation time (the id decides), e7 shares its
    date with e6 but was created earlier, e6 is soft-deleted.
    """

    e1: TimeEntry
    e2: TimeEntry
    e3: TimeEntry
    e4: TimeEntry
    e5: TimeEntry
    e6: TimeEntry
    e7: TimeEntry
    foreign: TimeEntry

    @property
    def listed(self) -> list[TimeEntry]:
        """Tenant A's entries that are not deleted, in list order."""
        return [self.e1, self.e2, self.e3, self.e4, self.e5, self.e7]


@pytest.fixture
def ledger(store: OpenStore, world: World, build: Build) -> Ledger:
    a, b = world.a, world.b
    nine = T0
    entries = Ledger(
        e1=build.entry(a.owner, a.project, task=a.task, entry_date=day(1), created_at=nine, note="kick-off"),
        e2=build.entry(a.member, a.project, entry_date=day(1), created_at=nine),
        e3=build.entry(a.owner, a.other_project, entry_date=day(2), created_at=nine, billable=False),
        e4=build.entry(
            a.member,
            a.other_project,
            entry_date=day(3),
            created_at=nine,
            updated_at=nine + timedelta(days=5),
            invoice_id=INVOICE,
        ),
        e5=build.entry(
            a.owner, a.project, entry_date=day(4), created_at=nine, started_at=nine, duration_seconds=0
        ),
        e6=build.entry(
            a.member,
            a.project,
            entry_date=day(5),
            created_at=nine,
            updated_at=nine + timedelta(days=10),
            deleted_at=nine + timedelta(days=10),
        ),
        e7=build.entry(
            a.owner, a.project, task=a.task, entry_date=day(5), created_at=nine - timedelta(hours=1)
        ),
        foreign=build.entry(b.owner, b.project, entry_date=day(3), created_at=nine),
    )
    # Stored out of order, so that no store can pass by returning insertion order.
    store.seed(
        entries.e6, entries.foreign, entries.e3, entries.e1, entries.e7, entries.e5, entries.e2, entries.e4
    )
    return entries


def listed(store: OpenStore, world: World, query: EntryQuery) -> list[TimeEntry]:
    with store.unit_of_work(read_only=True) as uow:
        return list(uow.entries.list(world.a.org.id, query))


# Storage.


def test_an_added_entry_can_be_read_back_exactly(store: OpenStore, world: World, build: Build) -> None:
    entry = build.entry(
        world.a.member,
        world.a.project,
        task=world.a.task,
        entry_date=date(2024, 2, 29),
        created_at=T0.replace(microsecond=654321),
        started_at=T0 - timedelta(hours=2, microseconds=1),
        stopped_at=T0 - timedelta(hours=1),
        duration_seconds=3600,
        billable=False,
        note="Déjà vu — 数据 🕒\nsecond line",
        invoice_id=INVOICE,
    )
    store.seed(entry)

    with store.unit_of_work(read_only=True) as uow:
        assert uow.entries.get(world.a.org.id, entry.id) == entry


def test_an_unknown_entry_is_none(store: OpenStore, world: World, build: Build) -> None:
    with store.unit_of_work(read_only=True) as uow:
        assert uow.entries.get(world.a.org.id, TimeEntryId(build.id())) is None


def test_an_updated_entry_replaces_the_stored_one(store: OpenStore, world: World, build: Build) -> None:
    timer = build.running(world.a.member, world.a.project, started_at=T0)
    store.seed(timer)
    stopped = timer.stopped(T0 + timedelta(minutes=90), T0 + timedelta(minutes=91))

    with store.unit_of_work() as uow:
        stored = uow.entries.update(stopped, expected_updated_at=timer.updated_at)
        uow.commit()

    assert stored == attrs.evolve(stopped, version=2)
    with store.unit_of_work(read_only=True) as uow:
        assert uow.entries.get(world.a.org.id, timer.id) == stored


def test_an_update_of_a_version_that_changed_meanwhile_is_refused(
    store: OpenStore, world: World, build: Build
) -> None:
    entry = build.entry(world.a.member, world.a.project, note="first")
    store.seed(entry)
    theirs = attrs.evolve(entry, note="theirs", updated_at=T0 + timedelta(minutes=1))
    mine = attrs.evolve(entry, note="mine", updated_at=T0 + timedelta(minutes=2))
    with store.unit_of_work() as uow:
        stored = uow.entries.update(theirs, expected_updated_at=entry.updated_at)
        uow.commit()

    with pytest.raises(StaleUpdate), store.unit_of_work() as uow:
        uow.entries.update(mine, expected_updated_at=entry.updated_at)

    with store.unit_of_work(read_only=True) as uow:
        assert uow.entries.get(world.a.org.id, entry.id) == stored == attrs.evolve(theirs, version=2)


def test_an_update_of_an_entry_that_is_not_stored_is_refused(
    store: OpenStore, world: World, build: Build
) -> None:
    entry = build.entry(world.a.member, world.a.project)

    with pytest.raises(StaleUpdate), store.unit_of_work() as uow:
        uow.entries.update(entry, expected_updated_at=entry.updated_at)


def test_an_entry_cannot_be_updated_through_another_organization(
    store: OpenStore, world: World, ledger: Ledger
) -> None:
    hijacked = attrs.evolve(
        ledger.e1,
        org_id=world.b.org.id,
        user_id=world.b.owner.id,
        project_id=world.b.project.id,
        task_id=None,
    )

    with pytest.raises(StaleUpdate), store.unit_of_work() as uow:
        uow.entries.update(hijacked, expected_updated_at=ledger.e1.updated_at)

    with store.unit_of_work(read_only=True) as uow:
        assert uow.entries.get(world.a.org.id, ledger.e1.id) == ledger.e1
        assert uow.entries.get(world.b.org.id, ledger.e1.id) is None


def test_a_soft_deleted_entry_is_found_only_when_asked_for(
    store: OpenStore, world: World, ledger: Ledger
) -> None:
    with store.unit_of_work(read_only=True) as uow:
        assert uow.entries.get(world.a.org.id, ledger.e6.id) is None
        assert uow.entries.get(world.a.org.id, ledger.e6.id, include_deleted=True) == ledger.e6


def test_a_restored_entry_is_found_again(store: OpenStore, world: World, ledger: Ledger) -> None:
    restored = ledger.e6.restored(T0 + timedelta(days=11))

    with store.unit_of_work() as uow:
        stored = uow.entries.update(restored, expected_updated_at=ledger.e6.updated_at)
        uow.commit()

    with store.unit_of_work(read_only=True) as uow:
        assert uow.entries.get(world.a.org.id, ledger.e6.id) == stored == attrs.evolve(restored, version=2)


def test_many_entries_added_at_once_are_all_stored(store: OpenStore, world: World, build: Build) -> None:
    entries = [
        build.entry(
            world.a.member if n % 2 else world.a.owner,
            world.a.project,
            entry_date=D0 + timedelta(days=(n * 7) % 31),
            created_at=T0 + timedelta(seconds=n),
        )
        for n in range(500)
    ]

    with store.unit_of_work() as uow:
        uow.entries.add_many(entries)
        uow.commit()

    expected = sorted(entries, key=lambda e: (e.entry_date, e.created_at, e.id))
    assert listed(store, world, EntryQuery(limit=1000)) == expected


# Tenancy.


def test_an_entry_is_invisible_through_another_organization(
    store: OpenStore, world: World, ledger: Ledger
) -> None:
    with store.unit_of_work(read_only=True) as uow:
        assert uow.entries.get(world.b.org.id, ledger.e1.id) is None
        assert uow.entries.get(world.b.org.id, ledger.e6.id, include_deleted=True) is None
        assert list(uow.entries.list(world.b.org.id, EntryQuery(include_deleted=True))) == [ledger.foreign]
        assert list(uow.entries.list(world.b.org.id, EntryQuery(user_id=world.a.owner.id))) == []
        assert uow.entries.running_for_user(world.b.org.id, world.a.owner.id) is None


# Order and filters.


def test_entries_are_listed_by_date_then_creation_then_id(
    store: OpenStore, world: World, ledger: Ledger
) -> None:
    assert listed(store, world, EntryQuery()) == ledger.listed


def test_entries_can_be_listed_newest_first(store: OpenStore, world: World, ledger: Ledger) -> None:
    assert listed(store, world, EntryQuery(descending=True)) == ledger.listed[::-1]


def test_the_limit_cuts_the_list(store: OpenStore, world: World, ledger: Ledger) -> None:
    assert listed(store, world, EntryQuery(limit=2)) == [ledger.e1, ledger.e2]
    assert listed(store, world, EntryQuery(limit=2, descending=True)) == [ledger.e7, ledger.e5]


def test_deleted_entries_are_listed_only_when_asked_for(
    store: OpenStore, world: World, ledger: Ledger
) -> None:
    assert listed(store, world, EntryQuery(include_deleted=True)) == [*ledger.listed, ledger.e6]


def test_the_date_range_includes_both_ends(store: OpenStore, world: World, ledger: Ledger) -> None:
    assert listed(store, world, EntryQuery(date_from=day(2), date_to=day(4))) == [
        ledger.e3,
        ledger.e4,
        ledger.e5,
    ]
    assert listed(store, world, EntryQuery(date_from=day(5))) == [ledger.e7]
    assert listed(store, world, EntryQuery(date_to=day(1))) == [ledger.e1, ledger.e2]
    assert listed(store, world, EntryQuery(date_from=day(3), date_to=day(3))) == [ledger.e4]


@pytest.mark.parametrize(
    ("query", "names"),
    [
        (EntryQuery(billable=True), ["e1", "e2", "e4", "e5", "e7"]),
        (EntryQuery(billable=False), ["e3"]),
        (EntryQuery(invoiced=True), ["e4"]),
        (EntryQuery(invoiced=False), ["e1", "e2", "e3", "e5", "e7"]),
        (EntryQuery(running=True), ["e5"]),
        (EntryQuery(running=False), ["e1", "e2", "e3", "e4", "e7"]),
        (EntryQuery(billable=True, running=False, date_from=day(2)), ["e4", "e7"]),
    ],
    ids=["billable", "not-billable", "invoiced", "not-invoiced", "running", "not-running", "combined"],
)
def test_flag_filters_select_matching_entries(
    store: OpenStore, world: World, ledger: Ledger, query: EntryQuery, names: list[str]
) -> None:
    assert listed(store, world, query) == [getattr(ledger, name) for name in names]


def test_entries_can_be_filtered_by_project_task_and_user(
    store: OpenStore, world: World, ledger: Ledger
) -> None:
    a = world.a
    assert listed(store, world, EntryQuery(project_id=a.other_project.id)) == [ledger.e3, ledger.e4]
    assert listed(store, world, EntryQuery(task_id=a.task.id)) == [ledger.e1, ledger.e7]
    assert listed(store, world, EntryQuery(user_id=a.member.id)) == [ledger.e2, ledger.e4]
    assert listed(store, world, EntryQuery(user_id=a.member.id, include_deleted=True)) == [
        ledger.e2,
        ledger.e4,
        ledger.e6,
    ]
    assert listed(store, world, EntryQuery(user_id=a.owner.id, project_id=a.project.id, descending=True)) == [
        ledger.e7,
        ledger.e5,
        ledger.e1,
    ]


def test_updated_since_includes_soft_deleted_entries(store: OpenStore, world: World, ledger: Ledger) -> None:
    since: datetime = T0 + timedelta(days=5)
    assert listed(store, world, EntryQuery(updated_since=since)) == [ledger.e4, ledger.e6]
    assert listed(store, world, EntryQuery(updated_since=since + timedelta(microseconds=1))) == [ledger.e6]


# Running timers.


def test_the_running_timer_of_a_user_is_found(store: OpenStore, world: World, ledger: Ledger) -> None:
    with store.unit_of_work(read_only=True) as uow:
        assert uow.entries.running_for_user(world.a.org.id, world.a.owner.id) == ledger.e5
        assert uow.entries.running_for_user(world.a.org.id, world.a.member.id) is None


def test_stopped_or_deleted_timers_are_not_running(store: OpenStore, world: World, build: Build) -> None:
    timer = build.running(world.a.member, world.a.project)
    deleted = build.running(world.a.owner, world.a.project).deleted(T0 + timedelta(minutes=1))
    store.seed(timer, deleted)

    with store.unit_of_work() as uow:
        stopped = timer.stopped(T0 + timedelta(minutes=30), T0 + timedelta(minutes=30))
        uow.entries.update(stopped, expected_updated_at=timer.updated_at)
        uow.commit()

    with store.unit_of_work(read_only=True) as uow:
        assert uow.entries.running_for_user(world.a.org.id, world.a.member.id) is None
        assert uow.entries.running_for_user(world.a.org.id, world.a.owner.id) is None


@pytest.mark.parametrize("lock", [False, True], ids=["read", "locked"])
def test_entries_of_the_organization_are_read_many_at_once_in_id_order_live_or_deleted(
    store: OpenStore, world: World, build: Build, lock: bool
) -> None:
    live = [build.entry(world.a.member, world.a.project) for _ in range(700)]
    deleted = [build.entry(world.a.member, world.a.project, deleted_at=T0) for _ in range(3)]
    theirs = build.entry(world.b.member, world.b.project)
    with store.unit_of_work() as uow:
        uow.entries.add_many([*live, *deleted, theirs])
        uow.commit()
    unknown = [TimeEntryId(build.id()) for _ in range(3)]
    asked = [entry.id for entry in live[::-1]] + [entry.id for entry in deleted] + [theirs.id, *unknown]
    with store.unit_of_work() as uow:
        found = uow.entries.get_many(world.a.org.id, [*asked, live[0].id], lock=lock)  # asked twice: once
        assert uow.entries.get_many(world.b.org.id, asked, lock=lock) == [theirs]
        assert uow.entries.get_many(world.a.org.id, [], lock=lock) == []
    assert found == sorted([*live, *deleted], key=lambda entry: entry.id)


# Every combination of the filters, against a model of the documented rules.

_SINCE = (None, T0, T0 + timedelta(days=5))


def _expected(entries: list[TimeEntry], query: EntryQuery) -> list[TimeEntry]:
    """What ``query`` answers from ``entries`` by the rules of ``EntryQuery`` (docs/api.md)."""

    def keeps(entry: TimeEntry) -> bool:
        if query.updated_since is not None:
            if entry.updated_at < query.updated_since:  # deleted ones included
                return False
        elif entry.deleted_at is not None and not query.include_deleted:
            return False
        running = entry.started_at is not None and entry.stopped_at is None
        return (
            (query.user_id is None or entry.user_id == query.user_id)
            and (query.project_id is None or entry.project_id == query.project_id)
            and (query.running is None or running == query.running)
            and (query.date_from is None or entry.entry_date >= query.date_from)
            and (query.date_to is None or entry.entry_date <= query.date_to)
        )

    kept = sorted(filter(keeps, entries), key=lambda entry: (entry.entry_date, entry.created_at, entry.id))
    return (kept[::-1] if query.descending else kept)[: query.limit]


def test_every_combination_of_the_filters_lists_what_the_rules_say(
    store: OpenStore, world: World, ledger: Ledger, build: Build, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On SQLite, also with every ``updatedSince`` page walking the list order (the plan a sync of
    many changes takes) and every page of running timers read from their partial index: no
    combination may make SQLite refuse an index the statement names, or change an answer."""
    stopped_deleted_timer = build.running(world.a.member, world.a.other_project, started_at=T0).deleted(
        T0 + timedelta(days=6)
    )
    store.seed(stopped_deleted_timer)
    entries = [*ledger.listed, ledger.e6, stopped_deleted_timer]
    a = world.a
    plans: list[int | None] = [None]
    if store.name == "sqlite":
        plans.append(0)  # every updatedSince page walks the list order
    for plan in plans:
        if plan is not None:
            monkeypatch.setattr("hours_sql.repositories.CHANGED_SORTED_AT_MOST", plan)
        for user, project, running, include_deleted, since, descending, dates in itertools.product(
            (None, a.member.id),
            (None, a.other_project.id),
            (None, True, False),
            (False, True),
            _SINCE,
            (False, True),
            ((None, None), (day(2), day(5))),
        ):
            query = EntryQuery(
                user_id=user,
                project_id=project,
                running=running,
                include_deleted=include_deleted,
                updated_since=since,
                descending=descending,
                date_from=dates[0],
                date_to=dates[1],
                limit=4,
            )
            assert listed(store, world, query) == _expected(entries, query), (plan, query)
