"""A rate's currency is its client's (issue 13), raced through the use cases on PostgreSQL.

Three writes read what binds a rate's currency: creating a rate reads the client (or the project's
client), changing a client's currency counts the rates bound to it, moving a project to another
client reads the project's rates. Under READ COMMITTED each check passes on rows another transaction
has not committed yet, so two of them side by side could each pass and leave a rate in another
currency than its client's. Each takes the organization's lock before it reads (as creating a rate
always did), so they run one after the other.

The tests stop the first write right after it has read the rates (the narrow read of its check:
``bound_to_client``, ``same_start``, ``of_project``), run the second until it either
ends or waits for a lock the first holds, then let the first go on: the interleaving that broke the
rule. SQLite and the in-memory store run one writer at a time, so the race cannot arise there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest

from hours_core.errors import Conflict, ValidationFailed
from hours_core.model import Client, RateScope
from hours_core.services import ChangeClient, ChangeProject, CreateRate
from hours_sql.repositories import SqlRateRepository
from tests.contract import test_lock_order_races as races
from tests.contract.test_lock_order_races import StopAfterCall
from tests.postgres_support import empty_postgres_store
from tests.world import World, make_world

DAY = date(2026, 3, 2)


@pytest.fixture
def world() -> Iterator[World]:
    with empty_postgres_store() as unit_of_work:
        yield make_world(unit_of_work)


class StopAfter(StopAfterCall):
    """Stops the thread named ``first`` right after its first call of ``cls.name`` (a read of the
    rates, by default their list), keeping its transaction open, until :meth:`release`."""

    def __init__(self, cls: type = SqlRateRepository, name: str = "list") -> None:
        super().__init__("first")
        self.cls = cls
        self.name = name
        self.what = f"made no call of {name}"

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self._after(monkeypatch, self.cls, self.name, lambda _: True)


def first_then_second(
    monkeypatch: pytest.MonkeyPatch,
    first: Callable[[], Any],
    second: Callable[[], Any],
    *,
    stop: StopAfter,
) -> tuple[Any, Any]:
    """Run ``first`` until it has read the rates (the call ``stop`` names), then ``second``
    until it ends or waits for ``first``, then ``first`` to its end; each one's result or error
    (:func:`tests.contract.test_lock_order_races.first_then_second`)."""
    return races.first_then_second(monkeypatch, first, second, stop=stop, second_may_end=True)


def rate_currencies(world: World, client: Client) -> set[str]:
    """The currencies of the rates bound to ``client``: its own, and its projects' (as they are now)."""
    owner = world.caller(world.owner)
    projects = {p.id for p in world.services.projects.list_projects(owner) if p.client_id == client.id}
    return {
        rate.currency
        for rate in world.services.rates.list_rates(owner)
        if rate.client_id == client.id or rate.project_id in projects
    }


@pytest.mark.postgres
def test_a_client_rate_created_while_its_client_changes_currency_is_in_the_new_currency_or_refused(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner = world.caller(world.owner)
    client = world.services.clients.create_client(owner, "Globex", "EUR")
    change = lambda: world.services.clients.change_client(owner, client.id, ChangeClient(currency="USD"))  # noqa: E731
    rate = CreateRate(RateScope.CLIENT, DAY, client_id=client.id, billable_rate_minor=100, currency="EUR")
    changed, created = first_then_second(
        monkeypatch,
        change,
        lambda: world.services.rates.create_rate(owner, rate),
        stop=StopAfter(name="bound_to_client"),
    )
    assert changed.currency == "USD"
    assert isinstance(created, ValidationFailed)
    assert rate_currencies(world, changed) == set()


@pytest.mark.postgres
def test_a_client_changing_currency_while_a_rate_of_it_is_created_finds_the_rate(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner = world.caller(world.owner)
    client = world.services.clients.create_client(owner, "Globex", "EUR")
    rate = CreateRate(RateScope.CLIENT, DAY, client_id=client.id, billable_rate_minor=100)
    change = lambda: world.services.clients.change_client(owner, client.id, ChangeClient(currency="USD"))  # noqa: E731
    created, changed = first_then_second(
        monkeypatch,
        lambda: world.services.rates.create_rate(owner, rate),
        change,
        stop=StopAfter(name="same_start"),
    )
    assert created.currency == "EUR"
    assert isinstance(changed, Conflict)
    assert world.services.clients.get_client(owner, client.id).currency == "EUR"


@pytest.mark.postgres
def test_a_project_rate_created_while_its_project_moves_to_another_client_takes_the_new_clients_currency(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner = world.caller(world.owner)
    euros = world.services.clients.create_client(owner, "Globex", "EUR")
    yen = world.services.clients.create_client(owner, "Initech", "JPY")
    project = world.services.projects.create_project(owner, "Portal", client_id=euros.id)
    move = lambda: world.services.projects.change_project(owner, project.id, ChangeProject(client_id=yen.id))  # noqa: E731
    rate = CreateRate(RateScope.PROJECT, DAY, project_id=project.id, billable_rate_minor=100)
    moved, created = first_then_second(
        monkeypatch,
        move,
        lambda: world.services.rates.create_rate(owner, rate),
        stop=StopAfter(name="of_project"),
    )
    assert moved.client_id == yen.id
    assert created.currency == "JPY"
    assert rate_currencies(world, yen) == {"JPY"}
