"""``POST /time-entries/batch`` on the wire: reading a batch into the core's operations, and its answer.

The batch itself (``atomic``, ``operations``) is read as a whole: a wrong member is a 422
``validation_failed`` for the request. Each operation is read on its own, so that a wrong one
is that operation's failure (reported at its index), exactly as its single-entry route would
report it: the same strict decoding of ``body`` (:func:`hours_http.converter.structure` with
:class:`~hours_http.wire.CreateTimeEntryBody` or :class:`~hours_http.wire.UpdateTimeEntryBody`),
the same codes and field names. A member of the operation itself (``op``, ``id``, ``body``) is
named as it is; the fields of ``body`` as the single route names them (``durationSeconds``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any, get_args
from uuid import UUID

from hours_core.errors import HoursError, ValidationFailed
from hours_core.model import TimeEntryId
from hours_core.services import (
    Applied,
    BatchOutcome,
    CreateOperation,
    CreateTimeEntry,
    DeleteOperation,
    Operation,
    RestoreOperation,
    UnreadableOperation,
    UpdateOperation,
    UpdateTimeEntry,
)
from hours_core.services.batches import check_batch_size
from hours_core.services.versions import IfMatch
from hours_http.converter import command_from, structure, time_entry_json
from hours_http.decoding import WrongValue, json_type, structure_literal, structure_uuid
from hours_http.errors import InvalidWireFields, error_member, status_for
from hours_http.overrides import override_of
from hours_http.preconditions import if_match_versions
from hours_http.wire import BatchOperationName, CreateTimeEntryBody, UpdateTimeEntryBody

__all__ = ["MAX_BATCH_BYTES", "batch_json", "read_batch"]

MAX_BATCH_BYTES = 1024 * 1024
"""The largest body of ``POST /time-entries/batch`` (1 MiB); larger ones get 413 ``payload_too_large``."""

_BATCH_MEMBERS = ("atomic", "operations")
_OPERATION_MEMBERS = ("op", "id", "ifMatch", "body")
_UNKNOWN = "is not a field of this request"
_NEEDS_ID = frozenset({"update", "delete", "restore"})
_NEEDS_BODY = frozenset({"create", "update"})
_STATUS = {CreateOperation: 201, UpdateOperation: 200, DeleteOperation: 204, RestoreOperation: 200}
"""The status of each kind of operation's single-entry route, on success."""


def read_batch(document: Mapping[str, Any]) -> tuple[bool, list[Operation]]:
    """``atomic`` and the operations of a batch body; :class:`InvalidWireFields` for a wrong batch
    (an operation that cannot be read is an :class:`UnreadableOperation`, not an error here)."""
    fields = dict.fromkeys(sorted(set(document) - set(_BATCH_MEMBERS)), _UNKNOWN)
    atomic = document.get("atomic")
    if "atomic" not in document:
        fields["atomic"] = "is required"
    elif type(atomic) is not bool:
        fields["atomic"] = f"must be true or false, got {json_type(atomic)}"
    items = document.get("operations")
    if "operations" not in document:
        fields["operations"] = "is required"
    elif type(items) is not list:
        fields["operations"] = f"must be an array of operations, got {json_type(items)}"
    else:
        try:
            check_batch_size(len(items))
        except ValidationFailed as error:
            fields.update(error.fields)
    if fields:
        raise InvalidWireFields(fields)
    assert isinstance(atomic, bool) and isinstance(items, list)
    return atomic, [read_operation(item) for item in items]


def read_operation(item: object) -> Operation:
    """One operation of a batch, or an :class:`UnreadableOperation` with the error its route would give."""
    try:
        return _operation(item)
    except HoursError as error:
        return UnreadableOperation(error)


def _operation(item: object) -> Operation:
    if type(item) is not dict:
        raise InvalidWireFields.one("operation", f"must be an object, got {json_type(item)}")
    fields = dict.fromkeys(sorted(set(item) - set(_OPERATION_MEMBERS)), _UNKNOWN)
    op = _member(item, "op", fields, lambda value: structure_literal(value, BatchOperationName))
    entry_id = _member(item, "id", fields, lambda value: structure_uuid(value, UUID))
    if_match = _member(item, "ifMatch", fields, _if_match)
    sent_body = item.get("body")
    if sent_body is not None and type(sent_body) is not dict:
        fields["body"] = f"must be an object, got {json_type(sent_body)}"
    if op is not None:
        _check_presence(op, entry_id, sent_body, fields)
        if op == "create" and if_match is not None:
            fields["ifMatch"] = "must not be sent with op create: a new entry has no version yet"
    elif "op" not in fields:
        fields["op"] = "is required"
    if fields:
        raise InvalidWireFields({**_body_problems(op, sent_body), **fields})
    body: dict[str, Any] = sent_body or {}
    match op:
        case "create":
            created = structure(body, CreateTimeEntryBody)
            return CreateOperation(command_from(created, CreateTimeEntry), override_of(created))
        case "update":
            updated = structure(body, UpdateTimeEntryBody)
            command = command_from(updated, UpdateTimeEntry)
            return UpdateOperation(TimeEntryId(entry_id), command, if_match, override_of(updated))
        case "delete":
            return DeleteOperation(TimeEntryId(entry_id), if_match)
        case _:
            return RestoreOperation(TimeEntryId(entry_id), if_match)


_IF_MATCH = (
    'must be a version (an integer of at least 1) or entity tags as If-Match takes them, such as "\\"3\\""'
)


def _if_match(value: object) -> IfMatch:
    """``ifMatch``: a version (an integer), or the ``If-Match`` header's value (``"\\"3\\""``, ``*``)."""
    if type(value) is int:
        if value < 1:
            raise WrongValue(_IF_MATCH)
        return value
    if type(value) is not str:
        raise WrongValue(f"{_IF_MATCH}, got {json_type(value)}")
    try:
        return if_match_versions(value)
    except HoursError:
        raise WrongValue(_IF_MATCH) from None


def _member(item: dict[str, Any], name: str, fields: dict[str, str], read: Any) -> Any:
    """The member ``name`` read by ``read`` (``None`` when absent or ``null``); a wrong one goes in
    ``fields``."""
    value = item.get(name)
    if value is None:
        return None
    try:
        return read(value)
    except WrongValue as error:
        fields[name] = str(error)
        return None


def _body_problems(op: str | None, body: object) -> dict[str, str]:
    """The field problems of a create's or an update's ``body`` (an object), for an operation whose
    own members are wrong too: every wrong field is named at once, as the single route names them,
    not the body's only once the operation's are mended."""
    wire_type = _BODY_TYPES.get(op)
    if wire_type is None or type(body) is not dict:
        return {}
    try:
        structure(body, wire_type)
    except ValidationFailed as error:
        return dict(error.fields)
    return {}


_BODY_TYPES: dict[str | None, type[Any]] = {"create": CreateTimeEntryBody, "update": UpdateTimeEntryBody}


def _check_presence(op: str, entry_id: UUID | None, body: object, fields: dict[str, str]) -> None:
    """``id`` and ``body`` are there when the operation needs them, and only then."""
    if op in _NEEDS_ID and entry_id is None:
        fields.setdefault("id", f"is required for op {op}")
    if op not in _NEEDS_ID and entry_id is not None:
        fields["id"] = f"must not be sent with op {op}: the server assigns a new entry's id"
    if op in _NEEDS_BODY and body is None:
        fields.setdefault("body", f"is required for op {op}")
    if op not in _NEEDS_BODY and body is not None:
        fields["body"] = f"must not be sent with op {op}"


def batch_json(outcomes: Sequence[BatchOutcome], now: dt.datetime) -> dict[str, Any]:
    """``{"results": [{index, status, data | error}]}``: each operation's outcome as its single-entry
    route would have answered (a delete's ``data`` is ``null``, as its route answers 204)."""
    results: list[dict[str, Any]] = []
    for outcome in outcomes:
        if isinstance(outcome, Applied):
            status = _STATUS[type(outcome.operation)]
            data = None if status == 204 else time_entry_json(outcome.entry, now)
            results.append({"index": outcome.index, "status": status, "data": data})
        else:
            error = outcome.error
            failure = {"index": outcome.index, "status": status_for(error), "error": error_member(error)}
            results.append(failure)
    return {"results": results}


# The operation names the reader accepts are the wire's.
assert set(get_args(BatchOperationName)) == _NEEDS_ID | _NEEDS_BODY
