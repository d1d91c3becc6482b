"""What the writers take: one :class:`ExportRow` per time entry, with the names and money beside it.

The export use case builds these from a streamed query (the entry joined with its user, project,
task and client, and the rate the entry stored), so the writers never look anything up.
"""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

import attrs

from hours_core.model import Project, Task, TimeEntry, User
from hours_exchange.import_rows import utc_or_none

__all__ = ["ExportRow"]


def _digits(_instance: object, _attribute: attrs.Attribute[int], value: int) -> None:
    if not 0 <= value <= 4:
        raise ValueError(f"currency_digits must be in 0..4, got {value!r}")


@attrs.frozen
class ExportRow:
    """One time entry as exported: its fields, the names it refers to, and its rate and amounts.

    Money is in integer minor units of ``currency`` (cents for EUR); ``currency_digits`` is the
    currency's number of decimals (2 for EUR, 0 for JPY, 3 for BHD), used to write major units.
    ``billable_rate_minor`` and ``cost_rate_minor`` are the hourly rates the entry stored,
    ``billable_amount_minor`` and ``cost_amount_minor`` what the entry is worth as the reports
    count it (the use case computes them; the writers only format them). All four are ``None``
    when no rate applies. ``user_name`` is ``None`` while hours keeps no display names.
    """

    id: UUID
    entry_date: date
    duration_seconds: int
    billable: bool
    user_id: UUID
    user_email: str
    project_id: UUID
    project_name: str
    created_at: datetime = attrs.field(validator=utc_or_none)
    updated_at: datetime = attrs.field(validator=utc_or_none)
    started_at: datetime | None = attrs.field(default=None, validator=utc_or_none)
    stopped_at: datetime | None = attrs.field(default=None, validator=utc_or_none)
    note: str | None = None
    invoice_id: UUID | None = None
    user_name: str | None = None
    client_id: UUID | None = None
    client_name: str | None = None
    task_id: UUID | None = None
    task_name: str | None = None
    currency: str | None = None
    currency_digits: int = attrs.field(default=2, validator=_digits)
    billable_rate_minor: int | None = None
    cost_rate_minor: int | None = None
    billable_amount_minor: int | None = None
    cost_amount_minor: int | None = None

    @property
    def invoiced(self) -> bool:
        """Whether the entry is on an invoice (and so locked)."""
        return self.invoice_id is not None

    @classmethod
    def of(
        cls,
        entry: TimeEntry,
        *,
        user: User,
        project: Project,
        task: Task | None = None,
        user_name: str | None = None,
        client_id: UUID | None = None,
        client_name: str | None = None,
    ) -> ExportRow:
        """The export row of ``entry`` (without money: pass rates with ``attrs.evolve``)."""
        return cls(
            id=entry.id,
            entry_date=entry.entry_date,
            duration_seconds=entry.duration_seconds,
            billable=entry.billable,
            user_id=user.id,
            user_email=user.email,
            user_name=user_name,
            project_id=project.id,
            project_name=project.name,
            task_id=task.id if task is not None else None,
            task_name=task.name if task is not None else None,
            client_id=client_id,
            client_name=client_name,
            note=entry.note,
            invoice_id=entry.invoice_id,
            started_at=entry.started_at,
            stopped_at=entry.stopped_at,
            created_at=entry.created_at,
            updated_at=entry.updated_at,
        )
