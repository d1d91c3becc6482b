"""Warnings of a write that succeeded: what the caller should know about what they just stored.

A use case that succeeds with a warning (an entry that overlaps others under the overlap policy
``warn``) calls :func:`warn`; whoever runs it and wants to pass the warnings on opens
:func:`collecting` around the call and reads the list it yields. Without a collector, warnings go
nowhere: callers that have no way to show them (imports, the command line) need not care.

The collector is a context variable, so concurrent requests (threads, tasks) never see each
other's warnings.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar

import attrs

__all__ = ["WriteWarning", "collecting", "warn"]


@attrs.frozen
class WriteWarning:
    """One warning: a stable snake_case ``code``, a ``message`` for a person, and ``details`` in the
    core's words (snake_case names and plain data, like :meth:`~hours_core.errors.HoursError.details`)."""

    code: str
    message: str
    details: Mapping[str, object] = attrs.field(factory=dict)


_collector: ContextVar[list[WriteWarning] | None] = ContextVar("hours_write_warnings", default=None)


@contextmanager
def collecting() -> Iterator[list[WriteWarning]]:
    """Collect the warnings of the writes run inside the block into the list it yields."""
    warnings: list[WriteWarning] = []
    token = _collector.set(warnings)
    try:
        yield warnings
    finally:
        _collector.reset(token)


def warn(warning: WriteWarning) -> None:
    """Pass ``warning`` to the innermost :func:`collecting` block, if one is open."""
    warnings = _collector.get()
    if warnings is not None:
        warnings.append(warning)
