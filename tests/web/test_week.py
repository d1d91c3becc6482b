"""The week grid and the timer, through the same use cases as the API."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from litestar.testing import TestClient

from hours_core.errors import StoreFull
from hours_core.model import OverlapPolicy, Plan, WeekStart
from hours_core.ports import EntryQuery
from hours_core.services import ChangeOrg, CreateTimeEntry, CreateTimesheet
from hours_web import create_web_app
from tests.world import World

from .conftest import BASE_URL, csrf_of, sign_in

MONDAY = date(2026, 3, 2)  # the world's today


def entries_of(world: World) -> list:  # type: ignore[type-arg]
    caller = world.caller(world.owner)
    return list(world.services.entries.list_time_entries(caller, EntryQuery(limit=500)).entries)


def ref(world: World, day: date, task: bool = False) -> str:
    return f"{world.project.id}.{world.task.id if task else '-'}.{day.isoformat()}"


def seen_of(html: str, cell: str) -> str:
    """What the page showed of a cell (its ``seen.<ref>`` field; empty for a cell with no input)."""
    found = re.search(rf'name="seen\.{re.escape(cell)}" value="([^"]*)"', html)
    return found.group(1) if found else ""


def type_into(client: TestClient, cell: str, text: str) -> str:  # type: ignore[type-arg]
    """What htmx sends when a cell loses focus after a change: the cell's ref, its value and what
    the page showed of it (htmx sends the whole form; the rest is not read)."""
    page = client.get("/app/week").text
    token = csrf_of(page)
    response = client.post(
        "/app/week/cell",
        data={"cell": cell, f"d.{cell}": text, f"seen.{cell}": seen_of(page, cell)},
        headers={"HX-Request": "true", "X-CSRF-Token": token},
    )
    assert response.status_code == 200
    return response.text


def test_the_week_has_a_row_per_project_and_a_column_per_day_from_the_orgs_week_start(
    owner: TestClient, world: World
) -> None:
    page = owner.get("/app/week").text

    assert "Week of 2 March 2026" in page
    days = re.findall(r'<abbr title="(\w+ \d+ \w+)">', page)
    assert days[0] == "Monday 2 March" and days[-1] == "Sunday 8 March" and len(days) == 7
    assert f'name="d.{ref(world, MONDAY)}"' in page
    assert 'aria-label="My first project, Monday 2 March"' in page

    world.services.team.change_org(world.caller(world.owner), ChangeOrg(week_start=WeekStart.SUNDAY))
    sunday_page = owner.get("/app/week").text
    assert "Week of 1 March 2026" in sunday_page
    assert re.findall(r'<abbr title="(\w+ \d+ \w+)">', sunday_page)[0] == "Sunday 1 March"


def test_typing_one_thirty_into_a_cell_logs_the_time_and_updates_the_totals(
    owner: TestClient, world: World
) -> None:
    answer = type_into(owner, ref(world, MONDAY), "1:30")

    (entry,) = entries_of(world)
    assert (entry.duration_seconds, entry.entry_date, entry.project_id) == (5400, MONDAY, world.project.id)
    assert 'value="1:30"' in answer
    assert '<span id="day-total-0" hx-swap-oob="true">1:30</span>' in answer
    assert '<span id="week-total" hx-swap-oob="true">1:30</span>' in answer
    assert f'<span id="row-total-{world.project.id}-none" hx-swap-oob="true">1:30</span>' in answer


def test_a_cell_takes_the_duration_grammar_changes_and_clears_its_entry(
    owner: TestClient, world: World
) -> None:
    cell = ref(world, MONDAY + timedelta(days=2))
    type_into(owner, cell, "90m")
    type_into(owner, cell, "1.5h")
    type_into(owner, cell, "2h15m")
    (entry,) = entries_of(world)
    assert entry.duration_seconds == 8100

    type_into(owner, cell, "")

    assert entries_of(world) == []
    restored = world.services.entries.restore_time_entry(world.caller(world.owner), entry.id)
    assert restored.duration_seconds == 8100  # a cleared cell is a soft delete: the entries page undoes it


def test_a_wrong_duration_is_shown_in_the_cell_and_logs_nothing(owner: TestClient, world: World) -> None:
    answer = type_into(owner, ref(world, MONDAY), "1:75")

    assert entries_of(world) == []
    assert 'aria-invalid="true"' in answer and 'role="alert"' in answer
    assert 'value="1:75"' in answer


def test_an_invoiced_entry_is_read_only_with_the_reason(owner: TestClient, world: World) -> None:
    caller = world.caller(world.owner)
    entry = world.services.entries.create_time_entry(
        caller, CreateTimeEntry(project_id=world.project.id, entry_date=MONDAY, duration="2h")
    )
    world.services.admin.mark_invoiced(world.org.id, entry.id, uuid.uuid4())

    page = owner.get("/app/week").text
    assert f'name="d.{ref(world, MONDAY)}"' not in page
    assert "Invoiced: an invoiced entry cannot change" in page

    answer = type_into(owner, ref(world, MONDAY), "3h")
    assert "Invoiced: an invoiced entry cannot change" in answer
    assert [e.duration_seconds for e in entries_of(world)] == [7200]


def test_a_closed_day_is_read_only_with_the_reason(owner: TestClient, world: World) -> None:
    world.services.periods.lock(world.caller(world.owner), MONDAY, "payroll")

    page = owner.get("/app/week").text
    assert f'name="d.{ref(world, MONDAY)}"' not in page
    assert "Closed: the day is in a closed period" in page
    assert f'name="d.{ref(world, MONDAY + timedelta(days=1))}"' in page


def test_a_closed_day_s_cell_names_the_admin_s_reason_escaped(owner: TestClient, world: World) -> None:
    """Before, the cell said only "Closed: the day is in a closed period", never why (the reason the
    admin gave when closing it): a person had to ask. The reason is the cell's text, escaped."""
    world.services.periods.lock(world.caller(world.owner), MONDAY, "<b>Payroll</b> & co")
    closed = f"cell-{ref(world, MONDAY).replace('.', '_')}"

    page = owner.get("/app/week").text

    cell = re.search(rf'<td [^>]*id="{closed}">(.*?)</td>', page, re.DOTALL)
    assert cell is not None
    expected = "Closed: the day is in a closed period. Reason: &lt;b&gt;Payroll&lt;/b&gt; &amp; co"
    assert expected in cell.group(1)
    assert "<b>Payroll</b>" not in page
    answer = type_into(owner, ref(world, MONDAY), "1h")  # a save typed anyway says the same
    assert expected in answer and entries_of(world) == []


def test_a_submitted_or_approved_week_is_read_only_with_the_reason_until_reopened(
    owner: TestClient, world: World
) -> None:
    caller = world.caller(world.owner)
    world.services.entries.create_time_entry(
        caller, CreateTimeEntry(project_id=world.project.id, entry_date=MONDAY, duration="2h")
    )
    sheet = world.services.timesheets.create_timesheet(
        caller, CreateTimesheet(week_start=MONDAY, user_id=world.owner.id)
    ).timesheet
    world.services.timesheets.submit(caller, sheet.id)

    page = owner.get("/app/week").text
    assert 'name="d.' not in page  # neither the entry's cell nor the empty ones take input
    assert page.count("Submitted: the week&#39;s timesheet awaits approval") == 7 * page.count(
        'id="row-total-'
    )
    answer = type_into(owner, ref(world, MONDAY + timedelta(days=1)), "1h")
    assert "Submitted: the week&#39;s timesheet awaits approval" in answer
    assert len(entries_of(world)) == 1
    assert f'name="d.{ref(world, MONDAY + timedelta(days=7))}"' in owner.get("/app/week?week=2026-03-09").text

    world.services.timesheets.approve(caller, sheet.id)
    assert "Approved: the week&#39;s timesheet is approved" in owner.get("/app/week").text
    world.services.timesheets.reopen(caller, sheet.id)
    assert f'name="d.{ref(world, MONDAY)}"' in owner.get("/app/week").text


def test_another_users_submitted_week_leaves_the_callers_week_open(owner: TestClient, world: World) -> None:
    caller = world.caller(world.owner)
    sheet = world.services.timesheets.create_timesheet(
        caller, CreateTimesheet(week_start=MONDAY, user_id=world.member.id)
    ).timesheet
    world.services.timesheets.submit(caller, sheet.id)

    assert f'name="d.{ref(world, MONDAY)}"' in owner.get("/app/week").text
    type_into(owner, ref(world, MONDAY), "1h")
    assert [entry.duration_seconds for entry in entries_of(world)] == [3600]


def timed(world: World, start: datetime, stop: datetime, note: str) -> None:
    span = int((stop - start).total_seconds())
    world.services.entries.create_time_entry(
        world.caller(world.owner),
        CreateTimeEntry(
            project_id=world.project.id,
            entry_date=start.date(),
            duration_seconds=span,
            started_at=start,
            stopped_at=stop,
            note=note,
        ),
    )


@pytest.mark.parametrize("policy", [OverlapPolicy.WARN, OverlapPolicy.REJECT])
def test_overlapping_entries_of_the_week_are_named_when_the_org_cares(
    owner: TestClient, world: World, policy: OverlapPolicy
) -> None:
    nine = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)
    timed(world, nine, nine + timedelta(minutes=90), "first")
    timed(world, nine + timedelta(hours=1), nine + timedelta(hours=2), "second")  # allowed: the default
    timed(world, nine + timedelta(hours=3), nine + timedelta(hours=4), "alone")
    assert "overlap" not in owner.get("/app/week").text  # allow: overlaps are fine

    world.services.team.change_org(world.caller(world.owner), ChangeOrg(overlap_policy=policy))
    page = owner.get("/app/week").text

    assert "Some of your entries this week overlap." in page
    assert "<li>Tue 3 Mar 09:00–10:30 My first project, Tue 3 Mar 10:00–11:00 My first project</li>" in page
    assert "12:00" not in page  # the entry that overlaps nothing
    assert "overlap" not in owner.get("/app/week?week=2026-03-09").text


def test_a_day_of_two_entries_is_read_only_and_says_where_to_change_them(
    owner: TestClient, world: World
) -> None:
    caller = world.caller(world.owner)
    for duration in ("1h", "2h"):
        world.services.entries.create_time_entry(
            caller, CreateTimeEntry(project_id=world.project.id, entry_date=MONDAY, duration=duration)
        )

    page = owner.get("/app/week").text

    assert "2 entries: change them under Entries" in page
    assert '<span id="day-total-0">3:00</span>' in page


def test_previous_and_next_weeks(owner: TestClient, world: World) -> None:
    page = owner.get("/app/week?week=2026-03-11").text

    assert "Week of 9 March 2026" in page
    assert 'href="/app/week?week=2026-03-02"' in page and 'href="/app/week?week=2026-03-16"' in page


def test_the_week_saves_as_a_plain_form_without_javascript(owner: TestClient, world: World) -> None:
    token = csrf_of(owner.get("/app/week").text)
    monday, tuesday = ref(world, MONDAY), ref(world, MONDAY + timedelta(days=1))

    response = owner.post(
        "/app/week",
        data={
            "csrf": token,
            "week": MONDAY.isoformat(),
            f"d.{monday}": "1:30",
            f"was.{monday}": "",
            f"d.{tuesday}": "",
            f"was.{tuesday}": "",
        },
        follow_redirects=False,
    )

    assert response.status_code == 303 and response.headers["location"] == "/app/week?week=2026-03-02"
    assert [e.duration_seconds for e in entries_of(world)] == [5400]


def test_the_plain_form_shows_each_cell_it_could_not_save(owner: TestClient, world: World) -> None:
    token = csrf_of(owner.get("/app/week").text)
    cell = ref(world, MONDAY)

    response = owner.post("/app/week", data={"csrf": token, f"d.{cell}": "soon", f"was.{cell}": ""})

    assert response.status_code == 422
    assert "1 cell could not be saved." in response.text and 'value="soon"' in response.text


def test_the_plain_form_refuses_a_cell_of_another_week_and_says_which_day_and_why(
    owner: TestClient, world: World
) -> None:
    """A form shows one week: a cell of another (which no page of ours sends) was saved unseen, and
    a refused one was counted ("1 cell could not be saved.") without a word of which or why."""
    token = csrf_of(owner.get("/app/week").text)
    later = ref(world, MONDAY + timedelta(days=8), task=True)

    response = owner.post(
        "/app/week", data={"csrf": token, "week": MONDAY.isoformat(), f"d.{later}": "1h", f"was.{later}": ""}
    )

    assert response.status_code == 422 and "1 cell could not be saved." in response.text
    assert (
        "<li>The cell of Tuesday 10 March 2026 (My first project · General): is not a day of the week"
        " the form shows, the week of 2 March 2026</li>" in response.text
    )
    assert entries_of(world) == []


def test_the_plain_form_names_each_refused_cell_the_grid_cannot_show(owner: TestClient, world: World) -> None:
    token = csrf_of(owner.get("/app/week").text)
    cells = {"zzz": "The cell “zzz”", f"{uuid.uuid4()}.-.2026-03-04": "The cell of Wednesday 4 March 2026"}

    response = owner.post(
        "/app/week",
        data={"csrf": token, **{f"d.{cell}": "1h" for cell in cells}, **{f"was.{c}": "" for c in cells}},
    )

    assert response.status_code == 422 and "2 cells could not be saved." in response.text
    assert f"<li>{cells['zzz']}: is not a cell of the week grid</li>" in response.text
    assert "<li>The cell of Wednesday 4 March 2026: The project was not found.</li>" in response.text


def test_a_refused_cell_of_a_task_row_not_in_view_comes_back_in_its_row(
    owner: TestClient, world: World
) -> None:
    """A task row added to the view is not in the form's address: the page that showed the refusal
    lost the row, and with it the cell's reason and what was typed."""
    token = csrf_of(owner.get("/app/week").text)
    cell = ref(world, MONDAY, task=True)

    response = owner.post("/app/week", data={"csrf": token, f"d.{cell}": "soon", f"was.{cell}": ""})

    assert response.status_code == 422 and "1 cell could not be saved." in response.text
    assert (
        f'name="d.{cell}" value="soon"' in response.text
        and f'id="err-{cell.replace(".", "_")}"' in response.text
    )
    assert "<li>The cell of" not in response.text


def test_a_task_row_is_added_to_the_view_and_takes_time(owner: TestClient, world: World) -> None:
    page = owner.get(f"/app/week?row={world.project.id}.{world.task.id}").text
    assert "My first project · General" in page

    type_into(owner, ref(world, MONDAY, task=True), "45m")

    (entry,) = entries_of(world)
    assert entry.task_id == world.task.id and entry.duration_seconds == 2700


def test_the_timer_starts_counts_up_and_stops(owner: TestClient, world: World) -> None:
    token = csrf_of(owner.get("/app/week").text)
    started = owner.post(
        "/app/timer/start",
        data={"csrf": token, "project": str(world.project.id), "task": str(world.task.id), "note": "Design"},
    )
    assert started.status_code == 200
    assert 'role="timer"' in started.text and "data-started-at=" in started.text
    assert "My first project · General — Design" in started.text

    world.clock.advance(timedelta(minutes=25))
    stopped = owner.post("/app/timer/stop", data={"csrf": token})

    assert "Start</button>" in stopped.text
    (entry,) = entries_of(world)
    assert entry.duration_seconds == 1500 and entry.note == "Design" and not entry.is_running
    assert '<span id="day-total-0">0:25</span>' in stopped.text


def test_a_timer_that_ran_past_24_hours_stops_at_the_time_its_form_asks_for(
    owner: TestClient, world: World
) -> None:
    """The API stops such a timer with a ``stoppedAt`` within 24 hours of its start, and Stop alone
    is refused; the week page then asks when it stopped (the latest time it may, by default), in
    the organization's time zone."""
    world.services.team.change_org(world.caller(world.owner), ChangeOrg(timezone="Europe/Berlin"))
    token = csrf_of(owner.get("/app/week").text)
    assert (
        'name="stop"'
        not in owner.post("/app/timer/start", data={"csrf": token, "project": str(world.project.id)}).text
    )
    (running,) = entries_of(world)
    assert running.started_at is not None

    world.clock.advance(timedelta(hours=30))
    page = owner.get("/app/week").text
    latest = (running.started_at + timedelta(hours=24)).astimezone(ZoneInfo("Europe/Berlin"))
    local = latest.replace(tzinfo=None, microsecond=0)
    shown = local.isoformat(timespec="minutes" if local.second == 0 else "seconds")
    assert f'name="stop" step="1" required value="{shown}"' in page
    assert "by " + shown.replace("T", " ") + " at the latest" in page

    refused = owner.post("/app/timer/stop", data={"csrf": token})  # Stop alone: as over the API
    assert refused.status_code == 422 and entries_of(world)[0].is_running
    for wrong in ((local + timedelta(minutes=1)).isoformat(timespec="minutes"), "2026-99-01T10:00"):
        refused = owner.post("/app/timer/stop", data={"csrf": token, "stop": wrong})
        assert refused.status_code == 422 and 'aria-invalid="true"' in refused.text, wrong
        assert entries_of(world)[0].is_running

    typed = (local - timedelta(hours=1)).replace(second=0)
    stopped = owner.post("/app/timer/stop", data={"csrf": token, "stop": typed.isoformat(timespec="minutes")})
    assert stopped.status_code == 200, stopped.text
    (entry,) = entries_of(world)
    expected = typed.replace(tzinfo=ZoneInfo("Europe/Berlin")).astimezone(UTC)
    assert not entry.is_running and entry.stopped_at == expected
    assert entry.duration_seconds == int((expected - running.started_at).total_seconds())


@pytest.mark.parametrize(("typed", "stored"), [("  Design review  ", "  Design review  "), ("   ", None)])
def test_the_timer_keeps_its_note_as_typed_as_the_api_does(
    owner: TestClient, world: World, typed: str, stored: str | None
) -> None:
    """``POST /timers`` keeps a note's leading and trailing spaces; the timer form trimmed them. A
    note of spaces only is no note, as on the entry's edit form."""
    token = csrf_of(owner.get("/app/week").text)

    started = owner.post(
        "/app/timer/start", data={"csrf": token, "project": str(world.project.id), "note": typed}
    )

    assert started.status_code == 200, started.text
    (entry,) = entries_of(world)
    assert entry.is_running and entry.note == stored


def test_the_timer_follows_the_apis_rules(owner: TestClient, world: World) -> None:
    token = csrf_of(owner.get("/app/week").text)
    assert owner.post("/app/timer/stop", data={"csrf": token}).status_code == 404
    owner.post("/app/timer/start", data={"csrf": token, "project": str(world.project.id)})

    second = owner.post("/app/timer/start", data={"csrf": token, "project": str(world.project.id)})
    no_project = owner.post("/app/timer/start", data={"csrf": token, "project": ""})

    assert second.status_code == 409
    assert "A timer is already running: stop it first with the timer&#39;s Stop button" in second.text
    assert "stop_running" not in second.text  # the API's option, which no form sends
    assert no_project.status_code == 422 and "Project: choose a project" in no_project.text


def test_a_plan_gate_is_a_notice_with_the_apis_plan_and_feature(world: World) -> None:
    world.set_plan(Plan.FREE)
    with TestClient(create_web_app(world.services), base_url=BASE_URL) as client:
        sign_in(client, world.owner.email, world.owner_password)
        token = csrf_of(client.get("/app/week").text)

        page = client.post(
            "/app/timer/start",
            data={"csrf": token, "project": str(world.project.id), "task": str(world.task.id)},
        )

    assert page.status_code == 402
    assert "Available on the studio plan." in page.text
    assert "Plan: <code>studio</code> · feature: <code>tasks</code>" in page.text


def test_a_cell_that_is_not_of_the_grid_is_refused(owner: TestClient, world: World) -> None:
    token = csrf_of(owner.get("/app/week").text)
    for cell in ("garbage", f"{world.project.id}.-.someday", f"{uuid.uuid4()}.-.2026-03-02"):
        response = owner.post(
            "/app/week/cell", data={"cell": cell, f"d.{cell}": "1h"}, headers={"X-CSRF-Token": token}
        )
        assert response.status_code in (404, 422), cell
    assert entries_of(world) == []


def test_the_timer_is_dated_the_organizations_today_as_the_grid_is(owner: TestClient, world: World) -> None:
    """In Auckland it is Monday 09:00 while UTC is still Sunday: the timer started from the week of
    Monday belongs to Monday, the grid's today, not to the Sunday of the week before (whose
    submitted timesheet would even refuse it)."""
    caller = world.caller(world.owner)
    world.services.team.change_org(caller, ChangeOrg(timezone="Pacific/Auckland"))
    sunday = MONDAY - timedelta(days=1)
    world.clock.set(datetime(2026, 3, 1, 20, 0, tzinfo=UTC))  # 09:00 on Monday 2 March in Auckland
    last_week = world.services.timesheets.create_timesheet(
        caller, CreateTimesheet(week_start=MONDAY - timedelta(days=7), user_id=world.owner.id)
    ).timesheet
    world.services.timesheets.submit(caller, last_week.id)
    page = owner.get("/app/week").text
    assert "Week of 2 March 2026" in page

    started = owner.post(
        "/app/timer/start", data={"csrf": csrf_of(page), "project": str(world.project.id), "note": "Design"}
    )

    assert started.status_code == 200, started.text
    (entry,) = entries_of(world)
    assert entry.is_running and entry.entry_date == MONDAY != sunday
    assert entry.started_at == world.clock.now()


def test_the_plain_form_whose_every_cell_the_store_could_not_take_is_503(
    owner: TestClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full disk (or a busy store) refuses every cell: the page said so in each cell but answered
    422, as if the form were wrong, where every other page answers such a refusal 503."""

    def disk_full(*_args: object) -> None:
        raise StoreFull()

    monkeypatch.setattr("hours_web.pages.week.save_cell", disk_full)
    token = csrf_of(owner.get("/app/week").text)
    cell = ref(world, MONDAY)

    response = owner.post("/app/week", data={"csrf": token, f"d.{cell}": "1h", f"was.{cell}": ""})

    assert response.status_code == 503
    assert "1 cell could not be saved." in response.text and "disk is full" in response.text
