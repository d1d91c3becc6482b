"""Writing the tokens' last uses in the background, so that no request waits for it.

:class:`~hours_core.services.Authenticator` notes a due use in memory
(:class:`~hours_core.services.token_use.LastUses`); :class:`LastUseWriter` writes what is noted
on a worker thread, one write at a time per app: a request schedules the writer and never awaits
it. While a write waits for a busy store (at most its busy or lock timeout), uses noted meanwhile
coalesce and go in the next write. A write the store refuses drops its uses (the core logs it);
anything else that goes wrong is logged here and dropped too, never raised into a request. At
shutdown the app writes what is still noted.
"""

from __future__ import annotations

import asyncio
import logging

from litestar.concurrency import sync_to_thread

from hours_core.services.token_use import LastUses

__all__ = ["LastUseWriter"]

_log = logging.getLogger(__name__)


class LastUseWriter:
    """Runs :meth:`LastUses.write` in the background until nothing is noted."""

    def __init__(self, last_uses: LastUses) -> None:
        self._last_uses = last_uses
        self._task: asyncio.Task[None] | None = None

    def schedule(self) -> None:
        """Start writing the noted uses unless a write is under way (it goes on while uses are
        noted). Call it on the event loop; it returns at once."""
        if self._last_uses.pending() and (self._task is None or self._task.done()):
            self._task = asyncio.get_running_loop().create_task(self._write_all())

    async def _write_all(self) -> None:
        while self._last_uses.pending():
            try:
                await sync_to_thread(self._last_uses.write)
            except Exception:  # best effort: log it, drop those uses, keep serving
                _log.exception("writing the last use of tokens failed")

    async def close(self) -> None:
        """Wait for a write under way, then write what is still noted (the app's shutdown hook)."""
        if self._task is not None:
            await self._task
        await self._write_all()
