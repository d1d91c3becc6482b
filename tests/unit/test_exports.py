"""The export use case: page by page from the store, in a stable order, what the caller may see."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

import pytest

from hours_core.errors import Forbidden, ValidationFailed
from hours_core.model import OrgId, TimeEntry, TimeEntryId
from hours_core.ports import EntryQuery
from hours_core.services import ExportEntries
from hours_core.services.exports import EXPORT_PAGE_SIZE
from hours_memory import InMemoryStore
from hours_memory.store import InMemoryTimeEntryRepository
from tests.world import START, World, make_world


@pytest.fixture
def world() -> World:
    return make_world(InMemoryStore().unit_of_work)


def seed(world: World, count: int, *, user_id: object = None) -> None:
    """``count`` entries of the owner (or ``user_id``), newest date first, through the bulk path."""
    store_entries = [
        TimeEntry(
            id=TimeEntryId(world.services.admin._ids.new_id()),
            org_id=world.org.id,
            user_id=user_id or world.owner.id,  # type: ignore[arg-type]
            project_id=world.project.id,
            task_id=None,
            invoice_id=None,
            duration_seconds=60 + n,
            billable=False,
            note=f"entry {n}",
            entry_date=date(2026, 1, 1) + timedelta(days=(count - n) % 400),
            started_at=None,
            stopped_at=None,
            created_at=START + timedelta(microseconds=n),
            updated_at=START + timedelta(microseconds=n),
        )
        for n in range(count)
    ]
    with world.services.admin._transactions.write() as uow:
        uow.entries.add_many(store_entries)


def rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def test_the_export_reads_the_store_one_page_at_a_time_and_starts_before_the_last(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(world, 2 * EXPORT_PAGE_SIZE + 500)
    pages: list[int] = []
    real = InMemoryTimeEntryRepository.list

    def counting(self: InMemoryTimeEntryRepository, org_id: OrgId, query: EntryQuery) -> Sequence[TimeEntry]:
        page = real(self, org_id, query)
        assert query.limit == EXPORT_PAGE_SIZE and not query.descending
        pages.append(len(page))
        return page

    monkeypatch.setattr(InMemoryTimeEntryRepository, "list", counting)
    export = world.services.exports.export_time_entries(world.caller(world.owner), ExportEntries("jsonl"))
    assert pages == []  # nothing is read before the first chunk is asked for

    first = next(export.chunks)
    assert first.startswith(b'{"id":')
    assert pages == [EXPORT_PAGE_SIZE]  # the first bytes leave before the last page is read

    rest = b"".join(export.chunks)
    assert pages == [EXPORT_PAGE_SIZE, EXPORT_PAGE_SIZE, 500]
    assert (first + rest).count(b"\n") == 2 * EXPORT_PAGE_SIZE + 500


def test_rows_come_in_entry_date_then_creation_order(world: World) -> None:
    seed(world, 1200)
    export = world.services.exports.export_time_entries(
        world.caller(world.owner), ExportEntries("csv", columns="entryDate,createdAt,note")
    )
    got = [
        (row["entryDate"], datetime.fromisoformat(row["createdAt"])) for row in rows(b"".join(export.chunks))
    ]
    assert len(got) == 1200
    assert got == sorted(got)


def test_members_export_their_own_entries_and_no_one_else_s(world: World) -> None:
    seed(world, 3)
    seed(world, 2, user_id=world.member.id)
    member = world.caller(world.member)

    mine = world.services.exports.export_time_entries(member, ExportEntries("csv"))
    assert {row["userEmail"] for row in rows(b"".join(mine.chunks))} == {world.member.email}
    with pytest.raises(Forbidden):
        world.services.exports.export_time_entries(
            member, ExportEntries("csv", query=EntryQuery(user_id=world.owner.id))
        )
    everyone = world.services.exports.export_time_entries(world.caller(world.admin), ExportEntries("csv"))
    assert len(rows(b"".join(everyone.chunks))) == 5


def test_the_filters_are_the_list_s(world: World) -> None:
    seed(world, 30)
    query = EntryQuery(date_from=date(2026, 1, 5), date_to=date(2026, 1, 9))
    export = world.services.exports.export_time_entries(
        world.caller(world.owner), ExportEntries("csv", query=query)
    )
    assert {row["entryDate"] for row in rows(b"".join(export.chunks))} == {
        f"2026-01-0{day}" for day in range(5, 10)
    }


@pytest.mark.parametrize(
    ("command", "field"),
    [
        (ExportEntries("pdf"), "format"),
        (ExportEntries("csv", columns="entryDate,nope"), "columns"),
        (ExportEntries("csv", delimiter="pipe"), "delimiter"),
    ],
)
def test_wrong_arguments_are_refused_before_anything_is_read(
    world: World, command: ExportEntries, field: str
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        world.services.exports.export_time_entries(world.caller(world.owner), command)
    assert field in refused.value.fields


def test_a_running_timer_exports_its_elapsed_time(world: World) -> None:
    from hours_core.services import StartTimer

    world.services.entries.start_timer(world.caller(world.owner), StartTimer(project_id=world.project.id))
    world.clock.advance(timedelta(minutes=5))
    export = world.services.exports.export_time_entries(world.caller(world.owner), ExportEntries("csv"))
    (row,) = rows(b"".join(export.chunks))
    assert (row["durationSeconds"], row["stoppedAt"]) == ("300", "")


def test_rows_name_the_client_and_carry_the_stored_rate_and_amounts(world: World) -> None:
    from hours_core.model import Plan, RateScope
    from hours_core.services import CreateRate, CreateTimeEntry

    owner = world.caller(world.owner)
    client = world.services.clients.create_client(owner, "Globex", "EUR")
    project = world.services.projects.create_project(owner, "Portal", client_id=client.id)
    world.services.rates.create_rate(
        owner,
        CreateRate(
            scope=RateScope.CLIENT,
            effective_from=date(2026, 1, 1),
            client_id=client.id,
            billable_rate_minor=9050,
            cost_rate_minor=4030,
        ),
    )
    for minutes, billable in ((90, True), (20, False)):
        world.services.entries.create_time_entry(
            owner,
            CreateTimeEntry(
                project_id=project.id, entry_date=date(2026, 3, 2), duration=f"{minutes}m", billable=billable
            ),
        )
    columns = "clientName,durationSeconds,billable,currency,billableRate,costRate,billableAmount,costAmount"
    exported = world.services.exports.export_time_entries(owner, ExportEntries("csv", columns=columns))
    got = rows(b"".join(exported.chunks))
    # 5400 s x 90.50/h = 135.75; 5400 s x 40.30/h = 60.45; 1200 s x 40.30/h = 13.4333 -> 13.43.
    assert [(r["clientName"], r["billableAmount"], r["costAmount"]) for r in got] == [
        ("Globex", "135.75", "60.45"),
        ("Globex", "0.00", "13.43"),
    ]
    assert {(r["currency"], r["billableRate"], r["costRate"]) for r in got} == {("EUR", "90.50", "40.30")}

    world.set_plan(Plan.FREE)  # below billable_rates the money columns are empty, as reports' amounts
    owner = world.caller(world.owner)
    exported = world.services.exports.export_time_entries(owner, ExportEntries("csv", columns=columns))
    assert {(r["clientName"], r["currency"], r["costAmount"]) for r in rows(b"".join(exported.chunks))} == {
        ("Globex", "", "")
    }


def test_the_file_is_named_after_the_organizations_day(world: World) -> None:
    """Late on 1 March in UTC it is already 2 March in Auckland: the file names the organization's
    day (its reports' and closed periods' day), not the server's UTC date."""
    import attrs

    from hours_core.clock import FixedClock

    assert isinstance(world.clock, FixedClock)
    world.clock.set(datetime(2026, 3, 1, 23, 0, tzinfo=UTC))
    auckland = world.caller(world.owner)
    auckland = attrs.evolve(auckland, org=attrs.evolve(auckland.org, timezone="Pacific/Auckland"))
    export = world.services.exports.export_time_entries(auckland, ExportEntries("csv"))
    assert export.filename == "time-entries-2026-03-02.csv"
    utc = world.services.exports.export_time_entries(world.caller(world.owner), ExportEntries("csv"))
    assert utc.filename == "time-entries-2026-03-01.csv"
