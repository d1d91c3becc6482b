"""Signed webhooks: the signature scheme, signing secrets, the retry schedule and the URL policy.

Everything here is pure (the standard library and attrs), so a Python receiver can verify a
delivery with :func:`verify` without anything else from hours. docs/webhooks.md is the guide.

Signature
    Every delivery carries ``Hours-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>``, where the
    HMAC key is the signing secret (its UTF-8 bytes, ``whsec_`` included) and the message is
    ``"<t>." + raw body``. While a secret is being rotated the header has one ``v1`` per secret,
    so a receiver that knows either secret accepts the delivery. :func:`verify` accepts a ``t``
    up to :data:`SIGNATURE_TOLERANCE` away from its clock in either direction (clocks drift both
    ways); a captured delivery can therefore be replayed for 5 minutes at most, and receivers
    that must act once per event deduplicate on ``Hours-Event-Id``.

Retries
    :func:`next_attempt` draws each wait uniformly from zero to a cap that starts at 1 minute and
    doubles up to 6 hours ("full jitter"); after :data:`MAX_DELIVERY_ATTEMPTS` attempts (about
    3 days on average) the delivery is given up.

URL policy
    :meth:`WebhookUrl.parse` checks the shape of a URL (``https`` unless ``allow_http``, no
    credentials, no fragment, a DNS name or a canonical IP address) and
    :func:`classify_address` / :func:`check_address` decide whether an address may be called:
    only public unicast addresses, unless ``allow_private``. The delivery adapter applies the
    address check to every resolved address at connect time.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import ipaddress
import re
import secrets as secrets_module
import string
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Protocol
from urllib.parse import urlsplit

import attrs

from hours_core.errors import HoursError, ValidationFailed
from hours_core.wording import with_article

__all__ = [
    "EVENT_ID_HEADER",
    "EVENT_TYPE_HEADER",
    "MAX_DELIVERY_ATTEMPTS",
    "MAX_SIGNATURE_HEADER_LENGTH",
    "MAX_URL_LENGTH",
    "RETRY_BASE_DELAY",
    "RETRY_MAX_DELAY",
    "SECRET_ROTATION_OVERLAP",
    "SIGNATURE_HEADER",
    "SIGNATURE_TOLERANCE",
    "SIGNING_SECRET_PATTERN",
    "USER_AGENT",
    "AddressKind",
    "DeliveryError",
    "DeliveryErrorKind",
    "DeliveryOutcome",
    "DeliveryResult",
    "IPAddress",
    "WebhookAddressRefused",
    "WebhookSender",
    "WebhookSignatureInvalid",
    "WebhookSignatureMalformed",
    "WebhookSignatureMismatch",
    "WebhookTimestampOutOfTolerance",
    "WebhookUrl",
    "check_address",
    "classify_address",
    "delivery_headers",
    "mint_signing_secret",
    "next_attempt",
    "retry_delay_cap",
    "sign",
    "verify",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

SIGNATURE_HEADER = "Hours-Signature"
EVENT_ID_HEADER = "Hours-Event-Id"
EVENT_TYPE_HEADER = "Hours-Event-Type"
USER_AGENT = "hours-webhooks/1"
"""The ``User-Agent`` of every delivery."""

SIGNATURE_TOLERANCE = timedelta(minutes=5)
"""How far ``t`` may lie from the receiver's clock, in the past or in the future."""

MAX_SIGNATURE_HEADER_LENGTH = 4096
"""A longer ``Hours-Signature`` is malformed (hours sends about 80 characters per secret)."""

SECRET_ROTATION_OVERLAP = timedelta(hours=24)
"""After a rotation, the previous secret keeps signing (beside the new one) for this long."""

SIGNING_SECRET_PATTERN = re.compile(r"whsec_[0-9A-Za-z]{32}")
"""The shape of a signing secret minted by :func:`mint_signing_secret`; match with ``fullmatch``."""

_BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
_TIMESTAMP_DIGITS = 12
_DIGEST_HEX_LENGTH = 64


# --- errors ---------------------------------------------------------------------------------------


class WebhookSignatureInvalid(HoursError):
    """A delivery's ``Hours-Signature`` does not prove that hours sent this body just now.

    The subclasses tell why; a receiver answers all of them the same way (``400`` and no action).
    """

    code = "webhook_signature_invalid"
    default_message = "The Hours-Signature header is not valid for this body."


class WebhookSignatureMalformed(WebhookSignatureInvalid):
    """The header is missing or does not have the shape ``t=<digits>,v1=<64 hex>[,v1=...]``."""

    code = "webhook_signature_malformed"


class WebhookSignatureMismatch(WebhookSignatureInvalid):
    """No ``v1`` of the header is the HMAC of this body and timestamp under the secret."""

    code = "webhook_signature_mismatch"
    default_message = "No v1 signature in Hours-Signature matches this body under the secret."


class WebhookTimestampOutOfTolerance(WebhookSignatureInvalid):
    """The signature is genuine, but ``t`` is more than 5 minutes away from now (a replay or skew)."""

    code = "webhook_timestamp_out_of_tolerance"


class WebhookAddressRefused(HoursError):
    """A webhook URL points at (or its host resolves to) an address that deliveries may not call."""

    code = "webhook_address_refused"

    def __init__(self, address: IPAddress, kind: AddressKind) -> None:
        self.address = address
        self.kind = kind
        super().__init__(
            f"{address} is {with_article(kind.value)} address; webhooks may only call public addresses "
            "unless the operator allows private ones (for development)."
        )


# --- signing secrets and signatures ---------------------------------------------------------------


def mint_signing_secret() -> str:
    """A new signing secret: ``whsec_`` and 32 base62 characters from :mod:`secrets` (190 bits)."""
    return "whsec_" + "".join(secrets_module.choice(_BASE62) for _ in range(32))


def _unix_seconds(when: datetime | float) -> float:
    if isinstance(when, datetime):
        if when.utcoffset() is None:
            raise ValueError("a naive datetime has no defined instant; pass an aware one (UTC)")
        return when.timestamp()
    return float(when)


def _hmac_digest(secret: str, timestamp_text: str, body: bytes) -> bytes:
    if not secret:
        raise ValueError("a signing secret must not be empty")
    mac = hmac.new(secret.encode("utf-8"), digestmod=hashlib.sha256)
    mac.update(timestamp_text.encode("ascii") + b".")
    mac.update(body)
    return mac.digest()


def sign(secrets: Sequence[str], body: bytes, t: int | datetime) -> str:
    """The ``Hours-Signature`` value for ``body`` sent at ``t``: one ``v1`` per secret, in order.

    ``secrets`` is the current secret, followed by the previous one during a rotation. ``t`` is
    the time of sending, in Unix seconds or as an aware datetime (fractions are dropped).
    """
    if isinstance(secrets, str):
        raise TypeError("secrets is a sequence of secrets; wrap a single secret in a list")
    if not secrets:
        raise ValueError("sign needs at least one secret")
    seconds = int(_unix_seconds(t))
    if not 0 <= seconds < 10**_TIMESTAMP_DIGITS:
        raise ValueError(f"t must be a Unix time from 0 to {_TIMESTAMP_DIGITS} digits, got {seconds}")
    timestamp_text = str(seconds)
    signatures = [f"v1={_hmac_digest(secret, timestamp_text, body).hex()}" for secret in secrets]
    return ",".join([f"t={timestamp_text}", *signatures])


@attrs.frozen
class _ParsedSignature:
    timestamp_text: str
    candidates: tuple[bytes, ...]


_TIMESTAMP_TEXT = re.compile(rf"[0-9]{{1,{_TIMESTAMP_DIGITS}}}")
_DIGEST_HEX = re.compile(rf"[0-9a-fA-F]{{{_DIGEST_HEX_LENGTH}}}")
_FIELD_NAME = re.compile(r"[a-z][a-z0-9]*")


def _malformed(problem: str) -> WebhookSignatureMalformed:
    return WebhookSignatureMalformed(f"The Hours-Signature header is malformed: {problem}.")


def _parse_signature_header(header: str | bytes | None) -> _ParsedSignature:
    """Split the header into its timestamp and its ``v1`` digests, or raise the malformed error.

    Unknown fields (a future ``v2=``, say) are ignored; ``t`` must appear once, a well-formed
    ``v1`` (64 hexadecimal digits) at least once, and every field must be ``name=value``. A ``v1``
    that is not well formed beside one that is can match nothing and is passed over, as the
    documented verifiers in a few lines of the standard library or TypeScript pass it over (they
    compare each ``v1`` and accept any match).
    """
    if header is None:
        raise _malformed("the header is missing")
    if isinstance(header, bytes):
        try:
            header = header.decode("ascii")
        except UnicodeDecodeError:
            raise _malformed("it contains bytes that are not ASCII") from None
    if len(header) > MAX_SIGNATURE_HEADER_LENGTH:
        raise _malformed(f"it is longer than {MAX_SIGNATURE_HEADER_LENGTH} characters")
    timestamps: list[str] = []
    candidates: list[bytes] = []
    malformed_v1 = False
    for item in header.split(","):
        name, equals, value = item.strip().partition("=")
        if not equals or _FIELD_NAME.fullmatch(name) is None:
            raise _malformed("every field must look like name=value, separated by commas")
        if name == "t":
            if _TIMESTAMP_TEXT.fullmatch(value) is None:
                raise _malformed(f"t must be Unix seconds (1 to {_TIMESTAMP_DIGITS} digits)")
            timestamps.append(value)
        elif name == "v1":
            if _DIGEST_HEX.fullmatch(value) is None:
                malformed_v1 = True
            else:
                candidates.append(bytes.fromhex(value))
    if len(timestamps) != 1:
        raise _malformed("it must have exactly one t field")
    if not candidates:
        if malformed_v1:
            raise _malformed(f"v1 must be {_DIGEST_HEX_LENGTH} hexadecimal digits")
        raise _malformed("it has no v1 signature")
    return _ParsedSignature(timestamp_text=timestamps[0], candidates=tuple(candidates))


def _body_bytes(body: bytes | str) -> bytes | None:
    if isinstance(body, bytes):
        return body
    try:
        # surrogateescape gives back the raw bytes of a body decoded with errors="surrogateescape".
        return body.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return None


def verify(secret: str, header: str | bytes | None, body: bytes | str, now: datetime | float) -> int:
    """Check that ``header`` (``Hours-Signature``) signs ``body`` under ``secret`` near ``now``.

    Returns the signed timestamp ``t`` (Unix seconds). Raises :class:`WebhookSignatureMalformed`
    when the header is missing or misshapen, :class:`WebhookSignatureMismatch` when no ``v1``
    matches (another secret, or a changed body or ``t``), and
    :class:`WebhookTimestampOutOfTolerance` when the signature is genuine but ``t`` is more than
    :data:`SIGNATURE_TOLERANCE` before or after ``now``. All three subclass
    :class:`WebhookSignatureInvalid`; no other exception comes out of a bad header or body.

    ``body`` should be the raw request body as received (bytes); a ``str`` is taken as its UTF-8
    encoding. ``now`` is Unix seconds (``time.time()``) or an aware datetime. Comparisons are
    constant-time (:func:`hmac.compare_digest`). ``ValueError`` means a programming error: an
    empty secret, or a naive datetime.
    """
    now_seconds = _unix_seconds(now)
    parsed = _parse_signature_header(header)
    raw_body = _body_bytes(body)
    if raw_body is None:
        raise WebhookSignatureMismatch()
    expected = _hmac_digest(secret, parsed.timestamp_text, raw_body)
    matched = False
    for candidate in parsed.candidates:
        # No early exit: every candidate is compared, and each comparison is constant-time.
        matched |= hmac.compare_digest(expected, candidate)
    if not matched:
        raise WebhookSignatureMismatch()
    signed_at = int(parsed.timestamp_text)
    tolerance = SIGNATURE_TOLERANCE.total_seconds()
    if not -tolerance <= now_seconds - signed_at <= tolerance:
        raise WebhookTimestampOutOfTolerance(
            f"The Hours-Signature timestamp {signed_at} is {now_seconds - signed_at:+.0f} s away from now; "
            f"at most {tolerance:.0f} s either way is accepted (a replay, or a clock that is off)."
        )
    return signed_at


def delivery_headers(
    secrets: Sequence[str], body: bytes, *, event_id: str, event_type: str, t: int | datetime
) -> dict[str, str]:
    """Every header hours sends with a delivery, besides those HTTP itself adds (Host, Content-Length)."""
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        SIGNATURE_HEADER: sign(secrets, body, t),
        EVENT_ID_HEADER: event_id,
        EVENT_TYPE_HEADER: event_type,
    }


# --- the retry schedule ---------------------------------------------------------------------------

RETRY_BASE_DELAY = timedelta(minutes=1)
"""The cap of the wait after the first failed attempt."""

RETRY_MAX_DELAY = timedelta(hours=6)
"""The cap never grows beyond this."""

MAX_DELIVERY_ATTEMPTS = 33
"""Attempts per delivery, the first one included; the waits between them add up to 3.05 days on
average (each wait averages half its cap), and to at most 6.1 days."""


def retry_delay_cap(attempt: int) -> timedelta:
    """The longest wait after failed attempt number ``attempt`` (1-based): 1 min doubled, at most 6 h."""
    if attempt < 1:
        raise ValueError(f"attempts are numbered from 1, got {attempt}")
    doublings = min(attempt - 1, 16)  # 2**16 minutes is far above the cap already
    return min(RETRY_BASE_DELAY * (1 << doublings), RETRY_MAX_DELAY)


def next_attempt(attempt: int, now: datetime, random: Callable[[], float]) -> datetime | None:
    """When to try again after attempt number ``attempt`` (1-based) failed at ``now``, or ``None``.

    ``None`` means the delivery is given up (``attempt`` was the last of
    :data:`MAX_DELIVERY_ATTEMPTS`). Otherwise the wait is ``random() * retry_delay_cap(attempt)``:
    exponential backoff with full jitter, so that receivers coming back from an outage are not
    hit by every sender at once. ``random`` returns a float in [0, 1], like :func:`random.random`.
    """
    cap = retry_delay_cap(attempt)
    if attempt >= MAX_DELIVERY_ATTEMPTS:
        return None
    fraction = random()
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"random() must return a number in [0, 1], got {fraction!r}")
    return now + cap * fraction


# --- addresses ------------------------------------------------------------------------------------


class AddressKind(enum.StrEnum):
    """What an IP address is, for the webhook URL policy; only ``PUBLIC`` may be called by default."""

    PUBLIC = "public"
    LOOPBACK = "loopback"
    PRIVATE = "private"
    SHARED = "shared (carrier-grade NAT)"
    LINK_LOCAL = "link-local"
    UNIQUE_LOCAL = "unique-local"
    SITE_LOCAL = "site-local"
    MULTICAST = "multicast"
    BROADCAST = "broadcast"
    UNSPECIFIED = "unspecified"
    DOCUMENTATION = "documentation"
    BENCHMARKING = "benchmarking"
    RESERVED = "reserved"


def _v4(network: str) -> ipaddress.IPv4Network:
    return ipaddress.IPv4Network(network)


def _v6(network: str) -> ipaddress.IPv6Network:
    return ipaddress.IPv6Network(network)


_IPV4_RANGES: tuple[tuple[ipaddress.IPv4Network, AddressKind], ...] = (
    (_v4("0.0.0.0/8"), AddressKind.UNSPECIFIED),  # "this network"; 0.0.0.0 reaches the local host
    (_v4("10.0.0.0/8"), AddressKind.PRIVATE),
    (_v4("100.64.0.0/10"), AddressKind.SHARED),
    (_v4("127.0.0.0/8"), AddressKind.LOOPBACK),
    (_v4("169.254.0.0/16"), AddressKind.LINK_LOCAL),  # cloud metadata services live here
    (_v4("172.16.0.0/12"), AddressKind.PRIVATE),
    (_v4("192.0.0.0/24"), AddressKind.RESERVED),  # IETF protocol assignments
    (_v4("192.0.2.0/24"), AddressKind.DOCUMENTATION),
    (_v4("192.88.99.0/24"), AddressKind.RESERVED),  # the retired 6to4 relay anycast
    (_v4("192.168.0.0/16"), AddressKind.PRIVATE),
    (_v4("198.18.0.0/15"), AddressKind.BENCHMARKING),
    (_v4("198.51.100.0/24"), AddressKind.DOCUMENTATION),
    (_v4("203.0.113.0/24"), AddressKind.DOCUMENTATION),
    (_v4("224.0.0.0/4"), AddressKind.MULTICAST),
    (_v4("255.255.255.255/32"), AddressKind.BROADCAST),
    (_v4("240.0.0.0/4"), AddressKind.RESERVED),
)

_IPV6_RANGES: tuple[tuple[ipaddress.IPv6Network, AddressKind], ...] = (
    (_v6("::/128"), AddressKind.UNSPECIFIED),
    (_v6("::1/128"), AddressKind.LOOPBACK),
    (_v6("::/96"), AddressKind.RESERVED),  # the deprecated IPv4-compatible addresses
    (_v6("64:ff9b:1::/48"), AddressKind.PRIVATE),  # local-use NAT64
    (_v6("100::/64"), AddressKind.RESERVED),  # discard-only
    (_v6("2001:db8::/32"), AddressKind.DOCUMENTATION),
    (_v6("2001::/23"), AddressKind.RESERVED),  # IETF protocol assignments, Teredo among them
    (_v6("3fff::/20"), AddressKind.DOCUMENTATION),
    (_v6("fc00::/7"), AddressKind.UNIQUE_LOCAL),
    (_v6("fe80::/10"), AddressKind.LINK_LOCAL),
    (_v6("fec0::/10"), AddressKind.SITE_LOCAL),
    (_v6("ff00::/8"), AddressKind.MULTICAST),
)

_NAT64 = _v6("64:ff9b::/96")
_GLOBAL_UNICAST = _v6("2000::/3")


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address that an IPv4-mapped, NAT64 (64:ff9b::/96) or 6to4 address leads to."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFF_FFFF)
    return address.sixtofour


def classify_address(address: IPAddress | str) -> AddressKind:
    """What ``address`` is: public, or one of the kinds a webhook may not call by default.

    The tables follow the IANA special-purpose registries. An IPv6 address that leads to an IPv4
    address (IPv4-mapped ``::ffff:0:0/96``, NAT64 ``64:ff9b::/96``, 6to4 ``2002::/16``) is what
    that IPv4 address is; any other IPv6 address outside global unicast ``2000::/3`` is reserved.
    A string is parsed with :func:`ipaddress.ip_address` (``ValueError`` if it is no address).
    """
    ip = ipaddress.ip_address(address) if isinstance(address, str) else address
    if isinstance(ip, ipaddress.IPv4Address):
        return next((kind for network, kind in _IPV4_RANGES if ip in network), AddressKind.PUBLIC)
    embedded = _embedded_ipv4(ip)
    if embedded is not None:
        return classify_address(embedded)
    for network, kind in _IPV6_RANGES:
        if ip in network:
            return kind
    return AddressKind.PUBLIC if ip in _GLOBAL_UNICAST else AddressKind.RESERVED


def check_address(address: IPAddress, *, allow_private: bool) -> None:
    """Raise :class:`WebhookAddressRefused` unless ``address`` is public or ``allow_private`` is set."""
    kind = classify_address(address)
    if kind is not AddressKind.PUBLIC and not allow_private:
        raise WebhookAddressRefused(address, kind)


# --- URLs -----------------------------------------------------------------------------------------

MAX_URL_LENGTH = 2048

_PRINTABLE_ASCII = re.compile(r"[!-~]+")
_DNS_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
"""A label of a host name (RFC 1123): letters, digits and hyphens, no hyphen first or last. No
underscore: ``_dmarc.example.com`` names a DNS record, never a host an HTTP client reaches."""
_BRACKETED_AUTHORITY = re.compile(r"\[[^\[\]]*\](?::[^\[\]]*)?")
"""An authority whose host is an IPv6 literal: the brackets, then nothing but an optional port (the
port's own rule follows). ``urlsplit`` reads ``[2001:db8::1]x:99`` as the literal on port 443, while
another URL parser may read something else: such text is refused, not guessed at."""
_MAX_HOSTNAME_LENGTH = 253
_LOCAL_DOMAINS = ("localhost", "local", "internal", "home.arpa")
"""Special-use names that only ever mean this host or the local network (RFC 6761, 6762, 8375)."""

_DEFAULT_PORTS: Mapping[str, int] = {"https": 443, "http": 80}


def _url_problem(message: str) -> ValidationFailed:
    return ValidationFailed.one("url", message)


def _is_local_name(host: str) -> bool:
    return any(host == domain or host.endswith("." + domain) for domain in _LOCAL_DOMAINS)


@attrs.frozen
class WebhookUrl:
    """A webhook URL that passed the policy, split into what a delivery needs.

    ``host`` is lowercase, without IPv6 brackets or a trailing dot; ``port`` is explicit or the
    scheme's default; ``target`` is the path and query sent in the request line; ``address`` is
    set when the host is an IP literal. ``text`` is the URL as given.
    """

    text: str
    scheme: str
    host: str
    port: int
    target: str
    address: IPAddress | None = None

    @property
    def uses_tls(self) -> bool:
        """Whether deliveries go over TLS (``https``)."""
        return self.scheme == "https"

    @property
    def default_port(self) -> int:
        """The scheme's port (443 or 80): a ``Host`` header names the port only when it differs."""
        return _DEFAULT_PORTS[self.scheme]

    @classmethod
    def parse(cls, text: str, *, allow_http: bool, allow_private: bool) -> WebhookUrl:
        """Check ``text`` against the URL policy; raise :class:`ValidationFailed` on field ``url``.

        The rules: at most 2048 printable ASCII characters (percent-encode the rest, punycode for
        names); ``https`` (``http`` too with ``allow_http``); no user name or password; no
        fragment; a port from 1 to 65535; a host that is a DNS name whose last label starts with
        a letter, a dotted-quad IPv4 address or a bracketed IPv6 address without a zone. Without
        ``allow_private``, an IP literal must be public (:func:`classify_address`), and
        single-label names and the local-only names ``localhost``, ``*.localhost``, ``*.local``,
        ``*.internal`` and ``*.home.arpa`` are refused. A name's resolved addresses are checked
        at connect time by the delivery adapter, since DNS answers change.
        """
        if not text or len(text) > MAX_URL_LENGTH or _PRINTABLE_ASCII.fullmatch(text) is None:
            raise _url_problem(
                f"must be an absolute URL of at most {MAX_URL_LENGTH} printable ASCII characters "
                "(percent-encode others; write international names in punycode, xn--)"
            )
        try:
            parts = urlsplit(text)
        except ValueError as error:
            raise _url_problem(f"is not a valid URL ({error})") from None
        allowed_schemes = ("https", "http") if allow_http else ("https",)
        if parts.scheme not in allowed_schemes:
            raise _url_problem("must be an https URL" if not allow_http else "must be an https or http URL")
        try:
            port = parts.port
        except ValueError:
            port = 0
        if "@" in parts.netloc:
            raise _url_problem("must not contain a user name or password; use the signature to authenticate")
        if parts.fragment or text.endswith("#"):
            raise _url_problem("must not contain a fragment (#...)")
        host = parts.hostname or ""
        if not host:
            raise _url_problem("must name a host")
        if port is not None and not 1 <= port <= 65535:
            raise _url_problem("must have a port from 1 to 65535")
        address = _host_address(parts.netloc, host)
        if address is not None:
            try:
                check_address(address, allow_private=allow_private)
            except WebhookAddressRefused as refused:
                raise _url_problem(
                    f"points at {with_article(refused.kind.value)} address ({address}); "
                    "webhooks may only call public addresses"
                ) from None
        else:
            host = _checked_hostname(host, allow_private=allow_private)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return cls(
            text=text,
            scheme=parts.scheme,
            host=host,
            port=port or _DEFAULT_PORTS[parts.scheme],
            target=target,
            address=address,
        )


_HOST_SHAPE = (
    "must name a host by a DNS name (letters, digits, hyphens; the last label starts with a "
    "letter), a dotted-quad IPv4 address or a bracketed IPv6 address"
)


def _host_address(netloc: str, host: str) -> IPAddress | None:
    """The IP address the host spells, ``None`` for a name; raises for IPv6 zones and bad literals."""
    authority = netloc.rpartition("@")[2]
    if authority.startswith("["):
        if _BRACKETED_AUTHORITY.fullmatch(authority) is None:
            raise _url_problem(_HOST_SHAPE)
        if "%" in host:
            raise _url_problem("must not use an IPv6 zone (%...)")
        try:
            return ipaddress.IPv6Address(host)
        except ValueError:
            raise _url_problem("has an invalid IPv6 address") from None
    try:
        return ipaddress.IPv4Address(host)
    except ValueError:
        return None


def _checked_hostname(host: str, *, allow_private: bool) -> str:
    name = host.removesuffix(".")
    labels = name.split(".")
    if (
        len(name) > _MAX_HOSTNAME_LENGTH
        or not all(_DNS_LABEL.fullmatch(label) for label in labels)
        or not labels[-1][0].isalpha()
    ):
        raise _url_problem(_HOST_SHAPE)
    if not allow_private and (len(labels) == 1 or _is_local_name(name)):
        raise _url_problem(f"names a local host ({name}); webhooks may only call public hosts")
    return name


# --- delivery results and the port ----------------------------------------------------------------


class DeliveryErrorKind(enum.StrEnum):
    """Why a delivery attempt did not end with a 2xx answer."""

    URL_REFUSED = "url_refused"
    """The URL no longer passes the policy (e.g. http after HOURS_WEBHOOKS_ALLOW_HTTP was unset)."""
    ADDRESS_REFUSED = "address_refused"
    """The host resolved to an address that may not be called; nothing was sent."""
    DNS_FAILED = "dns_failed"
    CONNECT_FAILED = "connect_failed"
    CONNECT_TIMEOUT = "connect_timeout"
    TLS_FAILED = "tls_failed"
    """The TLS handshake failed: most often a certificate that is invalid for the host."""
    CONNECTION_LOST = "connection_lost"
    READ_TIMEOUT = "read_timeout"
    """No complete response head within the read timeout."""
    PROTOCOL_ERROR = "protocol_error"
    """The answer was not valid HTTP/1.x."""
    REDIRECT = "redirect"
    """A 3xx answer: redirects are never followed."""
    HTTP_STATUS = "http_status"
    """Any other answer outside 2xx."""


class DeliveryOutcome(enum.StrEnum):
    """What the dispatcher does after an attempt."""

    DELIVERED = "delivered"
    """A 2xx answer: the delivery is done."""
    GONE = "gone"
    """A 410 answer: the receiver asks for the webhook to be disabled at once."""
    RETRY = "retry"
    """Anything else: try again later (:func:`next_attempt`)."""


@attrs.frozen
class DeliveryError:
    """A failed attempt: a stable ``kind`` for code and a ``message`` for the delivery log."""

    kind: DeliveryErrorKind
    message: str


@attrs.frozen
class DeliveryResult:
    """The result of one delivery attempt.

    ``status_code`` is the receiver's answer (``None`` if none came); ``duration`` runs from the
    start of the attempt (DNS included) to the end of reading; ``error`` is ``None`` exactly when
    the answer was 2xx; ``response_excerpt`` is the start of the response body (a few KB at most,
    decoded as UTF-8 with replacement characters).
    """

    status_code: int | None
    duration: timedelta
    error: DeliveryError | None
    response_excerpt: str = ""

    def __attrs_post_init__(self) -> None:
        answered_2xx = self.status_code is not None and 200 <= self.status_code < 300
        if answered_2xx != (self.error is None):
            raise ValueError("a DeliveryResult has an error exactly when the status is not 2xx")

    @property
    def outcome(self) -> DeliveryOutcome:
        """Delivered on 2xx, gone on 410, retry otherwise."""
        if self.error is None:
            return DeliveryOutcome.DELIVERED
        if self.status_code == 410:
            return DeliveryOutcome.GONE
        return DeliveryOutcome.RETRY


class WebhookSender(Protocol):
    """Sends one delivery (a ``POST``) and reports what happened; never raises for network errors."""

    def send(self, url: str, headers: Mapping[str, str], body: bytes) -> DeliveryResult:
        """POST ``body`` with ``headers`` to ``url`` once, without following redirects."""
        ...
