"""The use cases of hours, built on the ports. :func:`build_services` wires them together."""

from __future__ import annotations

import attrs

from hours_core.ports import Clock, IdFactory, UnitOfWorkFactory
from hours_core.services.account import AccountService
from hours_core.services.admin import AdminService, Bootstrapped
from hours_core.services.audit import AuditFilter, EventPage, EventService, FeedPage
from hours_core.services.authentication import Authenticator
from hours_core.services.caller import Caller
from hours_core.services.idempotent import IdempotentRunner, KeyedRequest, Outcome
from hours_core.services.projects import ChangeProject, ChangeTask, ProjectService
from hours_core.services.team import AddUser, ChangeOrg, ChangeUser, TeamService
from hours_core.services.time_entries import (
    UNSET,
    CreateTimeEntry,
    EntryPage,
    StartTimer,
    TimeEntryService,
    UpdateTimeEntry,
)
from hours_core.services.transactions import Transactions
from hours_core.services.webhooks import (
    ChangeWebhook,
    CreateWebhook,
    DeliveryPage,
    EventBodies,
    WebhookService,
)
from hours_core.subscriptions import UrlPolicy

__all__ = [
    "UNSET",
    "AccountService",
    "AddUser",
    "AdminService",
    "AuditFilter",
    "Authenticator",
    "Bootstrapped",
    "Caller",
    "ChangeOrg",
    "ChangeProject",
    "ChangeTask",
    "ChangeUser",
    "ChangeWebhook",
    "CreateTimeEntry",
    "CreateWebhook",
    "DeliveryPage",
    "EntryPage",
    "EventBodies",
    "EventPage",
    "EventService",
    "FeedPage",
    "IdempotentRunner",
    "KeyedRequest",
    "Outcome",
    "ProjectService",
    "Services",
    "StartTimer",
    "TeamService",
    "TimeEntryService",
    "Transactions",
    "UpdateTimeEntry",
    "WebhookService",
    "build_services",
]


@attrs.frozen
class Services:
    """Every use case, sharing one transaction scope, clock and id factory."""

    authenticator: Authenticator
    idempotent: IdempotentRunner
    entries: TimeEntryService
    projects: ProjectService
    team: TeamService
    account: AccountService
    admin: AdminService
    webhooks: WebhookService
    events: EventService
    clock: Clock
    transactions: Transactions


def build_services(
    unit_of_work: UnitOfWorkFactory,
    *,
    clock: Clock,
    ids: IdFactory,
    bodies: EventBodies,
    env: str = "live",
    url_policy: UrlPolicy | None = None,
) -> Services:
    """The use cases over a store. ``env`` is the token environment this installation accepts;
    ``url_policy`` the operator's webhook URL rules; ``bodies`` writes test deliveries' bodies."""
    transactions = Transactions(unit_of_work)
    events = EventService(transactions, clock)
    return Services(
        authenticator=Authenticator(transactions, clock, env),
        idempotent=IdempotentRunner(transactions, clock, housekeeping=events.purge_if_due),
        entries=TimeEntryService(transactions, clock, ids),
        projects=ProjectService(transactions, clock, ids),
        team=TeamService(transactions, clock, ids),
        account=AccountService(transactions, clock, ids, env),
        admin=AdminService(transactions, clock, ids),
        webhooks=WebhookService(transactions, clock, ids, policy=url_policy or UrlPolicy(), bodies=bodies),
        events=events,
        clock=clock,
        transactions=transactions,
    )
