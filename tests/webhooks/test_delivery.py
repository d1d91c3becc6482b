"""HttpWebhookSender against a real local receiver: signatures, SSRF rules, timeouts, caps, TLS."""

from __future__ import annotations

import ipaddress
import json
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest

from hours_core.webhooks import (
    DeliveryErrorKind,
    DeliveryOutcome,
    DeliveryResult,
    IPAddress,
    WebhookAddressRefused,
    WebhookUrl,
    delivery_headers,
    mint_signing_secret,
    verify,
)
from hours_webhooks import DEFAULT_MAX_RESPONSE_BYTES, HttpWebhookSender, checked_addresses, resolve_host
from tests.webhooks.receiver import Receiver, Reply

EVENT = {"id": "evt_1", "seq": 1, "type": "time_entry.created", "subject": {"type": "time_entry", "id": "e1"}}
BODY = json.dumps(EVENT).encode()
LOOPBACK = ipaddress.IPv4Address("127.0.0.1")


def headers_for(body: bytes = BODY, secrets: list[str] | None = None) -> dict[str, str]:
    return delivery_headers(
        secrets or ["whsec_" + "a" * 32],
        body,
        event_id="evt_1",
        event_type="time_entry.created",
        t=int(time.time()),
    )


def local_sender(**settings: object) -> HttpWebhookSender:
    """A sender that may call the local receiver (over http, on a private address) unless told otherwise."""
    options: dict[str, object] = {"allow_http": True, "allow_private": True, **settings}
    return HttpWebhookSender(**options)  # type: ignore[arg-type]


class FixedResolver:
    """A resolver with set answers (the DNS of the tests); it records every name it was asked."""

    def __init__(self, answers: dict[str, list[IPAddress]]) -> None:
        self.answers = answers
        self.asked: list[str] = []

    def __call__(self, host: str, port: int, timeout: float) -> list[IPAddress]:
        self.asked.append(host)
        if host not in self.answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return self.answers[host]


def tls_sender_resolving_to_loopback(
    name: str, tls_context: ssl.SSLContext | None = None
) -> HttpWebhookSender:
    """An https-only sender whose DNS answers ``name`` with 127.0.0.1 (where the TLS receiver listens)."""
    dns = FixedResolver({name: [LOOPBACK]})
    return HttpWebhookSender(allow_private=True, resolve=dns, tls_context=tls_context)


def assert_nothing_reached(receiver: Receiver) -> None:
    """No connection was made before this call: one allowed delivery now is the first to arrive.

    Connections are accepted in order, so when the allowed delivery has been answered, any
    earlier connection would have been counted already.
    """
    assert local_sender().send(receiver.url(), headers_for(), BODY).error is None
    assert receiver.connections == 1
    assert len(receiver.requests) == 1


def assert_failed(result: DeliveryResult, kind: DeliveryErrorKind) -> None:
    assert result.error is not None, result
    assert result.error.kind is kind, result.error
    assert result.outcome is DeliveryOutcome.RETRY


# --- what arrives -----------------------------------------------------------------------------------


def test_a_delivery_arrives_signed_and_the_signature_verifies_with_the_core(receiver: Receiver) -> None:
    secret = mint_signing_secret()
    headers = headers_for(secrets=[secret])

    result = local_sender().send(receiver.url(path="/hooks/hours?team=7"), headers, BODY)

    assert result.status_code == 200 and result.error is None
    assert result.outcome is DeliveryOutcome.DELIVERED
    assert result.response_excerpt == '{"ok": true}'
    assert result.duration > timedelta(0)
    (request,) = receiver.requests
    assert (request.method, request.target, request.body) == ("POST", "/hooks/hours?team=7", BODY)
    assert request.header("Host") == f"127.0.0.1:{receiver.port}"
    assert request.header("Content-Type") == "application/json"
    assert request.header("Content-Length") == str(len(BODY))
    assert request.header("Hours-Event-Id") == "evt_1"
    assert request.header("Hours-Event-Type") == "time_entry.created"
    assert request.header("User-Agent") == "hours-webhooks/1"
    signed_at = verify(secret, request.header("Hours-Signature"), request.body, time.time())
    assert request.header("Hours-Signature") == headers["Hours-Signature"]
    assert abs(signed_at - time.time()) < 300


def test_during_a_rotation_either_secret_verifies_what_arrives(receiver: Receiver) -> None:
    new, old = mint_signing_secret(), mint_signing_secret()

    local_sender().send(receiver.url(), headers_for(secrets=[new, old]), BODY)

    (request,) = receiver.requests
    for secret in (new, old):
        verify(secret, request.header("Hours-Signature"), request.body, time.time())


@pytest.mark.parametrize(
    ("status", "outcome"),
    [(200, DeliveryOutcome.DELIVERED), (204, DeliveryOutcome.DELIVERED), (410, DeliveryOutcome.GONE)],
)
def test_2xx_is_delivered_and_410_means_gone(
    receiver: Receiver, status: int, outcome: DeliveryOutcome
) -> None:
    receiver.reply_with(Reply(status=status, body=b""))

    result = local_sender().send(receiver.url(), headers_for(), BODY)

    assert result.status_code == status
    assert result.outcome is outcome


@pytest.mark.parametrize("status", [400, 401, 404, 429, 500, 503])
def test_any_other_status_is_a_failure_with_its_code_and_the_start_of_the_body(
    receiver: Receiver, status: int
) -> None:
    receiver.reply_with(Reply(status=status, body=b'{"error": "nope"}'))

    result = local_sender().send(receiver.url(), headers_for(), BODY)

    assert result.status_code == status
    assert_failed(result, DeliveryErrorKind.HTTP_STATUS)
    assert str(status) in result.error.message  # type: ignore[union-attr]
    assert result.response_excerpt == '{"error": "nope"}'


# --- the URL and address policy -----------------------------------------------------------------------


def test_plain_http_is_refused_unless_allowed(receiver: Receiver) -> None:
    result = HttpWebhookSender(allow_private=True).send(receiver.url(), headers_for(), BODY)

    assert_failed(result, DeliveryErrorKind.URL_REFUSED)
    assert result.status_code is None
    assert "https" in result.error.message  # type: ignore[union-attr]
    assert_nothing_reached(receiver)


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::ffff:127.0.0.1]"])
def test_a_loopback_receiver_is_refused_unless_private_addresses_are_allowed(
    receiver: Receiver, host: str
) -> None:
    result = HttpWebhookSender(allow_http=True).send(receiver.url(host=host), headers_for(), BODY)

    assert_failed(result, DeliveryErrorKind.URL_REFUSED)
    assert_nothing_reached(receiver)


def test_with_private_addresses_allowed_localhost_is_delivered_to(receiver: Receiver) -> None:
    result = local_sender().send(receiver.url(host="localhost"), headers_for(), BODY)

    assert result.error is None
    assert receiver.requests[0].header("Host") == f"localhost:{receiver.port}"


def test_a_name_the_system_resolver_answers_with_loopback_is_refused_at_connect_time() -> None:
    # The real resolver, asked at connect time: localhost resolves to loopback addresses only.
    url = WebhookUrl.parse("http://localhost:8080/hook", allow_http=True, allow_private=True)

    with pytest.raises(WebhookAddressRefused) as refused:
        checked_addresses(url, allow_private=False, resolve=resolve_host, timeout=5)

    assert refused.value.kind.value == "loopback"
    assert checked_addresses(url, allow_private=True, resolve=resolve_host, timeout=5)


def test_a_public_name_that_resolves_to_a_private_address_is_refused(receiver: Receiver) -> None:
    dns = FixedResolver({"hooks.example.com": [LOOPBACK]})
    sender = HttpWebhookSender(allow_http=True, resolve=dns)

    result = sender.send(receiver.url(host="hooks.example.com"), headers_for(), BODY)

    assert_failed(result, DeliveryErrorKind.ADDRESS_REFUSED)
    assert "127.0.0.1 is a loopback address" in result.error.message  # type: ignore[union-attr]
    assert_nothing_reached(receiver)


def test_every_resolved_address_is_checked_not_only_the_first(receiver: Receiver) -> None:
    public = ipaddress.IPv4Address("93.184.215.14")
    dns = FixedResolver({"hooks.example.com": [public, ipaddress.IPv6Address("::1"), LOOPBACK]})
    sender = HttpWebhookSender(allow_http=True, resolve=dns)

    result = sender.send(receiver.url(host="hooks.example.com"), headers_for(), BODY)

    assert_failed(result, DeliveryErrorKind.ADDRESS_REFUSED)
    assert_nothing_reached(receiver)


def test_the_sender_connects_to_the_address_it_checked_and_speaks_as_the_url_host(receiver: Receiver) -> None:
    # One lookup per delivery, and the connection goes to its answer: no second lookup at
    # connect time that a rebinding DNS server could answer differently.
    dns = FixedResolver({"hooks.example.com": [LOOPBACK]})

    result = local_sender(resolve=dns).send(receiver.url(host="hooks.example.com"), headers_for(), BODY)

    assert result.error is None
    assert dns.asked == ["hooks.example.com"]
    assert receiver.requests[0].header("Host") == f"hooks.example.com:{receiver.port}"


def test_the_next_address_is_tried_when_one_refuses_the_connection(receiver: Receiver) -> None:
    closed_port_address = ipaddress.IPv4Address("127.0.0.2")  # nothing listens there on this port
    dns = FixedResolver({"hooks.example.com": [closed_port_address, LOOPBACK]})

    result = local_sender(resolve=dns).send(receiver.url(host="hooks.example.com"), headers_for(), BODY)

    assert result.error is None
    assert len(receiver.requests) == 1


def test_a_name_that_does_not_resolve_is_a_dns_failure() -> None:
    result = local_sender(resolve=FixedResolver({})).send("http://hooks.example.com/", headers_for(), BODY)

    assert_failed(result, DeliveryErrorKind.DNS_FAILED)
    assert "hooks.example.com" in result.error.message  # type: ignore[union-attr]


def test_the_system_resolver_gives_up_after_its_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    release = threading.Event()

    def stuck_getaddrinfo(*_args: object, **_kwargs: object) -> list[object]:
        release.wait()
        return []

    monkeypatch.setattr(socket, "getaddrinfo", stuck_getaddrinfo)
    try:
        with pytest.raises(TimeoutError, match=r"hooks\.example\.com"):
            resolve_host("hooks.example.com", 443, timeout=0.05)
    finally:
        release.set()


def test_nobody_listening_is_a_connect_failure() -> None:
    with socket.socket() as placeholder:
        placeholder.bind(("127.0.0.1", 0))
        free_port = placeholder.getsockname()[1]

    result = local_sender().send(f"http://127.0.0.1:{free_port}/", headers_for(), BODY)

    assert_failed(result, DeliveryErrorKind.CONNECT_FAILED)


@pytest.fixture
def listener_that_never_accepts() -> Iterator[int]:
    """A port whose accept queue is full, so that the kernel ignores new connection attempts."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(0)
        fillers = []
        try:
            for _ in range(8):
                filler = socket.socket()
                filler.setblocking(False)
                filler.connect_ex(server.getsockname())
                fillers.append(filler)
            yield server.getsockname()[1]
        finally:
            for filler in fillers:
                filler.close()


def test_a_connection_that_is_never_accepted_times_out(listener_that_never_accepts: int) -> None:
    sender = local_sender(connect_timeout=0.2)

    result = sender.send(f"http://127.0.0.1:{listener_that_never_accepts}/", headers_for(), BODY)

    assert_failed(result, DeliveryErrorKind.CONNECT_TIMEOUT)
    assert result.duration >= timedelta(seconds=0.2)


# --- what the sender reads ----------------------------------------------------------------------------


def test_a_redirect_is_not_followed_and_fails_with_its_code(receiver: Receiver) -> None:
    elsewhere = receiver.url(path="/elsewhere")
    receiver.reply_with(Reply(status=302, headers=(("Location", elsewhere),), body=b"moved"))

    result = local_sender().send(receiver.url(), headers_for(), BODY)

    assert result.status_code == 302
    assert_failed(result, DeliveryErrorKind.REDIRECT)
    assert elsewhere in result.error.message  # type: ignore[union-attr]
    assert [request.target for request in receiver.requests] == ["/hook"]


@pytest.mark.parametrize("status", [301, 303, 307, 308])
def test_no_redirect_status_is_followed(receiver: Receiver, status: int) -> None:
    receiver.reply_with(Reply(status=status, headers=(("Location", receiver.url(path="/elsewhere")),)))

    result = local_sender().send(receiver.url(), headers_for(), BODY)

    assert (result.status_code, result.error.kind) == (status, DeliveryErrorKind.REDIRECT)  # type: ignore[union-attr]
    assert len(receiver.requests) == 1


def _final_after(*interim: bytes, status: int = 200) -> bytes:
    final = f"HTTP/1.1 {status} Final\r\nContent-Length: 5\r\nConnection: close\r\n\r\nfinal".encode()
    return b"".join(interim) + final


@pytest.mark.parametrize(
    ("interim", "status", "outcome"),
    [
        ((b"HTTP/1.1 102 Processing\r\n\r\n",), 200, DeliveryOutcome.DELIVERED),
        (
            (b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n",),
            202,
            DeliveryOutcome.DELIVERED,
        ),
        (
            (
                b"HTTP/1.1 100 Continue\r\n\r\n",
                b"HTTP/1.1 103 Early Hints\r\n\r\n",
                b"HTTP/1.1 199 Misc\r\n\r\n",
            ),
            200,
            DeliveryOutcome.DELIVERED,
        ),
        ((b"HTTP/1.1 103 Early Hints\r\n\r\n",), 410, DeliveryOutcome.GONE),
    ],
    ids=["102 then 200", "103 then 202", "100, 103 and 199 then 200", "103 then 410"],
)
def test_interim_1xx_answers_are_skipped_and_the_final_answer_counts(
    receiver: Receiver, interim: tuple[bytes, ...], status: int, outcome: DeliveryOutcome
) -> None:
    receiver.reply_with(Reply(raw=_final_after(*interim, status=status)))

    result = local_sender().send(receiver.url(), headers_for(), BODY)

    assert (result.status_code, result.outcome, result.response_excerpt) == (status, outcome, "final")


def test_interim_answers_without_a_final_one_are_a_lost_connection(receiver: Receiver) -> None:
    receiver.reply_with(Reply(raw=b"HTTP/1.1 103 Early Hints\r\n\r\n"))

    result = local_sender().send(receiver.url(), headers_for(), BODY)

    assert result.status_code is None
    assert_failed(result, DeliveryErrorKind.CONNECTION_LOST)


def test_a_101_answer_to_a_request_that_asked_for_no_upgrade_is_a_failure(receiver: Receiver) -> None:
    receiver.reply_with(Reply(raw=b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n"))

    result = local_sender().send(receiver.url(), headers_for(), BODY)

    assert result.status_code == 101
    assert_failed(result, DeliveryErrorKind.HTTP_STATUS)


def test_a_receiver_that_does_not_answer_in_time_is_a_read_timeout(receiver: Receiver) -> None:
    release = threading.Event()
    receiver.reply_with(Reply(hold=release))
    try:
        result = local_sender(read_timeout=0.2).send(receiver.url(), headers_for(), BODY)
    finally:
        release.set()

    assert_failed(result, DeliveryErrorKind.READ_TIMEOUT)
    assert result.status_code is None
    assert result.duration >= timedelta(seconds=0.2)
    assert len(receiver.requests) == 1  # the request itself arrived


def test_the_read_timeout_bounds_the_whole_answer_even_when_bytes_keep_dripping_in(
    receiver: Receiver,
) -> None:
    # One byte every 20 ms never trips a per-read timeout of 0.3 s; the head is long enough to
    # take about 12 s this way, so only a deadline over all reads ends the attempt as a timeout.
    padding = ("X-Padding", "p" * 500)
    receiver.reply_with(Reply(headers=(padding,), drip_interval=0.02))

    result = local_sender(read_timeout=0.3).send(receiver.url(), headers_for(), BODY)

    assert_failed(result, DeliveryErrorKind.READ_TIMEOUT)


def test_a_huge_body_is_read_only_up_to_the_cap(receiver: Receiver) -> None:
    announced = 200 * 1024 * 1024
    receiver.reply_with(Reply(stream_bytes=announced))

    result = local_sender().send(receiver.url(), headers_for(), BODY)

    assert result.status_code == 200 and result.error is None
    assert result.response_excerpt == "\0" * DEFAULT_MAX_RESPONSE_BYTES
    receiver.wait_until_the_stream_ends()
    assert receiver.streamed < announced // 10  # the sender hung up instead of reading on


def test_the_excerpt_cap_is_a_setting(receiver: Receiver) -> None:
    receiver.reply_with(Reply(body=b"0123456789" * 100))

    result = local_sender(max_response_bytes=16).send(receiver.url(), headers_for(), BODY)

    assert result.response_excerpt == "0123456789012345"


def test_a_body_that_is_not_utf8_becomes_replacement_characters(receiver: Receiver) -> None:
    receiver.reply_with(Reply(status=500, body=b"bad \xff\xfe byte"))

    result = local_sender().send(receiver.url(), headers_for(), BODY)

    assert result.response_excerpt == "bad \ufffd\ufffd byte"


def test_a_receiver_that_hangs_up_without_answering_is_a_lost_connection(receiver: Receiver) -> None:
    receiver.reply_with(Reply(raw=b""))

    result = local_sender().send(receiver.url(), headers_for(), BODY)

    assert_failed(result, DeliveryErrorKind.CONNECTION_LOST)


@pytest.mark.parametrize(
    "answer",
    [
        b"SSH-2.0-OpenSSH_9.6\r\n",
        b"HTTP/1.1 abc Nope\r\n\r\n",
        b"HTTP/1.1 200 OK\r\n" + b"X: y\r\n" * 200 + b"\r\n",
    ],
    ids=["not http", "no status code", "too many headers"],
)
def test_an_answer_that_is_not_http_is_a_protocol_error(receiver: Receiver, answer: bytes) -> None:
    receiver.reply_with(Reply(raw=answer))

    result = local_sender().send(receiver.url(), headers_for(), BODY)

    assert_failed(result, DeliveryErrorKind.PROTOCOL_ERROR)


def test_headers_the_sender_writes_itself_are_refused(receiver: Receiver) -> None:
    with pytest.raises(ValueError, match="host"):
        local_sender().send(receiver.url(), {**headers_for(), "Host": "elsewhere.example"}, BODY)
    with pytest.raises(ValueError, match="Invalid header"):
        local_sender().send(receiver.url(), {"X-Injected": "a\r\nHost: evil"}, BODY)
    assert_nothing_reached(receiver)


# --- HTTPS --------------------------------------------------------------------------------------------


def test_https_sends_the_url_host_as_sni_and_checks_the_certificate_against_it(
    tls_receiver: Receiver, trusting_the_test_ca: ssl.SSLContext
) -> None:
    sender = tls_sender_resolving_to_loopback("hooks.example.com", trusting_the_test_ca)

    result = sender.send(tls_receiver.url(host="hooks.example.com", scheme="https"), headers_for(), BODY)

    assert result.status_code == 200 and result.error is None
    assert tls_receiver.server_names == ["hooks.example.com"]
    assert tls_receiver.requests[0].header("Host") == f"hooks.example.com:{tls_receiver.port}"


def test_a_certificate_for_another_name_fails_tls_and_nothing_is_sent(
    tls_receiver: Receiver, trusting_the_test_ca: ssl.SSLContext
) -> None:
    sender = tls_sender_resolving_to_loopback("other.example.org", trusting_the_test_ca)

    result = sender.send(tls_receiver.url(host="other.example.org", scheme="https"), headers_for(), BODY)

    assert_failed(result, DeliveryErrorKind.TLS_FAILED)
    assert "other.example.org" in result.error.message  # type: ignore[union-attr]
    assert tls_receiver.requests == []


def test_an_ip_literal_over_https_is_checked_against_the_certificate_ip(
    tls_receiver: Receiver, trusting_the_test_ca: ssl.SSLContext
) -> None:
    sender = HttpWebhookSender(allow_private=True, tls_context=trusting_the_test_ca)

    result = sender.send(tls_receiver.url(scheme="https"), headers_for(), BODY)

    assert result.error is None
    assert tls_receiver.server_names == [None]  # no SNI for an address


def test_the_default_trust_store_does_not_trust_a_private_ca(tls_receiver: Receiver) -> None:
    sender = tls_sender_resolving_to_loopback("hooks.example.com")

    result = sender.send(tls_receiver.url(host="hooks.example.com", scheme="https"), headers_for(), BODY)

    assert_failed(result, DeliveryErrorKind.TLS_FAILED)
    assert "certificate verify failed" in result.error.message  # type: ignore[union-attr]


def test_plain_http_to_an_https_receiver_is_a_protocol_failure_not_an_exception(
    tls_receiver: Receiver,
) -> None:
    result = local_sender(read_timeout=5).send(tls_receiver.url(), headers_for(), BODY)

    assert result.error is not None
    assert result.error.kind in {DeliveryErrorKind.CONNECTION_LOST, DeliveryErrorKind.PROTOCOL_ERROR}


def test_the_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="timeouts"):
        HttpWebhookSender(read_timeout=0)
    with pytest.raises(ValueError, match="max_response_bytes"):
        HttpWebhookSender(max_response_bytes=-1)
