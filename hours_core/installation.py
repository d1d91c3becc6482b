"""Secrets of the installation: random keys that every server process of one database shares.

A secret is made once, when a server starts or ``hours migrate`` runs (or else by the first process
that needs it), and kept in the database, so every
worker and every host that serves the same data signs and checks with the same key, and a key
survives restarts. Nobody sets or sees one: nothing to configure, nothing to leak in settings.
Losing the database loses the secrets too, and with them nothing but what they signed (list
cursors, which a client re-reads from the first page).
"""

from __future__ import annotations

import secrets
from datetime import datetime

import attrs

__all__ = ["CURSOR_SECRET", "SECRETS", "SECRET_BYTES", "InstallationSecret"]

SECRET_BYTES = 32
"""The length of a secret: 256 bits, the size of an HMAC-SHA256 key."""

CURSOR_SECRET = "cursors"
"""The name of the secret that signs list cursors."""

SECRETS = (CURSOR_SECRET,)
"""Every secret the installation uses, made when a server starts or the database is migrated."""


def _secret_bytes(_instance: object, _attribute: object, value: bytes) -> None:
    if type(value) is not bytes or len(value) != SECRET_BYTES:
        raise ValueError(f"an installation secret is {SECRET_BYTES} bytes")


@attrs.frozen
class InstallationSecret:
    """One named secret of the installation."""

    name: str
    secret: bytes = attrs.field(repr=False, validator=_secret_bytes)
    created_at: datetime

    @classmethod
    def new(cls, name: str, now: datetime) -> InstallationSecret:
        """A new secret named ``name``, from the operating system's random source."""
        return cls(name=name, secret=secrets.token_bytes(SECRET_BYTES), created_at=now)
