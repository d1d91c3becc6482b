"""Input the web app refuses rather than misreads, over every store: weeks no grid shows (the
calendar's first and last weeks once crashed in date arithmetic), cells of those weeks, and form
values that are none of the choices a form offers (a task that is no id, an ``archived`` that is
neither 1 nor 0). Each gets the web app's error answer (a page with the reason, 4xx), never a 500
and never a change the form did not ask for."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from litestar.testing import TestClient

from hours_core.model import OverlapPolicy, WeekStart
from hours_core.ports import EntryQuery
from hours_core.services import ChangeOrg, CreateTimeEntry
from hours_memory import InMemoryStore
from hours_sqlite import SqliteStore
from hours_web import create_web_app
from tests.postgres_support import (
    drop_the_postgres_schema_at_the_end,  # noqa: F401 - a session fixture: drops the run's schema
    empty_postgres_store,
)
from tests.world import World, make_world

from .conftest import BASE_URL, csrf_of, sign_in

STORES = ["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
WEEK_REFUSED = "Week: must be a day of a week with a date from 2000-01-01 to 2100-12-31: time is logged on those days only"
NOT_A_CELL = "Cell: is not a cell of the week grid"


@pytest.fixture(params=STORES)
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    """The test world on each store (the web tests' own ``world`` is in memory only)."""
    if request.param == "memory":
        yield make_world(InMemoryStore().unit_of_work)
        return
    if request.param == "postgres":
        with empty_postgres_store() as unit_of_work:
            yield make_world(unit_of_work)
        return
    store = SqliteStore.open(tmp_path / "hours.db")
    store.migrate()
    try:
        yield make_world(store.unit_of_work)
    finally:
        store.close()


@pytest.fixture
def owner(world: World) -> Iterator[TestClient]:  # type: ignore[type-arg]
    """The web app over the world's store, signed in as its owner."""
    with TestClient(create_web_app(world.services), base_url=BASE_URL) as client:
        assert sign_in(client, world.owner.email, world.owner_password).status_code == 303  # type: ignore[attr-defined]
        yield client


def entries_of(world: World) -> list:  # type: ignore[type-arg]
    caller = world.caller(world.owner)
    return list(world.services.entries.list_time_entries(caller, EntryQuery(limit=500)).entries)


def cell_of(world: World, day: str) -> str:
    return f"{world.project.id}.-.{day}"


def token_of(client: TestClient) -> str:  # type: ignore[type-arg]
    return csrf_of(client.get("/app/settings/api").text)


def set_week_start(world: World, week_start: WeekStart) -> None:
    world.services.team.change_org(world.caller(world.owner), ChangeOrg(week_start=week_start))


@pytest.mark.parametrize("week_start", list(WeekStart))
@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "0001-01-07", "1999-12-01", "2101-01-10"])
def test_a_week_without_a_date_an_entry_can_have_is_refused_with_the_error_page(
    owner: TestClient,  # type: ignore[type-arg]
    world: World,
    day: str,
    week_start: WeekStart,
) -> None:
    set_week_start(world, week_start)

    response = owner.get("/app/week", params={"week": day})

    assert response.status_code == 422
    assert WEEK_REFUSED in response.text and "<h1>Not valid</h1>" in response.text


@pytest.mark.parametrize("policy", [OverlapPolicy.ALLOW, OverlapPolicy.WARN])
def test_the_first_and_last_weeks_show_and_link_only_to_weeks_with_entry_dates(
    owner: TestClient,  # type: ignore[type-arg]
    world: World,
    policy: OverlapPolicy,
) -> None:
    """The week of 2000-01-01 starts in 1999 and the week of 2100-12-31 ends in 2101: both show
    (the overlaps of the org's policy read over their entry dates only), without a link outward."""
    world.services.team.change_org(world.caller(world.owner), ChangeOrg(overlap_policy=policy))

    first = owner.get("/app/week", params={"week": "1999-12-27"})
    assert first.status_code == 200, first.text
    assert "Week of 27 December 1999" in first.text and "Previous week" not in first.text
    assert 'href="/app/week?week=2000-01-03"' in first.text
    assert owner.get("/app/week", params={"week": "2000-01-01"}).text.count("Week of 27 December 1999") == 2

    last = owner.get("/app/week", params={"week": "2101-01-02"})
    assert last.status_code == 200, last.text
    assert "Week of 27 December 2100" in last.text and "Next week" not in last.text
    assert 'href="/app/week?week=2100-12-20"' in last.text

    set_week_start(world, WeekStart.SUNDAY)
    sunday = owner.get("/app/week", params={"week": "2000-01-01"})
    assert "Week of 26 December 1999" in sunday.text and "Previous week" not in sunday.text


def test_a_cell_of_the_first_week_before_2000_says_why_in_the_cell(
    owner: TestClient,  # type: ignore[type-arg]
    world: World,
) -> None:
    cell = cell_of(world, "1999-12-31")

    response = owner.post("/app/week/cell", data={"cell": cell, f"d.{cell}": "1h", "csrf": token_of(owner)})

    assert response.status_code == 200
    assert "must be a date from 2000-01-01 to 2100-12-31" in response.text
    assert entries_of(world) == []


@pytest.mark.parametrize(
    "day", ["9999-12-31", "0001-01-01", "1999-12-26", "2101-01-03", "20260302", "2026-W10-1", "2026-3-2"]
)
def test_a_cell_of_a_week_no_grid_shows_is_refused_and_logs_nothing(
    owner: TestClient,  # type: ignore[type-arg]
    world: World,
    day: str,
) -> None:
    cell = cell_of(world, day)
    token = token_of(owner)

    one = owner.post("/app/week/cell", data={"cell": cell, f"d.{cell}": "1h", "csrf": token})
    plain = owner.post("/app/week", data={f"d.{cell}": "1h", f"was.{cell}": "", "csrf": token})

    assert one.status_code == 422 and NOT_A_CELL in one.text
    assert plain.status_code == 422 and "1 cell could not be saved." in plain.text
    assert f": {NOT_A_CELL.removeprefix('Cell: ')}</li>" in plain.text  # which cell, and why
    assert entries_of(world) == []


@pytest.mark.parametrize(
    ("week", "message"),
    [
        ("9999-12-31", WEEK_REFUSED),
        ("0001-01-01", WEEK_REFUSED),
        ("2026-02-30", "Week: must be a date in the form YYYY-MM-DD"),
        ("next", "Week: must be a date in the form YYYY-MM-DD"),
        ("20260302", "Week: must be a date in the form YYYY-MM-DD"),
        ("2026-W10-1", "Week: must be a date in the form YYYY-MM-DD"),
    ],
)
def test_the_plain_form_with_a_week_no_grid_shows_is_refused_before_saving_anything(
    owner: TestClient,  # type: ignore[type-arg]
    world: World,
    week: str,
    message: str,
) -> None:
    """The form answers with a redirect to its week: a week no grid shows was once redirected to,
    and landed on a 500."""
    cell = cell_of(world, "2026-03-02")

    response = owner.post(
        "/app/week",
        data={"week": week, f"d.{cell}": "1h", f"was.{cell}": "", "csrf": token_of(owner)},
        follow_redirects=False,
    )

    assert response.status_code == 422
    assert message in response.text
    assert entries_of(world) == []


@pytest.mark.parametrize(("field", "label"), [("task", "Task"), ("project", "Project")])
@pytest.mark.parametrize("value", ["zzz", "-", "0", " "])
def test_a_timer_naming_no_id_is_refused_not_started_without_it(
    owner: TestClient,  # type: ignore[type-arg]
    world: World,
    field: str,
    label: str,
    value: str,
) -> None:
    form = {"project": str(world.project.id), "task": str(world.task.id), field: value}

    response = owner.post("/app/timer/start", data={**form, "csrf": token_of(owner)}, follow_redirects=False)

    assert response.status_code == 422
    assert f"{label}: is not one of the choices: choose from the list" in response.text
    assert entries_of(world) == []


def test_an_entry_edit_naming_no_task_id_is_refused_and_keeps_the_task(
    owner: TestClient,  # type: ignore[type-arg]
    world: World,
) -> None:
    command = CreateTimeEntry(
        project_id=world.project.id, task_id=world.task.id, entry_date=date(2026, 3, 2), duration="1h"
    )
    entry = world.services.entries.create_time_entry(world.caller(world.owner), command)
    form = {
        "date": "2026-03-02",
        "project": str(world.project.id),
        "task": "zzz",
        "duration": "1:00",
        "version": str(entry.version),
        "csrf": token_of(owner),
    }

    response = owner.post(f"/app/entries/{entry.id}/edit", data=form, follow_redirects=False)

    assert response.status_code == 422
    assert "Task: is not one of the choices: choose from the list" in response.text
    (kept,) = entries_of(world)
    assert kept.task_id == world.task.id and kept.version == entry.version


@pytest.mark.parametrize("archived", ["x", "true", "on", "", "01", None])
def test_an_archive_form_that_is_neither_1_nor_0_is_refused_and_changes_nothing(
    owner: TestClient,  # type: ignore[type-arg]
    world: World,
    archived: str | None,
) -> None:
    caller = world.caller(world.owner)
    client = world.services.clients.create_client(caller, "Globex", "EUR")
    token = token_of(owner)
    paths = [
        f"/app/settings/projects/tasks/{world.task.id}/archive",
        f"/app/settings/projects/{world.project.id}/archive",
        f"/app/settings/projects/clients/{client.id}/archive",
    ]
    form = {"csrf": token} if archived is None else {"csrf": token, "archived": archived}

    for path in paths:
        response = owner.post(path, data=form, follow_redirects=False)
        assert response.status_code == 422, path
        assert "Archived: must be 1 (archive) or 0 (unarchive)" in response.text

    assert not world.services.projects.get_task(caller, world.task.id).archived
    assert not world.services.projects.get_project(caller, world.project.id).archived
    assert not world.services.clients.get_client(caller, client.id).archived
    archived_now = owner.post(paths[0], data={"csrf": token, "archived": "1"}, follow_redirects=False)
    assert archived_now.status_code == 303
    assert world.services.projects.get_task(caller, world.task.id).archived


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("project=zzz", "Project: is not one of the choices: choose from the list"),
        ("billable=maybe", "Billable: is not one of the choices: choose from the list"),
    ],
)
def test_an_entries_filter_that_is_none_of_the_choices_is_a_notice_not_every_entry(
    owner: TestClient,  # type: ignore[type-arg]
    world: World,
    query: str,
    message: str,
) -> None:
    """A filter the form never sends is not read as "no filter" (which would list every entry)."""
    caller = world.caller(world.owner)
    command = CreateTimeEntry(
        project_id=world.project.id, entry_date=date(2026, 3, 2), duration="1h", note="kept"
    )
    world.services.entries.create_time_entry(caller, command)

    page = owner.get(f"/app/entries?{query}")

    assert message in page.text
    assert "kept" not in page.text


@pytest.mark.parametrize("billable", ["maybe", "", "off", "ON", "true", "1"])
def test_an_entry_edit_whose_billable_checkbox_is_neither_on_nor_left_out_is_refused(
    owner: TestClient,  # type: ignore[type-arg]
    world: World,
    billable: str,
) -> None:
    """A checkbox sends ``on`` or nothing: ``billable=maybe`` once saved the entry as not billable."""
    command = CreateTimeEntry(
        project_id=world.project.id, entry_date=date(2026, 3, 2), duration="1h", billable=True
    )
    entry = world.services.entries.create_time_entry(world.caller(world.owner), command)
    form = {
        "date": "2026-03-02",
        "project": str(world.project.id),
        "duration": "1:00",
        "billable": billable,
        "version": str(entry.version),
        "csrf": token_of(owner),
    }

    response = owner.post(f"/app/entries/{entry.id}/edit", data=form, follow_redirects=False)

    assert response.status_code == 422
    assert "Billable: must be &#34;on&#34; (checked) or left out (unchecked)" in response.text
    (kept,) = entries_of(world)
    assert kept.billable and kept.version == entry.version
    unchecked = {key: value for key, value in form.items() if key != "billable"}
    assert (
        owner.post(f"/app/entries/{entry.id}/edit", data=unchecked, follow_redirects=False).status_code == 303
    )
    assert not entries_of(world)[0].billable


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"billable": "maybe"},
            "Billable by default: must be &#34;on&#34; (checked) or left out (unchecked)",
        ),
        ({"client": "zzz"}, "Client: is not one of the choices: choose from the list"),
    ],
)
def test_a_new_project_form_with_a_value_that_is_none_of_the_choices_is_refused(
    owner: TestClient,  # type: ignore[type-arg]
    world: World,
    fields: dict[str, str],
    message: str,
) -> None:
    form = {"name": "Portal", "csrf": token_of(owner), **fields}

    response = owner.post("/app/settings/projects/", data=form, follow_redirects=False)

    assert response.status_code == 422
    assert message in response.text
    names = [p.name for p in world.services.projects.list_projects(world.caller(world.owner))]
    assert "Portal" not in names


@pytest.mark.parametrize("days", ["1_0", "３", "٣", "+3", "-1", "3.0", "0x3", "1e1", "9" * 5000])
def test_a_token_lifetime_in_anything_but_ascii_digits_is_refused(
    owner: TestClient,  # type: ignore[type-arg]
    world: World,
    days: str,
) -> None:
    """``int()`` takes ``1_0``, ``３`` and ``٣`` (and raises on 5,000 digits): the form does not."""
    form = {"name": "CI", "expires_in_days": days, "csrf": token_of(owner)}

    response = owner.post("/app/settings/api/", data=form, follow_redirects=False)

    assert response.status_code == 422
    assert "Expires in (days): must be a whole number of days (digits 0 to 9)" in response.text or (
        "Expires in (days): is too large (5000 digits)" in response.text
    )
    assert "CI" not in [t.name for t in world.services.account.list_tokens(world.caller(world.owner))]


def test_a_token_lifetime_in_ascii_digits_is_read_as_days(
    owner: TestClient,  # type: ignore[type-arg]
    world: World,
) -> None:
    form = {"name": "CI", "expires_in_days": " 30 ", "csrf": token_of(owner)}

    response = owner.post("/app/settings/api/", data=form, follow_redirects=False)

    assert response.status_code == 303
    (token,) = [t for t in world.services.account.list_tokens(world.caller(world.owner)) if t.name == "CI"]
    assert token.expires_at is not None and (token.expires_at - token.created_at).days == 30


@pytest.mark.parametrize("row", ["zzz", "{project}.zzz", "{project}.", ".{task}"])
def test_a_week_row_the_app_never_writes_is_refused_not_ignored(
    owner: TestClient,  # type: ignore[type-arg]
    world: World,
    row: str,
) -> None:
    ref = row.format(project=world.project.id, task=world.task.id)

    refused = owner.get("/app/week", params={"week": "2026-03-02", "row": ref})
    shown = owner.get(
        "/app/week", params={"week": "2026-03-02", "row": f"{world.project.id}.{world.task.id}"}
    )

    assert refused.status_code == 422
    assert "is not a row of the week grid" in refused.text
    assert shown.status_code == 200
