"""Per-token rate limiting."""

from __future__ import annotations

import pytest
from litestar.testing import TestClient

from hours_http import create_app
from hours_http.rate_limit import RateLimit, RateLimiter, parse_rate_limit
from hours_memory import InMemoryStore
from tests.http.conftest import bearer
from tests.world import make_world


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


def test_the_limiter_refills_continuously() -> None:
    now = [0.0]
    limiter = RateLimiter(RateLimit(2, 1), clock=lambda: now[0])
    assert [limiter.hit("a").allowed for _ in range(3)] == [True, True, False]
    assert limiter.hit("b").allowed
    now[0] = 0.5
    assert limiter.hit("a").allowed
    assert not limiter.hit("a").allowed


def test_the_api_answers_429_per_token_with_the_ratelimit_headers() -> None:
    world = make_world(InMemoryStore().unit_of_work)
    with TestClient(create_app(world.services, rate_limit=RateLimit(2, 60))) as client:
        first = client.get("/me", headers=bearer(world.owner_token))
        assert first.headers["ratelimit-policy"] == '"token";q=2;w=60'
        assert first.headers["ratelimit"].startswith('"token";r=1;')
        client.get("/me", headers=bearer(world.owner_token))
        refused = client.get("/me", headers=bearer(world.owner_token))
        assert refused.status_code == 429
        assert refused.json()["error"]["code"] == "rate_limited"
        assert int(refused.headers["retry-after"]) >= 1
        assert refused.headers["ratelimit"].startswith('"token";r=0;')
        assert client.get("/me", headers=bearer(world.member_token)).status_code == 200
        spoofed = client.get("/me", headers={**bearer(world.owner_token), "X-Forwarded-For": "10.9.9.9"})
        assert spoofed.status_code == 429
        assert client.get("/health").status_code == 200
