"""The contract of the report repository, for every store: the aggregation the database runs gives
the report that the entry list gives, for every grouping, rounding, week start and filter.

The expected report is built from the stored entities themselves, one row per entry (the way the
core defines a report); the store's rows come from its ``GROUP BY``. Both go through
``build_report``, so any difference is the store's: bucketing, rounding or filtering in SQL.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterable
from datetime import date, datetime, timedelta

import attrs
import pytest

from hours_core.model import Client, ClientId, Project, RateId, RateScope, StoredRate, Task, TimeEntry, User
from hours_core.ports import ReportRows
from hours_core.report_entries import Names, rows_of_entries
from hours_core.reports import (
    GroupKey,
    Report,
    ReportFilter,
    ReportQuery,
    WeekStart,
    build_report,
    parse_group_by,
)
from hours_core.rounding import Rounding

from .conftest import T0, Build, OpenStore, World

NOW = T0 + timedelta(hours=2, minutes=7, seconds=30)
"""When the reports are asked for: the running timers of the ledger started before."""

FIRST = date(2023, 12, 25)
LAST = date(2024, 3, 5)

ROUNDINGS = [None, "up:15:entry", "down:6:entry", "nearest:15:entry", "nearest:30:group", "up:60:group"]
GROUPINGS = [
    "",
    "day",
    "week",
    "month",
    "year",
    "user",
    "project",
    "task",
    "billable",
    "client",
    "client,project",
    "month,project",
    "project,user",
    "week,user",
    "year,month",
    "task,project",
    "billable,week,day",
    "user,task,billable",
    "year,month,day",
    # Periods that do not nest (the Sunday week of 2023-12-31 holds 2024-01-01, the Monday week of
    # 2024-01-29 holds February), with and without a level of ids, and levels that the level above
    # determines.
    "year,week",
    "week,month",
    "month,week,user",
    "year,week,billable",
    "day,week",
    "project,client",
]


@attrs.frozen
class Ledger:
    """Tenant a's report data: users, projects, tasks and the entries (deleted and running included)."""

    users: tuple[User, ...]
    projects: tuple[Project, ...]
    tasks: tuple[Task, ...]
    entries: tuple[TimeEntry, ...]
    clients: tuple[Client, ...] = ()


def stored_rate(build: Build, billable: int | None, cost: int | None, currency: str) -> StoredRate:
    """A rate an entry stored (its ``rate_id`` names no row: rates are deleted for good)."""
    return StoredRate(billable, cost, currency, RateScope.ORG, RateId(build.id()))


@pytest.fixture
def ledger(store: OpenStore, world: World, build: Build) -> Ledger:
    a = world.a
    acme = Client.new(ClientId(build.id()), a.org.id, "Acme", "EUR", T0)
    zeta = Client.new(ClientId(build.id()), a.org.id, "zeta", "JPY", T0)
    # The same label as a.project but for its case, and a client; a.project has none.
    third = attrs.evolve(build.project(a.org, "website"), client_id=zeta.id)
    other_project = attrs.evolve(a.other_project, client_id=acme.id)
    other_task = build.task(a.other_project, "Build")
    admin = build.user(a.org, "zed@acme.example", name="Zed")
    store.seed(acme, zeta, third, other_task, admin)
    with store.unit_of_work() as uow:
        uow.projects.update(other_project)
        uow.commit()
    projects = (a.project, other_project, third)
    rates = [
        None,
        stored_rate(build, 9050, 4030, "EUR"),
        stored_rate(build, None, 1800, "EUR"),
        stored_rate(build, 4999, 2001, "JPY"),
        stored_rate(build, 25_000, None, "KWD"),
        stored_rate(build, 1, 1, "EUR"),
    ]
    users = (a.owner, a.member, admin)
    rng = random.Random(13)
    entries: list[TimeEntry] = []
    seconds = [0, 1, 449, 450, 451, 900, 901, 1349, 1350, 3600, 5400, 86_400]
    for n in range(90):
        project = rng.choice(projects)
        task = {a.project.id: a.task, a.other_project.id: other_task}.get(project.id)
        entry = build.entry(
            rng.choice(users),
            project,
            task=task if rng.random() < 0.6 else None,
            entry_date=FIRST + timedelta(days=rng.randrange((LAST - FIRST).days + 1)),
            duration_seconds=seconds[n] if n < len(seconds) else rng.randrange(0, 86_401),
            billable=rng.random() < 0.6,
            deleted_at=T0 if n % 17 == 5 else None,
        )
        entries.append(attrs.evolve(entry, rate=rng.choice(rates)))
    # Two running timers (owner: 2h07m30s by NOW; member: over 24 hours, so capped), and a
    # deleted one, which never counts.
    entries.append(attrs.evolve(build.running(a.owner, a.project, started_at=T0), rate=rates[1]))
    entries.append(
        attrs.evolve(build.running(a.member, third, started_at=T0 - timedelta(days=2)), rate=rates[3])
    )
    entries.append(attrs.evolve(build.running(admin, a.project, started_at=T0), deleted_at=T0))
    # The other tenant's entries on the same days never count.
    entries_b = [
        build.entry(world.b.owner, world.b.project, entry_date=FIRST + timedelta(days=n)) for n in range(9)
    ]
    with store.unit_of_work() as uow:
        uow.entries.add_many(entries)
        uow.entries.add_many(entries_b)
        uow.commit()
    return Ledger(users, projects, (a.task, other_task), tuple(entries), (acme, zeta))


def expected_rows(ledger: Ledger, query: ReportQuery, now: datetime, *, amounts: bool = True) -> ReportRows:
    """The rows of the report, one per entry, from the entities themselves."""
    names = Names(
        users={user.id: user for user in ledger.users},
        projects={project.id: project for project in ledger.projects},
        tasks={task.id: task for task in ledger.tasks},
        clients={client.id: client for client in ledger.clients},
    )
    return rows_of_entries(query, ledger.entries, names, now=now, amounts=amounts)


def report_of(found: ReportRows, query: ReportQuery) -> Report:
    return build_report(
        found.rows,
        group_by=query.group_by,
        week_start=query.week_start,
        rounding=query.rounding,
        running=found.running,
    )


def stored_report(
    store: OpenStore, world: World, query: ReportQuery, now: datetime = NOW, *, amounts: bool = True
) -> Report:
    with store.unit_of_work(read_only=True) as uow:
        found = uow.reports.time_report_rows(world.a.org.id, query, now=now, amounts=amounts)
    return report_of(found, query)


def queries(ledger: Ledger) -> Iterable[ReportQuery]:
    a_project, other_project, _third = ledger.projects
    filters = [
        ReportFilter(),
        ReportFilter(billable=True),
        ReportFilter(user_ids={ledger.users[1].id}, billable=False),
        ReportFilter(project_ids={a_project.id, other_project.id}),
        ReportFilter(task_ids={ledger.tasks[0].id}, user_ids={ledger.users[0].id, ledger.users[2].id}),
        ReportFilter(client_ids={ledger.clients[0].id}),
        ReportFilter(client_ids={client.id for client in ledger.clients}, billable=True),
    ]
    for group_by, rounding in itertools.product(GROUPINGS, ROUNDINGS):
        for week_start in WeekStart:
            yield ReportQuery(
                FIRST,
                LAST,
                parse_group_by(group_by) if group_by else (),
                week_start,
                None if rounding is None else Rounding.parse(rounding),
            )
    for entry_filter in filters:
        for group_by in ("project,user", "week,task", "billable", "client,user"):
            yield ReportQuery(
                FIRST,
                LAST,
                parse_group_by(group_by),
                WeekStart.SUNDAY,
                Rounding.parse("up:15:entry"),
                entry_filter,
            )


def test_the_stores_aggregation_gives_the_report_of_the_entry_list(
    store: OpenStore, world: World, ledger: Ledger
) -> None:
    for query in queries(ledger):
        assert stored_report(store, world, query) == report_of(expected_rows(ledger, query, NOW), query), (
            query
        )


def test_a_range_counts_its_first_and_last_day_and_nothing_outside(
    store: OpenStore, world: World, ledger: Ledger
) -> None:
    for first, last in [(date(2024, 1, 1), date(2024, 1, 1)), (date(2023, 12, 31), date(2024, 2, 29))]:
        query = ReportQuery(first, last, (GroupKey.DAY,), WeekStart.MONDAY)
        report = stored_report(store, world, query)
        assert report == report_of(expected_rows(ledger, query, NOW), query)
        assert all(first.isoformat() <= group.key.label <= last.isoformat() for group in report.groups)


def test_deleted_entries_and_other_tenants_never_count(
    store: OpenStore, world: World, ledger: Ledger
) -> None:
    query = ReportQuery(FIRST, LAST, (), WeekStart.MONDAY)
    report = stored_report(store, world, query)
    counted = [e for e in ledger.entries if not e.is_deleted and e.org_id == world.a.org.id]
    assert report.totals.entry_count == len(counted)
    assert report.totals.duration_seconds == sum(e.elapsed_seconds(NOW) for e in counted)


def test_a_running_timer_counts_up_to_now_and_marks_the_report(
    store: OpenStore, world: World, ledger: Ledger
) -> None:
    query = ReportQuery(T0.date(), T0.date(), (GroupKey.USER,), WeekStart.MONDAY)
    report = stored_report(store, world, query)
    assert report.running
    by_user = {group.key.id: group for group in report.groups}
    owner, member = by_user[str(world.a.owner.id)], by_user[str(world.a.member.id)]
    stopped_owner = sum(
        e.duration_seconds
        for e in ledger.entries
        if e.user_id == world.a.owner.id
        and e.entry_date == T0.date()
        and not e.is_deleted
        and not e.is_running
    )
    assert owner.duration_seconds == stopped_owner + 2 * 3600 + 7 * 60 + 30
    assert member.duration_seconds >= 86_400  # capped at 24 hours, as a stopped timer would be
    later = stored_report(store, world, query, now=NOW + timedelta(minutes=1))
    assert later.totals.duration_seconds == report.totals.duration_seconds + 60


def test_a_report_without_running_timers_says_so(store: OpenStore, world: World, ledger: Ledger) -> None:
    query = ReportQuery(FIRST, date(2024, 2, 29), (GroupKey.USER,), WeekStart.MONDAY)
    assert not stored_report(store, world, query).running


def test_an_empty_range_gives_zero_totals_and_no_groups(store: OpenStore, world: World) -> None:
    query = ReportQuery(date(2030, 1, 1), date(2030, 12, 31), (GroupKey.PROJECT,), WeekStart.MONDAY)
    report = stored_report(store, world, query)
    assert report.groups == ()
    assert (report.totals.entry_count, report.totals.duration_seconds, report.totals.amounts) == (0, 0, ())


def test_weeks_months_and_years_are_bucketed_as_the_core_says_on_every_day(
    store: OpenStore, world: World, build: Build
) -> None:
    first = date(2023, 1, 1)
    days = [first + timedelta(days=n) for n in range(2 * 366)]
    with store.unit_of_work() as uow:
        uow.entries.add_many(
            [build.entry(world.a.owner, world.a.project, entry_date=day, duration_seconds=60) for day in days]
        )
        uow.commit()
    for level, week_start in [
        ("week", WeekStart.MONDAY),
        ("week", WeekStart.SUNDAY),
        ("month", None),
        ("year", None),
        ("year,week", WeekStart.SUNDAY),
        ("week,month,user", WeekStart.MONDAY),
        ("month,project,week", WeekStart.SUNDAY),
    ]:
        for start in (first, first + timedelta(days=366)):
            query = ReportQuery(
                start, start + timedelta(days=365), parse_group_by(level), week_start or WeekStart.MONDAY
            )
            ledger = Ledger((world.a.owner,), (world.a.project,), (), ())
            per_day = [
                build.entry(world.a.owner, world.a.project, entry_date=day, duration_seconds=60)
                for day in days
            ]
            expected = report_of(
                expected_rows(attrs.evolve(ledger, entries=tuple(per_day)), query, NOW), query
            )
            assert stored_report(store, world, query) == expected, (level, week_start, start)


def test_amounts_are_per_currency_sums_of_per_entry_amounts(
    store: OpenStore, world: World, ledger: Ledger
) -> None:
    query = ReportQuery(
        FIRST, LAST, parse_group_by("client"), WeekStart.MONDAY, Rounding.parse("up:15:entry")
    )
    report = stored_report(store, world, query)
    assert {amount.currency for amount in report.totals.amounts} == {"EUR", "JPY", "KWD"}
    assert report == report_of(expected_rows(ledger, query, NOW), query)
    labels = [group.key.label for group in report.groups]
    assert labels == ["Acme", "No client", "zeta"]  # by label, the null group too


def test_without_amounts_no_node_has_any(store: OpenStore, world: World, ledger: Ledger) -> None:
    query = ReportQuery(FIRST, LAST, parse_group_by("project,user"), WeekStart.MONDAY)
    report = stored_report(store, world, query, amounts=False)
    assert report == report_of(expected_rows(ledger, query, NOW, amounts=False), query)
    nodes = [report.totals, *report.groups, *(child for group in report.groups for child in group.children)]
    assert all(node.amounts == () for node in nodes)
