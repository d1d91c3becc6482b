"""Where the tests find PostgreSQL, and what a test that needs it does when it is not there.

The server is ``$HOURS_TEST_POSTGRES_URL`` (default :data:`DEFAULT_URL`). When it cannot be
reached, :func:`require_postgres` skips the calling test with the reason and how to run it;
under ``CI=true`` it fails the test instead, so that a CI run cannot pass without them. The
contract and HTTP conftests (and the multi-process test) all go through here.
"""

from __future__ import annotations

import functools
import os
import secrets
from urllib.parse import SplitResult, parse_qsl, quote, urlencode, urlsplit

import psycopg
import pytest

__all__ = [
    "DEFAULT_URL",
    "ENV_VAR",
    "new_schema_name",
    "postgres_url",
    "redacted",
    "require_postgres",
    "url_with_search_path",
]

ENV_VAR = "HOURS_TEST_POSTGRES_URL"
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/test"
_PROBE_TIMEOUT_S = 3


def postgres_url() -> str:
    """The URL of the test server: ``$HOURS_TEST_POSTGRES_URL``, else :data:`DEFAULT_URL`."""
    return os.environ.get(ENV_VAR) or DEFAULT_URL


def redacted(url: str) -> str:
    """``url`` without its password, for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@")).geturl()


@functools.cache
def _unreachable_because(url: str) -> str | None:
    """Why the server at ``url`` cannot be used, or ``None`` if it can (asked once per process)."""
    try:
        with psycopg.connect(url, connect_timeout=_PROBE_TIMEOUT_S) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as error:
        return " ".join(str(error).split()) or type(error).__name__
    return None


def require_postgres() -> str:
    """The test server's URL; skip the test if it is unreachable (fail it under ``CI=true``)."""
    url = postgres_url()
    reason = _unreachable_because(url)
    if reason is None:
        return url
    message = (
        f"PostgreSQL is not reachable at {redacted(url)} ({reason}). To run the PostgreSQL tests, "
        f"start PostgreSQL (e.g. `pg_ctlcluster 15 main start`) or set {ENV_VAR} to the URL of a "
        "server where the tests may create and drop their own schema."
    )
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message} CI=true: PostgreSQL tests must run, not skip.", pytrace=False)
    pytest.skip(message)


def new_schema_name(purpose: str = "test") -> str:
    """A schema name no other run uses: ``hours_<purpose>_<pid>_<random hex>``."""
    return f"hours_{purpose}_{os.getpid()}_{secrets.token_hex(4)}"


def url_with_search_path(url: str, schema: str) -> str:
    """``url`` with libpq ``options=-csearch_path=<schema>`` (for processes that only take a URL)."""
    parts = urlsplit(url)
    query = [(name, value) for name, value in parse_qsl(parts.query) if name != "options"]
    query.append(("options", f"-csearch_path={schema}"))
    return SplitResult(
        parts.scheme, parts.netloc, parts.path, urlencode(query, quote_via=quote), parts.fragment
    ).geturl()
