"""A bug is a 500 ``internal_error`` that names its request, in the answer and in the log line, by
the id its ``X-Request-Id`` carries: a client can quote it, an operator find the traceback."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from litestar.testing import TestClient

from hours_http import create_app
from hours_memory import InMemoryStore
from tests.http.conftest import bearer
from tests.world import make_world


class Lines(logging.Handler):
    """The error lines of a logger, kept."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_a_bug_is_a_500_naming_the_request_in_the_answer_and_the_log(monkeypatch: pytest.MonkeyPatch) -> None:
    world = make_world(InMemoryStore().unit_of_work)

    def broken(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(world.services.account, "list_tokens", broken)
    lines = Lines()
    logging.getLogger("hours.http").addHandler(lines)
    try:
        with TestClient(create_app(world.services), raise_server_exceptions=False) as client:
            headers = {**bearer(world.owner_token), "X-Request-Id": "req-quote-me-1"}
            response = client.get("/tokens", headers=headers)
    finally:
        logging.getLogger("hours.http").removeHandler(lines)

    assert response.status_code == 500
    assert response.headers["x-request-id"] == "req-quote-me-1"
    assert response.json() == {
        "error": {
            "code": "internal_error",
            "message": "Something went wrong on our side; the error was logged as request req-quote-me-1.",
        }
    }
    (line,) = [record for record in lines.records if record.getMessage().startswith("unhandled error")]
    assert line.getMessage() == "unhandled error on GET /tokens (request req-quote-me-1)"
    assert line.exc_info is not None and "a bug" in str(line.exc_info[1])
