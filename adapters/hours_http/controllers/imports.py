"""``/imports``: import a tracker's export file, and undo an import."""

from __future__ import annotations

import tempfile
from typing import IO, Annotated, Any, Literal
from uuid import UUID

from litestar import Controller, Request, Response, delete, post
from litestar.concurrency import sync_to_thread
from litestar.di import NamedDependency
from litestar.openapi import ResponseSpec
from litestar.params import FromPath, QueryParameter

from hours_core.exchange import DEFAULT_LIMITS
from hours_core.model import ImportId
from hours_core.services import Caller, ImportEntries, Services
from hours_http.body import charset_refusal, declares_utf8
from hours_http.converter import import_report_json
from hours_http.errors import PayloadTooLarge, UnsupportedMediaType
from hours_http.openapi import Reason, documented
from hours_http.overrides import OverrideLockQuery, OverrideReasonQuery, override_of_query
from hours_http.query import STRICT_QUERY
from hours_http.responses import Writer, json_response
from hours_http.wire import ImportReportEnvelope

__all__ = ["IMPORT_MEDIA_TYPES", "MAX_IMPORT_BYTES", "ImportController"]

MAX_IMPORT_BYTES = DEFAULT_LIMITS.max_bytes
"""The largest import file over the API (64 MiB); a larger body gets 413 ``payload_too_large``."""

IMPORT_MEDIA_TYPES = {
    "toggl": "text/csv",
    "clockify": "text/csv",
    "harvest": "text/csv",
    "hours": "application/jsonl",
}
"""The ``Content-Type`` each source's file is sent with."""

_ACCEPTED = frozenset(IMPORT_MEDIA_TYPES.values())

_TOO_LARGE = f"The import file exceeds the limit of {MAX_IMPORT_BYTES // 2**20} MiB."

_SPOOL_IN_MEMORY = 8 * 1024 * 1024
"""A body larger than this waits on disk, not in memory, until the import reads it."""


async def _spooled_body(request: Request[Any, Any, Any]) -> IO[bytes]:
    """The body in a spooled temporary file, refused with 413 as soon as it passes the limit, and
    before a byte of it is read when its ``Content-Length`` announces more (rather than waiting
    for a body that may never come, or reading 64 MiB of one that will be refused)."""
    announced = request.headers.get("content-length", "")
    if announced.isdigit() and int(announced) > MAX_IMPORT_BYTES:
        raise PayloadTooLarge(_TOO_LARGE)
    spool: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY)  # noqa: SIM115
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_IMPORT_BYTES:
                raise PayloadTooLarge(_TOO_LARGE)
            spool.write(chunk)
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return spool


def _check_media_type(request: Request[Any, Any, Any], source: str) -> None:
    """The body must be a file: ``text/csv`` or ``application/jsonl`` (the source, not the media
    type, decides how it is read, so either is taken for any source), in UTF-8: a ``charset``
    parameter, if sent, must say UTF-8 (or US-ASCII)."""
    media_type = request.content_type[0].lower()
    expected = IMPORT_MEDIA_TYPES[source]
    if media_type not in _ACCEPTED:
        raise UnsupportedMediaType(
            f"Send the {source} file with the header Content-Type: {expected} (got {media_type or 'none'})."
        )
    content_type = request.headers.get("content-type", "")
    if not declares_utf8(content_type):
        raise UnsupportedMediaType(
            f"Import files are read as UTF-8, and this one {charset_refusal(content_type)}: "
            f"save it as UTF-8 and send it with Content-Type: {expected}; charset=utf-8."
        )


_IMPORT_DOCUMENTATION = documented(
    Reason("forbidden", "only owners and admins import"),
    Reason("payload_too_large", f"the file is larger than {MAX_IMPORT_BYTES // 2**20} MiB"),
    Reason(
        "unsupported_media_type",
        "the body is sent neither as `text/csv` (Toggl, Clockify, Harvest) nor as "
        "`application/jsonl` (hours), or is declared in a charset other than UTF-8",
    ),
    Reason(
        "validation_failed",
        "a query parameter is unknown or wrong (`timezone` is not an IANA zone, or is missing "
        "for Toggl and Clockify); `fields` names each",
    ),
    Reason("conflict", "another import of the same rows committed first; nothing was stored"),
    "import_file_too_large",
    "import_file_unreadable",
    "import_columns_missing",
    "ambiguous_date_format",
    raw_body=sorted(set(IMPORT_MEDIA_TYPES.values())),
)
_IMPORT_DOCUMENTATION["responses"][200] = ResponseSpec(
    data_container=ImportReportEnvelope,
    description="Nothing was stored: a dry run, or an atomic import with a failed row. The report.",
    generate_examples=False,
)


class ImportController(Controller):
    """Imports: Toggl, Clockify and Harvest exports and hours' own JSON lines, without duplicates."""

    path = "/imports"
    opt = STRICT_QUERY
    tags = ["Imports"]  # noqa: RUF012 (Litestar declares it as an instance attribute)

    @post(
        "/",
        summary="Import a file",
        status_code=201,
        request_max_body_size=None,
        **_IMPORT_DOCUMENTATION,
    )
    async def create_import(
        self,
        request: Request[Any, Any, Any],
        caller: NamedDependency[Caller],
        services: NamedDependency[Services],
        source: Annotated[
            Literal["toggl", "clockify", "harvest", "hours"],
            QueryParameter(description="Whose export the file is."),
        ],
        timezone: Annotated[
            str | None,
            QueryParameter(
                max_length=64,
                description="The IANA zone of the file's times (e.g. `Europe/Berlin`); Toggl and Clockify.",
            ),
        ] = None,
        date_format: Annotated[
            Literal["MDY", "DMY"] | None,
            QueryParameter(name="dateFormat", description="The order of dates such as `09/04/2025`."),
        ] = None,
        dry_run: Annotated[
            bool, QueryParameter(name="dryRun", description="Check everything, store nothing.")
        ] = False,
        atomic: Annotated[bool, QueryParameter(description="Store nothing when any row fails.")] = False,
        create_users: Annotated[
            bool,
            QueryParameter(
                name="createUsers", description="Add unknown emails as members (else: row errors)."
            ),
        ] = False,
    ) -> Response[ImportReportEnvelope]:
        """Import a Toggl "Detailed" CSV, a Clockify "Detailed report" CSV, a Harvest "Detailed time"
        CSV, or an hours JSON lines export (the body, up to 64 MiB). Rows already imported are
        counted as `duplicates` and not stored again; each failed row is reported with its row
        number, column and code. 201 with the report when the import was stored (its `id` undoes
        it: `DELETE /imports/{id}`); 200 when nothing was (`dryRun`, or `atomic` with a failed row).

        It takes no `Idempotency-Key` (one sent is ignored): an import is idempotent by its rows, so
        sending the file again stores only rows not imported yet.
        """
        caller.require_manager("import time entries")
        _check_media_type(request, source)
        body = await _spooled_body(request)
        command = ImportEntries(
            source=source,
            data=body,
            timezone=timezone,
            date_format=date_format,
            dry_run=dry_run,
            atomic=atomic,
            create_users=create_users,
        )
        try:
            report = await sync_to_thread(services.imports.import_entries, caller, command)
        finally:
            body.close()
        return json_response(import_report_json(report), status=201 if report.id is not None else 200)

    @delete(
        "/{import_id:uuid}",
        summary="Undo an import",
        status_code=204,
        **documented(
            Reason("forbidden", "only owners and admins undo imports; only owners send `overrideLock`"),
            Reason("not_found", "no such import in your organization, or it was undone already"),
            Reason(
                "entry_locked",
                "an entry of the import is invoiced, on a closed day (without an owner's `overrideLock`), "
                "or in a submitted or approved week; nothing was deleted or archived",
            ),
            Reason("validation_failed", "`overrideLock=true` without `reason`, or a `reason` without it"),
        ),
    )
    async def delete_import(
        self,
        import_id: FromPath[UUID],
        caller: NamedDependency[Caller],
        services: NamedDependency[Services],
        writer: NamedDependency[Writer],
        override_lock: OverrideLockQuery = None,
        reason: OverrideReasonQuery = None,
    ) -> None:
        """Soft-delete everything the import created: every entry (they vanish from lists and
        reports, and `includeDeleted` still shows them; their source rows are released, so importing
        the file again creates them again), then archive the tasks, projects and clients and
        deactivate the users it created, except what something outside the import uses by then (a
        live entry, an active task or project, a role, a token or a password since). Refused,
        changing nothing, if one of its entries could not be deleted (409 `entry_locked`); an owner
        may undo through closed days with `?overrideLock=true&reason=...`.
        """

        def delete() -> None:
            override = override_of_query(override_lock, reason)
            services.imports.delete_import(caller, ImportId(import_id), override=override)

        await writer(delete, unbounded=True)  # as many entries as the import created
