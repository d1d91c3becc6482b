"""The OpenAPI document says what the API really does: error bodies, headers, codes per operation."""

from __future__ import annotations

import pathlib
import re
import uuid
from collections.abc import Iterator
from typing import Any

import jsonschema_rs
import pytest
from litestar.testing import TestClient

from hours_core.events import SHARED_SUBJECTS
from hours_core.model import Plan
from hours_core.plans import FEATURE_PLANS, Feature
from hours_core.subscriptions import EVENT_FAMILIES
from hours_core.tokens import TOKEN_PATTERN
from hours_http import create_app
from hours_http.controllers.account import TOKEN_PREFIX_PATTERN
from hours_http.errors import STATUS_BY_CODE, VARYING_STATUSES
from hours_http.openapi import SCALAR_VERSION, SWAGGER_UI_VERSION
from hours_http.rate_limit import RateLimit
from hours_memory import InMemoryStore
from tests.http.conftest import bearer
from tests.world import START, World, make_world

ERROR_ENVELOPE = {"$ref": "#/components/schemas/ErrorEnvelope"}
CODE = re.compile(r"`([a-z]+(?:_[a-z]+)+|[a-z]+)`:")
METHODS = {"get", "post", "patch", "put", "delete"}


@pytest.fixture(scope="module")
def world() -> World:
    return make_world(InMemoryStore().unit_of_work)


@pytest.fixture(scope="module")
def client(world: World) -> Iterator[TestClient[Any]]:
    with TestClient(create_app(world.services)) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def document(client: TestClient[Any]) -> dict[str, Any]:
    response = client.get("/schema/openapi.json")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def operations(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield f"{method.upper()} {path}", operation


def codes_in(description: str) -> set[str]:
    return set(CODE.findall(description))


def header(document: dict[str, Any], declared: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in declared:
        found: dict[str, Any] = document["components"]["headers"][declared["$ref"].rsplit("/", 1)[1]]
        return found
    return declared


def test_no_operation_documents_an_error_body_other_than_ours(document: dict[str, Any]) -> None:
    for name, operation in operations(document):
        for status, response in operation["responses"].items():
            if int(status) >= 400:
                assert response["content"]["application/json"]["schema"] == ERROR_ENVELOPE, (name, status)
                assert "status_code" not in str(response), (name, status)
                assert "Bad request syntax" not in response["description"], (name, status)


def test_every_error_description_names_codes_of_its_own_status(document: dict[str, Any]) -> None:
    for name, operation in operations(document):
        for status, response in operation["responses"].items():
            if int(status) >= 400:
                codes = codes_in(response["description"])
                assert codes, (name, status)
                for code in codes:
                    statuses = VARYING_STATUSES.get(code, {STATUS_BY_CODE[code]})
                    assert int(status) in statuses, (name, status, codes)


@pytest.mark.parametrize(
    ("operation", "absent"),
    [
        (
            "POST /tokens",
            {"idempotency_key_invalid", "idempotency_key_reused", "idempotency_request_in_progress"},
        ),
        ("GET /time-entries", {"idempotency_key_reused", "invalid_json", "not_found"}),
        ("GET /time-entries/{entry_id}", {"idempotency_key_reused", "idempotency_key_invalid"}),
        ("DELETE /time-entries/{entry_id}", {"idempotency_key_reused", "idempotency_request_in_progress"}),
        ("DELETE /tokens/{prefix}", {"idempotency_key_reused", "forbidden"}),
        ("POST /time-entries/{entry_id}/restore", {"invalid_json"}),
        ("PATCH /tasks/{task_id}", {"plan_required"}),
        ("POST /timesheets/{timesheet_id}/submit", {"forbidden", "invalid_json"}),
        ("GET /periods", {"forbidden", "plan_required", "entry_locked", "idempotency_key_reused"}),
        ("POST /periods/unlock", {"plan_required"}),
    ],
)
def test_an_operation_names_no_code_it_cannot_return(
    document: dict[str, Any], operation: str, absent: set[str]
) -> None:
    responses = dict(operations(document))[operation]["responses"]
    named = set().union(*(codes_in(r["description"]) for s, r in responses.items() if int(s) >= 400))
    assert not named & absent


def test_every_operation_documents_each_cause_of_503_and_every_cause_of_401(
    document: dict[str, Any],
) -> None:
    for name, operation in operations(document):
        if name == "GET /health":
            continue
        responses = operation["responses"]
        assert codes_in(responses["503"]["description"]) == {
            "store_busy",
            "store_full",
            "service_unavailable",
        }, name
        assert "other-environment" in responses["401"]["description"], name


def test_every_operation_documents_what_any_request_is_refused_for_before_routing(
    client: TestClient[Any], document: dict[str, Any], world: World
) -> None:
    """A repeated ``Authorization`` or ``Idempotency-Key`` (400) and a ``Content-Encoding`` (415)
    are refused on every route, and a body over the limit (413) on every route with a token, whether
    it reads a body or not: each operation lists them, and the server answers them (the repeated
    headers: ``tests/http/test_strict_parameters.py``)."""
    for name, operation in operations(document):
        responses = operation["responses"]
        assert "bad_request" in codes_in(responses["400"]["description"]), name
        assert "Content-Encoding" in responses["415"]["description"], name
        assert "unsupported_media_type" in codes_in(responses["415"]["description"]), name
        # hours_http.host_header, around every route: the 400 of a Host no URL can be built from;
        # hours_http.body_deadline, on a route that reads a body: the 408 of a body that stopped
        # arriving and the 400 of one that cannot be read (a route that reads none waits for none)
        assert "`Host`" in responses["400"]["description"], name
        if "requestBody" in operation:
            assert codes_in(responses["408"]["description"]) == {"request_timeout"}, name
            assert "chunked" in responses["400"]["description"], name
        else:
            assert "408" not in responses and "chunked" not in responses["400"]["description"], name
        if name != "GET /health":
            assert "payload_too_large" in codes_in(responses["413"]["description"]), name
    owner = bearer(world.owner_token)
    for path in ("/me", "/health"):
        coded = client.get(path, headers={**owner, "Content-Encoding": "gzip"})
        assert (coded.status_code, coded.json()["error"]["code"]) == (415, "unsupported_media_type")
    too_big = client.request("GET", "/me", content=b"x" * (64 * 1024 + 1), headers=owner)
    assert (too_big.status_code, too_big.json()["error"]["code"]) == (413, "payload_too_large")


def test_only_writes_checked_for_overlaps_promise_warnings(document: dict[str, Any]) -> None:
    """A stop and a read are never checked for overlaps (docs/api.md, "Overlaps"): their 200 has no
    ``warnings``; a create, an update and a restore may carry them."""

    def members(name: str, status: str) -> set[str]:
        content = dict(operations(document))[name]["responses"][status]["content"]["application/json"]
        schema = document["components"]["schemas"][content["schema"]["$ref"].rsplit("/", 1)[1]]
        return set(schema["properties"])

    for name in ("POST /timers/current/stop", "GET /timers/current", "GET /time-entries/{entry_id}"):
        assert members(name, "200") == {"data"}, name
    for name, status in (
        ("POST /time-entries", "201"),
        ("POST /timers", "201"),
        ("PATCH /time-entries/{entry_id}", "200"),
        ("POST /time-entries/{entry_id}/restore", "200"),
    ):
        assert members(name, status) == {"data", "warnings"}, name


def test_an_unknown_page_under_schema_is_the_references_html_404_as_documented(
    client: TestClient[Any],
) -> None:
    """docs/api.md ("JSON only"): the documents under /schema are not JSON, nor is their 404."""
    answer = client.get("/schema/nope")
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("text/html")
    assert answer.headers["x-request-id"]


def test_the_201_of_post_tokens_promises_no_url(document: dict[str, Any]) -> None:
    created = document["paths"]["/tokens"]["post"]["responses"]["201"]
    assert "URL" not in created["description"]
    assert "Location" not in created.get("headers", {})


def test_post_tokens_documents_the_409_of_a_taken_prefix(document: dict[str, Any]) -> None:
    responses = document["paths"]["/tokens"]["post"]["responses"]
    assert codes_in(responses["409"]["description"]) == {"conflict"}


def test_every_201_that_sends_location_declares_it(client: TestClient[Any], world: World) -> None:
    owner = bearer(world.owner_token)
    requests = {
        "POST /time-entries": (
            "/time-entries",
            {"projectId": str(world.project.id), "entryDate": "2026-03-02", "durationSeconds": 60},
        ),
        "POST /timers": ("/timers", {"projectId": str(world.project.id), "stopRunning": True}),
        "POST /projects": ("/projects", {"name": "Location"}),
        "POST /projects/{project_id}/tasks": (f"/projects/{world.project.id}/tasks", {"name": "Location"}),
        "POST /tokens": ("/tokens", {"name": "location"}),
    }
    document = client.get("/schema/openapi.json").json()
    documented = dict(operations(document))
    for name, (path, body) in requests.items():
        response = client.post(path, json=body, headers=owner)
        assert response.status_code == 201, (name, response.text)
        declared = documented[name]["responses"]["201"].get("headers", {})
        if "location" in response.headers:
            assert declared["Location"]["required"] is True, name
        else:
            assert "Location" not in declared, name


def test_operations_that_honor_idempotency_key_declare_idempotent_replayed(document: dict[str, Any]) -> None:
    for name, operation in operations(document):
        takes_key = any(p["name"] == "Idempotency-Key" for p in operation.get("parameters", []))
        success = next(r for s, r in operation["responses"].items() if int(s) < 300)
        assert ("Idempotent-Replayed" in (success.get("headers") or {})) == takes_key, name
        assert ("idempotency_key_invalid" in str(operation["responses"])) == takes_key, name


def test_a_replay_carries_the_declared_idempotent_replayed_value(
    client: TestClient[Any], world: World, document: dict[str, Any]
) -> None:
    headers = {**bearer(world.owner_token), "Idempotency-Key": "0190c2d4-0000-7000-8000-00000000abcd"}
    body = {"name": "Replayed"}
    client.post("/projects", json=body, headers=headers)
    replay = client.post("/projects", json=body, headers=headers)
    declared = document["paths"]["/projects"]["post"]["responses"]["201"]["headers"]["Idempotent-Replayed"]
    assert replay.headers["idempotent-replayed"] in header(document, declared)["schema"]["enum"]


def test_401_declares_www_authenticate_as_always_sent(
    client: TestClient[Any], document: dict[str, Any]
) -> None:
    for name, operation in operations(document):
        if name == "GET /health":
            continue
        declared = header(document, operation["responses"]["401"]["headers"]["WWW-Authenticate"])
        assert declared["required"] is True, name
    for authorization in ({}, {"Authorization": "Basic x"}):
        answer = client.get("/me", headers=authorization)
        assert answer.headers["www-authenticate"] in declared["schema"]["enum"]


def test_retry_after_is_declared_on_409_exactly_where_a_key_can_be_in_progress(
    document: dict[str, Any],
) -> None:
    for name, operation in operations(document):
        conflict = operation["responses"].get("409")
        if conflict is None:
            continue
        in_progress = "idempotency_request_in_progress" in codes_in(conflict["description"])
        assert ("Retry-After" in conflict["headers"]) == in_progress, name


def test_429_declares_retry_after_and_the_rate_limit_headers_it_sends(world: World) -> None:
    app = create_app(world.services, rate_limit=RateLimit(limit=1, window=60))
    with TestClient(app) as client:
        document = client.get("/schema/openapi.json").json()
        client.get("/me", headers=bearer(world.admin_token))
        refused = client.get("/me", headers=bearer(world.admin_token))
    assert refused.status_code == 429
    declared = document["paths"]["/me"]["get"]["responses"]["429"]["headers"]
    assert set(declared) == {"Retry-After", "RateLimit-Policy", "RateLimit", "X-Request-Id"}
    for name, declaration in declared.items():
        spec = header(document, declaration)
        assert spec["required"] is True
        value = refused.headers[name]
        pattern = spec["schema"].get("pattern")
        assert pattern is None or re.fullmatch(pattern.strip("^$"), value), (name, value)


def test_503_declares_retry_after_as_every_503_sends_it(document: dict[str, Any]) -> None:
    busy = document["paths"]["/me"]["get"]["responses"]["503"]["headers"]["Retry-After"]
    assert header(document, busy)["required"] is True  # store_busy and service_unavailable alike


def test_the_error_body_has_no_nullable_member(document: dict[str, Any]) -> None:
    body = document["components"]["schemas"]["ErrorBody"]
    assert body["required"] == ["code", "message"]
    for name, member in body["properties"].items():
        assert "null" not in str(member).lower(), name
        assert "oneOf" not in member, name


def test_the_required_plan_is_one_a_feature_can_require(document: dict[str, Any]) -> None:
    members = document["components"]["schemas"]["ErrorBody"]["properties"]
    plans = set(members["requiredPlan"]["enum"])
    assert {plan.value for plan in FEATURE_PLANS.values()} <= plans  # today solo and studio
    assert plans == {plan.value for plan in Plan} - {Plan.FREE.value}  # free is never required
    assert set(members["feature"]["enum"]) == {feature.value for feature in Feature}


def test_bad_path_and_query_input_gets_a_documented_status_and_our_error_body(
    client: TestClient[Any], world: World, document: dict[str, Any]
) -> None:
    owner = bearer(world.owner_token)
    entry = "0190c2d4-0000-7000-8000-000000000001"
    cases = [
        ("GET", "/time-entries?limit=abc", "GET /time-entries", 422),
        ("GET", "/time-entries?from=2026-13-01", "GET /time-entries", 422),
        ("GET", "/time-entries?cursor=garbage", "GET /time-entries", 422),
        ("GET", "/time-entries?bogus=1", "GET /time-entries", 422),
        ("GET", "/time-entries/not-a-uuid", "GET /time-entries/{entry_id}", 404),
        ("GET", f"/time-entries/{entry}?bogus=1", "GET /time-entries/{entry_id}", 422),
        ("DELETE", "/time-entries/not-a-uuid", "DELETE /time-entries/{entry_id}", 404),
        ("GET", "/projects/not-a-uuid", "GET /projects/{project_id}", 404),
        ("GET", "/projects/not-a-uuid/tasks", "GET /projects/{project_id}/tasks", 404),
        ("DELETE", "/tokens/short", "DELETE /tokens/{prefix}", 404),
        ("DELETE", "/tokens/abc?bogus=1", "DELETE /tokens/{prefix}", 422),
    ]
    documented = dict(operations(document))
    for method, url, operation, status in cases:
        response = client.request(method, url, headers=owner)
        assert response.status_code == status, (method, url, response.text)
        assert str(status) in documented[operation]["responses"], (operation, status)
        assert set(response.json()) == {"error"}
        assert response.json()["error"]["code"] in codes_in(
            documented[operation]["responses"][str(status)]["description"]
        )


def test_the_documented_token_prefix_is_the_prefix_of_a_token(world: World) -> None:
    prefix = TOKEN_PATTERN.fullmatch(world.owner_token)["prefix"]  # type: ignore[index]
    assert re.fullmatch(TOKEN_PREFIX_PATTERN, prefix)


def test_duration_seconds_has_a_minimum_of_zero(document: dict[str, Any]) -> None:
    seconds = document["components"]["schemas"]["TimeEntryOut"]["properties"]["durationSeconds"]
    assert seconds["minimum"] == 0
    assert "exclusiveMinimum" not in seconds


def test_updated_since_carries_its_format_with_its_string_type(document: dict[str, Any]) -> None:
    """The format belongs to the string (it was once beside a ``oneOf`` of string and null; the null
    branch is gone since no parameter takes null)."""
    parameter = next(
        p for p in document["paths"]["/time-entries"]["get"]["parameters"] if p["name"] == "updatedSince"
    )
    schema = parameter["schema"]
    assert (schema["type"], schema["format"], "oneOf" in schema) == ("string", "date-time", False)


def test_me_always_has_its_token(document: dict[str, Any]) -> None:
    assert document["components"]["schemas"]["Me"]["properties"]["token"] == {
        "$ref": "#/components/schemas/MeToken"
    }


def test_the_description_says_where_tokens_are_minted(document: dict[str, Any]) -> None:
    description = document["info"]["description"]
    assert "POST /tokens" in description
    assert "hours tokens create" in description


def test_the_documentation_pages_load_pinned_versions(client: TestClient[Any]) -> None:
    scalar = client.get("/schema").text
    swagger = client.get("/schema/swagger").text
    assert f"@scalar/api-reference@{SCALAR_VERSION}" in scalar
    assert f"swagger-ui-dist@{SWAGGER_UI_VERSION}" in swagger
    assert "@latest" not in scalar + swagger


def test_the_declared_error_headers_are_the_ones_error_response_sends() -> None:
    from hours_core import errors as core_errors
    from hours_http.errors import error_response
    from hours_http.openapi import _HEADERS_BY_CODE

    samples = {
        "unauthenticated": core_errors.Unauthenticated(token_sent=True),
        "idempotency_request_in_progress": core_errors.IdempotencyRequestInProgress(),
        "store_busy": core_errors.StoreBusy(),
        "store_full": core_errors.StoreFull(),
        "not_found": core_errors.NotFound(),
        "conflict": core_errors.Conflict(),
        "forbidden": core_errors.Forbidden(),
    }
    for code, error in samples.items():
        sent = {name.lower() for name in error_response(error).headers}
        declared = {name.lower() for name in _HEADERS_BY_CODE.get(code, ())}
        assert declared <= sent, code
        assert not ({"retry-after", "www-authenticate"} & sent) - declared, code


def _schemas_in(node: object) -> Iterator[dict[str, Any]]:
    """Every object of the document, depth first."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _schemas_in(value)
    elif isinstance(node, list):
        for value in node:
            yield from _schemas_in(value)


def test_no_one_of_lets_a_value_match_two_branches_by_type(document: dict[str, Any]) -> None:
    """``oneOf`` refuses a value that two branches accept: ``integer`` beside ``number`` (every whole
    number is both), or one type twice. A change feed event with a whole number once broke this."""
    clashes = []
    for schema in _schemas_in(document):
        branches = schema.get("oneOf")
        if not isinstance(branches, list):
            continue
        types = [branch.get("type") for branch in branches if isinstance(branch, dict) and "type" in branch]
        if ("integer" in types and "number" in types) or len(types) != len(set(map(str, types))):
            clashes.append(branches)
    assert clashes == []


def test_a_change_feed_event_with_a_whole_number_matches_its_documented_shape(
    client: TestClient[Any], world: World, document: dict[str, Any]
) -> None:
    owner = bearer(world.owner_token)
    assert client.patch("/org", json={"lockPolicy": {"afterDays": 7}}, headers=owner).status_code == 200
    events = client.get("/changes", params={"limit": "500"}, headers=owner).json()["data"]
    change = next(event for event in events if event["type"] == "org.updated")["changes"]["lockAfterDays"]
    assert change == {"from": None, "to": 7}
    shape = document["components"]["schemas"]["ChangeOut"]["properties"]["to"]["oneOf"]
    assert [branch for branch in shape if branch.get("type") in ("integer", "number")] == [{"type": "number"}]


def test_every_request_body_object_refuses_unknown_members_as_the_app_does(document: dict[str, Any]) -> None:
    """The app refuses unknown members in every body, nested objects included (422): the document says
    so with ``additionalProperties: false`` on each request body object."""
    open_bodies = [
        name
        for name, schema in document["components"]["schemas"].items()
        if name.endswith("Body")
        and schema.get("type") == "object"
        and schema.get("additionalProperties") is not False
        and name not in ("ErrorBody", "HealthBody")  # response bodies
    ]
    assert open_bodies == []


# Each query parameter as the document states it (required or not, bounds, values) against what the
# handler does with it. A 422 "names" a parameter when its `fields` has the parameter's name.
_REQUIRED_SAMPLES = {"from": "2026-03-01", "to": "2026-03-31"}


def _query_parameters(operation: dict[str, Any]) -> list[dict[str, Any]]:
    return [parameter for parameter in operation.get("parameters", []) if parameter["in"] == "query"]


def _value_schema(parameter: dict[str, Any]) -> dict[str, Any]:
    """The parameter's schema without its ``null`` branch, with the constraints beside ``oneOf``."""
    schema: dict[str, Any] = parameter["schema"]
    branches = [branch for branch in schema.get("oneOf", []) if branch.get("type") != "null"]
    if len(branches) != 1:
        return schema
    return {**branches[0], **{key: value for key, value in schema.items() if key != "oneOf"}}


def _sample(parameter: dict[str, Any]) -> str:
    """A valid value of a required parameter."""
    schema = _value_schema(parameter)
    if "enum" in schema:
        return str(schema["enum"][0])
    return _REQUIRED_SAMPLES[parameter["name"]]


def _url(path: str, world: World, entry_id: str) -> str:
    """``path`` with its ids: the owner's entry, the world's project, unknown ids elsewhere (the query
    is checked before the id is looked up)."""
    ids = {"entry_id": entry_id, "project_id": str(world.project.id), "user_id": str(world.member.id)}
    return re.sub(
        r"\{(\w+)\}",
        lambda m: ids.get(m[1], "0190c2d4-0000-7000-8000-00000000ffff" if "_id" in m[1] else "x"),
        path,
    )


def _fields_of(response: Any) -> set[str]:
    if response.status_code != 422:
        return set()
    return set(response.json()["error"].get("fields", {}))


@pytest.fixture(scope="module")
def entry_id(client: TestClient[Any], world: World) -> str:
    created = client.post(
        "/time-entries",
        json={"projectId": str(world.project.id), "entryDate": "2026-03-02", "duration": "1h"},
        headers=bearer(world.owner_token),
    )
    assert created.status_code == 201, created.text
    entry: str = created.json()["data"]["id"]
    return entry


def test_no_parameter_documents_null_which_the_server_refuses(
    client: TestClient[Any], world: World, document: dict[str, Any], entry_id: str
) -> None:
    """A query string or a header carries text, and no text is ``null``: a client leaves a parameter
    out instead. The server refuses ``?billable=null`` or ``?from=null`` as any other wrong value
    (422 naming it), so no parameter's schema may take ``null`` (schemathesis sent ``from=null`` to
    ``GET /reports/time``, where the document had the required ``from`` as a date or null)."""
    nullable = [
        (name, parameter["in"], parameter["name"])
        for name, operation in operations(document)
        for parameter in operation.get("parameters", [])
        if jsonschema_rs.validator_for(parameter["schema"]).is_valid(None)
    ]
    assert nullable == []
    owner = bearer(world.owner_token)
    required = {"from": "2026-03-01", "to": "2026-03-31"}
    for url, name in [
        ("/time-entries", "billable"),
        ("/time-entries", "projectId"),
        ("/reports/time", "from"),
        ("/timesheets", "status"),
        ("/changes", "after"),
    ]:
        params = {**(required if url == "/reports/time" else {}), name: "null"}
        assert name in _fields_of(client.get(url, params=params, headers=owner)), (url, name)


def test_the_reason_of_an_override_in_a_query_is_documented_as_the_one_in_a_body(
    client: TestClient[Any], world: World, document: dict[str, Any], entry_id: str
) -> None:
    """``DELETE /time-entries/{id}?overrideLock=true&reason=...`` (and the other overrides in a query)
    hold ``reason`` to the rules of the body's: 1 to 500 characters, not blank. The document said any
    string (schemathesis sent ``reason=`` and got 422 "must not be blank")."""
    body_reason = document["components"]["schemas"]["UpdateTimeEntryBody"]["properties"]["reason"]
    rules = {key: body_reason[key] for key in ("minLength", "maxLength", "pattern")}
    assert (rules["minLength"], rules["maxLength"]) == (1, 500)
    documented = {
        name: {key: parameter["schema"].get(key) for key in rules}
        for name, operation in operations(document)
        for parameter in _query_parameters(operation)
        if parameter["name"] == "reason"
    }
    assert len(documented) == 4
    assert documented == dict.fromkeys(documented, rules)
    delete = document["paths"]["/time-entries/{entry_id}"]["delete"]
    schema = next(p["schema"] for p in _query_parameters(delete) if p["name"] == "reason")
    owner = bearer(world.owner_token)
    for reason in ("", "   ", "a" * 501):
        response = client.delete(
            f"/time-entries/{entry_id}", params={"overrideLock": "true", "reason": reason}, headers=owner
        )
        assert "reason" in _fields_of(response), (reason[:5], response.text)
        assert not jsonschema_rs.validator_for(schema).is_valid(reason), reason[:5]


_UUID_TEXT = "5a8591dd-4039-49df-9202-96385ba3eff8"
_TEXT_GRAMMARS: dict[tuple[str, str], tuple[list[str], list[str]]] = {
    ("/reports/time", "rounding"): (
        ["up:15:entry", "nearest:6:group", "down:60:entry", "up:1:group"],
        ["UP:15:entry", "up:015:entry", "up:7:entry", "up:15", " up:15:entry", "up:15:entry:x", "0"],
    ),
    ("/reports/time", "groupBy"): (
        ["project", "project,user", "day,week,month", "billable,task"],
        ["Project", "project,", ",project", "project, user", "day,week,month,year", "0", "x"],
    ),
    ("/audit-events", "subjectId"): (
        [_UUID_TEXT, _UUID_TEXT.upper(), "a1B2c3D4e5F6"],
        ["a1B2c3D4e5F", "a1B2c3D4e5F6x", _UUID_TEXT.replace("-", ""), "{" + _UUID_TEXT + "}", "0" * 128],
    ),
}


@pytest.mark.parametrize(("path", "name"), list(_TEXT_GRAMMARS))
def test_a_query_parameter_with_a_grammar_documents_it_as_a_pattern(
    client: TestClient[Any], world: World, document: dict[str, Any], path: str, name: str
) -> None:
    """The text parameters with a grammar of their own (a rounding ``up:15:entry``, report levels
    ``project,user``, an audit subject's UUID or token prefix) state it as a ``pattern``: a value
    is schema-valid exactly when the server takes it. The document said any string up to a length
    (schemathesis sent ``rounding=0`` and ``subjectId=000...``, schema-valid, and got 422)."""
    parameter = next(p for p in _query_parameters(document["paths"][path]["get"]) if p["name"] == name)
    validator = jsonschema_rs.validator_for(parameter["schema"])
    required = {"from": "2026-03-01", "to": "2026-03-31"} if path == "/reports/time" else {}
    accepted, refused = _TEXT_GRAMMARS[(path, name)]
    owner = bearer(world.owner_token)
    wrong = []
    for value, takes in [*((v, True) for v in accepted), *((v, False) for v in refused)]:
        response = client.get(path, params={**required, name: value}, headers=owner)
        server_takes = name not in _fields_of(response)
        if server_takes is not takes or validator.is_valid(value) is not takes:
            wrong.append((value, "server", server_takes, "document", validator.is_valid(value)))
    assert wrong == []


def test_every_query_parameter_is_required_exactly_when_the_server_requires_it(
    client: TestClient[Any], world: World, document: dict[str, Any], entry_id: str
) -> None:
    """Without a required parameter the answer is 422 naming it; with only the required ones, no
    optional one is named (a read only: a write without its optional parameters would run)."""
    owner = bearer(world.owner_token)
    wrong = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            parameters = _query_parameters(operation) if method in METHODS else []
            if not parameters:
                continue
            url = _url(path, world, entry_id)
            required = {p["name"]: _sample(p) for p in parameters if p.get("required")}
            if method == "get":
                named = _fields_of(client.get(url, params=required, headers=owner))
                wrong += [(path, name, "optional, yet required") for name in named - set(required)]
            for name in required:
                others = {key: value for key, value in required.items() if key != name}
                response = client.request(method.upper(), url, params=others, headers=owner)
                if name not in _fields_of(response):
                    wrong.append((f"{method.upper()} {path}", name, f"required, yet {response.status_code}"))
    assert wrong == []


def _probes(schema: dict[str, Any]) -> list[tuple[str, bool]]:
    """Values of a parameter and whether the document lets them through."""
    probes: list[tuple[str, bool]] = []
    types = schema.get("type")
    if types == "integer":
        low, high = schema.get("minimum"), schema.get("maximum")
        probes += [(str(int(low)), True), (str(int(low) - 1), False)] if low is not None else [("-1", True)]
        probes += [(str(int(high)), True), (str(int(high) + 1), False)] if high is not None else []
    if "enum" in schema:
        probes += [(str(value), True) for value in schema["enum"] if value is not None]
        probes.append(("not-one-of-them", False))
    if types == "boolean":
        probes += [("true", True), ("false", True)]
    if types == "string" and "maxLength" in schema and "enum" not in schema:
        probes.append(("a" * (int(schema["maxLength"]) + 1), False))
    return probes


def test_every_documented_bound_and_value_of_a_query_parameter_is_the_servers(
    client: TestClient[Any], world: World, document: dict[str, Any], entry_id: str
) -> None:
    """On every read: the documented minimum and maximum are accepted and one past them is 422 naming
    the parameter; an integer with no documented minimum takes -1; every enum value is accepted and
    any other is 422. (`GET /changes?after=-1` was 422 while the document had no minimum.)"""
    owner = bearer(world.owner_token)
    wrong = []
    for path, item in document["paths"].items():
        operation = item.get("get")
        if operation is None:
            continue
        parameters = _query_parameters(operation)
        required = {p["name"]: _sample(p) for p in parameters if p.get("required")}
        for parameter in parameters:
            name = parameter["name"]
            for value, allowed in _probes(_value_schema(parameter)):
                response = client.get(
                    _url(path, world, entry_id), params={**required, name: value}, headers=owner
                )
                if (name not in _fields_of(response)) is not allowed:
                    wrong.append(
                        (path, name, value[:20], "documented " + ("valid" if allowed else "invalid"))
                    )
    assert wrong == []


def test_every_member_an_error_body_sends_is_documented(document: dict[str, Any]) -> None:
    """Each error with more to say (a lock, overlapping entries, the current version, a timesheet's
    status...) sends only members its documented schema lists, in a response and in a batch's
    ``errors[]`` or ``results[].error``. ``currentVersion`` of a 412 was once missing from both."""
    from hours_core import errors as core_errors
    from hours_core.timesheets import Action, InvalidTransition, TimesheetExists, TimesheetStatus
    from hours_http.errors import _batch_error, error_member

    entry = "0190c2d4-0000-7000-8000-000000000001"
    in_a_batch = [
        core_errors.PreconditionFailed(3),
        core_errors.EntryLocked("invoiced", more={"kind": "invoiced", "invoice_id": entry}),
        core_errors.EntryOverlaps([{"id": entry, "started_at": START, "stopped_at": None}], 1),
        core_errors.PlanRequired("studio", "tasks"),
        core_errors.ValidationFailed.one("note", "is too long"),
    ]
    alone = [
        *in_a_batch,
        InvalidTransition(Action.APPROVE, TimesheetStatus.APPROVED),
        TimesheetExists(uuid.UUID(entry)),
    ]
    schemas = document["components"]["schemas"]
    for error in alone:
        assert set(error_member(error)) <= set(schemas["ErrorBody"]["properties"]), error.code
    for error in in_a_batch:
        assert set(_batch_error(0, error)) <= set(schemas["BatchErrorOut"]["properties"]), error.code


def test_a_412_body_matches_its_documented_schema_with_its_current_version(
    client: TestClient[Any], world: World, document: dict[str, Any], entry_id: str
) -> None:
    owner = bearer(world.owner_token)
    response = client.patch(
        f"/time-entries/{entry_id}", json={"note": "late"}, headers={**owner, "If-Match": '"99"'}
    )
    assert response.status_code == 412, response.text
    assert response.json()["error"]["currentVersion"] == int(response.headers["ETag"].strip('"'))
    schema = document["paths"]["/time-entries/{entry_id}"]["patch"]["responses"]["412"]["content"]
    validator = jsonschema_rs.Draft202012Validator(
        {**schema["application/json"]["schema"], "components": document["components"]}
    )
    assert validator.is_valid(response.json())
    member = document["components"]["schemas"]["ErrorBody"]["properties"]["currentVersion"]
    assert member["type"] == "integer"
    assert "precondition_failed" in member["description"]


@pytest.mark.parametrize("body", ["CreateWebhookBody", "UpdateWebhookBody"])
def test_a_webhook_s_events_name_every_family_the_server_takes(document: dict[str, Any], body: str) -> None:
    events = document["components"]["schemas"][body]["properties"]["events"]
    description = next(branch for branch in [events, *events.get("oneOf", [])] if "description" in branch)
    listed = description["description"].rpartition("families: ")[2].rstrip(".").split(", ")
    assert listed == list(EVENT_FAMILIES)
    assert {"period", "invoice"} <= set(listed)


_EVENT_LISTS: list[tuple[list[str], bool]] = [
    (["*"], True),
    (["project.*", "period.*"], True),
    (["time_entry.created", "invoice.voided", "timer.started"], True),
    ([""], False),
    (["project"], False),
    (["Project.*"], False),
    (["nope.*"], False),
    (["time_entry.*x"], False),
    (["time_entry.created "], False),
    (["project.*", "project.*"], False),
]


def test_a_webhook_s_events_are_schema_valid_exactly_when_the_server_takes_them(
    client: TestClient[Any], world: World, document: dict[str, Any]
) -> None:
    """Each entry of ``events`` is one of a known set (``*``, ``<family>.*``, an event type) and none is
    listed twice: the document says so with an ``enum`` of the entries and ``uniqueItems``. It once
    took any strings (schemathesis's schema-valid ``{"events": [""]}`` got 422)."""
    owner = bearer(world.owner_token)
    made = client.post(
        "/webhooks", json={"url": "https://hooks.example.com/h", "events": ["*"]}, headers=owner
    )
    assert made.status_code == 201, made.text
    url = f"/webhooks/{made.json()['data']['id']}"
    schemas = document["components"]["schemas"]
    validators = [
        jsonschema_rs.validator_for(schemas[body]["properties"]["events"])
        for body in ("CreateWebhookBody", "UpdateWebhookBody")
    ]
    wrong = []
    for events, accepted in _EVENT_LISTS:
        response = client.patch(url, json={"events": events}, headers=owner)
        assert response.status_code == (200 if accepted else 422), (events, response.text)
        if any(validator.is_valid(events) is not accepted for validator in validators):
            wrong.append(events)
    assert wrong == []


_CURRENCIES = [("EUR", True), ("JPY", True), ("BHD", True), ("AAA", False), ("XAU", False), ("XXX", False)]


def test_a_currency_is_schema_valid_exactly_when_the_server_takes_it(
    client: TestClient[Any], world: World, document: dict[str, Any]
) -> None:
    """A client's or a rate's ``currency`` is one of ISO 4217 List One's codes with a minor unit: the
    document lists them (``enum``). It once took any three capitals (schemathesis's schema-valid
    ``{"currency": "AAA", ...}`` got 422; ``XAU``, gold, has no minor unit and is refused too)."""
    schemas = document["components"]["schemas"]
    shapes = [
        schemas["CreateClientBody"]["properties"]["currency"],
        schemas["UpdateClientBody"]["properties"]["currency"],
        next(
            b for b in schemas["CreateRateBody"]["properties"]["currency"]["oneOf"] if b["type"] == "string"
        ),
    ]
    validators = [jsonschema_rs.validator_for(shape) for shape in shapes]
    owner = bearer(world.owner_token)
    wrong = []
    for code, accepted in _CURRENCIES:
        response = client.post("/clients", json={"name": f"Paid in {code}", "currency": code}, headers=owner)
        assert response.status_code == (201 if accepted else 422), (code, response.text)
        if any(validator.is_valid(code) is not accepted for validator in validators):
            wrong.append(code)
    assert wrong == []


_ONE_LINE_NAMES = [
    ("Ada", True),
    ("  Ada  ", True),
    ("\u05d0\u200f", True),  # a right-to-left name with its mark
    ("a\u0001", False),
    ("a\tb", False),
    ("a\nb", False),
    ("a\u0085", False),
    ("a\u2028b", False),
    ("a\u202eb", False),
    ("\u2066", False),
    ("   ", False),
]
_NOTES = [("a\tb\r\nc", True), ("", True), ("a\u202eb", True), ("a\u0001", False), ("\u009f", False)]


def test_a_one_line_text_or_a_note_is_schema_valid_exactly_when_the_server_takes_it(
    client: TestClient[Any], world: World, document: dict[str, Any], entry_id: str
) -> None:
    """Names and the other one-line texts refuse control characters (tab and newline too), line and
    paragraph separators and bidirectional controls; notes refuse control characters but tab, CR and
    LF. The document says so with a pattern: it once said "not blank" only (schemathesis's
    schema-valid names with a control character got 422)."""
    schemas = document["components"]["schemas"]
    name = jsonschema_rs.validator_for(schemas["CreateClientBody"]["properties"]["name"])
    owner = bearer(world.owner_token)
    wrong = []
    for index, (text, accepted) in enumerate(_ONE_LINE_NAMES):
        sent = f"{text}{index}" if accepted else text  # names of clients are unique
        response = client.post("/clients", json={"name": sent, "currency": "EUR"}, headers=owner)
        assert response.status_code == (201 if accepted else 422), (text, response.text)
        if name.is_valid(sent) is not accepted:
            wrong.append(text)
    note_shape = next(b for b in schemas["UpdateTimeEntryBody"]["properties"]["note"]["oneOf"] if "type" in b)
    note = jsonschema_rs.validator_for(note_shape)
    for text, accepted in _NOTES:
        response = client.patch(f"/time-entries/{entry_id}", json={"note": text}, headers=owner)
        assert response.status_code == (200 if accepted else 422), (text, response.text)
        if note.is_valid(text) is not accepted:
            wrong.append(text)
    one_line = schemas["CreateClientBody"]["properties"]["name"]["pattern"]
    others = [
        schemas["CreateTokenBody"]["properties"]["name"],
        schemas["PeriodChangeBody"]["properties"]["reason"],
        schemas["UpdateTimeEntryBody"]["properties"]["reason"],
        schemas["CreateInvoiceBody"]["properties"]["externalRef"],
        *(
            p["schema"]
            for _, o in operations(document)
            for p in _query_parameters(o)
            if p["name"] == "reason"
        ),
    ]
    assert [other.get("pattern") for other in others] == [one_line] * len(others)
    assert wrong == []


_DESCRIPTIONS = [
    ("", True),
    ("  ", True),
    ("For the CRM", True),
    ("a\tb", False),
    ("a\u2029", False),
    ("\u202e", False),
]
_REJECTIONS = [("Fix Monday\nand Tuesday", True), ("a\tb\r\n", True), ("a\u2028b", True), ("a\u0001", False)]
_REJECTIONS += [("a\u202eb", False), ("\u0085", False), (" \n ", False)]


def test_a_webhook_description_or_a_rejection_reason_is_schema_valid_exactly_when_the_server_takes_it(
    client: TestClient[Any], world: World, document: dict[str, Any]
) -> None:
    """A webhook's description is one line (it may be empty or blank); a timesheet's rejection reason
    may span lines (tab, CR and LF, line separators) but holds no other control character nor a
    bidirectional control, and is not blank. Both were documented without these rules (a schema-valid
    description with U+0002 got 422)."""
    schemas = document["components"]["schemas"]
    owner = bearer(world.owner_token)
    wrong = []
    made = client.post(
        "/webhooks", json={"url": "https://hooks.example.com/d", "events": ["*"]}, headers=owner
    )
    assert made.status_code == 201, made.text
    description = jsonschema_rs.validator_for(schemas["UpdateWebhookBody"]["properties"]["description"])
    for text, accepted in _DESCRIPTIONS:
        response = client.patch(
            f"/webhooks/{made.json()['data']['id']}", json={"description": text}, headers=owner
        )
        assert response.status_code == (200 if accepted else 422), (text, response.text)
        if description.is_valid(text) is not accepted:
            wrong.append(text)
    reason = jsonschema_rs.validator_for(schemas["RejectTimesheetBody"]["properties"]["reason"])
    unknown = "/timesheets/0190c2d4-0000-7000-8000-00000000ffff/reject"  # the body is checked first
    for text, accepted in _REJECTIONS:
        response = client.post(unknown, json={"reason": text}, headers=owner)
        assert response.status_code == (404 if accepted else 422), (text, response.text)
        if reason.is_valid(text) is not accepted:
            wrong.append(text)
    assert wrong == []


API_GUIDE = pathlib.Path(__file__).resolve().parents[2] / "docs" / "api.md"
# Statuses whose causes are the operation's own, so its "Errors:" list in docs/api.md must name them
# (a 409 only for a key still in progress is every keyed write's, said once in the guide).
_OWN_STATUSES = ("402", "403", "404", "409", "412")


def _guide_error_lists() -> Iterator[tuple[list[tuple[str, str]], set[str]]]:
    """Each endpoint section of docs/api.md that has an "Errors:" list: its operations and statuses."""
    for section in re.split(r"^#{3,4} ", API_GUIDE.read_text(), flags=re.MULTILINE)[1:]:
        heading, _, body = section.partition("\n")
        listed = re.search(r"Errors:(.*?)(?:\n\n|$)", body, re.DOTALL)
        endpoints = re.findall(r"\b(GET|POST|PATCH|DELETE) (/[^\s,]+)", heading)
        if endpoints and listed is not None:
            yield endpoints, set(re.findall(r"\b[45]\d\d\b", listed[1]))


def test_the_guide_s_error_lists_name_each_operation_s_own_statuses(document: dict[str, Any]) -> None:
    """docs/api.md's per-endpoint "Errors:" lists against the document: every status they name is
    documented, and every status with a cause of the operation's own is named (`PATCH /org`'s 402 and
    the 403 of an admin's `overrideLock` were once missing)."""
    by_shape = {
        (method.upper(), re.sub(r"\{[^}]+\}", "{}", path).rstrip("/") or "/"): operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    }
    wrong = []
    for endpoints, listed in _guide_error_lists():
        documented: set[str] = set()
        for method, path in endpoints:
            responses = by_shape[(method, re.sub(r"\{[^}]+\}", "{}", path))]["responses"]
            documented |= {status for status in responses if status[0] in "45"}
            for status in _OWN_STATUSES:
                codes = codes_in(responses.get(status, {}).get("description", ""))
                if (
                    status in responses
                    and codes != {"idempotency_request_in_progress"}
                    and status not in listed
                ):
                    wrong.append((method, path, status, "not in the guide's list"))
        wrong += [(*endpoints[0], status, "not in the document") for status in listed - documented]
    assert wrong == []


def test_the_change_feed_names_every_family_a_member_sees(document: dict[str, Any]) -> None:
    description = document["paths"]["/changes"]["get"]["description"]
    assert [s for s in SHARED_SUBJECTS if f"`{s.value}.*`" not in description] == []


def test_every_write_that_takes_no_idempotency_key_says_so(document: dict[str, Any]) -> None:
    """Deletes are idempotent without a key; a create or change that ignores one says it takes none
    (`POST /tokens` once called itself "the one write without `Idempotency-Key`", beside `POST /imports`)."""
    keyless = [
        (name, operation)
        for name, operation in operations(document)
        if name.split()[0] in ("POST", "PATCH", "PUT")
        and not any(p["name"] == "Idempotency-Key" for p in operation.get("parameters", []))
    ]
    assert {name for name, _ in keyless} == {"POST /tokens", "POST /imports"}
    for name, operation in keyless:
        description = " ".join(operation["description"].split())
        assert "takes no `Idempotency-Key` (one sent is ignored)" in description, name
        assert "the one write" not in description, name


def test_api_md_lists_exactly_the_operations_that_take_an_idempotency_key(document: dict[str, Any]) -> None:
    """Round 7 (testers B and C): api.md section 5 listed 19 of the 33 keyed operations."""
    declared = set()
    for name, operation in operations(document):
        parameters = [
            parameter.get("$ref", "") + parameter.get("name", "")
            for parameter in operation.get("parameters", [])
        ]
        if any("Idempotency" in parameter for parameter in parameters):
            declared.add(re.sub(r"\{[a-z_]+\}", "{}", name))
    api_md = (pathlib.Path(__file__).parents[2] / "docs" / "api.md").read_text()
    section = api_md.split("**Endpoints that honor it:**", 1)[1].split("`POST /tokens` does not take", 1)[0]
    listed = {
        re.sub(r"\{[A-Za-z]+\}", "{}", found) for found in re.findall(r"`((?:POST|PATCH) /[^`]+)`", section)
    }
    listed -= {"POST /tokens", "POST /imports"}  # named as the two that do not take it
    assert listed == declared


@pytest.mark.parametrize(
    "path", ["/schema", "/schema/swagger", "/schema/openapi.json", "/schema/nope", "/schema/openapi.yaml"]
)
def test_every_answer_under_schema_refuses_framing_and_sniffing(client: TestClient[Any], path: str) -> None:
    """Round 7 (tester B): the reference, where a reader pastes a token, could be framed by any site."""
    response = client.get(path)
    assert response.headers["content-security-policy"] == "frame-ancestors 'none'"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"


def test_the_api_s_own_answers_carry_no_reference_headers(client: TestClient[Any], world: World) -> None:
    for response in (
        client.get("/health"),
        client.get("/me", headers=bearer(world.owner_token)),
        client.get("/schemata"),
    ):
        assert "x-frame-options" not in response.headers, response.request.url


def test_api_md_names_exactly_the_keyed_operations_whose_body_is_not_fingerprinted(
    document: dict[str, Any],
) -> None:
    """Round 7 re-check: a keyed route that takes no body replays any body; api.md names them all."""
    bodiless = set()
    for name, operation in operations(document):
        parameters = [
            parameter.get("$ref", "") + parameter.get("name", "")
            for parameter in operation.get("parameters", [])
        ]
        if any("Idempotency" in parameter for parameter in parameters) and "requestBody" not in operation:
            bodiless.add(re.sub(r"\{[a-z_]+\}", "{}", name))
    api_md = (pathlib.Path(__file__).parents[2] / "docs" / "api.md").read_text()
    section = api_md.split("the body of a route that **takes none**", 1)[1].split(
        "any body there replays", 1
    )[0]
    listed = {
        re.sub(r"\{[A-Za-z]+\}", "{}", found) for found in re.findall(r"`((?:POST|PATCH) /[^`]+)`", section)
    }
    assert listed == bodiless


_EMAILS = [
    "ada@example.com",
    "a.b+c@mail.example.co.uk",
    "élodie@café.fr",
    "bo@xn--caf-dma.fr",
    "0@0",
    "a@b",
    "a..b@example.com",
    ".a@example.com",
    "a.@example.com",
    "a b@example.com",
    "a@example..com",
    "a@@example.com",
]


def test_the_documented_email_pattern_refuses_the_plain_mistakes_and_takes_every_address_the_server_does(
    document: dict[str, Any],
) -> None:
    """The schema's email rule is looser than the server's, never stricter: every address the server
    takes matches it, and the plain mistakes (no domain of two labels, dots out of place, white
    space) do not. It once took ``0@0``, which a schema-valid request then got 422 for
    (schemathesis's positive data)."""
    from hours_core.emails import email_problem

    pattern = document["components"]["schemas"]["CreateUserBody"]["properties"]["email"]["pattern"]
    validator = jsonschema_rs.validator_for({"type": "string", "pattern": pattern})
    for address in _EMAILS:
        if email_problem(address) is None:
            assert validator.is_valid(address), address
    assert [address for address in _EMAILS if validator.is_valid(address)] == _EMAILS[:4]


_URLS = [
    "https://hooks.example.com/hours",
    "HTTPS://hooks.example.com:8443/a@b?x=1",
    "http://hooks.example.com",
    "https://[2001:db8::1]/in",
    "https://hooks.example.com?only=query",
    "0",
    "ftp://hooks.example.com/",
    "https://user:secret@hooks.example.com/",
    "https://hooks.example.com/#fragment",
    "https:///no-host",
]


def test_the_documented_webhook_url_pattern_takes_every_url_the_server_does(document: dict[str, Any]) -> None:
    """Like the email rule: looser than the server's (which also checks the host and its address),
    never stricter, and it refuses what is not an http(s) URL with a host, or carries a user name
    or a fragment. It once took any text (``"0"`` got 422)."""
    from hours_core.errors import ValidationFailed
    from hours_core.webhooks import WebhookUrl

    schemas = document["components"]["schemas"]
    patterns = {
        schemas[name]["properties"]["url"]["pattern"] for name in ("CreateWebhookBody", "UpdateWebhookBody")
    }
    assert len(patterns) == 1
    validator = jsonschema_rs.validator_for({"type": "string", "pattern": patterns.pop()})
    for url in _URLS:
        try:
            WebhookUrl.parse(url, allow_http=True, allow_private=True)
        except ValidationFailed:
            continue
        assert validator.is_valid(url), url
    assert [url for url in _URLS if validator.is_valid(url)] == _URLS[:5]


def test_a_batch_operation_is_schema_valid_exactly_when_its_members_suit_its_op(
    client: TestClient[Any], world: World, document: dict[str, Any]
) -> None:
    """Each ``op`` asks for its own members (schemathesis's positive data sent ``{"op": "create"}``
    without a body, and an update body under ``create``, both schema-valid then and 422 from the
    server). The document says what the server checks: a create has a create body and no ``id`` or
    ``ifMatch``; an update has an ``id`` and an update body; a delete or restore has an ``id`` and
    no body; ``null`` counts as absent."""
    validator = jsonschema_rs.validator_for(
        {"$ref": "#/components/schemas/BatchOperationBody", "components": document["components"]}
    )
    create = {"projectId": str(world.project.id), "entryDate": "2026-03-02", "duration": "1m"}
    made = client.post("/time-entries", json=create, headers=bearer(world.owner_token))
    assert made.status_code == 201, made.text
    entry_id = made.json()["data"]["id"]  # the module's shared entry stays as it is
    operations = [
        ({"op": "create", "body": create}, True),
        ({"op": "create", "body": create, "id": None, "ifMatch": None}, True),
        ({"op": "update", "id": entry_id, "body": {"note": "batch"}}, True),
        ({"op": "delete", "id": entry_id, "body": None}, True),
        ({"op": "restore", "id": entry_id}, True),
        ({"op": "create"}, False),
        ({"op": "create", "body": {"note": "an update body"}}, False),
        ({"op": "create", "body": create, "id": entry_id}, False),
        ({"op": "create", "body": create, "ifMatch": 1}, False),
        ({"op": "update", "body": {"note": "no id"}}, False),
        ({"op": "update", "id": entry_id}, False),
        ({"op": "delete"}, False),
        ({"op": "delete", "id": entry_id, "body": {"note": "x"}}, False),
    ]
    wrong = []
    for operation, valid in operations:
        answer = client.post(
            "/time-entries/batch",
            json={"atomic": True, "operations": [operation]},
            headers=bearer(world.owner_token),
        )
        refused = answer.status_code == 422 and "fields" in answer.json()["error"]["errors"][0]
        if validator.is_valid(operation) is not valid or refused is valid:
            wrong.append((operation, answer.status_code, answer.text[:200]))
    assert wrong == []
