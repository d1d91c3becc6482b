"""What the writers take: one :class:`ExportRow` per time entry, with the names and money beside it.

The export use case builds these from a streamed query (the entry with its user, project, task
and client, and the rate the entry stored), so the writers never look anything up. The class
belongs to the core (:mod:`hours_core.exchange`); this module names it for the writers.
"""

from __future__ import annotations

from hours_core.exchange import ExportRow

__all__ = ["ExportRow"]
