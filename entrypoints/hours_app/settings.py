"""Settings: the only place that reads ``os.environ``.

Every setting has a command-line flag (see ``hours --help``) and an environment variable; the
flag wins. ``HOURS_DATABASE_URL`` picks the store:

- ``sqlite:///hours.db`` — a file relative to the current folder (the default);
- ``sqlite:////var/lib/hours/hours.db`` — an absolute path (four slashes);
- ``postgresql://user@host:5432/dbname`` — PostgreSQL, for several processes or machines.
"""

from __future__ import annotations

import os
import pathlib
from collections.abc import Mapping
from urllib.parse import urlsplit

import attrs

from hours_http.rate_limit import RateLimit, parse_rate_limit

__all__ = ["DEFAULT_DATABASE_URL", "DatabaseUrl", "Settings", "SettingsError"]

DEFAULT_DATABASE_URL = "sqlite:///hours.db"


class SettingsError(ValueError):
    """A setting has a value that cannot work; the message says which and why."""


@attrs.frozen
class DatabaseUrl:
    """A parsed database URL."""

    url: str
    scheme: str

    @classmethod
    def parse(cls, url: str) -> DatabaseUrl:
        """Check ``url`` names a store hours supports."""
        scheme = urlsplit(url).scheme.lower()
        if scheme == "sqlite":
            if not url.lower().startswith("sqlite:///") or len(url) <= len("sqlite:///"):
                raise SettingsError(
                    f"bad SQLite URL {url!r}: use sqlite:///relative/path.db or sqlite:////absolute/path.db"
                )
            return cls(url=url, scheme="sqlite")
        if scheme in {"postgresql", "postgres"}:
            return cls(url=url, scheme="postgresql")
        raise SettingsError(f"unsupported database URL {url!r}: use sqlite:///path.db or postgresql://...")

    @property
    def sqlite_path(self) -> pathlib.Path:
        """The file of a ``sqlite:///`` URL (three slashes: relative; four: absolute)."""
        if self.scheme != "sqlite":
            raise SettingsError(f"{self.url!r} is not a SQLite URL")
        return pathlib.Path(self.url[len("sqlite:///") :])

    def redacted(self) -> str:
        """The URL without its password, for logs."""
        parts = urlsplit(self.url)
        if parts.password is None:
            return self.url
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return parts._replace(netloc=netloc).geturl()


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

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Settings from ``HOURS_*`` environment variables, then ``overrides`` (flags) on top."""
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        if "HOURS_DATABASE_URL" in env:
            values["database"] = DatabaseUrl.parse(env["HOURS_DATABASE_URL"])
        for name, variable in _ENV_VARIABLES.items():
            if variable in env:
                values[name] = env[variable]
        for name in ("port", "workers"):
            if name in values:
                values[name] = _integer(str(values[name]), _ENV_VARIABLES[name])
        for name, value in overrides.items():
            if value is None:
                continue
            values[name] = DatabaseUrl.parse(str(value)) if name == "database" else value
        settings = cls(**values)  # type: ignore[arg-type]
        settings.parsed_rate_limit()
        return settings

    def parsed_rate_limit(self) -> RateLimit | None:
        """The per-token rate limit, or ``None``; :class:`SettingsError` when it is malformed."""
        if not self.rate_limit:
            return None
        try:
            return parse_rate_limit(self.rate_limit)
        except ValueError as error:
            raise SettingsError(f"HOURS_RATE_LIMIT / --rate-limit: {error}") from None

    def to_env(self) -> dict[str, str]:
        """These settings as environment variables (to hand them to worker processes)."""
        env = {"HOURS_DATABASE_URL": self.database.url}
        for name, variable in _ENV_VARIABLES.items():
            value = getattr(self, name)
            if value is not None:
                env[variable] = str(value)
        return env


_ENV_VARIABLES = {
    "token_env": "HOURS_ENV",
    "host": "HOURS_HOST",
    "port": "HOURS_PORT",
    "workers": "HOURS_WORKERS",
    "log_level": "HOURS_LOG_LEVEL",
    "sqlite_synchronous": "HOURS_SQLITE_SYNCHRONOUS",
    "rate_limit": "HOURS_RATE_LIMIT",
}


def _integer(value: str, variable: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise SettingsError(f"{variable} must be a whole number, got {value!r}") from None
