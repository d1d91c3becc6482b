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
        "/app/settings/api/",
        data={"csrf": csrf_of(page), "name": "CI", "expires_in_days": "30"},
        follow_redirects=False,
    )

    assert created.status_code == 303 and created.headers["location"] == "/app/settings/api"
    flash = next(c for c in created.headers.get_list("set-cookie") if c.startswith("hours_new_token="))
    assert all(
        part in flash for part in ("HttpOnly", "SameSite=strict", "Path=/app/settings/api", "Max-Age=300")
    )
    shown = owner.get("/app/settings/api")
    plaintext = re.search(TOKEN_PATTERN.pattern, shown.text)
    assert plaintext is not None and 'data-copy="new-token"' in shown.text
    assert shown.text.count(plaintext.group(0)) == 1 and "Token “CI” created." in shown.text
    deleted = next(c for c in shown.headers.get_list("set-cookie") if c.startswith("hours_new_token="))
    assert "Max-Age=0" in deleted
    assert world.services.authenticator.authenticate(plaintext.group(0)).user_id == world.owner.id

    reloaded = owner.get("/app/settings/api").text
    assert plaintext.group(0) not in reloaded  # shown only once
    prefix = plaintext.group("prefix")
    assert f"<code>{prefix}</code>" in reloaded
    assert [t.name for t in world.services.account.list_tokens(world.caller(world.owner))].count("CI") == 1

    owner.post(f"/app/settings/api/{prefix}/revoke", data={"csrf": csrf_of(page)})

    assert "Revoked" in owner.get("/app/settings/api").text
    with pytest.raises(Unauthenticated):
        world.services.authenticator.authenticate(plaintext.group(0))


def _flash_of(client: TestClient, name: str) -> str:  # type: ignore[type-arg]
    """Create a token named ``name`` and return its flash cookie's value, unread."""
    created = client.post(
        "/app/settings/api/",
        data={"csrf": csrf_of(client.get("/app/settings/api").text), "name": name},
        follow_redirects=False,
    )
    assert created.status_code == 303
    value = client.cookies["hours_new_token"]
    client.cookies.delete("hours_new_token")
    return value


def test_a_new_tokens_flash_is_shown_to_the_session_that_minted_it_only(
    browser: TestClient, world: World
) -> None:
    assert sign_in(browser, world.owner.email, world.owner_password).status_code == 303  # type: ignore[attr-defined]
    flash = _flash_of(browser, "CI")
    plaintext = flash.rpartition(".")[0]
    signed_out = browser.post(
        "/app/sign-out", data={"csrf": csrf_of(browser.get("/app/week").text)}, follow_redirects=False
    )
    assert any(
        c.startswith("hours_new_token=") and "Max-Age=0" in c
        for c in signed_out.headers.get_list("set-cookie")
    )
    assert sign_in(browser, world.owner.email, world.owner_password).status_code == 303  # type: ignore[attr-defined]

    browser.cookies.set("hours_new_token", flash, domain="127.0.0.1", path="/app/settings/api")
    page = browser.get("/app/settings/api")

    assert page.status_code == 200 and plaintext not in page.text and "created." not in page.text


@pytest.mark.parametrize(
    "forge",
    [
        lambda flash: flash[:-1] + ("0" if flash[-1] != "0" else "1"),  # the MAC altered
        lambda flash: "x" + flash,  # the token altered
        lambda flash: flash.rpartition(".")[0],  # no MAC
        lambda flash: "",
        lambda flash: "<b>.</b>",
    ],
)
def test_an_altered_flash_shows_nothing(owner: TestClient, forge: object) -> None:
    flash = _flash_of(owner, "CI")
    owner.cookies.set("hours_new_token", forge(flash), domain="127.0.0.1", path="/app/settings/api")  # type: ignore[operator]

    page = owner.get("/app/settings/api")

    assert (
        page.status_code == 200 and flash.rpartition(".")[0] not in page.text and "created." not in page.text
    )


def test_a_flash_of_a_token_revoked_before_it_was_shown_shows_nothing(owner: TestClient) -> None:
    flash = _flash_of(owner, "CI")
    prefix = TOKEN_PATTERN.fullmatch(flash.rpartition(".")[0])["prefix"]  # type: ignore[index]
    owner.post(
        f"/app/settings/api/{prefix}/revoke", data={"csrf": csrf_of(owner.get("/app/settings/api").text)}
    )
    owner.cookies.set("hours_new_token", flash, domain="127.0.0.1", path="/app/settings/api")

    assert flash.rpartition(".")[0] not in owner.get("/app/settings/api").text


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


def test_a_head_of_the_tokens_page_does_not_spend_a_new_token_s_showing(owner: TestClient) -> None:
    """A HEAD answers as GET would, but sets no cookie: the GET deletes the flash that shows a new
    token once, and a HEAD (a link checker, a prefetch) must not spend it."""
    flash = _flash_of(owner, "CI")
    owner.cookies.set("hours_new_token", flash, domain="127.0.0.1", path="/app/settings/api")
    head = owner.head("/app/settings/api")
    assert head.status_code == 200 and "set-cookie" not in head.headers
    page = owner.get("/app/settings/api")
    assert flash.rpartition(".")[0] in page.text


@pytest.mark.parametrize("path", ["/app/settings", "/app/settings/"])
def test_settings_leads_to_settings_api(owner: TestClient, path: str) -> None:
    """The audit of issue 18: the API's docs send people to "Settings -> API", and
    ``/app/settings`` was the 404 page."""
    response = owner.get(path, follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"] == "/app/settings/api"
