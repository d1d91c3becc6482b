"""The installed version of hours, for ``hours --version``, the startup log and the OpenAPI document."""

from __future__ import annotations

from importlib import metadata

__all__ = ["hours_version"]

_FALLBACK = "0.0.0+unknown"


def hours_version() -> str:
    """The version of the installed ``hours`` distribution (a placeholder when run from a bare checkout)."""
    try:
        return metadata.version("hours")
    except metadata.PackageNotFoundError:
        return _FALLBACK
