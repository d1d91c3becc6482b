"""Personal access tokens: ``hsk_<env>_<prefix12>_<secret32>``.

A token is minted from :mod:`secrets`, shown once, and never stored: the store keeps the
public ``prefix`` (to find the row) and the SHA-256 of the whole token (to check it). Checking
uses :func:`hmac.compare_digest`, so the comparison time does not depend on the secret.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import string
from datetime import datetime, timedelta
from uuid import UUID

import attrs

from hours_core.errors import Unauthenticated
from hours_core.model import OrgId, UserId, check_name, name_problem
from hours_core.validation import FieldErrors

__all__ = [
    "DEFAULT_TOKEN_LIFETIME",
    "ENV_PATTERN",
    "LAST_USED_RESOLUTION",
    "MAX_ACTIVE_TOKENS",
    "MAX_TOKEN_LIFETIME",
    "MAX_TOKEN_NAME_LENGTH",
    "PREFIX_PATTERN",
    "REDACTED_TOKEN",
    "TOKEN_LIKE",
    "TOKEN_PATTERN",
    "ApiToken",
    "MintedToken",
    "ParsedToken",
    "check_token_name",
    "hash_token",
    "lifetime_in_days",
    "parse_token",
    "redact_tokens",
]

ENV_PATTERN = re.compile(r"[a-z][a-z0-9]{1,15}")
"""What an environment name looks like: ``live``, ``test``, ``staging2``."""

PREFIX_PATTERN = "[0-9A-Za-z]{12}"
"""A token's public prefix: 12 base62 characters (the ``prefix`` group of :data:`TOKEN_PATTERN`)."""

TOKEN_PATTERN = re.compile(
    rf"hsk_(?P<env>{ENV_PATTERN.pattern})_(?P<prefix>{PREFIX_PATTERN})_(?P<secret>[0-9A-Za-z]{{32}})"
)
"""The one published shape of a token; match it with ``fullmatch``."""

TOKEN_LIKE = re.compile(r"(?i:hsk)_[0-9A-Za-z_]{8,}")
"""Anything shaped like a token, or a part of one: ``hsk_`` (either case) and 8 or more of the
characters tokens are made of. What the logs, the request ids and the error bodies keep out."""

REDACTED_TOKEN = "hsk_[redacted]"
"""What stands where :data:`TOKEN_LIKE` text was."""


_PERCENT_ASCII = re.compile(r"%([0-7][0-9A-Fa-f])")
"""A percent-encoded ASCII character; tokens are ASCII, so no other escape can hide a part of one."""
_DECODING_ROUNDS = 3


def redact_tokens(text: str) -> str:
    """``text`` with anything that looks like a personal access token replaced by ``hsk_[redacted]``.

    Token shapes are looked for in the text's most decoded form (percent-decoded up to three
    times, so that a token encoded once, twice or three times over is found, and also one that is
    only partly encoded); each shape found is replaced where it stands in the text as written,
    escapes and all, so the rest of the line keeps its form. One pass, linear in the length.
    """
    if "%" not in text:
        return TOKEN_LIKE.sub(REDACTED_TOKEN, text)
    layers: list[list[int]] = []  # per decoding round: where each character came from
    current = text
    for _ in range(_DECODING_ROUNDS):
        decoded, origins = _decode(current)
        if decoded == current:
            break
        layers.append(origins)
        current = decoded
    pieces: list[str] = []
    written = 0
    # Decoding only ever reveals more of a token (an escape next to a shape may decode to one more
    # of its characters), so the most decoded form holds every shape at its widest.
    for match in TOKEN_LIKE.finditer(current):
        start, end = match.span()
        for origins in reversed(layers):
            start, end = origins[start], origins[end]
        pieces += [text[written:start], REDACTED_TOKEN]
        written = end
    return "".join([*pieces, text[written:]])


def _decode(text: str) -> tuple[str, list[int]]:
    """``text`` with its ASCII escapes decoded, and the index in ``text`` each character came from
    (with one more entry: the end of ``text``)."""
    pieces: list[str] = []
    origins: list[int] = []
    written = 0
    for match in _PERCENT_ASCII.finditer(text):
        pieces.append(text[written : match.start()])
        origins.extend(range(written, match.start()))
        pieces.append(chr(int(match[1], 16)))
        origins.append(match.start())
        written = match.end()
    pieces.append(text[written:])
    origins.extend(range(written, len(text) + 1))
    return "".join(pieces), origins


DEFAULT_TOKEN_LIFETIME = timedelta(days=90)
MAX_TOKEN_LIFETIME = timedelta(days=365)
LAST_USED_RESOLUTION = timedelta(minutes=1)
"""``last_used_at`` is written at most this often per token, so reads do not become writes."""

MAX_ACTIVE_TOKENS = 50
"""The most tokens one user may hold at once that are neither revoked nor expired."""

MIN_TOKEN_LIFETIME = timedelta(days=1)
MAX_TOKEN_NAME_LENGTH = 100

_LIFETIME_RULE = f"must be {MIN_TOKEN_LIFETIME.days} to {MAX_TOKEN_LIFETIME.days} days"

_BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


def _random_base62(length: int) -> str:
    return "".join(secrets.choice(_BASE62) for _ in range(length))


def hash_token(plaintext: str) -> str:
    """The hex SHA-256 of the whole token: what the store keeps instead of the token."""
    return hashlib.sha256(plaintext.encode("ascii")).hexdigest()


@attrs.frozen
class ParsedToken:
    """A token string that has the published shape. ``secret`` never leaves this object's scope."""

    env: str
    prefix: str
    plaintext: str = attrs.field(repr=False)


def parse_token(text: str) -> ParsedToken:
    """Split ``text`` into its parts, or raise :class:`Unauthenticated` if it is not a token."""
    match = TOKEN_PATTERN.fullmatch(text)
    if match is None:
        raise Unauthenticated(token_sent=True)
    return ParsedToken(env=match["env"], prefix=match["prefix"], plaintext=text)


@attrs.frozen
class MintedToken:
    """A newly minted token: the only time the plaintext exists."""

    plaintext: str = attrs.field(repr=False)
    token: ApiToken


def _check_env(env: str, errors: FieldErrors) -> None:
    if ENV_PATTERN.fullmatch(env) is None:
        errors.add("env", "must be 2 to 16 lowercase letters or digits, starting with a letter")


def check_token_name(name: str, errors: FieldErrors, field: str = "name") -> None:
    """A token's name follows the rule of every name (not blank), with at most 100 characters."""
    problem = name_problem(name, MAX_TOKEN_NAME_LENGTH)
    if problem is not None:
        errors.add(field, problem)


def _check_lifetime(lifetime: timedelta | None, errors: FieldErrors, field: str = "lifetime") -> None:
    if lifetime is not None and not MIN_TOKEN_LIFETIME <= lifetime <= MAX_TOKEN_LIFETIME:
        errors.add(field, _LIFETIME_RULE)


def lifetime_in_days(days: int, errors: FieldErrors, field: str = "expires_in_days") -> timedelta | None:
    """``days`` as a token lifetime; outside 1 to 365 it records the error in ``errors`` and is ``None``.

    The range is checked on the integer, so that no value (however large) can overflow a timedelta.
    """
    if not MIN_TOKEN_LIFETIME.days <= days <= MAX_TOKEN_LIFETIME.days:
        errors.add(field, _LIFETIME_RULE)
        return None
    return timedelta(days=days)


@attrs.frozen
class ApiToken:
    """A stored personal access token, without its secret."""

    id: UUID
    org_id: OrgId
    user_id: UserId
    prefix: str
    name: str = attrs.field()
    env: str
    secret_hash: str = attrs.field(repr=False)
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None

    @name.validator
    def _check_name(self, _attribute: attrs.Attribute[str], value: str) -> None:
        check_name(value, MAX_TOKEN_NAME_LENGTH)

    @classmethod
    def mint(
        cls,
        *,
        token_id: UUID,
        org_id: OrgId,
        user_id: UserId,
        name: str,
        env: str,
        now: datetime,
        lifetime: timedelta | None = DEFAULT_TOKEN_LIFETIME,
    ) -> MintedToken:
        """Mint a new token. ``lifetime=None`` never expires; otherwise 1 day to a year.

        A wrong ``env``, ``name`` and ``lifetime`` are reported together.
        """
        errors = FieldErrors()
        _check_env(env, errors)
        check_token_name(name, errors)
        _check_lifetime(lifetime, errors)
        errors.raise_if_any()
        prefix = _random_base62(12)
        plaintext = f"hsk_{env}_{prefix}_{_random_base62(32)}"
        token = cls(
            id=token_id,
            org_id=org_id,
            user_id=user_id,
            name=name,
            env=env,
            prefix=prefix,
            secret_hash=hash_token(plaintext),
            created_at=now,
            expires_at=None if lifetime is None else now + lifetime,
        )
        return MintedToken(plaintext=plaintext, token=token)

    def is_active(self, now: datetime) -> bool:
        """Whether the token counts against :data:`MAX_ACTIVE_TOKENS`: not revoked, not expired."""
        return self.revoked_at is None and not self.is_expired(now)

    def is_expired(self, now: datetime) -> bool:
        """Whether the token has passed its expiry."""
        return self.expires_at is not None and now >= self.expires_at

    def verify(self, presented: ParsedToken, *, env: str, now: datetime) -> None:
        """Raise :class:`Unauthenticated` unless ``presented`` is this token, live, in ``env``.

        Every failure raises the same error, so a caller cannot tell a wrong secret from a
        revoked token.
        """
        matches = hmac.compare_digest(hash_token(presented.plaintext), self.secret_hash)
        if not matches or presented.prefix != self.prefix or presented.env != env or self.env != env:
            raise Unauthenticated(token_sent=True)
        if self.revoked_at is not None or self.is_expired(now):
            raise Unauthenticated(token_sent=True)

    def needs_last_used_update(self, now: datetime) -> bool:
        """Whether ``last_used_at`` is stale enough to be written again."""
        return self.last_used_at is None or now - self.last_used_at >= LAST_USED_RESOLUTION

    def used(self, now: datetime) -> ApiToken:
        """The token with its last use set to ``now``."""
        return attrs.evolve(self, last_used_at=now)

    def revoked(self, now: datetime) -> ApiToken:
        """The token revoked at ``now`` (a revoked token keeps its first revocation time)."""
        return self if self.revoked_at is not None else attrs.evolve(self, revoked_at=now)
