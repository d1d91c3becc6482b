"""No form a person (or a script) can send makes a page fail with a 500."""

from __future__ import annotations

import uuid

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
