"""One entry's row of a report: the report of an entry list, entry by entry.

The in-memory store builds its reports this way, and the SQL stores their running timers; the
contract suite holds the databases' ``GROUP BY`` to it. :class:`Names` says whether a report
counts an entry (the range, the filter, deleted entries) and labels its groups; :func:`entry_row`
gives its seconds (up to ``now`` while it runs) and its amounts from its stored rate.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from uuid import UUID

import attrs

from hours_core.model import Client, Project, StoredRate, Task, TimeEntry, User
from hours_core.money import HourlyRate
from hours_core.ports import ReportRows
from hours_core.reports import GroupValue, Labelled, ReportQuery, ReportRow, group_values

__all__ = ["Names", "entry_row", "hourly_rate", "rows_of_entries"]


@attrs.frozen
class Names:
    """The organization's users, clients, projects and tasks by id (what an entry's groups are
    labelled by; a project's client is its current one)."""

    users: Mapping[UUID, User]
    projects: Mapping[UUID, Project]
    tasks: Mapping[UUID, Task]
    clients: Mapping[UUID, Client] = attrs.field(factory=dict)

    def client_of(self, entry: TimeEntry) -> Client | None:
        """The client of the entry's project, or ``None``."""
        client_id = self.projects[entry.project_id].client_id
        return None if client_id is None else self.clients[client_id]

    def values(self, query: ReportQuery, entry: TimeEntry) -> tuple[GroupValue, ...]:
        """The entry's values for the report's levels."""
        project = self.projects[entry.project_id]
        task = None if entry.task_id is None else self.tasks[entry.task_id]
        client = self.client_of(entry)
        return group_values(
            query.group_by,
            entry_date=entry.entry_date,
            user=Labelled(str(entry.user_id), self.users[entry.user_id].name),
            project=Labelled(str(project.id), project.name),
            client=None if client is None else Labelled(str(client.id), client.name),
            task=None if task is None else Labelled(str(task.id), task.name),
            billable=entry.billable,
        )

    def counts(self, query: ReportQuery, entry: TimeEntry) -> bool:
        """Whether the report counts ``entry``: not deleted, in the range, and matching the filter."""
        client = self.client_of(entry)
        return (
            entry.deleted_at is None
            and query.date_from <= entry.entry_date <= query.date_to
            and query.entry_filter.matches(
                user_id=entry.user_id,
                project_id=entry.project_id,
                task_id=entry.task_id,
                client_id=None if client is None else client.id,
                billable=entry.billable,
            )
        )


def hourly_rate(stored: StoredRate | None) -> HourlyRate | None:
    """The figures of an entry's stored rate (a rate without a billable or a cost part counts 0 for it)."""
    if stored is None:
        return None
    return HourlyRate(stored.billable_rate_minor or 0, stored.cost_rate_minor or 0, stored.currency)


def entry_row(
    query: ReportQuery,
    entry: TimeEntry,
    values: tuple[GroupValue, ...],
    *,
    now: datetime,
    amounts: bool,
) -> ReportRow:
    """The row of one counted entry with its group ``values``: its seconds at ``now`` (a running
    timer's elapsed time), rounded per entry if the query says so, and, with ``amounts``, its
    amounts at its stored rate."""
    return ReportRow.for_entry(
        values,
        duration_seconds=entry.elapsed_seconds(now),
        billable=entry.billable,
        rate=hourly_rate(entry.rate) if amounts else None,
        rounding=query.rounding,
    )


def rows_of_entries(
    query: ReportQuery, entries: Iterable[TimeEntry], names: Names, *, now: datetime, amounts: bool
) -> ReportRows:
    """The rows of the entries the report counts, one per entry (``entries`` of one organization)."""
    counted = [entry for entry in entries if names.counts(query, entry)]
    rows = tuple(
        entry_row(query, entry, names.values(query, entry), now=now, amounts=amounts) for entry in counted
    )
    return ReportRows(rows, running=any(entry.is_running for entry in counted))
