"""Signing in to the web app: passwords, sessions, and the caller a session identifies.

The JSON API never reaches these: it authenticates personal access tokens only
(:class:`~hours_core.services.authentication.Authenticator`). A session is the web app's.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from hours_core.emails import email_key
from hours_core.errors import NotFound, SignInFailed, Unauthenticated, ValidationFailed
from hours_core.model import UserId
from hours_core.passwords import SCRYPT_N, burn_time, hash_password, password_problem, verify_password
from hours_core.ports import Clock, PasswordLogin
from hours_core.services.caller import Caller
from hours_core.services.transactions import Transactions
from hours_core.web_sessions import MintedSession, WebSession, hash_session_key

__all__ = ["SessionCaller", "SignInService", "SignedIn"]


@attrs.frozen
class SignedIn:
    """A new session: its key (for the browser's cookie only) and who signed in."""

    minted: MintedSession
    caller: Caller


@attrs.frozen
class SessionCaller:
    """The caller a session identifies, and the session (its CSRF token)."""

    caller: Caller
    session: WebSession


class SignInService:
    """Sets passwords, signs in and out, and identifies the caller of a session."""

    def __init__(self, transactions: Transactions, clock: Clock, *, password_cost: int = SCRYPT_N) -> None:
        self._transactions = transactions
        self._clock = clock
        self._cost = password_cost

    def set_password(self, user_id: UserId, password: str) -> None:
        """Give a user a new password (the operator's command); the user's sessions end."""
        problem = password_problem(password)
        if problem is not None:
            raise ValidationFailed.one("password", problem)
        password_hash = hash_password(password, cost=self._cost)
        with self._transactions.write() as uow:
            user = uow.users.locate(user_id)
            if user is None:
                raise NotFound.of("user")
            uow.sessions.set_password(user.org_id, user.id, password_hash)
            uow.sessions.delete_for_user(user.org_id, user.id)

    def sign_in(self, email: str, password: str, *, replacing: str | None = None) -> SignedIn:
        """A new session for the active user with this email and password, or :class:`SignInFailed`.

        An email is unique in an organization, not across them: when the address has a password in
        several organizations, the oldest active user whose password matches signs in. Expired sessions of
        every organization are purged on the way. ``replacing`` is the session key the browser held
        (its cookie, if any): that session ends with the new one's start, as the browser forgets its
        key, so a second sign-in leaves no session behind that nobody can sign out of. A failed
        sign-in ends nothing.
        """
        with self._transactions.read() as uow:
            logins = uow.sessions.password_logins(email_key(email))
        if not logins:
            burn_time(password, cost=self._cost)
            raise SignInFailed()
        active = [each for each in logins if each.user.is_active]
        if not active:
            burn_time(password, cost=self._cost)
            raise SignInFailed()
        match = next((each for each in active if verify_password(password, each.password_hash)), None)
        if match is None:
            raise SignInFailed()
        now = self._clock.now()
        minted = WebSession.mint(match.org.id, match.user.id, now)
        with self._transactions.write() as uow:
            # The password was checked outside this transaction (scrypt takes a while): a
            # deactivation or a new password that committed meanwhile ended the user's sessions
            # without this one, which must then not start. Read again under the user's row lock,
            # which both of them take (PostgreSQL; one writer at a time elsewhere), so that one
            # that commits after this reads ends this session too.
            uow.users.lock(match.org.id, match.user.id)
            if not _unchanged(uow.sessions.password_logins(email_key(email)), match):
                raise SignInFailed()
            uow.sessions.purge_expired(now)
            if replacing:
                held = uow.sessions.find(hash_session_key(replacing))
                if held is not None:
                    uow.sessions.delete(held.session.org_id, held.session.key_hash)
            uow.sessions.add(minted.session)
        return SignedIn(minted=minted, caller=Caller(user=match.user, org=match.org))

    def identify(self, session_key: str) -> SessionCaller:
        """The caller of a session key, or :class:`Unauthenticated` (unknown, expired, deactivated)."""
        with self._transactions.read() as uow:
            found = uow.sessions.find(hash_session_key(session_key))
        if found is None or found.session.is_expired(self._clock.now()) or not found.user.is_active:
            raise Unauthenticated("Sign in to continue.")
        return SessionCaller(caller=Caller(user=found.user, org=found.org), session=found.session)

    def sign_out(self, session: WebSession) -> None:
        """End the session."""
        with self._transactions.write() as uow:
            uow.sessions.delete(session.org_id, session.key_hash)


def _unchanged(logins: Sequence[PasswordLogin], checked: PasswordLogin) -> bool:
    """Whether the login that the password was checked against is still there as it was: its user
    active, with the same password hash."""
    return any(
        each.user.id == checked.user.id
        and each.user.is_active
        and each.password_hash == checked.password_hash
        for each in logins
    )
