"""The trackers' sample exports in ../shared/import-samples, imported through the use case twice
(read in place, never copied; the tests skip when the folder is absent)."""

from __future__ import annotations

import pytest

from hours_core.services import ImportEntries
from hours_exchange import AmbiguousDateFormat
from hours_memory import InMemoryStore
from tests.exchange.test_shared_samples import SAMPLES
from tests.world import make_world

pytestmark = pytest.mark.skipif(
    not SAMPLES.is_dir(), reason="the shared import samples are not beside the checkout"
)

NAMES = sorted(path.name for path in SAMPLES.glob("*.csv")) if SAMPLES.is_dir() else []


@pytest.mark.parametrize("name", NAMES)
def test_each_sample_imports_once_and_only_once(name: str) -> None:
    world = make_world(InMemoryStore().unit_of_work)
    source = name.split("-", maxsplit=1)[0]
    data = (SAMPLES / name).read_bytes()
    # Harvest's export names its users but gives no email: they are matched by name.
    world.services.admin.create_user(world.org.id, "peter@acme.test", world.member.role, name="Peter Tester")

    def run(**options: object) -> tuple[int, int, int]:
        command = ImportEntries(
            source=source,
            data=data,
            timezone="Europe/Berlin",
            create_users=True,
            **options,  # type: ignore[arg-type]
        )
        report = world.services.imports.import_entries(world.caller(world.owner), command)
        return report.created, report.duplicates, report.failed

    try:
        first = run()
    except AmbiguousDateFormat:
        first = run(date_format="MDY")
        second = run(date_format="MDY")
    else:
        second = run()
    created, duplicates, failed = first
    assert created > 0 and duplicates == 0
    assert second == (0, created, failed)


@pytest.mark.parametrize(
    "other", ["clockify-detailed-solidtime-4-no-billable.csv", "clockify-detailed-solidtime-5-activity.csv"]
)
def test_another_layout_of_the_first_clockify_sample_is_all_duplicates_either_way(other: str) -> None:
    """Sample 4 is sample 1 without its Billable column, sample 5 with Task named Activity (the
    samples' README): the same entries, so whichever comes second creates nothing."""
    for order in (("clockify-detailed-solidtime-1.csv", other), (other, "clockify-detailed-solidtime-1.csv")):
        world = make_world(InMemoryStore().unit_of_work)
        reports = [
            world.services.imports.import_entries(
                world.caller(world.owner),
                ImportEntries(
                    source="clockify",
                    data=(SAMPLES / name).read_bytes(),
                    timezone="Europe/Berlin",
                    date_format="MDY",
                    create_users=True,
                ),
            )
            for name in order
        ]
        assert [(report.created, report.duplicates, report.failed) for report in reports] == [
            (2, 0, 0),
            (0, 2, 0),
        ]
