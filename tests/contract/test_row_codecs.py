"""The generated row codecs: what an entity encodes to is what the database gives back, for every dialect.

The codecs are written per table and dialect from the entities' fields (``hours_sql.rows``); these
properties hold for any valid entry, including the shortcut that encodes an ``updated_at`` equal
to the ``created_at`` once.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hours_core.events import Actor, Change, EventId, EventType, NewEvent, Subject, SubjectType, Via
from hours_core.model import OrgId, ProjectId, TaskId, TimeEntry, TimeEntryId, UserId
from hours_postgres.dialect import POSTGRES
from hours_sql import Dialect, statements_for
from hours_sql.events import event_statements_for
from hours_sqlite.dialect import SQLITE, encode_instant

DIALECTS = [pytest.param(SQLITE, id="sqlite"), pytest.param(POSTGRES, id="postgres")]

_INSTANTS = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)


@st.composite
def entries(draw: st.DrawFn) -> TimeEntry:
    """Valid entries: running, stopped or plain, deleted or not, with or without task and invoice."""
    created_at = draw(_INSTANTS)
    started_at = draw(st.none() | _INSTANTS)
    stopped_at = None
    if started_at is not None and draw(st.booleans()):
        stopped_at = started_at + draw(st.timedeltas(timedelta(0), timedelta(days=1)))
    updated_at = draw(st.just(created_at) | _INSTANTS)
    return TimeEntry(
        id=TimeEntryId(draw(st.uuids())),
        org_id=OrgId(draw(st.uuids())),
        user_id=UserId(draw(st.uuids())),
        project_id=ProjectId(draw(st.uuids())),
        task_id=draw(st.none() | st.uuids().map(TaskId)),
        invoice_id=draw(st.none() | st.uuids()),
        duration_seconds=draw(st.integers(0, 86_400)),
        billable=draw(st.booleans()),
        note=draw(st.none() | st.text(max_size=20)),
        entry_date=draw(st.dates()),
        started_at=started_at,
        stopped_at=stopped_at,
        created_at=created_at,
        updated_at=updated_at,
        deleted_at=draw(st.none() | _INSTANTS),
    )


@pytest.mark.parametrize("dialect", DIALECTS)
@given(entry=entries())
def test_a_decoded_row_is_the_entry_that_was_encoded(dialect: Dialect, entry: TimeEntry) -> None:
    codec = statements_for(dialect).entries

    assert codec.decode(codec.encode(entry)) == entry


@given(entry=entries())
def test_on_sqlite_each_instant_is_stored_as_fixed_width_utc_text(entry: TimeEntry) -> None:
    row = statements_for(SQLITE).entries.encode(entry)
    columns = statements_for(SQLITE).entries.table.column_names
    stored = dict(zip(columns, row, strict=True))

    assert stored["created_at"] == encode_instant(entry.created_at)
    assert stored["updated_at"] == encode_instant(entry.updated_at)
    assert stored["billable"] in (0, 1) and stored["entry_date"] == entry.entry_date.isoformat()


def test_an_updated_at_equal_to_the_created_at_but_another_object_is_stored_as_the_same_text() -> None:
    created_at = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
    entry = TimeEntry(
        id=TimeEntryId(uuid.UUID(int=1)),
        org_id=OrgId(uuid.UUID(int=2)),
        user_id=UserId(uuid.UUID(int=3)),
        project_id=ProjectId(uuid.UUID(int=4)),
        task_id=None,
        invoice_id=None,
        duration_seconds=60,
        billable=True,
        note=None,
        entry_date=created_at.date(),
        started_at=None,
        stopped_at=None,
        created_at=created_at,
        updated_at=created_at.astimezone(timezone(timedelta(0))),
    )

    row = statements_for(SQLITE).entries.encode(entry)

    assert row[12] == row[13] == "2024-03-01T09:00:00.000000Z"


# Event rows (hours_sql.events): the changes go through JSON text and come back equal.

json_scalars = (
    st.none() | st.booleans() | st.integers() | st.text() | st.floats(allow_nan=False, allow_infinity=False)
)


@pytest.mark.parametrize("dialect", DIALECTS)
@given(
    changes=st.dictionaries(
        st.from_regex(r"[a-z][a-z_]{0,20}", fullmatch=True), st.tuples(json_scalars, json_scalars)
    ),
    request_id=st.none() | st.text(min_size=1, max_size=128),
    seq=st.integers(min_value=1, max_value=2**62),
)
def test_an_event_row_decodes_to_the_event_it_encodes(
    dialect: Dialect, changes: dict[str, tuple[object, object]], request_id: str | None, seq: int
) -> None:
    event = NewEvent(
        id=EventId(uuid.uuid4()),
        org_id=OrgId(uuid.uuid4()),
        type=EventType.TIME_ENTRY_UPDATED,
        occurred_at=datetime(2026, 3, 2, 9, 30, 1, 250, tzinfo=UTC),
        actor=Actor(user_id=UserId(uuid.uuid4()), token_prefix="AbCdEfGhIjKl", via=Via.API),
        request_id=request_id,
        idempotency_key=None,
        subject=Subject(SubjectType.TIME_ENTRY, str(uuid.uuid4())),
        changes={name: Change(old, new) for name, (old, new) in changes.items()},  # type: ignore[arg-type]
        owner_id=None,
    )
    sql = event_statements_for(dialect)
    org_id, _org_id, _back, *rest = sql.encode_numbered(event, 0)
    decoded = sql.decode((org_id, seq, *rest))
    assert decoded == event.sequenced(seq)
    assert list(decoded.changes) == list(event.changes)
