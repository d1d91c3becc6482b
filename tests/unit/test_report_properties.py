"""Reports against the naive model of issue 13: every grouping, rounding and filter, exactly."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from hours_core.money import HourlyRate
from hours_core.reports import (
    GroupKey,
    GroupValue,
    Labelled,
    Node,
    Report,
    ReportFilter,
    ReportRow,
    WeekStart,
    build_report,
    group_values,
    period_start,
)
from hours_core.rounding import Rounding
from tests.unit.reference_report import Entry, Filter, reference_report

USERS = [("00000000-0000-0000-0000-0000000000a1", "Ada"), ("00000000-0000-0000-0000-0000000000a2", "ada")]
USERS.append(("00000000-0000-0000-0000-0000000000a3", "Émile"))
CLIENTS = [("00000000-0000-0000-0000-0000000000c1", "Acme"), ("00000000-0000-0000-0000-0000000000c2", "Zeta")]
PROJECTS = [
    # (project, its client): two projects share a label, one has no client.
    (("00000000-0000-0000-0000-0000000000b1", "Website"), CLIENTS[0]),
    (("00000000-0000-0000-0000-0000000000b2", "Website"), CLIENTS[1]),
    (("00000000-0000-0000-0000-0000000000b3", "internal"), None),
]
TASKS = [
    ("00000000-0000-0000-0000-0000000000d1", "Design"),
    ("00000000-0000-0000-0000-0000000000d2", "Build"),
]
CURRENCIES = ["EUR", "JPY", "KWD"]
FIRST_DAY = date(2023, 12, 24)  # a Sunday; the range crosses a week, a month and a year boundary

seconds = st.one_of(
    st.integers(min_value=0, max_value=86_400),
    st.sampled_from([0, 1, 59, 60, 449, 450, 451, 899, 900, 901, 1800, 2700, 3600, 86_400]),
    st.integers(min_value=0, max_value=96).map(lambda quarters: quarters * 900),
)
rates = st.one_of(
    st.none(),
    st.tuples(
        st.integers(min_value=0, max_value=1_000_000) | st.sampled_from([1, 1800, 3600, 7200, 12_345]),
        st.integers(min_value=0, max_value=1_000_000) | st.sampled_from([1, 1800, 5400]),
        st.sampled_from(CURRENCIES),
    ),
)


@st.composite
def entries(draw: st.DrawFn) -> Entry:
    project, client = draw(st.sampled_from(PROJECTS))
    return Entry(
        entry_date=FIRST_DAY + timedelta(days=draw(st.integers(min_value=0, max_value=16))),
        user=draw(st.sampled_from(USERS)),
        project=project,
        client=client,
        task=draw(st.none() | st.sampled_from(TASKS)),
        billable=draw(st.booleans()),
        seconds=draw(seconds),
        rate=draw(rates),
    )


groupings = st.lists(st.sampled_from(list(GroupKey)), max_size=3, unique=True)
"""Every grouping issue 13 allows: none, or one to three distinct levels in any order."""
roundings = st.none() | st.builds(
    Rounding.parse,
    st.builds(
        lambda mode, minutes, scope: f"{mode}:{minutes}:{scope}",
        st.sampled_from(["up", "down", "nearest"]),
        st.sampled_from([1, 5, 6, 10, 12, 15, 30, 60]),
        st.sampled_from(["entry", "group"]),
    ),
)


@st.composite
def filters(draw: st.DrawFn) -> Filter:
    def some(pool: list[tuple[str, str]]) -> frozenset[str]:
        if draw(st.booleans()):
            return frozenset()
        return frozenset(draw(st.lists(st.sampled_from([item[0] for item in pool]), min_size=1)))

    return Filter(
        user_ids=some(USERS),
        project_ids=some([project for project, _ in PROJECTS]),
        task_ids=some(TASKS),
        client_ids=some(CLIENTS),
        billable=draw(st.none() | st.booleans()),
    )


def as_filter(reference: Filter) -> ReportFilter:
    return ReportFilter(
        user_ids={UUID(i) for i in reference.user_ids},
        project_ids={UUID(i) for i in reference.project_ids},
        task_ids={UUID(i) for i in reference.task_ids},
        client_ids={UUID(i) for i in reference.client_ids},
        billable=reference.billable,
    )


def labelled(named: tuple[str, str] | None) -> Labelled | None:
    return None if named is None else Labelled(*named)


def entry_rows(
    all_entries: list[Entry], levels: list[GroupKey], rounding: Rounding | None, entry_filter: ReportFilter
) -> Iterator[ReportRow]:
    """One row per entry that the filter keeps: what the in-memory store would produce."""
    for entry in all_entries:
        client_id = UUID(entry.client[0]) if entry.client else None
        task_id = UUID(entry.task[0]) if entry.task else None
        if not entry_filter.matches(
            user_id=UUID(entry.user[0]),
            project_id=UUID(entry.project[0]),
            task_id=task_id,
            client_id=client_id,
            billable=entry.billable,
        ):
            continue
        values = group_values(
            levels,
            entry_date=entry.entry_date,
            user=Labelled(*entry.user),
            project=Labelled(*entry.project),
            client=labelled(entry.client),
            task=labelled(entry.task),
            billable=entry.billable,
        )
        rate = HourlyRate(*entry.rate) if entry.rate else None
        yield ReportRow.for_entry(
            values, duration_seconds=entry.seconds, billable=entry.billable, rate=rate, rounding=rounding
        )


def grouped_rows(rows: list[ReportRow], levels: list[GroupKey], week_start: WeekStart) -> list[ReportRow]:
    """What ``SELECT ..., currency, count(*), sum(...) GROUP BY <levels>, currency`` returns."""
    sums: dict[tuple[tuple[GroupValue, ...], str | None], list[int]] = {}
    for row in rows:
        values = tuple(
            period_start(key, value, week_start) if key.is_period and isinstance(value, date) else value
            for key, value in zip(levels, row.values, strict=True)
        )
        total = sums.setdefault((values, row.currency), [0] * 6)
        for index, number in enumerate(
            (
                row.entry_count,
                row.duration_seconds,
                row.billable_seconds,
                row.rounded_seconds,
                row.billable_minor,
                row.cost_minor,
            )
        ):
            total[index] += number
    return [ReportRow(values, currency, *numbers) for (values, currency), numbers in sums.items()]


def plain(node: Node) -> dict[str, Any]:
    return {
        "key": (node.key.type, node.key.id, node.key.label),
        "duration_seconds": node.duration_seconds,
        "billable_seconds": node.billable_seconds,
        "rounded_seconds": node.rounded_seconds,
        "entry_count": node.entry_count,
        "amounts": [(a.currency, a.billable_minor, a.cost_minor) for a in node.amounts],
        "children": [plain(child) for child in node.children],
    }


def plain_report(report: Report) -> dict[str, Any]:
    return {"totals": plain(report.totals), "groups": [plain(group) for group in report.groups]}


def build(
    all_entries: list[Entry],
    levels: list[GroupKey],
    week_start: WeekStart,
    rounding: Rounding | None,
    reference_filter: Filter,
) -> tuple[list[ReportRow], Report]:
    rows = list(entry_rows(all_entries, levels, rounding, as_filter(reference_filter)))
    report = build_report(rows, group_by=levels, week_start=week_start, rounding=rounding)
    return rows, report


def expected(
    all_entries: list[Entry],
    levels: list[GroupKey],
    week_start: WeekStart,
    rounding: Rounding | None,
    reference_filter: Filter,
) -> dict[str, Any]:
    spelled = None if rounding is None else (rounding.mode.value, rounding.minutes, rounding.scope.value)
    return reference_report(
        all_entries, [k.value for k in levels], week_start.value, spelled, reference_filter
    )


STRADDLING_WEEK = (
    # The week of Sunday 2023-12-31 holds 2024-01-01: under each year, with that year's entries.
    [
        Entry(FIRST_DAY + timedelta(days=1), USERS[0], PROJECTS[0][0], CLIENTS[0], None, True, 3600, None),
        Entry(
            FIRST_DAY + timedelta(days=7),
            USERS[1],
            PROJECTS[0][0],
            CLIENTS[0],
            None,
            True,
            451,
            (1800, 1800, "EUR"),
        ),
        Entry(
            FIRST_DAY + timedelta(days=8),
            USERS[0],
            PROJECTS[2][0],
            None,
            None,
            False,
            901,
            (9050, 4030, "EUR"),
        ),
    ],
    [GroupKey.YEAR, GroupKey.WEEK, GroupKey.PROJECT],
    WeekStart.SUNDAY,
    Rounding.parse("up:15:group"),
    Filter(),
)
reports = st.tuples(
    st.lists(entries(), max_size=40), groupings, st.sampled_from(list(WeekStart)), roundings, filters()
)
SETTINGS = settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(reports)
@example(
    (
        [Entry(FIRST_DAY, USERS[0], PROJECTS[0][0], CLIENTS[0], None, True, 450, (1800, 1800, "EUR"))] * 3,
        [GroupKey.WEEK, GroupKey.DAY],
        WeekStart.SUNDAY,
        Rounding.parse("nearest:15:group"),
        Filter(),
    )
)
@example(STRADDLING_WEEK)
@example((STRADDLING_WEEK[0], [GroupKey.WEEK, GroupKey.MONTH, GroupKey.DAY], *STRADDLING_WEEK[2:]))
def test_the_report_equals_the_naive_model_of_the_issue(case: tuple[Any, ...]) -> None:
    all_entries, levels, week_start, rounding, reference_filter = case
    _, report = build(all_entries, levels, week_start, rounding, reference_filter)
    assert plain_report(report) == expected(all_entries, levels, week_start, rounding, reference_filter)


@SETTINGS
@given(reports, st.randoms(use_true_random=False))
@example(STRADDLING_WEEK, random.Random(0))
def test_rows_grouped_by_the_store_give_the_same_report_as_rows_per_entry(
    case: tuple[Any, ...], shuffler: random.Random
) -> None:
    all_entries, levels, week_start, rounding, reference_filter = case
    rows, per_entry = build(all_entries, levels, week_start, rounding, reference_filter)
    grouped = grouped_rows(rows, levels, week_start)
    shuffler.shuffle(grouped)
    aggregated = build_report(grouped, group_by=levels, week_start=week_start, rounding=rounding)
    assert aggregated == per_entry


def assert_adds_up(node: Node, children: tuple[Node, ...]) -> None:
    assert node.duration_seconds == sum(child.duration_seconds for child in children)
    assert node.billable_seconds == sum(child.billable_seconds for child in children)
    assert node.rounded_seconds == sum(child.rounded_seconds for child in children)
    assert node.entry_count == sum(child.entry_count for child in children)
    for currency in {a.currency for child in children for a in child.amounts}:
        parts = [a for child in children for a in child.amounts if a.currency == currency]
        (whole,) = [a for a in node.amounts if a.currency == currency]
        assert whole.billable_minor == sum(a.billable_minor for a in parts)
        assert whole.cost_minor == sum(a.cost_minor for a in parts)
    assert {a.currency for a in node.amounts} == {a.currency for child in children for a in child.amounts}
    for child in children:
        if child.children:
            assert_adds_up(child, child.children)


@SETTINGS
@given(reports)
def test_the_totals_equal_the_sum_of_the_groups_at_every_level(case: tuple[Any, ...]) -> None:
    all_entries, levels, week_start, rounding, reference_filter = case
    _, report = build(all_entries, levels, week_start, rounding, reference_filter)
    if levels:
        assert_adds_up(report.totals, report.groups)
    assert report.totals.entry_count == sum(1 for e in all_entries if reference_filter.keeps(e))


def every_node(report: Report) -> Iterator[Node]:
    pending = [report.totals, *report.groups]
    while pending:
        node = pending.pop()
        yield node
        pending.extend(node.children)


@SETTINGS
@given(reports, st.data())
def test_rounded_seconds_of_exact_multiples_equal_the_raw_seconds(case: tuple[Any, ...], data: Any) -> None:
    all_entries, levels, week_start, _, reference_filter = case
    rounding = data.draw(roundings.filter(lambda r: r is not None))
    on_steps = [
        Entry(**{**e.__dict__, "seconds": e.seconds - e.seconds % rounding.step_seconds}) for e in all_entries
    ]
    _, report = build(on_steps, levels, week_start, rounding, reference_filter)
    for node in every_node(report):
        assert node.rounded_seconds == node.duration_seconds


def without_rounded(node: Node) -> tuple[Any, ...]:
    return (
        node.key,
        node.duration_seconds,
        node.billable_seconds,
        node.entry_count,
        node.amounts,
        tuple(without_rounded(child) for child in node.children),
    )


@SETTINGS
@given(reports, st.data())
def test_group_rounding_changes_rounded_seconds_only(case: tuple[Any, ...], data: Any) -> None:
    all_entries, levels, week_start, _, reference_filter = case
    text = (
        data.draw(st.sampled_from(["up", "down", "nearest"]))
        + ":"
        + data.draw(st.sampled_from(["15", "6", "60"]))
    )
    rounding = Rounding.parse(text + ":group")
    _, rounded = build(all_entries, levels, week_start, rounding, reference_filter)
    _, raw = build(all_entries, levels, week_start, None, reference_filter)
    assert without_rounded(rounded.totals) == without_rounded(raw.totals)
    assert [without_rounded(g) for g in rounded.groups] == [without_rounded(g) for g in raw.groups]


@SETTINGS
@given(reports)
def test_amounts_are_integers_listed_once_per_currency_in_code_order(case: tuple[Any, ...]) -> None:
    all_entries, levels, week_start, rounding, reference_filter = case
    _, report = build(all_entries, levels, week_start, rounding, reference_filter)
    for node in every_node(report):
        currencies = [a.currency for a in node.amounts]
        assert currencies == sorted(set(currencies))
        for amount in node.amounts:
            assert type(amount.billable_minor) is int and type(amount.cost_minor) is int
