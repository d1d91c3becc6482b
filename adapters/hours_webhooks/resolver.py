"""Name resolution for deliveries: with a time limit, and every answer checked against the policy."""

from __future__ import annotations

import ipaddress
import socket
import threading
from typing import Protocol

from hours_core.webhooks import IPAddress, WebhookUrl, check_address

__all__ = ["Resolver", "checked_addresses", "resolve_host"]


class Resolver(Protocol):
    """Turns a host name into its addresses, in the order to try them.

    Raises :class:`OSError` when the name does not resolve, :class:`TimeoutError` when the answer
    takes longer than ``timeout`` seconds.
    """

    def __call__(self, host: str, port: int, timeout: float) -> list[IPAddress]: ...


def resolve_host(host: str, port: int, timeout: float) -> list[IPAddress]:
    """The system resolver (``getaddrinfo``), given up on after ``timeout`` seconds.

    ``getaddrinfo`` has no timeout of its own, so it runs in a daemon thread that is abandoned
    when it takes too long (it ends by itself once the system resolver gives up).
    """
    answers: list[list[IPAddress] | OSError] = []

    def look_up() -> None:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
        except OSError as error:
            answers.append(error)
            return
        except UnicodeError as error:  # a name the IDNA codec refuses
            answers.append(OSError(f"{host} is not a valid host name: {error}"))
            return
        addresses: list[IPAddress] = []
        for family, _type, _proto, _name, sockaddr in infos:
            if family in (socket.AF_INET, socket.AF_INET6):
                address = ipaddress.ip_address(sockaddr[0])
                if address not in addresses:
                    addresses.append(address)
        answers.append(addresses)

    thread = threading.Thread(target=look_up, name=f"hours-webhooks-dns-{host}", daemon=True)
    thread.start()
    thread.join(timeout)
    if not answers:
        raise TimeoutError(f"looking up {host} took longer than {timeout:g} s")
    answer = answers[0]
    if isinstance(answer, OSError):
        raise answer
    if not answer:
        raise OSError(f"{host} has no IPv4 or IPv6 address")
    return answer


def checked_addresses(
    url: WebhookUrl, *, allow_private: bool, resolve: Resolver, timeout: float
) -> list[IPAddress]:
    """The addresses to connect to for ``url``, after checking every one of them.

    An IP literal is its own answer; a name is resolved now, at connect time. If any address is
    refused, :class:`~hours_core.webhooks.WebhookAddressRefused` is raised for the whole name
    (a name that answers with public and internal addresses at once is a rebinding attempt, or a
    misconfiguration). The caller connects to exactly these addresses, never to the name, so the
    answer cannot change between the check and the connection.
    """
    addresses = [url.address] if url.address is not None else resolve(url.host, url.port, timeout)
    for address in addresses:
        check_address(address, allow_private=allow_private)
    return addresses
