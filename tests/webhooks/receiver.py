"""A real webhook receiver for the delivery tests: a threaded ``http.server`` on 127.0.0.1.

It records every request it gets (method, target, headers, raw body, the TLS server name) and
answers as told by a :class:`Reply`: a status, headers and body; or after an event is set; or
its response head one byte at a time; or a huge body streamed until the client hangs up; or raw
bytes that are not HTTP at all. Nothing here is a mock: the sender under test speaks TCP (and
TLS) to it.
"""

from __future__ import annotations

import contextlib
import http.server
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http import HTTPStatus

__all__ = ["ReceivedRequest", "Receiver", "Reply", "running_receiver"]

_HOLD_LIMIT_S = 120
"""How long a held reply waits at most for its release, so that a failed test cannot leave a
receiver thread behind forever. Tests release their holds themselves."""

_STREAM_CHUNK = b"\0" * 65536


@dataclass(frozen=True)
class Reply:
    """How the receiver answers.

    ``hold``: answer only once this event is set. ``drip_interval``: send the response head one
    byte at a time, this many seconds apart. ``stream_bytes``: announce and stream this many body
    bytes (instead of ``body``), stopping when the client hangs up. ``raw``: write these bytes
    instead of an HTTP response (``b""`` closes the connection without an answer).
    """

    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b'{"ok": true}'
    hold: threading.Event | None = None
    drip_interval: float | None = None
    stream_bytes: int | None = None
    raw: bytes | None = None


@dataclass(frozen=True)
class ReceivedRequest:
    """One request as the receiver got it."""

    method: str
    target: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    server_name: str | None

    def header(self, name: str) -> str | None:
        """The value of header ``name`` (any case), or ``None``."""
        values = [value for key, value in self.headers if key.lower() == name.lower()]
        assert len(values) <= 1, f"{name} was sent {len(values)} times"
        return values[0] if values else None


@dataclass
class _Record:
    lock: threading.Lock = field(default_factory=threading.Lock)
    connections: int = 0
    requests: list[ReceivedRequest] = field(default_factory=list)
    server_names: list[str | None] = field(default_factory=list)
    streamed: int = 0
    stream_ended: threading.Event = field(default_factory=threading.Event)


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        server_name = getattr(self.connection, "hours_server_name", None)
        request = ReceivedRequest(
            method=self.command,
            target=self.path,
            headers=tuple(self.headers.items()),
            body=body,
            server_name=server_name,
        )
        with self.server.record.lock:
            self.server.record.requests.append(request)
        self.close_connection = True
        # The client may hang up first, as the tests of timeouts and caps intend.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError, ssl.SSLError):
            self._answer(self.server.reply)

    def _answer(self, reply: Reply) -> None:
        if reply.hold is not None:
            reply.hold.wait(_HOLD_LIMIT_S)
        if reply.raw is not None:
            self.wfile.write(reply.raw)
            return
        length = reply.stream_bytes if reply.stream_bytes is not None else len(reply.body)
        lines = [f"HTTP/1.1 {reply.status} {_phrase(reply.status)}"]
        lines += [f"{name}: {value}" for name, value in reply.headers]
        lines += [f"Content-Length: {length}", "Connection: close", "", ""]
        head = "\r\n".join(lines).encode("latin-1")
        if reply.drip_interval is None:
            self.wfile.write(head)
        else:
            for byte in head:
                self.wfile.write(bytes([byte]))
                time.sleep(reply.drip_interval)
        if reply.stream_bytes is None:
            self.wfile.write(reply.body)
            return
        try:
            while self.server.record.streamed < reply.stream_bytes:
                self.wfile.write(_STREAM_CHUNK)
                with self.server.record.lock:
                    self.server.record.streamed += len(_STREAM_CHUNK)
        finally:
            self.server.record.stream_ended.set()

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the tests read the record, not the log."""


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, tls: ssl.SSLContext | None) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        if tls is not None:
            tls.sni_callback = _remember_the_server_name
        self.tls = tls
        self.record = _Record()
        self.reply = Reply()

    def get_request(self) -> tuple[socket.socket, tuple[str, int]]:
        sock, address = super().get_request()
        with self.record.lock:
            self.record.connections += 1
        return sock, address

    def finish_request(self, request: socket.socket, client_address: tuple[str, int]) -> None:  # type: ignore[override]
        if self.tls is None:
            super().finish_request(request, client_address)
            return
        try:
            tls_socket = self.tls.wrap_socket(request, server_side=True)
        except OSError:
            return  # the client refused the certificate: no request
        with tls_socket:
            with self.record.lock:
                self.record.server_names.append(getattr(tls_socket, "hours_server_name", None))
            super().finish_request(tls_socket, client_address)


def _remember_the_server_name(tls_socket: object, name: str | None, _context: ssl.SSLContext) -> None:
    """The SNI callback: the name the client asked for, kept on the connection for the handler."""
    tls_socket.hours_server_name = name  # type: ignore[attr-defined]


class Receiver:
    """A running receiver: its URL, the reply it gives, and what it recorded."""

    def __init__(self, server: _Server) -> None:
        self._server = server

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def url(self, host: str = "127.0.0.1", path: str = "/hook", scheme: str = "http") -> str:
        return f"{scheme}://{host}:{self.port}{path}"

    def reply_with(self, reply: Reply) -> None:
        """Answer every following request with ``reply``."""
        self._server.reply = reply

    @property
    def requests(self) -> list[ReceivedRequest]:
        with self._server.record.lock:
            return list(self._server.record.requests)

    @property
    def connections(self) -> int:
        """TCP connections accepted so far."""
        with self._server.record.lock:
            return self._server.record.connections

    @property
    def server_names(self) -> list[str | None]:
        """The TLS server name (SNI) of each TLS connection, ``None`` where none was sent."""
        with self._server.record.lock:
            return list(self._server.record.server_names)

    @property
    def streamed(self) -> int:
        """Body bytes written by ``Reply(stream_bytes=...)`` before the client hung up."""
        with self._server.record.lock:
            return self._server.record.streamed

    def wait_until_the_stream_ends(self) -> None:
        """Block until a streamed body is finished or the client hung up (it always does one)."""
        self._server.record.stream_ended.wait()


@contextmanager
def running_receiver(tls: ssl.SSLContext | None = None) -> Iterator[Receiver]:
    """A receiver on 127.0.0.1 and a free port (HTTPS with ``tls``), stopped at the end."""
    server = _Server(tls)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.01}, name="webhook-receiver", daemon=True
    )
    thread.start()
    try:
        yield Receiver(server)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
