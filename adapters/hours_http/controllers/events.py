"""``/changes`` (the change feed) and ``/audit-events`` (the audit trail); an entry's history is
``GET /time-entries/{id}/history`` (:mod:`hours_http.controllers.time_entries`)."""

from __future__ import annotations

import re
from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Response, get
from litestar.di import NamedDependency
from litestar.openapi.spec import OpenAPIFormat, OpenAPIType, Schema
from litestar.params import QueryParameter

from hours_core.events import SubjectType
from hours_core.model import UserId
from hours_core.services import AuditFilter, Caller, EventPage, Services
from hours_core.tokens import PREFIX_PATTERN
from hours_http.converter import event_json
from hours_http.cursors import Cursors
from hours_http.decoding import UUID_SHAPE, instant_text_problem, parse_instant
from hours_http.openapi import Reason, documented
from hours_http.query import STRICT_QUERY
from hours_http.responses import json_response
from hours_http.wire import AT_LEAST_ZERO, ChangeFeedEnvelope, EventListEnvelope, SubjectTypeName

__all__ = ["AuditController", "ChangeController", "event_page_response"]

_INSTANT = {
    "one_of": [Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.DATE_TIME), Schema(type=OpenAPIType.NULL)]
}


_TOKEN_PREFIX = re.compile(PREFIX_PATTERN)
_SUBJECT_ID_PATTERN = f"^(?:{UUID_SHAPE.pattern}|{PREFIX_PATTERN})$"
"""The documented shape of ``subjectId`` (:func:`_subject_id_problem` is the check)."""


def _subject_id_problem(text: str) -> str | None:
    """The rule of ``subjectId``: a UUID (hyphenated, either case) or a token's 12-character prefix
    (a token's events name it so); anything else is 422, as no event names it (it would find
    nothing, silently). Checked with the other query parameters (:data:`hours_http.query.QUERY_RULES`)."""
    if UUID_SHAPE.fullmatch(text) or _TOKEN_PREFIX.fullmatch(text):
        return None
    return "must be a UUID, or a token's 12-character prefix"


_AUDIT_QUERY_RULES = {
    "subjectId": _subject_id_problem,
    "from": instant_text_problem,
    "to": instant_text_problem,
}
"""The rules of the audit trail's text parameters, checked with every other parameter
(:data:`hours_http.query.QUERY_RULES`)."""


def event_page_response(page: EventPage, cursors: Cursors, *, listing: str) -> Response[Any]:
    """A page of events with the signed cursor of the next page (``null`` on the last)."""
    next_cursor = None if page.next_seq is None else cursors.encode_events(page.next_seq, listing=listing)
    return json_response([event_json(event) for event in page.events], nextCursor=next_cursor)


class ChangeController(Controller):
    """The change feed: every change of the organization, in order, once."""

    path = "/changes"
    opt = STRICT_QUERY
    tags = ["Events"]  # noqa: RUF012 (Litestar declares it as an instance attribute)

    @get(
        "/",
        summary="Follow the changes",
        sync_to_thread=True,
        **documented(
            Reason(
                "cursor_expired",
                "`after` is older than the events kept (at least 90 days): resync from the lists, then "
                "follow from the `latestSeq` you read before them",
            ),
        ),
    )
    def list_changes(
        self,
        caller: NamedDependency[Caller],
        services: NamedDependency[Services],
        after: Annotated[
            int | None,
            QueryParameter(
                ge=0,
                le=2**63 - 1,
                schema_extra=AT_LEAST_ZERO,
                description="The `nextAfter` of the previous page (0: from the first event). "
                "Left out: from the oldest event kept.",
            ),
        ] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=1000, description="Page size, 1 to 1000.")] = 100,
    ) -> Response[ChangeFeedEnvelope]:
        """The events after `after`, in sequence order (`seq`), deletions included. Store `nextAfter`
        and pass it as `after` next time: you never miss nor repeat a change, even while several
        servers write. Owners and admins see every change of the organization; members see the
        changes of their own time entries, timers, tokens, timesheets and user, and those of what every
        member reads: projects, tasks, clients, the organization's settings and its closed periods
        (`project.*`, `task.*`, `client.*`, `org.*`, `period.*`).
        """
        page = services.events.changes(caller, after, limit)
        return json_response(
            [event_json(event) for event in page.events], nextAfter=page.next_after, latestSeq=page.latest_seq
        )


class AuditController(Controller):
    """The audit trail: who changed what, and when."""

    path = "/audit-events"
    opt = STRICT_QUERY
    tags = ["Events"]  # noqa: RUF012 (Litestar declares it as an instance attribute)

    @get(
        "/",
        summary="Search the audit trail",
        sync_to_thread=True,
        query_rules=_AUDIT_QUERY_RULES,  # Litestar keeps it in the handler's opt (QUERY_RULES)
        **documented(
            Reason("plan_required", "the audit trail needs studio (`audit_log`)"),
            Reason(
                "validation_failed",
                "a query parameter is unknown or has a wrong value, or `cursor` is not one this "
                "endpoint returned; `fields` names each",
            ),
        ),
    )
    def list_audit_events(
        self,
        caller: NamedDependency[Caller],
        services: NamedDependency[Services],
        cursors: NamedDependency[Cursors],
        subject_type: Annotated[
            SubjectTypeName | None,
            QueryParameter(name="subjectType", description="Events about this kind of subject."),
        ] = None,
        subject_id: Annotated[
            str | None,
            QueryParameter(
                name="subjectId",
                max_length=128,
                description="Events about this subject: its UUID, or a token's 12-character prefix.",
                schema_extra={"pattern": _SUBJECT_ID_PATTERN},
            ),
        ] = None,
        actor_id: Annotated[
            UUID | None, QueryParameter(name="actorId", description="Changes made by this user.")
        ] = None,
        occurred_from: Annotated[
            str | None,
            QueryParameter(
                name="from", description="Changes at or after this RFC 3339 instant.", schema_extra=_INSTANT
            ),
        ] = None,
        occurred_to: Annotated[
            str | None,
            QueryParameter(
                name="to", description="Changes before this RFC 3339 instant.", schema_extra=_INSTANT
            ),
        ] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=500, description="Page size, 1 to 500.")] = 50,
        cursor: Annotated[
            str | None, QueryParameter(max_length=512, description="The `nextCursor` of the previous page.")
        ] = None,
    ) -> Response[EventListEnvelope]:
        """The organization's events, newest first, filtered (owners and admins: every event; members:
        the events of their own time entries). Needs the studio plan (`audit_log`)."""
        where = AuditFilter(
            subject_type=None if subject_type is None else SubjectType(subject_type),
            subject_id=None if subject_id is None else _subject_id(subject_id),
            actor_id=None if actor_id is None else UserId(actor_id),
            occurred_from=None if occurred_from is None else parse_instant(occurred_from, "from"),
            occurred_to=None if occurred_to is None else parse_instant(occurred_to, "to"),
        )
        # Sequence numbers are per organization: a cursor of another organization's trail is refused,
        # not read as a place in this one (which would skip this organization's newest events).
        listing = f"audit:{caller.org_id}"
        before = None if cursor is None else cursors.decode_events(cursor, listing=listing)
        page = services.events.audit(caller, where, before, limit)
        return event_page_response(page, cursors, listing=listing)


def _subject_id(text: str) -> str:
    """The id events name a subject by, from a ``subjectId`` that met its rule: a UUID as the events
    spell it (lower case), or a token's prefix as it is."""
    return str(UUID(text)) if UUID_SHAPE.fullmatch(text) else text
