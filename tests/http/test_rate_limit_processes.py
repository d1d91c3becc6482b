"""Rate limits hold in total across real ``hours serve`` processes, on SQLite and on PostgreSQL.

Two server processes share one database. A user's requests, spread over both processes and over
two of their tokens, get exactly the limit in total; failed authentications from one address,
spread the same way, get exactly their limit of 401s, then 429s. (Limits under 64 are counted
unit by unit in the store, so the count is exact; see ``hours_core.services.rate_limits``.)
Waits are bounded (startup polls ``/health``); no test asserts how long anything takes.
"""

from __future__ import annotations

import itertools
import pathlib
import time
from collections import Counter
from contextlib import ExitStack

import httpx
import pytest

from tests.http.test_team_processes import database, hours, server  # noqa: F401 - `database` is a fixture

pytestmark = pytest.mark.slow

LIMIT = 10
FAILURE_LIMIT = 5
LIMITS = ("--rate-limit", f"{LIMIT}/hour", "--auth-failure-limit", f"{FAILURE_LIMIT}/hour")
BAD_TOKEN = "hsk_live_AAAAAAAAAAAA_" + "A" * 32


def wait_out_the_end_of_the_hour() -> None:
    """The limits count per clock hour: start well inside one, so every request falls in it."""
    left = 3600 - time.time() % 3600
    if left < 60:
        time.sleep(left + 1)


def test_the_limits_hold_in_total_across_two_server_processes(
    database: str,  # noqa: F811 - the fixture imported above
    tmp_path: pathlib.Path,
) -> None:
    made = hours(database, tmp_path, "bootstrap")
    second = hours(database, tmp_path, "tokens", "create", "--user", made["userId"])["token"]
    with ExitStack() as stack:
        bases = [stack.enter_context(server(database, tmp_path, *LIMITS)) for _ in range(2)]
        clients = [stack.enter_context(httpx.Client(base_url=base, timeout=60)) for base in bases]
        wait_out_the_end_of_the_hour()

        tokens = itertools.cycle([made["token"], second])
        answers = [
            clients[n % 2].get("/me", headers={"Authorization": f"Bearer {next(tokens)}"}) for n in range(30)
        ]
        assert Counter(answer.status_code for answer in answers) == {200: LIMIT, 429: 30 - LIMIT}
        assert {answer.headers["ratelimit-policy"] for answer in answers} == {f'"user";q={LIMIT};w=3600'}
        assert all(answer.status_code == 200 for answer in answers[:LIMIT])  # the first ones pass

        failures = [
            clients[n % 2].get("/me", headers={"Authorization": f"Bearer {BAD_TOKEN}"}) for n in range(20)
        ]
        assert [answer.status_code for answer in failures] == [401] * FAILURE_LIMIT + [429] * (
            20 - FAILURE_LIMIT
        )
        refused = failures[-1]
        assert refused.json()["error"]["code"] == "rate_limited"
        assert refused.headers["ratelimit-policy"] == f'"address";q={FAILURE_LIMIT};w=3600'
        assert int(refused.headers["retry-after"]) >= 1
        for client in clients:  # the address is refused by both, its valid tokens too
            assert client.get("/me", headers={"Authorization": f"Bearer {second}"}).status_code == 429
            assert client.get("/health").status_code == 200
