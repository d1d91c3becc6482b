"""Connection-level abuse against a real ``hours serve``: huge headers, slow headers, too many connections.

Each test starts the server with small limits where that keeps it short (``--header-timeout 1``,
``--max-connections 4``) and talks to it over raw sockets. The assertions are about behaviour: a
generous bound (30 s) only keeps a broken server from hanging the run; no test measures speed.
"""

from __future__ import annotations

import json
import select
import socket
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.polling import eventually
from tests.server_support import Server, raw_exchange, request, served

pytestmark = pytest.mark.slow

HEALTH = b"GET /health HTTP/1.1\r\nHost: hours\r\n\r\n"
PATIENCE_SECONDS = 30
"""The longest a test waits for the server to answer or to close (a bound, not a measurement)."""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("limits")
    with served(folder, "--header-timeout", "1", "--body-timeout", "1") as running:
        yield running


def status_line(answer: bytes) -> bytes:
    return answer.split(b"\r\n", 1)[0]


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmRSS for {pid}")


def worker_pids(server: Server) -> list[int]:
    children = Path(f"/proc/{server.process.pid}/task/{server.process.pid}/children").read_text()
    return [int(pid) for pid in children.split()]


def send_header_of(port: int, size: int) -> bytes:
    """A request with one header of ``size`` bytes, streamed in 64 KiB pieces; what the server answers
    (an empty answer: the server closed the connection)."""
    with socket.create_connection(("127.0.0.1", port), timeout=PATIENCE_SECONDS) as connection:
        connection.sendall(b"GET /health HTTP/1.1\r\nHost: hours\r\nX-Padding: ")
        piece = b"a" * 65536
        try:
            for _ in range(size // len(piece)):
                connection.sendall(piece)
            connection.sendall(b"\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server stopped reading: it has answered, or closed
        try:
            return connection.recv(65536)
        except ConnectionResetError:
            return b""


def test_a_one_megabyte_header_gets_431_and_the_server_answers_others(server: Server) -> None:
    answer = send_header_of(server.port, 1024 * 1024)
    assert answer == b"" or status_line(answer) == b"HTTP/1.1 431 Request Header Fields Too Large"
    assert status_line(raw_exchange(server.port, HEALTH)) == b"HTTP/1.1 200 OK"


def test_huge_headers_do_not_grow_the_server(server: Server) -> None:
    before = sum(rss_kib(pid) for pid in worker_pids(server))
    for _ in range(3):
        answer = send_header_of(server.port, 8 * 1024 * 1024)
        assert answer == b"" or status_line(answer).startswith(b"HTTP/1.1 431")
    after = sum(rss_kib(pid) for pid in worker_pids(server))
    assert after - before < 16 * 1024, f"the workers grew by {after - before} KiB"


def test_a_head_of_twice_the_limit_sent_at_once_gets_431(server: Server) -> None:
    """The limit is checked after each read of at most the limit: no head of twice it ever passes."""
    padding = b"a" * (2 * 64 * 1024)
    answer = raw_exchange(
        server.port, b"GET /health HTTP/1.1\r\nHost: hours\r\nX-Padding: " + padding + b"\r\n\r\n"
    )
    assert status_line(answer) == b"HTTP/1.1 431 Request Header Fields Too Large"


def test_headers_within_the_limit_are_served(server: Server) -> None:
    padding = b"a" * (48 * 1024)
    answer = raw_exchange(
        server.port, b"GET /health HTTP/1.1\r\nHost: hours\r\nX-Padding: " + padding + b"\r\n\r\n"
    )
    assert status_line(answer) == b"HTTP/1.1 200 OK"


def head_of_fields(count: int) -> bytes:
    """A ``GET /health`` whose head has ``count`` header fields (``Host`` among them)."""
    fields = b"".join(b"X-Field-%d: v\r\n" % index for index in range(count - 1))
    return b"GET /health HTTP/1.1\r\nHost: hours\r\n" + fields + b"\r\n"


def test_a_head_of_100_fields_is_served_and_one_of_101_gets_431(server: Server) -> None:
    """The server's parser holds at most 100 header fields (hyper's limit, not a setting of granian):
    docs/operations.md names it beside the head's size."""
    assert status_line(raw_exchange(server.port, head_of_fields(100))) == b"HTTP/1.1 200 OK"
    assert (
        status_line(raw_exchange(server.port, head_of_fields(101)))
        == b"HTTP/1.1 431 Request Header Fields Too Large"
    )
    assert status_line(raw_exchange(server.port, HEALTH)) == b"HTTP/1.1 200 OK"


def test_a_client_that_stops_in_the_middle_of_its_headers_is_disconnected(server: Server) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=PATIENCE_SECONDS) as connection:
        connection.sendall(b"GET /health HTTP/1.1\r\nHost: hours\r\n")  # no blank line: never complete
        assert connection.recv(1024) == b""  # closed by the server, without an answer


def test_a_silent_connection_is_disconnected(server: Server) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=PATIENCE_SECONDS) as connection:
        assert connection.recv(1024) == b""


def test_a_client_that_trickles_its_headers_is_disconnected_before_it_finishes(server: Server) -> None:
    """Slowloris: a byte every 0.1 s keeps the connection busy, but never past the header timeout."""
    header = b"GET /health HTTP/1.1\r\nHost: hours\r\nX-Slow: " + b"a" * 600 + b"\r\n\r\n"  # 60 s of bytes
    with socket.create_connection(("127.0.0.1", server.port), timeout=PATIENCE_SECONDS) as connection:
        closed = False
        for byte in header:
            try:
                connection.sendall(bytes([byte]))
            except (BrokenPipeError, ConnectionResetError):
                closed = True
                break
            time.sleep(0.1)
        assert closed, "the server let a client spend a minute on its headers"


def answer_until_closed(server: Server, data: bytes) -> bytes:
    """Send ``data`` on a new connection; everything the server answers until it closes it."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=PATIENCE_SECONDS) as connection:
        connection.sendall(data)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
        return answer


def stalled_body(server: Server, *, announced: int, sent: bytes) -> bytes:
    """A keyed ``POST /time-entries`` announcing ``announced`` bytes of body and sending ``sent``;
    everything the server answers until it closes the connection."""
    head = (
        "POST /time-entries HTTP/1.1\r\nHost: hours\r\n"
        f"Authorization: Bearer {server.demo['token']}\r\nContent-Type: application/json\r\n"
        f"Idempotency-Key: 0190c2d4-5a6b-7c8d-9e0f-{announced:012d}\r\nContent-Length: {announced}\r\n\r\n"
    )
    return answer_until_closed(server, head.encode() + sent)


@pytest.mark.parametrize(
    ("announced", "sent"), [(100, b'{"proj'), (5, b""), (40, b'{"projectId": "x", "entryDate": ')]
)
def test_a_body_that_stops_arriving_is_answered_408_and_the_connection_closed(
    server: Server, announced: int, sent: bytes
) -> None:
    answer = stalled_body(server, announced=announced, sent=sent)

    head, _, body = answer.partition(b"\r\n\r\n")
    assert status_line(answer) == b"HTTP/1.1 408 Request Timeout"
    assert b"connection: close" in head.lower()
    error = json.loads(body)["error"]
    assert error["code"] == "request_timeout"
    assert "for 1 s;" in error["message"]
    assert status_line(raw_exchange(server.port, HEALTH)) == b"HTTP/1.1 200 OK"  # others are served

    def timed_out() -> list[dict[str, object]]:
        return [line for line in server.access_lines() if line.get("status") == 408]

    assert eventually(lambda: bool(timed_out()))  # access lines are written within 0.1 s
    assert all(line["bodyTimeout"] is True and line["path"] == "/time-entries" for line in timed_out())
    assert "Traceback" not in server.stderr.read_text()  # the app's failed body read is not an error


def test_a_body_trickled_within_each_pause_is_answered_408_once_it_falls_behind_the_minimum_rate(
    server: Server,
) -> None:
    """A byte every 0.25 s, each well within the 1 s body timeout: the 40-byte body would take 10 s.
    Its bound (1 s plus 1 s per 500 bytes) passes after about a second: 408, and the connection is
    closed (before, nothing bounded a body that kept coming)."""
    announced = 40
    head = (
        "POST /time-entries HTTP/1.1\r\nHost: hours\r\n"
        f"Authorization: Bearer {server.demo['token']}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {announced}\r\n\r\n"
    )
    answer = b""
    with socket.create_connection(("127.0.0.1", server.port), timeout=PATIENCE_SECONDS) as connection:
        connection.sendall(head.encode())
        for byte in b'{"projectId": "' + b"p" * (announced - 17) + b'"}':
            time.sleep(0.25)
            try:
                connection.sendall(bytes([byte]))
            except (BrokenPipeError, ConnectionResetError):
                break
            if select.select([connection], [], [], 0)[0]:
                break  # the server answered before the body was complete
        while chunk := connection.recv(65536):
            answer += chunk

    assert status_line(answer) == b"HTTP/1.1 408 Request Timeout"
    error = json.loads(answer.partition(b"\r\n\r\n")[2])["error"]
    assert error["code"] == "request_timeout"
    assert error["message"].startswith("The request body arrived too slowly")


@pytest.mark.parametrize(
    "chunked",
    [
        b"zz\r\nabc\r\n0\r\n\r\n",  # a size that is not hex
        b"100000000000000000\r\n{}\r\n0\r\n\r\n",  # a size of 2^68
        b"5;" + b"a" * 100_000 + b"\r\nabcde\r\n0\r\n\r\n",  # a 100 KB chunk extension
        b"2\r\n{}XX0\r\n\r\n",  # no CRLF after the chunk's data
        b"-2\r\n{}\r\n0\r\n\r\n",  # a negative size
    ],
    ids=["not-hex", "2-to-the-68", "huge-extension", "no-crlf", "negative"],
)
def test_a_malformed_chunked_body_is_answered_400_in_the_error_shape(server: Server, chunked: bytes) -> None:
    """The server cannot read the body and tells the app the client left; the connection is still
    open. Before, the app answered nothing and granian sent its own text 500 (``Server: granian``)."""
    head = (
        "POST /projects HTTP/1.1\r\nHost: hours\r\nContent-Type: application/json\r\n"
        f"Authorization: Bearer {server.demo['token']}\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    answer = answer_until_closed(server, head.encode() + chunked)

    head_part, _, body = answer.partition(b"\r\n\r\n")
    assert status_line(answer) == b"HTTP/1.1 400 Bad Request"
    headers = head_part.lower()
    assert b"server: hours" in headers and b"x-request-id: " in headers
    assert b"content-type: application/json" in headers
    error = json.loads(body)["error"]
    assert error["code"] == "bad_request"
    assert error["message"].startswith("The request body could not be read")
    assert status_line(raw_exchange(server.port, HEALTH)) == b"HTTP/1.1 200 OK"
    assert "Traceback" not in server.stderr.read_text()


@pytest.mark.parametrize(
    "host", ["x:notaport", "x:99999", "127.0.0.1:8301:1", "x:-1", "user@x:80", "a\r\nHost: b"]
)
@pytest.mark.parametrize(
    "request_line", ["POST /projects", "PATCH /org", "POST /time-entries/batch", "POST /app/sign-in"]
)
def test_a_host_header_whose_port_is_no_port_is_400_on_every_route(
    server: Server, host: str, request_line: str
) -> None:
    """Before, every write route (and the web sign-in, without a token) answered granian's text
    500 and logged a traceback: building the request's URL failed on the port."""
    body = b'{"name": "p"}'
    answer = answer_until_closed(  # the answer says Connection: close
        server,
        f"{request_line} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"Authorization: Bearer {server.demo['token']}\r\nContent-Length: {len(body)}\r\n\r\n".encode()
        + body,
    )

    head, _, payload = answer.partition(b"\r\n\r\n")
    assert status_line(answer) == b"HTTP/1.1 400 Bad Request"
    assert b"server: hours" in head.lower()
    error = json.loads(payload)["error"]
    assert error["code"] == "bad_request" and "Host" in error["fields"]
    assert "Traceback" not in server.stderr.read_text()


def test_an_http_1_0_request_without_host_is_served(server: Server) -> None:
    """HTTP/1.0 has no Host requirement (docs/api.md, "JSON only"). granian hands such a request on
    with ``http_version`` "1" and an empty ``host`` header of its own; both used to make it 400."""
    health = answer_until_closed(server, b"GET /health HTTP/1.0\r\n\r\n")
    assert status_line(health) == b"HTTP/1.0 200 OK"

    body = json.dumps(
        {"projectId": server.demo["projectId"], "entryDate": "2026-03-02", "duration": "1h"}
    ).encode()
    created = answer_until_closed(
        server,
        b"POST /time-entries HTTP/1.0\r\nContent-Type: application/json\r\n"
        + f"Authorization: Bearer {server.demo['token']}\r\nContent-Length: {len(body)}\r\n\r\n".encode()
        + body,
    )
    assert status_line(created) == b"HTTP/1.0 201 Created"
    assert json.loads(created.partition(b"\r\n\r\n")[2])["data"]["durationSeconds"] == 3600


def test_an_http_1_1_request_without_host_is_still_400(server: Server) -> None:
    answer = answer_until_closed(server, b"GET /health HTTP/1.1\r\n\r\n")
    assert status_line(answer) == b"HTTP/1.1 400 Bad Request"
    assert json.loads(answer.partition(b"\r\n\r\n")[2])["error"]["code"] == "bad_request"


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_413_in_the_middle_of_a_body_says_connection_close(server: Server, chunked: bool) -> None:
    """The rest of the body is still on the connection, which the server closes after the answer;
    before, the answer did not say so, and a client's next request on it failed."""
    body = b'{"name": "' + b"a" * 70_000 + b'"}'
    framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {len(body)}"
    head = (
        f"POST /projects HTTP/1.1\r\nHost: hours\r\nAuthorization: Bearer {server.demo['token']}\r\n"
        f"Content-Type: application/json\r\n{framing}\r\n\r\n"
    ).encode()
    payload = b"%x\r\n" % len(body) + body + b"\r\n0\r\n\r\n" if chunked else body

    answer = raw_exchange(server.port, head + payload)

    assert status_line(answer) == b"HTTP/1.1 413 Payload Too Large"
    assert b"\r\nconnection: close" in answer.partition(b"\r\n\r\n")[0].lower()


def test_stalled_bodies_do_not_keep_others_waiting(tmp_path: Path) -> None:
    """As many stalled bodies as the connection cap: each is closed after the body timeout, so a
    next client is served (before, they held every connection for as long as they stayed open)."""
    with (
        served(tmp_path, "--max-connections", "2", "--body-timeout", "1") as running,
        ExitStack() as stack,
    ):
        for number in range(2):
            connection = stack.enter_context(
                socket.create_connection(("127.0.0.1", running.port), timeout=PATIENCE_SECONDS)
            )
            connection.sendall(
                b"POST /projects HTTP/1.1\r\nHost: hours\r\nContent-Type: application/json\r\n"
                + f"Authorization: Bearer {running.demo['token']}\r\nContent-Length: 50\r\n\r\n".encode()
                + b'{"name": "'
                + str(number).encode()
            )
        assert status_line(raw_exchange(running.port, HEALTH)) == b"HTTP/1.1 200 OK"


def test_an_idle_keep_alive_connection_is_closed(server: Server) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=PATIENCE_SECONDS) as connection:
        connection.sendall(HEALTH)
        first = connection.recv(65536)
        assert status_line(first) == b"HTTP/1.1 200 OK"
        assert b"connection: close" not in first.lower()  # kept open for a next request
        assert connection.recv(1024) == b""  # nothing more is asked: the server closes it


def test_connections_over_the_cap_wait_until_one_closes(tmp_path: Path) -> None:
    with (
        served(tmp_path, "--max-connections", "4", "--header-timeout", "60") as server,
        ExitStack() as held,
    ):
        idle = [held.enter_context(socket.create_connection(("127.0.0.1", server.port))) for _ in range(4)]
        for connection in idle:
            connection.sendall(b"GET /health HTTP/1.1\r\n")  # every slot busy with an unfinished head
        waiting = held.enter_context(socket.create_connection(("127.0.0.1", server.port), timeout=1))
        waiting.sendall(HEALTH)
        with pytest.raises(TimeoutError):
            waiting.recv(1024)  # the fifth connection is not served while the four are open
        for connection in idle:
            connection.close()
        waiting.settimeout(PATIENCE_SECONDS)
        assert status_line(waiting.recv(65536)) == b"HTTP/1.1 200 OK"  # served once a slot is free
        assert request(f"{server.base_url}/health").status == 200


def test_a_client_that_stops_reading_an_export_has_it_abandoned_and_its_connection_closed(
    server: Server,
) -> None:
    """A client that asked for an export and read nothing held its connection, and what the server
    had buffered for it, for as long as it liked: no timeout bounded a response. Once a piece of
    the export waits for the client longer than the body timeout (1 s here), the export is
    abandoned and the connection closed, without the chunked body's last chunk; the access line
    says ``"sendTimeout": true``. About 5 MB of export, more than the sockets and the server buffer."""
    note = "n" * 5_000
    for batch in range(6):
        operations = [
            {
                "op": "create",
                "body": {
                    "projectId": server.demo["projectId"],
                    "entryDate": f"2025-{1 + batch:02d}-{1 + number % 28:02d}",
                    "durationSeconds": 60,
                    "note": note,
                },
            }
            for number in range(180)
        ]
        answer = request(
            f"{server.base_url}/time-entries/batch",
            method="POST",
            body={"atomic": True, "operations": operations},
            headers={"Authorization": f"Bearer {server.demo['token']}"},
        )
        assert answer.status == 200, answer.body
    head = (
        "GET /time-entries/export?format=csv HTTP/1.1\r\nHost: hours\r\n"
        f"Authorization: Bearer {server.demo['token']}\r\n\r\n"
    )
    with socket.socket() as connection:
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        connection.connect(("127.0.0.1", server.port))
        connection.sendall(head.encode())

        def abandoned() -> list[dict[str, object]]:
            return [line for line in server.access_lines() if line.get("sendTimeout") is True]

        assert eventually(lambda: bool(abandoned()), attempts=3_000)  # read nothing meanwhile
        connection.settimeout(PATIENCE_SECONDS)
        answer = b""
        while chunk := connection.recv(1 << 20):  # what was buffered, then the end of the connection
            answer += chunk
    assert status_line(answer) == b"HTTP/1.1 200 OK"
    assert b"transfer-encoding: chunked" in answer.partition(b"\r\n\r\n")[0].lower()
    assert not answer.endswith(b"0\r\n\r\n")  # incomplete: the client cannot take it for the whole export
    (line,) = abandoned()
    assert line["path"] == "/time-entries/export" and line["status"] == 200
    assert status_line(raw_exchange(server.port, HEALTH)) == b"HTTP/1.1 200 OK"
    assert "Traceback" not in server.stderr.read_text()
