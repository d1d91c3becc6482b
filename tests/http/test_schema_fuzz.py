"""Schema-driven fuzzing: schemathesis against the app's own OpenAPI document, all checks on.

Every generated request, valid or not, must get a documented status with a body and headers
that match the schema, and never a 5xx. ``schemathesis.toml`` holds the one setting: which
statuses count as a business-rule refusal of schema-valid data (see the comment there).

The schema is loaded when this module is collected (schemathesis parametrizes at collection);
the app it loads from runs over an in-memory store, so nothing outside the test is touched.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import attrs
import jsonschema_rs
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from litestar.testing import TestClient
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import positive_data_acceptance

from hours_http import create_app
from hours_http.preconditions import PRECONDITION_PATTERN
from hours_memory import InMemoryStore
from tests.http.conftest import bearer
from tests.world import make_world

FUZZ = make_world(InMemoryStore().unit_of_work)
schema = schemathesis.openapi.from_asgi("/schema/openapi.json", create_app(FUZZ.services))
fuzz_settings = settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))


@schema.parametrize()
@fuzz_settings
def test_every_operation_answers_as_documented_with_a_valid_token(case: Any) -> None:
    _call_and_validate_with(case, FUZZ.owner_token)


def _call_and_validate_with(case: Any, token: str) -> None:
    """Send ``case`` with ``token`` and run every check on the answer."""
    # A case whose headers were generated to break the schema (a missing Authorization header, say)
    # keeps them as generated: adding the token back would turn it into a valid request that the
    # negative-data check then reports as "accepted".
    if case.meta is not None and case.meta.is_negative_at(ParameterLocation.HEADER):
        case.call_and_validate()
        return
    if _malformed_precondition(case):
        # Schemathesis draws If-Match / If-None-Match from its own generator, which mixes in values
        # outside the documented pattern even for a case it counts as valid: those are 400
        # invalid_precondition (documented), not a schema-valid request refused.
        response = case.call_and_validate(headers=bearer(token), excluded_checks=[positive_data_acceptance])
        assert response.status_code == 400, response.text
        return
    case.call_and_validate(headers=bearer(token))


# The same fuzzing with the path ids of resources that exist, as `schemathesis run` against a running
# server finds them (its resource pool): reads, conditional reads (`If-None-Match: *` is 304 Not
# Modified, documented) and writes of real resources, where random ids only reach the 404 of a
# missing one. The member's token prefix is the one `/users/{user_id}/tokens/{prefix}` may revoke:
# the owner's token stays valid for the rest of the run.
EXISTING = make_world(InMemoryStore().unit_of_work)
existing_schema = schemathesis.openapi.from_asgi(
    "/schema/openapi.json", create_app(EXISTING.services)
).exclude(path_regex=r"^[^{]*$")  # only the operations whose path names a resource


def _existing_ids() -> dict[str, str]:
    """A resource of each kind that a path names, created through the API; by path parameter."""
    with TestClient(create_app(EXISTING.services)) as client:
        headers = bearer(EXISTING.owner_token)

        def created(path: str, body: dict[str, Any]) -> str:
            response = client.post(path, json=body, headers=headers)
            assert response.status_code in (200, 201), (path, response.text)
            return str(response.json()["data"]["id"])

        project = str(EXISTING.project.id)
        entry = created("/time-entries", {"projectId": project, "entryDate": "2026-03-02", "duration": "1h"})
        webhook = created("/webhooks", {"url": "https://hooks.example.com/in", "events": ["*"]})
        ping = client.post(f"/webhooks/{webhook}/ping", headers=headers)
        assert ping.status_code == 202, ping.text
        return {
            "entry_id": entry,
            "project_id": project,
            "task_id": str(EXISTING.task.id),
            "client_id": created("/clients", {"name": "Globex", "currency": "EUR"}),
            "user_id": str(EXISTING.member.id),
            "invoice_id": created("/invoices", {"entryIds": [entry], "externalRef": "INV-1"}),
            "timesheet_id": created("/timesheets", {"weekStart": "2026-03-02"}),
            "webhook_id": webhook,
            "delivery_id": str(ping.json()["data"]["id"]),
            "prefix": EXISTING.member_token.split("_")[2],
        }


EXISTING_IDS = _existing_ids()


@existing_schema.hook("map_path_parameters")
def _to_existing(context: Any, path_parameters: dict[str, Any] | None) -> dict[str, Any] | None:
    if path_parameters is None:
        return None
    return {name: EXISTING_IDS.get(name, value) for name, value in path_parameters.items()}


@existing_schema.parametrize()
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation_on_existing_resources_answers_as_documented(case: Any) -> None:
    _call_and_validate_with(case, EXISTING.owner_token)


def _malformed_precondition(case: Any) -> bool:
    """Whether the case sends an If-Match or If-None-Match outside the documented pattern."""
    headers = case.headers or {}
    return any(
        re.fullmatch(PRECONDITION_PATTERN, str(value)) is None
        for name, value in headers.items()
        if name.lower() in ("if-match", "if-none-match")
    )


@schema.parametrize()
@fuzz_settings
def test_every_operation_answers_as_documented_without_a_token(case: Any) -> None:
    case.call_and_validate()


# The black-box tester's cases (its finding 1): bodies that the document refused although the server
# takes them (`overrideLock: false` or `null`, `stoppedAt: null`), and bodies the document let through
# although the server refuses them (a `reason` without `overrideLock: true`). For each, the served
# document and the server must agree: schema-valid exactly when the server accepts it.
ACCEPTED, REFUSED = True, False
_DAY = "2026-07-05"
_CREATE_CASES = [
    ({"overrideLock": False}, ACCEPTED),
    ({"overrideLock": None}, ACCEPTED),
    ({"overrideLock": None, "reason": None}, ACCEPTED),
    ({"stoppedAt": None}, ACCEPTED),
    ({"startedAt": f"{_DAY}T09:00:00Z", "stoppedAt": f"{_DAY}T10:00:00Z"}, ACCEPTED),
    ({"overrideLock": True, "reason": "fixing a closed week"}, ACCEPTED),
    ({"overrideLock": True}, REFUSED),
    ({"overrideLock": True, "reason": None}, REFUSED),
    ({"reason": "why"}, REFUSED),
    ({"overrideLock": False, "reason": "why"}, REFUSED),
    ({"overrideLock": None, "reason": "why"}, REFUSED),
    ({"stoppedAt": f"{_DAY}T10:00:00Z"}, REFUSED),
    ({"startedAt": None, "stoppedAt": f"{_DAY}T10:00:00Z"}, REFUSED),
]
_UPDATE_CASES = [
    ({"note": "y"}, ACCEPTED),
    ({"note": "y", "overrideLock": False}, ACCEPTED),
    ({"note": "y", "overrideLock": True, "reason": "fixing a closed week"}, ACCEPTED),
    ({"note": "y", "overrideLock": True}, REFUSED),
    ({"note": "y", "reason": "why"}, REFUSED),
    ({"note": "y", "overrideLock": False, "reason": "why"}, REFUSED),
]
_TIMER_CASES = [
    ({"overrideLock": False}, ACCEPTED),
    ({"overrideLock": None, "reason": None}, ACCEPTED),
    ({"overrideLock": True, "reason": "fixing a closed week"}, ACCEPTED),
    ({"overrideLock": True}, REFUSED),
    ({"reason": "why"}, REFUSED),
    ({"overrideLock": False, "reason": "why"}, REFUSED),
]


@attrs.frozen
class Served:
    """The app with its served document, an owner's headers and a project to log time on."""

    client: TestClient[Any]
    document: dict[str, Any]
    headers: dict[str, str]
    project_id: str


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    world = make_world(InMemoryStore().unit_of_work)
    with TestClient(create_app(world.services)) as client:
        document = client.get("/schema/openapi.json").json()
        yield Served(client, document, bearer(world.owner_token), str(world.project.id))


def _body_validator(document: dict[str, Any], path: str, method: str) -> jsonschema_rs.Validator:
    schema = document["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]
    return jsonschema_rs.Draft202012Validator({**schema, "components": document["components"]})


def _agree(validator: jsonschema_rs.Validator, body: dict[str, Any], accepted: bool, response: Any) -> None:
    assert validator.is_valid(body) is accepted, (body, "the document disagrees with the server")
    if accepted:
        assert response.status_code < 300, (body, response.text)
    else:
        assert response.status_code == 422, (body, response.text)


@pytest.mark.parametrize(("extra", "accepted"), _CREATE_CASES)
def test_a_create_body_is_schema_valid_exactly_when_the_server_takes_it(
    served: Served, extra: dict[str, Any], accepted: bool
) -> None:
    client, document, headers = served.client, served.document, served.headers
    body = {"projectId": served.project_id, "entryDate": _DAY, "duration": "1h", **extra}
    response = client.post("/time-entries", json=body, headers=headers)
    _agree(_body_validator(document, "/time-entries", "post"), body, accepted, response)


@pytest.mark.parametrize(("body", "accepted"), _UPDATE_CASES)
def test_an_update_body_is_schema_valid_exactly_when_the_server_takes_it(
    served: Served, body: dict[str, Any], accepted: bool
) -> None:
    client, document, headers = served.client, served.document, served.headers
    created = client.post(
        "/time-entries",
        json={"projectId": served.project_id, "entryDate": _DAY, "duration": "1h"},
        headers=headers,
    )
    assert created.status_code == 201, created.text
    response = client.patch(f"/time-entries/{created.json()['data']['id']}", json=body, headers=headers)
    _agree(_body_validator(document, "/time-entries/{entry_id}", "patch"), body, accepted, response)


@pytest.mark.parametrize(("extra", "accepted"), _TIMER_CASES)
def test_a_timer_body_is_schema_valid_exactly_when_the_server_takes_it(
    served: Served, extra: dict[str, Any], accepted: bool
) -> None:
    client, document, headers = served.client, served.document, served.headers
    start = {"projectId": served.project_id, "stopRunning": True, **extra}
    response = client.post("/timers", json=start, headers=headers)
    _agree(_body_validator(document, "/timers", "post"), start, accepted, response)
    started = client.post(
        "/timers", json={"projectId": served.project_id, "stopRunning": True}, headers=headers
    )
    assert started.status_code == 201, started.text
    response = client.post("/timers/current/stop", json=extra, headers=headers)
    _agree(_body_validator(document, "/timers/current/stop", "post"), extra, accepted, response)
