"""What a person reads when a use case refuses: the core's errors in the web app's words.

Fields are named by their form labels; a plan gate names the plan and the feature exactly as the
API's 402 does (``requiredPlan``, ``feature``), as a notice rather than an error.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

import attrs

from hours_core.errors import (
    CORE_HINTS,
    Conflict,
    Forbidden,
    HoursError,
    NotFound,
    PlanRequired,
    PreconditionFailed,
    TimerAlreadyRunning,
    TooManyTokens,
    Unauthenticated,
    ValidationFailed,
)

__all__ = ["FIELD_LABELS", "TIMER_RUNNING", "Notice", "notice_of", "status_of"]

FIELD_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "project_id": "Project",
        "client_id": "Client",
        "task_id": "Task",
        "entry_date": "Date",
        "duration": "Duration",
        "duration_seconds": "Duration",
        "billable": "Billable",
        "note": "Note",
        "started_at": "Start",
        "stopped_at": "Stop",
        "name": "Name",
        "expires_in_days": "Expires in (days)",
        "password": "Password",
        "email": "Email",
        # The reports form's groupings, by their query parameters (the core's field is group_by).
        "by": "Table by",
        "chart": "Chart by",
    }
)
"""The label of each core field name (and of the few form parameters no core field matches), as
the forms show it."""


@attrs.frozen
class Notice:
    """A message for the page: ``kind`` is ``error`` or ``plan`` (a plan gate, with its names)."""

    text: str
    kind: str = "error"
    fields: Mapping[str, str] = attrs.field(factory=dict)
    required_plan: str | None = None
    feature: str | None = None
    lines: tuple[str, ...] = ()
    """Sentences listed under the text (the grid form's refused cells that the grid cannot show)."""


def _label(name: str) -> str:
    return FIELD_LABELS.get(name, name.replace("_", " ").capitalize())


def notice_of(error: HoursError) -> Notice:
    """The notice for ``error``: field problems by label, a plan gate with its plan and feature."""
    if isinstance(error, PlanRequired):
        return Notice(
            text=error.message, kind="plan", required_plan=error.required_plan, feature=error.feature
        )
    if isinstance(error, ValidationFailed):
        respelled = error.respelled(_label, CORE_HINTS)
        return Notice(text=respelled.message, fields=dict(respelled.fields))
    if isinstance(error, TimerAlreadyRunning) and not error.restoring:
        # The core's message names the API's option (stop_running), which no form of ours sends.
        return Notice(text=TIMER_RUNNING)
    return Notice(text=error.message)


TIMER_RUNNING = (
    "A timer is already running: stop it first with the timer's Stop button, then start the new one."
)
"""What the week page says when a timer is started while another runs."""


def status_of(error: HoursError) -> int:
    """The status of a page that shows ``error`` (a browser reads the page, not the status)."""
    if error.transient:  # the store busy, its disk full, PostgreSQL unreachable: nothing was done
        return 503
    for kind, status in _STATUSES:
        if isinstance(error, kind):
            return status
    return 400


_STATUSES: tuple[tuple[type[HoursError], int], ...] = (
    (ValidationFailed, 422),
    (NotFound, 404),
    (Forbidden, 403),
    (Unauthenticated, 401),
    (PlanRequired, 402),
    (Conflict, 409),
    (PreconditionFailed, 409),  # a form of an older version: a page's own conflict, not a header's 412
    (TooManyTokens, 422),  # as POST /tokens answers it (Settings -> API)
)
