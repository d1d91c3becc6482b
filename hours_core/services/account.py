"""The caller's own account: who am I, and my personal access tokens ("Settings -> API")."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from hours_core.errors import NotFound, TooManyTokens
from hours_core.events import EventType
from hours_core.ports import Clock, IdFactory, UnitOfWork
from hours_core.services.caller import Caller
from hours_core.services.recording import EventRecorder, Origin
from hours_core.services.transactions import Transactions
from hours_core.tokens import (
    DEFAULT_TOKEN_LIFETIME,
    MAX_ACTIVE_TOKENS,
    ApiToken,
    MintedToken,
    check_token_name,
    lifetime_in_days,
)
from hours_core.validation import FieldErrors

__all__ = ["AccountService", "add_token", "revoke"]


def add_token(uow: UnitOfWork, token: ApiToken, now: datetime) -> None:
    """Store a new token unless its user holds :data:`MAX_ACTIVE_TOKENS` active ones already
    (:class:`TooManyTokens`). Every path that mints a token goes through here.

    The count and the insert run under the organization's lock (``FOR NO KEY UPDATE`` on
    PostgreSQL; SQLite and the in-memory store run one writer at a time), so concurrent mints,
    in one process or many, cannot both take the last slot.
    """
    uow.orgs.lock(token.org_id)
    if uow.tokens.count_active(token.org_id, token.user_id, now) >= MAX_ACTIVE_TOKENS:
        raise TooManyTokens(MAX_ACTIVE_TOKENS)
    uow.tokens.add(token)


class AccountService:
    """Lists, mints and revokes the caller's own tokens."""

    def __init__(self, transactions: Transactions, clock: Clock, ids: IdFactory, env: str) -> None:
        self._transactions = transactions
        self._clock = clock
        self._ids = ids
        self._env = env
        self._events = EventRecorder(clock, ids)

    def list_tokens(self, caller: Caller) -> Sequence[ApiToken]:
        """The caller's tokens, newest first; never their secrets."""
        with self._transactions.read() as uow:
            return uow.tokens.list_for_user(caller.org_id, caller.user_id)

    def mint_token(self, caller: Caller, name: str, expires_in_days: int | None = None) -> MintedToken:
        """A new token for the caller, in this installation's environment; the plaintext is returned once.

        It expires after ``expires_in_days`` (1 to 365; default 90). A wrong name and a wrong
        lifetime are reported together. A user holds at most :data:`MAX_ACTIVE_TOKENS` active
        tokens (:class:`TooManyTokens`); revoking one frees a slot.
        """
        errors = FieldErrors()
        check_token_name(name, errors)
        lifetime: timedelta | None = DEFAULT_TOKEN_LIFETIME
        if expires_in_days is not None:
            lifetime = lifetime_in_days(expires_in_days, errors)
        errors.raise_if_any()
        assert lifetime is not None  # None (never expires) comes only from the admin path
        minted = ApiToken.mint(
            token_id=self._ids.new_id(),
            org_id=caller.org_id,
            user_id=caller.user_id,
            name=name,
            env=self._env,
            now=self._clock.now(),
            lifetime=lifetime,
        )
        with self._transactions.write() as uow:
            add_token(uow, minted.token, minted.token.created_at)
            self._events.token(uow, caller, EventType.TOKEN_CREATED, None, minted.token)
        return minted

    def revoke_token(self, caller: Caller, prefix: str) -> None:
        """Revoke one of the caller's tokens; it stops working on the next request."""
        with self._transactions.write() as uow:
            token = uow.tokens.get(caller.org_id, prefix)
            if token is None or token.user_id != caller.user_id:
                raise NotFound.of("token")
            revoke(uow, self._events, caller, token, self._clock.now())


def revoke(
    uow: UnitOfWork, events: EventRecorder, origin: Origin | Caller, token: ApiToken, now: datetime
) -> None:
    """Revoke ``token`` at ``now`` and record ``token.revoked``; a revoked token stays as it was
    (its first ``revoked_at``), and nothing is recorded."""
    if token.revoked_at is not None:
        return
    # The store revokes only a token that is not revoked yet: one revoked by a concurrent unit of
    # work since ``token`` was read (PostgreSQL) keeps its first ``revoked_at``, and no event.
    if uow.tokens.revoke(token.org_id, token.prefix, now):
        events.token(uow, origin, EventType.TOKEN_REVOKED, token, token.revoked(now))
