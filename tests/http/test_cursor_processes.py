"""A cursor issued by one ``hours serve`` process reads the next page in another: the cursor secret
lives in the database, not in a process. SQLite and PostgreSQL; each server restarted keeps it."""

from __future__ import annotations

import pathlib

import httpx
import pytest

from tests.http.test_team_processes import (
    TIMEOUT,
    bearer,
    database,  # noqa: F401 - the fixture of an empty database
    hours,
    server,
)

pytestmark = pytest.mark.slow


def page(base: str, token: str, cursor: str | None = None) -> httpx.Response:
    params = {"limit": "1", **({"cursor": cursor} if cursor else {})}
    return httpx.get(f"{base}/time-entries", params=params, headers=bearer(token), timeout=TIMEOUT)


def test_a_cursor_of_one_process_reads_the_next_page_in_another(
    database: str,  # noqa: F811 - the imported fixture
    tmp_path: pathlib.Path,
) -> None:
    made = hours(database, tmp_path, "bootstrap", "--email", "owner@acme.test")
    token = made["token"]
    with server(database, tmp_path) as first, server(database, tmp_path) as second:
        for day in ("2026-03-02", "2026-03-03", "2026-03-04"):
            body = {"projectId": made["projectId"], "entryDate": day, "duration": "1h"}
            created = httpx.post(f"{first}/time-entries", json=body, headers=bearer(token), timeout=TIMEOUT)
            assert created.status_code == 201, created.text
        from_first = page(first, token).json()["nextCursor"]
        from_second = page(second, token).json()["nextCursor"]
        assert from_first == from_second  # one secret, one position: one cursor
        following = page(second, token, from_first)
        assert following.status_code == 200, following.text
        assert [entry["entryDate"] for entry in following.json()["data"]] == ["2026-03-03"]
        last = page(first, token, following.json()["nextCursor"])
        assert [entry["entryDate"] for entry in last.json()["data"]] == ["2026-03-04"]
    with server(database, tmp_path) as restarted:
        assert page(restarted, token, from_first).status_code == 200
