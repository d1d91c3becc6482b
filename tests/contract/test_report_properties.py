"""Reports stored and aggregated by each store against the naive model of issue 13 (hypothesis).

Each example stores a new organization (users, projects, tasks and generated entries, deleted and
running ones too) and asks the store for a report; the report built from its rows must equal
``tests.unit.reference_report`` computed from the entry list, for every grouping, rounding, week
start and filter. The totals add up at every level, and an exact multiple never moves, because
the reference model says so (``tests/unit/test_report_properties.py`` checks those laws of the
core on its own).
"""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from typing import Any

import attrs
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from hours_core.model import (
    Client,
    ClientId,
    Org,
    OrgId,
    Project,
    RateId,
    RateScope,
    Role,
    StoredRate,
    Task,
    TimeEntry,
    User,
)
from hours_core.reports import GroupKey, ReportFilter, ReportQuery, WeekStart, build_report
from hours_core.rounding import Rounding
from tests.unit.reference_report import Entry, Filter, reference_report
from tests.unit.test_report_properties import groupings, plain_report, roundings

from .conftest import T0, Build, OpenStore

FIRST_DAY = date(2023, 12, 24)  # a Sunday: the range crosses a week, a month and a year boundary
NOW = T0 + timedelta(minutes=95)
USER_NAMES = ["Ada", "ada", "Émile"]
PROJECT_NAMES = ["Website", "Website", "internal"]
SECONDS = st.one_of(
    st.integers(min_value=0, max_value=86_400),
    st.sampled_from([0, 1, 449, 450, 451, 899, 900, 901, 1350, 3600, 86_400]),
    st.integers(min_value=0, max_value=96).map(lambda quarters: quarters * 900),
)


RATES = st.none() | st.tuples(
    st.none() | st.integers(0, 1_000_000) | st.sampled_from([1, 1800, 9050]),
    st.none() | st.integers(0, 1_000_000) | st.sampled_from([1, 1800, 4030]),
    st.sampled_from(["EUR", "JPY", "KWD"]),
)
"""A stored rate's (billable, cost, currency), either part may be missing; or no rate."""


@st.composite
def drawn_entries(draw: st.DrawFn) -> list[tuple[Any, ...]]:
    """(user, project, task or None, day, seconds, billable, deleted, rate) by index."""
    return draw(
        st.lists(
            st.tuples(
                st.integers(0, 2),
                st.integers(0, 2),
                st.none() | st.integers(0, 1),
                st.integers(0, 16),
                SECONDS,
                st.booleans(),
                st.integers(0, 9).map(lambda n: n == 0),
                RATES,
            ),
            max_size=30,
        )
    )


class Tenant:
    """A new organization in the store, and its entries as the store and the model see them."""

    def __init__(self, store: OpenStore, build: Build, drawn: list[tuple[Any, ...]], running: bool) -> None:
        self.org: Org = build.org()
        self.users: list[User] = [
            build.user(self.org, role=Role.OWNER if n == 0 else Role.MEMBER, name=name)
            for n, name in enumerate(USER_NAMES)
        ]
        self.clients: list[Client] = [
            Client.new(ClientId(build.id()), self.org.id, name, currency, T0)
            for name, currency in (("Acme", "EUR"), ("acme", "JPY"))
        ]
        # Projects 0 and 1 have a client each (both named Acme but for its case); 2 has none.
        self.projects: list[Project] = [
            attrs.evolve(build.project(self.org, name), client_id=client)
            for name, client in zip(PROJECT_NAMES, [c.id for c in self.clients] + [None], strict=True)
        ]
        # Project 2 has no tasks; the others have two each.
        self.tasks: dict[int, list[Task]] = {
            n: [build.task(self.projects[n], "Design"), build.task(self.projects[n], "build")] for n in (0, 1)
        }
        store.seed(
            self.org, *self.users, *self.clients, *self.projects, *itertools.chain(*self.tasks.values())
        )
        stored: list[TimeEntry] = []
        self.model: list[Entry] = []
        for user, project, task_index, day, seconds, billable, deleted, rate in drawn:
            tasks = self.tasks.get(project, [])
            task = None if task_index is None or not tasks else tasks[task_index]
            entry = build.entry(
                self.users[user],
                self.projects[project],
                task=task,
                entry_date=FIRST_DAY + timedelta(days=day),
                duration_seconds=seconds,
                billable=billable,
                deleted_at=T0 if deleted else None,
            )
            if rate is not None:
                entry = attrs.evolve(entry, rate=StoredRate(*rate, RateScope.ORG, RateId(build.id())))
            stored.append(entry)
            if not deleted:
                self.model.append(self.as_model(entry, seconds))
        self.timer: Entry | None = None
        if running:
            timer = build.entry(
                self.users[1],
                self.projects[0],
                entry_date=FIRST_DAY + timedelta(days=3),
                started_at=T0,
                duration_seconds=0,
            )
            stored.append(timer)
            self.timer = self.as_model(timer, int((NOW - T0).total_seconds()))
            self.model.append(self.timer)
        with store.unit_of_work() as uow:
            uow.entries.add_many(stored)
            uow.commit()

    def as_model(self, entry: TimeEntry, seconds: int) -> Entry:
        user = next(u for u in self.users if u.id == entry.user_id)
        project = next(p for p in self.projects if p.id == entry.project_id)
        client = next((c for c in self.clients if c.id == project.client_id), None)
        task = next((t for t in itertools.chain(*self.tasks.values()) if t.id == entry.task_id), None)
        rate = entry.rate
        return Entry(
            entry_date=entry.entry_date,
            user=(str(user.id), user.name),
            project=(str(project.id), project.name),
            client=None if client is None else (str(client.id), client.name),
            task=None if task is None else (str(task.id), task.name),
            billable=entry.billable,
            seconds=seconds,
            rate=None
            if rate is None
            else (rate.billable_rate_minor or 0, rate.cost_rate_minor or 0, rate.currency),
        )

    @property
    def org_id(self) -> OrgId:
        return self.org.id


@st.composite
def filters(draw: st.DrawFn, tenant_shape: int = 3) -> tuple[dict[str, list[int]], bool | None]:
    """Indexes of the users, projects and tasks to filter by (empty: no filter), and ``billable``."""
    chosen = {
        name: draw(st.just([]) | st.lists(st.integers(0, tenant_shape - 1), min_size=1, max_size=2))
        for name in ("users", "projects", "tasks")
    }
    chosen["clients"] = draw(st.just([]) | st.lists(st.integers(0, 1), min_size=1, max_size=2))
    return chosen, draw(st.none() | st.booleans())


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    drawn_entries(),
    groupings,
    st.sampled_from(list(WeekStart)),
    roundings,
    filters(),
    st.booleans(),
)
@example(
    # Sunday 2023-12-31 (day 7) starts a week that holds 2024-01-01 (day 8): it is under each year,
    # with that year's entries, on every store (each level is bucketed from the entry's own date).
    drawn=[
        (0, 0, None, 1, 3600, True, False, (9050, 4030, "EUR")),
        (1, 0, 0, 7, 451, True, False, (1800, None, "EUR")),
        (0, 2, None, 8, 901, False, False, None),
        (2, 1, 1, 8, 1350, True, False, (4999, 2001, "JPY")),
    ],
    levels=[GroupKey.YEAR, GroupKey.WEEK, GroupKey.USER],
    week_start=WeekStart.SUNDAY,
    rounding=Rounding.parse("up:15:group"),
    chosen=({"users": [], "projects": [], "tasks": [], "clients": []}, None),
    running=True,
)
@example(
    drawn=[(0, 0, None, 7, 3600, True, False, None), (1, 1, None, 8, 900, False, False, (1, 1, "KWD"))],
    levels=[GroupKey.WEEK, GroupKey.YEAR],
    week_start=WeekStart.SUNDAY,
    rounding=Rounding.parse("nearest:6:entry"),
    chosen=({"users": [], "projects": [], "tasks": [], "clients": []}, None),
    running=False,
)
def test_a_stored_report_equals_the_naive_model_of_its_entry_list(
    store: OpenStore,
    build: Build,
    drawn: list[tuple[Any, ...]],
    levels: list[GroupKey],
    week_start: WeekStart,
    rounding: Rounding | None,
    chosen: tuple[dict[str, list[int]], bool | None],
    running: bool,
) -> None:
    tenant = Tenant(store, build, drawn, running)
    indexes, billable = chosen
    all_tasks = list(itertools.chain(*tenant.tasks.values()))
    users = {tenant.users[i].id for i in indexes["users"]}
    projects = {tenant.projects[i].id for i in indexes["projects"]}
    tasks = {all_tasks[i].id for i in indexes["tasks"]}
    clients = {tenant.clients[i].id for i in indexes["clients"]}
    query = ReportQuery(
        FIRST_DAY,
        FIRST_DAY + timedelta(days=16),
        tuple(levels),
        week_start,
        rounding,
        ReportFilter(
            user_ids=users, project_ids=projects, task_ids=tasks, client_ids=clients, billable=billable
        ),
    )
    with store.unit_of_work(read_only=True) as uow:
        found = uow.reports.time_report_rows(tenant.org_id, query, now=NOW, amounts=True)
    report = build_report(
        found.rows, group_by=query.group_by, week_start=week_start, rounding=rounding, running=found.running
    )
    spelled = None if rounding is None else (rounding.mode.value, rounding.minutes, rounding.scope.value)
    model_filter = Filter(
        user_ids=frozenset(map(str, users)),
        project_ids=frozenset(map(str, projects)),
        task_ids=frozenset(map(str, tasks)),
        client_ids=frozenset(map(str, clients)),
        billable=billable,
    )
    expected = reference_report(
        tenant.model, [k.value for k in levels], week_start.value, spelled, model_filter
    )
    assert plain_report(report) == expected
    assert report.running == (tenant.timer is not None and model_filter.keeps(tenant.timer))
