"""Schema-driven fuzzing: schemathesis against the app's own OpenAPI document, all checks on.

Every generated request, valid or not, must get a documented status with a body and headers
that match the schema, and never a 5xx. ``schemathesis.toml`` holds the one setting: which
statuses count as a business-rule refusal of schema-valid data (see the comment there).

The schema is loaded when this module is collected (schemathesis parametrizes at collection);
the app it loads from runs over an in-memory store, so nothing outside the test is touched.
"""

from __future__ import annotations

import re
from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings
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
        response = case.call_and_validate(
            headers=bearer(FUZZ.owner_token), excluded_checks=[positive_data_acceptance]
        )
        assert response.status_code == 400, response.text
        return
    case.call_and_validate(headers=bearer(FUZZ.owner_token))


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
