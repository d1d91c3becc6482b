"""No form a person (or a script) can send makes a page fail with a 500."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar.testing import TestClient

from tests.world import World

from .conftest import csrf_of

FIELDS = (
    "cell",
    "project",
    "task",
    "note",
    "date",
    "duration",
    "billable",
    "name",
    "expires_in_days",
    "archived",
    "week",
)

values = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            "",
            "0",
            "-1",
            "1e9",
            "2026-02-30",
            "9999-12-31",
            "1:30",
            "25h",
            str(uuid.UUID(int=1)),
            "\x00",
            "é" * 300,
        ]
    ),
)


def routes(world: World) -> list[str]:
    entry = "01900000-0000-7000-8000-000000000000"
    return [
        "/app/week/cell",
        "/app/week",
        "/app/timer/start",
        "/app/timer/stop",
        f"/app/entries/{entry}/edit",
        f"/app/entries/{entry}/delete",
        f"/app/entries/{entry}/restore",
        "/app/settings/api/",
        "/app/settings/api/AAAAAAAAAAAA/revoke",
        "/app/settings/projects/",
        f"/app/settings/projects/{world.project.id}/archive",
        f"/app/settings/projects/{world.project.id}/tasks",
        f"/app/settings/projects/tasks/{world.task.id}/archive",
    ]


@pytest.mark.parametrize("index", range(13))
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(form=st.dictionaries(st.sampled_from(FIELDS), values, max_size=6), extra_cell=values)
def test_any_form_gets_a_page_never_a_server_error(
    owner: TestClient, world: World, index: int, form: dict[str, str], extra_cell: str
) -> None:
    token = csrf_of(owner.get("/app/settings/api").text)
    data = {**form, "csrf": token}
    if "cell" in form:
        data[f"d.{form['cell']}"] = extra_cell
    response = owner.post(routes(world)[index], data=data)

    assert response.status_code < 500, (routes(world)[index], data, response.text[:300])


FORM = {"content-type": "application/x-www-form-urlencoded"}


@pytest.mark.parametrize(
    ("path", "fields"),
    [
        ("/app/settings/projects/", "name=%ED%A0%80"),  # a UTF-8-encoded surrogate
        ("/app/settings/projects/clients", "name=%FFx&currency=EUR"),
        ("/app/settings/api/", "name=%FF%FE"),
        ("/app/settings/api/", "name=ok&expires_in_days=%C3"),  # a sequence cut short
        ("/app/settings/projects/", "name=Raw\xff"),  # a byte sent unescaped
    ],
)
def test_a_form_that_is_not_utf8_is_refused_and_stores_nothing(
    owner: TestClient, world: World, path: str, fields: str
) -> None:
    """Read with U+FFFD for the bad bytes, these stored names like '���' that nobody typed."""
    caller = world.caller(world.owner)
    before = (
        list(world.services.projects.list_projects(caller)),
        list(world.services.clients.list_clients(caller)),
        list(world.services.account.list_tokens(caller)),
    )
    body = f"csrf={csrf_of(owner.get('/app/settings/api').text)}&".encode() + fields.encode("latin-1")

    response = owner.post(path, content=body, headers=FORM, follow_redirects=False)

    assert response.status_code == 400
    assert "The form is not valid UTF-8 text (the field “" in response.text
    assert "nothing was saved" in response.text
    after = (
        list(world.services.projects.list_projects(caller)),
        list(world.services.clients.list_clients(caller)),
        list(world.services.account.list_tokens(caller)),
    )
    assert after == before


def test_a_field_name_that_is_not_utf8_and_a_multipart_part_are_refused_too(
    owner: TestClient, world: World
) -> None:
    token = csrf_of(owner.get("/app/settings/api").text)

    bad_name = owner.post(
        "/app/settings/projects/", content=f"csrf={token}&%FF=x&name=P".encode(), headers=FORM
    )
    multipart = owner.post("/app/settings/projects/", data={"csrf": token}, files={"name": (None, b"\xff")})

    assert bad_name.status_code == 400 and "(a field&#39;s name)" in bad_name.text
    assert multipart.status_code == 400 and "not valid UTF-8" in multipart.text
    assert [p.name for p in world.services.projects.list_projects(world.caller(world.owner))] == [
        world.project.name
    ]


def test_a_form_in_utf8_is_read_as_sent_escaped_or_not(owner: TestClient, world: World) -> None:
    token = csrf_of(owner.get("/app/settings/api").text)
    for name in ("Caf%C3%A9+%2B+1", "Na%C3%AFve=yes", "Raw é"):
        body = f"csrf={token}&name={name}".encode()
        response = owner.post("/app/settings/projects/", content=body, headers=FORM, follow_redirects=False)
        assert response.status_code == 303, response.text[:300]

    names = {p.name for p in world.services.projects.list_projects(world.caller(world.owner))}
    assert {"Café + 1", "Naïve=yes", "Raw é"} <= names


def _multipart(*parts: tuple[str, bytes], boundary: str = "b0und", head: bytes = b"") -> bytes:
    """A multipart/form-data body of ``parts`` (name, value), each part with ``head`` lines too."""
    body = b""
    for name, value in parts:
        body += f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n'.encode()
        body += head + b"\r\n" + value + b"\r\n"
    return body + f"--{boundary}--\r\n".encode()


@pytest.mark.parametrize(
    ("content_type", "form"),
    [
        pytest.param(  # the parser's limit of 1,000 parts
            "multipart/form-data; boundary=b0und",
            lambda token: _multipart(
                ("csrf", token), *[(f"x{i}", b"v") for i in range(1000)], ("name", b"P")
            ),
            id="1001 parts",
        ),
        pytest.param(  # the parser's limit of header lines in a part
            "multipart/form-data; boundary=b0und",
            lambda token: _multipart(("csrf", token), ("name", b"P"), head=b"X: y\r\n" * 20),
            id="20 header lines in a part",
        ),
        pytest.param(
            "multipart/form-data",
            lambda token: _multipart(("csrf", token), ("name", b"P")),
            id="no boundary",
        ),
        pytest.param(
            "multipart/form-data; boundary=b0und",
            lambda token: _multipart(("csrf", token), ("name", b"P"))[:-30],
            id="cut short",
        ),
        pytest.param(
            "multipart/form-data; boundary=b0und",
            lambda token: b"--b0und\r\nContent-Disposition: nonsense\r\n\r\nx\r\n--b0und--\r\n",
            id="a part with no name",
        ),
    ],
)
def test_a_multipart_form_the_parser_refuses_is_a_page_in_the_apps_words(
    owner: TestClient, world: World, content_type: str, form: Any
) -> None:
    """Before, the framework's own text reached the page: '400 Bad request: Request Entity Too
    Large' (a 400 saying too large) for 1,001 parts, 'Invalid multipart/form-data', 'multipart
    boundary missing in Content-Type'."""
    token = csrf_of(owner.get("/app/settings/api").text).encode()

    response = owner.post(
        "/app/settings/projects/", content=form(token), headers={"content-type": content_type}
    )

    assert response.status_code == 400
    assert "The form could not be read" in response.text and "nothing was saved" in response.text
    for framework_text in (
        "Entity Too Large",
        "Invalid multipart",
        "missing in Content-Type",
        "Unexpected eof",
    ):
        assert framework_text not in response.text
    assert [p.name for p in world.services.projects.list_projects(world.caller(world.owner))] == [
        world.project.name
    ]
