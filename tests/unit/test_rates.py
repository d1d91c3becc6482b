"""Rates, the rate each entry stores, and reapplying rates, through the use cases over the in-memory
store."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import attrs
import pytest

from hours_core.errors import Conflict, Forbidden, NotFound, PlanRequired, ValidationFailed
from hours_core.model import ClientId, Plan, ProjectId, Rate, RateScope, StoredRate, TimeEntry, UserId
from hours_core.rates import RateBook
from hours_core.services import (
    Applied,
    ChangeClient,
    CreateRate,
    CreateTimeEntry,
    CreateTimesheet,
    ReapplyRates,
    StartTimer,
    UpdateOperation,
    UpdateTimeEntry,
)
from hours_memory import InMemoryStore
from tests.world import World

DAY = date(2026, 3, 2)


def set_rate(world: World, **given: Any) -> Rate:
    fields: dict[str, Any] = {"scope": RateScope.ORG, "effective_from": DAY, "billable_rate_minor": 10000}
    fields.update(given)
    if fields["scope"] in (RateScope.ORG, RateScope.USER) and "currency" not in fields:
        fields["currency"] = "EUR"
    return world.services.rates.create_rate(world.caller(world.owner), CreateRate(**fields))


def log(
    world: World, *, on: date = DAY, user: UserId | None = None, project: ProjectId | None = None
) -> TimeEntry:
    command = CreateTimeEntry(
        project_id=project or world.project.id,
        entry_date=on,
        duration_seconds=3600,
        user_id=user,
        billable=False,
    )
    return world.services.entries.create_time_entry(world.caller(world.owner), command)


def test_an_entry_stores_the_resolved_rate_and_a_later_rate_never_rewrites_it(world: World) -> None:
    org_rate = set_rate(world, billable_rate_minor=10000, cost_rate_minor=5000)
    entry = log(world)
    assert entry.rate == StoredRate(10000, 5000, "EUR", RateScope.ORG, org_rate.id)
    user_rate = set_rate(world, scope=RateScope.USER, user_id=world.owner.id, billable_rate_minor=12000)
    assert world.services.entries.get_time_entry(world.caller(world.owner), entry.id).rate == entry.rate
    assert log(world).rate == user_rate.stored()
    assert log(world, on=DAY - timedelta(days=1)).rate is None  # no rate in effect yet


def test_changing_the_date_or_project_resolves_again_other_changes_keep_the_rate(world: World) -> None:
    owner = world.caller(world.owner)
    early = set_rate(world, effective_from=DAY - timedelta(days=10), billable_rate_minor=100)
    late = set_rate(world, billable_rate_minor=200)
    entry = log(world)
    assert entry.rate == late.stored()
    world.services.rates.delete_rate(owner, late.id)
    noted = world.services.entries.update_time_entry(owner, entry.id, UpdateTimeEntry(note="kept"))
    assert noted.rate == late.stored()  # stored, though the rate is gone
    moved = world.services.entries.update_time_entry(
        owner, entry.id, UpdateTimeEntry(entry_date=DAY + timedelta(1))
    )
    assert moved.rate == early.stored()
    other = world.services.projects.create_project(owner, "Other")
    special = set_rate(world, scope=RateScope.PROJECT, project_id=other.id, currency="USD", cost_rate_minor=7)
    on_other = world.services.entries.update_time_entry(owner, entry.id, UpdateTimeEntry(project_id=other.id))
    assert on_other.rate == special.stored()


def test_timers_store_their_rate_too(world: World) -> None:
    rate = set_rate(world)
    timer = world.services.entries.start_timer(
        world.caller(world.owner), StartTimer(project_id=world.project.id)
    )
    assert timer.rate == rate.stored()


def test_without_billable_rates_entries_store_no_rate_and_rates_are_a_402(world: World) -> None:
    set_rate(world)
    world.set_plan(Plan.FREE)
    assert log(world).rate is None
    owner = world.caller(world.owner)
    for attempt in (
        lambda: world.services.rates.list_rates(owner),
        lambda: set_rate(world),
        lambda: world.services.rates.reapply_rates(owner, ReapplyRates(DAY, DAY)),
    ):
        with pytest.raises(PlanRequired) as raised:
            attempt()
        assert (raised.value.required_plan, raised.value.feature) == ("solo", "billable_rates")


def test_after_a_downgrade_no_write_re_resolves_and_an_upgrade_finds_the_stored_rates(world: World) -> None:
    owner = world.caller(world.owner)
    org_rate = set_rate(world, billable_rate_minor=10000, cost_rate_minor=4000)
    other = world.services.projects.create_project(owner, "Other")
    set_rate(world, scope=RateScope.PROJECT, project_id=other.id, currency="USD", cost_rate_minor=7)
    dated, moved, batched, deleted = log(world), log(world), log(world), log(world)
    timer = world.services.entries.start_timer(owner, StartTimer(project_id=world.project.id))
    assert {entry.rate for entry in (dated, moved, batched, deleted, timer)} == {org_rate.stored()}
    world.services.entries.delete_time_entry(owner, deleted.id)
    world.set_plan(Plan.FREE)
    owner = world.caller(world.owner)

    # A new date, even a new project: on a plan without rates no rate is read; the stored one stays.
    after = [
        world.services.entries.update_time_entry(
            owner, dated.id, UpdateTimeEntry(entry_date=DAY + timedelta(1))
        ),
        world.services.entries.update_time_entry(owner, moved.id, UpdateTimeEntry(project_id=other.id)),
        world.services.entries.restore_time_entry(owner, deleted.id),
    ]
    outcome = world.services.batches.run_batch(
        owner, [UpdateOperation(batched.id, UpdateTimeEntry(entry_date=DAY + timedelta(2)))], atomic=True
    )
    assert isinstance(outcome[0], Applied)
    # Starting a timer with stop_running stops the running one: it keeps its rate; the new one has none.
    started = world.services.entries.start_timer(
        owner, StartTimer(project_id=world.project.id, stop_running=True)
    )
    assert started.rate is None
    for entry in [*after, outcome[0].entry]:
        assert entry.rate == org_rate.stored(), entry
    assert world.services.entries.get_time_entry(owner, timer.id).rate == org_rate.stored()

    world.set_plan(Plan.SOLO)
    owner = world.caller(world.owner)
    for entry in (dated, moved, batched, deleted, timer):
        assert world.services.entries.get_time_entry(owner, entry.id).rate == org_rate.stored()
    # The moved entry kept its old project's rate; a reapply re-resolves it with its new project's
    # (and gives the timer started on the free plan the org rate).
    result = world.services.rates.reapply_rates(owner, ReapplyRates(DAY, DAY + timedelta(2)))
    assert {change.entry_id for change in result.changes} == {moved.id, started.id}
    assert world.services.entries.get_time_entry(owner, moved.id).rate is not None
    assert world.services.entries.get_time_entry(owner, moved.id).rate.currency == "USD"  # type: ignore[union-attr]


def test_members_neither_read_nor_write_rates(world: World) -> None:
    member = world.caller(world.member)
    rate = set_rate(world)
    with pytest.raises(Forbidden):
        world.services.rates.list_rates(member)
    with pytest.raises(Forbidden):
        world.services.rates.get_rate(member, rate.id)
    with pytest.raises(Forbidden):
        world.services.rates.delete_rate(member, rate.id)
    with pytest.raises(Forbidden):
        world.services.rates.create_rate(
            member, CreateRate(scope=RateScope.ORG, effective_from=DAY, currency="EUR", cost_rate_minor=1)
        )


def test_every_wrong_field_is_named_at_once(world: World) -> None:
    with pytest.raises(ValidationFailed) as raised:
        world.services.rates.create_rate(
            world.caller(world.member),
            CreateRate(
                scope=RateScope.USER_PROJECT,
                effective_from=date(1999, 12, 31),
                client_id=ClientId(uuid.uuid4()),
                cost_rate_minor=1_000_000_001,
                currency="eur",
            ),
        )
    assert set(raised.value.fields) == {
        "user_id",
        "project_id",
        "client_id",
        "cost_rate_minor",
        "currency",
        "effective_from",
    }
    with pytest.raises(ValidationFailed) as missing:
        world.services.rates.create_rate(
            world.caller(world.owner), CreateRate(scope=RateScope.USER, effective_from=DAY)
        )
    assert set(missing.value.fields) == {"user_id", "billable_rate_minor", "currency"}


def test_a_rate_takes_its_clients_currency_and_refuses_another(world: World) -> None:
    owner = world.caller(world.owner)
    client = world.services.clients.create_client(owner, "Globex", "JPY")
    project = world.services.projects.create_project(owner, "Portal", client_id=client.id)
    assert set_rate(world, scope=RateScope.CLIENT, client_id=client.id).currency == "JPY"
    assert set_rate(world, scope=RateScope.PROJECT, project_id=project.id).currency == "JPY"
    with pytest.raises(ValidationFailed) as raised:
        set_rate(
            world,
            scope=RateScope.USER_PROJECT,
            project_id=project.id,
            user_id=world.member.id,
            currency="EUR",
        )
    assert dict(raised.value.fields) == {"currency": "must be the client's currency, JPY"}
    with pytest.raises(ValidationFailed) as no_client:
        set_rate(world, scope=RateScope.PROJECT, project_id=world.project.id)
    assert set(no_client.value.fields) == {"currency"}
    with pytest.raises(Conflict):  # its rates are in JPY
        world.services.clients.change_client(owner, client.id, ChangeClient(currency="EUR"))


def test_what_a_rate_names_must_exist_and_a_second_rate_of_a_day_is_a_conflict(world: World) -> None:
    for given in (
        {"client_id": ClientId(uuid.uuid4()), "scope": RateScope.CLIENT},
        {"project_id": ProjectId(uuid.uuid4()), "scope": RateScope.PROJECT, "currency": "EUR"},
        {"user_id": UserId(uuid.uuid4()), "scope": RateScope.USER},
    ):
        with pytest.raises(NotFound):
            set_rate(world, **given)
    set_rate(world, scope=RateScope.USER, user_id=world.member.id)
    with pytest.raises(Conflict):
        set_rate(world, scope=RateScope.USER, user_id=world.member.id, cost_rate_minor=3)
    gone = set_rate(world)
    assert world.services.rates.delete_rate(world.caller(world.owner), gone.id) == gone
    with pytest.raises(NotFound):
        world.services.rates.delete_rate(world.caller(world.owner), gone.id)
    with pytest.raises(NotFound):
        world.services.rates.get_rate(world.caller(world.owner), gone.id)


def test_reapply_re_resolves_the_range_but_never_locked_or_deleted_entries(
    world: World, store: InMemoryStore
) -> None:
    owner = world.caller(world.owner)
    old = set_rate(world, billable_rate_minor=100)
    kept_out = log(world, on=DAY + timedelta(days=40))
    entries = [log(world) for _ in range(3)]
    invoiced, deleted, plain = entries
    with store.unit_of_work() as uow:
        uow.entries.update(
            invoiced.invoiced(uuid.uuid4(), invoiced.updated_at), expected_updated_at=invoiced.updated_at
        )
        uow.commit()
    world.services.entries.delete_time_entry(owner, deleted.id)
    new = set_rate(world, scope=RateScope.USER, user_id=world.owner.id, billable_rate_minor=300)

    dry = world.services.rates.reapply_rates(owner, ReapplyRates(DAY, DAY + timedelta(days=1), dry_run=True))
    assert (dry.examined, dry.changed, dry.skipped_locked, dry.truncated) == (2, 1, 1, False)
    assert [(c.entry_id, c.before, c.after) for c in dry.changes] == [(plain.id, old.stored(), new.stored())]
    assert world.services.entries.get_time_entry(owner, plain.id).rate == old.stored()

    done = world.services.rates.reapply_rates(owner, ReapplyRates(DAY, DAY + timedelta(days=1)))
    assert (done.changed, done.changes) == (dry.changed, dry.changes)
    changed = world.services.entries.get_time_entry(owner, plain.id)
    assert changed.rate == new.stored() and changed.updated_at > plain.updated_at
    assert world.services.entries.get_time_entry(owner, invoiced.id).rate == old.stored()
    assert world.services.entries.get_time_entry(owner, kept_out.id).rate == old.stored()
    again = world.services.rates.reapply_rates(owner, ReapplyRates(DAY, DAY + timedelta(days=1)))
    assert again.changed == 0


def test_a_reapply_range_is_checked(world: World) -> None:
    with pytest.raises(ValidationFailed) as raised:
        world.services.rates.reapply_rates(
            world.caller(world.owner), ReapplyRates(DAY, DAY - timedelta(days=1))
        )
    assert set(raised.value.fields) == {"to"}
    with pytest.raises(ValidationFailed):
        world.services.rates.reapply_rates(
            world.caller(world.owner), ReapplyRates(DAY, DAY + timedelta(days=367))
        )


def test_the_bulk_path_stores_the_rates_the_book_stamps(world: World, store: InMemoryStore) -> None:
    org_rate = set_rate(world)
    user_rate = set_rate(world, scope=RateScope.USER, user_id=world.member.id, cost_rate_minor=9)
    template = log(world)
    entries = [
        attrs.evolve(template, id=uuid.uuid4(), user_id=user, entry_date=day, rate=None)
        for user in (world.owner.id, world.member.id)
        for day in (DAY - timedelta(days=1), DAY)
    ]
    with store.unit_of_work() as uow:
        book = RateBook(uow.rates.list(world.org.id))
        uow.entries.add_many(book.stamp(entries, {world.project.id: world.project}))
        uow.commit()
    owner = world.caller(world.owner)
    stored = [world.services.entries.get_time_entry(owner, entry.id).rate for entry in entries]
    assert stored == [None, org_rate.stored(), None, user_rate.stored()]


def test_reapply_skips_the_entries_of_a_submitted_or_approved_timesheets_week(world: World) -> None:
    owner = world.caller(world.owner)
    old = set_rate(world, billable_rate_minor=100)
    in_week, next_week = log(world), log(world, on=DAY + timedelta(days=7))
    sheet = world.services.timesheets.create_timesheet(owner, CreateTimesheet(week_start=DAY)).timesheet
    world.services.timesheets.submit(owner, sheet.id)
    set_rate(world, scope=RateScope.USER, user_id=world.owner.id, billable_rate_minor=300)

    done = world.services.rates.reapply_rates(owner, ReapplyRates(DAY, DAY + timedelta(days=7)))

    assert (done.examined, done.changed, done.skipped_locked) == (2, 1, 1)
    assert world.services.entries.get_time_entry(owner, in_week.id).rate == old.stored()
    assert world.services.entries.get_time_entry(owner, next_week.id).rate != old.stored()


def test_reapply_skips_entries_on_closed_days_and_counts_them(world: World) -> None:
    owner = world.caller(world.owner)
    set_rate(world, billable_rate_minor=100)
    closed, open_day = log(world), log(world, on=DAY + timedelta(days=1))
    world.services.periods.lock(owner, DAY, "payroll")
    set_rate(world, scope=RateScope.USER, user_id=world.owner.id, billable_rate_minor=300)

    done = world.services.rates.reapply_rates(owner, ReapplyRates(DAY, DAY + timedelta(days=1)))
    assert (done.examined, done.changed, done.skipped_locked) == (2, 1, 1)
    assert [change.entry_id for change in done.changes] == [open_day.id]
    assert world.services.entries.get_time_entry(owner, closed.id).rate == closed.rate
