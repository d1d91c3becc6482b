"""``GET /reports/time`` over HTTP, on every store: the body's shape, meta, the members' view, the
plan gates, and one test per error family (status and body)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from litestar.testing import TestClient

from hours_core.model import Plan, RateScope, WeekStart
from hours_core.services import ChangeOrg, ChangeProject, CreateRate, CreateTimeEntry, StartTimer
from tests.http.conftest import bearer
from tests.world import START, World

REPORT = "/reports/time"
MARCH = {"from": "2026-03-01", "to": "2026-03-31"}


def log(world: World, user_index: int, day: str, seconds: int, *, billable: bool = True) -> None:
    user = (world.owner, world.admin, world.member)[user_index]
    world.services.entries.create_time_entry(
        world.caller(user),
        CreateTimeEntry(
            project_id=world.project.id,
            entry_date=date.fromisoformat(day),
            duration_seconds=seconds,
            billable=billable,
        ),
    )


def get(client: TestClient[Any], token: str, **params: Any) -> Any:
    return client.get(REPORT, params=params, headers=bearer(token))


def test_a_report_grouped_by_week_and_user_has_the_documented_shape(
    client: TestClient[Any], world: World
) -> None:
    log(world, 0, "2026-03-02", 900)
    log(world, 0, "2026-03-03", 1350, billable=False)
    log(world, 2, "2026-03-09", 3600)
    response = get(client, world.owner_token, groupBy="week,user", **MARCH)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["meta"] == {
        "from": "2026-03-01",
        "to": "2026-03-31",
        "groupBy": ["week", "user"],
        "weekStart": "monday",
        "rounding": None,
        "running": False,
    }
    totals = body["data"]["totals"]
    assert totals == {
        "key": {"type": "total", "id": None, "label": "Total"},
        "durationSeconds": 5850,
        "billableSeconds": 4500,
        "roundedSeconds": 5850,
        "entryCount": 3,
        "amounts": [],
    }
    weeks = body["data"]["groups"]
    assert [week["key"] for week in weeks] == [
        {"type": "week", "id": "2026-03-02", "label": "2026-03-02"},
        {"type": "week", "id": "2026-03-09", "label": "2026-03-09"},
    ]
    assert weeks[0]["children"] == [
        {
            "key": {"type": "user", "id": str(world.owner.id), "label": world.owner.name},
            "durationSeconds": 2250,
            "billableSeconds": 900,
            "roundedSeconds": 2250,
            "entryCount": 2,
            "amounts": [],
        }
    ]
    assert weeks[1]["children"][0]["key"]["id"] == str(world.member.id)
    assert sum(week["durationSeconds"] for week in weeks) == totals["durationSeconds"]


def test_a_week_that_straddles_two_years_is_under_each_year_with_that_years_time(
    client: TestClient[Any], world: World
) -> None:
    with_client_and_rate(world)  # in effect from 2026-01-01: the 2025 entries store no rate
    log(world, 0, "2025-12-29", 3000)  # Monday: the week of 2025-12-29 holds 2026-01-01 to 04
    log(world, 2, "2025-12-31", 600)
    log(world, 0, "2026-01-02", 900)
    span = {"from": "2025-12-01", "to": "2026-01-31"}
    response = get(client, world.owner_token, groupBy="year,week", rounding="up:60:group", **span)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["meta"]["groupBy"] == ["year", "week"]
    tree = [
        (
            year["key"]["id"],
            year["durationSeconds"],
            year["roundedSeconds"],
            year["amounts"],
            [
                (week["key"]["id"], week["durationSeconds"], week["roundedSeconds"])
                for week in year["children"]
            ],
        )
        for year in body["data"]["groups"]
    ]
    # Each half of the week is a group of the finest level: rounded on its own. 900 s at 90.50 /
    # 40.30 EUR an hour: 2262.5 -> 2262 and 1007.5 -> 1008 (amounts use the raw seconds).
    assert tree == [
        ("2025", 3600, 3600, [], [("2025-12-29", 3600, 3600)]),
        (
            "2026",
            900,
            3600,
            [{"currency": "EUR", "billableMinor": 2262, "costMinor": 1008}],
            [("2025-12-29", 900, 3600)],
        ),
    ]
    totals = body["data"]["totals"]
    assert (totals["durationSeconds"], totals["roundedSeconds"], totals["entryCount"]) == (4500, 7200, 3)
    assert totals["amounts"] == [{"currency": "EUR", "billableMinor": 2262, "costMinor": 1008}]
    by_week = get(client, world.owner_token, groupBy="week,year", **span).json()["data"]["groups"]
    assert [
        (w["key"]["id"], [(y["key"]["id"], y["durationSeconds"]) for y in w["children"]]) for w in by_week
    ] == [("2025-12-29", [("2025", 3600), ("2026", 900)])]


def test_every_combination_of_levels_that_issue_13_lists_is_answered(
    client: TestClient[Any], world: World
) -> None:
    log(world, 0, "2026-03-31", 600)
    log(world, 2, "2026-04-01", 900)
    span = {"from": "2026-03-01", "to": "2026-04-30"}
    pairs = ["day,week", "day,month", "day,year", "month,year", "week,month", "month,week", "week,year"]
    for levels in [
        *pairs,
        *(f"{pair},user" for pair in pairs),
        "year,week",
        "day,user,week",
        "project,client",
    ]:
        response = get(client, world.owner_token, groupBy=levels, **span)
        assert response.status_code == 200, (levels, response.text)
        assert response.json()["data"]["totals"]["durationSeconds"] == 1500
    client_first = get(client, world.owner_token, groupBy="project,client", **span).json()["data"]
    (project,) = client_first["groups"]
    assert [child["key"] for child in project["children"]] == [
        {"type": "client", "id": None, "label": "No client"}
    ]
    weeks = get(client, world.owner_token, groupBy="month,week", **span).json()["data"]["groups"]
    # The week of Monday 2026-03-30 holds both days: under March with the first, April the second.
    assert [
        (m["key"]["id"], [(w["key"]["id"], w["durationSeconds"]) for w in m["children"]]) for m in weeks
    ] == [
        ("2026-03", [("2026-03-30", 600)]),
        ("2026-04", [("2026-03-30", 900)]),
    ]


def test_without_group_by_the_report_is_the_totals_alone(client: TestClient[Any], world: World) -> None:
    log(world, 1, "2026-03-05", 600)
    body = get(client, world.admin_token, **MARCH).json()
    assert body["data"]["groups"] == []
    assert body["data"]["totals"]["durationSeconds"] == 600
    assert body["meta"]["groupBy"] == []


def test_week_start_defaults_to_the_orgs_and_a_parameter_overrides_it(
    client: TestClient[Any], world: World
) -> None:
    log(world, 0, "2026-03-08", 60)  # a Sunday
    monday = get(client, world.owner_token, groupBy="week", **MARCH).json()
    assert [g["key"]["id"] for g in monday["data"]["groups"]] == ["2026-03-02"]
    world.services.team.change_org(world.caller(world.owner), ChangeOrg(week_start=WeekStart.SUNDAY))
    sunday = get(client, world.owner_token, groupBy="week", **MARCH).json()
    assert (sunday["meta"]["weekStart"], [g["key"]["id"] for g in sunday["data"]["groups"]]) == (
        "sunday",
        ["2026-03-08"],
    )
    again = get(client, world.owner_token, groupBy="week", weekStart="monday", **MARCH).json()
    assert [g["key"]["id"] for g in again["data"]["groups"]] == ["2026-03-02"]


def test_rounding_is_applied_and_echoed_in_its_canonical_spelling(
    client: TestClient[Any], world: World
) -> None:
    log(world, 0, "2026-03-02", 900)
    log(world, 0, "2026-03-02", 901)
    body = get(client, world.owner_token, groupBy="day", rounding="up:15:entry", **MARCH).json()
    assert body["meta"]["rounding"] == "up:15:entry"
    assert (body["data"]["totals"]["durationSeconds"], body["data"]["totals"]["roundedSeconds"]) == (
        1801,
        2700,
    )


def test_filters_repeat_and_combine(client: TestClient[Any], world: World) -> None:
    log(world, 0, "2026-03-02", 100)
    log(world, 1, "2026-03-02", 200, billable=False)
    log(world, 2, "2026-03-02", 400)
    params = [("from", "2026-03-01"), ("to", "2026-03-31"), ("userId", str(world.owner.id))]
    params.append(("userId", str(world.admin.id)))
    both = client.get(REPORT, params=params, headers=bearer(world.owner_token)).json()
    assert both["data"]["totals"]["durationSeconds"] == 300
    billable = client.get(REPORT, params=[*params, ("billable", "true")], headers=bearer(world.owner_token))
    assert billable.json()["data"]["totals"]["durationSeconds"] == 100
    by_project = get(client, world.owner_token, projectId=str(world.project.id), **MARCH).json()
    assert by_project["data"]["totals"]["entryCount"] == 3


def test_members_report_on_their_own_time_only(client: TestClient[Any], world: World) -> None:
    log(world, 0, "2026-03-02", 100)
    log(world, 2, "2026-03-02", 400)
    own = get(client, world.member_token, groupBy="user", **MARCH).json()
    assert [g["key"]["id"] for g in own["data"]["groups"]] == [str(world.member.id)]
    assert own["data"]["totals"]["durationSeconds"] == 400
    refused = get(client, world.member_token, userId=str(world.owner.id), **MARCH)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "forbidden"


def test_a_running_timer_counts_up_to_now_and_meta_says_so(client: TestClient[Any], world: World) -> None:
    world.services.entries.start_timer(world.caller(world.owner), StartTimer(project_id=world.project.id))
    world.clock.advance(timedelta(minutes=10))
    body = get(client, world.owner_token, **MARCH).json()
    assert body["meta"]["running"] is True
    assert body["data"]["totals"]["durationSeconds"] == 600


def test_deleted_entries_never_count(client: TestClient[Any], world: World) -> None:
    log(world, 0, "2026-03-02", 100)
    caller = world.caller(world.owner)
    entry = world.services.entries.create_time_entry(
        caller, CreateTimeEntry(project_id=world.project.id, entry_date=START.date(), duration_seconds=50)
    )
    world.services.entries.delete_time_entry(caller, entry.id)
    assert get(client, world.owner_token, **MARCH).json()["data"]["totals"]["durationSeconds"] == 100


def test_every_wrong_parameter_is_named_at_once(client: TestClient[Any], world: World) -> None:
    response = get(
        client,
        world.owner_token,
        **{"from": "2026-01-01", "to": "2027-01-03"},
        groupBy="day,day",
        rounding="UP:7",
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_failed"
    assert set(error["fields"]) == {"to", "groupBy", "rounding"}
    assert "366 days" in error["fields"]["to"]


def test_a_too_long_group_by_or_rounding_is_named_with_every_other_wrong_parameter(
    client: TestClient[Any], world: World
) -> None:
    # The length caps are rules of groupBy and rounding (the core's checks, with their messages), not
    # a form the framework checks first: a wrong range is still named beside them.
    response = get(
        client,
        world.owner_token,
        **{"from": "2026-01-01", "to": "2027-01-03"},
        groupBy="project," * 13,
        rounding="up:15:entry" * 4,
    )
    assert response.status_code == 422
    fields = response.json()["error"]["fields"]
    assert set(fields) == {"to", "groupBy", "rounding"}
    assert "day, week, month, year, user, client, project, task, billable" in fields["groupBy"]
    assert (
        fields["rounding"].startswith("must be MODE:MINUTES:SCOPE")
        and "(got 44 characters)" in fields["rounding"]
    )
    document = client.get("/schema/openapi.json").json()
    schemas = {each["name"]: each["schema"] for each in document["paths"][REPORT]["get"]["parameters"]}
    assert (schemas["groupBy"]["maxLength"], schemas["rounding"]["maxLength"]) == (100, 40)


def test_from_and_to_are_required(client: TestClient[Any], world: World) -> None:
    response = client.get(REPORT, headers=bearer(world.owner_token))
    assert response.status_code == 422
    assert {"from", "to"} <= set(response.json()["error"]["fields"])


def test_a_range_of_366_days_is_allowed(client: TestClient[Any], world: World) -> None:
    assert get(client, world.owner_token, **{"from": "2026-01-01", "to": "2027-01-02"}).status_code == 200
    assert get(client, world.owner_token, **{"from": "2026-01-01", "to": "2027-01-03"}).status_code == 422


def test_a_filter_given_once_is_still_refused_when_it_is_unknown_or_a_scalar_repeats(
    client: TestClient[Any], world: World
) -> None:
    params = [("from", "2026-03-01"), ("to", "2026-03-31"), ("to", "2026-03-30"), ("clientID", "x")]
    response = client.get(REPORT, params=params, headers=bearer(world.owner_token))
    assert response.status_code == 422
    assert set(response.json()["error"]["fields"]) == {"to", "clientID"}


def test_rounding_needs_solo_and_names_the_feature(client: TestClient[Any], world: World) -> None:
    world.set_plan(Plan.FREE)
    response = get(client, world.owner_token, rounding="up:15:entry", **MARCH)
    assert response.status_code == 402
    error = response.json()["error"]
    assert (error["code"], error["requiredPlan"], error["feature"]) == ("plan_required", "solo", "rounding")
    assert get(client, world.owner_token, **MARCH).status_code == 200  # reports themselves: every plan


def test_the_report_is_in_the_openapi_document(client: TestClient[Any], world: World) -> None:
    document = client.get("/schema/openapi.json").json()
    operation = document["paths"][REPORT]["get"]
    names = {parameter["name"] for parameter in operation["parameters"]}
    assert {
        "from",
        "to",
        "groupBy",
        "weekStart",
        "rounding",
        "userId",
        "projectId",
        "taskId",
        "clientId",
        "billable",
    } <= names
    assert set(operation["responses"]) >= {"200", "402", "403", "422"}
    meta = document["components"]["schemas"]["ReportMeta"]
    assert set(meta["required"]) == {"from", "to", "groupBy", "weekStart", "rounding", "running"}


def with_client_and_rate(world: World) -> str:
    """Acme (EUR) as the client of the world's project, and an org rate of 90.50 / 40.30 EUR an hour."""
    caller = world.caller(world.owner)
    client = world.services.clients.create_client(caller, "Acme", "EUR")
    world.services.projects.change_project(caller, world.project.id, ChangeProject(client_id=client.id))
    world.services.rates.create_rate(
        caller,
        CreateRate(
            scope=RateScope.CLIENT,
            client_id=client.id,
            effective_from=date(2026, 1, 1),
            billable_rate_minor=9050,
            cost_rate_minor=4030,
        ),
    )
    return str(client.id)


def test_amounts_are_per_entry_half_even_sums_per_currency(client: TestClient[Any], world: World) -> None:
    client_id = with_client_and_rate(world)
    log(world, 0, "2026-03-02", 600)  # 1508.33 -> 1508 billable, 671.66 -> 672 cost
    log(world, 0, "2026-03-02", 1350, billable=False)  # cost 1511.25 -> 1511
    body = get(client, world.owner_token, groupBy="client", rounding="up:15:entry", **MARCH).json()
    (acme,) = body["data"]["groups"]
    assert acme["key"] == {"type": "client", "id": client_id, "label": "Acme"}
    # Rounded up to 900 and 1800 seconds: 2262.5 -> 2262 billable; 1007.5 -> 1008 and 2015 cost.
    assert acme["amounts"] == [{"currency": "EUR", "billableMinor": 2262, "costMinor": 3023}]
    assert body["data"]["totals"]["amounts"] == acme["amounts"]
    raw = get(client, world.owner_token, clientId=client_id, **MARCH).json()
    assert raw["data"]["totals"]["amounts"] == [{"currency": "EUR", "billableMinor": 1508, "costMinor": 2183}]


def test_a_plan_without_rates_gets_the_report_without_amounts(client: TestClient[Any], world: World) -> None:
    with_client_and_rate(world)
    log(world, 0, "2026-03-02", 600)
    world.set_plan(Plan.FREE)
    response = get(client, world.owner_token, groupBy="client", **MARCH)
    assert response.status_code == 200
    body = response.json()
    assert body["data"]["totals"]["amounts"] == []
    assert body["data"]["groups"][0]["amounts"] == []
    assert body["data"]["totals"]["durationSeconds"] == 600
