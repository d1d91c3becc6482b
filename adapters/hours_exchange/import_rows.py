"""What the readers produce: one normalized :class:`ImportRow` per good source row, one
:class:`RejectedRow` (with its :class:`RowError` list) per bad one, and the limits they enforce.

The classes belong to the core (:mod:`hours_core.exchange`), whose import use case reads them;
this module names them for the readers.
"""

from __future__ import annotations

from hours_core.exchange import (
    DEFAULT_LIMITS,
    DateFormat,
    ImportLimits,
    ImportRow,
    ImportSource,
    RejectedRow,
    RowError,
    utc_or_none,
)

__all__ = [
    "DEFAULT_LIMITS",
    "DateFormat",
    "ImportLimits",
    "ImportRow",
    "ImportSource",
    "RejectedRow",
    "RowError",
    "utc_or_none",
]
