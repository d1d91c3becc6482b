"""The HTTP adapter: a Litestar app over the core's services.

Its names are loaded when first used, so that importing one of its small modules (the request id,
which the access log of ``hours serve``'s supervisor uses) does not load Litestar and the whole app:
the supervisor, which only starts and stops workers, stays small (docs/performance.md).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hours_http.app import MAX_BODY_BYTES, create_app
    from hours_http.event_bodies import JsonEventBodies

__all__ = ["MAX_BODY_BYTES", "JsonEventBodies", "create_app"]

_HOMES = {
    "MAX_BODY_BYTES": "hours_http.app",
    "create_app": "hours_http.app",
    "JsonEventBodies": "hours_http.event_bodies",
}


if not TYPE_CHECKING:  # the checker sees the names above, and refuses a misspelled one

    def __getattr__(name: str) -> Any:
        """``hours_http.create_app`` and the other public names, imported from their module on first use."""
        home = _HOMES.get(name)
        if home is None:
            raise AttributeError(f"module 'hours_http' has no attribute {name!r}")
        value = getattr(importlib.import_module(home), name)
        globals()[name] = value
        return value
