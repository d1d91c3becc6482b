"""Argument types for the ``hours`` command line: each parses one value or explains what it expects.

argparse turns an :class:`argparse.ArgumentTypeError` into ``hours ...: error: argument --org:
<message>`` on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import re
from datetime import date, datetime, timedelta
from uuid import UUID

from hours_app.settings import MAX_WORKERS
from hours_core.tokens import ENV_PATTERN, TOKEN_PATTERN
from hours_http.decoding import WrongValue, structure_datetime

__all__ = [
    "count",
    "day",
    "identifier",
    "instant",
    "lifetime",
    "port",
    "seconds",
    "token_env",
    "token_prefix",
    "workers",
]

_EXAMPLE_ID = "0190c2d4-5a6b-7c8d-9e0f-112233445566"
_DAYS = re.compile(r"(?P<days>[0-9]{1,4})d")
_PREFIX = re.compile(r"[0-9A-Za-z]{12}")
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_SECONDS = re.compile(r"[0-9]{1,5}(?:\.[0-9]{1,3})?")
MAX_DAYS = 365


def identifier(text: str) -> UUID:
    """An id: a UUID in its usual 8-4-4-4-12 hex form."""
    try:
        return UUID(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an id; ids are UUIDs like {_EXAMPLE_ID}") from None


def lifetime(text: str) -> timedelta | None:
    """A token lifetime: ``never``, or a number of days from ``1d`` to ``365d``."""
    value = text.strip().lower()
    if value == "never":
        return None
    match = _DAYS.fullmatch(value)
    if match is None or not 1 <= int(match["days"]) <= MAX_DAYS:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a token lifetime; use a number of days from 1d to {MAX_DAYS}d "
            "(e.g. 30d), or never"
        )
    return timedelta(days=int(match["days"]))


def token_env(text: str) -> str:
    """A token environment name: 2 to 16 lowercase letters or digits, starting with a letter."""
    if ENV_PATTERN.fullmatch(text) is None:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an environment name; use 2 to 16 lowercase letters or digits, "
            "starting with a letter (e.g. live, test, staging2)"
        )
    return text


def token_prefix(text: str) -> str:
    """A token's 12-character prefix (as ``hours tokens list`` shows it), or a whole token."""
    value = text.strip()
    whole = TOKEN_PATTERN.fullmatch(value)
    if whole is not None:
        return whole["prefix"]
    if _PREFIX.fullmatch(value) is None:
        raise argparse.ArgumentTypeError(
            "not a token prefix; use the 12 letters and digits that `hours tokens list` shows "
            "(the part after hsk_<env>_)"
        )
    return value


def port(text: str) -> int:
    """A TCP port, 0 to 65535 (0 lets the system pick a free one)."""
    if not text.isdigit() or not 0 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port; use a number from 0 to 65535")
    return int(text)


def workers(text: str) -> int:
    """A number of worker processes, 1 to :data:`~hours_app.settings.MAX_WORKERS`."""
    if not text.isdigit() or not 1 <= int(text) <= MAX_WORKERS:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a number of workers; use a number from 1 to {MAX_WORKERS}"
        )
    return int(text)


def count(text: str) -> int:
    """A whole number, 1 or more (``hours serve`` checks each limit's own range)."""
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of 1 or more")
    return int(text)


def seconds(text: str) -> float:
    """A number of seconds, e.g. ``10`` or ``0.5``."""
    if _SECONDS.fullmatch(text) is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds; use e.g. 10 or 0.5")
    return float(text)


def day(text: str) -> date:
    """A date, ``YYYY-MM-DD``."""
    if _DAY.fullmatch(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    raise argparse.ArgumentTypeError(f"must be a date such as 2026-03-31, not {text!r}")


def instant(text: str) -> datetime:
    """An RFC 3339 date-time with an offset, in the range of instants, as UTC: the API's own rule and
    words for an instant in a query (``updatedSince``), so the option and the parameter agree."""
    try:
        return structure_datetime(text, datetime)
    except WrongValue as error:
        raise argparse.ArgumentTypeError(str(error)) from None
