"""One webhook delivery over the standard library's ``http.client``, safe against SSRF.

The sender resolves the host itself, checks every address, and connects to the checked address
(never to the name again), while the request still carries the URL's ``Host`` and TLS still
sends the name as SNI and verifies the certificate against it. Redirects are never followed;
connect and read have time limits; at most a few KB of the answer are read.

Why ``http.client`` and not httpx: it is in the standard library (httpx is only a development
dependency here), and it lets the sender hand over an already connected socket, which is what
pinning the checked address needs.
"""

from __future__ import annotations

import http.client
import io
import ipaddress
import socket
import ssl
import time
from collections.abc import Mapping
from datetime import timedelta
from typing import TYPE_CHECKING

from hours_core.errors import ValidationFailed
from hours_core.webhooks import (
    DeliveryError,
    DeliveryErrorKind,
    DeliveryResult,
    IPAddress,
    WebhookAddressRefused,
    WebhookSender,
    WebhookUrl,
)
from hours_webhooks.resolver import Resolver, checked_addresses, resolve_host

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

__all__ = [
    "DEFAULT_CONNECT_TIMEOUT",
    "DEFAULT_MAX_RESPONSE_BYTES",
    "DEFAULT_READ_TIMEOUT",
    "LONGEST_ATTEMPT_SECONDS",
    "MAX_ADDRESSES_TRIED",
    "HttpWebhookSender",
]

DEFAULT_CONNECT_TIMEOUT = 5.0
"""Seconds for each of: the DNS answer, each TCP connection attempt, the TLS handshake."""

DEFAULT_READ_TIMEOUT = 10.0
"""Seconds from sending the request to the end of reading the answer (status, headers, excerpt)."""

DEFAULT_MAX_RESPONSE_BYTES = 4096
"""The most of a response body that is read and kept."""

MAX_ADDRESSES_TRIED = 3
"""A name with more addresses is tried on its first three (every one is checked all the same)."""

LONGEST_ATTEMPT_SECONDS = DEFAULT_CONNECT_TIMEOUT * (1 + MAX_ADDRESSES_TRIED + 1) + DEFAULT_READ_TIMEOUT
"""The longest one attempt of the default sender can take (35 s): the DNS answer, a TCP connection
to each of :data:`MAX_ADDRESSES_TRIED` addresses and the TLS handshake, each within
:data:`DEFAULT_CONNECT_TIMEOUT`, then the answer within :data:`DEFAULT_READ_TIMEOUT`. A claim held
for less may be taken over while its delivery is still being sent."""

_LOCATION_SHOWN = 200
_HEADERS_THE_SENDER_WRITES = frozenset({"host", "content-length", "connection", "transfer-encoding"})


class _DeadlineReader(io.RawIOBase):
    """Reads a socket with a deadline for all reads together, not a timeout per read.

    A socket timeout restarts at every byte, so a receiver that drips one byte a second could
    hold a delivery for as long as it likes; this reader gives each read only the time left.
    """

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        super().__init__()
        self._sock = sock
        self._deadline = deadline

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        remaining = self._deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("the read deadline passed")
        self._sock.settimeout(remaining)
        return self._sock.recv_into(buffer)


class _DeadlineResponse(http.client.HTTPResponse):
    """An ``HTTPResponse`` whose reads share one deadline (see :class:`_DeadlineReader`), and that
    skips every interim (1xx) answer before the final one, not only ``100 Continue``.

    ``http.client`` skips ``100`` alone, so a receiver (or the proxy or CDN in front of it) that
    sends ``102 Processing`` or ``103 Early Hints`` before its ``200`` would have the delivery
    recorded as a failure with the code 103, and retried, although the receiver took it. HTTP
    (RFC 9110, section 15.2) has a client read any number of 1xx answers before the final one.
    ``101 Switching Protocols`` is a final answer (to an upgrade this request never asks for),
    so it stays a failure. The shared deadline bounds a stream of interim answers too.
    """

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        super().__init__(sock, method="POST")
        self.fp.close()  # the plain reader made by the base class; this one replaces it
        self.fp = io.BufferedReader(_DeadlineReader(sock, deadline))

    def _read_status(self) -> tuple[str, int, str]:
        while True:
            version, status, reason = super()._read_status()  # type: ignore[misc]
            if not 100 <= status < 200 or status == http.client.SWITCHING_PROTOCOLS:
                return version, status, reason
            http.client.parse_headers(self.fp)  # an interim answer's headers, skipped


class _PreparedRequest(http.client.HTTPConnection):
    """A ``POST`` whose request line and headers are composed (and validated) before connecting.

    It never opens a connection itself: :meth:`send_over` hands it a socket connected to a
    checked address. ``Host`` names the URL's host, and its port only when the URL's port is
    not the scheme's default.
    """

    def __init__(self, target: WebhookUrl, headers: Mapping[str, str], body: bytes) -> None:
        super().__init__(target.host, target.port)
        self.default_port = target.default_port
        written = _HEADERS_THE_SENDER_WRITES.intersection(name.lower() for name in headers)
        if written:
            raise ValueError(f"the sender writes these headers itself: {', '.join(sorted(written))}")
        self.putrequest("POST", target.target)  # adds Host and Accept-Encoding: identity
        for name, value in headers.items():
            self.putheader(name, value)  # ValueError for a name or value that is not valid HTTP
        self.putheader("Content-Length", str(len(body)))
        self.putheader("Connection", "close")
        self._body = body

    def connect(self) -> None:
        raise ConnectionError("a delivery connects only through send_over")

    def send_over(self, sock: socket.socket) -> None:
        """Send the request over ``sock``, which is connected (and TLS set up) already."""
        self.sock = sock
        self.endheaders(self._body)


def _connectable(address: IPAddress) -> IPAddress:
    """An IPv4-mapped IPv6 address is reached as the IPv4 address it maps."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


class _AttemptFailed(Exception):
    """An attempt ended without an answer; carries the error for the delivery log."""

    def __init__(self, kind: DeliveryErrorKind, message: str) -> None:
        super().__init__(message)
        self.error = DeliveryError(kind=kind, message=message)


def _status_failure(status: int, location: str | None) -> DeliveryError | None:
    if 200 <= status < 300:
        return None
    if 300 <= status < 400:
        shown = "" if location is None else f" to {location[:_LOCATION_SHOWN]!r}"
        message = f"the receiver answered {status} (a redirect{shown}); redirects are not followed"
        return DeliveryError(kind=DeliveryErrorKind.REDIRECT, message=message)
    return DeliveryError(kind=DeliveryErrorKind.HTTP_STATUS, message=f"the receiver answered {status}")


class HttpWebhookSender:
    """Delivers webhooks over HTTP/1.1 with the SSRF rules of docs/webhooks.md.

    ``allow_http`` admits plain ``http`` URLs and ``allow_private`` admits non-public addresses
    (both for development; the composition root reads them from ``HOURS_WEBHOOKS_ALLOW_HTTP`` and
    ``HOURS_WEBHOOKS_ALLOW_PRIVATE``). ``tls_context`` defaults to the system's trust store with
    certificate and host name checks, TLS 1.2 or later; ``resolve`` to the system resolver.
    """

    def __init__(
        self,
        *,
        allow_http: bool = False,
        allow_private: bool = False,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        read_timeout: float = DEFAULT_READ_TIMEOUT,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        tls_context: ssl.SSLContext | None = None,
        resolve: Resolver = resolve_host,
    ) -> None:
        if connect_timeout <= 0 or read_timeout <= 0:
            raise ValueError("the timeouts must be positive")
        if max_response_bytes < 0:
            raise ValueError("max_response_bytes must not be negative")
        self.allow_http = allow_http
        self.allow_private = allow_private
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.max_response_bytes = max_response_bytes
        if tls_context is None:
            tls_context = ssl.create_default_context()
            tls_context.minimum_version = ssl.TLSVersion.TLSv1_2
            tls_context.set_alpn_protocols(["http/1.1"])
        self._tls_context = tls_context
        self._resolve = resolve

    def send(self, url: str, headers: Mapping[str, str], body: bytes) -> DeliveryResult:
        """POST ``body`` with ``headers`` to ``url`` once and report what happened.

        Never raises for a refused URL or address, or a DNS, network, TLS or HTTP failure: those
        are results. Raises ``ValueError`` for headers that are not valid HTTP, or that the
        sender writes itself (``Host``, ``Content-Length``, ``Connection``, ``Transfer-Encoding``).
        """
        started = time.monotonic()
        try:
            status, excerpt, location = self._attempt(url, headers, body)
            error = _status_failure(status, location)
        except _AttemptFailed as failed:
            status, excerpt, error = None, "", failed.error
        duration = timedelta(seconds=time.monotonic() - started)
        return DeliveryResult(status_code=status, duration=duration, error=error, response_excerpt=excerpt)

    def _attempt(self, url: str, headers: Mapping[str, str], body: bytes) -> tuple[int, str, str | None]:
        """The status, body excerpt and ``Location`` of the answer; :class:`_AttemptFailed` without one."""
        try:
            target = WebhookUrl.parse(url, allow_http=self.allow_http, allow_private=self.allow_private)
        except ValidationFailed as refused:
            raise _AttemptFailed(DeliveryErrorKind.URL_REFUSED, f"the URL {refused.fields['url']}") from None
        request = _PreparedRequest(target, headers, body)
        try:
            addresses = checked_addresses(
                target, allow_private=self.allow_private, resolve=self._resolve, timeout=self.connect_timeout
            )
        except WebhookAddressRefused as refused:
            raise _AttemptFailed(
                DeliveryErrorKind.ADDRESS_REFUSED, f"{target.host}: {refused.message}"
            ) from None
        except OSError as failed:
            message = f"could not resolve {target.host}: {failed}"
            raise _AttemptFailed(DeliveryErrorKind.DNS_FAILED, message) from None
        with self._connect(target, addresses) as sock:
            return self._exchange(request, sock)

    def _connect(self, target: WebhookUrl, addresses: list[IPAddress]) -> socket.socket:
        """A socket connected to the first address that answers, with TLS set up for https."""
        failure = _AttemptFailed(DeliveryErrorKind.CONNECT_FAILED, f"{target.host} has no address")
        for address in map(_connectable, addresses[:MAX_ADDRESSES_TRIED]):
            where = f"{address} port {target.port}"
            try:
                sock = self._connect_tcp(address, target.port)
            except TimeoutError:
                message = f"connecting to {where} took longer than {self.connect_timeout:g} s"
                failure = _AttemptFailed(DeliveryErrorKind.CONNECT_TIMEOUT, message)
                continue
            except OSError as failed:
                failure = _AttemptFailed(
                    DeliveryErrorKind.CONNECT_FAILED, f"could not connect to {where}: {failed}"
                )
                continue
            if not target.uses_tls:
                return sock
            try:
                return self._tls_context.wrap_socket(sock, server_hostname=target.host)
            except OSError as failed:  # ssl.SSLError and ssl.CertificateError are OSErrors
                sock.close()
                # The certificate speaks for the name, not for one address: another would not help.
                message = f"TLS with {target.host} at {where} failed: {failed}"
                raise _AttemptFailed(DeliveryErrorKind.TLS_FAILED, message) from None
        raise failure

    def _connect_tcp(self, address: IPAddress, port: int) -> socket.socket:
        sock = socket.socket(socket.AF_INET if address.version == 4 else socket.AF_INET6, socket.SOCK_STREAM)
        try:
            sock.settimeout(self.connect_timeout)
            sock.connect((str(address), port))
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except BaseException:
            sock.close()
            raise
        return sock

    def _exchange(self, request: _PreparedRequest, sock: socket.socket) -> tuple[int, str, str | None]:
        """Send the request and read the answer's head and excerpt, all within the read timeout."""
        deadline = time.monotonic() + self.read_timeout
        try:
            sock.settimeout(self.read_timeout)
            request.send_over(sock)
            response = _DeadlineResponse(sock, deadline)
            response.begin()
        except TimeoutError:
            message = f"no complete answer within the read timeout of {self.read_timeout:g} s"
            raise _AttemptFailed(DeliveryErrorKind.READ_TIMEOUT, message) from None
        except ConnectionError as failed:
            message = f"the connection was lost: {failed or type(failed).__name__}"
            raise _AttemptFailed(DeliveryErrorKind.CONNECTION_LOST, message) from None
        except (http.client.HTTPException, ValueError) as failed:
            message = f"the answer is not valid HTTP/1.x: {failed!r}"
            raise _AttemptFailed(DeliveryErrorKind.PROTOCOL_ERROR, message) from None
        except OSError as failed:
            raise _AttemptFailed(
                DeliveryErrorKind.CONNECTION_LOST, f"the connection failed: {failed}"
            ) from None
        with response:
            return response.status, self._read_excerpt(response), response.getheader("Location")

    def _read_excerpt(self, response: http.client.HTTPResponse) -> str:
        """The first bytes of the body, as text; what could be read if the body breaks off or stalls."""
        received = bytearray()
        try:
            while len(received) < self.max_response_bytes:
                chunk = response.read(self.max_response_bytes - len(received))
                if not chunk:
                    break
                received += chunk
        except http.client.IncompleteRead as broken:
            received += broken.partial
        except (OSError, http.client.HTTPException, ValueError):
            pass  # the status is what counts; the excerpt is whatever arrived before the failure
        return bytes(received[: self.max_response_bytes]).decode("utf-8", "replace")


_: type[WebhookSender] = HttpWebhookSender
