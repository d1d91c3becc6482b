"""Clients, and a project's client, through the use cases over the in-memory store."""

from __future__ import annotations

import pytest

from hours_core.errors import Forbidden, NotFound, PlanRequired, ValidationFailed
from hours_core.model import ClientId, Plan
from hours_core.services import ChangeClient, ChangeProject
from tests.world import START, World


def test_a_manager_creates_renames_archives_and_unarchives_a_client(world: World) -> None:
    admin = world.caller(world.admin)
    client = world.services.clients.create_client(admin, "Globex", "EUR")
    assert (client.name, client.currency, client.billable_by_default, client.archived_at) == (
        "Globex",
        "EUR",
        None,
        None,
    )
    archived = world.services.clients.change_client(admin, client.id, ChangeClient(archived=True, name="G"))
    assert (archived.name, archived.archived_at) == ("G", START)
    member = world.caller(world.member)
    assert world.services.clients.get_client(member, client.id) == archived
    assert world.services.clients.list_clients(member) == [archived]
    unarchived = world.services.clients.change_client(admin, client.id, ChangeClient(archived=False))
    assert unarchived.archived_at is None and unarchived.name == "G"


def test_the_billable_default_is_kept_set_or_cleared(world: World) -> None:
    owner = world.caller(world.owner)
    client = world.services.clients.create_client(owner, "Globex", "USD", billable_by_default=True)
    kept = world.services.clients.change_client(owner, client.id, ChangeClient(name="Globex Inc"))
    assert kept.billable_by_default is True
    cleared = world.services.clients.change_client(owner, client.id, ChangeClient(billable_by_default=None))
    assert cleared.billable_by_default is None


def test_members_read_clients_but_may_not_write_them(world: World) -> None:
    client = world.services.clients.create_client(world.caller(world.owner), "Globex", "EUR")
    member = world.caller(world.member)
    with pytest.raises(Forbidden):
        world.services.clients.create_client(member, "Mine", "EUR")
    with pytest.raises(Forbidden):
        world.services.clients.change_client(member, client.id, ChangeClient(name="Mine"))


def test_every_wrong_field_is_named_at_once_before_the_role(world: World) -> None:
    with pytest.raises(ValidationFailed) as raised:
        world.services.clients.create_client(world.caller(world.member), " ", "eur")
    assert dict(raised.value.fields) == {
        "name": "must not be blank",
        "currency": "must be written in capitals: EUR",
    }


@pytest.mark.parametrize(
    ("code", "problem"),
    [
        ("EURO", "must be an ISO 4217 currency code: three capital letters such as EUR"),
        ("ABC", "ABC is not a current ISO 4217 currency code (List One of 2026-01-01)"),
        ("BGN", "BGN is not a current ISO 4217 currency code (List One of 2026-01-01)"),
        (
            "XAU",
            "XAU (Gold) has no minor unit in ISO 4217 and cannot carry amounts; use the currency the client pays in",
        ),
    ],
)
def test_the_currency_is_a_current_iso_4217_code_with_a_minor_unit(
    world: World, code: str, problem: str
) -> None:
    with pytest.raises(ValidationFailed) as raised:
        world.services.clients.create_client(world.caller(world.owner), "Globex", code)
    assert dict(raised.value.fields) == {"currency": problem}


def test_clients_are_on_every_plan_but_a_billable_default_needs_billable_time(world: World) -> None:
    world.set_plan(Plan.FREE)
    owner = world.caller(world.owner)
    client = world.services.clients.create_client(owner, "Globex", "JPY", billable_by_default=False)
    with pytest.raises(PlanRequired) as raised:
        world.services.clients.create_client(owner, "Initech", "EUR", billable_by_default=True)
    assert (raised.value.required_plan, raised.value.feature) == ("solo", "billable_time")
    with pytest.raises(PlanRequired):
        world.services.clients.change_client(owner, client.id, ChangeClient(billable_by_default=True))


def test_an_unknown_or_foreign_client_is_not_found(world: World) -> None:
    with pytest.raises(NotFound):
        world.services.clients.get_client(world.caller(world.owner), ClientId(world.project.id))
    with pytest.raises(NotFound):
        world.services.clients.change_client(
            world.caller(world.member), ClientId(world.project.id), ChangeClient()
        )


def test_a_project_takes_a_client_of_the_org_that_is_not_archived(world: World) -> None:
    owner = world.caller(world.owner)
    client = world.services.clients.create_client(owner, "Globex", "EUR", billable_by_default=True)
    project = world.services.projects.create_project(owner, "Portal", client_id=client.id)
    assert project.client_id == client.id and project.billable_by_default is True
    not_billable = world.services.projects.create_project(
        owner, "Internal", client_id=client.id, billable_by_default=False
    )
    assert not not_billable.billable_by_default

    with pytest.raises(NotFound) as missing:
        world.services.projects.create_project(owner, "Nowhere", client_id=ClientId(world.project.id))
    assert "client" in missing.value.message
    world.services.clients.change_client(owner, client.id, ChangeClient(archived=True))
    with pytest.raises(ValidationFailed) as raised:
        world.services.projects.create_project(owner, "Late", client_id=client.id)
    assert dict(raised.value.fields) == {"client_id": "the client is archived and takes no new projects"}
    with pytest.raises(ValidationFailed):
        world.services.projects.change_project(owner, world.project.id, ChangeProject(client_id=client.id))

    # A project keeps its archived client through other changes, and can leave it.
    renamed = world.services.projects.change_project(owner, project.id, ChangeProject(name="Portal 2"))
    assert renamed.client_id == client.id
    detached = world.services.projects.change_project(owner, project.id, ChangeProject(client_id=None))
    assert detached.client_id is None and detached.name == "Portal 2"
