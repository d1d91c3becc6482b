"""``/invoices``: the hand-off to an invoicing system (owners and admins)."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter

from hours_core.invoices import InvoiceId
from hours_core.services import Caller, CreateInvoice, Services
from hours_http.body import PendingBody, StrictJson
from hours_http.converter import invoice_json, invoice_with_entries_json
from hours_http.cursors import id_cursor
from hours_http.openapi import IdempotencyKeyHeader, Reason, documented
from hours_http.query import STRICT_QUERY
from hours_http.responses import Writer, json_response, look_up
from hours_http.wire import (
    CreateInvoiceBody,
    InvoiceEnvelope,
    InvoiceListEnvelope,
    InvoiceWithEntriesEnvelope,
)

__all__ = ["InvoiceController"]

_MANAGERS_ONLY = Reason("forbidden", "members may not do this: owners and admins only")
_NO_INVOICE = Reason(
    "not_found", "no such invoice in your organization (an `invoice_id` that is not a UUID matches no route)"
)


class InvoiceController(Controller):
    """Invoices: an invoicing system marks the entries it billed, which then lock (reason `invoiced`)."""

    path = "/invoices"
    opt = STRICT_QUERY
    tags = ["Invoices"]  # noqa: RUF012 (Litestar declares it as an instance attribute)

    @post(
        "/",
        summary="Create an invoice",
        dto=StrictJson[CreateInvoiceBody],
        return_dto=None,
        status_code=201,
        **documented(
            Reason("plan_required", "invoices need solo (`billable_rates`)"),
            _MANAGERS_ONLY,
            Reason(
                "validation_failed",
                "a body field is wrong, or an entry cannot be invoiced (unknown, deleted, running or "
                "already invoiced, also by a call at the same moment) or is repeated: `fields` names "
                "each as `entryIds[i]`, all together, and nothing changes",
            ),
            Reason("stale_update", "another write changed one of the entries at the same moment; retry"),
            body=True,
            idempotent=True,
            location="/invoices/{id}",
        ),
    )
    async def create_invoice(
        self,
        caller: NamedDependency[Caller],
        services: NamedDependency[Services],
        writer: NamedDependency[Writer],
        data: JSONBody[PendingBody[CreateInvoiceBody]],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[InvoiceEnvelope]:
        """Owners and admins: make an invoice of 1 to 1,000 entries (no repeats) and lock them, all or
        nothing. Each entry gets the invoice's id as `invoiceId` (one `time_entry.updated` event each);
        the invoice keeps its totals as they are now."""

        def create() -> dict[str, Any]:
            body = data.decode()
            command = CreateInvoice(external_ref=body.externalRef, entry_ids=body.entryIds)
            return invoice_json(services.invoices.create_invoice(caller, command))

        return await writer(create, body=data, key=idempotency_key)

    @get(
        "/",
        summary="List invoices",
        sync_to_thread=True,
        **documented(
            _MANAGERS_ONLY,
            Reason(
                "validation_failed",
                "a query parameter is unknown or has a wrong value, or `cursor` is not the hyphenated UUID "
                "of an invoice of your organization (as `nextCursor` gives it)",
            ),
        ),
    )
    def list_invoices(
        self,
        caller: NamedDependency[Caller],
        services: NamedDependency[Services],
        limit: Annotated[int, QueryParameter(ge=1, le=500, description="Page size, 1 to 500.")] = 50,
        cursor: Annotated[
            str | None, QueryParameter(max_length=64, description="The `nextCursor` of the previous page.")
        ] = None,
    ) -> Response[InvoiceListEnvelope]:
        """Owners and admins: the organization's invoices, newest first, without their entries."""
        before = None if cursor is None else InvoiceId(id_cursor(cursor))
        invoices = services.invoices.list_invoices(caller, limit=limit + 1, before=before)
        page = list(invoices[:limit])
        next_cursor = str(page[-1].id) if len(invoices) > limit else None
        return json_response([invoice_json(invoice) for invoice in page], nextCursor=next_cursor)

    @get("/{invoice_id:uuid}", summary="Get an invoice", **documented(_MANAGERS_ONLY, _NO_INVOICE))
    async def get_invoice(
        self,
        request: Request[Any, Any, Any],
        invoice_id: FromPath[UUID],
        caller: NamedDependency[Caller],
        services: NamedDependency[Services],
    ) -> Response[InvoiceWithEntriesEnvelope]:
        """Owners and admins: one invoice with its totals and its entries (in the order sent)."""

        def read() -> Response[Any]:
            found = services.invoices.get_invoice(caller, InvoiceId(invoice_id))
            return json_response(invoice_with_entries_json(found, services.clock.now()))

        return await look_up(request, read)

    @post(
        "/{invoice_id:uuid}/void",
        summary="Void an invoice",
        status_code=200,
        **documented(
            _MANAGERS_ONLY,
            _NO_INVOICE,
            Reason("conflict", "the invoice is already void"),
            idempotent=True,
        ),
    )
    async def void_invoice(
        self,
        invoice_id: FromPath[UUID],
        caller: NamedDependency[Caller],
        services: NamedDependency[Services],
        writer: NamedDependency[Writer],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[InvoiceEnvelope]:
        """Owners and admins, on any plan: void an open invoice. Its entries lose their `invoiceId` and
        unlock (one `time_entry.updated` event each); the invoice keeps its entry ids and totals."""

        def void() -> dict[str, Any]:
            return invoice_json(services.invoices.void_invoice(caller, InvoiceId(invoice_id)))

        return await writer(void, key=idempotency_key)
