"""Rate limits through the API: per user (all their tokens together), and failed authentications
per client address. Across processes: ``tests/http/test_rate_limit_processes.py``."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from litestar.testing import TestClient

from hours_app.cli import EXIT_BAD_ARGUMENTS, main
from hours_app.settings import Settings
from hours_http import create_app
from hours_http.rate_limit import RateLimit, parse_rate_limit
from hours_memory import InMemoryStore
from tests.http.conftest import bearer
from tests.world import World, make_world

BAD_TOKEN = "hsk_live_AAAAAAAAAAAA_" + "A" * 32


@pytest.mark.parametrize(
    ("text", "rate"),
    [("600/min", RateLimit(600, 60)), ("10/s", RateLimit(10, 1)), ("5000/hour", RateLimit(5000, 3600))],
)
def test_rate_limits_are_written_count_per_unit(text: str, rate: RateLimit) -> None:
    assert parse_rate_limit(text) == rate


@pytest.mark.parametrize("text", ["", "600", "0/min", "-1/min", "10/day", "ten/min"])
def test_a_malformed_rate_limit_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="rate limit"):
        parse_rate_limit(text)


@pytest.fixture
def world() -> World:
    return make_world(InMemoryStore().unit_of_work)


def test_the_api_answers_429_per_user_with_the_ratelimit_headers(world: World) -> None:
    with TestClient(create_app(world.services, rate_limit=RateLimit(2, 60))) as client:
        first = client.get("/me", headers=bearer(world.owner_token))
        assert first.headers["ratelimit-policy"] == '"user";q=2;w=60'
        assert first.headers["ratelimit"] == '"user";r=1;t=60'
        client.get("/me", headers=bearer(world.owner_token))
        refused = client.get("/me", headers=bearer(world.owner_token))
        assert refused.status_code == 429
        assert refused.json() == {
            "error": {
                "code": "rate_limited",
                "message": "Too many requests for your user; retry after the seconds in Retry-After.",
            }
        }
        assert refused.headers["retry-after"] == "60"
        assert refused.headers["ratelimit"] == '"user";r=0;t=60'
        assert client.get("/me", headers=bearer(world.member_token)).status_code == 200
        spoofed = client.get("/me", headers={**bearer(world.owner_token), "X-Forwarded-For": "10.9.9.9"})
        assert spoofed.status_code == 429
        assert client.get("/health").status_code == 200
        world.clock.advance(timedelta(seconds=60))  # the next window
        assert client.get("/me", headers=bearer(world.owner_token)).status_code == 200


def test_new_tokens_of_the_same_user_share_the_users_budget(world: World) -> None:
    more = [world.services.admin.mint_token(world.member.id, env="live").plaintext for _ in range(3)]
    with TestClient(create_app(world.services, rate_limit=RateLimit(4, 60))) as client:
        answers = [
            client.get("/me", headers=bearer(token)).status_code for token in [world.member_token, *more]
        ]
        assert answers == [200] * 4
        minted = client.post("/tokens", json={"name": "fresh"}, headers=bearer(world.member_token))
        assert minted.status_code == 429  # minting is a request too
        for token in [world.member_token, *more]:
            assert client.get("/me", headers=bearer(token)).status_code == 429


def test_failed_authentications_are_capped_per_client_address(world: World) -> None:
    app = create_app(world.services, auth_failure_limit=RateLimit(3, 60))
    with TestClient(app) as client:
        failures = [
            client.get("/me", headers=bearer(BAD_TOKEN)),
            client.get("/me"),  # no token at all
            client.get("/time-entries", headers={"Authorization": "Basic Zm9vOmJhcg=="}),
        ]
        assert [response.status_code for response in failures] == [401, 401, 401]
        refused = client.get("/me", headers=bearer(BAD_TOKEN))
        assert refused.status_code == 429
        assert refused.json()["error"] == {
            "code": "rate_limited",
            "message": "Too many failed authentications from your address; retry after the seconds in "
            "Retry-After.",
        }
        assert refused.headers["ratelimit-policy"] == '"address";q=3;w=60'
        assert refused.headers["ratelimit"] == '"address";r=0;t=60'
        assert refused.headers["retry-after"] == "60"
        # Over the limit, the address is refused before any token is looked at, valid or not.
        assert client.get("/me", headers=bearer(world.owner_token)).status_code == 429
        assert client.get("/health").status_code == 200  # public paths are not limited
        world.clock.advance(timedelta(seconds=60))
        assert client.get("/me", headers=bearer(world.owner_token)).status_code == 200
        assert client.get("/me", headers=bearer(BAD_TOKEN)).status_code == 401


def test_the_address_429_sends_the_headers_the_openapi_document_declares(world: World) -> None:
    with TestClient(create_app(world.services, auth_failure_limit=RateLimit(1, 60))) as client:
        document = client.get("/schema/openapi.json").json()
        client.get("/me")
        refused = client.get("/me")
    assert refused.status_code == 429
    declared = document["paths"]["/me"]["get"]["responses"]["429"]["headers"]
    assert set(declared) == {"Retry-After", "RateLimit-Policy", "RateLimit", "X-Request-Id"}
    for name, declaration in declared.items():
        pattern = declaration["schema"].get("pattern")
        assert pattern is None or re.fullmatch(pattern, refused.headers[name]), (name, refused.headers[name])


def test_successful_authentications_do_not_count_against_the_address(world: World) -> None:
    with TestClient(create_app(world.services, auth_failure_limit=RateLimit(1, 60))) as client:
        for _ in range(5):
            assert client.get("/me", headers=bearer(world.owner_token)).status_code == 200
        assert client.get("/me", headers=bearer(BAD_TOKEN)).status_code == 401
        assert client.get("/me", headers=bearer(BAD_TOKEN)).status_code == 429


def test_the_auth_failure_limit_is_on_by_default_and_off_switches_it_off() -> None:
    assert Settings.from_env({}).parsed_auth_failure_limit() == RateLimit(60, 60)
    assert Settings.from_env({}).parsed_rate_limit() is None
    environ = {"HOURS_AUTH_FAILURE_LIMIT": "off", "HOURS_RATE_LIMIT": "600/min"}
    settings = Settings.from_env(environ)
    assert settings.parsed_auth_failure_limit() is None
    assert settings.parsed_rate_limit() == RateLimit(600, 60)
    assert Settings.from_env(environ, auth_failure_limit="5/s").parsed_auth_failure_limit() == RateLimit(5, 1)
    assert Settings.from_env(settings.to_env()) == settings


def test_a_malformed_auth_failure_limit_stops_hours_serve_before_it_opens_the_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(["serve", "--db", f"sqlite:///{tmp_path / 'hours.db'}", "--auth-failure-limit", "lots"])
    assert status == EXIT_BAD_ARGUMENTS
    assert "HOURS_AUTH_FAILURE_LIMIT / --auth-failure-limit: bad rate limit 'lots'" in capsys.readouterr().err
    assert not (tmp_path / "hours.db").exists()
