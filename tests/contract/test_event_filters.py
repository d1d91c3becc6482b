"""The event listing's filters on every store: each combination answers what ``EventQuery.matches``
says, in sequence order either way, whichever index the SQL stores read it through; and on SQLite,
each filter's page is a search of its own index, with statistics or without (docs/performance.md,
"Round 12: the audit trail's filters")."""

from __future__ import annotations

import itertools
import pathlib
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import closing
from datetime import timedelta

import attrs
import pytest

import hours_sql.events
from hours_core.events import SHARED_SUBJECTS, Event, EventQuery, Subject, SubjectType
from hours_core.model import Org, OrgId, Plan, UserId
from hours_sql.events import FEW_IN_WINDOW, event_statements_for
from hours_sqlite import SqliteStore
from hours_sqlite.dialect import SQLITE, encode_instant

from .conftest import T0, OpenStore, World
from .test_events import new_event

MINUTES = (7, 3, 12, 0, 9, 30, 21, 5, 18, 26, 14, 2, 29, 11, 24, 8, 16, 1, 27, 20)
"""When each event occurred, in minutes after T0: not in the order they are numbered."""


def _kinds_and_ids(n: int) -> Subject:
    kinds = (
        SubjectType.TIME_ENTRY,
        SubjectType.PROJECT,
        SubjectType.TIME_ENTRY,
        SubjectType.TOKEN,
        SubjectType.TASK,
    )
    return Subject(kinds[n % len(kinds)], f"s{n % 3}")


def _store_events(store: OpenStore, world: World, rounds: int) -> list[Event]:
    """``rounds`` times 20 events of tenant a, of varied subjects, actors, owners and times; all of
    them as listed without a filter."""
    a = world.a
    people = (a.member.id, a.owner.id, None)
    with store.unit_of_work() as uow:
        for n in range(rounds * len(MINUTES)):
            subject = _kinds_and_ids(n)
            owner = (
                people[n % 3] if n % 8 != 2 else None
            )  # some projects have an owner (as a member's feed sees them)
            uow.events.append(
                new_event(
                    a.org.id,
                    subject=subject,
                    actor=people[(n // 2) % 3],
                    owner=owner,
                    at_minutes=MINUTES[n % len(MINUTES)] + 31 * (n // len(MINUTES)) // 2,
                )
            )
        uow.events.append(new_event(world.b.org.id, actor=a.member.id, owner=a.member.id))
        uow.commit()
    with store.unit_of_work(read_only=True) as uow:
        return list(uow.events.list(a.org.id, EventQuery(limit=100_000)))


def _queries(world: World) -> Iterator[EventQuery]:
    """Every combination of the filters, with a member who has events and one who has none."""
    member, stranger = world.a.member.id, UserId(uuid.uuid4())
    for kind, subject_id, actor, start, end, owner, shared in itertools.product(
        (None, SubjectType.TIME_ENTRY, SubjectType.PROJECT, SubjectType.INVOICE),
        (None, "s1"),
        (None, member, stranger),
        (None, T0 + timedelta(minutes=9)),
        (None, T0 + timedelta(minutes=21), T0 - timedelta(days=1)),
        (None, member, stranger),
        ((), SHARED_SUBJECTS),
    ):
        if owner is None and shared:
            continue
        yield EventQuery(
            subject_type=kind,
            subject_id=subject_id,
            actor_id=actor,
            occurred_from=start,
            occurred_to=end,
            owner_id=owner,
            or_subject_types=shared,
        )


@pytest.mark.parametrize("few", [FEW_IN_WINDOW, 2], ids=["few-in-window-as-shipped", "few-in-window-2"])
def test_every_combination_of_filters_answers_what_the_query_matches_in_either_order(
    store: OpenStore, world: World, few: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a small ``FEW_IN_WINDOW`` the SQL stores read wide windows in sequence order, with the
    one as shipped through the time index; either way the answers are the same."""
    monkeypatch.setattr(hours_sql.events, "FEW_IN_WINDOW", few)
    events = _store_events(store, world, rounds=2)
    assert [event.seq for event in events] == list(range(1, len(events) + 1))
    org = world.a.org.id
    checked = 0
    with store.unit_of_work(read_only=True) as uow:
        for base in _queries(world):
            for descending, after, before, limit in (
                (False, 0, None, 1000),
                (True, 0, None, 1000),
                (False, 5, 33, 3),
                (True, 2, 30, 3),
                (True, 0, 12, 1),
            ):
                query = attrs.evolve(base, descending=descending, after=after, before=before, limit=limit)
                expected = [
                    e.seq for e in sorted(events, key=lambda e: e.seq, reverse=descending) if query.matches(e)
                ]
                got = [event.seq for event in uow.events.list(org, query)]
                assert got == expected[:limit], query
                checked += bool(expected)
    assert checked > 400  # of 3,600 reads: many combinations (an invoice, a stranger) match none


def test_a_window_of_events_numbered_out_of_their_time_order_is_listed_whole(
    store: OpenStore, world: World
) -> None:
    """Numbers follow commits, times the clock as each change was made: a window's events are not a
    run of numbers, and none is missed or added by a path that reads the time index."""
    org = world.a.org.id
    with store.unit_of_work() as uow:
        for minutes in (0, 50, 10, 40, 20, 60, 5):
            uow.events.append(new_event(org, at_minutes=minutes))
        uow.commit()
    with store.unit_of_work(read_only=True) as uow:
        window = EventQuery(occurred_from=T0 + timedelta(minutes=5), occurred_to=T0 + timedelta(minutes=41))
        assert [e.seq for e in uow.events.list(org, attrs.evolve(window, descending=True))] == [7, 5, 4, 3]
        assert [e.seq for e in uow.events.list(org, attrs.evolve(window, limit=2))] == [3, 4]
        assert [e.seq for e in uow.events.list(org, EventQuery(occurred_to=T0 + timedelta(minutes=15)))] == [
            1,
            3,
            7,
        ]


def test_the_purge_deletes_through_the_largest_number_of_an_old_event_not_the_latest_old_one(
    store: OpenStore, world: World
) -> None:
    """The last old event is the one of the largest number among those older than the cutoff: here
    number 3 (at 5 minutes), not number 2 (at 9 minutes, the latest of the old ones)."""
    org = world.a.org.id
    with store.unit_of_work() as uow:
        for minutes in (0, 9, 5, 30, 12):
            uow.events.append(new_event(org, at_minutes=minutes))
        uow.commit()
    with store.unit_of_work() as uow:
        assert uow.events.purge_before(T0 + timedelta(minutes=10)) == 3
        uow.commit()
    with store.unit_of_work(read_only=True) as uow:
        assert uow.events.purged_through(org) == 3
        assert [e.seq for e in uow.events.list(org, EventQuery())] == [4, 5]


# SQLite's plans.

ORG, USER = OrgId(uuid.uuid4()), UserId(uuid.uuid4())

AUDIT_PLANS: dict[str, tuple[EventQuery, str]] = {
    "no filter": (EventQuery(), "INDEX sqlite_autoindex_events_1"),
    "wide window": (EventQuery(occurred_to=T0), "INDEX sqlite_autoindex_events_1"),
    "subject": (EventQuery(subject_type=SubjectType.TIME_ENTRY, subject_id="x"), "INDEX events_of_subject"),
    "actor": (EventQuery(actor_id=USER), "INDEX events_by_actor"),
    "actor and subject type": (
        EventQuery(actor_id=USER, subject_type=SubjectType.INVOICE),
        "INDEX events_by_subject_type",
    ),
    "actor and the entries' events": (
        EventQuery(actor_id=USER, subject_type=SubjectType.TIME_ENTRY),
        "INDEX events_by_actor",
    ),
    "wide window and actor": (EventQuery(actor_id=USER, occurred_from=T0), "INDEX events_by_actor"),
    "subject type": (EventQuery(subject_type=SubjectType.INVOICE), "INDEX events_by_subject_type"),
    "entries' events": (EventQuery(subject_type=SubjectType.TIME_ENTRY), "INDEX sqlite_autoindex_events_1"),
    "a member's trail": (
        EventQuery(subject_type=SubjectType.TIME_ENTRY, owner_id=USER),
        "INDEX events_of_owner",
    ),
    "a member's trail, of another actor": (
        EventQuery(actor_id=UserId(uuid.uuid4()), owner_id=USER),
        "INDEX events_of_owner",
    ),
}


def _plan(raw: sqlite3.Connection, sql: str, params: list[object]) -> list[str]:
    return [detail for _id, _parent, _unused, detail in raw.execute(f"EXPLAIN QUERY PLAN {sql}", params)]


def _raw(path: pathlib.Path, analyzed: bool) -> sqlite3.Connection:
    raw = sqlite3.connect(path)
    if analyzed:
        raw.execute("ANALYZE")
    return raw


@pytest.mark.parametrize("analyzed", [False, True], ids=["no-statistics", "analyzed"])
@pytest.mark.parametrize("descending", [True, False], ids=["newest-first", "oldest-first"])
def test_each_filter_s_page_searches_its_own_index_in_sequence_order_without_a_sort(
    sqlite_store_with_events: pathlib.Path, analyzed: bool, descending: bool
) -> None:
    sql = event_statements_for(SQLITE)
    with closing(_raw(sqlite_store_with_events, analyzed)) as raw:
        for name, (query, index) in AUDIT_PLANS.items():
            paged = attrs.evolve(query, descending=descending, before=100 if descending else None)
            plan = _plan(raw, *sql.listing(ORG, paged))
            assert plan[0].startswith(f"SEARCH events USING {index} ("), (name, plan)
            assert "seq>?" in plan[0], (name, plan)
            assert len(plan) == 1, (name, plan)  # no SCAN, no TEMP B-TREE


@pytest.mark.parametrize("analyzed", [False, True], ids=["no-statistics", "analyzed"])
def test_a_subject_id_without_its_type_reads_the_subject_s_index_for_every_type(
    sqlite_store_with_events: pathlib.Path, analyzed: bool
) -> None:
    """Not the whole log down the primary key (an independent re-check: 53 ms and 123 ms on
    65,000 and 281,000 events): one subject's events of each type, then a sort of those few."""
    sql = event_statements_for(SQLITE)
    with closing(_raw(sqlite_store_with_events, analyzed)) as raw:
        plan = _plan(raw, *sql.listing(ORG, EventQuery(subject_id="x", actor_id=USER, descending=True)))
    assert plan[0].startswith(
        "SEARCH events USING INDEX events_of_subject (org_id=? AND subject_type=? AND subject_id=?"
    ), plan
    assert plan[1:] in ([], ["USE TEMP B-TREE FOR ORDER BY"]), plan


@pytest.mark.parametrize("analyzed", [False, True], ids=["no-statistics", "analyzed"])
def test_a_window_of_few_events_is_counted_in_the_time_index_and_then_read_through_it(
    sqlite_store_with_events: pathlib.Path, analyzed: bool
) -> None:
    """The count reads the window's entries of the time index only (on SQLite they hold ``seq``); the
    page then reads the window's rows, at most ``FEW_IN_WINDOW`` of them, and sorts them. One
    subject's events (an entry's history) are fewer still: their index wins."""
    sql = event_statements_for(SQLITE)
    window = EventQuery(
        actor_id=USER,
        occurred_from=T0 + timedelta(minutes=10),
        occurred_to=T0 + timedelta(minutes=13),
        descending=True,
    )
    with closing(_raw(sqlite_store_with_events, analyzed)) as raw:
        probe = sql.window_probe(ORG, window)
        assert raw.execute(*probe).fetchone() == (3,)
        assert _plan(raw, *probe) == [
            "CO-ROUTINE window_events",
            "SEARCH events USING COVERING INDEX events_by_time (org_id=? AND occurred_at>? AND occurred_at<?)",
            "SCAN window_events",  # the count of the co-routine's rows
        ]
        assert _plan(raw, *sql.listing(ORG, window, few_in_window=True)) == [
            "SEARCH events USING INDEX events_by_time (org_id=? AND occurred_at>? AND occurred_at<?)",
            "USE TEMP B-TREE FOR ORDER BY",
        ]
        one_subject = attrs.evolve(window, subject_type=SubjectType.TIME_ENTRY, subject_id="x")
        assert _plan(raw, *sql.listing(ORG, one_subject, few_in_window=True))[0].startswith(
            "SEARCH events USING INDEX events_of_subject (org_id=? AND subject_type=? AND subject_id=?"
        )


@pytest.mark.parametrize("analyzed", [False, True], ids=["no-statistics", "analyzed"])
def test_a_member_s_feed_merges_their_own_events_with_the_shared_subjects_in_sequence_order(
    sqlite_store_with_events: pathlib.Path, analyzed: bool
) -> None:
    sql = event_statements_for(SQLITE)
    feed = EventQuery(after=3, owner_id=USER, or_subject_types=SHARED_SUBJECTS)
    with closing(_raw(sqlite_store_with_events, analyzed)) as raw:
        plan = _plan(raw, *sql.listing(ORG, feed))
    searches = [step for step in plan if step.startswith("SEARCH")]
    assert searches[0] == "SEARCH events USING INDEX events_of_owner (org_id=? AND owner_id=? AND seq>?)", (
        plan
    )
    assert searches[1:] == [
        "SEARCH events USING INDEX events_by_subject_type (org_id=? AND subject_type=? AND seq>?)"
    ] * len(SHARED_SUBJECTS), plan
    assert not any(step.startswith("SCAN") or "TEMP B-TREE" in step for step in plan), plan


@pytest.mark.parametrize("analyzed", [False, True], ids=["no-statistics", "analyzed"])
def test_the_purge_finds_the_last_old_event_among_the_old_ones_through_the_time_index(
    sqlite_store_with_events: pathlib.Path, analyzed: bool
) -> None:
    sql = event_statements_for(SQLITE)
    with closing(_raw(sqlite_store_with_events, analyzed)) as raw:
        plan = _plan(raw, sql.last_old, [str(ORG), encode_instant(T0)])
    assert plan == ["SEARCH events USING COVERING INDEX events_by_time (org_id=? AND occurred_at<?)"], plan


@pytest.fixture
def sqlite_store_with_events(tmp_path: pathlib.Path) -> pathlib.Path:
    """A migrated SQLite file with 200 events of :data:`ORG`, of varied subjects, actors and owners."""
    path = tmp_path / "hours.db"
    with SqliteStore.open(path) as opened:
        opened.migrate()
        with opened.unit_of_work() as uow:
            uow.orgs.add(Org.new(ORG, "Acme", Plan.STUDIO, T0))
            for n in range(200):
                uow.events.append(
                    new_event(
                        ORG,
                        subject=_kinds_and_ids(n),
                        actor=USER if n % 4 == 0 else None,
                        owner=USER if n % 5 == 0 else None,
                        at_minutes=n,
                    )
                )
            uow.commit()
    return path
