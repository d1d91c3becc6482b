"""A rate's currency is its client's (issue 13), raced through the use cases on PostgreSQL.

Three writes read what binds a rate's currency: creating a rate reads the client (or the project's
client), changing a client's currency counts the rates bound to it, moving a project to another
client reads the project's rates. Under READ COMMITTED each check passes on rows another transaction
has not committed yet, so two of them side by side could each pass and leave a rate in another
currency than its client's. Each takes the organization's lock before it reads (as creating a rate
always did), so they run one after the other.

The tests stop the first write right after it has read the rates, run the second until it either
ends or waits for a lock the first holds, then let the first go on: the interleaving that broke the
rule. SQLite and the in-memory store run one writer at a time, so the race cannot arise there.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest

from hours_core.errors import Conflict, ValidationFailed
from hours_core.model import Client, RateScope
from hours_core.services import ChangeClient, ChangeProject, CreateRate
from hours_sql.repositories import SqlRateRepository
from tests.contract.test_lock_order_races import blocks_someone
from tests.polling import eventually
from tests.postgres_support import empty_postgres_store
from tests.world import World, make_world

GUARD_SECONDS = 120
"""How long a test waits for a thread before it gives up (a guard against hangs, not a timing)."""
DAY = date(2026, 3, 2)


@pytest.fixture
def world() -> Iterator[World]:
    with empty_postgres_store() as unit_of_work:
        yield make_world(unit_of_work)


class StopAfter:
    """Stops the thread named ``first`` right after its first call of ``cls.name`` (the rates' list,
    by default), keeping its transaction open, until :meth:`release`."""

    def __init__(self, cls: type = SqlRateRepository, name: str = "list") -> None:
        self.cls = cls
        self.name = name
        self.reached = threading.Event()
        self._released = threading.Event()
        self._stopped = False
        self.backend_pid: int | None = None

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        method = getattr(self.cls, self.name)

        def stopping(repository: Any, *args: Any, **kwargs: Any) -> Any:
            result = method(repository, *args, **kwargs)
            if threading.current_thread().name == "first" and not self._stopped:
                self._stopped = True
                [(pid,)] = repository._session.rows("SELECT pg_backend_pid()")
                self.backend_pid = pid
                self.reached.set()
                assert self._released.wait(GUARD_SECONDS)
            return result

        monkeypatch.setattr(self.cls, self.name, stopping)

    def release(self) -> None:
        self._released.set()


def first_then_second(
    monkeypatch: pytest.MonkeyPatch,
    first: Callable[[], Any],
    second: Callable[[], Any],
    *,
    stop: StopAfter | None = None,
) -> tuple[Any, Any]:
    """Run ``first`` until it has read the rates (or made the call ``stop`` names), then ``second``
    until it ends or waits for ``first``, then ``first`` to its end; each one's result or error."""
    outcomes: dict[str, Any] = {}

    def run(name: str, call: Callable[[], Any]) -> threading.Thread:
        def target() -> None:
            try:
                outcomes[name] = call()
            except BaseException as error:
                outcomes[name] = error

        thread = threading.Thread(target=target, name=name)
        thread.start()
        return thread

    stop = stop or StopAfter()
    stop.install(monkeypatch)
    threads = [run("first", first)]
    try:
        assert stop.reached.wait(GUARD_SECONDS), f"the first write made no call of {stop.name}"
        threads.append(run("second", second))
        pid = stop.backend_pid
        assert pid is not None
        assert eventually(lambda: "second" in outcomes or blocks_someone(pid), attempts=3000)
    finally:
        stop.release()
        for thread in threads:
            thread.join(GUARD_SECONDS)
    assert not any(thread.is_alive() for thread in threads)
    return outcomes["first"], outcomes["second"]


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
        monkeypatch, change, lambda: world.services.rates.create_rate(owner, rate)
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
        monkeypatch, lambda: world.services.rates.create_rate(owner, rate), change
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
        monkeypatch, move, lambda: world.services.rates.create_rate(owner, rate)
    )
    assert moved.client_id == yen.id
    assert created.currency == "JPY"
    assert rate_currencies(world, yen) == {"JPY"}
