"""The webhook delivery adapter: one signed POST per call, over the standard library, safe against SSRF.

Build one :class:`HttpWebhookSender` in the composition root (it reads nothing from the
environment) and hand it to the dispatcher as a :class:`hours_core.webhooks.WebhookSender`.
"""

from hours_webhooks.resolver import Resolver, checked_addresses, resolve_host
from hours_webhooks.sender import (
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_READ_TIMEOUT,
    LONGEST_ATTEMPT_SECONDS,
    MAX_ADDRESSES_TRIED,
    HttpWebhookSender,
)

__all__ = [
    "DEFAULT_CONNECT_TIMEOUT",
    "DEFAULT_MAX_RESPONSE_BYTES",
    "DEFAULT_READ_TIMEOUT",
    "LONGEST_ATTEMPT_SECONDS",
    "MAX_ADDRESSES_TRIED",
    "HttpWebhookSender",
    "Resolver",
    "checked_addresses",
    "resolve_host",
]
