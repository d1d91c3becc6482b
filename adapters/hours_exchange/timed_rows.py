"""The row builder of the trackers that export start and end times (Toggl, Clockify).

Both write a start date and time, an end date and time, and a duration, as wall-clock times of
the user's (or the report's) time zone without saying which. The reader is told the zone; the
rules for gaps, folds, midnight and the 24-hour cap are in :func:`~hours_exchange.wall_clock.place_span`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from hours_exchange.csv_import import Cells, Column, RowContext
from hours_exchange.wall_clock import SpanProblem, check_duration_length, check_start_date, place_span

__all__ = ["TIMED_COLUMNS", "build_timed_row"]

TIMED_COLUMNS = (
    Column("client", ("client",)),
    Column("project", ("project",)),
    Column("note", ("description",)),
    Column("billable", ("billable",)),
    Column("user_email", ("email",)),
    Column("start_date", ("start date",)),
    Column("start_time", ("start time",)),
    Column("end_date", ("end date",)),
    Column("end_time", ("end time",)),
    Column("tags", ("tags",)),
)
"""The columns Toggl and Clockify share, by the same names."""

_MINUTE = 60
"""Seconds in a minute: the precision of a time written without seconds."""


def build_timed_row(
    cells: Cells, context: RowContext, *, ends_to_the_minute: bool = False
) -> dict[str, Any] | None:
    """The :class:`~hours_exchange.ImportRow` fields of a Toggl or Clockify row, or ``None``.

    ``ends_to_the_minute`` (Clockify) reads an end time without seconds in the minute of a start
    with seconds (``09:00:30`` to ``09:00``) as the start: the entry ended within that minute, and
    the duration says when (the end moves to start + duration within the minute's precision).
    Without an end date, a duration of a minute or more says the entry crossed midnight instead.
    """
    fields = cells.descriptive_fields(cells.name("user_name"))
    if cells.required("start_date") is None:
        return None
    start_date = cells.date("start_date", context.date_format)
    start_time = cells.time("start_time")
    end_date = cells.date("end_date", context.date_format)
    end_time = cells.time("end_time")
    duration_field = "duration"
    if cells.text("duration") is None and (cells.text("duration_decimal") or not cells.has("duration")):
        duration_field = "duration_decimal" if cells.has("duration_decimal") else "duration"
    duration = cells.duration(duration_field)
    if cells.errors or start_date is None:
        return None
    fields["entry_date"] = start_date
    if start_time is None:
        # A date and a duration only (Toggl's import layout allows it): like a Harvest row.
        if end_time is not None:
            cells.fail_missing(
                "start_time",
                "is empty, but the row has an end time",
                "the row has an end time but no start time",
            )
            return None
        if duration is None:
            cells.fail_missing(
                duration_field,
                "is empty, and the row has no start or end time",
                "the row has no start or end time and no duration",
            )
            return None
        try:
            check_duration_length(duration.seconds)
        except SpanProblem as problem:
            cells.fail(duration_field, problem.code, problem.message)
            return None
        fields["duration_seconds"] = duration.seconds
        return fields
    assert context.zone is not None, "the timed readers always have a time zone"
    start = datetime.combine(start_date, start_time.value)
    precise = start_time.has_seconds and (end_time is None or end_time.has_seconds)
    try:
        check_start_date(start_date)  # before the day added below, which overflows at 9999-12-31
        end = None
        if end_time is not None:
            end = datetime.combine(end_date or start_date, end_time.value)
            if (
                ends_to_the_minute
                and end < start
                and not end_time.has_seconds
                and end == start.replace(second=0)
                and (end_date is not None or duration is None or duration.seconds < _MINUTE)
            ):
                end = start  # written to the minute: it ended within the start's minute, not before it
            elif end_date is None and end < start:
                end += timedelta(days=1)  # no end date, and the end time is earlier: it crossed midnight
        span = place_span(start, end, duration, context.zone, minute_precision=not precise)
    except SpanProblem as problem:
        if problem.column == "duration" and problem.code == "missing_value":
            cells.fail_missing(duration_field, problem.message, "the row has no end time and no duration")
            return None
        blamed = {
            "start_date": "start_date",
            "start": "start_time",
            "end_date": "end_date" if end_date is not None else "end_time",
            "end": "end_time",
            "duration": duration_field,
        }[problem.column]
        cells.fail(blamed, problem.code, problem.message)
        return None
    fields["started_at"] = span.started_at
    fields["stopped_at"] = span.stopped_at
    fields["duration_seconds"] = span.duration_seconds
    return fields
