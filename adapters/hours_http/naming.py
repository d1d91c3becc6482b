"""The one naming rule of the wire: a core attribute ``duration_seconds`` is the JSON member
``durationSeconds``. The converter (:mod:`hours_http.converter`) names every body member by it,
and error responses name every field the core reports by it (:mod:`hours_http.errors`).
"""

from __future__ import annotations

__all__ = ["json_name"]


def json_name(attribute: str) -> str:
    """The JSON name of a snake_case attribute: ``entry_date`` -> ``entryDate``, ``id`` -> ``id``."""
    head, *rest = attribute.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)
