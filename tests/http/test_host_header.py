"""HostCheck: a Host header no URL can be built from is 400 in the error shape, before any app."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hours_http.host_header import HOST_PROBLEM, MISSING, REPEATED, HostCheck, host_is_readable


@pytest.mark.parametrize(
    "host",
    [
        b"x:notaport",
        b"x:99999",
        b"x:65536",
        b"127.0.0.1:8301:1",
        b"x:-1",
        b"x:+80",
        b"[::1",
        b"user@x:80",
        b"[::1]x",
        b":80",
        b":",
        b"",
        b"a b",
        b"\xff:80",
        b"x/y",
        b"x?y",
    ],
)
def test_a_host_whose_port_is_no_port_is_unreadable(host: bytes) -> None:
    assert not host_is_readable(host)


@pytest.mark.parametrize(
    "host",
    [
        b"hours.example",
        b"127.0.0.1:8000",
        b"x:0",
        b"x:65535",
        b"[::1]:80",
        b"[::1]",
        b"x:",
        b"xn--bcher-kva.example",
    ],
)
def test_a_host_with_an_optional_port_is_readable(host: bytes) -> None:
    assert host_is_readable(host)


@given(st.binary(max_size=40))
def test_any_bytes_are_readable_or_not_without_an_error(host: bytes) -> None:
    assert host_is_readable(host) in (True, False)


def serve(
    headers: list[tuple[bytes, bytes]], *, http_version: str = "1.1", path: str = "/projects"
) -> tuple[list[dict[str, Any]], list[str]]:
    """One request through HostCheck around an app that notes it ran; what was sent, and the app's notes."""
    ran: list[str] = []
    sent: list[dict[str, Any]] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        ran.append(scope["path"])

    async def receive() -> Any:
        return {"type": "http.request", "body": b"{}", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "http_version": http_version,
        "method": "POST",
        "path": path,
        "headers": headers,
    }
    asyncio.run(HostCheck(app)(scope, receive, send))
    return sent, ran


def test_an_unreadable_host_is_answered_400_and_the_app_never_runs() -> None:
    sent, ran = serve([(b"host", b"x:notaport"), (b"content-type", b"application/json")])

    start, body = sent
    assert start["status"] == 400
    assert (b"connection", b"close") in start["headers"]
    assert any(name == b"x-request-id" and value for name, value in start["headers"])
    error = json.loads(body["body"])["error"]
    assert error["code"] == "bad_request" and error["fields"] == {"Host": HOST_PROBLEM}
    assert ran == []


@pytest.mark.parametrize(
    ("path", "cache_control"),
    [("/projects", b"private, no-store"), ("/health", b"no-store"), ("//health/", b"no-store")],
)
def test_the_400_is_cached_as_every_answer_to_its_path(path: str, cache_control: bytes) -> None:
    """docs/api.md, "Caching": every answer of a route that needs a token, errors included, is
    ``private, no-store``; ``/health``'s is ``no-store``."""
    sent, _ran = serve([(b"host", b"x:notaport")], path=path)
    assert (b"cache-control", cache_control) in sent[0]["headers"]
    assert [name for name, _value in sent[0]["headers"]].count(b"cache-control") == 1


@pytest.mark.parametrize(
    ("headers", "problem"),
    [
        ([], MISSING),
        ([(b"host", b"a"), (b"host", b"b")], REPEATED),
        ([(b"host", b"a"), (b"host", b"a")], REPEATED),
    ],
    ids=["missing", "two", "the same twice"],
)
def test_an_http_1_1_request_needs_one_host(headers: list[tuple[bytes, bytes]], problem: str) -> None:
    sent, ran = serve(headers)

    assert sent[0]["status"] == 400 and ran == []
    assert json.loads(sent[1]["body"])["error"]["fields"] == {"Host": problem}


def test_a_readable_host_reaches_the_app() -> None:
    sent, ran = serve([(b"host", b"hours.example:8000")])

    assert sent == [] and ran == ["/projects"]


def test_an_http_1_0_request_may_come_without_host() -> None:
    sent, ran = serve([], http_version="1.0")

    assert sent == [] and ran == ["/projects"]


@pytest.mark.parametrize("http_version", ["1.0", "1"], ids=["asgi", "granian"])
def test_an_http_1_0_request_with_the_servers_empty_host_passes(http_version: str) -> None:
    # granian names HTTP/1.0 "1" and adds an empty host header to a request that sent none.
    sent, ran = serve([(b"host", b"")], http_version=http_version)

    assert sent == [] and ran == ["/projects"]


def test_an_http_1_1_request_with_an_empty_host_is_400() -> None:
    sent, ran = serve([(b"host", b"")])

    assert sent[0]["status"] == 400 and ran == []
