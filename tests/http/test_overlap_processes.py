"""The overlap policy under concurrent writes, across real ``hours serve`` processes, on SQLite and
on PostgreSQL.

With ``overlapPolicy: reject``, several creates of one user's overlapping entries arrive at once,
split over two server processes: exactly one is 201, every other one 409 ``entry_overlaps``, and
one entry is stored. The same for timer starts racing creates that overlap them. Waits are bounded
(startup polls ``/health``); no test asserts how long anything takes.
"""

from __future__ import annotations

import pathlib
from collections.abc import Callable
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from functools import partial

import httpx
import pytest

from tests.http.test_team_processes import TIMEOUT, at_once, bearer, hours, server
from tests.http.test_team_processes import database as database  # noqa: PLC0414 - the fixture, by its name

pytestmark = pytest.mark.slow

WRITERS = 8
ROUNDS = 3


def create(base: str, token: str, project: str, hour: int) -> Callable[[], httpx.Response]:
    """A create of the span 09:00 to 10:00 on day ``hour`` (each round its own day), shifted by a
    minute per writer, so that every two of them overlap."""

    def call() -> httpx.Response:
        return httpx.post(
            f"{base}/time-entries",
            json={
                "projectId": project,
                "entryDate": f"2026-01-{hour:02d}",
                "durationSeconds": 3600,
                "startedAt": f"2026-01-{hour:02d}T09:00:00Z",
                "stoppedAt": f"2026-01-{hour:02d}T10:00:00Z",
            },
            headers=bearer(token),
            timeout=TIMEOUT,
        )

    return call


def test_concurrent_overlapping_creates_let_exactly_one_through(
    database: str, tmp_path: pathlib.Path
) -> None:
    made = hours(database, tmp_path, "bootstrap", "--plan", "studio", "--email", "o@acme.test")
    token, project = made["token"], made["projectId"]
    with ExitStack() as servers:
        bases = [servers.enter_context(server(database, tmp_path)) for _ in range(2)]
        policy = httpx.patch(f"{bases[0]}/org", json={"overlapPolicy": "reject"}, headers=bearer(token))
        assert policy.status_code == 200, policy.text
        for round_ in range(1, ROUNDS + 1):
            answers = at_once([create(bases[n % 2], token, project, round_) for n in range(WRITERS)])

            statuses = sorted(answer.status_code for answer in answers)
            assert statuses == [201] + [409] * (WRITERS - 1), [a.text for a in answers]
            stored = next(answer for answer in answers if answer.status_code == 201).json()["data"]
            for refused in (answer for answer in answers if answer.status_code == 409):
                error = refused.json()["error"]
                assert error["code"] == "entry_overlaps"
                assert [entry["id"] for entry in error["entries"]] == [stored["id"]]
            day = f"2026-01-{round_:02d}"
            listed = httpx.get(f"{bases[1]}/time-entries?from={day}&to={day}", headers=bearer(token))
            assert [entry["id"] for entry in listed.json()["data"]] == [stored["id"]]


def test_concurrent_timer_starts_and_creates_over_now_let_exactly_one_through(
    database: str, tmp_path: pathlib.Path
) -> None:
    made = hours(database, tmp_path, "bootstrap", "--plan", "studio", "--email", "o@acme.test")
    token, project = made["token"], made["projectId"]
    headers = bearer(token)
    with ExitStack() as servers:
        bases = [servers.enter_context(server(database, tmp_path)) for _ in range(2)]
        assert (
            httpx.patch(f"{bases[0]}/org", json={"overlapPolicy": "reject"}, headers=headers).status_code
            == 200
        )
        for _ in range(ROUNDS):
            now = datetime.now(UTC).replace(microsecond=0)
            body = {
                "projectId": project,
                "entryDate": now.date().isoformat(),
                "durationSeconds": 7200,
                "startedAt": (now - timedelta(hours=1)).isoformat(),
                "stoppedAt": (now + timedelta(hours=1)).isoformat(),
            }
            calls: list[Callable[[], httpx.Response]] = []
            for n in range(WRITERS):
                base = bases[n % 2]
                if n % 4 < 2:  # a timer starts now, inside the span of the creates
                    calls.append(
                        partial(
                            httpx.post,
                            f"{base}/timers",
                            json={"projectId": project},
                            headers=headers,
                            timeout=TIMEOUT,
                        )
                    )
                else:
                    calls.append(
                        partial(
                            httpx.post, f"{base}/time-entries", json=body, headers=headers, timeout=TIMEOUT
                        )
                    )
            answers = at_once(calls)

            assert sorted(a.status_code for a in answers) == [201] + [409] * (WRITERS - 1), [
                a.text for a in answers
            ]
            codes = {a.json()["error"]["code"] for a in answers if a.status_code == 409}
            assert codes <= {"entry_overlaps", "timer_already_running", "conflict"}
            [stored] = [a.json()["data"] for a in answers if a.status_code == 201]
            if stored["stoppedAt"] is None:
                assert httpx.post(f"{bases[1]}/timers/current/stop", headers=headers).status_code == 200
            assert httpx.delete(f"{bases[0]}/time-entries/{stored['id']}", headers=headers).status_code == 204
