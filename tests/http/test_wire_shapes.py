"""The wire classes (what OpenAPI documents), the converter (what the API sends) and the core's
entities and commands agree, member for member, by the one naming rule."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import attrs
import pytest

from hours_app.cli_schema import openapi_document
from hours_core.model import Org, Project, Role, Task, TimeEntry, User
from hours_core.services import (
    AddUser,
    ChangeClient,
    ChangeOrg,
    ChangeProject,
    ChangeTask,
    ChangeUser,
    CreateTimeEntry,
    CreateWebhook,
    ImportEntries,
    StartTimer,
    UpdateTimeEntry,
)
from hours_core.tokens import ApiToken
from hours_http import wire
from hours_http.converter import WIRE_SHAPES, command_from, render, structure, time_entry_json, webhook_json
from hours_http.naming import json_name
from tests.world import START, World

FULLY_SERVED = {
    wire.TimeEntryOut: TimeEntry,
    wire.ProjectOut: Project,
    wire.TaskOut: Task,
    wire.OrgOut: Org,
    wire.UserOut: User,
}
"""Wire classes that carry every attribute of their entity (but the store's bookkeeping, :data:`NEVER_SERVED`)."""

RESHAPED: dict[type, dict[str, str]] = {wire.OrgOut: {"lockAfterDays": "lockPolicy"}}
"""Attributes a wire class carries as an object of its own, under another name (``lock_after_days``
is ``lockPolicy: {afterDays}``): the renderer adds them, last."""

OUTSIDE_COMMANDS = {"overrideLock", "reason", "lockPolicy"}
"""Body members a handler passes to the use case apart from the command (an owner's override of a
closed period; the org's rolling rule, reshaped)."""

HARVEST_ROW = b"Date,Project,Hours,Notes\n2026-03-02,Website,1.5,Standup\n"

NEVER_SERVED = {"secret_hash", "previous_secret", "payload", "leased_until", "released_ref"}
"""Attributes no response body carries (an entry's ``released_ref`` is the store's memory of the
source row an import's undo released, which a restore takes back into ``externalRef``)."""

COMMANDS = {
    wire.CreateTimeEntryBody: CreateTimeEntry,
    wire.UpdateTimeEntryBody: UpdateTimeEntry,
    wire.StartTimerBody: StartTimer,
    wire.UpdateProjectBody: ChangeProject,
    wire.UpdateTaskBody: ChangeTask,
    wire.UpdateOrgBody: ChangeOrg,
    wire.CreateUserBody: AddUser,
    wire.UpdateUserBody: ChangeUser,
}
"""Request bodies that the converter turns into the core's commands (``command_from``)."""


def members(wire_class: type) -> list[str]:
    return [field.name for field in attrs.fields(wire_class)]


def test_the_naming_rule_turns_snake_case_into_camel_case() -> None:
    assert [json_name(name) for name in ("id", "entry_date", "billable_by_default")] == [
        "id",
        "entryDate",
        "billableByDefault",
    ]


@pytest.mark.parametrize("wire_class", list(FULLY_SERVED), ids=lambda cls: cls.__name__)
def test_a_served_entity_is_its_wire_class_member_for_member_in_order(wire_class: type) -> None:
    entity = FULLY_SERVED[wire_class]
    reshaped = RESHAPED.get(wire_class, {})
    names = [
        json_name(attribute.name) for attribute in attrs.fields(entity) if attribute.name not in NEVER_SERVED
    ]
    assert members(wire_class) == [reshaped.get(name, name) for name in names]


@pytest.mark.parametrize("wire_class", list(WIRE_SHAPES), ids=lambda cls: cls.__name__)
def test_every_member_of_a_wire_class_is_an_attribute_of_its_source_by_the_rule(wire_class: type) -> None:
    source_names = [json_name(attribute.name) for attribute in attrs.fields(WIRE_SHAPES[wire_class])]
    supplied = SUPPLIED.get(wire_class, set()) | set(RESHAPED.get(wire_class, {}).values())
    listed = [name for name in members(wire_class) if name not in supplied | DERIVED.get(wire_class, set())]
    assert listed == [name for name in source_names if name in listed]
    assert not {json_name(name) for name in NEVER_SERVED} & set(members(wire_class))


SUPPLIED: dict[type, set[str]] = {wire.CreatedTokenOut: {"token"}, wire.WebhookWithSecretOut: {"secret"}}
"""Members a renderer adds that no attribute gives."""

DERIVED: dict[type, set[str]] = {wire.ClientOut: {"archived"}}
"""Members computed from the entity (a property, not an attribute), rendered in their place."""


def test_a_derived_member_is_a_property_of_its_source() -> None:
    for wire_class, names in DERIVED.items():
        source = WIRE_SHAPES[wire_class]
        for name in names:
            assert isinstance(getattr(source, name, None), property), (wire_class.__name__, name)


def test_a_webhook_renders_its_secret_only_where_it_is_shown_once(world: World) -> None:
    caller = world.caller(world.owner)
    webhook = world.services.webhooks.create(
        caller, CreateWebhook(url="https://hooks.example.com/", events=("*",))
    )
    assert webhook.secret not in json.dumps(render(webhook, wire.WebhookOut), default=str)
    assert webhook.secret not in json.dumps(render(webhook, wire.WebhookWithSecretOut), default=str)
    assert webhook_json(webhook, with_secret=True)["secret"] == webhook.secret


def _samples(world: World) -> dict[type, Any]:
    caller = world.caller(world.owner)
    entry = world.services.entries.start_timer(caller, StartTimer(project_id=world.project.id))
    token = world.services.account.list_tokens(caller)[0]
    minted = world.services.account.mint_token(caller, "ci")
    webhook = world.services.webhooks.create(
        caller, CreateWebhook(url="https://hooks.example.com/", events=("*",))
    )
    client = world.services.clients.create_client(caller, "Globex", "EUR")
    return {
        wire.TimeEntryOut: entry,
        wire.ProjectOut: world.project,
        wire.ClientOut: world.services.clients.change_client(caller, client.id, ChangeClient(archived=True)),
        wire.TaskOut: world.task,
        wire.TokenOut: token,
        wire.CreatedTokenOut: minted.token,
        wire.MeUser: world.owner,
        wire.MeOrg: world.org,
        wire.MeToken: token,
        wire.Me: attrs.evolve(caller, token=token),
        wire.OrgOut: world.org,
        wire.UserOut: world.member,
        wire.ImportReportOut: world.services.imports.import_entries(
            caller, ImportEntries(source="harvest", data=HARVEST_ROW, dry_run=True)
        ),
        wire.WebhookOut: webhook,
        wire.WebhookWithSecretOut: webhook,
        wire.DeliveryOut: world.services.webhooks.ping(caller, webhook.id),
    }


def test_the_converter_renders_each_wire_class_with_its_members_in_order_as_openapi_lists_them(
    world: World,
) -> None:
    schemas = json.loads(openapi_document())["components"]["schemas"]
    for wire_class, sample in _samples(world).items():
        rendered = render(sample, wire_class)
        supplied = sorted(SUPPLIED.get(wire_class, set()))
        appended = list(RESHAPED.get(wire_class, {}).values())
        assert [*supplied, *rendered, *appended] == members(wire_class), wire_class.__name__
        assert list(schemas[wire_class.__name__]["properties"]) == members(wire_class), wire_class.__name__


def test_a_running_entry_renders_its_elapsed_seconds(world: World) -> None:
    entry = world.services.entries.start_timer(
        world.caller(world.member), StartTimer(project_id=world.project.id)
    )
    assert time_entry_json(entry, START + timedelta(seconds=90))["durationSeconds"] == 90


def test_a_token_never_renders_its_secret_hash(world: World) -> None:
    token: ApiToken = world.services.account.list_tokens(world.caller(world.owner))[0]
    for wire_class in (wire.TokenOut, wire.MeToken, wire.CreatedTokenOut):
        assert token.secret_hash not in json.dumps(render(token, wire_class), default=str)


@pytest.mark.parametrize("body", list(COMMANDS), ids=lambda cls: cls.__name__)
def test_every_member_of_a_request_body_is_an_attribute_of_its_command(body: type) -> None:
    command = COMMANDS[body]
    sent = [name for name in members(body) if name not in OUTSIDE_COMMANDS]
    assert sent == [
        json_name(attribute.name) for attribute in attrs.fields(command) if json_name(attribute.name) in sent
    ]
    assert set(sent) <= {json_name(attribute.name) for attribute in attrs.fields(command)}


def test_a_command_takes_its_bodys_members_by_a_plan_worked_out_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """``command_from`` resolved the command's types, named its members and looked for its enums on
    every request: now once per pair of classes, with the same outcome (a string enum's value
    becomes its member, ``null`` where it means absent keeps the default)."""
    resolved: list[type] = []
    resolve = attrs.resolve_types

    def counted(cls: type, *args: Any, **kwargs: Any) -> type:
        resolved.append(cls)
        return resolve(cls, *args, **kwargs)

    monkeypatch.setattr(attrs, "resolve_types", counted)
    bodies = [
        structure({"email": "ada@example.com", "name": "Ada", "role": "admin"}, wire.CreateUserBody),
        structure({"email": "bob@example.com", "name": "Bob", "role": None}, wire.CreateUserBody),
        structure({"email": "cy@example.com", "name": "Cy"}, wire.CreateUserBody),
    ]
    commands = [command_from(body, AddUser) for body in bodies]
    assert commands == [
        AddUser(email="ada@example.com", name="Ada", role=Role.ADMIN),
        AddUser(email="bob@example.com", name="Bob"),
        AddUser(email="cy@example.com", name="Cy"),
    ]
    assert resolved in ([], [AddUser])  # none if an earlier test made the plan
