"""The time report use case: who may see what, the plan gates, and the tree.

The store aggregates (:meth:`~hours_core.ports.ReportRepository.time_report_rows`, a ``GROUP BY``
in the database); :func:`~hours_core.reports.build_report` turns the rows into the tree. This
module decides what the caller may ask for: members report on their own time only, rounding
needs the ``rounding`` feature, and amounts are computed only where the plan has rates (feature
``billable_rates``; on a plan without it every node's ``amounts`` is empty, see docs/reports.md).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from uuid import UUID

import attrs

from hours_core.errors import Forbidden, NotFound
from hours_core.model import Org, OrgId
from hours_core.plans import Feature, allows, require
from hours_core.ports import Clock
from hours_core.reports import Report, ReportFilter, ReportQuery, WeekStart, build_report
from hours_core.services.caller import Caller
from hours_core.services.transactions import Transactions

__all__ = ["ReportService", "TimeReport", "TimeReportRequest"]


@attrs.frozen
class TimeReportRequest:
    """A report as asked for: the parameters as sent (``None``: not sent; the range is required).

    ``group_by``, ``week_start`` and ``rounding`` are the texts of the request (parsed and checked
    by :meth:`~hours_core.reports.ReportQuery.parse`); the id filters are sets of ids.
    """

    date_from: date | None
    date_to: date | None
    group_by: str | None = None
    week_start: str | None = None
    rounding: str | None = None
    user_ids: Collection[UUID] = frozenset()
    project_ids: Collection[UUID] = frozenset()
    task_ids: Collection[UUID] = frozenset()
    client_ids: Collection[UUID] = frozenset()
    billable: bool | None = None


@attrs.frozen
class TimeReport:
    """A built report and the query it answers (its ``meta``); ``amounts``: whether amounts were computed."""

    query: ReportQuery
    report: Report
    amounts: bool


class ReportService:
    """Reports on the organization's time."""

    def __init__(self, transactions: Transactions, clock: Clock) -> None:
        self._transactions = transactions
        self._clock = clock

    def time_report(self, caller: Caller, request: TimeReportRequest) -> TimeReport:
        """The report of the time ``request`` asks for (docs/reports.md states the semantics).

        Checks, in this order: every parameter (one :class:`~hours_core.errors.ValidationFailed`
        naming each wrong one); a member naming another user in ``user_ids``
        (:class:`~hours_core.errors.Forbidden`: members report on their own time, and the
        report is restricted to it); ``rounding`` on a plan without the ``rounding`` feature
        (:class:`~hours_core.errors.PlanRequired`). A plan without ``billable_rates`` gets the
        report without amounts.
        """
        query = _query(request, caller.org)
        if not caller.user.role.manages_org:
            if query.entry_filter.user_ids - {caller.user_id}:
                raise Forbidden("Members report only on their own time.")
            own = attrs.evolve(query.entry_filter, user_ids={caller.user_id})
            query = attrs.evolve(query, entry_filter=own)
        return self._report(caller.org, query)

    def org_time_report(self, org_id: OrgId, request: TimeReportRequest) -> TimeReport:
        """The report of the whole organization, as its owners see it (``hours report``: operator
        tooling, never the API); the same checks and plan gates as :meth:`time_report`."""
        with self._transactions.read() as uow:
            org = uow.orgs.get(org_id)
        if org is None:
            raise NotFound.of("organization")
        return self._report(org, _query(request, org))

    def _report(self, org: Org, query: ReportQuery) -> TimeReport:
        if query.rounding is not None:
            require(org.plan, Feature.ROUNDING)
        amounts = allows(org.plan, Feature.BILLABLE_RATES)
        now = self._clock.now()
        with self._transactions.read() as uow:
            found = uow.reports.time_report_rows(org.id, query, now=now, amounts=amounts)
        report = build_report(
            found.rows,
            group_by=query.group_by,
            week_start=query.week_start,
            rounding=query.rounding,
            running=found.running,
        )
        return TimeReport(query=query, report=report, amounts=amounts)


def _query(request: TimeReportRequest, org: Org) -> ReportQuery:
    """The checked query of ``request`` in ``org`` (whose ``week_start`` is the default)."""
    return ReportQuery.parse(
        date_from=request.date_from,
        date_to=request.date_to,
        group_by=request.group_by,
        week_start=request.week_start,
        rounding=request.rounding,
        default_week_start=WeekStart(org.week_start.value),
        entry_filter=ReportFilter(
            user_ids=request.user_ids,
            project_ids=request.project_ids,
            task_ids=request.task_ids,
            client_ids=request.client_ids,
            billable=request.billable,
        ),
    )
