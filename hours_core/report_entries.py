"""One entry's row of a report: the report of an entry list, entry by entry.

The in-memory store builds its reports this way, and the SQL stores their running timers; the
contract suite holds the databases' ``GROUP BY`` to it. :func:`entry_row` applies the report's
rules to one entry: the range, the filter, deleted entries, the labels of its groups, its
seconds (up to ``now`` while it runs) and its amounts from its stored rate.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from uuid import UUID

import attrs

from hours_core.model import Project, Task, TimeEntry, User
from hours_core.money import HourlyRate
from hours_core.ports import ReportRows
from hours_core.reports import GroupValue, Labelled, ReportQuery, ReportRow, group_values

__all__ = ["Names", "counts", "entry_row", "rows_of_entries"]


@attrs.frozen
class Names:
    """The organization's users, projects and tasks by id (what an entry's groups are labelled by)."""

    users: Mapping[UUID, User]
    projects: Mapping[UUID, Project]
    tasks: Mapping[UUID, Task]

    def values(self, query: ReportQuery, entry: TimeEntry) -> tuple[GroupValue, ...]:
        """The entry's values for the report's levels."""
        project = self.projects[entry.project_id]
        task = None if entry.task_id is None else self.tasks[entry.task_id]
        return group_values(
            query.group_by,
            entry_date=entry.entry_date,
            user=Labelled(str(entry.user_id), self.users[entry.user_id].name),
            project=Labelled(str(project.id), project.name),
            client=None,
            task=None if task is None else Labelled(str(task.id), task.name),
            billable=entry.billable,
        )


def counts(query: ReportQuery, entry: TimeEntry) -> bool:
    """Whether the report counts ``entry``: not deleted, in the range, and matching the filter."""
    return (
        entry.deleted_at is None
        and query.date_from <= entry.entry_date <= query.date_to
        and query.entry_filter.matches(
            user_id=entry.user_id,
            project_id=entry.project_id,
            task_id=entry.task_id,
            client_id=None,
            billable=entry.billable,
        )
    )


def entry_row(
    query: ReportQuery,
    entry: TimeEntry,
    values: tuple[GroupValue, ...],
    *,
    now: datetime,
    rate: HourlyRate | None = None,
) -> ReportRow:
    """The row of one counted entry with its group ``values``: its seconds at ``now`` (a running
    timer's elapsed time), rounded per entry if the query says so, and its amounts at ``rate``."""
    return ReportRow.for_entry(
        values,
        duration_seconds=entry.elapsed_seconds(now),
        billable=entry.billable,
        rate=rate,
        rounding=query.rounding,
    )


def rows_of_entries(
    query: ReportQuery, entries: Iterable[TimeEntry], names: Names, *, now: datetime
) -> ReportRows:
    """The rows of the entries the report counts, one per entry (``entries`` of one organization)."""
    counted = [entry for entry in entries if counts(query, entry)]
    rows = tuple(entry_row(query, entry, names.values(query, entry), now=now) for entry in counted)
    return ReportRows(rows, running=any(entry.is_running for entry in counted))
