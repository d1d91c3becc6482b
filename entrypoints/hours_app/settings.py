"""Settings: the only place that reads ``os.environ``.

Every setting has a command-line flag (see ``hours --help``) and an environment variable; the
flag wins. ``HOURS_DATABASE_URL`` picks the store:

- ``sqlite:///hours.db`` — a file relative to the current folder (the default);
- ``sqlite:////var/lib/hours/hours.db`` — an absolute path (four slashes); no query string or
  fragment (``?mode=ro`` is refused, not taken as part of the file name);
- ``postgresql://user@host:5432/dbname`` — PostgreSQL, for several processes or machines. The URL
  must name its database (in its path, or ``?dbname=``), unless ``PGDATABASE`` or a service
  (``?service=``, ``PGSERVICE``) does: libpq would otherwise fall back to a database named as the
  user, and every command migrates the database it is given.

``sqlite:///:memory:`` is refused: hours runs SQLite in WAL mode with several connections (a
writer, readers, often several processes), and each connection to ``:memory:`` is a database of
its own.

:data:`ENVIRONMENT` lists every ``HOURS_*`` variable; ``hours --help`` prints it.
"""

from __future__ import annotations

import os
import pathlib
from collections.abc import Callable, Mapping
from urllib.parse import parse_qs, unquote, urlsplit

import attrs

from hours_core.tokens import ENV_PATTERN
from hours_http.body_deadline import DEFAULT_BODY_TIMEOUT
from hours_http.rate_limit import RateLimit, parse_rate_limit

__all__ = [
    "DEFAULT_DATABASE_URL",
    "ENVIRONMENT",
    "SERVER_LIMIT_RANGES",
    "SERVER_SETTINGS",
    "SQLITE_SYNCHRONOUS_LEVELS",
    "DatabaseUrl",
    "EnvironmentVariable",
    "Settings",
    "SettingsError",
]

DEFAULT_DATABASE_URL = "sqlite:///hours.db"

SQLITE_SYNCHRONOUS_LEVELS = ("full", "normal")
"""The accepted ``HOURS_SQLITE_SYNCHRONOUS`` values (the SQLite adapter's ``SYNCHRONOUS_LEVELS``)."""


class SettingsError(ValueError):
    """A setting has a value that cannot work; the message says which and why."""


@attrs.frozen
class DatabaseUrl:
    """A parsed database URL."""

    url: str
    scheme: str

    @classmethod
    def parse(cls, url: str, environ: Mapping[str, str] | None = None) -> DatabaseUrl:
        """Check ``url`` names a store hours supports; ``environ`` (default: ``os.environ``) is
        where libpq would find ``PGDATABASE`` or ``PGSERVICE`` for a PostgreSQL URL without a database."""
        scheme = urlsplit(url).scheme.lower()
        if scheme == "sqlite":
            if url[len("sqlite:///") :].startswith(":memory:"):
                raise SettingsError(
                    f"bad SQLite URL {redacted_url(url)!r}: hours needs a database file, not an in-memory "
                    "database: "
                    "it runs SQLite in WAL mode with several connections (a writer, readers, often "
                    "several processes), and each connection to :memory: would be an empty database "
                    "of its own; use sqlite:///relative/path.db or sqlite:////absolute/path.db (a file "
                    "in a temporary folder for a throwaway one)"
                )
            if not url.lower().startswith("sqlite:///") or len(url) <= len("sqlite:///"):
                raise SettingsError(
                    f"bad SQLite URL {redacted_url(url)!r}: use sqlite:///relative/path.db or "
                    "sqlite:////absolute/path.db"
                )
            if "?" in url or "#" in url:
                # In a URL, ?... is a query and #... a fragment: taking them as part of the file name
                # would open (and create) a database nobody asked for, named h.db?mode=ro.
                raise SettingsError(
                    f"bad SQLite URL {redacted_url(url)!r}: it takes no query string (?...) or fragment "
                    "(#...), so no "
                    "SQLite URI options such as mode=ro and no ? or # in the file name; use "
                    "sqlite:///relative/path.db or sqlite:////absolute/path.db"
                )
            return cls(url=url, scheme="sqlite")
        if scheme in {"postgresql", "postgres"}:
            parsed = cls(url=url, scheme="postgresql")
            if not _names_a_database(url, os.environ if environ is None else environ):
                raise SettingsError(
                    f"the PostgreSQL URL {parsed.redacted()!r} names no database, and libpq would pick "
                    "one by itself (a database named as the user); hours migrates the database it is "
                    "given, so name it: postgresql://user@host:5432/dbname (or set PGDATABASE)"
                )
            return parsed
        raise SettingsError(
            f"unsupported database URL {redacted_url(url)!r}: use sqlite:///path.db or postgresql://..."
        )

    @property
    def sqlite_path(self) -> pathlib.Path:
        """The file of a ``sqlite:///`` URL (three slashes: relative; four: absolute)."""
        if self.scheme != "sqlite":
            raise SettingsError(f"{self.redacted()!r} is not a SQLite URL")
        return pathlib.Path(self.url[len("sqlite:///") :])

    def redacted(self) -> str:
        """The URL without its password, for logs: ``***`` for the password of ``user:password@``
        and for the value of a ``password`` or ``sslpassword`` parameter in the query string, which
        libpq takes too (``?password=...``)."""
        return redacted_url(self.url)


_SECRET_PARAMETERS = frozenset({"password", "sslpassword"})
"""The libpq connection parameters whose values are secrets (a URL may carry them in its query)."""


def redacted_url(url: str) -> str:
    """``url`` with its password replaced by ``***`` wherever a URL can carry one (see
    :meth:`DatabaseUrl.redacted`); the rest exactly as written (``postgresql:///db`` keeps its empty
    host, which rebuilding the URL from its parts would drop)."""
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:  # a port that is not a number, a bad IPv6 host: nothing to say where it is
        return "(a URL that cannot be read)"
    head, question, rest = url.partition("?")
    query, hash_mark, fragment = rest.partition("#")
    if question == "":
        head, hash_mark, fragment = url.partition("#")
    if password is not None:
        head = head.replace(parts.netloc, parts.netloc.replace(f":{password}@", ":***@"), 1)
    pairs = []
    for pair in query.split("&") if query else []:
        name, equals, _value = pair.partition("=")
        pairs.append(f"{name}=***" if equals and unquote(name).lower() in _SECRET_PARAMETERS else pair)
    return head + question + "&".join(pairs) + hash_mark + fragment


@attrs.frozen
class Settings:
    """Everything the server and the CLI need to know."""

    database: DatabaseUrl = attrs.field(factory=lambda: DatabaseUrl.parse(DEFAULT_DATABASE_URL))
    token_env: str = "live"
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    log_level: str = "info"
    sqlite_synchronous: str = "full"
    rate_limit: str | None = None
    auth_failure_limit: str = "60/min"
    """Failed authentications per client address, or ``off`` (``hours serve``)."""
    header_timeout: float = 10.0
    """Seconds a client has to send a request's line and headers (``hours serve``)."""
    body_timeout: float = DEFAULT_BODY_TIMEOUT
    """Seconds a request's body may pause (no byte of it arriving) before the request is answered
    408 and its connection closed (``hours serve``)."""
    max_header_bytes: int = 64 * 1024
    """The largest request line plus headers; larger ones get 431 (``hours serve``)."""
    max_connections: int = 512
    """Open connections per worker process; more wait in the listen backlog (``hours serve``)."""
    auth_cache_seconds: float = 1.0
    """Seconds an authenticated token's caller is served from memory without a read (0: off). A
    revocation or other change is seen at once by the process that made it, within this by others
    (``HOURS_AUTH_CACHE_SECONDS`` / ``--auth-cache-seconds``, 0 to 60; ``hours serve``)."""
    web_secure_cookies: bool = False
    """Whether the web app's cookies are always ``Secure``, even over plain HTTP to a loopback host
    (``HOURS_WEB_SECURE_COOKIES=1`` / ``--web-secure-cookies``; for a server behind a TLS proxy,
    docs/operations.md; ``hours serve``)."""
    webhooks_allow_http: bool = False
    """Whether webhook URLs may be plain ``http`` (``HOURS_WEBHOOKS_ALLOW_HTTP=1``; development only)."""
    webhooks_allow_private: bool = False
    """Whether webhooks may call loopback, private, link-local and other internal addresses
    (``HOURS_WEBHOOKS_ALLOW_PRIVATE=1``; development, tests with a local receiver)."""

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str] | None = None,
        *,
        listening: bool = True,
        ignored: Callable[[str], None] | None = None,
        **overrides: object,
    ) -> Settings:
        """Settings from ``HOURS_*`` environment variables, then ``overrides`` (flags) on top; a
        variable whose flag is given is not read.

        A command that does not listen (``listening=False``: every command but ``hours serve``)
        keeps the default of each :data:`SERVER_SETTINGS` variable that cannot work, and tells
        ``ignored`` why, instead of refusing to run: it does not use them."""
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        if "HOURS_DATABASE_URL" in env and overrides.get("database") is None:  # --db wins, unread
            values["database"] = DatabaseUrl.parse(env["HOURS_DATABASE_URL"], env)
        for name, variable in _ENV_VARIABLES.items():
            if variable not in env or overrides.get(name) is not None:  # unset, or the flag wins
                continue
            try:
                values[name] = _from_variable(name, env[variable])
            except SettingsError as error:
                if listening or name not in SERVER_SETTINGS:
                    raise
                if ignored is not None:
                    ignored(f"{error}; {_IGNORED}")
        for name, value in overrides.items():
            if value is None:
                continue
            values[name] = DatabaseUrl.parse(str(value), env) if name == "database" else value
        if "sqlite_synchronous" in values:
            values["sqlite_synchronous"] = _synchronous(str(values["sqlite_synchronous"]))
        if "token_env" in values:
            _check_token_env(str(values["token_env"]))
        settings = cls(**values)  # type: ignore[arg-type]
        settings.parsed_rate_limit()
        settings.parsed_auth_failure_limit()
        settings.check_server_limits()
        return settings

    def check_server_limits(self) -> None:
        """:class:`SettingsError` when a connection limit of ``hours serve``, or its authentication
        cache's seconds, is out of its range."""
        for name, unit in (
            ("port", ""),
            ("workers", " processes"),
            ("header_timeout", " seconds"),
            ("body_timeout", " seconds"),
            ("max_header_bytes", " bytes"),
            ("max_connections", ""),
            ("auth_cache_seconds", " seconds"),
        ):
            low, high = SERVER_LIMIT_RANGES[name]
            value = getattr(self, name)
            if not low <= value <= high:
                flag = "--" + name.replace("_", "-")
                raise SettingsError(
                    f"{_ENV_VARIABLES[name]} / {flag} must be {low} to {high}{unit}, got {value}"
                )

    def parsed_rate_limit(self) -> RateLimit | None:
        """The per-user rate limit, or ``None``; :class:`SettingsError` when it is malformed."""
        if not self.rate_limit:
            return None
        try:
            return parse_rate_limit(self.rate_limit)
        except ValueError as error:
            raise SettingsError(f"HOURS_RATE_LIMIT / --rate-limit: {error}") from None

    def parsed_auth_failure_limit(self) -> RateLimit | None:
        """The limit of failed authentications per client address, or ``None`` for ``off``;
        :class:`SettingsError` when it is malformed."""
        if self.auth_failure_limit.strip().lower() == "off":
            return None
        try:
            return parse_rate_limit(self.auth_failure_limit)
        except ValueError as error:
            raise SettingsError(
                f"HOURS_AUTH_FAILURE_LIMIT / --auth-failure-limit: {error} (or off)"
            ) from None

    def to_env(self) -> dict[str, str]:
        """These settings as environment variables (to hand them to worker processes)."""
        env = {"HOURS_DATABASE_URL": self.database.url}
        for name, variable in _ENV_VARIABLES.items():
            value = getattr(self, name)
            if isinstance(value, bool):
                env[variable] = "1" if value else "0"
            elif value is not None:
                env[variable] = str(value)
        return env


@attrs.frozen
class EnvironmentVariable:
    """One ``HOURS_*`` variable: the setting it gives, its name, and what it is for (``hours --help``)."""

    setting: str
    name: str
    summary: str


ENVIRONMENT: tuple[EnvironmentVariable, ...] = (
    EnvironmentVariable("database", "HOURS_DATABASE_URL", "the default for --db"),
    EnvironmentVariable("token_env", "HOURS_ENV", "the default for --env (live)"),
    EnvironmentVariable("host", "HOURS_HOST", "hours serve --host (127.0.0.1)"),
    EnvironmentVariable("port", "HOURS_PORT", "hours serve --port (8000)"),
    EnvironmentVariable("workers", "HOURS_WORKERS", "hours serve --workers (1)"),
    EnvironmentVariable("log_level", "HOURS_LOG_LEVEL", "hours serve --log-level (info)"),
    EnvironmentVariable(
        "sqlite_synchronous", "HOURS_SQLITE_SYNCHRONOUS", f"{' or '.join(SQLITE_SYNCHRONOUS_LEVELS)} (full)"
    ),
    EnvironmentVariable("rate_limit", "HOURS_RATE_LIMIT", "hours serve --rate-limit (none)"),
    EnvironmentVariable(
        "auth_failure_limit", "HOURS_AUTH_FAILURE_LIMIT", "hours serve --auth-failure-limit (60/min)"
    ),
    EnvironmentVariable("header_timeout", "HOURS_HEADER_TIMEOUT", "hours serve --header-timeout (10)"),
    EnvironmentVariable("body_timeout", "HOURS_BODY_TIMEOUT", "hours serve --body-timeout (30)"),
    EnvironmentVariable(
        "max_header_bytes", "HOURS_MAX_HEADER_BYTES", "hours serve --max-header-bytes (65536)"
    ),
    EnvironmentVariable("max_connections", "HOURS_MAX_CONNECTIONS", "hours serve --max-connections (512)"),
    EnvironmentVariable(
        "auth_cache_seconds", "HOURS_AUTH_CACHE_SECONDS", "hours serve --auth-cache-seconds (1)"
    ),
    EnvironmentVariable(
        "web_secure_cookies", "HOURS_WEB_SECURE_COOKIES", "1: web cookies are Secure (behind a TLS proxy)"
    ),
    EnvironmentVariable("webhooks_allow_http", "HOURS_WEBHOOKS_ALLOW_HTTP", "1: webhooks may use http"),
    EnvironmentVariable(
        "webhooks_allow_private", "HOURS_WEBHOOKS_ALLOW_PRIVATE", "1: webhooks may call internal addresses"
    ),
)
"""Every environment variable hours reads: the settings' table, and ``hours --help``'s."""

_ENV_VARIABLES = {
    variable.setting: variable.name for variable in ENVIRONMENT if variable.setting != "database"
}

MAX_WORKERS = 256
"""The most worker processes ``hours serve`` starts: each is a whole server (about 70 MB, its own
connections and database pool), and the supervisor holds pipes to each; more than a large
machine's cores buys nothing."""

SERVER_LIMIT_RANGES: Mapping[str, tuple[int | float, int | float]] = {
    "port": (0, 65535),  # 0: the system picks a free port
    "workers": (1, MAX_WORKERS),
    "header_timeout": (0.1, 60),
    "body_timeout": (0.1, 600),
    "max_header_bytes": (8 * 1024, 1024 * 1024),
    "max_connections": (1, 100_000),
    "auth_cache_seconds": (0, 60),  # 0 turns the authentication cache off
}
"""The accepted range of the port, the workers and each connection limit (the server stack's own
bounds: granian's header read timeout is 1 ms to 60 s, its buffer at least 8 KiB)."""


SERVER_SETTINGS = frozenset(
    {
        "host",
        "port",
        "workers",
        "log_level",
        "rate_limit",
        "auth_failure_limit",
        "header_timeout",
        "body_timeout",
        "max_header_bytes",
        "max_connections",
        "auth_cache_seconds",
        "web_secure_cookies",
    }
)
"""The settings of the server that ``hours serve`` runs, which no other command uses (``hours
bootstrap`` prints the host and the port in its summary): a value of their variables that cannot
work stops ``hours serve`` alone (:meth:`Settings.from_env`)."""


_IGNORED = "ignored by this command, which does not listen (hours serve refuses it)"


def _from_variable(name: str, value: str) -> object:
    """The setting ``name`` from its variable's ``value``: parsed, and for one of
    :data:`SERVER_SETTINGS`, checked on its own (its range, the rate limit's form);
    :class:`SettingsError` when it cannot work."""
    variable = _ENV_VARIABLES[name]
    parsed: object = value
    if name in ("port", "workers", "max_header_bytes", "max_connections"):
        parsed = _integer(value, variable)
    elif name in ("web_secure_cookies", "webhooks_allow_http", "webhooks_allow_private"):
        parsed = _switch(value, variable)
    elif name in ("header_timeout", "body_timeout", "auth_cache_seconds"):
        parsed = _seconds(value, variable)
    if name in SERVER_SETTINGS:
        alone = Settings(**{name: parsed})  # type: ignore[arg-type]
        alone.check_server_limits()
        alone.parsed_rate_limit()
        alone.parsed_auth_failure_limit()
    return parsed


def _integer(value: str, variable: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise SettingsError(f"{variable} must be a whole number, got {value!r}") from None


_SWITCHES = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False, "": False}


def _switch(value: str, variable: str) -> bool:
    """An on/off setting: ``1``, ``true`` or ``yes`` is on; ``0``, ``false``, ``no`` or empty is off."""
    try:
        return _SWITCHES[value.strip().lower()]
    except KeyError:
        raise SettingsError(f"{variable} must be 1 or 0 (true/false, yes/no), got {value!r}") from None


def _seconds(value: str, variable: str) -> float:
    """A number of seconds (NaN and infinities fail the range check that follows)."""
    try:
        return float(value)
    except ValueError:
        raise SettingsError(f"{variable} must be a number of seconds, got {value!r}") from None


def _synchronous(value: str) -> str:
    """``HOURS_SQLITE_SYNCHRONOUS``, lowercased, if it is one of :data:`SQLITE_SYNCHRONOUS_LEVELS`."""
    level = value.strip().lower()
    if level not in SQLITE_SYNCHRONOUS_LEVELS:
        raise SettingsError(
            f"HOURS_SQLITE_SYNCHRONOUS must be {' or '.join(SQLITE_SYNCHRONOUS_LEVELS)}, got {value!r}"
        )
    return level


def _check_token_env(value: str) -> None:
    """A token environment (``HOURS_ENV`` / ``--env``): the rule of :data:`hours_core.tokens.ENV_PATTERN`."""
    if ENV_PATTERN.fullmatch(value) is None:
        raise SettingsError(
            f"HOURS_ENV / --env must be 2 to 16 lowercase letters or digits, starting with a letter "
            f"(e.g. live, test, staging2), got {value!r}"
        )


def _names_a_database(url: str, environ: Mapping[str, str]) -> bool:
    """Whether a PostgreSQL URL, or the libpq variables beside it, name the database to use."""
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    return bool(
        parts.path.strip("/")
        or query.get("dbname")
        or query.get("service")
        or environ.get("PGDATABASE")
        or environ.get("PGSERVICE")
    )
