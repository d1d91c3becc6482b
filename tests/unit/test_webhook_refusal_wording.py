"""hours_core.webhooks: a refused address is named with the article its kind takes ("an unspecified
address", "a loopback address"), in the URL check and in the delivery-time check alike."""

from __future__ import annotations

import ipaddress

import pytest

from hours_core.errors import ValidationFailed
from hours_core.webhooks import AddressKind, WebhookAddressRefused, WebhookUrl, check_address
from hours_core.wording import with_article

EXAMPLES = {
    AddressKind.LOOPBACK: "127.0.0.1",
    AddressKind.PRIVATE: "10.0.0.1",
    AddressKind.SHARED: "100.64.0.1",
    AddressKind.LINK_LOCAL: "169.254.169.254",
    AddressKind.UNIQUE_LOCAL: "fd12:3456::1",
    AddressKind.SITE_LOCAL: "fec0::1",
    AddressKind.MULTICAST: "224.0.0.251",
    AddressKind.BROADCAST: "255.255.255.255",
    AddressKind.UNSPECIFIED: "0.0.0.0",
    AddressKind.DOCUMENTATION: "192.0.2.1",
    AddressKind.BENCHMARKING: "198.18.0.1",
    AddressKind.RESERVED: "240.0.0.1",
}
"""One address of every kind that is refused."""

ARTICLES = dict.fromkeys(EXAMPLES, "a") | {AddressKind.UNSPECIFIED: "an"}
"""The article each kind takes: "unspecified" starts with a vowel sound; "unique-local" does not."""


def url_refusal(text: str) -> str:
    with pytest.raises(ValidationFailed) as refused:
        WebhookUrl.parse(text, allow_http=False, allow_private=False)
    return refused.value.fields["url"]


def literal(address: str) -> str:
    return f"[{address}]" if ":" in address else address


def test_every_refused_kind_has_an_example() -> None:
    assert set(EXAMPLES) == set(AddressKind) - {AddressKind.PUBLIC}


@pytest.mark.parametrize("kind", list(EXAMPLES))
def test_a_refused_ip_literal_names_its_kind_with_the_article_it_takes(kind: AddressKind) -> None:
    address = EXAMPLES[kind]

    assert url_refusal(f"https://{literal(address)}/") == (
        f"points at {ARTICLES[kind]} {kind.value} address ({address}); webhooks may only call public addresses"
    )


@pytest.mark.parametrize("kind", list(EXAMPLES))
def test_a_refused_resolved_address_names_its_kind_with_the_article_it_takes(kind: AddressKind) -> None:
    address = EXAMPLES[kind]

    with pytest.raises(WebhookAddressRefused) as refused:
        check_address(ipaddress.ip_address(address), allow_private=False)

    assert refused.value.message.startswith(f"{address} is {ARTICLES[kind]} {kind.value} address; ")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("https://0.0.0.0/", "points at an unspecified address (0.0.0.0)"),
        ("https://[::]/", "points at an unspecified address (::)"),
        ("https://0.1.2.3/", "points at an unspecified address (0.1.2.3)"),
    ],
)
def test_the_unspecified_addresses_are_an_unspecified_address(text: str, message: str) -> None:
    """The black-box tester's report: `a unspecified address (0.0.0.0)`, and so for `[::]`."""
    assert url_refusal(text).startswith(message + ";")


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("unspecified", "an unspecified"),
        ("internal", "an internal"),
        ("address", "an address"),
        ("empty", "an empty"),
        ("open", "an open"),
        ("IPv6 address", "an IPv6 address"),
        ("uninitialized", "an uninitialized"),
        ("hour", "an hour"),
        ("honest mistake", "an honest mistake"),
        ("loopback", "a loopback"),
        ("private", "a private"),
        ("shared (carrier-grade NAT)", "a shared (carrier-grade NAT)"),
        ("unique-local", "a unique-local"),
        ("unicast", "a unicast"),
        ("universal", "a universal"),
        ("user", "a user"),
        ("European", "a European"),
        ("one-off", "a one-off"),
        ("once-only", "a once-only"),
        ("onerous", "an onerous"),
        ("host", "a host"),
    ],
)
def test_the_article_follows_the_first_sound_not_only_the_first_letter(phrase: str, expected: str) -> None:
    assert with_article(phrase) == expected
