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
