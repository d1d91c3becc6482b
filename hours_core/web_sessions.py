"""Web sessions: what a signed-in browser holds, and what the store keeps of it.

A session is minted from :mod:`secrets` like a token: the browser gets the plaintext key (in a
cookie), the store keeps only its SHA-256 (``key_hash``), so a copy of the database signs nobody
in. Each session has its own CSRF token, which every form of the web app sends back. A session
lasts :data:`SESSION_LIFETIME` from sign-in; signing out, a new password and deactivation end it
sooner.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

import attrs

from hours_core.model import OrgId, UserId

__all__ = ["SESSION_LIFETIME", "MintedSession", "WebSession", "hash_session_key"]

SESSION_LIFETIME = timedelta(days=14)
"""How long a session lasts after sign-in."""

_KEY_BYTES = 32


def hash_session_key(key: str) -> str:
    """The hex SHA-256 of a session key: what the store keeps instead of the key."""
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


@attrs.frozen
class WebSession:
    """A signed-in browser: its key's hash, whose session it is, its CSRF token and its lifetime."""

    key_hash: str
    org_id: OrgId
    user_id: UserId
    csrf_token: str
    created_at: datetime
    expires_at: datetime

    def is_expired(self, now: datetime) -> bool:
        """Whether the session has ended by ``now``."""
        return now >= self.expires_at

    @classmethod
    def mint(cls, org_id: OrgId, user_id: UserId, now: datetime) -> MintedSession:
        """A new session of the user, and its plaintext key (returned only here)."""
        key = secrets.token_urlsafe(_KEY_BYTES)
        session = cls(
            key_hash=hash_session_key(key),
            org_id=org_id,
            user_id=user_id,
            csrf_token=secrets.token_urlsafe(_KEY_BYTES),
            created_at=now,
            expires_at=now + SESSION_LIFETIME,
        )
        return MintedSession(key=key, session=session)


@attrs.frozen
class MintedSession:
    """A new session and its key, which only the browser keeps."""

    key: str = attrs.field(repr=False)
    session: WebSession
