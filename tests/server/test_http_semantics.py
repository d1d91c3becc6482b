"""HEAD and repeated security headers against a real ``hours serve``, over raw sockets."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator

import pytest

from tests.server_support import Server, served


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with served(tmp_path_factory.mktemp("semantics")) as running:
        yield running


def read_response(connection: socket.socket, *, head_request: bool) -> tuple[str, dict[str, str], bytes]:
    """One response from ``connection``: status line, headers, and the body its length says (none for HEAD)."""
    received = b""
    while b"\r\n\r\n" not in received:
        chunk = connection.recv(65536)
        assert chunk, f"the connection closed after {received!r}"
        received += chunk
    head, _, rest = received.partition(b"\r\n\r\n")
    status, *lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in lines)}
    length = 0 if head_request else int(headers.get("content-length", "0"))
    while len(rest) < length:
        chunk = connection.recv(65536)
        assert chunk
        rest += chunk
    assert len(rest) == length, "bytes after the response"
    return status, headers, rest


@pytest.mark.slow
def test_head_answers_with_the_headers_of_get_and_no_body_on_a_keep_alive_connection(server: Server) -> None:
    token = server.demo["token"]
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as connection:
        for path, auth in (("/health", ""), ("/me", f"Authorization: Bearer {token}\r\n")):
            connection.sendall(f"GET {path} HTTP/1.1\r\nHost: hours\r\n{auth}\r\n".encode())
            got_status, got_headers, got_body = read_response(connection, head_request=False)
            connection.sendall(f"HEAD {path} HTTP/1.1\r\nHost: hours\r\n{auth}\r\n".encode())
            status, headers, body = read_response(connection, head_request=True)
            assert got_status == status == "HTTP/1.1 200 OK"
            assert body == b"" and got_body
            assert headers["content-length"] == got_headers["content-length"] == str(len(got_body))
            assert headers.get("cache-control") == got_headers.get("cache-control")
        # the connection still serves: no stray body bytes were sent after a HEAD answer
        connection.sendall(b"GET /health HTTP/1.1\r\nHost: hours\r\n\r\n")
        status, _, body = read_response(connection, head_request=False)
        assert status == "HTTP/1.1 200 OK" and json.loads(body) == {"data": {"status": "ok"}}


@pytest.mark.slow
@pytest.mark.parametrize("name", ["Authorization", "Idempotency-Key"])
def test_a_security_header_sent_twice_is_400_naming_it(server: Server, name: str) -> None:
    token = server.demo["token"]
    key = "0190a000-0000-7000-8000-00000000000a"
    twice = f"{name}: Bearer {token}\r\n" if name == "Authorization" else f"{name}: {key}\r\n"
    body = json.dumps({"projectId": server.demo["projectId"], "entryDate": "2026-03-02", "duration": "1h"})
    request = (
        f"POST /time-entries HTTP/1.1\r\nHost: hours\r\nAuthorization: Bearer {token}\r\n"
        f"Idempotency-Key: {key}\r\n{twice}Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n{body}"
    )
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as connection:
        connection.sendall(request.encode())
        status, headers, answer = read_response(connection, head_request=False)
    assert status == "HTTP/1.1 400 Bad Request"
    assert json.loads(answer)["error"] == {
        "code": "bad_request",
        "message": f"The {name} header is sent more than once; send it once.",
        "fields": {name: "must be sent once"},
    }
    assert headers["content-type"] == "application/json"
    assert headers["cache-control"] == "private, no-store"  # as every answer of a route that needs a token


@pytest.mark.slow
def test_a_transfer_coding_besides_chunked_is_415_and_a_chunked_body_is_read(server: Server) -> None:
    """Before, ``Transfer-Encoding: gzip, chunked`` with a plain JSON body made an entry: the server
    undid the chunks and read the "gzip" bytes as JSON."""
    token = server.demo["token"]
    body = json.dumps({"projectId": server.demo["projectId"], "entryDate": "2026-03-03", "duration": "1h"})
    chunks = f"{len(body):x}\r\n{body}\r\n0\r\n\r\n"
    answers = {}
    for coding in ("gzip, chunked", "chunked"):
        request = (
            f"POST /time-entries HTTP/1.1\r\nHost: hours\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/json\r\nTransfer-Encoding: {coding}\r\n\r\n{chunks}"
        )
        with socket.create_connection(("127.0.0.1", server.port), timeout=30) as connection:
            connection.sendall(request.encode())
            status, _, answer = read_response(connection, head_request=False)
        answers[coding] = (status, json.loads(answer))
    status, answer = answers["gzip, chunked"]
    assert status == "HTTP/1.1 415 Unsupported Media Type"
    assert answer["error"]["code"] == "unsupported_media_type"
    assert answers["chunked"][0] == "HTTP/1.1 201 Created"


@pytest.mark.slow
def test_precondition_headers_on_several_lines_are_one_list(server: Server) -> None:
    """``If-Match: "99"`` then ``If-Match: "<current>"`` names the current version (RFC 9110 5.3);
    before, only the first line was read: 412 for the write, 200 instead of 304 for the read."""
    token = server.demo["token"]
    auth = f"Host: hours\r\nAuthorization: Bearer {token}\r\n"
    path = f"/projects/{server.demo['projectId']}"
    body = json.dumps({"name": "Renamed"})
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as connection:
        connection.sendall(f"GET {path} HTTP/1.1\r\n{auth}\r\n".encode())
        _, headers, _ = read_response(connection, head_request=False)
        current = headers["etag"]
        connection.sendall(
            f'PATCH {path} HTTP/1.1\r\n{auth}If-Match: "99"\r\nIf-Match: {current}\r\n'
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n{body}".encode()
        )
        status, headers, _ = read_response(connection, head_request=False)
        assert status == "HTTP/1.1 200 OK"
        changed = headers["etag"]
        connection.sendall(
            f'GET {path} HTTP/1.1\r\n{auth}If-None-Match: "99"\r\nIf-None-Match: {changed}\r\n\r\n'.encode()
        )
        status, _, _ = read_response(connection, head_request=True)
        assert status == "HTTP/1.1 304 Not Modified"


@pytest.mark.slow
def test_options_asterisk_is_answered_by_the_server_with_every_method(server: Server) -> None:
    """The request line ``OPTIONS * HTTP/1.1`` reaches the app as the path ``*``: it was 404."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as connection:
        connection.sendall(b"OPTIONS * HTTP/1.1\r\nHost: hours\r\n\r\n")
        status, headers, body = read_response(connection, head_request=False)
        connection.sendall(b"GET * HTTP/1.1\r\nHost: hours\r\n\r\n")
        refused, _, answer = read_response(connection, head_request=False)
    assert status == "HTTP/1.1 204 No Content" and body == b""
    assert headers["allow"] == "DELETE, GET, HEAD, OPTIONS, PATCH, POST"
    assert refused == "HTTP/1.1 400 Bad Request" and json.loads(answer)["error"]["code"] == "bad_request"
