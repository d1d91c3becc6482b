"""Field messages: every wrong field at once, blank names called blank, query parameters in our words."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st
from litestar.enums import ParamType
from litestar.params import ParameterKwarg
from litestar.testing import TestClient
from litestar.typing import FieldDefinition

from hours_http import create_app
from hours_http.decoding import WrongValue, structure_datetime
from tests.http.conftest import bearer
from tests.world import World

UUID_MESSAGE = "must be a UUID such as 5a8591dd-4039-49df-9202-96385ba3eff8"
DATE_MESSAGE = "must be a date in the form YYYY-MM-DD"
BOOL_MESSAGE = "must be true or false"
LIMIT_MESSAGE = "must be an integer from 1 to 500"
SORT_MESSAGE = "must be entryDate or -entryDate"

FRAMEWORK_WORDING = ("Invalid", "RFC3339", "got str", "regex", "int >=", "int <=", "bool", "str of length")


def fields_of(response: Any) -> dict[str, str]:
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "validation_failed"
    return dict(error["fields"])


def token_names(client: TestClient[Any], world: World) -> list[str]:
    listed = client.get("/tokens", headers=bearer(world.member_token)).json()["data"]
    return [token["name"] for token in listed]


# POST /tokens


def test_a_blank_token_name_and_a_lifetime_out_of_range_are_reported_together(
    client: TestClient[Any], world: World
) -> None:
    response = client.post(
        "/tokens", json={"name": "", "expiresInDays": 400}, headers=bearer(world.member_token)
    )
    assert fields_of(response) == {"name": "must not be blank", "expiresInDays": "must be 1 to 365 days"}
    assert response.json()["error"]["message"] == "2 fields are invalid: expiresInDays, name."


def test_a_token_name_too_long_and_a_lifetime_of_zero_days_are_reported_together(
    client: TestClient[Any], world: World
) -> None:
    response = client.post(
        "/tokens", json={"name": "x" * 101, "expiresInDays": 0}, headers=bearer(world.member_token)
    )
    assert fields_of(response) == {
        "name": "must be at most 100 characters (got 101)",
        "expiresInDays": "must be 1 to 365 days",
    }


@pytest.mark.parametrize(
    "name", ["", " ", "\t\n ", "\u3000"], ids=["empty", "space", "whitespace", "ideographic"]
)
def test_a_blank_token_name_is_refused_as_blank(client: TestClient[Any], world: World, name: str) -> None:
    response = client.post("/tokens", json={"name": name}, headers=bearer(world.member_token))
    assert fields_of(response) == {"name": "must not be blank"}


def test_a_refused_token_is_not_minted(client: TestClient[Any], world: World) -> None:
    before = token_names(client, world)
    response = client.post(
        "/tokens", json={"name": " ", "expiresInDays": 400}, headers=bearer(world.member_token)
    )
    assert response.status_code == 422
    assert token_names(client, world) == before


def test_a_token_name_of_100_characters_with_a_lifetime_of_365_days_is_minted(
    client: TestClient[Any], world: World
) -> None:
    name = "n" * 100
    response = client.post(
        "/tokens", json={"name": name, "expiresInDays": 365}, headers=bearer(world.member_token)
    )
    assert response.status_code == 201, response.text
    assert response.json()["data"]["name"] == name
    assert name in token_names(client, world)


def test_a_type_error_in_a_token_body_is_reported_before_the_field_rules(
    client: TestClient[Any], world: World
) -> None:
    response = client.post(
        "/tokens", json={"name": " ", "expiresInDays": "30"}, headers=bearer(world.member_token)
    )
    assert fields_of(response) == {"expiresInDays": "must be an integer, got a string"}


# Project and task names share the rule


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (" ", "must not be blank"),
        ("", "must not be blank"),
        ("p" * 201, "must be at most 200 characters (got 201)"),
    ],
    ids=["space", "empty", "201 characters"],
)
def test_project_and_task_names_follow_the_same_name_rule_as_tokens(
    client: TestClient[Any], world: World, name: str, message: str
) -> None:
    owner = bearer(world.owner_token)
    attempts = [
        client.post("/projects", json={"name": name}, headers=owner),
        client.patch(f"/projects/{world.project.id}", json={"name": name}, headers=owner),
        client.post(f"/projects/{world.project.id}/tasks", json={"name": name}, headers=owner),
        client.patch(f"/tasks/{world.task.id}", json={"name": name}, headers=owner),
    ]
    for response in attempts:
        assert fields_of(response) == {"name": message}
    assert (
        client.get(f"/projects/{world.project.id}", headers=owner).json()["data"]["name"]
        == world.project.name
    )


# GET /time-entries query parameters


@pytest.mark.parametrize(
    ("query", "parameter", "message"),
    [
        ("from=yesterday", "from", DATE_MESSAGE),
        ("from=2026-3-2", "from", DATE_MESSAGE),
        ("from=20260302", "from", DATE_MESSAGE),
        ("from=", "from", DATE_MESSAGE),
        ("from=2026-02-30", "from", "is not a real calendar date: 2026-02-30"),
        ("to=2026-13-01", "to", "is not a real calendar date: 2026-13-01"),
        ("to=tomorrow", "to", DATE_MESSAGE),
        ("projectId=nope", "projectId", UUID_MESSAGE),
        ("taskId=1", "taskId", UUID_MESSAGE),
        ("userId=abc", "userId", UUID_MESSAGE),
        ("userId={5a8591dd-4039-49df-9202-96385ba3eff8}", "userId", UUID_MESSAGE),
        ("billable=yes", "billable", BOOL_MESSAGE),
        ("invoiced=2", "invoiced", BOOL_MESSAGE),
        ("running=", "running", BOOL_MESSAGE),
        ("includeDeleted=maybe", "includeDeleted", BOOL_MESSAGE),
        ("sort=name", "sort", SORT_MESSAGE),
        ("sort=entrydate", "sort", SORT_MESSAGE),
        ("sort=--entryDate", "sort", SORT_MESSAGE),
        ("limit=0", "limit", LIMIT_MESSAGE),
        ("limit=501", "limit", LIMIT_MESSAGE),
        ("limit=-1", "limit", LIMIT_MESSAGE),
        ("limit=ten", "limit", LIMIT_MESSAGE),
        ("limit=1.5", "limit", LIMIT_MESSAGE),
        ("limit=", "limit", LIMIT_MESSAGE),
        ("cursor=" + "A" * 513, "cursor", "must be at most 512 characters"),
        ("cursor=garbage", "cursor", "is not a cursor this API returned; pass nextCursor as it is"),
        (
            "updatedSince=2026-03-02T09:00:00",
            "updatedSince",
            "must be an RFC 3339 date-time with an offset, such as 2019-08-24T14:15:22Z",
        ),
        # Round 7 (tester C): an offset's minute past 59 was read as more hours (+00:99 as +01:39).
        *(
            (
                f"updatedSince=2026-03-02T09:00:00%2B{offset}",
                "updatedSince",
                "must be an RFC 3339 date-time with an offset, such as 2019-08-24T14:15:22Z",
            )
            for offset in ("00:60", "00:99", "05:75", "24:00", "99:00")
        ),
    ],
)
def test_a_wrong_query_parameter_gets_a_message_in_the_words_of_the_body_messages(
    client: TestClient[Any], world: World, query: str, parameter: str, message: str
) -> None:
    response = client.get(f"/time-entries?{query}", headers=bearer(world.owner_token))
    assert fields_of(response) == {parameter: message}
    assert response.json()["error"]["message"] == f"{parameter}: {message}"


def test_every_wrong_query_parameter_is_reported_at_once(client: TestClient[Any], world: World) -> None:
    query = "from=x&to=2026-02-30&userId=abc&billable=q&includeDeleted=1x&sort=z&limit=0"
    response = client.get(f"/time-entries?{query}", headers=bearer(world.owner_token))
    assert fields_of(response) == {
        "from": DATE_MESSAGE,
        "to": "is not a real calendar date: 2026-02-30",
        "userId": UUID_MESSAGE,
        "billable": BOOL_MESSAGE,
        "includeDeleted": BOOL_MESSAGE,
        "sort": SORT_MESSAGE,
        "limit": LIMIT_MESSAGE,
    }
    assert response.json()["error"]["message"] == (
        "7 fields are invalid: billable, from, includeDeleted, limit, sort, to, userId."
    )


def test_right_values_at_the_edges_of_each_rule_are_accepted(client: TestClient[Any], world: World) -> None:
    query = (
        "from=2026-02-28&to=2026-03-31&billable=false&invoiced=false&running=false"
        "&includeDeleted=true&sort=-entryDate&limit=500"
        f"&projectId={world.project.id}&taskId={world.task.id}&userId={world.owner.id}"
    )
    response = client.get(f"/time-entries?{query}", headers=bearer(world.owner_token))
    assert response.status_code == 200, response.text
    assert client.get("/time-entries?limit=1", headers=bearer(world.owner_token)).status_code == 200


def _query_parameters(client: TestClient[Any]) -> list[tuple[str, str, FieldDefinition]]:
    """Every (path, wire name, declared field) of the query parameters of the app's GET endpoints."""
    found = []
    for route in client.app.routes:
        for handler in getattr(route, "route_handlers", []):
            if "GET" not in handler.http_methods or not handler.opt.get("strict_query"):
                continue
            for name, field in handler.parsed_fn_signature.parameters.items():
                definition = field.kwarg_definition
                if type(definition) is ParameterKwarg or not isinstance(definition, ParameterKwarg):
                    continue  # dependencies (NamedDependency) and bodies, not parameters
                if definition.param_type is ParamType.QUERY:
                    path = re.sub(
                        r"\{[^}]+:uuid\}", ANY_ID, route.path
                    )  # the query is refused before the id is read
                    found.append((path, definition.query or definition.name or name, field))
    return found


ANY_ID = "0190c2d4-0000-7000-8000-000000000001"
"""A UUID for a path parameter: a wrong query parameter is refused before the route reads the id."""


def _a_wrong_value(field: FieldDefinition) -> str | None:
    """A value the framework refuses for the declared type, or None when it takes any string."""
    declared = (
        next(inner for inner in field.inner_types if not inner.is_none_type) if field.is_optional else field
    )
    kind = declared.annotation
    definition = field.kwarg_definition
    if kind in (UUID, dt.date, bool, int) or declared.is_literal:
        return "not-a-value"
    max_length = getattr(definition, "max_length", None)
    if kind is str and max_length is not None:
        return "A" * (max_length + 1)
    if kind is str and getattr(definition, "pattern", None):
        return "~"
    return None


def test_every_query_parameter_of_every_get_endpoint_is_refused_in_our_words(
    client: TestClient[Any], world: World
) -> None:
    parameters = _query_parameters(client)
    assert {name for path, name, _ in parameters if path == "/time-entries"} >= {
        "from",
        "to",
        "projectId",
        "taskId",
        "userId",
        "billable",
        "invoiced",
        "running",
        "updatedSince",
        "includeDeleted",
        "sort",
        "limit",
        "cursor",
    }
    checked = 0
    for path, name, field in parameters:
        value = _a_wrong_value(field)
        if value is None:
            continue  # any string passes the framework; the handler checks it (updatedSince)
        response = client.get(path, params={name: value}, headers=bearer(world.owner_token))
        message = fields_of(response)[name]
        assert message.startswith(("must be ", "must match ", "is not ")), (path, name, message)
        assert not any(words in message for words in FRAMEWORK_WORDING), (path, name, message)
        checked += 1
    assert checked >= 12


@pytest.mark.parametrize("name", ["caller", "services", "request", "data", "entry_id"])
def test_handler_arguments_that_are_not_query_parameters_are_refused_as_unknown(
    client: TestClient[Any], world: World, name: str
) -> None:
    listing = client.get("/time-entries", params={name: "x"}, headers=bearer(world.owner_token))
    assert listing.status_code == 422
    assert fields_of(listing) == {name: "is not a query parameter of this endpoint"}
    created = client.post(
        "/time-entries",
        json={"projectId": str(world.project.id), "entryDate": "2026-03-02", "duration": "1h"},
        headers=bearer(world.owner_token),
    )
    entry_id = created.json()["data"]["id"]
    one = client.get(f"/time-entries/{entry_id}", params={name: "x"}, headers=bearer(world.owner_token))
    assert one.status_code == 422
    assert fields_of(one) == {name: "is not a query parameter of this endpoint"}


@pytest.mark.parametrize(
    "query", ["from=2026-01-01&from=2026-02-30", "limit=5&limit=6", "sort=entryDate&sort=-entryDate"]
)
def test_a_query_parameter_given_twice_is_refused(client: TestClient[Any], world: World, query: str) -> None:
    response = client.get(f"/time-entries?{query}", headers=bearer(world.owner_token))
    assert response.status_code == 422
    assert fields_of(response) == {query.split("=", maxsplit=1)[0]: "must be given once"}


def test_the_allowed_query_parameters_of_one_app_do_not_leak_into_the_next(world: World) -> None:
    for _ in range(30):  # apps built and dropped one after another, as in tests or embedded use
        with TestClient(create_app(world.services)) as fresh:
            listing = fresh.get("/time-entries?limit=5", headers=bearer(world.owner_token))
            me = fresh.get("/me?limit=5", headers=bearer(world.owner_token))
        assert listing.status_code == 200
        assert me.status_code == 422


@given(st.sampled_from("+-"), st.integers(0, 99), st.integers(0, 99))
def test_an_offset_is_read_exactly_or_refused(sign: str, hours: int, minutes: int) -> None:
    """RFC 3339: an offset's hour is 00-23 and its minute 00-59; any other is refused, never read as
    another offset (``+00:99`` as +01:39, round 7)."""
    text = f"2026-03-02T09:00:00{sign}{hours:02d}:{minutes:02d}"
    if hours <= 23 and minutes <= 59:
        offset = (1 if sign == "+" else -1) * dt.timedelta(hours=hours, minutes=minutes)
        assert structure_datetime(text, dt.datetime) == dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC) - offset
    else:
        with pytest.raises(WrongValue, match="must be an RFC 3339 date-time with an offset"):
            structure_datetime(text, dt.datetime)


UNKNOWN_PARAMETER = "is not a query parameter of this endpoint"


def test_thousands_of_unknown_query_parameters_get_a_bounded_answer(
    client: TestClient[Any], world: World
) -> None:
    """A query of 8,000 unknown names (55 KB) was answered with each name twice, in ``fields`` and
    in the message (470 KB). The message names the first ten and counts the rest; ``fields`` lists
    the first 100 names in name order."""
    names = [f"p{n}" for n in range(8000)]
    response = client.get(
        "/time-entries?" + "&".join(f"{name}=" for name in names), headers=bearer(world.owner_token)
    )
    assert response.status_code == 422, response.text[:500]
    error = response.json()["error"]
    first = sorted(names)
    assert error["message"] == f"8000 fields are invalid: {', '.join(first[:10])} and 7990 more."
    assert error["fields"] == dict.fromkeys(first[:100], UNKNOWN_PARAMETER)
    assert list(error["fields"]) == first[:100]
    assert len(response.content) < 8_000


@pytest.mark.parametrize("count", [11, 100, 101])
def test_up_to_100_wrong_fields_are_all_listed_and_the_message_names_ten(
    client: TestClient[Any], world: World, count: int
) -> None:
    names = [f"q{n:03d}" for n in range(count)]
    response = client.get(
        "/time-entries?" + "&".join(f"{name}=1" for name in names), headers=bearer(world.owner_token)
    )
    error = response.json()["error"]
    assert error["fields"] == dict.fromkeys(names[:100], UNKNOWN_PARAMETER)
    assert error["message"] == f"{count} fields are invalid: {', '.join(names[:10])} and {count - 10} more."


def test_a_long_name_is_cut_short_in_the_message_and_whole_in_fields_with_tokens_redacted(
    client: TestClient[Any], world: World
) -> None:
    long = "a" * 20_000
    token = world.owner_token
    hidden = "x" * 55 + token  # the token runs past the message's cut: redacted before it
    response = client.get(f"/time-entries?{long}=1&{hidden}=2", headers=bearer(world.owner_token))
    error = response.json()["error"]
    assert set(error["fields"]) == {long, "x" * 55 + "hsk_[redacted]"}
    assert error["message"] == f"2 fields are invalid: {'a' * 63}…, {'x' * 55}hsk_[red…."
    assert token not in response.text and token[:12] not in response.text
    assert len(response.content) < 20_000 + 1_000

    alone = client.get(f"/time-entries?{long}=1", headers=bearer(world.owner_token)).json()["error"]
    assert alone["message"] == f"{'a' * 63}…: {UNKNOWN_PARAMETER}"
    assert alone["fields"] == {long: UNKNOWN_PARAMETER}


def test_bodies_of_many_unknown_members_get_a_bounded_answer_also_in_a_batch(
    client: TestClient[Any], world: World
) -> None:
    keys = [f"k{n}" for n in range(5000)]
    body = "{" + ",".join(f'"{key}":0' for key in keys) + "}"
    headers = {**bearer(world.owner_token), "Content-Type": "application/json"}
    response = client.post("/projects", content=body, headers=headers)
    assert response.status_code == 422, response.text[:500]
    error = response.json()["error"]
    assert error["message"].startswith("5001 fields are invalid: k0, k1, k10, k100, k1000, ")
    assert error["message"].endswith(" and 4991 more.")
    assert len(error["fields"]) == 100
    assert len(response.content) < 8_000

    operation = {"op": "create", "body": dict.fromkeys(keys[:2000], 0)}
    batch = client.post(
        "/time-entries/batch", json={"atomic": True, "operations": [operation] * 20}, headers=headers
    )
    assert batch.status_code == 422, batch.text[:500]
    errors = batch.json()["error"]["errors"]
    assert len(errors) == 20 and all(len(each["fields"]) == 100 for each in errors)
    assert len(batch.content) < 20 * 8_000
