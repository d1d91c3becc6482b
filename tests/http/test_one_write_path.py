"""Every write route runs through one mechanism (``hours_http.responses.Writer``): a keyed retry is
replayed the same way on each: from the process's replay memory on the event loop, else by the claim
of the write transaction."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from litestar.testing import TestClient

import hours_http.responses
from hours_http import create_app
from tests.http.conftest import bearer
from tests.world import World

KEY = "01ARZ3NDEKTSV4RRFFQ69G5FAV"

Request = tuple[str, str, dict[str, Any] | None]
"""Method, path and JSON body (``None``: no body)."""


def _entry(client: TestClient[Any], world: World) -> str:
    payload = {"projectId": str(world.project.id), "entryDate": "2026-03-02", "duration": "1h"}
    response = client.post("/time-entries", json=payload, headers=bearer(world.owner_token))
    return str(response.json()["data"]["id"])


def _deleted_entry(client: TestClient[Any], world: World) -> str:
    entry_id = _entry(client, world)
    client.delete(f"/time-entries/{entry_id}", headers=bearer(world.owner_token))
    return entry_id


def _stop_a_running_timer(client: TestClient[Any], world: World) -> Request:
    client.post("/timers", json={"projectId": str(world.project.id)}, headers=bearer(world.owner_token))
    return ("POST", "/timers/current/stop", None)


WRITES: dict[str, Callable[[TestClient[Any], World], Request]] = {
    "POST /time-entries": lambda client, world: (
        "POST", "/time-entries", {"projectId": str(world.project.id), "entryDate": "2026-03-02", "duration": "2h"}
    ),
    "POST /time-entries/batch": lambda client, world: (
        "POST", "/time-entries/batch", {"atomic": True, "operations": [{"op": "create", "body": {"projectId": str(world.project.id), "entryDate": "2026-03-02", "duration": "2h"}}]}
    ),
    "PATCH /time-entries/{id}": lambda client, world: (
        "PATCH", f"/time-entries/{_entry(client, world)}", {"note": "pairing"}
    ),
    "POST /time-entries/{id}/restore": lambda client, world: (
        "POST", f"/time-entries/{_deleted_entry(client, world)}/restore", None
    ),
    "POST /timers": lambda client, world: ("POST", "/timers", {"projectId": str(world.project.id)}),
    "POST /timers/current/stop": _stop_a_running_timer,
    "POST /projects": lambda client, world: ("POST", "/projects", {"name": "Relaunch"}),
    "PATCH /projects/{id}": lambda client, world: ("PATCH", f"/projects/{world.project.id}", {"name": "Renamed"}),
    "POST /projects/{id}/tasks": lambda client, world: (
        "POST", f"/projects/{world.project.id}/tasks", {"name": "Design"}
    ),
    "PATCH /tasks/{id}": lambda client, world: ("PATCH", f"/tasks/{world.task.id}", {"archived": True}),
}  # fmt: skip


@pytest.fixture
def threads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the functions the write path hands to a worker thread, in order."""
    handed: list[str] = []
    real = hours_http.responses.sync_to_thread

    async def counting(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        handed.append(getattr(getattr(fn, "func", fn), "__name__", repr(fn)))  # partial(run, ...): run
        return await real(fn, *args, **kwargs)

    monkeypatch.setattr(hours_http.responses, "sync_to_thread", counting)
    return handed


@pytest.mark.parametrize(
    ("reads_in_thread", "remembered", "replay_threads"),
    [
        pytest.param(False, True, [], id="reads-on-the-loop-remembered"),
        pytest.param(False, False, ["run"], id="reads-on-the-loop-another-process"),
        pytest.param(True, True, [], id="reads-in-a-thread-remembered"),
        pytest.param(True, False, ["run"], id="reads-in-a-thread-another-process"),
    ],
)
@pytest.mark.parametrize("route", list(WRITES))
def test_a_keyed_retry_of_every_write_route_is_replayed_the_same_way(
    route: str,
    reads_in_thread: bool,
    remembered: bool,
    replay_threads: list[str],
    world: World,
    threads: list[str],
) -> None:
    """A key the process's replay memory holds: the replay answers from the loop, with no thread at
    all, wherever the app reads. A key the process has not seen complete (another process's): the
    claim replays it, in the one worker-thread hop of the write; no lookup reads the store first."""
    with TestClient(create_app(world.services, reads_in_thread=reads_in_thread)) as client:
        method, path, payload = WRITES[route](client, world)
        headers = {**bearer(world.owner_token), "Idempotency-Key": KEY}
        first = client.request(method, path, json=payload, headers=headers)
        assert first.status_code in {200, 201}, first.text
        if not remembered:
            world.services.idempotent.memory.clear()
        threads.clear()
        again = client.request(method, path, json=payload, headers=headers)
    assert threads == replay_threads
    assert again.headers["Idempotent-Replayed"] == "true"
    assert (again.status_code, again.content) == (first.status_code, first.content)
    assert again.headers.get("Location") == first.headers.get("Location")


@pytest.mark.parametrize(
    ("method", "path"), [("DELETE", "/time-entries/{entry}"), ("DELETE", "/tokens/{prefix}")]
)
def test_deletes_take_the_same_path_and_ignore_the_key(
    method: str, path: str, client: TestClient[Any], world: World, threads: list[str]
) -> None:
    prefix = world.admin_token.split("_")[2]
    target = path.format(entry=_entry(client, world), prefix=prefix)
    headers = {
        **bearer(world.admin_token if "tokens" in path else world.owner_token),
        "Idempotency-Key": "nope",
    }
    queue = getattr(world.run_write, "__self__", None)  # SQLite's writer queue, if the app has one
    batches = 0 if queue is None else queue.batches
    threads.clear()
    response = client.request(method, target, headers=headers)
    assert response.status_code == 204 and response.content == b""
    assert "content-type" not in response.headers
    if queue is None:
        assert threads == ["run"]
    else:  # the one hop is to the writer thread
        assert (threads, queue.batches) == ([], batches + 1)
