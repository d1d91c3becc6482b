"""A period lock raced by timer starts on the days it closes, across real ``hours serve`` processes,
on SQLite and on PostgreSQL.

Three members start a timer dated on a day at the moment an admin locks through that day, the
requests split over two server processes: either the lock is 409 ``conflict`` naming timers that
did start, or it is 200 and every start is 409 ``entry_locked``. Never is a timer left running on a
closed day (its user could not stop it). Waits are bounded (startup polls ``/health``); no test
asserts how long anything takes.
"""

from __future__ import annotations

import pathlib
from collections.abc import Callable
from contextlib import ExitStack
from functools import partial

import httpx
import pytest

from tests.http.test_team_processes import TIMEOUT, at_once, bearer, hours, server
from tests.http.test_team_processes import database as database  # noqa: PLC0414 - the fixture, by its name

pytestmark = pytest.mark.slow

MEMBERS = 3
ROUNDS = 4


def test_a_lock_raced_by_timer_starts_on_its_day_never_leaves_a_timer_running_on_a_closed_day(
    database: str, tmp_path: pathlib.Path
) -> None:
    made = hours(database, tmp_path, "bootstrap", "--plan", "studio", "--email", "o@acme.test")
    org, owner, project = made["orgId"], made["token"], made["projectId"]
    members = []
    for n in range(MEMBERS):
        user = hours(
            database,
            tmp_path,
            "users",
            "create",
            "--org",
            org,
            "--email",
            f"m{n}@acme.test",
            "--role",
            "member",
        )
        members.append(hours(database, tmp_path, "tokens", "create", "--user", user["id"])["token"])
    with ExitStack() as servers:
        bases = [servers.enter_context(server(database, tmp_path)) for _ in range(2)]
        for round_ in range(1, ROUNDS + 1):
            day = f"2030-01-{round_:02d}"
            calls: list[Callable[[], httpx.Response]] = [
                partial(
                    httpx.post,
                    f"{bases[n % 2]}/timers",
                    json={"projectId": project, "entryDate": day, "billable": False},
                    headers=bearer(token),
                    timeout=TIMEOUT,
                )
                for n, token in enumerate(members)
            ]
            calls.append(
                partial(
                    httpx.post,
                    f"{bases[1]}/periods/lock",
                    json={"through": day, "reason": "payroll"},
                    headers=bearer(owner),
                    timeout=TIMEOUT,
                )
            )
            *starts, locking = at_once(calls)

            started = {answer.json()["data"]["id"] for answer in starts if answer.status_code == 201}
            for answer in starts:
                assert answer.status_code == 201 or (
                    answer.status_code == 409 and answer.json()["error"]["code"] == "entry_locked"
                ), answer.text
            if locking.status_code == 200:
                assert started == set(), "a timer started on a day the lock closed"
            else:
                assert locking.status_code == 409, locking.text
                error = locking.json()["error"]
                assert error["code"] == "conflict"
                named = {timer["id"] for timer in error["runningTimers"]}
                assert named and named <= started

            periods = httpx.get(f"{bases[0]}/periods", headers=bearer(owner), timeout=TIMEOUT).json()["data"]
            closed = any(period["through"] >= day for period in periods["periods"])
            assert closed == (locking.status_code == 200)
            for n, token in enumerate(members):
                base = bases[n % 2]
                current = httpx.get(f"{base}/timers/current", headers=bearer(token), timeout=TIMEOUT)
                if current.status_code == 404:
                    continue
                assert not closed, f"a timer runs on the closed day {day}"
                stopped = httpx.post(f"{base}/timers/current/stop", headers=bearer(token), timeout=TIMEOUT)
                assert stopped.status_code == 200, stopped.text
