"""Authentication: from a bearer token to a :class:`~hours_core.services.caller.Caller`."""

from __future__ import annotations

from hours_core.errors import Unauthenticated
from hours_core.ports import Clock
from hours_core.services.caller import Caller
from hours_core.services.transactions import Transactions
from hours_core.tokens import parse_token

__all__ = ["Authenticator"]


class Authenticator:
    """Checks personal access tokens of one environment (``live``, ``test``, ...)."""

    def __init__(self, transactions: Transactions, clock: Clock, env: str) -> None:
        self._transactions = transactions
        self._clock = clock
        self.env = env

    def authenticate(self, token_text: str) -> Caller:
        """The caller that ``token_text`` identifies, or :class:`Unauthenticated`.

        Unknown, malformed, wrong-secret, revoked, expired and other-environment tokens all raise
        the same error. Revocation takes effect on the next request: nothing is cached.
        """
        presented = parse_token(token_text)
        with self._transactions.read() as uow:
            credentials = uow.tokens.find_credentials(presented.prefix)
        if credentials is None:
            raise Unauthenticated(token_sent=True)
        now = self._clock.now()
        credentials.token.verify(presented, env=self.env, now=now)
        token = credentials.token
        if token.needs_last_used_update(now):
            token = token.used(now)
            with self._transactions.write() as uow:
                uow.tokens.record_use(token.org_id, token.prefix, now)
        return Caller(user=credentials.user, org=credentials.org, token=token)
