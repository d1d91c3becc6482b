"""hours_core.webhooks: the URL policy and the classification of addresses (SSRF rules)."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from hours_core.errors import ValidationFailed
from hours_core.webhooks import (
    AddressKind,
    IPAddress,
    WebhookAddressRefused,
    WebhookUrl,
    check_address,
    classify_address,
)

# --- addresses ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("8.8.8.8", AddressKind.PUBLIC),
        ("93.184.215.14", AddressKind.PUBLIC),
        ("2606:4700:4700::1111", AddressKind.PUBLIC),
        ("0.0.0.0", AddressKind.UNSPECIFIED),
        ("0.1.2.3", AddressKind.UNSPECIFIED),
        ("10.0.0.1", AddressKind.PRIVATE),
        ("100.64.0.1", AddressKind.SHARED),
        ("100.127.255.254", AddressKind.SHARED),
        ("127.0.0.1", AddressKind.LOOPBACK),
        ("127.255.255.254", AddressKind.LOOPBACK),
        ("169.254.169.254", AddressKind.LINK_LOCAL),
        ("172.16.0.1", AddressKind.PRIVATE),
        ("172.31.255.255", AddressKind.PRIVATE),
        ("192.0.0.8", AddressKind.RESERVED),
        ("192.0.2.1", AddressKind.DOCUMENTATION),
        ("192.88.99.1", AddressKind.RESERVED),
        ("192.168.1.1", AddressKind.PRIVATE),
        ("198.18.0.1", AddressKind.BENCHMARKING),
        ("198.51.100.7", AddressKind.DOCUMENTATION),
        ("203.0.113.9", AddressKind.DOCUMENTATION),
        ("224.0.0.251", AddressKind.MULTICAST),
        ("239.255.255.250", AddressKind.MULTICAST),
        ("240.0.0.1", AddressKind.RESERVED),
        ("255.255.255.255", AddressKind.BROADCAST),
        ("::", AddressKind.UNSPECIFIED),
        ("::1", AddressKind.LOOPBACK),
        ("::ffff:127.0.0.1", AddressKind.LOOPBACK),
        ("::ffff:10.1.2.3", AddressKind.PRIVATE),
        ("::ffff:169.254.169.254", AddressKind.LINK_LOCAL),
        ("::ffff:8.8.8.8", AddressKind.PUBLIC),
        ("::127.0.0.1", AddressKind.RESERVED),
        ("64:ff9b::7f00:1", AddressKind.LOOPBACK),
        ("64:ff9b::808:808", AddressKind.PUBLIC),
        ("64:ff9b:1::1", AddressKind.PRIVATE),
        ("100::1", AddressKind.RESERVED),
        ("2001::1", AddressKind.RESERVED),
        ("2001:db8::1", AddressKind.DOCUMENTATION),
        ("2002:7f00:1::", AddressKind.LOOPBACK),
        ("2002:c0a8:101::1", AddressKind.PRIVATE),
        ("2002:808:808::1", AddressKind.PUBLIC),
        ("3fff::1", AddressKind.DOCUMENTATION),
        ("5f00::1", AddressKind.RESERVED),
        ("fc00::1", AddressKind.UNIQUE_LOCAL),
        ("fd12:3456::1", AddressKind.UNIQUE_LOCAL),
        ("fe80::1", AddressKind.LINK_LOCAL),
        ("fe80::1%eth0", AddressKind.LINK_LOCAL),
        ("fec0::1", AddressKind.SITE_LOCAL),
        ("ff02::1", AddressKind.MULTICAST),
        ("4000::1", AddressKind.RESERVED),
    ],
)
def test_each_special_range_has_its_kind(address: str, kind: AddressKind) -> None:
    assert classify_address(address) is kind
    assert classify_address(ipaddress.ip_address(address)) is kind


def test_only_public_addresses_pass_unless_private_ones_are_allowed() -> None:
    check_address(ipaddress.ip_address("8.8.8.8"), allow_private=False)
    check_address(ipaddress.ip_address("10.0.0.1"), allow_private=True)
    with pytest.raises(WebhookAddressRefused) as refused:
        check_address(ipaddress.ip_address("169.254.169.254"), allow_private=False)
    assert refused.value.kind is AddressKind.LINK_LOCAL
    assert refused.value.code == "webhook_address_refused"
    assert refused.value.message.startswith("169.254.169.254 is a link-local address")


@given(address=st.ip_addresses(v=4))
def test_an_ipv4_mapped_address_is_what_its_ipv4_address_is(address: ipaddress.IPv4Address) -> None:
    mapped = ipaddress.IPv6Address(f"::ffff:{address}")
    assert classify_address(mapped) is classify_address(address)
    nat64 = ipaddress.IPv6Address(int(ipaddress.IPv6Address("64:ff9b::")) | int(address))
    assert classify_address(nat64) is classify_address(address)


@given(address=st.ip_addresses())
@example(address=ipaddress.IPv4Address("100.64.0.0"))
@example(address=ipaddress.IPv6Address("::ffff:0.0.0.0"))
@example(address=ipaddress.IPv6Address("::ffff:8.8.8.8"))
def test_whatever_the_policy_calls_public_python_calls_global_too(address: IPAddress) -> None:
    # Python's tables are a floor: the policy refuses all they refuse, and more (multicast, NAT64 of
    # private addresses, everything outside 2000::/3). A mapped address is judged by what it maps.
    effective = address.ipv4_mapped if isinstance(address, ipaddress.IPv6Address) else None
    judged = effective or address
    if classify_address(address) is AddressKind.PUBLIC:
        assert judged.is_global
        assert not (judged.is_private or judged.is_loopback or judged.is_link_local or judged.is_multicast)


# --- URLs ---------------------------------------------------------------------------------------------


def parse(text: str, *, allow_http: bool = False, allow_private: bool = False) -> WebhookUrl:
    return WebhookUrl.parse(text, allow_http=allow_http, allow_private=allow_private)


def refusal(text: str, *, allow_http: bool = False, allow_private: bool = False) -> str:
    with pytest.raises(ValidationFailed) as error:
        parse(text, allow_http=allow_http, allow_private=allow_private)
    assert list(error.value.fields) == ["url"]
    return error.value.fields["url"]


def test_an_https_url_is_split_into_what_a_delivery_needs() -> None:
    url = parse("HTTPS://Hooks.Example.COM.:8443/in/hours?team=7")
    assert url == WebhookUrl(
        text="HTTPS://Hooks.Example.COM.:8443/in/hours?team=7",
        scheme="https",
        host="hooks.example.com",
        port=8443,
        target="/in/hours?team=7",
    )
    assert url.uses_tls and url.default_port == 443


def test_the_port_and_path_default_to_the_scheme_and_the_root() -> None:
    assert (parse("https://example.com").port, parse("https://example.com").target) == (443, "/")
    assert parse("https://example.com?x=1").target == "/?x=1"
    assert parse("http://example.com", allow_http=True).port == 80


def test_a_public_ip_literal_is_accepted_with_its_address() -> None:
    assert parse("https://8.8.8.8/").address == ipaddress.IPv4Address("8.8.8.8")
    assert parse("https://[2606:4700::1]:444/").address == ipaddress.IPv6Address("2606:4700::1")
    assert parse("https://[2606:4700::1]:444/").host == "2606:4700::1"


def test_plain_http_needs_the_operator_setting() -> None:
    assert refusal("http://example.com/") == "must be an https URL"
    assert parse("http://example.com/", allow_http=True).scheme == "http"
    assert refusal("ftp://example.com/", allow_http=True) == "must be an https or http URL"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "printable ASCII"),
        ("https://example.com/a b", "printable ASCII"),
        ("https://example.com/\r\nHost: evil", "printable ASCII"),
        ("https://exämple.com/", "punycode"),
        ("https://example.com/" + "a" * 2048, "at most 2048"),
        ("example.com/hook", "https URL"),
        ("//example.com/hook", "https URL"),
        ("javascript:alert(1)", "https URL"),
        ("https://user:pass@example.com/", "user name or password"),
        ("https://example.com\\@evil.example/", "user name or password"),
        ("https://example.com/#top", "fragment"),
        ("https://example.com/#", "fragment"),
        ("https:///path", "must name a host"),
        ("https://example.com:0/", "port from 1 to 65535"),
        ("https://example.com:65536/", "port from 1 to 65535"),
        ("https://example.com:https/", "port from 1 to 65535"),
        ("https://[::1/", "not a valid URL"),
        ("https://[fe80::1%25eth0]/", "zone"),
        ("https://[2606:4700::1]x/", "bracketed IPv6 address"),
        ("https://[2606:4700::1]x:444/", "bracketed IPv6 address"),
        ("https://[2606:4700::1]]/", "bracketed IPv6 address"),
        ("https://exa_mple.com-/", "DNS name"),
        ("https://ex_ample.com/", "DNS name"),
        ("https://_hook.example.com/", "DNS name"),
        ("https://a..example.com/", "DNS name"),
        ("https://-a.example.com/", "DNS name"),
        ("https://%6c%6fcalhost/", "DNS name"),
        ("https://" + "a" * 64 + ".com/", "DNS name"),
        ("https://127.1/", "DNS name"),
        ("https://2130706433/", "DNS name"),
        ("https://0x7f.0.0.1/", "DNS name"),
        ("https://0177.0.0.1/", "DNS name"),
        ("https://127.000.000.001/", "DNS name"),
        ("https://example.123/", "DNS name"),
    ],
)
def test_a_url_that_breaks_a_rule_says_which(text: str, problem: str) -> None:
    assert problem in refusal(text, allow_http=False, allow_private=True)


@pytest.mark.parametrize(
    "text",
    [
        "https://127.0.0.1/",
        "https://10.0.0.8:8443/",
        "https://169.254.169.254/latest/meta-data/",
        "https://0.0.0.0/",
        "https://[::1]/",
        "https://[::ffff:127.0.0.1]/",
        "https://[::ffff:7f00:1]/",
        "https://[fd00::1]/",
        "https://[64:ff9b::a9fe:a9fe]/",
    ],
)
def test_a_non_public_ip_literal_is_refused_unless_private_addresses_are_allowed(text: str) -> None:
    assert "webhooks may only call public addresses" in refusal(text)
    assert parse(text, allow_private=True).address is not None


@pytest.mark.parametrize(
    "text",
    [
        "https://localhost/",
        "https://LOCALHOST./",
        "https://api.localhost/",
        "https://printer.local/",
        "https://vault.internal/",
        "https://nas.home.arpa/",
        "https://intranet/",
    ],
)
def test_local_only_names_are_refused_unless_private_addresses_are_allowed(text: str) -> None:
    assert "names a local host" in refusal(text)
    assert parse(text, allow_private=True).address is None


def test_names_that_merely_contain_a_local_word_are_public() -> None:
    assert parse("https://localhost.example.com/").host == "localhost.example.com"
    assert parse("https://mylocal.dev/").host == "mylocal.dev"
    assert parse("https://xn--bcher-kva.example/").host == "xn--bcher-kva.example"


@given(text=st.text())
@example(text="https://[")
@example(text="https://:99999999999999999999/")
@example(text="https://[v1.x]/")
def test_any_text_is_a_webhook_url_or_a_validation_error_on_url(text: str) -> None:
    for allow in (False, True):
        url = parse_or_refusal(text, allow_http=allow, allow_private=allow)
        if url is not None:
            assert url.target.startswith("/") and 1 <= url.port <= 65535


@given(
    text=st.from_regex(
        r"\A(https?)://(\[[0-9a-f:.%]{0,20}\]|[a-z0-9._%-]{0,20})(:[0-9a-z]{0,6})?(/[!-~]{0,10})?\Z"
    )
)
@example(text="https://[2606:4700::1]x:8/")
def test_url_shaped_text_is_a_webhook_url_or_a_validation_error_on_url(text: str) -> None:
    url = parse_or_refusal(text, allow_http=True, allow_private=False)
    if url is not None:
        assert url.address is None or classify_address(url.address) is AddressKind.PUBLIC
        # The host and port a delivery connects to are the URL's whole authority, nothing left over.
        authority = text.split("://", 1)[1].split("/", 1)[0]
        if authority.startswith("["):
            host, _, rest = authority[1:].partition("]")
            assert rest == "" or rest.startswith(":")
            port = rest.removeprefix(":")
        else:
            host, _, port = authority.partition(":")
        assert host.lower().removesuffix(".") == url.host
        assert port == "" or int(port) == url.port


def parse_or_refusal(text: str, *, allow_http: bool, allow_private: bool) -> WebhookUrl | None:
    """The parsed URL, or ``None`` after checking that the refusal is a ValidationFailed on ``url``."""
    try:
        return parse(text, allow_http=allow_http, allow_private=allow_private)
    except ValidationFailed as error:
        fields = list(error.fields)
    assert fields == ["url"]
    return None
