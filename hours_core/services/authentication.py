"""Authentication: from a bearer token to a :class:`~hours_core.services.caller.Caller`."""

from __future__ import annotations

from datetime import timedelta

import attrs

from hours_core.errors import Unauthenticated
from hours_core.ports import Clock, IdentitySignal
from hours_core.services.caller import Caller
from hours_core.services.identity_cache import DEFAULT_AUTH_CACHE_TTL, IdentityCache
from hours_core.services.token_use import LastUses
from hours_core.services.transactions import Transactions
from hours_core.tokens import ParsedToken, hash_token, parse_token

__all__ = ["Authenticator"]


class Authenticator:
    """Checks personal access tokens of one environment (``live``, ``test``, ...).

    The callers it identified are kept for at most ``cache_ttl`` in an
    :class:`~hours_core.services.identity_cache.IdentityCache` (``timedelta(0)``: not at all), which
    every committed change of an org, a user or a token made through ``transactions`` empties, and
    which the store's ``identity_signal`` (if it offers one) empties after such a change in another
    process.
    """

    def __init__(
        self,
        transactions: Transactions,
        clock: Clock,
        env: str,
        *,
        cache_ttl: timedelta = DEFAULT_AUTH_CACHE_TTL,
        identity_signal: IdentitySignal | None = None,
    ) -> None:
        self._transactions = transactions
        self._clock = clock
        self.env = env
        self.cache = IdentityCache(cache_ttl, shared=identity_signal)
        """The recently identified callers (see :mod:`hours_core.services.identity_cache`)."""
        transactions.on_identity_change(self.cache.forget)
        self.last_uses = LastUses(transactions)
        """The uses noted by :meth:`authenticate`; whoever runs the server writes them (``write``)."""

    def authenticate(self, token_text: str) -> Caller:
        """The caller that ``token_text`` identifies, or :class:`Unauthenticated`.

        Unknown, malformed, wrong-secret, revoked, expired and other-environment tokens, and the
        tokens of a deactivated user, all raise the same error. This is :meth:`identify` then,
        when it is due, :meth:`note_use`: at most one read, never a write.

        A token that authenticated less than the cache's ``ttl`` ago (1 s by default) is served
        from :attr:`cache` without a read, its expiry checked against the clock. Revocation,
        deactivation and every other change of the caller's org, user or token take effect on the
        next request in this process (the commit empties the cache), and in other processes of the
        store too, through its identity signal (within ``ttl`` at the latest for a process the
        signal cannot reach; see :mod:`hours_core.services.identity_cache`).
        The cached caller carries its token as :meth:`note_use` returned it, so a hit notes a use
        only when one is due (once a minute per token).
        """
        return self._noted(*self._lookup(token_text))

    def cached(self, token_text: str) -> Caller | None:
        """What :meth:`authenticate` answers if ``token_text`` is in the cache, without ever touching
        the store (so an adapter may call it on an event loop); ``None``: call :meth:`authenticate`."""
        key = hash_token(parse_token(token_text).plaintext)
        served = self._from_cache(key)
        return None if served is None else self._noted(key, served)

    def identify(self, token_text: str) -> Caller:
        """The lookup of :meth:`authenticate` (from the cache or the store), without noting the use."""
        return self._lookup(token_text)[1]

    def _lookup(self, token_text: str) -> tuple[str, Caller]:
        """The token's cache key, and its caller from the cache, else from the store."""
        presented = parse_token(token_text)
        key = hash_token(presented.plaintext)
        served = self._from_cache(key)
        return key, self._from_store(presented, key) if served is None else served

    def _noted(self, key: str, served: Caller) -> Caller:
        """``served``, with its use noted if one is due; the cache keeps the caller as noted."""
        if not self.use_is_stale(served):
            return served
        caller = self.note_use(served)
        self.cache.replace(key, served, caller)
        return caller

    def _from_cache(self, key: str) -> Caller | None:
        now = self._clock.now()
        cached = self.cache.get(key, now)
        if cached is not None and cached.token is not None and cached.token.is_expired(now):
            raise Unauthenticated(token_sent=True)
        return cached

    def _from_store(self, presented: ParsedToken, key: str) -> Caller:
        now = self._clock.now()
        ticket = self.cache.ticket()
        with self._transactions.read() as uow:
            credentials = uow.tokens.find_credentials(presented.prefix)
        if credentials is None:
            raise Unauthenticated(token_sent=True)
        credentials.token.verify(presented, env=self.env, now=now)
        if not credentials.user.is_active:
            raise Unauthenticated(token_sent=True)
        caller = Caller(user=credentials.user, org=credentials.org, token=credentials.token)
        self.cache.put(key, caller, now, ticket)
        return caller

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
