"""Deactivating a user whose timer runs checks the closed periods of the timer's day only, not the
organization's whole history of closed periods."""

from __future__ import annotations

import pathlib
from collections.abc import Sequence
from datetime import date

import pytest

from hours_core.errors import EntryLocked
from hours_core.model import OrgId
from hours_core.periods import ClosedPeriod
from hours_core.services import StartTimer
from hours_sql.period_repositories import SqlPeriodRepository
from hours_sqlite import SqliteStore
from tests.world import World, close_every_third_day, make_world


def no_whole_list(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make a read of every closed period fail the test (the periods of the org: 300 here)."""

    def refused(self: SqlPeriodRepository, org_id: OrgId) -> Sequence[ClosedPeriod]:
        raise AssertionError("read every closed period of the organization")

    monkeypatch.setattr(SqlPeriodRepository, "list", refused)


@pytest.mark.parametrize(("day", "closed"), [(date(2000, 1, 13), True), (date(2000, 1, 15), False)])
def test_deactivating_a_user_with_a_running_timer_reads_the_closed_periods_of_its_day_only(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch, day: date, closed: bool
) -> None:
    """Before, the deactivation read every closed period of the organization to check one day. The
    timer starts before the days close (a timer on a closed day needs an owner's override). On
    SQLite: the in-memory store's ``holding`` filters its ``list``."""
    with SqliteStore.open(tmp_path / "hours.db") as store:
        store.migrate()
        check_deactivation(make_world(store.unit_of_work), store, monkeypatch, day, closed=closed)


def check_deactivation(
    world: World, store: SqliteStore, monkeypatch: pytest.MonkeyPatch, day: date, *, closed: bool
) -> None:
    world.services.entries.start_timer(
        world.caller(world.member), StartTimer(world.project.id, entry_date=day)
    )
    close_every_third_day(world, store.unit_of_work, 300)
    no_whole_list(monkeypatch)
    admin = world.caller(world.admin)

    if closed:
        with pytest.raises(EntryLocked):
            world.services.team.deactivate_user(admin, world.member.id)
        assert world.services.team.get_user(admin, world.member.id).is_active
    else:
        assert not world.services.team.deactivate_user(admin, world.member.id).is_active
