"""``/time-entries``: log, read, list, change, delete and restore time."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal
from uuid import UUID

import attrs
from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.openapi.spec import OpenAPIFormat, OpenAPIType, Schema
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.response import Stream

from hours_core.exchange import EXPORT_COLUMNS_VERSION, ExportFormat
from hours_core.model import ProjectId, TaskId, TimeEntryId, UserId
from hours_core.ports import EntryQuery
from hours_core.services import (
    Caller,
    CreateTimeEntry,
    ExportEntries,
    ListOverlaps,
    Services,
    UpdateTimeEntry,
)
from hours_core.services.time_entries import MAX_PAGE_SIZE
from hours_http.batches import MAX_BATCH_BYTES, batch_json, read_batch
from hours_http.body import PendingBody, StrictJson
from hours_http.controllers.events import event_page_response
from hours_http.converter import command_from, overlap_list_json, time_entry_json
from hours_http.cursors import Cursors
from hours_http.decoding import instant_text_problem, parse_instant
from hours_http.openapi import IdempotencyKeyHeader, Reason, documented
from hours_http.overrides import OverrideLockQuery, OverrideReasonQuery, override_of, override_of_query
from hours_http.preconditions import IfMatchHeader, IfNoneMatchHeader, if_match_versions, if_none_match_tags
from hours_http.query import STRICT_QUERY
from hours_http.responses import Writer, json_response, look_up, versioned_response
from hours_http.wire import (
    BatchBody,
    BatchEnvelope,
    CreateTimeEntryBody,
    EventListEnvelope,
    OverlapListEnvelope,
    TimeEntryEnvelope,
    TimeEntryListEnvelope,
    TimeEntryOnlyEnvelope,
    UpdateTimeEntryBody,
)

__all__ = ["EXPORT_VERSION_HEADER", "TimeEntryController", "entry_filters"]

EXPORT_VERSION_HEADER = "Hours-Export-Version"
"""The header that names the version of the export's column list."""

_EXPORT_MEDIA_TYPES = tuple(ExportFormat)

_LIST_QUERY_RULES = {"updatedSince": instant_text_problem}
"""The rule of the list's and the export's text parameter read as an instant, checked with every
other parameter (:data:`hours_http.query.QUERY_RULES`)."""


_NO_ENTRY = Reason(
    "not_found",
    "no such entry that you may see, or it is deleted (an `entry_id` that is not a UUID matches no route)",
)

_LOCKED = Reason(
    "entry_locked",
    "the entry is invoiced, or its old or new `entryDate` is in a closed period or in a week whose "
    "timesheet is submitted or approved; `lock` says which (`reason`, `through`, `kind`, and "
    "`invoiceId` or `timesheetId`)",
)
_OWNERS_OVERRIDE = Reason("forbidden", "only owners may send `overrideLock`")

DateFrom = Annotated[dt.date | None, QueryParameter(name="from", description="First entryDate, inclusive.")]
DateTo = Annotated[dt.date | None, QueryParameter(name="to", description="Last entryDate, inclusive.")]
ProjectFilter = Annotated[UUID | None, QueryParameter(name="projectId")]
TaskFilter = Annotated[UUID | None, QueryParameter(name="taskId")]
UserFilter = Annotated[
    UUID | None, QueryParameter(name="userId", description="Owners and admins only (members: yourself).")
]
BillableFilter = Annotated[bool | None, QueryParameter()]
InvoicedFilter = Annotated[
    bool | None, QueryParameter(description="Entries with (true) or without an invoice.")
]
RunningFilter = Annotated[
    bool | None, QueryParameter(description="Running timers (true) or stopped entries.")
]
UpdatedSince = Annotated[
    str | None,
    QueryParameter(
        name="updatedSince",
        description="Entries changed at or after this RFC 3339 instant, soft-deleted ones included.",
        # The format belongs to the string, not next to the oneOf that Litestar builds.
        schema_extra={
            "one_of": [
                Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.DATE_TIME),
                Schema(type=OpenAPIType.NULL),
            ]
        },
    ),
]
IncludeDeleted = Annotated[bool, QueryParameter(name="includeDeleted")]
"""The filters of the entry list, shared by the list and the export (each handler declares its own
query parameters: :mod:`hours_http.query` refuses the others)."""


def entry_filters(
    date_from: dt.date | None,
    date_to: dt.date | None,
    project_id: UUID | None,
    task_id: UUID | None,
    user_id: UUID | None,
    billable: bool | None,
    invoiced: bool | None,
    running: bool | None,
    updated_since: str | None,
    include_deleted: bool,
) -> EntryQuery:
    """The core's query of the entry list's filters."""
    return EntryQuery(
        date_from=date_from,
        date_to=date_to,
        project_id=None if project_id is None else ProjectId(project_id),
        task_id=None if task_id is None else TaskId(task_id),
        user_id=None if user_id is None else UserId(user_id),
        billable=billable,
        invoiced=invoiced,
        running=running,
        updated_since=None if updated_since is None else parse_instant(updated_since, "updatedSince"),
        include_deleted=include_deleted,
    )


class TimeEntryController(Controller):
    """Time entries: the time one user spent on one project on one day."""

    path = "/time-entries"
    opt = STRICT_QUERY
    tags = ["Time entries"]  # noqa: RUF012 (Litestar declares it as an instance attribute)

    @post(
        "/",
        summary="Create a time entry",
        dto=StrictJson[CreateTimeEntryBody],
        return_dto=None,
        status_code=201,
        **documented(
            Reason(
                "plan_required",
                "billable time needs solo (`billable_time`); a task (`tasks`) or another user's time "
                "(`team_entries`) needs studio; the first of these that fails is named",
            ),
            Reason(
                "forbidden",
                "members may not log time for another user (`userId`); only owners may send `overrideLock`",
            ),
            Reason("not_found", "the project, task or user the body names is not in your organization"),
            _LOCKED,
            "conflict",
            "entry_overlaps",
            body=True,
            idempotent=True,
            location="/time-entries/{id}",
            etag=True,
        ),
    )
    async def create_time_entry(
        self,
        caller: NamedDependency[Caller],
        services: NamedDependency[Services],
        writer: NamedDependency[Writer],
        data: JSONBody[PendingBody[CreateTimeEntryBody]],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[TimeEntryEnvelope]:
        """Log time on a project. Send exactly one of `durationSeconds` (an integer) or `duration`
        (a string such as `1h30m`, `1:30`, `90m`, `1.5h`); if both are sent, `durationSeconds` wins.

        Checks run in this order: authentication, the idempotency key and replay, JSON decoding and
        validation, existence in your organization, your role, your plan.
        """

        def create() -> dict[str, Any]:
            body = data.decode()
            command = command_from(body, CreateTimeEntry)
            entry = services.entries.create_time_entry(caller, command, override=override_of(body))
            return time_entry_json(entry, services.clock.now())

        return await writer(create, body=data, key=idempotency_key)

    @post(
        "/batch",
        summary="Apply a batch of time entry writes",
        dto=StrictJson[BatchBody],
        return_dto=None,
        status_code=200,
        request_max_body_size=MAX_BATCH_BYTES,
        **documented(
            Reason(
                "batch_failed",
                "`atomic: true` and an operation failed as its route would have (a lock, a role, a plan, "
                "an unknown entry, a timer already running, ...): nothing was stored; `errors` names it",
                at=409,
            ),
            Reason(
                "batch_failed",
                "`atomic: true` and operations failed validation (a wrong `op`, `id` or `body` member, "
                "a field rule): nothing was stored; `errors` names each",
                at=422,
            ),
            Reason(
                "validation_failed",
                "the batch itself is wrong: `atomic` missing or not a boolean, `operations` missing, not "
                "an array, empty or longer than 500, an unknown member; `fields` names each",
            ),
            Reason("payload_too_large", "the body exceeds 1 MiB"),
            body=True,
            idempotent=True,
        ),
    )
    async def run_batch(
        self,
        caller: NamedDependency[Caller],
        services: NamedDependency[Services],
        writer: NamedDependency[Writer],
        data: JSONBody[PendingBody[BatchBody]],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[BatchEnvelope]:
        """Create, change, delete and restore entries in one request: 1 to 500 operations, applied in
        order in one transaction, each with every rule of its own route (roles, plans, locks) and
        each writing its events. `body` is the body of `POST /time-entries` (create) or
        `PATCH /time-entries/{id}` (update); `id` names the entry of an update, delete or restore.

        `atomic: true`: all or nothing. Operations that cannot be read are all reported at once;
        otherwise the first operation that fails stops the batch. Nothing is stored, and the answer
        is `batch_failed` (422 when the failures are validation failures, else 409) with
        `errors: [{index, code, message, fields, status}]`. `atomic: false`: each operation succeeds
        or fails on its own; the answer is 200. Either way a success answers 200 with
        `results: [{index, status, data | error}]`, `status` being what the single route would have
        answered (201, 200, 204 or 4xx). One `Idempotency-Key` covers the whole batch.
        """

        def run() -> dict[str, Any]:
            atomic, operations = read_batch(data.json_object())
            outcomes = services.batches.run_batch(caller, operations, atomic=atomic)
            return batch_json(outcomes, services.clock.now())

        return await writer(run, body=data, key=idempotency_key)

    @get(
        "/export",
        summary="Export time entries",
        sync_to_thread=True,
        query_rules=_LIST_QUERY_RULES,  # Litestar keeps it in the handler's opt (QUERY_RULES)
        **documented(
            Reason("forbidden", "a member filtered by another user's `userId`"),
            Reason(
                "validation_failed",
                "a query parameter is unknown or has a wrong value, or `columns` names an unknown column, "
                "one twice, or none; `fields` names each",
            ),
            success_content=[export_format.media_type for export_format in _EXPORT_MEDIA_TYPES],
        ),
    )
    def export_time_entries(
        self,
        caller: NamedDependency[Caller],
        services: NamedDependency[Services],
        export_format: Annotated[
            Literal["csv", "jsonl", "xlsx"],
            QueryParameter(name="format", description="`csv` (the default), `jsonl` or `xlsx`."),
        ] = "csv",
        columns: Annotated[
            str | None,
            QueryParameter(
                max_length=2000,
                description="Comma-separated column keys to write, in this order (default: every column).",
            ),
        ] = None,
        delimiter: Annotated[
            Literal["comma", "semicolon", "tab"], QueryParameter(description="CSV only.")
        ] = "comma",
        bom: Annotated[
            bool, QueryParameter(description="CSV only: start with a UTF-8 byte-order mark (for Excel).")
        ] = True,
        date_from: DateFrom = None,
        date_to: DateTo = None,
        project_id: ProjectFilter = None,
        task_id: TaskFilter = None,
        user_id: UserFilter = None,
        billable: BillableFilter = None,
        invoiced: InvoicedFilter = None,
        running: RunningFilter = None,
        updated_since: UpdatedSince = None,
        include_deleted: IncludeDeleted = False,
    ) -> Stream:
        """Every entry the list would show with these filters (no page size, no cap, no date range
        limit), as one file streamed while it is read, sorted by `entryDate` then creation. Free on
        every plan. The columns are documented and versioned (`Hours-Export-Version`).
        """
        query = entry_filters(
            date_from,
            date_to,
            project_id,
            task_id,
            user_id,
            billable,
            invoiced,
            running,
            updated_since,
            include_deleted,
        )
        command = ExportEntries(
            export_format=export_format, query=query, columns=columns, delimiter=delimiter, bom=bom
        )
        export = services.exports.export_time_entries(caller, command)
        return Stream(
            export.chunks,
            # Litestar adds "; charset=utf-8" to a text/* type itself.
            media_type=export.export_format.media_type.removesuffix("; charset=utf-8"),
            headers={
                "Content-Disposition": f'attachment; filename="{export.filename}"',
                EXPORT_VERSION_HEADER: str(EXPORT_COLUMNS_VERSION),
            },
        )

    @get(
        "/overlaps",
        summary="List overlapping time entries",
        sync_to_thread=True,
        **documented(
            Reason("forbidden", "a member asked for another user's `userId`"),
            Reason(
                "validation_failed",
                "`from` or `to` is missing or not a date, `to` is before `from` or more than 366 days "
                "after it, or a query parameter is unknown; `fields` names each",
            ),
        ),
    )
    def list_overlaps(
        self,
        caller: NamedDependency[Caller],
        services: NamedDependency[Services],
        # Required, but checked by the use case, so that a missing one is reported with every other
        # wrong parameter (Litestar would stop at the first missing one, with a 400).
        date_from: Annotated[
            dt.date | None,
            QueryParameter(
                name="from", required=True, description="First day, inclusive, in the org's time zone."
            ),
        ] = None,
        date_to: Annotated[
            dt.date | None,
            QueryParameter(
                name="to", required=True, description="Last day, inclusive, at most 366 days after `from`."
            ),
        ] = None,
        user_id: UserFilter = None,
    ) -> Response[OverlapListEnvelope]:
        """The groups of overlapping entries that cover time in the days from `from` through `to`
        (the org's time zone): each group is one user's live entries linked by overlaps, by start.
        Members see their own; owners and admins one user's (`userId`) or everyone's. At most 200
        groups (`truncated` says when there were more) of at most 100 entries each (`count` has them
        all). Every plan.
        """
        command = ListOverlaps(
            date_from=date_from, date_to=date_to, user_id=None if user_id is None else UserId(user_id)
        )
        return json_response(**overlap_list_json(services.overlaps.list_overlaps(caller, command)))

    @get(
        "/{entry_id:uuid}",
        summary="Get a time entry",
        **documented(_NO_ENTRY, etag=True, if_none_match=True),
    )
    async def get_time_entry(
        self,
        request: Request[Any, Any, Any],
        entry_id: FromPath[UUID],
        caller: NamedDependency[Caller],
        services: NamedDependency[Services],
        if_none_match: IfNoneMatchHeader = None,
    ) -> Response[TimeEntryOnlyEnvelope]:
        """One of your entries (owners and admins: any of the organization's), with its `ETag`. Deleted
        entries are 404. 304 if `If-None-Match` names its version, except for a running timer, whose
        `durationSeconds` counts on between reads."""
        tags = if_none_match_tags(if_none_match)

        def read() -> Response[Any]:
            entry = services.entries.get_time_entry(caller, TimeEntryId(entry_id))
            document = time_entry_json(entry, services.clock.now())
            return versioned_response(document, None if entry.is_running else tags)

        return await look_up(request, read)

    @get(
        "/",
        summary="List time entries",
        sync_to_thread=True,
        query_rules=_LIST_QUERY_RULES,  # Litestar keeps it in the handler's opt (QUERY_RULES)
        **documented(
            Reason("forbidden", "a member filtered by another user's `userId`"),
            Reason(
                "validation_failed",
                "a query parameter is unknown or has a wrong value, or `cursor` is not one this API "
                "returned for your organization's list, or was returned for the other sort order or "
                "before an upgrade; `fields` names each",
            ),
        ),
    )
    def list_time_entries(
        self,
        caller: NamedDependency[Caller],
        services: NamedDependency[Services],
        cursors: NamedDependency[Cursors],
        date_from: DateFrom = None,
        date_to: DateTo = None,
        project_id: ProjectFilter = None,
        task_id: TaskFilter = None,
        user_id: UserFilter = None,
        billable: BillableFilter = None,
        invoiced: InvoicedFilter = None,
        running: RunningFilter = None,
        updated_since: UpdatedSince = None,
        include_deleted: IncludeDeleted = False,
        sort: Annotated[
            Literal["entryDate", "-entryDate"],
            QueryParameter(description="`entryDate` (ascending) or `-entryDate`."),
        ] = "entryDate",
        limit: Annotated[
            int, QueryParameter(ge=1, le=MAX_PAGE_SIZE, description=f"Page size, 1 to {MAX_PAGE_SIZE}.")
        ] = 50,
        cursor: Annotated[
            str | None, QueryParameter(max_length=512, description="The `nextCursor` of the previous page.")
        ] = None,
    ) -> Response[TimeEntryListEnvelope]:
        """Your entries (owners and admins: the organization's), sorted by `entryDate` then `createdAt`,
        one page at a time. Pass the returned `nextCursor` back as `cursor`; `null` means the last page.
        """
        descending = sort.startswith("-")
        listing = f"entries:{caller.org_id}"  # a cursor of another organization's list is refused
        query = attrs.evolve(
            entry_filters(
                date_from,
                date_to,
                project_id,
                task_id,
                user_id,
                billable,
                invoiced,
                running,
                updated_since,
                include_deleted,
            ),
            descending=descending,
            limit=limit,
            after=None if cursor is None else cursors.decode(cursor, descending=descending, listing=listing),
        )
        page = services.entries.list_time_entries(caller, query)
        now = services.clock.now()
        next_cursor = (
            None
            if page.next_cursor is None
            else cursors.encode(page.next_cursor, descending=descending, listing=listing)
        )
        return json_response([time_entry_json(e, now) for e in page.entries], nextCursor=next_cursor)

    @get(
        "/{entry_id:uuid}/history",
        summary="Get a time entry's history",
        sync_to_thread=True,
        **documented(
            Reason("not_found", "no such entry that you may see (deleted entries have a history too)"),
            Reason(
                "validation_failed",
                "a query parameter is unknown or has a wrong value, or `cursor` is not one this "
                "endpoint returned; `fields` names each",
            ),
        ),
    )
    def time_entry_history(
        self,
        entry_id: FromPath[UUID],
        caller: NamedDependency[Caller],
        services: NamedDependency[Services],
        cursors: NamedDependency[Cursors],
        limit: Annotated[int, QueryParameter(ge=1, le=500, description="Page size, 1 to 500.")] = 100,
        cursor: Annotated[
            str | None, QueryParameter(max_length=512, description="The `nextCursor` of the previous page.")
        ] = None,
    ) -> Response[EventListEnvelope]:
        """Every change of one entry, oldest first: its creation (or timer start), updates, stop,
        deletion and restoration, each with who made it and what changed. Every plan; members see
        their own entries' history only."""
        listing = f"history:{entry_id}"  # a cursor of one entry's history is refused on another's
        after = 0 if cursor is None else cursors.decode_events(cursor, listing=listing)
        page = services.events.history(caller, TimeEntryId(entry_id), after, limit)
        return event_page_response(page, cursors, listing=listing)

    @patch(
        "/{entry_id:uuid}",
        summary="Change a time entry",
        dto=StrictJson[UpdateTimeEntryBody],
        return_dto=None,
        **documented(
            Reason(
                "plan_required",
                "`billable: true` needs solo (`billable_time`); a `taskId` needs studio (`tasks`)",
            ),
            Reason(
                "not_found",
                "no such entry that you may see, or the project or task the body names is not in your "
                "organization (an `entry_id` that is not a UUID matches no route)",
            ),
            _LOCKED,
            _OWNERS_OVERRIDE,
            "entry_overlaps",
            "stale_update",
            body=True,
            idempotent=True,
            etag=True,
            if_match=True,
        ),
    )
    async def update_time_entry(
        self,
        entry_id: FromPath[UUID],
        caller: NamedDependency[Caller],
        services: NamedDependency[Services],
        writer: NamedDependency[Writer],
        data: JSONBody[PendingBody[UpdateTimeEntryBody]],
        idempotency_key: IdempotencyKeyHeader = None,
        if_match: IfMatchHeader = None,
    ) -> Response[TimeEntryEnvelope]:
        """Change some fields; the merged entry is validated as a whole. `null` clears `taskId`, `note`,
        `startedAt` and `stoppedAt`. Invoiced entries are locked (409 `entry_locked`). A concurrent change
        to the same entry is never lost silently: the loser gets 409 `stale_update`. With `If-Match`,
        only the version it names changes: 412 `precondition_failed` otherwise.
        """

        def update() -> dict[str, Any]:
            versions = if_match_versions(if_match)
            body = data.decode()
            command = command_from(body, UpdateTimeEntry)
            override = override_of(body)
            entry = services.entries.update_time_entry(
                caller, TimeEntryId(entry_id), command, if_match=versions, override=override
            )
            return time_entry_json(entry, services.clock.now())

        return await writer(update, body=data, key=idempotency_key)

    @delete(
        "/{entry_id:uuid}",
        summary="Delete a time entry",
        status_code=204,
        **documented(_NO_ENTRY, _LOCKED, _OWNERS_OVERRIDE, "stale_update", if_match=True),
    )
    async def delete_time_entry(
        self,
        entry_id: FromPath[UUID],
        caller: NamedDependency[Caller],
        services: NamedDependency[Services],
        writer: NamedDependency[Writer],
        if_match: IfMatchHeader = None,
        override_lock: OverrideLockQuery = None,
        reason: OverrideReasonQuery = None,
    ) -> None:
        """Soft-delete: the entry vanishes from reads and lists (but not from `updatedSince` syncs)
        until restored. Invoiced entries and entries in a closed period are locked (409
        `entry_locked`); an owner may override a closed period with `?overrideLock=true&reason=...`.
        With `If-Match`, only the version it names is deleted: 412 `precondition_failed` otherwise.
        """

        def delete() -> None:
            versions = if_match_versions(if_match)
            override = override_of_query(override_lock, reason)
            services.entries.delete_time_entry(
                caller, TimeEntryId(entry_id), if_match=versions, override=override
            )

        await writer(delete)

    @post(
        "/{entry_id:uuid}/restore",
        summary="Restore a deleted time entry",
        status_code=200,
        **documented(
            Reason(
                "not_found",
                "no such entry that you may see (an `entry_id` that is not a UUID matches no route)",
            ),
            Reason(
                "timer_already_running",
                "the entry is a deleted running timer and another timer of yours is running; the message "
                "names its id",
            ),
            "stale_update",
            _LOCKED,
            _OWNERS_OVERRIDE,
            Reason("conflict", "another timer of yours started concurrently; retry"),
            "entry_overlaps",
            "external_ref_taken",
            idempotent=True,
            etag=True,
            if_match=True,
        ),
    )
    async def restore_time_entry(
        self,
        entry_id: FromPath[UUID],
        caller: NamedDependency[Caller],
        services: NamedDependency[Services],
        writer: NamedDependency[Writer],
        idempotency_key: IdempotencyKeyHeader = None,
        if_match: IfMatchHeader = None,
        override_lock: OverrideLockQuery = None,
        reason: OverrideReasonQuery = None,
    ) -> Response[TimeEntryEnvelope]:
        """Undo a delete: 200 with the entry. Restoring an entry that is not deleted changes nothing.
        An entry in a closed period is locked (409 `entry_locked`); an owner may override it with
        `?overrideLock=true&reason=...`. With `If-Match`, only the version it names is restored: 412
        `precondition_failed` otherwise."""

        def restore() -> dict[str, Any]:
            versions = if_match_versions(if_match)
            override = override_of_query(override_lock, reason)
            entry = services.entries.restore_time_entry(
                caller, TimeEntryId(entry_id), if_match=versions, override=override
            )
            return time_entry_json(entry, services.clock.now())

        return await writer(restore, key=idempotency_key)
