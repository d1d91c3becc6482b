"""Authentication: from a bearer token to a :class:`~hours_core.services.caller.Caller`."""

from __future__ import annotations

import attrs

from hours_core.errors import Unauthenticated
from hours_core.ports import Clock
from hours_core.services.caller import Caller
from hours_core.services.token_use import LastUses
from hours_core.services.transactions import Transactions
from hours_core.tokens import parse_token

__all__ = ["Authenticator"]


class Authenticator:
    """Checks personal access tokens of one environment (``live``, ``test``, ...)."""

    def __init__(self, transactions: Transactions, clock: Clock, env: str) -> None:
        self._transactions = transactions
        self._clock = clock
        self.env = env
        self.last_uses = LastUses(transactions)
        """The uses noted by :meth:`authenticate`; whoever runs the server writes them (``write``)."""

    def authenticate(self, token_text: str) -> Caller:
        """The caller that ``token_text`` identifies, or :class:`Unauthenticated`.

        Unknown, malformed, wrong-secret, revoked, expired and other-environment tokens, and the
        tokens of a deactivated user, all raise the same error. Revocation and deactivation take
        effect on the next request, in every process: nothing is cached. This is
        :meth:`identify` then, when it is due, :meth:`note_use`: one read, never a write.
        """
        caller = self.identify(token_text)
        return self.note_use(caller) if self.use_is_stale(caller) else caller

    def identify(self, token_text: str) -> Caller:
        """The lookup of :meth:`authenticate`, without noting the use."""
        presented = parse_token(token_text)
        with self._transactions.read() as uow:
            credentials = uow.tokens.find_credentials(presented.prefix)
        if credentials is None:
            raise Unauthenticated(token_sent=True)
        credentials.token.verify(presented, env=self.env, now=self._clock.now())
        if not credentials.user.is_active:
            raise Unauthenticated(token_sent=True)
        return Caller(user=credentials.user, org=credentials.org, token=credentials.token)

    def use_is_stale(self, caller: Caller) -> bool:
        """Whether the caller's token has a ``last_used_at`` old enough to be written again."""
        return caller.token is not None and caller.token.needs_last_used_update(self._clock.now())

    def note_use(self, caller: Caller) -> Caller:
        """Note the token's use (now) in :attr:`last_uses`, to be written later, off the request
        path; return the caller with the token as it will be stored. Never waits for the store."""
        token = caller.token
        if token is None:
            return caller
        now = self._clock.now()
        self.last_uses.note(token, now)
        return attrs.evolve(caller, token=token.used(now))
