"""Keyset pagination of time entries, for every store: every row once, in order, whatever happens."""

from collections.abc import Callable
from datetime import date, timedelta

import attrs
import pytest

from hours_core.model import TimeEntry
from hours_core.ports import EntryCursor, EntryQuery

from .conftest import D0, T0, Build, OpenStore, World


def order_key(entry: TimeEntry) -> tuple[date, object, object]:
    return (entry.entry_date, entry.created_at, entry.id)


@pytest.fixture
def entries(store: OpenStore, world: World, build: Build) -> list[TimeEntry]:
    """23 entries of tenant A over five days, with ties on date and on creation time, in list order."""
    a = world.a
    made = [
        build.entry(
            a.owner if n % 3 else a.member,
            a.project,
            entry_date=D0 + timedelta(days=n % 5),
            created_at=T0 + timedelta(minutes=n % 4),  # many share a date and a creation time
        )
        for n in range(23)
    ]
    store.seed(*reversed(made))
    return sorted(made, key=order_key)


def walk(
    store: OpenStore, world: World, query: EntryQuery, between_pages: Callable[[int], None] | None = None
) -> list[TimeEntry]:
    """Every page of ``query`` from the first, following the cursor of each page's last row."""
    seen: list[TimeEntry] = []
    cursor: EntryCursor | None = None
    for page_number in range(1000):
        with store.unit_of_work(read_only=True) as uow:
            page = list(uow.entries.list(world.a.org.id, attrs.evolve(query, after=cursor)))
        assert len(page) <= query.limit
        seen.extend(page)
        if len(page) < query.limit:
            return seen
        cursor = EntryCursor.of(page[-1])
        if between_pages is not None:
            between_pages(page_number)
    raise AssertionError("the pages never ended")


@pytest.mark.parametrize("limit", [1, 2, 5, 7, 23, 50])
def test_walking_every_page_gives_every_entry_once_in_order(
    store: OpenStore, world: World, entries: list[TimeEntry], limit: int
) -> None:
    assert walk(store, world, EntryQuery(limit=limit)) == entries


@pytest.mark.parametrize("limit", [1, 3, 10])
def test_walking_every_page_newest_first_gives_every_entry_once_in_reverse(
    store: OpenStore, world: World, entries: list[TimeEntry], limit: int
) -> None:
    assert walk(store, world, EntryQuery(limit=limit, descending=True)) == entries[::-1]


@pytest.mark.parametrize("descending", [False, True], ids=["oldest-first", "newest-first"])
def test_pages_respect_filters_and_the_date_range(
    store: OpenStore, world: World, entries: list[TimeEntry], descending: bool
) -> None:
    query = EntryQuery(
        limit=2,
        descending=descending,
        user_id=world.a.owner.id,
        date_from=D0 + timedelta(days=1),
        date_to=D0 + timedelta(days=3),
    )
    expected = [
        e
        for e in entries
        if e.user_id == world.a.owner.id and D0 + timedelta(days=1) <= e.entry_date <= D0 + timedelta(days=3)
    ]
    assert walk(store, world, query) == (expected[::-1] if descending else expected)


def test_a_cursor_before_the_date_range_starts_at_the_range(
    store: OpenStore, world: World, entries: list[TimeEntry]
) -> None:
    first_day = D0 + timedelta(days=2)
    early = EntryCursor(entry_date=D0, created_at=T0, id=entries[0].id)

    with store.unit_of_work(read_only=True) as uow:
        page = list(uow.entries.list(world.a.org.id, EntryQuery(date_from=first_day, after=early, limit=100)))

    assert page == [e for e in entries if e.entry_date >= first_day]


@pytest.mark.parametrize("descending", [False, True], ids=["oldest-first", "newest-first"])
def test_pages_stay_correct_when_entries_come_and_go_between_pages(
    store: OpenStore, world: World, build: Build, entries: list[TimeEntry], descending: bool
) -> None:
    ahead = entries[::-1] if descending else entries
    first_page, unseen = ahead[:4], ahead[4:]
    doomed = unseen[5]
    behind_date = D0 - timedelta(days=1) if not descending else D0 + timedelta(days=9)
    ahead_date = D0 + timedelta(days=9) if not descending else D0 - timedelta(days=1)
    behind = build.entry(world.a.member, world.a.project, entry_date=behind_date, created_at=T0)
    arrival = build.entry(world.a.member, world.a.project, entry_date=ahead_date, created_at=T0)

    def churn(page_number: int) -> None:
        if page_number != 0:
            return
        with store.unit_of_work() as uow:
            uow.entries.add(behind)
            uow.entries.add(arrival)
            uow.entries.update(doomed.deleted(T0 + timedelta(hours=1)), expected_updated_at=doomed.updated_at)
            uow.commit()

    seen = walk(store, world, EntryQuery(limit=4, descending=descending), between_pages=churn)

    assert seen[:4] == first_page
    assert seen[4:] == [e for e in unseen if e != doomed] + [arrival]
