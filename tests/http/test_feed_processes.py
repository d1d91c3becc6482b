"""The change feed while two ``hours serve`` processes write at once, on PostgreSQL (and SQLite).

Writers send time entries to two server processes concurrently, while a reader follows
``GET /changes`` with small pages, storing ``nextAfter`` and calling again, as an integration
would. Sequence numbers must never become visible out of order: if number N+1 were visible
before N, the reader would pass N and never see it. So the reader must see exactly 1..latest, each
once, in order, and every entry the writers created must be among the events it saw. Waits are
bounded; no test asserts how long anything takes.
"""

from __future__ import annotations

import pathlib
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from typing import Any

import httpx
import pytest

from tests.http.test_team_processes import TIMEOUT, bearer, database, hours, server  # noqa: F401 - a fixture

pytestmark = pytest.mark.slow

WRITERS = 4
ENTRIES_PER_WRITER = 20
PAGE = 7


def follow(base: str, token: str, done: threading.Event, seen: list[dict[str, Any]]) -> None:
    """Follow the feed from the start until ``done`` is set and a last read finds nothing new."""
    after = 0
    with httpx.Client(base_url=base, timeout=TIMEOUT, headers=bearer(token)) as client:
        while True:
            finished = done.is_set()
            response = client.get("/changes", params={"after": after, "limit": PAGE})
            assert response.status_code == 200, response.text
            page = response.json()
            seen.extend(page["data"])
            after = page["nextAfter"]
            if finished and not page["data"]:
                return


def test_a_reader_following_the_feed_sees_every_change_once_in_order_while_two_processes_write(
    database: str,  # noqa: F811 - the imported fixture
    tmp_path: pathlib.Path,
) -> None:
    made = hours(database, tmp_path, "bootstrap", "--plan", "studio")
    body = {"projectId": made["projectId"], "entryDate": "2026-03-02", "duration": "15m"}
    done = threading.Event()
    seen: list[dict[str, Any]] = []

    with ExitStack() as servers:
        bases = [servers.enter_context(server(database, tmp_path)) for _ in range(2)]

        def write(n: int) -> list[str]:
            with httpx.Client(
                base_url=bases[n % 2], timeout=TIMEOUT, headers=bearer(made["token"])
            ) as client:
                created = []
                for _ in range(ENTRIES_PER_WRITER):
                    response = client.post("/time-entries", json=body)
                    assert response.status_code == 201, response.text
                    created.append(response.json()["data"]["id"])
                return created

        reader = threading.Thread(target=follow, args=(bases[0], made["token"], done, seen))
        reader.start()
        try:
            with ThreadPoolExecutor(max_workers=WRITERS) as pool:
                created = [entry for batch in pool.map(write, range(WRITERS)) for entry in batch]
        finally:
            done.set()
            reader.join(TIMEOUT * 4)
        assert not reader.is_alive(), "the reader did not finish"
        with httpx.Client(base_url=bases[1], timeout=TIMEOUT, headers=bearer(made["token"])) as client:
            latest = client.get("/changes", params={"limit": 1}).json()["latestSeq"]

    numbers = [event["seq"] for event in seen]
    assert numbers == list(range(1, latest + 1))
    entries = [event["subject"]["id"] for event in seen if event["type"] == "time_entry.created"]
    assert sorted(entries) == sorted(created)
    assert len(created) == WRITERS * ENTRIES_PER_WRITER
