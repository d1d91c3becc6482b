"""The use cases of hours, built on the ports. :func:`build_services` wires them together."""

from __future__ import annotations

from datetime import timedelta

import attrs

from hours_core.exchange import FileFormats
from hours_core.passwords import SCRYPT_N
from hours_core.ports import Clock, IdentitySignal, IdFactory, UnitOfWorkFactory
from hours_core.services.account import AccountService
from hours_core.services.admin import AdminService, Bootstrapped
from hours_core.services.audit import AuditFilter, EventPage, EventService, FeedPage
from hours_core.services.authentication import Authenticator
from hours_core.services.batches import (
    MAX_BATCH_OPERATIONS,
    Applied,
    BatchOutcome,
    BatchService,
    CreateOperation,
    DeleteOperation,
    Failed,
    Operation,
    RestoreOperation,
    UnreadableOperation,
    UpdateOperation,
)
from hours_core.services.caller import Caller
from hours_core.services.clients import ChangeClient, ClientService
from hours_core.services.exports import Export, ExportEntries, ExportService
from hours_core.services.idempotent import IdempotentRunner, KeyedRequest, Outcome
from hours_core.services.identity_cache import DEFAULT_AUTH_CACHE_TTL, IdentityCache
from hours_core.services.imports import ImportEntries, ImportReport, ImportService
from hours_core.services.installation import InstallationService
from hours_core.services.invoices import CreateInvoice, InvoiceService, InvoiceWithEntries
from hours_core.services.overlaps import ListOverlaps, OverlapCluster, OverlapList, OverlapService
from hours_core.services.periods import ClosedDaysView, PeriodService
from hours_core.services.projects import ChangeProject, ChangeTask, ProjectService
from hours_core.services.rate_limits import RateLimits
from hours_core.services.rates import (
    CreateRate,
    RateChange,
    RateService,
    ReapplyRates,
    ReapplyResult,
)
from hours_core.services.reports import ReportService, TimeReport, TimeReportRequest
from hours_core.services.sign_in import SessionCaller, SignedIn, SignInService
from hours_core.services.team import AddUser, ChangeOrg, ChangeUser, TeamService
from hours_core.services.time_entries import (
    UNSET,
    CreateTimeEntry,
    EntryPage,
    StartTimer,
    TimeEntryService,
    UpdateTimeEntry,
)
from hours_core.services.timesheets import CreateTimesheet, TimesheetPage, TimesheetService, TimesheetView
from hours_core.services.transactions import Transactions
from hours_core.services.versions import IfMatch
from hours_core.services.webhooks import (
    ChangeWebhook,
    CreateWebhook,
    DeliveryPage,
    EventBodies,
    NoEventBodies,
    WebhookService,
)
from hours_core.subscriptions import UrlPolicy

__all__ = [
    "DEFAULT_AUTH_CACHE_TTL",
    "MAX_BATCH_OPERATIONS",
    "UNSET",
    "AccountService",
    "AddUser",
    "AdminService",
    "Applied",
    "AuditFilter",
    "Authenticator",
    "BatchOutcome",
    "BatchService",
    "Bootstrapped",
    "Caller",
    "ChangeClient",
    "ChangeOrg",
    "ChangeProject",
    "ChangeTask",
    "ChangeUser",
    "ChangeWebhook",
    "ClientService",
    "ClosedDaysView",
    "CreateInvoice",
    "CreateOperation",
    "CreateRate",
    "CreateTimeEntry",
    "CreateTimesheet",
    "CreateWebhook",
    "DeleteOperation",
    "DeliveryPage",
    "EntryPage",
    "EventBodies",
    "EventPage",
    "EventService",
    "Export",
    "ExportEntries",
    "ExportService",
    "Failed",
    "FeedPage",
    "IdempotentRunner",
    "IdentityCache",
    "IfMatch",
    "ImportEntries",
    "ImportReport",
    "ImportService",
    "InstallationService",
    "InvoiceService",
    "InvoiceWithEntries",
    "KeyedRequest",
    "ListOverlaps",
    "Operation",
    "Outcome",
    "OverlapCluster",
    "OverlapList",
    "OverlapService",
    "PeriodService",
    "ProjectService",
    "RateChange",
    "RateLimits",
    "RateService",
    "ReapplyRates",
    "ReapplyResult",
    "ReportService",
    "RestoreOperation",
    "Services",
    "SessionCaller",
    "SignInService",
    "SignedIn",
    "StartTimer",
    "TeamService",
    "TimeEntryService",
    "TimeReport",
    "TimeReportRequest",
    "TimesheetPage",
    "TimesheetService",
    "TimesheetView",
    "Transactions",
    "UnreadableOperation",
    "UpdateOperation",
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
    batches: BatchService
    projects: ProjectService
    clients: ClientService
    rates: RateService
    team: TeamService
    account: AccountService
    admin: AdminService
    rate_limits: RateLimits
    sign_in: SignInService
    exports: ExportService
    imports: ImportService
    reports: ReportService
    installation: InstallationService
    webhooks: WebhookService
    events: EventService
    overlaps: OverlapService
    timesheets: TimesheetService
    clock: Clock
    transactions: Transactions
    periods: PeriodService
    invoices: InvoiceService


def build_services(
    unit_of_work: UnitOfWorkFactory,
    *,
    clock: Clock,
    ids: IdFactory,
    bodies: EventBodies | None = None,
    env: str = "live",
    file_formats: FileFormats | None = None,
    password_cost: int = SCRYPT_N,
    url_policy: UrlPolicy | None = None,
    auth_cache_ttl: timedelta = DEFAULT_AUTH_CACHE_TTL,
    identity_signal: IdentitySignal | None = None,
) -> Services:
    """The use cases over a store. ``env`` is the token environment this installation accepts;
    ``file_formats`` are what exports write and imports read (without them, both refuse to run);
    ``password_cost`` is scrypt's ``n`` for new password hashes (tests lower it to run fast);
    ``url_policy`` the operator's webhook URL rules; ``bodies`` writes webhook deliveries' bodies
    (the HTTP adapter's ``JsonEventBodies``; without it, sending a delivery raises);
    ``auth_cache_ttl`` how long an authenticated token's caller is served without a read
    (``timedelta(0)``: never; see :mod:`hours_core.services.identity_cache`), and
    ``identity_signal`` the store's mark shared by its processes, if it offers one (then another
    process's change of an org, user or token holds here on the next request)."""
    transactions = Transactions(unit_of_work)
    events = EventService(transactions, clock)
    entries = TimeEntryService(transactions, clock, ids)
    return Services(
        authenticator=Authenticator(
            transactions, clock, env, cache_ttl=auth_cache_ttl, identity_signal=identity_signal
        ),
        idempotent=IdempotentRunner(transactions, clock, housekeeping=events.purge_if_due),
        entries=entries,
        batches=BatchService(transactions, entries),
        projects=ProjectService(transactions, clock, ids),
        clients=ClientService(transactions, clock, ids),
        rates=RateService(transactions, clock, ids),
        team=TeamService(transactions, clock, ids),
        account=AccountService(transactions, clock, ids, env),
        admin=AdminService(transactions, clock, ids, password_cost=password_cost),
        rate_limits=RateLimits(transactions, clock),
        sign_in=SignInService(transactions, clock, password_cost=password_cost),
        exports=ExportService(transactions, clock, file_formats),
        imports=ImportService(transactions, clock, ids, file_formats),
        reports=ReportService(transactions, clock),
        installation=InstallationService(transactions, clock),
        webhooks=WebhookService(
            transactions, clock, ids, policy=url_policy or UrlPolicy(), bodies=bodies or NoEventBodies()
        ),
        events=events,
        overlaps=OverlapService(transactions, clock),
        timesheets=TimesheetService(transactions, clock, ids),
        clock=clock,
        transactions=transactions,
        periods=PeriodService(transactions, clock, ids),
        invoices=InvoiceService(transactions, clock, ids),
    )
