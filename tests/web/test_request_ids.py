"""Every web response names its request (``X-Request-Id``), with the id its access line and any
error line carry: the server's one id, as over the API (``hours_http.request_id.request_id_of``)."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest
from litestar.exceptions import InternalServerException
from litestar.testing import TestClient

from hours_app.logging_setup import AccessLogMiddleware
from hours_app.mount import WebAndApi
from hours_http import create_app
from hours_http.request_id import REQUEST_ID_PATTERN, request_id_of
from hours_web import LoginThrottle, create_web_app
from tests.world import World

from .conftest import BASE_URL, csrf_of, sign_in


class Lines(logging.Handler):
    """The access fields of each line the access logger writes."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: list[dict[str, Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.fields.append(record.__dict__["access"])


class Records(logging.Handler):
    """Every record a logger writes."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def lines() -> Iterator[Lines]:
    logger = logging.getLogger("tests.web.access")
    handler = Lines()
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    yield handler
    logger.removeHandler(handler)


@pytest.fixture
def site(world: World, lines: Lines) -> Iterator[TestClient]:  # type: ignore[type-arg]
    """The web app and the API as ``hours serve`` composes them, with the access log."""
    web = create_web_app(world.services, throttle=LoginThrottle(), request_id=request_id_of)
    app = AccessLogMiddleware(
        WebAndApi(api=create_app(world.services), web=web), logging.getLogger("tests.web.access")
    )
    with TestClient(app, base_url=BASE_URL) as client:  # type: ignore[arg-type]
        yield client


def test_every_web_response_names_its_request_as_its_access_line_does(
    site: TestClient,  # type: ignore[type-arg]
    world: World,
    lines: Lines,
) -> None:
    assert sign_in(site, world.owner.email, world.owner_password).status_code == 303  # type: ignore[attr-defined]
    week = site.get("/app/week")
    answers = [
        week,
        site.get("/", follow_redirects=False),
        site.get("/app/nowhere"),
        site.get("/app/static/nope.js"),
        site.get(re.findall(r'href="(/app/static/web\.css[^"]*)"', week.text)[0]),
        site.put("/app/week"),
        site.head("/app/week"),
        site.post("/app/week", data={"csrf": csrf_of(week.text), "week": "someday"}),
    ]

    for answer in answers:
        request_id = answer.headers.get("x-request-id", "")
        assert REQUEST_ID_PATTERN.fullmatch(request_id), (answer.request.url, answer.status_code)
        assert answer.headers.get_list("x-request-id") == [request_id]
    ids = [answer.headers["x-request-id"] for answer in answers]
    assert len(set(ids)) == len(ids)
    assert [line["requestId"] for line in lines.fields][-len(ids) :] == ids


def test_a_web_request_keeps_the_clients_safe_id_as_the_api_does(
    site: TestClient,  # type: ignore[type-arg]
) -> None:
    for path in ("/app/sign-in", "/health"):
        assert site.get(path, headers={"X-Request-Id": "trace-42"}).headers["x-request-id"] == "trace-42"
        unsafe = site.get(path, headers={"X-Request-Id": "a b"}).headers["x-request-id"]
        assert unsafe != "a b" and REQUEST_ID_PATTERN.fullmatch(unsafe)


@pytest.mark.parametrize(
    "failure",
    [
        pytest.param(RuntimeError("the store fell over"), id="a bug of hours"),
        # The framework's own 500, as its static-file router raised for a file name longer than
        # the system allows: before, a page with the exception's text, no log line, no request id.
        pytest.param(
            InternalServerException("OSError 36: File name too long: /srv/hours/static/aaaa"),
            id="the framework's InternalServerException",
        ),
    ],
)
def test_the_500_page_and_its_log_line_name_the_request(
    site: TestClient,  # type: ignore[type-arg]
    world: World,
    lines: Lines,
    monkeypatch: pytest.MonkeyPatch,
    failure: Exception,
) -> None:
    sign_in(site, world.owner.email, world.owner_password)

    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise failure

    monkeypatch.setattr(world.services.entries, "list_time_entries", broken)
    errors = Records()
    logging.getLogger("hours.web").addHandler(errors)
    try:
        answer = site.get("/app/week", headers={"X-Request-Id": "crash-1"})
    finally:
        logging.getLogger("hours.web").removeHandler(errors)

    assert answer.status_code == 500 and answer.headers["x-request-id"] == "crash-1"
    assert (
        "Something went wrong on our side; the error is logged as request crash-1. Try again." in answer.text
    )
    assert str(failure) not in answer.text and "Internal Server Error" not in answer.text
    (logged,) = errors.records
    assert logged.levelno == logging.ERROR and "(request crash-1)" in logged.getMessage()
    assert logged.exc_info is not None
    assert lines.fields[-1]["requestId"] == "crash-1" and lines.fields[-1]["status"] == 500


def test_the_events_of_a_pages_changes_record_its_request_id(
    site: TestClient,  # type: ignore[type-arg]
    world: World,
) -> None:
    sign_in(site, world.owner.email, world.owner_password)
    token = csrf_of(site.get("/app/week").text)
    cell = f"{world.project.id}.-.2026-03-02"

    saved = site.post(
        "/app/week/cell",
        data={"cell": cell, f"d.{cell}": "1h"},
        headers={"HX-Request": "true", "X-CSRF-Token": token, "X-Request-Id": "web-7"},
    )

    assert saved.status_code == 200 and saved.headers["x-request-id"] == "web-7"
    events = world.services.events.changes(world.caller(world.owner), None, 100).events
    assert [event.request_id for event in events][-1:] == ["web-7"]
