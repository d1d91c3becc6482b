"""Webhook subscriptions and their deliveries: the entities the dispatcher works on.

A :class:`Webhook` is an organization's subscription: a URL, the event types it wants (or ``*``),
its signing secret (and, for 24 hours after a rotation, the previous one), whether it is active,
and where its queue stands (``event_cursor``: the last event sequence number fanned out to it;
``last_position``: the last position handed to a delivery). A :class:`WebhookDelivery` is one
item of a webhook's queue: one event (or a ping, or a redelivery) with its body, its attempts and
their outcome. Deliveries of one webhook go out in ``position`` order, one at a time.

The signing secrets are stored as they are: hours must sign with them, so a hash would not do
(docs/webhooks.md, "Signing secrets: the threat model").
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import NewType
from uuid import UUID

import attrs

from hours_core.events import EventType
from hours_core.model import OrgId, control_character_problem, one_line_problem
from hours_core.webhooks import SECRET_ROTATION_OVERLAP, WebhookUrl

__all__ = [
    "ALL_EVENTS",
    "DELIVERY_RETENTION",
    "EVENT_FAMILIES",
    "EVENT_TYPES",
    "MAX_DESCRIPTION_LENGTH",
    "MAX_EVENT_FILTERS",
    "MAX_WEBHOOKS",
    "PING_EVENT_TYPE",
    "DeliveryId",
    "DeliveryStatus",
    "UrlPolicy",
    "Webhook",
    "WebhookDelivery",
    "WebhookId",
    "description_problem",
    "event_filter_problem",
    "matches",
]

WebhookId = NewType("WebhookId", UUID)
DeliveryId = NewType("DeliveryId", UUID)

ALL_EVENTS = "*"
"""The filter that matches every event type."""

PING_EVENT_TYPE = "ping"
"""The type of the test delivery ``POST /webhooks/{id}/ping`` queues; it matches no filter and is
sent whatever the webhook subscribes to."""

EVENT_TYPES: tuple[str, ...] = tuple(kind.value for kind in EventType)
"""Every event type a webhook may subscribe to (:class:`~hours_core.events.EventType`)."""

EVENT_FAMILIES: tuple[str, ...] = tuple(dict.fromkeys(kind.partition(".")[0] for kind in EVENT_TYPES))
"""The families of event types (``time_entry``, ``timer``, ...): ``<family>.*`` subscribes to all of one."""

MAX_EVENT_FILTERS = 50
"""The most entries of a webhook's ``events`` list."""

MAX_DESCRIPTION_LENGTH = 500
"""The longest description of a webhook."""

MAX_WEBHOOKS = 20
"""The most webhooks an organization may have, active or not. Every event is copied into the queue
of each of its active webhooks that takes it, so the number of webhooks multiplies the work of
every write; an inactive one counts too, since turning it on needs no slot."""

DELIVERY_RETENTION = timedelta(days=30)
"""Finished deliveries (delivered or given up) are kept this long, then purged."""

_EVENT_FILTER = re.compile(r"(?P<family>[a-z_]+)\.(?P<verb>\*|[a-z_]+)")


def event_filter_problem(events: Sequence[str]) -> str | None:
    """What is wrong with a webhook's ``events`` list, or ``None``.

    Each entry is ``*`` (every event), ``<family>.*`` (every event of a family, ``project.*``) or
    one of :data:`EVENT_TYPES` (``time_entry.created``); the list holds 1 to
    :data:`MAX_EVENT_FILTERS` entries, without repeats.
    """
    if not events:
        return 'must list at least one event type, or "*" for every event'
    if len(events) > MAX_EVENT_FILTERS:
        return f"must list at most {MAX_EVENT_FILTERS} event types"
    if len(set(events)) != len(events):
        return "must not list an event type twice"
    for entry in events:
        if entry == ALL_EVENTS or entry in EVENT_TYPES:
            continue
        match = _EVENT_FILTER.fullmatch(entry)
        if match is None or match["verb"] != "*" or match["family"] not in EVENT_FAMILIES:
            families = ", ".join(EVENT_FAMILIES)
            return (
                f'has {entry!r}, which is no event type: use "*", "<family>.*" with a family of '
                f"{families}, or an event type such as time_entry.created"
            )
    return None


def matches(events: Sequence[str], event_type: str) -> bool:
    """Whether an ``events`` filter takes an event of ``event_type``."""
    family = event_type.partition(".")[0]
    return any(entry in (ALL_EVENTS, event_type, f"{family}.*") for entry in events)


@attrs.frozen
class UrlPolicy:
    """The operator's webhook URL rules: ``https`` only and public addresses only, unless allowed."""

    allow_http: bool = False
    allow_private: bool = False

    def parse(self, url: str) -> WebhookUrl:
        """``url`` checked against the policy (:meth:`WebhookUrl.parse`; ``ValidationFailed`` on ``url``)."""
        return WebhookUrl.parse(url, allow_http=self.allow_http, allow_private=self.allow_private)


def description_problem(description: str) -> str | None:
    """What is wrong with a description (at most 500 characters, one line: no control characters,
    line or paragraph separators, or bidirectional controls), or ``None``."""
    if len(description) > MAX_DESCRIPTION_LENGTH:
        return f"must be at most {MAX_DESCRIPTION_LENGTH} characters"
    return control_character_problem(description) or one_line_problem(description)


@attrs.frozen
class Webhook:
    """An organization's webhook (see the module's docstring).

    ``disabled_at`` and ``disabled_reason`` are set when hours disabled it (a ``410`` answer, or a
    delivery given up after about 3 days); an API user who sets ``active`` to false leaves them
    empty. ``previous_secret`` signs beside ``secret`` until ``previous_secret_expires_at``.
    """

    id: WebhookId
    org_id: OrgId
    url: str
    events: tuple[str, ...]
    description: str
    active: bool
    created_at: datetime
    updated_at: datetime
    disabled_at: datetime | None
    disabled_reason: str | None
    secret: str
    previous_secret: str | None
    previous_secret_expires_at: datetime | None
    event_cursor: int
    last_position: int

    def signing_secrets(self, now: datetime) -> list[str]:
        """The secrets a delivery sent at ``now`` is signed with: the current one, then the previous
        one while its 24 hours last."""
        expires = self.previous_secret_expires_at
        if self.previous_secret is not None and expires is not None and now < expires:
            return [self.secret, self.previous_secret]
        return [self.secret]

    def rotated(self, secret: str, now: datetime) -> Webhook:
        """This webhook with a new ``secret``; the current one signs beside it for 24 hours (a
        secret older than that stops signing at once)."""
        return attrs.evolve(
            self,
            secret=secret,
            previous_secret=self.secret,
            previous_secret_expires_at=now + SECRET_ROTATION_OVERLAP,
            updated_at=now,
        )

    def disabled(self, reason: str, now: datetime) -> Webhook:
        """This webhook turned off by hours, with the reason shown to its owners."""
        return attrs.evolve(self, active=False, disabled_at=now, disabled_reason=reason, updated_at=now)

    def queued(self, count: int) -> tuple[Webhook, list[int]]:
        """This webhook with ``count`` more positions handed out, and those positions in order."""
        positions = list(range(self.last_position + 1, self.last_position + 1 + count))
        return attrs.evolve(self, last_position=self.last_position + count), positions


class DeliveryStatus(enum.StrEnum):
    """Where a delivery stands."""

    PENDING = "pending"
    """Queued, or failed and waiting for its next attempt."""
    DELIVERED = "delivered"
    """The receiver answered 2xx."""
    FAILED = "failed"
    """Given up: a 410 answer, or the last of the attempts failed."""


@attrs.frozen
class WebhookDelivery:
    """One item of a webhook's queue: an event's body, sent in ``position`` order.

    ``attempt`` counts the attempts made; ``response_code``, ``duration_ms`` and ``error`` describe
    the last one. ``leased_until`` is set while a dispatcher holds the delivery: no other
    dispatcher takes it before then (a dispatcher that crashed leaves it to be sent again).
    """

    id: DeliveryId
    org_id: OrgId
    webhook_id: WebhookId
    position: int
    event_id: str
    event_type: str
    payload: bytes
    status: DeliveryStatus
    attempt: int
    response_code: int | None
    duration_ms: int | None
    error: str | None
    created_at: datetime
    last_attempt_at: datetime | None
    next_attempt_at: datetime | None
    completed_at: datetime | None
    leased_until: datetime | None

    @classmethod
    def queued(
        cls,
        delivery_id: DeliveryId,
        webhook: Webhook,
        position: int,
        *,
        event_id: str,
        event_type: str,
        payload: bytes,
        now: datetime,
    ) -> WebhookDelivery:
        """A new delivery of ``payload`` to ``webhook``, due at once."""
        return cls(
            id=delivery_id,
            org_id=webhook.org_id,
            webhook_id=webhook.id,
            position=position,
            event_id=event_id,
            event_type=event_type,
            payload=payload,
            status=DeliveryStatus.PENDING,
            attempt=0,
            response_code=None,
            duration_ms=None,
            error=None,
            created_at=now,
            last_attempt_at=None,
            next_attempt_at=now,
            completed_at=None,
            leased_until=None,
        )

    def leased(self, until: datetime) -> WebhookDelivery:
        """This delivery held by a dispatcher until ``until``."""
        return attrs.evolve(self, leased_until=until)

    def attempted(
        self,
        *,
        at: datetime,
        response_code: int | None,
        duration: timedelta,
        error: str | None,
        status: DeliveryStatus,
        next_attempt_at: datetime | None,
    ) -> WebhookDelivery:
        """This delivery after one more attempt at ``at``, released by its dispatcher."""
        finished = status is not DeliveryStatus.PENDING
        return attrs.evolve(
            self,
            status=status,
            attempt=self.attempt + 1,
            response_code=response_code,
            duration_ms=round(duration.total_seconds() * 1000),
            error=error,
            last_attempt_at=at,
            next_attempt_at=None if finished else next_attempt_at,
            completed_at=at if finished else None,
            leased_until=None,
        )
