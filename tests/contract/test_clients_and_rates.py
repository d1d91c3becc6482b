"""The contract of the client and rate repositories, a project's client and an entry's stored rate,
for every store."""

import uuid
from datetime import timedelta

import attrs
import pytest

from hours_core.errors import Conflict
from hours_core.model import ClientId, RateId, RateScope, StoredRate
from hours_core.rates import entry_targets

from .conftest import D0, T0, Build, OpenStore, World

NOBODY = uuid.UUID(int=0)
"""An id that no row has."""


# Clients.


def test_an_added_client_can_be_read_back(store: OpenStore, world: World, build: Build) -> None:
    client = build.client(world.a.org, "Ærø Café ☕", currency="JPY", billable_by_default=True)
    store.seed(client)

    with store.unit_of_work(read_only=True) as uow:
        assert uow.clients.get(world.a.org.id, client.id) == client
        assert uow.clients.get(world.b.org.id, client.id) is None
        assert uow.clients.get(world.a.org.id, ClientId(NOBODY)) is None


def test_clients_are_listed_oldest_first_with_or_without_the_archived(
    store: OpenStore, world: World, build: Build
) -> None:
    newest = build.client(world.a.org, "Newest", created_at=T0 + timedelta(days=1))
    archived = build.client(world.a.org, "Archived", archived_at=T0, billable_by_default=False)
    oldest = build.client(world.a.org, "Oldest", created_at=T0 - timedelta(days=1))
    theirs = build.client(world.b.org, "Theirs")
    store.seed(newest, archived, oldest, theirs)

    with store.unit_of_work(read_only=True) as uow:
        assert list(uow.clients.list(world.a.org.id)) == [oldest, archived, newest]
        assert list(uow.clients.list(world.a.org.id, include_archived=False)) == [oldest, newest]


def test_an_updated_client_replaces_the_stored_one_in_its_organization_only(
    store: OpenStore, world: World, build: Build
) -> None:
    client = build.client(world.a.org)
    store.seed(client)
    changed = client.revised(T0, name="Renamed", currency="USD", archived=True, billable_by_default=True)

    with store.unit_of_work() as uow:
        stored = uow.clients.update(changed)
        uow.clients.update(attrs.evolve(changed, org_id=world.b.org.id, name="Hijacked"))
        uow.commit()

    with store.unit_of_work(read_only=True) as uow:
        assert uow.clients.get(world.a.org.id, client.id) == stored == attrs.evolve(changed, version=2)
    assert changed.archived_at == T0


def test_a_client_of_an_unknown_organization_is_refused(store: OpenStore, build: Build) -> None:
    with pytest.raises(Conflict), store.unit_of_work() as uow:
        uow.clients.add(build.client(build.org()))


# A project's client.


def test_a_project_names_a_client_of_its_own_organization_only(
    store: OpenStore, world: World, build: Build
) -> None:
    ours, theirs = build.client(world.a.org), build.client(world.b.org)
    store.seed(ours, theirs)
    project = attrs.evolve(build.project(world.a.org, "Client work"), client_id=ours.id)
    store.seed(project)

    with store.unit_of_work(read_only=True) as uow:
        assert uow.projects.get(world.a.org.id, project.id) == project
    with pytest.raises(Conflict), store.unit_of_work() as uow:
        uow.projects.add(attrs.evolve(build.project(world.a.org), client_id=theirs.id))
    with pytest.raises(Conflict), store.unit_of_work() as uow:
        uow.projects.update(attrs.evolve(project, client_id=theirs.id))
    with pytest.raises(Conflict), store.unit_of_work() as uow:
        uow.projects.update(attrs.evolve(project, client_id=ClientId(NOBODY)))

    with store.unit_of_work() as uow:
        uow.projects.update(project.revised(T0, client_id=None))
        uow.commit()
    with store.unit_of_work(read_only=True) as uow:
        stored = uow.projects.get(world.a.org.id, project.id)
    assert stored is not None and stored.client_id is None


# Rates.


def test_rates_of_every_scope_are_stored_listed_oldest_first_and_deleted(
    store: OpenStore, world: World, build: Build
) -> None:
    a = world.a
    client = build.client(a.org)
    store.seed(client)
    rates = [
        build.rate(a.org, billable=0, cost=None, created_at=T0 + timedelta(seconds=5)),
        build.rate(a.org, client=client, billable=None, cost=1, currency="EUR"),
        build.rate(a.org, project=a.project, currency="KWD", effective_from=D0 - timedelta(days=400)),
        build.rate(a.org, user=a.member, billable=1_000_000_000, cost=1_000_000_000),
        build.rate(a.org, project=a.project, user=a.member, created_at=T0 + timedelta(seconds=1)),
    ]
    store.seed(*rates, build.rate(world.b.org))

    with store.unit_of_work(read_only=True) as uow:
        listed = list(uow.rates.list(a.org.id))
        assert uow.rates.get(a.org.id, rates[4].id) == rates[4]
        assert uow.rates.get(world.b.org.id, rates[4].id) is None
    assert listed == [rates[1], rates[2], rates[3], rates[4], rates[0]]
    assert [rate.scope for rate in rates] == list(RateScope)

    with store.unit_of_work() as uow:
        assert uow.rates.delete(world.b.org.id, rates[3].id) is False
        assert uow.rates.delete(a.org.id, rates[3].id) is True
        assert uow.rates.delete(a.org.id, RateId(NOBODY)) is False
        uow.commit()
    with store.unit_of_work(read_only=True) as uow:
        assert rates[3] not in uow.rates.list(a.org.id)
        assert uow.rates.get(a.org.id, rates[3].id) is None


def test_the_rates_matching_an_entry_are_those_of_its_targets_in_effect_on_its_day(
    store: OpenStore, world: World, build: Build
) -> None:
    """``matching`` is ``list`` narrowed to :func:`entry_targets` and ``effective_from <= on``, for
    every user, project, client and day around the rates' dates."""
    a = world.a
    client, other_client = build.client(a.org), build.client(a.org)
    store.seed(client, other_client)
    day = D0
    rates = [
        build.rate(a.org, effective_from=day - timedelta(days=30)),
        build.rate(a.org, effective_from=day + timedelta(days=1), created_at=T0 - timedelta(seconds=1)),
        build.rate(a.org, client=client, effective_from=day),
        build.rate(a.org, client=other_client),
        build.rate(a.org, project=a.project),
        build.rate(a.org, project=a.other_project, effective_from=day - timedelta(days=1)),
        build.rate(a.org, user=a.member, effective_from=day + timedelta(days=1)),
        build.rate(a.org, user=a.owner),
        build.rate(a.org, project=a.project, user=a.member, created_at=T0 + timedelta(seconds=2)),
        build.rate(a.org, project=a.other_project, user=a.owner, effective_from=day - timedelta(days=2)),
    ]
    store.seed(*rates, build.rate(world.b.org), build.rate(world.b.org, user=world.b.member))

    with store.unit_of_work(read_only=True) as uow:
        listed = list(uow.rates.list(a.org.id))
        for user in (a.owner, a.member, world.b.member):
            for project in (a.project, a.other_project):
                for client_id in (None, client.id, other_client.id):
                    for on in (
                        day - timedelta(days=31),
                        day - timedelta(days=1),
                        day,
                        day + timedelta(days=1),
                    ):
                        targets = entry_targets(user.id, project.id, client_id)
                        expected = [r for r in listed if r.target in targets and r.effective_from <= on]
                        found = uow.rates.matching(
                            a.org.id, user_id=user.id, project_id=project.id, client_id=client_id, on=on
                        )
                        assert list(found) == expected, (user.email, project.name, client_id, on)
        assert uow.rates.matching(
            world.b.org.id, user_id=a.member.id, project_id=a.project.id, client_id=None, on=day
        ) == [listed_b for listed_b in uow.rates.list(world.b.org.id) if listed_b.scope is RateScope.ORG]
    assert len(listed) == len(rates)


def test_the_rates_of_a_project_and_of_a_client_are_those_that_name_them(
    store: OpenStore, world: World, build: Build
) -> None:
    """``of_project`` is ``list`` narrowed to the rates naming the project (scopes ``project`` and
    ``user_project``); ``bound_to_client`` to the client's own rates and those of its projects (the
    rates that must be in its currency), for each project and client of the organization."""
    a = world.a
    client, other_client, unused_client = build.client(a.org), build.client(a.org), build.client(a.org)
    store.seed(client, other_client, unused_client)
    served = attrs.evolve(build.project(a.org, "Served"), client_id=client.id)
    also_served = attrs.evolve(build.project(a.org, "Also served"), client_id=client.id)
    elsewhere = attrs.evolve(build.project(a.org, "Elsewhere"), client_id=other_client.id)
    store.seed(served, also_served, elsewhere)
    projects = (a.project, a.other_project, served, also_served, elsewhere)
    rates = [
        build.rate(a.org),
        build.rate(a.org, client=client, created_at=T0 + timedelta(seconds=3)),
        build.rate(a.org, client=other_client),
        build.rate(a.org, user=a.member),
        *(
            build.rate(a.org, project=project, created_at=T0 - timedelta(seconds=index))
            for index, project in enumerate(projects)
        ),
        *(build.rate(a.org, project=project, user=a.member) for project in projects),
        build.rate(a.org, project=served, user=a.owner, effective_from=D0 + timedelta(days=1)),
    ]
    store.seed(*rates, build.rate(world.b.org, project=world.b.project))

    with store.unit_of_work(read_only=True) as uow:
        listed = list(uow.rates.list(a.org.id))
        for project in (*projects, world.b.project):
            expected = [r for r in listed if r.project_id == project.id]
            assert list(uow.rates.of_project(a.org.id, project.id)) == expected, project.name
        assert len(uow.rates.of_project(a.org.id, served.id)) == 3
        for each in (client, other_client, unused_client):
            own = {p.id for p in projects if p.client_id == each.id}
            expected = [r for r in listed if r.client_id == each.id or r.project_id in own]
            assert list(uow.rates.bound_to_client(a.org.id, each.id)) == expected, each.name
        assert len(uow.rates.bound_to_client(a.org.id, client.id)) == 6
        assert uow.rates.bound_to_client(a.org.id, unused_client.id) == []
        assert uow.rates.of_project(world.b.org.id, served.id) == []
        assert uow.rates.bound_to_client(world.b.org.id, client.id) == []


def test_the_rates_of_a_new_rate_s_target_and_first_day_are_those_it_clashes_with(
    store: OpenStore, world: World, build: Build
) -> None:
    """``same_start`` is ``list`` narrowed to the rate's target and ``effective_from``, at every
    scope: what a new rate is refused for (409), read without the organization's other rates."""
    a = world.a
    client = build.client(a.org)
    store.seed(client)
    day, later = D0, D0 + timedelta(days=1)
    named: list[dict[str, object]] = [
        {},
        {"client": client},
        {"project": a.project},
        {"project": a.other_project},
        {"user": a.member},
        {"user": a.owner},
        {"project": a.project, "user": a.member},
        {"project": a.project, "user": a.owner},
        {"project": a.other_project, "user": a.member},
    ]
    rates = [
        build.rate(a.org, effective_from=on, created_at=T0 - timedelta(seconds=index), **target)  # type: ignore[arg-type]
        for index, target in enumerate(named)
        for on in (day, later)
    ]
    twins = [
        build.rate(a.org, effective_from=day, created_at=T0 + timedelta(seconds=1), **target)  # type: ignore[arg-type]
        for target in named
    ]
    store.seed(*rates, *twins, build.rate(world.b.org), build.rate(world.b.org, user=world.b.member))

    with store.unit_of_work(read_only=True) as uow:
        listed = list(uow.rates.list(a.org.id))
        for target in named:
            for on in (day - timedelta(days=1), day, later):
                new = build.rate(a.org, effective_from=on, **target)  # type: ignore[arg-type]
                expected = [r for r in listed if r.target == new.target and r.effective_from == on]
                assert list(uow.rates.same_start(a.org.id, new)) == expected, (target, on)
                assert len(expected) == {day: 2, later: 1}.get(on, 0)
        assert uow.rates.same_start(world.b.org.id, build.rate(a.org)) == [
            theirs for theirs in uow.rates.list(world.b.org.id) if theirs.scope is RateScope.ORG
        ]


@pytest.mark.parametrize("target", ["client", "project", "user"])
def test_a_rate_naming_another_organizations_row_is_refused(
    store: OpenStore, world: World, build: Build, target: str
) -> None:
    theirs = build.client(world.b.org)
    store.seed(theirs)
    named = {"client": theirs, "project": world.b.project, "user": world.b.member}[target]

    with pytest.raises(Conflict), store.unit_of_work() as uow:
        uow.rates.add(build.rate(world.a.org, **{target: named}))  # type: ignore[arg-type]


# An entry's stored rate.


def test_an_entry_stores_its_rate_through_add_update_and_the_bulk_path(
    store: OpenStore, world: World, build: Build
) -> None:
    a = world.a
    rate = build.rate(a.org, user=a.member, billable=None, cost=4200, currency="CLF")
    store.seed(rate)
    stored = rate.stored()
    assert stored == StoredRate(None, 4200, "CLF", RateScope.USER, rate.id)
    single = attrs.evolve(build.entry(a.member, a.project), rate=stored)
    bulk = [attrs.evolve(build.entry(a.member, a.project), rate=stored), build.entry(a.owner, a.project)]
    store.seed(single)
    with store.unit_of_work() as uow:
        uow.entries.add_many(bulk)
        uow.commit()

    with store.unit_of_work(read_only=True) as uow:
        assert uow.entries.get(a.org.id, single.id) == single
        assert [uow.entries.get(a.org.id, entry.id) for entry in bulk] == bulk

    cleared = attrs.evolve(single, rate=None, updated_at=T0 + timedelta(seconds=1))
    with store.unit_of_work() as uow:
        cleared = uow.entries.update(cleared, expected_updated_at=single.updated_at)
        uow.rates.delete(a.org.id, rate.id)  # entries keep what they stored
        uow.commit()
    with store.unit_of_work(read_only=True) as uow:
        assert uow.entries.get(a.org.id, single.id) == cleared
        assert uow.entries.get(a.org.id, bulk[0].id) == bulk[0]
