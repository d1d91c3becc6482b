"""``X-Request-Id``: every request has an id, and every response says which.

A request that sends ``X-Request-Id`` with a safe value (1 to 128 characters of letters, digits
and ``._:@/+=-``, starting with a letter or digit, and nothing shaped like a personal access token)
keeps it; any other request, or one with an unsafe value (which is ignored, not refused), gets a new
UUID. A token sent there by mistake so never reaches a log line, an event or an answer. The id is
worked out once per request (:func:`request_id_of`, kept in the scope's state), handed to the use
cases through the :class:`~hours_core.services.Caller` (the events of the request's changes record
it), and echoed on every response, errors and unmatched routes included (by
:class:`hours_http.transport.HttpSemantics`, which wraps the whole app and so sees every response
it sends).
"""

from __future__ import annotations

import random
import re
import uuid
from typing import TYPE_CHECKING, Any

from hours_core.tokens import TOKEN_LIKE

if TYPE_CHECKING:
    from litestar.types import Scope

__all__ = ["REQUEST_ID_HEADER", "REQUEST_ID_NAME", "REQUEST_ID_PATTERN", "request_id_of"]

REQUEST_ID_HEADER = "X-Request-Id"
REQUEST_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@/+=-]{0,127}")
"""A client's request id that hours keeps (anything else is replaced by a new UUID)."""

REQUEST_ID_NAME = REQUEST_ID_HEADER.lower().encode()
"""The header's name as ASGI spells it (lower case bytes)."""
_STATE_KEY = "hours_request_id"


def request_id_of(scope: Scope) -> str:
    """The request's id: the client's safe ``X-Request-Id``, or a new UUID (worked out once)."""
    state: dict[str, Any] = scope.setdefault("state", {})
    known = state.get(_STATE_KEY)
    if known is not None:
        return str(known)
    sent = next((value for name, value in scope.get("headers", ()) if name.lower() == REQUEST_ID_NAME), None)
    text = None if sent is None else sent.decode("latin-1")
    # An id holding a token's shape is not kept: the id is logged, stored in events and echoed.
    safe = text is not None and REQUEST_ID_PATTERN.fullmatch(text) and not TOKEN_LIKE.search(text)
    request_id = text if safe and text is not None else _new_request_id()
    state[_STATE_KEY] = request_id
    return request_id


def _new_request_id() -> str:
    """A new random (version 4) UUID from the process's pseudo-random generator, not from the
    kernel's: ``uuid.uuid4()`` makes a ``getrandom`` call per request, which profiles put at a tenth
    of a replay's CPU. A request id names a request in logs and events, and nothing relies on it
    being hard to guess, so 122 bits of a generator seeded from the kernel at start (and again in
    each forked worker, by the ``random`` module itself) keep it unique without the call."""
    return str(uuid.UUID(int=random.getrandbits(128), version=4))
