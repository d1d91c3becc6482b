"""The report request (levels, weeks, range, filters) and worked examples of the report tree."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hours_core.errors import ValidationFailed
from hours_core.money import HourlyRate
from hours_core.reports import (
    GroupKey,
    Labelled,
    ReportFilter,
    ReportQuery,
    ReportRow,
    WeekStart,
    build_report,
    check_report_range,
    parse_group_by,
    parse_week_start,
    period_id,
    period_start,
)
from hours_core.rounding import Rounding
from hours_core.validation import FieldErrors

G = GroupKey


@pytest.mark.parametrize(
    ("text", "levels"),
    [
        ("day", (G.DAY,)),
        ("billable", (G.BILLABLE,)),
        ("project,user", (G.PROJECT, G.USER)),
        ("year,month,day", (G.YEAR, G.MONTH, G.DAY)),
        ("client,project,task", (G.CLIENT, G.PROJECT, G.TASK)),
        ("task,project", (G.TASK, G.PROJECT)),
        ("week,day,user", (G.WEEK, G.DAY, G.USER)),
        ("user,month", (G.USER, G.MONTH)),
        # Issue 13 allows any one to three of the nine levels: periods that do not nest, and
        # levels that the level above determines, too.
        ("year,week", (G.YEAR, G.WEEK)),
        ("week,year", (G.WEEK, G.YEAR)),
        ("month,week", (G.MONTH, G.WEEK)),
        ("week,month", (G.WEEK, G.MONTH)),
        ("day,week", (G.DAY, G.WEEK)),
        ("day,month", (G.DAY, G.MONTH)),
        ("day,year", (G.DAY, G.YEAR)),
        ("month,year", (G.MONTH, G.YEAR)),
        ("project,client", (G.PROJECT, G.CLIENT)),
        ("day,user,week", (G.DAY, G.USER, G.WEEK)),
        ("year,month,week", (G.YEAR, G.MONTH, G.WEEK)),
    ],
)
def test_group_by_lists_one_to_three_levels_in_order(text: str, levels: tuple[GroupKey, ...]) -> None:
    assert parse_group_by(text) == levels


NAMES = "day, week, month, year, user, client, project, task, billable"
FORM = f"must list 1 to 3 of {NAMES}, separated by commas without spaces"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", FORM),
        ("project,", f"{FORM} (found an empty item)"),
        ("project, user", f"{FORM}; unknown: ' user'"),
        ("Project", f"{FORM}; unknown: 'Project'"),
        ("day,user,project,task", f"{FORM} (got 4 levels)"),
        ("user,user", "lists user twice; each level may appear once"),
        ("year,week,year", "lists year twice; each level may appear once"),
        ("x" * 101, FORM),
    ],
)
def test_group_by_refuses_what_is_not_one_to_three_distinct_levels(text: str, message: str) -> None:
    with pytest.raises(ValidationFailed) as raised:
        parse_group_by(text)
    assert raised.value.fields == {"groupBy": message}


@given(st.text(max_size=40) | st.lists(st.sampled_from([*G, "x", ""]), max_size=4).map(",".join))
def test_group_by_returns_levels_or_its_own_error_on_any_text(text: str) -> None:
    try:
        outcome: tuple[GroupKey, ...] | ValidationFailed = parse_group_by(text)
    except ValidationFailed as error:
        outcome = error
    if isinstance(outcome, ValidationFailed):
        assert set(outcome.fields) == {"groupBy"}
    else:
        assert 1 <= len(outcome) <= 3 and len(set(outcome)) == len(outcome)
        assert ",".join(outcome) == text


@given(st.lists(st.sampled_from(list(G)), min_size=1, max_size=3, unique=True))
def test_every_list_of_one_to_three_distinct_levels_is_a_grouping(levels: list[GroupKey]) -> None:
    assert parse_group_by(",".join(levels)) == tuple(levels)


def test_week_start_is_monday_or_sunday() -> None:
    assert parse_week_start("sunday") is WeekStart.SUNDAY
    with pytest.raises(ValidationFailed) as raised:
        parse_week_start("Monday")
    assert raised.value.fields == {"weekStart": "must be monday or sunday, not 'Monday'"}


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)), st.sampled_from(list(WeekStart)))
def test_every_day_lies_in_the_period_named_by_its_first_day(day: date, week_start: WeekStart) -> None:
    week = period_start(G.WEEK, day, week_start)
    assert week <= day < week + timedelta(days=7)
    assert week.strftime("%A").lower() == week_start.value
    assert period_start(G.MONTH, day) == day.replace(day=1)
    assert period_start(G.YEAR, day) == date(day.year, 1, 1)
    assert period_start(G.DAY, day) == day
    assert period_id(G.MONTH, day) == day.isoformat()[:7]
    assert period_id(G.YEAR, day) == day.isoformat()[:4]


def test_period_functions_refuse_levels_that_are_not_periods() -> None:
    with pytest.raises(ValueError, match="not a period"):
        period_start(G.USER, date(2024, 1, 1))
    with pytest.raises(ValueError, match="not a period"):
        period_id(G.TASK, date(2024, 1, 1))


def range_errors(date_from: date, date_to: date) -> dict[str, str]:
    errors = FieldErrors()
    check_report_range(date_from, date_to, errors)
    try:
        errors.raise_if_any()
    except ValidationFailed as error:
        return dict(error.fields)
    return {}


def test_the_range_is_inclusive_and_at_most_366_days_apart() -> None:
    assert range_errors(date(2024, 1, 1), date(2024, 12, 31)) == {}
    assert range_errors(date(2024, 1, 1), date(2025, 1, 1)) == {}
    assert range_errors(date(2024, 5, 5), date(2024, 5, 5)) == {}
    # The range of a reapply or an overlap list: the export is no way to a longer one.
    assert range_errors(date(2024, 1, 1), date(2025, 1, 2)) == {
        "to": "must be at most 366 days after from (latest: 2025-01-01)"
    }
    assert range_errors(date(2024, 5, 5), date(2024, 5, 4)) == {"to": "must not be before from (2024-05-05)"}
    assert range_errors(date(1999, 12, 31), date(2101, 1, 1)) == {
        "from": "must be a date from 2000-01-01 to 2100-12-31",
        "to": "must be a date from 2000-01-01 to 2100-12-31",
    }


def test_a_query_reports_every_wrong_field_at_once() -> None:
    with pytest.raises(ValidationFailed) as raised:
        ReportQuery.parse(
            date_from=date(2024, 1, 1),
            date_to=date(2026, 1, 1),
            group_by="day,day",
            week_start="friday",
            rounding="up:7:entry",
            default_week_start=WeekStart.MONDAY,
            entry_filter=ReportFilter(project_ids={UUID(int=n) for n in range(101)}),
        )
    assert set(raised.value.fields) == {"to", "groupBy", "weekStart", "rounding", "projectId"}
    assert raised.value.fields["projectId"] == "may list at most 100 ids (got 101)"
    assert raised.value.fields["to"] == (
        "must be at most 366 days after from (latest: 2025-01-01); export longer ranges"
    )


def test_a_query_takes_the_org_week_start_unless_told_otherwise() -> None:
    query = ReportQuery.parse(
        date_from=date(2024, 1, 1),
        date_to=date(2024, 1, 31),
        group_by=None,
        week_start=None,
        rounding=None,
        default_week_start=WeekStart.SUNDAY,
    )
    assert query == ReportQuery(
        date(2024, 1, 1), date(2024, 1, 31), (), WeekStart.SUNDAY, None, ReportFilter()
    )
    told = ReportQuery.parse(
        date_from=date(2024, 1, 1),
        date_to=date(2024, 1, 31),
        group_by="week",
        week_start="monday",
        rounding="nearest:6:group",
        default_week_start=WeekStart.SUNDAY,
    )
    assert (told.group_by, told.week_start, str(told.rounding)) == (
        (G.WEEK,),
        WeekStart.MONDAY,
        "nearest:6:group",
    )


def test_a_filter_keeps_entries_matching_every_field_and_any_listed_id() -> None:
    a, b, c = UUID(int=1), UUID(int=2), UUID(int=3)
    entry = {"user_id": a, "project_id": b, "task_id": None, "client_id": c, "billable": True}
    assert ReportFilter().matches(**entry)
    assert ReportFilter(project_ids={a, b}, client_ids={c}, billable=True).matches(**entry)
    assert not ReportFilter(project_ids={a}).matches(**entry)
    assert not ReportFilter(task_ids={a}).matches(**entry)  # no task never matches a task filter
    assert not ReportFilter(billable=False).matches(**entry)
    with pytest.raises(ValueError, match="UUIDs"):
        ReportFilter(user_ids={"not a uuid"})  # type: ignore[arg-type]


ACME = Labelled("c-acme", "Acme")
WEBSITE = Labelled("p-website", "Website")
EUR = HourlyRate(9050, 4030, "EUR")
JPY = HourlyRate(4999, 2001, "JPY")


def row(
    values: tuple[object, ...], seconds: int, rate: HourlyRate | None = None, **kwargs: object
) -> ReportRow:
    return ReportRow.for_entry(
        values,  # type: ignore[arg-type]
        duration_seconds=seconds,
        billable=bool(kwargs.get("billable", True)),
        rate=rate,
        rounding=kwargs.get("rounding"),  # type: ignore[arg-type]
    )


def test_group_rounding_rounds_each_finest_group_once_whatever_the_currencies() -> None:
    # Two 5-minute entries of one project in two currencies: one group of 10 minutes, rounded to 15
    # (not two groups of 15), with the euros and the yen listed apart.
    group = Rounding.parse("up:15:group")
    rows = [row((WEBSITE,), 300, EUR), row((WEBSITE,), 300, JPY)]
    report = build_report(rows, group_by=[G.PROJECT], week_start=WeekStart.MONDAY, rounding=group)
    (website,) = report.groups
    assert (website.duration_seconds, website.rounded_seconds, website.entry_count) == (600, 900, 2)
    assert [(a.currency, a.billable_minor, a.cost_minor) for a in website.amounts] == [
        ("EUR", 754, 336),  # 300 s x 9050 / 3600 = 754.17; x 4030 = 335.83
        ("JPY", 417, 167),  # 416.58 -> 417; 166.75 -> 167
    ]


def test_entry_rounding_rounds_each_entry_and_bills_the_rounded_time() -> None:
    entry = Rounding.parse("up:15:entry")
    rows = [row((WEBSITE,), 300, EUR, rounding=entry), row((WEBSITE,), 300, EUR, rounding=entry)]
    report = build_report(rows, group_by=[G.PROJECT], week_start=WeekStart.MONDAY, rounding=entry)
    (website,) = report.groups
    assert (website.duration_seconds, website.rounded_seconds) == (600, 1800)
    assert [(a.billable_minor, a.cost_minor) for a in website.amounts] == [(2 * 2262, 2 * 1008)]


def test_without_levels_the_report_is_its_totals_and_group_rounding_rounds_them() -> None:
    rows = [row((), 300, EUR), row((), 301, None, billable=False)]
    report = build_report(
        rows, group_by=[], week_start=WeekStart.MONDAY, rounding=Rounding.parse("up:15:group")
    )
    assert report.groups == ()
    totals = report.totals
    assert (totals.duration_seconds, totals.billable_seconds, totals.rounded_seconds) == (601, 300, 900)
    assert (totals.key.type, totals.key.id, totals.key.label, totals.children) == ("total", None, "Total", ())


def test_a_report_over_no_entries_is_zero_with_no_groups() -> None:
    report = build_report([], group_by=[G.USER], week_start=WeekStart.MONDAY, rounding=None, running=True)
    assert report.groups == () and report.running
    assert (report.totals.duration_seconds, report.totals.entry_count, report.totals.amounts) == (0, 0, ())


def test_rows_finer_than_the_levels_are_bucketed_and_merged() -> None:
    # A store may return one row per day for a report by month and week (or one per entry).
    days = [date(2024, 1, 30), date(2024, 1, 31), date(2024, 2, 1)]
    rows = [row((day,), 3600) for day in days]
    by_month = build_report(rows, group_by=[G.MONTH], week_start=WeekStart.MONDAY, rounding=None)
    assert [(g.key.id, g.duration_seconds) for g in by_month.groups] == [("2024-01", 7200), ("2024-02", 3600)]
    by_week = build_report(rows, group_by=[G.WEEK], week_start=WeekStart.SUNDAY, rounding=None)
    assert [(g.key.id, g.entry_count) for g in by_week.groups] == [("2024-01-28", 3)]


def test_a_week_that_straddles_two_years_lies_in_each_with_the_entries_of_that_year() -> None:
    # The week of Monday 2024-12-30 holds 2024-12-30, 2024-12-31 and 2025-01-01..05.
    rows = [
        row((date(2024, 12, 30), date(2024, 12, 30)), 3600, EUR),
        row((date(2024, 12, 31), date(2024, 12, 31)), 1800, EUR),
        row((date(2025, 1, 1), date(2025, 1, 1)), 900, EUR),
    ]
    group = Rounding.parse("up:60:group")
    report = build_report(rows, group_by=[G.YEAR, G.WEEK], week_start=WeekStart.MONDAY, rounding=group)
    tree = [
        (g.key.id, [(c.key.id, c.duration_seconds, c.rounded_seconds, c.entry_count) for c in g.children])
        for g in report.groups
    ]
    assert tree == [("2024", [("2024-12-30", 5400, 7200, 2)]), ("2025", [("2024-12-30", 900, 3600, 1)])]
    # Each half-week is a group of the finest level, rounded on its own; the totals add them up.
    assert (report.totals.duration_seconds, report.totals.rounded_seconds) == (6300, 10800)
    assert [a.cost_minor for a in report.totals.amounts] == [
        sum(a.cost_minor for g in report.groups for a in g.amounts)
    ]
    weeks_first = build_report(
        [row((day, day), seconds) for day, seconds in ((date(2024, 12, 31), 5400), (date(2025, 1, 1), 900))],
        group_by=[G.WEEK, G.YEAR],
        week_start=WeekStart.MONDAY,
        rounding=None,
    )
    assert [(g.key.id, [(c.key.id, c.duration_seconds) for c in g.children]) for g in weeks_first.groups] == [
        ("2024-12-30", [("2024", 5400), ("2025", 900)])
    ]


def test_groups_sort_by_label_then_id_the_null_group_by_its_label_too() -> None:
    tasks = [
        Labelled("t2", "design"),
        None,
        Labelled("t4", "Review"),
        Labelled("t3", "Build"),
        Labelled("t1", "Design"),
    ]
    rows = [row((task, billable), 60, billable=billable) for task in tasks for billable in (False, True)]
    report = build_report(rows, group_by=[G.TASK, G.BILLABLE], week_start=WeekStart.MONDAY, rounding=None)
    assert [(g.key.id, g.key.label) for g in report.groups] == [
        ("t3", "Build"),
        ("t1", "Design"),
        ("t2", "design"),
        (None, "No task"),
        ("t4", "Review"),
    ]
    assert [(c.key.id, c.key.label) for c in report.groups[0].children] == [
        ("true", "Billable"),
        ("false", "Non-billable"),
    ]


def test_build_report_refuses_rows_that_do_not_fit_the_levels() -> None:
    monday = WeekStart.MONDAY
    with pytest.raises(ValueError, match="2 values for 1 levels"):
        build_report([row((ACME, WEBSITE), 60)], group_by=[G.CLIENT], week_start=monday, rounding=None)
    with pytest.raises(TypeError, match="needs a date"):
        build_report([row((datetime(2024, 1, 1),), 60)], group_by=[G.DAY], week_start=monday, rounding=None)
    with pytest.raises(ValueError, match="value for every entry"):
        build_report([row((None,), 60)], group_by=[G.PROJECT], week_start=monday, rounding=None)
    with pytest.raises(TypeError, match="needs a bool"):
        build_report([row((1,), 60)], group_by=[G.BILLABLE], week_start=monday, rounding=None)
    renamed = [row((WEBSITE,), 60), row((Labelled("p-website", "Web site"),), 60)]
    with pytest.raises(ValueError, match="two labels"):
        build_report(renamed, group_by=[G.PROJECT], week_start=monday, rounding=None)
    entry_rounded = [row((WEBSITE,), 60, rounding=Rounding.parse("up:15:entry"))]
    with pytest.raises(ValueError, match="rounded_seconds"):
        build_report(
            entry_rounded, group_by=[G.PROJECT], week_start=monday, rounding=Rounding.parse("up:15:group")
        )


@pytest.mark.parametrize(
    "fields",
    [
        {"entry_count": 0},
        {"billable_seconds": 61},
        {"currency": None, "cost_minor": 1},
        {"currency": "eur"},
        {"duration_seconds": -1},
    ],
)
def test_a_report_row_holds_consistent_sums(fields: dict[str, object]) -> None:
    valid: dict[str, object] = {
        "values": (),
        "currency": "EUR",
        "entry_count": 1,
        "duration_seconds": 60,
        "billable_seconds": 60,
        "rounded_seconds": 60,
        "billable_minor": 0,
        "cost_minor": 0,
    }
    ReportRow(**valid)  # type: ignore[arg-type]
    with pytest.raises(ValueError):  # noqa: PT011 - each invariant has its own message
        ReportRow(**{**valid, **fields})  # type: ignore[arg-type]
