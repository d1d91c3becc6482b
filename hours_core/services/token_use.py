"""The last use of each token: bookkeeping that never delays or fails the request it belongs to.

A request whose token's ``last_used_at`` is due (over a minute old, see
:data:`~hours_core.tokens.LAST_USED_RESOLUTION`) only *notes* the use, in memory:
:meth:`LastUses.note` takes a lock for a dictionary update and never touches the store. Whoever
runs the server writes the noted uses later, off the request path, with :meth:`LastUses.write`:
every pending use in one write transaction. Uses noted again before they are written coalesce
(the latest time wins). When the store refuses the write (busy: another writer holds it; or
unreachable), the uses are dropped: a later request of the same token notes its use again, since
the stored ``last_used_at`` is still old (the first request after the token's cached caller aged
out: at most the authentication cache's ``ttl``, see :mod:`hours_core.services.identity_cache`).
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime

from hours_core.errors import HoursError
from hours_core.model import OrgId
from hours_core.services.transactions import Transactions
from hours_core.tokens import ApiToken

__all__ = ["LastUses"]

_log = logging.getLogger(__name__)


class LastUses:
    """The uses of tokens noted by requests and not written yet, keyed by token prefix."""

    def __init__(self, transactions: Transactions) -> None:
        self._transactions = transactions
        self._pending: dict[str, tuple[OrgId, datetime]] = {}
        self._lock = threading.Lock()

    def note(self, token: ApiToken, at: datetime) -> None:
        """Remember that ``token`` was used at ``at``; nothing is written yet."""
        with self._lock:
            noted = self._pending.get(token.prefix)
            if noted is None or noted[1] < at:
                self._pending[token.prefix] = (token.org_id, at)

    def pending(self) -> int:
        """How many tokens have a use noted and not written yet."""
        with self._lock:
            return len(self._pending)

    def write(self) -> int:
        """Write every noted use in one transaction; return how many were written.

        Best effort: if the store refuses (busy, unreachable), the uses are dropped, logged at
        info level, and 0 is returned; nothing is raised.
        """
        with self._lock:
            taken, self._pending = self._pending, {}
        if not taken:
            return 0
        try:
            with self._transactions.write() as uow:
                for prefix, (org_id, at) in taken.items():
                    uow.tokens.record_use(org_id, prefix, at)
        except HoursError as error:
            _log.info("dropped the last use of %d token(s): %s (%s)", len(taken), error.message, error.code)
            return 0
        return len(taken)
