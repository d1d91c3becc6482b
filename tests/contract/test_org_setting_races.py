"""The operator's plan change raced with an owner's change of the settings, on PostgreSQL.

``hours orgs set-plan`` and ``PATCH /org`` each write the whole organization row from what they
read. ``PATCH /org`` reads it under the organization's lock; the plan change read it without one, so
under READ COMMITTED a settings change that committed between the plan change's read and its write
was written over with the values read before it: the organization's time zone went back to UTC with
no event saying so, and the change feed's next ``org.updated`` named a ``from`` that its last one
had not left (seen with two ``hours serve`` workers and ``hours orgs set-plan`` in a loop: 5 of
966 events). Now the plan change takes the organization's lock too, so the two run one after the
other and each keeps the other's change.

The test stops the plan change right after it has read the organization, runs the settings change
until it ends or waits for a lock the plan change holds, then lets the plan change go on: the
interleaving that lost the settings. SQLite and the in-memory store run one writer at a time.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hours_core.model import Org, Plan
from hours_core.services import ChangeOrg
from hours_sql.repositories import SqlOrgRepository
from tests.contract import test_lock_order_races as races
from tests.contract.test_lock_order_races import StopAfterCall
from tests.postgres_support import empty_postgres_store
from tests.world import World, make_world


@pytest.fixture
def world() -> Iterator[World]:
    with empty_postgres_store() as unit_of_work:
        yield make_world(unit_of_work, plan=Plan.STUDIO)


class StopAfterReadingTheOrg(StopAfterCall):
    """Stops the thread named ``first`` right after it first reads the organization, locked or
    not, keeping its transaction open, until :meth:`release`."""

    what = "read no organization"

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self._after(monkeypatch, SqlOrgRepository, "get", lambda _: True)
        self._after(monkeypatch, SqlOrgRepository, "lock", lambda _: True)


def org_of(world: World) -> Org:
    return world.services.team.get_org(world.caller(world.owner))


@pytest.mark.postgres
def test_a_plan_change_keeps_the_settings_an_owner_changed_meanwhile(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner = world.caller(world.owner)
    changed, org = races.first_then_second(
        monkeypatch,
        lambda: world.services.admin.set_plan(world.org.id, Plan.AGENCY),
        lambda: world.services.team.change_org(owner, ChangeOrg(timezone="Europe/Berlin")),
        stop=StopAfterReadingTheOrg("first"),
        second_may_end=True,
    )

    assert (changed.plan, org.timezone) == (Plan.AGENCY, "Europe/Berlin")
    assert (org_of(world).plan, org_of(world).timezone) == (Plan.AGENCY, "Europe/Berlin")
    # The feed tells both changes, and following it from the start arrives at the organization as it is.
    feed = world.services.events.changes(owner, None, 1000).events
    state = {"plan": "studio", "timezone": "UTC"}
    for event in feed:
        for name, change in event.changes.items():
            if name in state:
                assert change.old == state[name], (event.seq, name)
                state[name] = change.new
    assert state == {"plan": "agency", "timezone": "Europe/Berlin"}
