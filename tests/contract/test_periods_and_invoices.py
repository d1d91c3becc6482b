"""The contract of the closed-period and invoice repositories, and of an org's rolling rule, for every store."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from datetime import date, timedelta

import attrs
import pytest

from hours_core.invoices import Invoice, InvoiceId, InvoiceStatus
from hours_core.model import OrgId
from hours_core.periods import ClosedPeriod
from hours_core.ports import UnitOfWork

from .conftest import T0, Build, OpenStore, World


def period(world: World, first: date | None, last: date, reason: str = "Q1 closed") -> ClosedPeriod:
    return ClosedPeriod(world.a.org.id, first, last, reason, world.a.owner.id, T0)


def invoice(build: Build, world: World, ref: str = "INV-1", *, created: int = 0) -> Invoice:
    return Invoice(
        id=InvoiceId(build.id()),
        org_id=world.a.org.id,
        external_ref=ref,
        status=InvoiceStatus.OPEN,
        entry_ids=(str(uuid.UUID(int=1)), str(uuid.UUID(int=2))),
        duration_seconds=5400,
        amounts=("EUR:1500:900", "JPY:120:0"),
        created_by=world.a.owner.id,
        created_at=T0 + timedelta(seconds=created),
    )


def test_closed_periods_are_replaced_as_a_whole_and_read_back_by_last_day(
    store: OpenStore, world: World
) -> None:
    first = period(world, None, date(2024, 1, 31), "January ☃")
    second = period(world, date(2024, 2, 16), date(2024, 2, 29))
    with store.unit_of_work() as uow:
        uow.periods.replace(world.a.org.id, [second, first])
        uow.commit()
    with store.unit_of_work(read_only=True) as uow:
        assert list(uow.periods.list(world.a.org.id)) == [first, second]
        assert list(uow.periods.list(world.b.org.id)) == []

    with store.unit_of_work() as uow:
        uow.periods.replace(world.a.org.id, [second])
        uow.commit()
    with store.unit_of_work(read_only=True) as uow:
        assert list(uow.periods.list(world.a.org.id)) == [second]


def test_a_replacement_that_is_not_committed_leaves_the_periods_as_they_were(
    store: OpenStore, world: World
) -> None:
    kept = period(world, None, date(2024, 1, 31))
    with store.unit_of_work() as uow:
        uow.periods.replace(world.a.org.id, [kept])
        uow.commit()
    with store.unit_of_work() as uow:
        uow.periods.replace(world.a.org.id, [])
    with store.unit_of_work(read_only=True) as uow:
        assert list(uow.periods.list(world.a.org.id)) == [kept]


def test_an_org_keeps_its_rolling_rule(store: OpenStore, world: World) -> None:
    with store.unit_of_work() as uow:
        uow.orgs.update(attrs.evolve(world.a.org, lock_after_days=30))
        uow.commit()
    with store.unit_of_work(read_only=True) as uow:
        stored = uow.orgs.get(world.a.org.id)
        assert stored is not None
        assert stored.lock_after_days == 30
        other = uow.orgs.get(world.b.org.id)
        assert other is not None
        assert other.lock_after_days is None


def test_the_periods_holding_a_range_are_those_that_share_a_day_with_it(
    store: OpenStore, world: World
) -> None:
    january = period(world, None, date(2024, 1, 31), "January")
    late_february = period(world, date(2024, 2, 16), date(2024, 2, 29), "late February")
    april = period(world, date(2024, 4, 1), date(2024, 4, 30), "April")
    with store.unit_of_work() as uow:
        uow.periods.replace(world.a.org.id, [april, january, late_february])
        uow.commit()

    def holding(first: date, last: date, org: OrgId = world.a.org.id) -> list[ClosedPeriod]:
        with store.unit_of_work(read_only=True) as uow:
            return list(uow.periods.holding(org, first, last))

    assert holding(date(1970, 1, 1), date(1970, 1, 1)) == [january]  # the first period has no first day
    assert holding(date(2024, 1, 31), date(2024, 1, 31)) == [january]
    assert holding(date(2024, 2, 1), date(2024, 2, 15)) == []
    assert holding(date(2024, 2, 1), date(2024, 2, 16)) == [late_february]
    assert holding(date(2024, 2, 29), date(2024, 2, 29)) == [late_february]
    assert holding(date(2024, 1, 31), date(2024, 4, 1)) == [january, late_february, april]
    assert holding(date(2024, 3, 1), date(2024, 3, 31)) == []
    assert holding(date(2024, 3, 31), date(2024, 12, 31)) == [april]
    assert holding(date(2024, 5, 1), date(9999, 12, 31)) == []
    assert holding(date(2024, 1, 1), date(2024, 12, 31), world.b.org.id) == []


def _read_all(uow: UnitOfWork, org: OrgId) -> tuple[ClosedPeriod, ...]:
    return tuple(uow.periods.list(org))


def _read_a_day(uow: UnitOfWork, org: OrgId) -> tuple[ClosedPeriod, ...]:
    return tuple(uow.periods.holding(org, date(2024, 1, 15), date(2024, 1, 15)))


READS = pytest.mark.parametrize("read", [_read_all, _read_a_day], ids=["list", "holding"])
"""The two reads of an entry write: every period, or those of the days it touches."""


@READS
def test_holding_the_periods_waits_for_a_write_that_read_them_then_sees_its_change(
    store: OpenStore, world: World, read: Callable[[UnitOfWork, OrgId], tuple[ClosedPeriod, ...]]
) -> None:
    org = world.a.org.id
    held = threading.Event()
    seen: list[tuple[ClosedPeriod, ...]] = []

    def closing() -> None:
        with store.unit_of_work() as uow:
            uow.periods.hold(org)
            held.set()
            seen.append(tuple(uow.periods.list(org)))
            uow.commit()

    with store.unit_of_work() as writer:
        assert read(writer, org) == ()  # an entry write reads them before its checks
        holder = threading.Thread(target=closing)
        holder.start()
        assert not held.wait(0.5)  # the hold waits while the write is in flight: this wait runs out
        writer.periods.replace(org, [period(world, None, date(2024, 1, 31))])
        writer.commit()
    holder.join(timeout=30)
    assert held.is_set() and seen == [(period(world, None, date(2024, 1, 31)),)]


@READS
def test_a_write_that_reads_held_periods_waits_for_the_holder_and_a_read_only_one_does_not(
    store: OpenStore, world: World, read: Callable[[UnitOfWork, OrgId], tuple[ClosedPeriod, ...]]
) -> None:
    org = world.a.org.id
    done = threading.Event()
    seen: list[tuple[ClosedPeriod, ...]] = []

    def entry_write() -> None:
        with store.unit_of_work() as uow:
            seen.append(read(uow, org))
            done.set()
            uow.commit()

    with store.unit_of_work() as holder:
        holder.periods.hold(org)
        holder.periods.replace(org, [period(world, None, date(2024, 1, 31))])
        writer = threading.Thread(target=entry_write)
        writer.start()
        assert not done.wait(0.5)  # the write waits for the holder
        reader = threading.Thread(target=lambda: _read_periods(store, org))
        reader.start()
        reader.join(timeout=30)
        assert not reader.is_alive()  # a read-only unit of work reads the last committed periods
        holder.commit()
    writer.join(timeout=30)
    assert seen == [(period(world, None, date(2024, 1, 31)),)]  # and then sees what the holder closed


def _read_periods(store: OpenStore, org: OrgId) -> None:
    with store.unit_of_work(read_only=True) as uow:
        assert list(uow.periods.list(org)) == []


def test_an_added_invoice_is_read_back_in_its_organization_only(
    store: OpenStore, world: World, build: Build
) -> None:
    made = invoice(build, world, "Rechnung Nº 7")
    with store.unit_of_work() as uow:
        uow.invoices.add(made)
        uow.commit()
    with store.unit_of_work(read_only=True) as uow:
        assert uow.invoices.get(world.a.org.id, made.id) == made
        assert uow.invoices.get(world.b.org.id, made.id) is None
    assert [line.currency for line in made.amount_lines] == ["EUR", "JPY"]


def test_invoices_are_listed_newest_first_a_page_at_a_time(
    store: OpenStore, world: World, build: Build
) -> None:
    made = [invoice(build, world, f"INV-{n}", created=n) for n in range(3)]
    with store.unit_of_work() as uow:
        for each in made:
            uow.invoices.add(each)
        uow.commit()
    with store.unit_of_work(read_only=True) as uow:
        assert list(uow.invoices.list(world.a.org.id, limit=2)) == [made[2], made[1]]
        assert list(uow.invoices.list(world.a.org.id, limit=2, before=made[1].id)) == [made[0]]
        assert list(uow.invoices.list(world.b.org.id, limit=10)) == []


def test_an_update_changes_only_the_status_and_the_void_time(
    store: OpenStore, world: World, build: Build
) -> None:
    made = invoice(build, world)
    with store.unit_of_work() as uow:
        uow.invoices.add(made)
        uow.commit()
    voided = attrs.evolve(made.voided(T0 + timedelta(hours=1)), external_ref="changed")
    with store.unit_of_work() as uow:
        uow.invoices.update(voided)
        uow.commit()
    with store.unit_of_work(read_only=True) as uow:
        assert uow.invoices.get(world.a.org.id, made.id) == made.voided(T0 + timedelta(hours=1))
