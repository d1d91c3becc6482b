"""The trackers' sample exports in ../shared/import-samples (another project's test files, read in place).

They are not copied into this repository (licence); the tests skip when the folder is absent.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from hours_exchange import AmbiguousDateFormat, ImportRow, read_import

SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "import-samples"
if not SAMPLES.is_dir():
    SAMPLES = Path("/work/shared/import-samples")

pytestmark = pytest.mark.skipif(
    not SAMPLES.is_dir(), reason="the shared import samples are not beside the checkout"
)


def rows(name: str, **options: object) -> list[ImportRow]:
    source = name.split("-", maxsplit=1)[0]
    result = list(read_import(source, (SAMPLES / name).read_bytes(), timezone="Europe/Berlin", **options))  # type: ignore[arg-type]
    assert all(isinstance(row, ImportRow) for row in result), result
    return result  # type: ignore[return-value]


def test_the_toggl_old_layout_sample_reads_both_rows() -> None:
    empty, full = rows("toggl-detailed-solidtime-1.csv")
    assert (empty.duration_seconds, empty.note, empty.tags, empty.billable) == (
        0,
        None,
        ("Development", "Backend"),
        False,
    )
    assert empty.started_at == empty.stopped_at == datetime(2024, 3, 4, 9, 23, 52, tzinfo=UTC)
    assert (full.client, full.project, full.task, full.note) == (
        "Big Company",
        "Project for Big Company",
        "Task 1",
        "Working hard",
    )
    assert full.duration_seconds == 3601
    assert full.user_email == "peter.test@email.test"


def test_the_toggl_new_layout_sample_keeps_its_hostile_description() -> None:
    (row,) = rows("toggl-detailed-solidtime-2.csv")
    assert row.note is not None
    assert row.note.startswith("\\\\ \U0001f525 Special characters")
    assert '"""`!@#$%^&*()' in row.note
    assert row.duration_seconds == 2


@pytest.mark.parametrize(
    "name",
    [
        "clockify-detailed-solidtime-1.csv",
        "clockify-detailed-solidtime-4-no-billable.csv",
        "clockify-detailed-solidtime-5-activity.csv",
        "clockify-detailed-solidtime-6-no-client.csv",
    ],
)
def test_the_ambiguous_clockify_samples_need_the_date_format(name: str) -> None:
    with pytest.raises(AmbiguousDateFormat, match="03/04/2024"):
        rows(name)
    first, second = rows(name, date_format="MDY")
    assert first.entry_date == second.entry_date == date(2024, 3, 4)
    assert (first.duration_seconds, second.duration_seconds) == (0, 3601)
    assert second.started_at == datetime(2024, 3, 4, 9, 23, tzinfo=UTC)
    assert second.task == "Task 1"


def test_the_clockify_samples_without_billable_or_client_leave_them_empty() -> None:
    assert {
        row.billable for row in rows("clockify-detailed-solidtime-4-no-billable.csv", date_format="MDY")
    } == {None}
    assert {row.client for row in rows("clockify-detailed-solidtime-6-no-client.csv", date_format="MDY")} == {
        None
    }


def test_the_wide_clockify_sample_settles_its_date_by_itself() -> None:
    (row,) = rows("clockify-detailed-solidtime-2.csv")
    assert row.entry_date == date(2024, 10, 15)
    assert (row.duration_seconds, row.billable, row.task) == (1800, True, "A giant task")


def test_the_harvest_sample_reads_decimal_commas() -> None:
    first, second = rows("harvest-detailed-solidtime-1.csv")
    assert (first.duration_seconds, second.duration_seconds) == (72_000, 36)
    assert (first.user_name, first.started_at, first.client) == ("Peter Tester", None, None)
