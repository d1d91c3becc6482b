"""Settings: API tokens (the plaintext once, revoke) and clients, projects and tasks for admins."""

from __future__ import annotations

import re

import pytest
from litestar.testing import TestClient

from hours_core.errors import Unauthenticated
from hours_core.model import Plan
from hours_core.tokens import TOKEN_PATTERN
from tests.world import World

from .conftest import csrf_of, sign_in


def test_a_token_is_created_shown_once_listed_and_revoked(owner: TestClient, world: World) -> None:
    page = owner.get("/app/settings/api").text
    assert "bootstrap" in page and "Never" in page  # the bootstrap token: never used

    created = owner.post(
        "/app/settings/api/", data={"csrf": csrf_of(page), "name": "CI", "expires_in_days": "30"}
    )

    assert created.status_code == 201
    plaintext = re.search(TOKEN_PATTERN.pattern, created.text)
    assert plaintext is not None and 'data-copy="new-token"' in created.text
    assert world.services.authenticator.authenticate(plaintext.group(0)).user_id == world.owner.id
    assert plaintext.group(0) not in owner.get("/app/settings/api").text  # shown only once
    prefix = plaintext.group("prefix")
    assert f"<code>{prefix}</code>" in owner.get("/app/settings/api").text

    owner.post(f"/app/settings/api/{prefix}/revoke", data={"csrf": csrf_of(page)})

    assert "Revoked" in owner.get("/app/settings/api").text
    with pytest.raises(Unauthenticated):
        world.services.authenticator.authenticate(plaintext.group(0))


def test_a_wrong_token_form_names_its_fields(owner: TestClient) -> None:
    token = csrf_of(owner.get("/app/settings/api").text)

    page = owner.post("/app/settings/api/", data={"csrf": token, "name": " ", "expires_in_days": "900"})

    assert page.status_code == 422
    assert "Name: must not be blank" in page.text and "Expires in (days): must be 1 to 365 days" in page.text


def test_revoking_someone_elses_token_is_not_found(owner: TestClient, world: World) -> None:
    token = csrf_of(owner.get("/app/settings/api").text)
    admins = world.services.account.list_tokens(world.caller(world.admin))[0]

    assert owner.post(f"/app/settings/api/{admins.prefix}/revoke", data={"csrf": token}).status_code == 404


def test_an_admin_creates_and_archives_projects_and_tasks(owner: TestClient, world: World) -> None:
    token = csrf_of(owner.get("/app/settings/projects").text)

    owner.post("/app/settings/projects/", data={"csrf": token, "name": "Website"})
    (website,) = [
        p for p in world.services.projects.list_projects(world.caller(world.owner)) if p.name == "Website"
    ]
    owner.post(f"/app/settings/projects/{website.id}/tasks", data={"csrf": token, "name": "Copy"})
    (task,) = world.services.projects.list_tasks(world.caller(world.owner), website.id)
    owner.post(f"/app/settings/projects/tasks/{task.id}/archive", data={"csrf": token, "archived": "1"})
    page = owner.post(f"/app/settings/projects/{website.id}/archive", data={"csrf": token, "archived": "1"})

    assert "Website <small>(archived)</small>" in page.text and "Copy (archived)" in page.text
    assert world.services.projects.get_project(world.caller(world.owner), website.id).archived


def test_an_admin_creates_a_client_a_project_of_it_and_archives_the_client(
    owner: TestClient, world: World
) -> None:
    token = csrf_of(owner.get("/app/settings/projects").text)
    owner_caller = world.caller(world.owner)

    owner.post("/app/settings/projects/clients", data={"csrf": token, "name": "Globex", "currency": "JPY"})
    (globex,) = world.services.clients.list_clients(owner_caller)
    owner.post("/app/settings/projects/", data={"csrf": token, "name": "Portal", "client": str(globex.id)})
    (portal,) = [p for p in world.services.projects.list_projects(owner_caller) if p.name == "Portal"]
    page = owner.post(
        f"/app/settings/projects/clients/{globex.id}/archive", data={"csrf": token, "archived": "1"}
    )

    assert (globex.currency, portal.client_id) == ("JPY", globex.id)
    assert "Globex <small>(JPY)</small> <small>(archived)</small>" in page.text
    assert "Portal <small>(Globex)</small>" in page.text
    assert world.services.clients.get_client(owner_caller, globex.id).archived
    refused = owner.post(
        "/app/settings/projects/clients", data={"csrf": token, "name": "X", "currency": "EURO"}
    )
    assert refused.status_code == 422 and "currency" in refused.text


def test_a_member_reads_projects_but_may_not_create_them(browser: TestClient, world: World) -> None:
    world.services.sign_in.set_password(world.member.id, "member password")
    sign_in(browser, world.member.email, "member password")
    page = browser.get("/app/settings/projects").text
    assert "Owners and admins create and archive clients, projects and tasks." in page
    assert "Create project" not in page and "Create client" not in page

    refused = browser.post("/app/settings/projects/", data={"csrf": csrf_of(page), "name": "Mine"})

    assert refused.status_code == 403 and "Only owners and admins may create projects." in refused.text


def test_the_free_plans_project_limit_is_a_plan_notice(owner: TestClient, world: World) -> None:
    world.set_plan(Plan.FREE)
    token = csrf_of(owner.get("/app/settings/projects").text)
    for name in ("Two", "Three"):
        owner.post("/app/settings/projects/", data={"csrf": token, "name": name})

    page = owner.post("/app/settings/projects/", data={"csrf": token, "name": "Four"})

    assert page.status_code == 402
    assert "Available on the solo plan." in page.text
    assert "feature: <code>unlimited_projects</code>" in page.text
