"""``/reports``: what the time adds up to (docs/reports.md states the semantics)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Annotated, Literal
from uuid import UUID

from litestar import Controller, Response, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from hours_core.reports import GroupKey
from hours_core.rounding import ROUNDING_MINUTES, RoundingMode, RoundingScope
from hours_core.services import Caller, Services, TimeReportRequest
from hours_http.openapi import Reason, documented
from hours_http.query import STRICT_QUERY
from hours_http.report_json import report_document
from hours_http.responses import json_response
from hours_http.wire import ReportEnvelope

__all__ = ["ReportController"]

_IDS = "Repeatable (`?{name}=a&{name}=b`: either), at most 100."


def _one_of(choices: Iterable[object]) -> str:
    """A regular expression group matching any of ``choices`` as written (``str``)."""
    return "(?:" + "|".join(map(str, choices)) + ")"


_LEVEL = _one_of(GroupKey)
_GROUP_BY_PATTERN = f"^{_LEVEL}(?:,{_LEVEL}){{0,2}}$"
"""The documented shape of ``groupBy``: one to three levels, comma-separated (that none is listed
twice is the server's rule alone: ``hours_core.reports.parse_group_by`` is the check)."""
_ROUNDING_PATTERN = f"^{_one_of(RoundingMode)}:{_one_of(ROUNDING_MINUTES)}:{_one_of(RoundingScope)}$"
"""The documented shape of ``rounding`` (``hours_core.rounding.Rounding.parse`` is the check)."""


class ReportController(Controller):
    """Reports: time and amounts grouped by period, user, client, project, task or billability."""

    path = "/reports"
    opt = STRICT_QUERY
    tags = ["Reports"]  # noqa: RUF012 (Litestar declares it as an instance attribute)

    @get(
        "/time",
        summary="Report time",
        sync_to_thread=True,
        **documented(
            Reason(
                "validation_failed",
                "a query parameter is missing, unknown or wrong: `from`/`to` (inclusive, at most 366 days "
                "apart), `groupBy`, `weekStart`, `rounding`, or a filter with more than 100 ids; "
                "`fields` names each",
            ),
            Reason("forbidden", "a member filtered by another user's `userId`"),
            Reason("plan_required", "`rounding` needs solo (`rounding`)"),
        ),
    )
    def time_report(
        self,
        caller: NamedDependency[Caller],
        services: NamedDependency[Services],
        # Required, but checked by the use case, so that a missing one is reported with every other
        # wrong parameter (Litestar would stop at the first missing one, with a 400).
        date_from: Annotated[
            dt.date | None,
            QueryParameter(name="from", required=True, description="The first entryDate counted."),
        ] = None,
        date_to: Annotated[
            dt.date | None,
            QueryParameter(
                name="to",
                required=True,
                description="The last entryDate counted: at most 366 days after `from`.",
            ),
        ] = None,
        group_by: Annotated[
            str | None,
            QueryParameter(
                name="groupBy",
                description=(
                    "One to three levels, comma-separated, each once, from `day`, `week`, `month`, `year`, "
                    "`user`, `client`, `project`, `task`, `billable` (e.g. `project,user`). Absent: the "
                    "totals alone."
                ),
                # The length is documented, not enforced here: the core's parse_group_by refuses a
                # longer value with its own message, beside every other broken rule (a max_length
                # would answer it first, alone, in the framework's words).
                schema_extra={"pattern": _GROUP_BY_PATTERN, "maxLength": 100},
            ),
        ] = None,
        week_start: Annotated[
            Literal["monday", "sunday"] | None,
            QueryParameter(name="weekStart", description="The first day of a week; default: the org's."),
        ] = None,
        rounding: Annotated[
            str | None,
            QueryParameter(
                description=(
                    "`MODE:MINUTES:SCOPE`: mode `up`, `down` or `nearest` (a tie goes up), minutes 1, 5, "
                    "6, 10, 12, 15, 30 or 60, scope `entry` or `group` (e.g. `up:15:entry`). Needs solo."
                ),
                schema_extra={"pattern": _ROUNDING_PATTERN, "maxLength": 40},  # as groupBy's
            ),
        ] = None,
        user_id: Annotated[
            list[UUID] | None,
            QueryParameter(
                name="userId", description=_IDS.format(name="userId") + " Members: only themselves."
            ),
        ] = None,
        project_id: Annotated[
            list[UUID] | None, QueryParameter(name="projectId", description=_IDS.format(name="projectId"))
        ] = None,
        task_id: Annotated[
            list[UUID] | None, QueryParameter(name="taskId", description=_IDS.format(name="taskId"))
        ] = None,
        client_id: Annotated[
            list[UUID] | None,
            QueryParameter(
                name="clientId",
                description=_IDS.format(name="clientId")
                + " Entries of projects without a client never match.",
            ),
        ] = None,
        billable: Annotated[bool | None, QueryParameter(description="Billable (true) or other time.")] = None,
    ) -> Response[ReportEnvelope]:
        """The time of the entries with an `entryDate` from `from` to `to`, grouped by `groupBy`: each node
        has the raw, billable and rounded seconds, the number of entries and the amounts per currency.
        Members report on their own time; owners and admins on the organization's. Deleted entries never
        count; a running timer counts up to now (`meta.running`).
        """
        request = TimeReportRequest(
            date_from=date_from,
            date_to=date_to,
            group_by=group_by,
            week_start=week_start,
            rounding=rounding,
            user_ids=frozenset(user_id or ()),
            project_ids=frozenset(project_id or ()),
            task_ids=frozenset(task_id or ()),
            client_ids=frozenset(client_id or ()),
            billable=billable,
        )
        data, meta = report_document(services.reports.time_report(caller, request))
        return json_response(data, meta=meta)
