"""Time reports in SQL: one ``GROUP BY`` in the database, the same SQL on SQLite and PostgreSQL.

:class:`ReportStatement` builds, for one :class:`~hours_core.reports.ReportQuery`, the aggregation
of the stopped entries: the report's levels (a period as the first day of the finest period level
of the report that lies within it, bucketed by the dialect's
:meth:`~hours_sql.dialect.Dialect.period_start`; users, projects and tasks by id; ``billable``) and
the stored rate's currency are the ``GROUP BY``; the sums are computed per entry with integer
arithmetic (docs/reports.md gives the expressions):

* the entry-rounded seconds (:func:`hours_core.rounding.entry_seconds`);
* the billable and cost amounts, each rounded half to even per entry, then summed.

Nothing but the grouped rows comes back. Running timers (at most one per user) are read as entries
and counted up to ``now`` in Python, each as a row of its own; ``build_report`` adds them in. The
labels of the users, projects and tasks named by the rows come from one small query per level.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any, TypeAlias
from uuid import UUID

from hours_core.model import OrgId
from hours_core.ports import ReportRepository, ReportRows
from hours_core.report_entries import entry_row
from hours_core.reports import GroupKey, GroupValue, Labelled, ReportQuery, ReportRow
from hours_core.rounding import Rounding, RoundingMode
from hours_sql.dialect import Dialect, Kind
from hours_sql.session import Session
from hours_sql.statements import RUNNING, RUNNING_TIMERS_INDEX, Statements

__all__ = ["ReportStatement", "SqlReportRepository", "amount_sql", "rounded_sql"]

_WITHIN = {
    GroupKey.DAY: (GroupKey.DAY,),
    GroupKey.WEEK: (GroupKey.DAY, GroupKey.WEEK),
    GroupKey.MONTH: (GroupKey.DAY, GroupKey.MONTH),
    GroupKey.YEAR: (GroupKey.DAY, GroupKey.MONTH, GroupKey.YEAR),
}
"""For each period level, the periods that always lie within one of its periods, finest first. A
week lies within no month and no year (the week of 2024-12-30 holds 2025-01-01), nor they in it."""

_ID_COLUMNS = {
    # A project has at most one client: the database groups by project, and each project's row is
    # labelled with its client (rows finer than the levels are merged by build_report).
    GroupKey.CLIENT: "e.project_id",
    GroupKey.USER: "e.user_id",
    GroupKey.PROJECT: "e.project_id",
    GroupKey.TASK: "e.task_id",
}
_FILTER_COLUMNS = (("user_ids", "e.user_id"), ("project_ids", "e.project_id"), ("task_ids", "e.task_id"))
_LABELS = {
    GroupKey.USER: "SELECT {value}, id, name FROM users WHERE org_id = ?",
    GroupKey.PROJECT: "SELECT {value}, id, name FROM projects WHERE org_id = ?",
    GroupKey.TASK: "SELECT {value}, id, name FROM tasks WHERE org_id = ?",
    # Every project, with its client (None: no client).
    GroupKey.CLIENT: (
        "SELECT {value}, c.id, c.name FROM projects AS p"
        " LEFT JOIN clients AS c ON c.org_id = p.org_id AND c.id = p.client_id WHERE p.org_id = ?"
    ),
}
"""For each labelled level: its grouped value (an id, as the report's rows spell it: ``{value}`` is the
id's column), and the id and name of the group it stands for."""
_LABEL_VALUES = {GroupKey.CLIENT: "p.id"}
_CLIENT_FILTER = (
    "e.project_id IN (SELECT p.id FROM projects AS p WHERE p.org_id = ? AND p.client_id IN ({marks}))"
)
"""Entries of the listed clients' projects (a project's client is its current one)."""


def rounded_sql(seconds: str, rounding: Rounding | None) -> str:
    """The SQL of :func:`hours_core.rounding.entry_seconds` of the integer expression ``seconds``."""
    if rounding is None or not rounding.per_entry:
        return seconds
    step = rounding.step_seconds
    if rounding.mode is RoundingMode.UP:
        return f"((({seconds}) + {step - 1}) / {step}) * {step}"
    if rounding.mode is RoundingMode.DOWN:
        return f"(({seconds}) / {step}) * {step}"
    return f"((({seconds}) + {step // 2}) / {step}) * {step}"


def amount_sql(seconds: str, rate: str, dialect: Dialect) -> str:
    """The SQL of :func:`hours_core.money.amount_minor`: ``seconds x rate / 3600`` half to even
    (half up, less one on a tie whose quotient is even; docs/reports.md). ``NULL`` when the rate is."""
    product = f"(({seconds}) * ({rate}))"
    return f"(({product} + 1800) / 3600 - {dialect.one_if(f'{product} % 7200 = 1800')})"


_Groups: TypeAlias = dict[Any, Labelled | None]
"""A labelled level's groups by the value the database grouped by."""


def _period_grain(key: GroupKey, levels: Sequence[GroupKey]) -> GroupKey:
    """What the period level ``key`` groups by in SQL: the first day of the finest period of the
    report's levels that lies within ``key``'s periods (a ``month,day`` report groups both levels by
    day, a ``year,week`` report by the year and by the week apart, so that a week's entries of two
    years stay apart). Every row's days then lie in one period of each of the report's levels."""
    return next(fine for fine in _WITHIN[key] if fine in levels)


class ReportStatement:
    """The SQL and parameters of one report's aggregation and of its running timers."""

    def __init__(self, statements: Statements, org_id: OrgId, query: ReportQuery, *, amounts: bool) -> None:
        self._sql = statements
        self.query = query
        self.amounts = amounts
        dialect = statements.dialect
        # Without a level of ids, a report has at most 366 days (x 2 billable values x the
        # currencies) of rows: the days themselves are grouped, in the order of the index
        # (entry_date, then rate_currency: no sort), and build_report folds them into periods.
        by_day = not any(key in _ID_COLUMNS for key in query.group_by)
        first = 1 if query.week_start.weekday == 0 else 0
        self.level_columns: list[str] = []
        """What each level groups by."""
        self.level_values: list[str] = []
        """What the rows hold for each level: its column, an id as text (a text is cheaper to
        fetch, hash and compare in Python than a driver's UUID, in reports of thousands of rows)."""
        for key in query.group_by:
            if key.is_period:
                grain = GroupKey.DAY if by_day else _period_grain(key, query.group_by)
                self.level_columns.append(dialect.period_start(grain.value, "e.entry_date", first))
            elif key is GroupKey.BILLABLE:
                self.level_columns.append("e.billable")
            else:
                self.level_columns.append(_ID_COLUMNS[key])
            column = self.level_columns[-1]
            self.level_values.append(dialect.reference_text(column) if key in _ID_COLUMNS else column)
        where = ["e.org_id = ?", "e.entry_date >= ?", "e.entry_date <= ?", "e.deleted_at IS NULL"]
        params: list[Any] = [
            statements.reference(org_id),
            statements.date(query.date_from),
            statements.date(query.date_to),
        ]
        wanted = query.entry_filter
        for attribute, column in _FILTER_COLUMNS:
            ids: frozenset[UUID] = getattr(wanted, attribute)
            if ids:
                where.append(f"{column} IN ({', '.join('?' * len(ids))})")
                params.extend(statements.reference(each) for each in sorted(ids))
        if wanted.client_ids:
            where.append(_CLIENT_FILTER.format(marks=", ".join("?" * len(wanted.client_ids))))
            params.append(statements.reference(org_id))
            params.extend(statements.reference(each) for each in sorted(wanted.client_ids))
        if wanted.billable is not None:
            where.append("e.billable = ?")
            params.append(statements.boolean(wanted.billable))
        self.where = where
        self.params = params

    def aggregate(self) -> tuple[str, list[Any]]:
        """The ``GROUP BY`` of the stopped entries: the levels and the rate's currency, then the count
        and the sums (seconds, billable seconds, rounded seconds, billable and cost amounts)."""
        dialect = self._sql.dialect
        seconds = "CAST(e.duration_seconds AS BIGINT)"
        rounded = rounded_sql(seconds, self.query.rounding)
        is_billable = dialect.one_if("e.billable")
        groups = list(self.level_columns)
        sums = [
            "count(*)",
            f"CAST(sum({seconds}) AS BIGINT)",
            f"CAST(sum({seconds} * {is_billable}) AS BIGINT)",
            f"CAST(sum({rounded}) AS BIGINT)",
        ]
        if self.amounts:
            # Each entry's amount is rounded half to even on its own, then summed; a rate without a
            # billable (cost) part counts 0 for it (sum() passes over its NULL amount, and a group
            # of NULLs sums to NULL, hence the COALESCE). Currencies are groups of their own.
            groups.append("e.rate_currency")
            billable = amount_sql(rounded, "e.rate_billable_minor", dialect)
            cost = amount_sql(rounded, "e.rate_cost_minor", dialect)
            columns = [
                *self.level_values,
                "e.rate_currency",
                *sums,
                f"COALESCE(CAST(sum({is_billable} * {billable}) AS BIGINT), 0)",
                f"COALESCE(CAST(sum({cost}) AS BIGINT), 0)",
            ]
        else:
            columns = [*self.level_values, "NULL", *sums, "0", "0"]
        grouping = f" GROUP BY {', '.join(groups)}" if groups else ""
        where = [*self.where, f"NOT ({_qualified_running()})"]
        sql = (
            f"SELECT {', '.join(columns)} FROM time_entries AS e"  # noqa: S608 - built from constants
            f" WHERE {' AND '.join(where)}{grouping}"
        )
        return self._sql.dialect.sql(sql), list(self.params)

    def running(self) -> tuple[str, list[Any]]:
        """The running timers the report counts: the level values, then the whole entry."""
        columns = [*self.level_values, *(f"e.{name}" for name in self._sql.entries.table.field_column_names)]
        where = [*self.where, f"({_qualified_running()})"]
        sql = (
            f"SELECT {', '.join(columns)} FROM time_entries AS e"  # noqa: S608 - built from constants
            f"{self._sql.dialect.indexed_by(RUNNING_TIMERS_INDEX)}"
            f" WHERE {' AND '.join(where)}"
        )
        return self._sql.dialect.sql(sql), list(self.params)


def _qualified_running() -> str:
    return " AND ".join(f"e.{term}" for term in RUNNING.split(" AND "))


class SqlReportRepository:
    """Reports in SQL (see the module's docstring)."""

    def __init__(self, session: Session, statements: Statements) -> None:
        self._session = session
        self._sql = statements

    def time_report_rows(
        self, org_id: OrgId, query: ReportQuery, *, now: datetime, amounts: bool
    ) -> ReportRows:
        """The grouped rows of the report (see :meth:`hours_core.ports.ReportRepository.time_report_rows`)."""
        statement = ReportStatement(self._sql, org_id, query, amounts=amounts)
        levels = query.group_by
        width = len(levels)
        grouped = self._session.rows(*statement.aggregate())
        running = self._session.rows(*statement.running())
        labels = self._labels(org_id, levels)
        decode = self._value_decoder(levels, labels)
        rows = [
            ReportRow(
                values=decode(row[:width]),
                currency=row[width],
                entry_count=int(row[width + 1]),
                duration_seconds=int(row[width + 2]),
                billable_seconds=int(row[width + 3]),
                rounded_seconds=int(row[width + 4]),
                billable_minor=int(row[width + 5]),
                cost_minor=int(row[width + 6]),
            )
            for row in grouped
            if row[width + 1]  # without GROUP BY, no entries still make one row, of NULL sums
        ]
        for row in running:
            entry = self._sql.entries.decode(row[width:])
            rows.append(entry_row(query, entry, decode(row[:width]), now=now, amounts=amounts))
        return ReportRows(tuple(rows), running=bool(running))

    def _labels(
        self, org_id: OrgId, levels: Sequence[GroupKey]
    ) -> dict[GroupKey, dict[Any, Labelled | None]]:
        """For each labelled level of the report, its groups by the value the database grouped by
        (the org's users, projects, tasks by id; each project's client by project id)."""
        id_of = self._sql.dialect.codecs[Kind.REFERENCE].decode
        found: dict[GroupKey, _Groups] = {}
        for key in levels:
            sql = _LABELS.get(key)
            if sql is None:
                continue
            sql = sql.format(value=self._sql.dialect.reference_text(_LABEL_VALUES.get(key, "id")))
            rows = self._session.rows(self._sql.dialect.sql(sql), (self._sql.reference(org_id),))
            found[key] = {
                value: None
                if group is None
                else Labelled(str(group if id_of is None else id_of(group)), name)
                for value, group, name in rows
            }
        return found

    def _value_decoder(
        self, levels: Sequence[GroupKey], labels: dict[GroupKey, _Groups]
    ) -> Callable[[Sequence[Any]], tuple[GroupValue, ...]]:
        dialect = self._sql.dialect
        date_of = dialect.codecs[Kind.DATE].decode
        bool_of = dialect.codecs[Kind.BOOLEAN].decode

        def one(key: GroupKey, value: Any) -> GroupValue:
            if key.is_period:
                day: date = value if date_of is None else date_of(value)
                return day
            if key is GroupKey.BILLABLE:
                return bool(value) if bool_of is None else bool_of(value)
            return None if value is None else labels[key][value]

        known: dict[tuple[GroupKey, Any], GroupValue] = {}

        def cached(key: GroupKey, value: Any) -> GroupValue:
            # Rows share values (a row per project and user): each is decoded and labelled once.
            try:
                return known[key, value]
            except KeyError:
                decoded = known[key, value] = one(key, value)
                return decoded

        def decode(values: Sequence[Any]) -> tuple[GroupValue, ...]:
            return tuple(cached(key, value) for key, value in zip(levels, values, strict=True))

        return decode


_: type[ReportRepository] = SqlReportRepository
