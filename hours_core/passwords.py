"""Passwords for signing in to the web app: the rule a new one follows, and scrypt hashes.

A password is never stored: the store keeps ``scrypt$<n>$<r>$<p>$<salt>$<hash>`` (salt and hash
in unpadded URL-safe base64), made by :func:`hashlib.scrypt` with a random 16-byte salt. The cost
parameters travel with each hash, so raising them later leaves old hashes checkable.
:func:`verify_password` compares with :func:`hmac.compare_digest`; :func:`burn_time` spends the
time of one check when there is no hash to check, so that an unknown email answers as slowly as a
wrong password.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from hours_core.model import control_character_problem

__all__ = [
    "MAX_PASSWORD_LENGTH",
    "MIN_PASSWORD_LENGTH",
    "SCRYPT_N",
    "burn_time",
    "generate_password",
    "hash_password",
    "password_problem",
    "verify_password",
]

MIN_PASSWORD_LENGTH = 10
"""The shortest password, in characters."""

MAX_PASSWORD_LENGTH = 1024
"""The longest password, in characters (a bound on the work one sign-in may ask for)."""

SCRYPT_N = 2**15
"""scrypt's CPU/memory cost (32 MiB with ``r=8``); ``r=8``, ``p=1``."""
_R = 8
_P = 1
_MAXMEM = 64 * 1024 * 1024
_SALT_BYTES = 16
_HASH_BYTES = 32
_SCHEME = "scrypt"


def password_problem(password: str) -> str | None:
    """What is wrong with a new password, or ``None``: 10 to 1024 characters, no control characters,
    and text UTF-8 can hold: no lone UTF-16 surrogate (U+D800 to U+DFFF), which a Python string may
    carry (a JSON ``"\\ud800"``, bytes that were not UTF-8 read with ``surrogateescape``) but which
    has no UTF-8 form to hash (:func:`~hours_core.model.control_character_problem` refuses both)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"must be at least {MIN_PASSWORD_LENGTH} characters (got {len(password)})"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"must be at most {MAX_PASSWORD_LENGTH} characters (got {len(password)})"
    return control_character_problem(password)


def generate_password() -> str:
    """A new random password: 20 URL-safe characters (120 bits), as ``hours bootstrap`` prints one."""
    return secrets.token_urlsafe(15)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=_MAXMEM, dklen=_HASH_BYTES
    )


def hash_password(password: str, *, cost: int = SCRYPT_N) -> str:
    """The stored form of ``password`` (a fresh salt each time); ``cost`` is scrypt's ``n``, a power
    of two (only tests lower it: see ``build_services``)."""
    salt = secrets.token_bytes(_SALT_BYTES)
    digest = _scrypt(password, salt, cost, _R, _P)
    return f"{_SCHEME}${cost}${_R}${_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` is the one ``stored`` was made from; a malformed ``stored`` never matches."""
    if len(password) > MAX_PASSWORD_LENGTH:
        return False
    parts = stored.split("$")
    if len(parts) != 6 or parts[0] != _SCHEME:
        return False
    try:
        n, r, p = int(parts[1]), int(parts[2]), int(parts[3])
        salt, expected = _unb64(parts[4]), _unb64(parts[5])
        actual = _scrypt(password, salt, n, r, p)
    except ValueError:
        return False
    return hmac.compare_digest(actual, expected)


def burn_time(password: str, *, cost: int = SCRYPT_N) -> None:
    """Spend the time of one :func:`verify_password` of a hash made at ``cost`` (for a sign-in with
    no hash to check)."""
    burner = f"{_SCHEME}${cost}${_R}${_P}${_b64(bytes(_SALT_BYTES))}${_b64(bytes(_HASH_BYTES))}"
    verify_password(password[:MAX_PASSWORD_LENGTH], burner)
