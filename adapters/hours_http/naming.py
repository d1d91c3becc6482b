"""The one naming rule of the wire: a core attribute ``duration_seconds`` is the JSON member
``durationSeconds``. The converter (:mod:`hours_http.converter`) names every body member by it,
and error responses name every field the core reports by it (:mod:`hours_http.errors`), except
the attributes the wire nests in an object of their own (:data:`NESTED_FIELDS`), which an error
names by their path (``lockPolicy.afterDays``).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from types import MappingProxyType

__all__ = ["NESTED_FIELDS", "field_path", "json_name"]


@functools.lru_cache(maxsize=4096)  # attribute names: a few hundred; bounded for names an error echoes
def json_name(attribute: str) -> str:
    """The JSON name of a snake_case attribute: ``entry_date`` -> ``entryDate``, ``id`` -> ``id``."""
    head, *rest = attribute.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


NESTED_FIELDS: Mapping[str, str] = MappingProxyType({"lock_after_days": "lockPolicy.afterDays"})
"""Core attributes that a request body sends inside a nested object, and the path an error names
them by: ``PATCH /org`` sends the organization's ``lock_after_days`` as ``{"lockPolicy":
{"afterDays": N}}``. (An event still records the attribute by the naming rule: ``lockAfterDays``.)"""


def field_path(attribute: str) -> str:
    """How an error's ``fields`` (and its messages) name the core field ``attribute``: the member's
    path in the request body: ``entry_date`` -> ``entryDate``, ``entry_ids[2]`` -> ``entryIds[2]``,
    ``lock_after_days`` -> ``lockPolicy.afterDays``."""
    return NESTED_FIELDS.get(attribute) or json_name(attribute)
