"""A refused form on Settings gives back what was typed (round 7: the project, client, task and
token inputs came back empty, the client's currency reset to EUR)."""

from __future__ import annotations

from litestar.testing import TestClient

from tests.world import World

from .conftest import csrf_of

BELL = "KeepMe\x07bell"  # a control character: the core refuses the name
HOSTILE = '"><b>KeepMe</b>\x07'


def token_of(client: TestClient) -> str:  # type: ignore[type-arg]
    return csrf_of(client.get("/app/settings/projects").text)


def test_a_refused_project_keeps_its_name_client_and_billable(owner: TestClient, world: World) -> None:
    client = world.services.clients.create_client(world.caller(world.owner), "Globex", "USD")

    page = owner.post(
        "/app/settings/projects",
        data={"csrf": token_of(owner), "name": BELL, "client": str(client.id), "billable": "on"},
    )

    assert page.status_code == 422
    assert f'id="p-name" name="name" required maxlength="200" value="{BELL}"' in page.text
    assert f'<option value="{client.id}" selected>Globex</option>' in page.text
    assert '<input type="checkbox" name="billable" checked> Billable by default' in page.text
    assert 'id="c-name" name="name" required maxlength="200" value=""' in page.text  # the others: blank


def test_a_refused_client_keeps_its_name_and_currency(owner: TestClient, world: World) -> None:
    page = owner.post(
        "/app/settings/projects/clients", data={"csrf": token_of(owner), "name": BELL, "currency": "usd"}
    )
    bad_currency = owner.post(
        "/app/settings/projects/clients", data={"csrf": token_of(owner), "name": "Initech", "currency": "XXQ"}
    )

    assert (
        page.status_code == 422
        and f'id="c-name" name="name" required maxlength="200" value="{BELL}"' in page.text
    )
    assert 'name="currency" required maxlength="3" value="usd"' in page.text
    assert bad_currency.status_code == 422
    assert 'value="Initech"' in bad_currency.text and 'value="XXQ"' in bad_currency.text
    assert 'id="p-name" name="name" required maxlength="200" value=""' in page.text


def test_a_refused_task_keeps_its_name_in_its_own_project_s_form(owner: TestClient, world: World) -> None:
    other = world.services.projects.create_project(world.caller(world.owner), "Other")

    page = owner.post(
        f"/app/settings/projects/{world.project.id}/tasks", data={"csrf": token_of(owner), "name": BELL}
    )

    assert page.status_code == 422
    assert (
        f'<input id="t-{world.project.id}" name="name" required maxlength="200" value="{BELL}"'
        ' aria-invalid="true" aria-describedby="notice">' in page.text
    )
    assert f'<input id="t-{other.id}" name="name" required maxlength="200" value="">' in page.text


def test_a_refused_token_keeps_its_name_and_days(owner: TestClient, world: World) -> None:
    token = csrf_of(owner.get("/app/settings/api").text)

    named = owner.post("/app/settings/api", data={"csrf": token, "name": BELL, "expires_in_days": "30"})
    days = owner.post("/app/settings/api", data={"csrf": token, "name": "CI box", "expires_in_days": "400"})

    assert named.status_code == 422
    assert (
        f'value="{BELL}"' in named.text
        and 'name="expires_in_days" type="number" min="1" max="365" value="30"' in named.text
    )
    assert days.status_code == 422 and 'value="CI box"' in days.text and 'value="400"' in days.text


def test_what_comes_back_is_escaped(owner: TestClient, world: World) -> None:
    project = owner.post("/app/settings/projects", data={"csrf": token_of(owner), "name": HOSTILE})
    api = owner.post(
        "/app/settings/api", data={"csrf": csrf_of(owner.get("/app/settings/api").text), "name": HOSTILE}
    )

    for page in (project, api):
        assert page.status_code == 422
        assert "<b>KeepMe</b>" not in page.text
        assert 'value="&#34;&gt;&lt;b&gt;KeepMe&lt;/b&gt;\x07"' in page.text
