"""Export rows for the writer tests: one realistic entry, and a Hypothesis strategy for any entry."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import UUID

import attrs
from hypothesis import strategies as st

from hours_core.model import name_problem
from hours_exchange import ExportRow

CREATED = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)


def export_row(**changes: object) -> ExportRow:
    """A billable 1h30m entry with a task, a client and EUR rates; ``changes`` override fields."""
    row = ExportRow(
        id=UUID("0190c2d4-5a6b-7c8d-9e0f-112233445566"),
        entry_date=date(2026, 3, 2),
        duration_seconds=5400,
        billable=True,
        user_id=UUID("0190c2d4-0000-7000-8000-000000000001"),
        user_email="ada@example.com",
        user_name="Ada Lovelace",
        project_id=UUID("0190c2d4-0000-7000-8000-000000000002"),
        project_name="Website relaunch",
        task_id=UUID("0190c2d4-0000-7000-8000-000000000003"),
        task_name="Design",
        client_id=UUID("0190c2d4-0000-7000-8000-000000000004"),
        client_name="Acme GmbH",
        note="Design review",
        started_at=datetime(2026, 3, 2, 8, 0, tzinfo=UTC),
        stopped_at=datetime(2026, 3, 2, 9, 30, tzinfo=UTC),
        created_at=CREATED,
        updated_at=CREATED,
        currency="EUR",
        billable_rate_minor=8500,
        cost_rate_minor=4000,
        billable_amount_minor=12750,
        cost_amount_minor=6000,
    )
    return attrs.evolve(row, **changes)


names = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cc", "Cs")), min_size=1, max_size=30
).filter(lambda name: name.strip() == name and name_problem(name) is None)
"""Names hours stores: one line, not blank, trimmed (the CSV readers trim)."""
notes = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cc", "Cs")) | st.sampled_from("\t\n\r=+-@'\""),
    max_size=60,
)
"""Notes hours stores: any text but control characters other than tab, LF and CR."""
instants = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)).map(
    lambda moment: moment.replace(tzinfo=UTC)
)


@st.composite
def export_rows(draw: st.DrawFn) -> ExportRow:
    """Any export row: hostile text, every optional field present or not, spans that hold the duration."""
    duration = draw(st.integers(0, 86_400))
    started = draw(st.none() | instants)
    stopped = None if started is None else started + timedelta(seconds=duration + draw(st.integers(0, 3600)))
    has_rate = draw(st.booleans())
    money = st.integers(0, 10**9) if has_rate else st.none()
    return export_row(
        id=draw(st.uuids()),
        entry_date=draw(st.dates(date(2000, 1, 1), date(2100, 12, 31))),
        duration_seconds=duration,
        billable=draw(st.booleans()),
        user_email=draw(names),
        user_name=draw(st.none() | names),
        project_name=draw(names),
        task_name=draw(st.none() | names),
        client_name=draw(st.none() | names),
        note=draw(st.none() | notes),
        started_at=started,
        stopped_at=stopped,
        invoice_id=draw(st.none() | st.uuids()),
        currency="EUR" if has_rate else None,
        currency_digits=draw(st.integers(0, 4)),
        billable_rate_minor=draw(money),
        cost_rate_minor=draw(money),
        billable_amount_minor=draw(money),
        cost_amount_minor=draw(money),
        deleted_at=draw(st.none() | instants),
    )
