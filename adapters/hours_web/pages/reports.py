"""``/app/reports``: the reports use case as a page: a range, a grouping, a bar chart and a table."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import attrs
from litestar import Controller, get
from litestar.params import QueryParameter
from litestar.response import Stream, Template

from hours_core.errors import HoursError, ValidationFailed
from hours_core.money import format_minor
from hours_core.ports import EntryQuery
from hours_core.reports import GroupKey, Node, period_id, period_start
from hours_core.services import ExportEntries, TimeReport, TimeReportRequest
from hours_web.chart import bar_chart
from hours_web.notices import Notice, notice_of, status_of
from hours_web.pages import Deps, Who, call, page, query_date
from hours_web.session import APP_PATH
from hours_web.week import today_of

__all__ = ["ReportPages"]

TABLE_GROUPS = ("project", "user")
"""What the table groups by (the API's ``groupBy`` values)."""

CHART_PERIODS = ("day", "week")
"""What the chart's bars are."""

ROUNDINGS = ("", "nearest:15:entry", "up:15:entry", "up:30:entry", "nearest:6:group", "up:15:group")
"""The rounding choices the form offers (the API takes any ``MODE:MINUTES:SCOPE``)."""


def _choice(value: str | None, choices: tuple[str, ...], parameter: str) -> str:
    """The choice the query ``parameter`` (``by``, ``chart``) names: the first when left out or
    empty; :class:`ValidationFailed` on ``parameter`` (labelled as the form does: "Table by",
    "Chart by") for anything else."""
    if value is None or value == "":
        return choices[0]
    if value not in choices:
        raise ValidationFailed.one(parameter, f"must be one of {', '.join(choices)}")
    return value


def _series(report: TimeReport, period: str) -> list[tuple[str, int]]:
    """Every day (or week) of the report's range with its rounded time: the periods without time too."""
    key = GroupKey(period)
    query = report.query
    seconds = {node.key.id: node.rounded_seconds for node in report.report.groups}
    points = []
    start = period_start(key, query.date_from, query.week_start)
    while start <= query.date_to:
        name = period_id(key, start)
        points.append((name, seconds.get(name, 0)))
        start += timedelta(days=1 if key is GroupKey.DAY else 7)
    return points


def amounts_text(report: TimeReport, node: Node) -> str:
    """The node's billable amounts, one per currency (``—`` where the plan computes none)."""
    if not report.amounts or not node.amounts:
        return "—"
    return ", ".join(
        f"{format_minor(each.billable_minor, each.currency)} {each.currency}" for each in node.amounts
    )


EXPORT_FORMATS = ("csv", "xlsx")
"""The downloads the reports page offers (the API's export takes ``jsonl`` too)."""


class ReportPages(Controller):
    """The time report of the caller's organization (members: their own time)."""

    path = f"{APP_PATH}/reports"
    include_in_schema = False

    @get("/")
    async def report(
        self,
        services: Deps,
        who: Who,
        date_from: Annotated[str | None, QueryParameter(name="from")] = None,
        date_to: Annotated[str | None, QueryParameter(name="to")] = None,
        by: Annotated[str | None, QueryParameter(name="by")] = None,
        chart: Annotated[str | None, QueryParameter(name="chart")] = None,
        rounding: Annotated[str | None, QueryParameter(name="rounding")] = None,
    ) -> Template:
        """The report of ``from``..``to`` (default: this month so far)."""
        today = today_of(who.caller, services)
        first = query_date(date_from, "from") or today.replace(day=1)
        last = query_date(date_to, "to") or today
        notice: Notice | None = None
        status = 200
        by_report = chart_report = None
        try:
            group = _choice(by, TABLE_GROUPS, "by")
            period = _choice(chart, CHART_PERIODS, "chart")
            asked = TimeReportRequest(date_from=first, date_to=last, rounding=rounding or None)
            chart_report = await call(
                services.reports.time_report, who.caller, attrs.evolve(asked, group_by=period)
            )
            by_report = await call(
                services.reports.time_report, who.caller, attrs.evolve(asked, group_by=group)
            )
        except HoursError as failure:
            notice, status = notice_of(failure), status_of(failure)
        bars = bar_chart([] if chart_report is None else _series(chart_report, period))
        form = {
            "from": first,
            "to": last,
            "by": by or "project",
            "chart": chart or "day",
            "rounding": rounding or "",
        }
        return page(
            "reports.html",
            who,
            section="reports",
            form=form,
            groups=TABLE_GROUPS,
            periods=CHART_PERIODS,
            roundings=ROUNDINGS,
            chart=bars,
            chart_report=chart_report,
            report=by_report,
            amounts_text=amounts_text,
            export_formats=EXPORT_FORMATS,
            notice=notice,
            status_code=status,
        )

    @get("/export")
    async def export(
        self,
        services: Deps,
        who: Who,
        date_from: Annotated[str | None, QueryParameter(name="from")] = None,
        date_to: Annotated[str | None, QueryParameter(name="to")] = None,
        export_format: Annotated[str, QueryParameter(name="format")] = "csv",
    ) -> Stream:
        """The entries of the report's range as a CSV or XLSX download (the export use case)."""
        if export_format not in EXPORT_FORMATS:
            raise ValidationFailed.one("format", f"must be one of {', '.join(EXPORT_FORMATS)}")
        query = EntryQuery(date_from=query_date(date_from, "from"), date_to=query_date(date_to, "to"))
        command = ExportEntries(export_format=export_format, query=query)
        made = await call(services.exports.export_time_entries, who.caller, command)
        return Stream(
            made.chunks,
            # Litestar adds "; charset=utf-8" to a text/* type itself: the core's type would say it twice.
            media_type=made.export_format.media_type.removesuffix("; charset=utf-8"),
            headers={"Content-Disposition": f'attachment; filename="{made.filename}"'},
        )
