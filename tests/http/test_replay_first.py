"""Replays answered before the route (:class:`hours_http.replays.ReplayFirst`).

``create_app`` installs a middleware that answers the replay of a keyed write before the route's
parameter checks, dependencies and body decoding: from the process's memory of completed records,
and only for a key the memory holds; the write's claim answers any other replay. These
tests hold it to its promise: over every store, its replay is the route's replay (status, body
bytes and header fields in order), a first use costs no lookup and a replay in memory no route,
the documented order of checks (docs/api.md, section 3) still holds, a replay still counts
against the user's rate limit, and two concurrent first uses of one key still store one entry.

"The route" below is the app without the middleware (``replay_first=False``, with reads in a
thread as on PostgreSQL) over the same world: the replay as it was answered before :class:`~hours_http.replays.ReplayFirst` existed.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import httpx
import pytest
from litestar.testing import TestClient

from hours_core.services import Caller, KeyedRequest, Outcome
from hours_http import create_app
from hours_http.rate_limit import RateLimit
from hours_http.responses import Writer
from tests.http.conftest import bearer
from tests.world import World

KEY = "01ARZ3NDEKTSV4RRFFQ69G5FAV"
OTHER_KEY = "0190c2d4-5a6b-7c8d-9e0f-112233445566"
UNCOMPARED = {"x-request-id", "date"}
"""Header fields that may differ between two answers of the same replay."""

Request = tuple[str, str, dict[str, Any] | None]
"""Method, path and JSON body (``None``: the route takes no body)."""


# --- apps and requests ------------------------------------------------------------------------


def app_client(world: World, *, replay_first: bool, **options: Any) -> TestClient[Any]:
    """A client of an app over ``world``: with :class:`ReplayFirst` (reads on the loop) or without."""
    app = create_app(
        world.services,
        reads_in_thread=not replay_first,
        replay_first=replay_first,
        run_write=world.run_write,
        **options,
    )
    return TestClient(app)


@contextmanager
def both_apps(world: World, **options: Any) -> Iterator[tuple[TestClient[Any], TestClient[Any]]]:
    """Clients of the app with :class:`ReplayFirst` and of the app without it, over one world."""
    with (
        app_client(world, replay_first=True, **options) as first,
        app_client(world, replay_first=False, **options) as route,
    ):
        yield first, route


def keyed(world: World, key: str = KEY, **more: str) -> dict[str, str]:
    """The owner's token and ``Idempotency-Key: key``, plus ``more`` header fields."""
    return {**bearer(world.owner_token), "Idempotency-Key": key, **more}


def entry_body(world: World, **changes: Any) -> dict[str, Any]:
    return {"projectId": str(world.project.id), "entryDate": "2026-03-02", "duration": "1h", **changes}


def send(client: TestClient[Any], request: Request, headers: dict[str, str]) -> httpx.Response:
    method, path, payload = request
    if payload is None:
        return client.request(method, path, headers=headers)
    return client.request(method, path, json=payload, headers=headers)


def compared_headers(response: httpx.Response) -> list[tuple[str, str]]:
    """The response's header fields in order, but those that may differ between two answers."""
    return [(name, value) for name, value in response.headers.multi_items() if name not in UNCOMPARED]


def error_of(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """The documented error body of ``response``, checked to be ``status`` and ``code``."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    document = response.json()
    assert list(document) == ["error"]
    error: dict[str, Any] = document["error"]
    assert error["code"] == code and isinstance(error["message"], str) and error["message"]
    return error


def entry_count(client: TestClient[Any], world: World) -> int:
    listed = client.get("/time-entries", params={"limit": 100}, headers=bearer(world.owner_token))
    assert listed.status_code == 200, listed.text
    return len(listed.json()["data"])


# --- the keyed routes replayed ----------------------------------------------------------------


def _create_an_entry(client: TestClient[Any], world: World) -> str:
    made = client.post("/time-entries", json=entry_body(world), headers=bearer(world.owner_token))
    assert made.status_code == 201, made.text
    return str(made.json()["data"]["id"])


def _restore_a_deleted_entry(client: TestClient[Any], world: World) -> Request:
    entry_id = _create_an_entry(client, world)
    assert client.delete(f"/time-entries/{entry_id}", headers=bearer(world.owner_token)).status_code == 204
    return ("POST", f"/time-entries/{entry_id}/restore", None)


def _submit_a_timesheet(client: TestClient[Any], world: World) -> Request:
    made = client.post("/timesheets", json={"weekStart": "2026-03-02"}, headers=bearer(world.owner_token))
    assert made.status_code == 201, made.text
    return ("POST", f"/timesheets/{made.json()['data']['id']}/submit", None)


def _patch_an_entry(client: TestClient[Any], world: World) -> Request:
    return ("PATCH", f"/time-entries/{_create_an_entry(client, world)}", {"note": "pairing"})


KEYED_WRITES: dict[str, Callable[[TestClient[Any], World], Request]] = {
    "POST /time-entries": lambda client, world: ("POST", "/time-entries", entry_body(world)),
    "POST /time-entries/{id}/restore": _restore_a_deleted_entry,
    "POST /timesheets/{id}/submit": _submit_a_timesheet,
    "PATCH /time-entries/{id}": _patch_an_entry,
}
"""Keyed routes with a body (create, PATCH with a path id) and without one (restore, submit)."""


@pytest.mark.parametrize("route", list(KEYED_WRITES))
def test_the_replay_before_the_route_is_the_routes_replay_byte_for_byte(route: str, world: World) -> None:
    with both_apps(world) as (first, route_client):
        request = KEYED_WRITES[route](first, world)
        original = send(first, request, keyed(world, **{"X-Request-Id": "first-use"}))
        assert original.status_code in {200, 201}, original.text
        assert "idempotent-replayed" not in original.headers

        early = send(first, request, keyed(world, **{"X-Request-Id": "replay-first"}))
        late = send(route_client, request, keyed(world, **{"X-Request-Id": "replay-in-route"}))

    assert (early.status_code, early.content) == (original.status_code, original.content)
    assert (late.status_code, late.content) == (early.status_code, early.content)
    assert compared_headers(early) == compared_headers(late)
    assert early.headers["idempotent-replayed"] == "true"
    assert early.headers["cache-control"] == "private, no-store"
    assert early.headers["content-type"] == "application/json"
    assert early.headers["x-request-id"] == "replay-first"
    assert late.headers["x-request-id"] == "replay-in-route"
    assert early.headers.get("etag") == original.headers.get("etag")
    assert early.headers.get("location") == original.headers.get("location")


def test_a_replayed_create_keeps_its_location_and_etag(world: World) -> None:
    with app_client(world, replay_first=True) as client:
        original = client.post("/time-entries", json=entry_body(world), headers=keyed(world))
        replay = client.post("/time-entries", json=entry_body(world), headers=keyed(world))
    entry = original.json()["data"]
    assert original.status_code == replay.status_code == 201
    assert replay.headers["location"] == f"/time-entries/{entry['id']}"
    assert replay.headers["etag"] == f'"{entry["version"]}"'


def test_a_batch_over_64_kib_is_replayed_within_the_batch_routes_own_limit(world: World) -> None:
    """The middleware reads the body with the route's limit: 1 MiB for a batch, not 64 KiB."""
    create = {"op": "create", "body": entry_body(world, note="x" * 900)}
    batch = {"atomic": True, "operations": [create] * 100}
    assert len(json.dumps(batch)) > 64 * 1024
    with both_apps(world) as (first, route):
        original = first.post("/time-entries/batch", json=batch, headers=keyed(world))
        early = first.post("/time-entries/batch", json=batch, headers=keyed(world))
        late = route.post("/time-entries/batch", json=batch, headers=keyed(world))
        assert entry_count(first, world) == 100
    assert original.status_code == 200, original.text
    assert (early.status_code, early.content) == (late.status_code, late.content) == (200, original.content)
    assert compared_headers(early) == compared_headers(late)
    assert early.headers["idempotent-replayed"] == "true"


# --- the middleware answers before the route ----------------------------------------------------


class Calls:
    """The calls the app makes to the runner's ``replay`` and ``run`` and to the route's ``Writer``."""

    def __init__(self) -> None:
        self.replay = 0
        """Lookups, wherever they are answered."""
        self.recalled = 0
        """Lookups the replay memory answered (no store access)."""
        self.run = 0
        self.writer = 0

    def clear(self) -> None:
        self.replay = self.recalled = self.run = self.writer = 0


@pytest.fixture
def calls(world: World, monkeypatch: pytest.MonkeyPatch) -> Calls:
    """Counts, through wrappers around the real methods, the lookups, the runs and the routes."""
    counted = Calls()
    runner = world.services.idempotent
    real_replay, real_run, real_writer = runner.replay, runner.run, Writer.__call__

    real_recall = runner.memory.recall

    def replay(caller: Caller, request: KeyedRequest) -> Outcome | None:
        counted.replay += 1
        return real_replay(caller, request)

    def recall(*args: Any) -> Any:
        found = real_recall(*args)
        counted.recalled += found is not None
        return found

    def run(*args: Any, **kwargs: Any) -> Outcome:
        counted.run += 1
        return real_run(*args, **kwargs)

    async def writer(self: Writer, *args: Any, **kwargs: Any) -> Any:
        counted.writer += 1
        return await real_writer(self, *args, **kwargs)

    monkeypatch.setattr(runner, "replay", replay)
    monkeypatch.setattr(runner.memory, "recall", recall)
    monkeypatch.setattr(runner, "run", run)
    monkeypatch.setattr(Writer, "__call__", writer)
    return counted


def test_a_first_use_is_not_looked_up_and_its_write_claims_the_key(world: World, calls: Calls) -> None:
    """A key the memory does not hold costs no lookup in the store: the write's claim decides."""
    with app_client(world, replay_first=True) as client:
        created = client.post("/time-entries", json=entry_body(world), headers=keyed(world))
    assert created.status_code == 201, created.text
    assert (calls.replay, calls.run, calls.writer) == (0, 1, 1)


def test_a_replay_the_process_remembers_is_answered_before_routing_by_one_lookup_in_memory(
    world: World, calls: Calls, monkeypatch: pytest.MonkeyPatch
) -> None:
    with app_client(world, replay_first=True) as client:
        client.post("/time-entries", json=entry_body(world), headers=keyed(world))
        calls.clear()
        routed: list[str] = []
        router = client.app.asgi_router
        real_router_call = type(router).__call__

        async def counting_router(self: Any, scope: Any, receive: Any, send: Any) -> None:
            routed.append(scope["path"])
            await real_router_call(self, scope, receive, send)

        monkeypatch.setattr(type(router), "__call__", counting_router)
        replay = client.post("/time-entries", json=entry_body(world), headers=keyed(world))
        assert replay.headers["idempotent-replayed"] == "true"
        assert (calls.replay, calls.recalled, calls.run, calls.writer) == (1, 1, 0, 0)
        assert routed == []  # Litestar's router never saw it
        assert entry_count(client, world) == 1


def test_a_replay_the_process_has_not_seen_is_answered_by_the_claim_then_from_memory(
    world: World, calls: Calls
) -> None:
    """As in another process, or after a restart: the memory does not hold the key, so the route's
    write claims it and finds the record in the store; the memory keeps it for the next replay."""
    with app_client(world, replay_first=True) as client:
        created = client.post("/time-entries", json=entry_body(world), headers=keyed(world))
        world.services.idempotent.memory.clear()
        calls.clear()
        replay = client.post("/time-entries", json=entry_body(world), headers=keyed(world))
        assert replay.headers["idempotent-replayed"] == "true"
        assert (replay.status_code, replay.content) == (created.status_code, created.content)
        assert (calls.replay, calls.run, calls.writer) == (0, 1, 1)
        again = client.post("/time-entries", json=entry_body(world), headers=keyed(world))
        assert again.content == replay.content
        assert (calls.replay, calls.recalled, calls.run, calls.writer) == (1, 1, 1, 1)
        assert entry_count(client, world) == 1


def test_without_the_middleware_the_replay_goes_through_the_route(world: World, calls: Calls) -> None:
    """The contrast that makes the counts above mean something: the route's own replay."""
    with app_client(world, replay_first=False) as client:
        client.post("/time-entries", json=entry_body(world), headers=keyed(world))
        calls.clear()
        replay = client.post("/time-entries", json=entry_body(world), headers=keyed(world))
    assert replay.headers["idempotent-replayed"] == "true"
    assert calls.writer == 1 and calls.run == 1  # the claim answers the replay, in the route


def test_a_request_without_a_key_is_left_to_the_route_and_looks_nothing_up(
    world: World, calls: Calls
) -> None:
    with app_client(world, replay_first=True) as client:
        created = client.post("/time-entries", json=entry_body(world), headers=bearer(world.owner_token))
    assert created.status_code == 201
    assert (calls.replay, calls.run, calls.writer) == (0, 1, 1)


@pytest.mark.parametrize("content_type", ["text/plain", None])
def test_a_replay_answers_even_when_the_retry_would_no_longer_decode(
    world: World, calls: Calls, content_type: str | None
) -> None:
    """Same JSON in another spelling (key order, white space: the same canonical fingerprint), sent
    as text or with no content type at all, which decoding would refuse with 415."""
    respelled = json.dumps(dict(reversed(list(entry_body(world).items()))), indent=4).encode()
    typed = {} if content_type is None else {"Content-Type": content_type}
    with app_client(world, replay_first=True) as client:
        original = client.post("/time-entries", json=entry_body(world), headers=keyed(world))
        calls.clear()
        replay = client.post("/time-entries", content=respelled, headers=keyed(world, **typed))
        fresh = client.post("/time-entries", content=respelled, headers=keyed(world, OTHER_KEY, **typed))
    assert (replay.status_code, replay.content) == (201, original.content)
    assert replay.headers["idempotent-replayed"] == "true"
    assert calls.writer == 1  # only the request with a new key reached a route
    error_of(fresh, 415, "unsupported_media_type")  # which is what the body would have got


# --- the order of checks ------------------------------------------------------------------------


@pytest.fixture
def recorded(world: World) -> Iterator[tuple[TestClient[Any], TestClient[Any]]]:
    """Both apps over a world where the owner's ``POST /time-entries`` with :data:`KEY` is recorded."""
    with both_apps(world) as (first, route):
        made = first.post("/time-entries", json=entry_body(world), headers=keyed(world))
        assert made.status_code == 201, made.text
        yield first, route


def same_answer(
    apps: tuple[TestClient[Any], TestClient[Any]], call: Callable[[TestClient[Any]], httpx.Response]
) -> httpx.Response:
    """``call`` on the app with :class:`ReplayFirst`, checked to answer as the route does."""
    first, route = apps
    early, late = call(first), call(route)
    assert (early.status_code, early.content) == (late.status_code, late.content)
    return early


def test_an_unknown_query_parameter_on_a_replay_is_422_before_the_replay(
    world: World, recorded: tuple[TestClient[Any], TestClient[Any]]
) -> None:
    answer = same_answer(
        recorded, lambda c: c.post("/time-entries?x=1", json=entry_body(world), headers=keyed(world))
    )
    error = error_of(answer, 422, "validation_failed")
    assert list(error["fields"]) == ["x"]


def test_an_unknown_query_parameter_comes_before_the_body_size(
    world: World, recorded: tuple[TestClient[Any], TestClient[Any]]
) -> None:
    too_big = entry_body(world, note="x" * (64 * 1024))
    answer = same_answer(recorded, lambda c: c.post("/time-entries?x=1", json=too_big, headers=keyed(world)))
    error_of(answer, 422, "validation_failed")


@pytest.mark.parametrize(
    "spell", [lambda id_: id_.replace("-", ""), lambda id_: "{" + id_ + "}", lambda id_: "urn:uuid:" + id_]
)
def test_a_loose_path_id_on_a_keyed_patch_with_a_used_key_is_404(
    world: World, recorded: tuple[TestClient[Any], TestClient[Any]], spell: Callable[[str], str]
) -> None:
    first, _ = recorded
    entry_id = _create_an_entry(first, world)
    patched = first.patch(f"/time-entries/{entry_id}", json={"note": "n"}, headers=keyed(world, OTHER_KEY))
    assert patched.status_code == 200, patched.text
    answer = same_answer(
        recorded,
        lambda c: c.patch(
            f"/time-entries/{spell(entry_id)}", json={"note": "n"}, headers=keyed(world, OTHER_KEY)
        ),
    )
    error_of(answer, 404, "not_found")


def test_an_upper_case_path_id_is_routed_and_is_another_path_for_the_key(
    world: World, recorded: tuple[TestClient[Any], TestClient[Any]]
) -> None:
    """Upper-case hex is the canonical form too (no 404), but the fingerprint keeps the path's case."""
    first, _ = recorded
    entry_id = _create_an_entry(first, world)
    first.patch(f"/time-entries/{entry_id}", json={"note": "n"}, headers=keyed(world, OTHER_KEY))
    answer = same_answer(
        recorded,
        lambda c: c.patch(
            f"/time-entries/{entry_id.upper()}", json={"note": "n"}, headers=keyed(world, OTHER_KEY)
        ),
    )
    error_of(answer, 422, "idempotency_key_reused")


def test_a_path_id_that_is_no_id_with_a_remembered_key_gets_the_routers_answer(
    world: World, recorded: tuple[TestClient[Any], TestClient[Any]]
) -> None:
    """The routing before the router fails on it, and leaves it to the app, which answers as the
    route does."""
    first, _ = recorded
    entry_id = _create_an_entry(first, world)
    first.patch(f"/time-entries/{entry_id}", json={"note": "n"}, headers=keyed(world, OTHER_KEY))
    answer = same_answer(
        recorded,
        lambda c: c.patch("/time-entries/not-an-id", json={"note": "n"}, headers=keyed(world, OTHER_KEY)),
    )
    error_of(answer, 404, "not_found")


def test_a_malformed_key_is_400_before_the_bodys_nesting_and_content_type(
    world: World, recorded: tuple[TestClient[Any], TestClient[Any]]
) -> None:
    deep = b'{"a":' * 40 + b"1" + b"}" * 40
    headers = keyed(world, "not-a-key", **{"Content-Type": "text/plain"})
    answer = same_answer(recorded, lambda c: c.post("/time-entries", content=deep, headers=headers))
    error_of(answer, 400, "idempotency_key_invalid")


@pytest.mark.parametrize(
    "other",
    [
        pytest.param(lambda world: json.dumps(entry_body(world, note="other")).encode(), id="another-body"),
        pytest.param(lambda world: b"{not json", id="a-malformed-body"),
    ],
)
def test_a_used_key_with_another_request_is_422_reused(
    world: World, recorded: tuple[TestClient[Any], TestClient[Any]], other: Callable[[World], bytes]
) -> None:
    headers = keyed(world, **{"Content-Type": "application/json"})
    answer = same_answer(recorded, lambda c: c.post("/time-entries", content=other(world), headers=headers))
    error_of(answer, 422, "idempotency_key_reused")


def test_an_empty_body_with_a_used_key_is_refused_as_the_route_refuses_it(
    world: World, recorded: tuple[TestClient[Any], TestClient[Any]]
) -> None:
    """The route takes an empty body for no body at all (400 ``invalid_json``) before the key."""
    headers = keyed(world, **{"Content-Type": "application/json"})
    answer = same_answer(recorded, lambda c: c.post("/time-entries", content=b"", headers=headers))
    error_of(answer, 400, "invalid_json")


def test_a_used_key_on_another_path_is_422_reused(
    world: World, recorded: tuple[TestClient[Any], TestClient[Any]]
) -> None:
    answer = same_answer(recorded, lambda c: c.post("/timers", json=entry_body(world), headers=keyed(world)))
    error_of(answer, 422, "idempotency_key_reused")


def test_a_used_key_with_a_body_nested_40_levels_is_400_invalid_json(
    world: World, recorded: tuple[TestClient[Any], TestClient[Any]]
) -> None:
    deep = b'{"a":' * 40 + b"1" + b"}" * 40
    headers = keyed(world, **{"Content-Type": "application/json"})
    answer = same_answer(recorded, lambda c: c.post("/time-entries", content=deep, headers=headers))
    assert "32 levels" in error_of(answer, 400, "invalid_json")["message"]


@pytest.mark.parametrize("key", [KEY, "not-a-key"], ids=["a-used-key", "a-malformed-key"])
@pytest.mark.parametrize("chunked", [False, True], ids=["with-content-length", "chunked"])
def test_a_body_over_64_kib_is_413_before_the_key_is_looked_at(
    world: World, recorded: tuple[TestClient[Any], TestClient[Any]], key: str, chunked: bool
) -> None:
    too_big = json.dumps(entry_body(world, note="x" * (64 * 1024))).encode()
    headers = keyed(world, key, **{"Content-Type": "application/json"})

    def post(client: TestClient[Any]) -> httpx.Response:
        content: Any = iter([too_big[:1000], too_big[1000:]]) if chunked else too_big
        return client.post("/time-entries", content=content, headers=headers)

    error = error_of(same_answer(recorded, post), 413, "payload_too_large")
    assert "64 KiB" in error["message"]


def raw_post(app: Any, headers: dict[str, str], receive: Callable[[], Any]) -> list[dict[str, Any]]:
    """``POST /time-entries`` straight through the ASGI app, its body from ``receive`` (which
    TestClient cannot stage: a length it does not send, a client that leaves); the messages sent."""
    sent: list[dict[str, Any]] = []

    async def collect(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/time-entries",
        "raw_path": b"/time-entries",
        "root_path": "",
        "query_string": b"",
        "headers": [(name.lower().encode(), value.encode()) for name, value in headers.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    asyncio.run(app(scope, receive, collect))
    return sent


def test_an_announced_length_over_the_limit_is_413_before_a_byte_of_the_body_is_read(world: World) -> None:
    app = create_app(world.services, reads_in_thread=False, run_write=world.run_write)
    with TestClient(app) as client:
        first = client.post("/time-entries", json=entry_body(world), headers=keyed(world))
        assert first.status_code == 201, first.text
    received: list[object] = []

    async def receive() -> dict[str, Any]:  # a client that would send 10 MiB if asked (100-continue)
        received.append("asked")
        return {"type": "http.request", "body": b"{}", "more_body": True}

    headers = keyed(world, **{"Content-Type": "application/json", "Content-Length": "10485760"})
    sent = raw_post(app, headers, receive)

    assert sent[0]["status"] == 413
    assert json.loads(sent[1]["body"])["error"]["code"] == "payload_too_large"
    assert received == []


def test_a_client_that_leaves_mid_body_with_a_used_key_gets_what_the_route_gives(
    world: World, recorded: tuple[TestClient[Any], TestClient[Any]]
) -> None:
    def leaving() -> Callable[[], Any]:
        """A client that sends part of its body, then disconnects."""
        messages = [
            {"type": "http.request", "body": b'{"projectId": ', "more_body": True},
            {"type": "http.disconnect"},
        ]

        async def receive() -> dict[str, Any]:
            return messages.pop(0) if len(messages) > 1 else messages[0]

        return receive

    answers = []
    for client in recorded:
        sent = raw_post(client.app, keyed(world, **{"Content-Type": "application/json"}), leaving())
        body = json.loads(b"".join(m.get("body", b"") for m in sent[1:]))
        # A 500 names its own request (each has its own id): the rest of the answer is the same.
        body["error"]["message"] = re.sub(
            r"as request [^ ]+\.$", "as request <id>.", body["error"]["message"]
        )
        answers.append((sent[0]["status"], body))
    early, late = answers
    assert early == late
    assert early[0] == 500


@pytest.mark.parametrize(
    "token",
    [None, "Basic abc", "Bearer hsk_live_AAAAAAAAAAAA_" + "A" * 32],
    ids=["no-token", "not-bearer", "unknown-token"],
)
@pytest.mark.parametrize("key", [KEY, "not-a-key"], ids=["a-used-key", "a-malformed-key"])
def test_a_missing_or_bad_token_is_401_before_anything(
    world: World, recorded: tuple[TestClient[Any], TestClient[Any]], token: str | None, key: str
) -> None:
    headers = {"Idempotency-Key": key} if token is None else {"Idempotency-Key": key, "Authorization": token}
    answer = same_answer(
        recorded, lambda c: c.post("/time-entries?x=1", json=entry_body(world), headers=headers)
    )
    error_of(answer, 401, "unauthenticated")
    assert answer.headers["www-authenticate"].startswith("Bearer")


def test_another_users_key_is_their_own_and_runs_as_new(
    world: World, recorded: tuple[TestClient[Any], TestClient[Any]]
) -> None:
    first, _ = recorded
    theirs = first.post(
        "/time-entries", json=entry_body(world), headers={**keyed(world), **bearer(world.admin_token)}
    )
    assert theirs.status_code == 201 and "idempotent-replayed" not in theirs.headers
    assert theirs.json()["data"]["userId"] == str(world.admin.id)


# --- rate limits --------------------------------------------------------------------------------


def test_a_replay_counts_against_the_rate_limit_with_the_routes_headers(world: World) -> None:
    """Window one: a create and its replay before the route; window two: one other request and the
    replay by the route. Each replay is its user's second request of a window of three."""
    with both_apps(world, rate_limit=RateLimit(3, 60)) as (first, route):
        assert first.post("/time-entries", json=entry_body(world), headers=keyed(world)).status_code == 201
        early = first.post("/time-entries", json=entry_body(world), headers=keyed(world))
        world.clock.advance(timedelta(seconds=60))
        assert route.get("/me", headers=bearer(world.owner_token)).status_code == 200
        late = route.post("/time-entries", json=entry_body(world), headers=keyed(world))
    assert (early.status_code, early.content) == (late.status_code, late.content)
    assert compared_headers(early) == compared_headers(late)
    assert early.headers["idempotent-replayed"] == "true"
    assert early.headers["ratelimit-policy"] == '"user";q=3;w=60'
    assert early.headers["ratelimit"] == '"user";r=1;t=60'


def test_a_replay_before_routing_sends_the_rate_limit_fields_where_the_route_does(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With units of the user's limit held by this process, a remembered replay is answered before
    routing, its header fields in the order the route's middleware sends them."""
    with both_apps(world, rate_limit=RateLimit(600, 60)) as (first, route):
        created = first.post("/time-entries", json=entry_body(world), headers=keyed(world))
        first.post("/time-entries", json=entry_body(world), headers=keyed(world))  # leases more units
        routed: list[str] = []
        router_type = type(first.app.asgi_router)
        real_router_call = router_type.__call__

        async def counting_router(self: Any, scope: Any, receive: Any, send: Any) -> None:
            routed.append(scope["path"])
            await real_router_call(self, scope, receive, send)

        monkeypatch.setattr(router_type, "__call__", counting_router)
        early = first.post("/time-entries", json=entry_body(world), headers=keyed(world))
        assert routed == []
        monkeypatch.undo()
        late = route.post("/time-entries", json=entry_body(world), headers=keyed(world))
    assert (early.status_code, early.content) == (late.status_code, late.content) == (201, created.content)
    names = [name for name, _ in compared_headers(early)]
    assert names == [name for name, _ in compared_headers(late)]
    assert [(n, v) for n, v in compared_headers(early) if n != "ratelimit"] == [
        (n, v) for n, v in compared_headers(late) if n != "ratelimit"
    ]
    assert early.headers["ratelimit"] == '"user";r=597;t=60'


def test_over_the_rate_limit_a_replay_is_429_without_reaching_the_store(world: World, calls: Calls) -> None:
    with app_client(world, replay_first=True, rate_limit=RateLimit(3, 60)) as client:
        answers = [
            client.post("/time-entries", json=entry_body(world), headers=keyed(world)) for _ in range(3)
        ]
        ran = calls.run
        answers.append(client.post("/time-entries", json=entry_body(world), headers=keyed(world)))
    assert [answer.status_code for answer in answers] == [201, 201, 201, 429]
    assert [answer.headers.get("idempotent-replayed") for answer in answers[:3]] == [None, "true", "true"]
    refused = answers[3]
    error_of(refused, 429, "rate_limited")
    assert refused.headers["retry-after"] == "60"
    assert refused.headers["ratelimit"] == '"user";r=0;t=60'
    assert calls.run == ran  # the refused request never reached the store


@pytest.mark.parametrize("limit", [2, 5, 40])
def test_replays_before_routing_count_against_the_rate_limit_like_any_request(
    world: World, limit: int
) -> None:
    """Whichever layer answers each replay (before routing from the units this process holds,
    or after the rate limit's middleware leased more from the store), the user gets exactly
    ``limit`` answers in the window, with the remaining count going down by one each time."""
    with app_client(world, replay_first=True, rate_limit=RateLimit(limit, 60)) as client:
        answers = [
            client.post("/time-entries", json=entry_body(world), headers=keyed(world))
            for _ in range(limit + 2)
        ]
    assert [answer.status_code for answer in answers] == [201] * limit + [429] * 2
    remaining = [answer.headers["ratelimit"] for answer in answers]
    assert remaining[:limit] == [f'"user";r={left};t=60' for left in range(limit - 1, -1, -1)]


def test_an_address_over_its_failure_limit_is_refused_even_for_a_replay_this_process_remembers(
    world: World,
) -> None:
    with app_client(world, replay_first=True, auth_failure_limit=RateLimit(2, 60)) as client:
        created = client.post("/time-entries", json=entry_body(world), headers=keyed(world))
        for _ in range(2):
            bad = {**keyed(world), "Authorization": "Bearer hsk_test_nope"}
            client.post("/time-entries", json=entry_body(world), headers=bad)
        replay = client.post("/time-entries", json=entry_body(world), headers=keyed(world))
    assert created.status_code == 201
    error_of(replay, 429, "rate_limited")


def test_a_revoked_token_cannot_replay_from_memory(world: World) -> None:
    with app_client(world, replay_first=True) as client:
        created = client.post("/time-entries", json=entry_body(world), headers=keyed(world))
        prefix = world.owner_token.split("_")[2]
        revoked = client.delete(f"/tokens/{prefix}", headers=bearer(world.owner_token))
        replay = client.post("/time-entries", json=entry_body(world), headers=keyed(world))
    assert created.status_code == 201 and revoked.status_code == 204
    error_of(replay, 401, "unauthenticated")


def test_a_bad_host_header_is_refused_as_the_router_refuses_it_even_for_a_remembered_replay(
    world: World,
) -> None:
    with both_apps(world) as (first, route):
        assert first.post("/time-entries", json=entry_body(world), headers=keyed(world)).status_code == 201
        early = first.post("/time-entries", json=entry_body(world), headers=keyed(world, Host="a b"))
        late = route.post("/time-entries", json=entry_body(world), headers=keyed(world, Host="a b"))
    error_of(early, 400, "bad_request")
    assert (early.status_code, early.content) == (late.status_code, late.content)


def test_a_remembered_record_runs_as_new_once_its_24_hours_end(world: World) -> None:
    with app_client(world, replay_first=True) as client:
        first = client.post("/time-entries", json=entry_body(world), headers=keyed(world))
        world.clock.advance(timedelta(hours=24))
        again = client.post("/time-entries", json=entry_body(world), headers=keyed(world))
        assert entry_count(client, world) == 2
    assert first.status_code == again.status_code == 201
    assert "idempotent-replayed" not in again.headers
    assert again.json()["data"]["id"] != first.json()["data"]["id"]


@pytest.mark.parametrize("route", list(KEYED_WRITES))
def test_a_replay_from_memory_where_reads_run_in_a_thread_is_the_routes_replay(
    route: str, world: World
) -> None:
    """PostgreSQL's setting: the lookups before the route ask the memory only."""
    with (
        TestClient(create_app(world.services, reads_in_thread=True, run_write=world.run_write)) as first,
        app_client(world, replay_first=False) as route_client,
    ):
        request = KEYED_WRITES[route](first, world)
        original = send(first, request, keyed(world))
        early = send(first, request, keyed(world))
        late = send(route_client, request, keyed(world))
    assert (
        (early.status_code, early.content)
        == (late.status_code, late.content)
        == (
            original.status_code,
            original.content,
        )
    )
    assert compared_headers(early) == compared_headers(late)
    assert early.headers["idempotent-replayed"] == "true"


# --- concurrency --------------------------------------------------------------------------------


def test_two_concurrent_first_uses_of_one_key_store_one_entry(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two apps (two event loops), so that both requests pass every check before the route (the
    memory holds no record) before either writes: each waits for the other at the route's write.
    The claim in the write transaction then settles the key."""
    both_routed = threading.Barrier(2, timeout=10)
    real_writer = Writer.__call__

    async def wait_then_write(self: Writer, *args: Any, **kwargs: Any) -> Any:
        await asyncio.to_thread(both_routed.wait)
        return await real_writer(self, *args, **kwargs)

    monkeypatch.setattr(Writer, "__call__", wait_then_write)
    answers: list[httpx.Response] = []
    with app_client(world, replay_first=True) as one, app_client(world, replay_first=True) as two:

        def create(client: TestClient[Any]) -> None:
            answers.append(client.post("/time-entries", json=entry_body(world), headers=keyed(world)))

        threads = [threading.Thread(target=create, args=(client,)) for client in (one, two)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        monkeypatch.setattr(Writer, "__call__", real_writer)
        count = entry_count(one, world)

    assert len(answers) == 2 and count == 1
    created = [a for a in answers if a.status_code == 201 and "idempotent-replayed" not in a.headers]
    assert len(created) == 1, [a.text for a in answers]
    other = next(a for a in answers if a is not created[0])
    if other.status_code == 201:  # the claim waited for the first use and replayed it
        assert other.headers["idempotent-replayed"] == "true" and other.content == created[0].content
    else:  # a store that does not wait on the claim says so
        error_of(other, 409, "idempotency_request_in_progress")
