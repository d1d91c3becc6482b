"""The access log's handler: JSON lines on a stream, written in batches rather than one by one.

One access line per request made the log the largest single cost of a replayed write: a
:class:`logging.LogRecord`, a formatter, a lock and a ``write`` and ``flush`` system call each
(docs/performance.md, "Performance round 7"). :class:`AccessLineHandler` keeps the lines of a
process in memory and writes them together:

* at most :data:`FLUSH_SECONDS` after a line was handed to it (a background thread of the
  process writes what waits), or at once when :data:`MAX_PENDING_BYTES` are waiting (then by the
  thread that added the last line, which is the back-pressure a slow stdout puts on requests);
* when it is flushed: at the end of the server's lifespan (the access middleware flushes after
  the app's shutdown, when every request is answered; this is what writes a granian worker's last
  lines, since its process ends with ``os._exit``, without :func:`logging.shutdown`), at exit in a
  process that exits normally (:func:`logging.shutdown`), and by anyone who calls
  :meth:`~AccessLineHandler.flush`.

What a crash can lose is the lines of the last :data:`FLUSH_SECONDS` (a process killed with
``SIGKILL``, or one that does not finish its lifespan); the requests themselves are not affected.
Lines are taken from memory under the handler's lock and written under another, so adding a line
never waits for a write in progress unless the batch is full. The access middleware hands its
lines straight to :meth:`~AccessLineHandler.write_line` when this handler, with the JSON
formatter, is the access logger's only one, with no ``LogRecord``; a record that reaches it through
:mod:`logging` (another configuration, another caller) is formatted by its formatter and joins the
same batch.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from typing import IO

__all__ = ["FLUSH_SECONDS", "MAX_PENDING_BYTES", "AccessLineHandler"]

FLUSH_SECONDS = 0.1
"""The longest a line waits in memory before it is written."""

MAX_PENDING_BYTES = 64 * 1024
"""Lines waiting (counted in characters) that are written at once, without waiting for the timer."""


class AccessLineHandler(logging.Handler):
    """Writes JSON lines to ``stream`` (stdout by default) in batches; see the module.

    Safe to use from several threads, and in a process forked after it was used: a child starts
    with no lines of its parent's (the parent writes them) and a flushing thread of its own.
    """

    def __init__(
        self,
        stream: IO[str] | None = None,
        *,
        flush_seconds: float = FLUSH_SECONDS,
        max_pending: int = MAX_PENDING_BYTES,
    ) -> None:
        super().__init__()
        if flush_seconds <= 0 or max_pending < 1:
            raise ValueError("flush_seconds must be positive and max_pending at least 1")
        self.stream: IO[str] = sys.stdout if stream is None else stream
        self.flush_seconds = flush_seconds
        self.max_pending = max_pending
        self._pending: list[str] = []
        self._pending_chars = 0
        self._owner_pid = -1  # the process whose flushing thread runs; none yet
        self._stop = threading.Event()
        self._writing = threading.Lock()
        """Held while a batch is taken and written, so that batches reach the stream in order."""

    def emit(self, record: logging.LogRecord) -> None:
        """Format ``record`` and add it to the batch."""
        try:
            self.write_line(self.format(record))
        except Exception:
            self.handleError(record)

    def write_line(self, line: str) -> None:
        """Add one line (without its newline) to the batch; write the batch if it is full."""
        with self.lock:  # type: ignore[union-attr]  # logging.Handler always makes it
            if self._owner_pid != os.getpid():
                self._adopt_process()
            self._pending.append(line)
            self._pending_chars += len(line) + 1
            full = self._pending_chars >= self.max_pending
        if full:
            self.flush()

    def flush(self) -> None:
        """Write every waiting line and flush the stream."""
        with self._writing:
            with self.lock:  # type: ignore[union-attr]
                if self._owner_pid != os.getpid() or not self._pending:
                    return
                text = "\n".join(self._pending) + "\n"
                self._pending.clear()
                self._pending_chars = 0
            self._write(text)

    def close(self) -> None:
        """Write what waits and stop the flushing thread."""
        try:
            self.flush()
        finally:
            self._stop.set()
            super().close()

    def _adopt_process(self) -> None:
        """First use in this process: drop lines copied from a parent, start the flushing thread."""
        self._pending.clear()
        self._pending_chars = 0
        self._owner_pid = os.getpid()
        self._stop = threading.Event()
        threading.Thread(
            target=self._flush_periodically, args=(self._stop,), name="hours-access-log", daemon=True
        ).start()

    def _flush_periodically(self, stop: threading.Event) -> None:
        while not stop.wait(self.flush_seconds):
            self.flush()

    def _write(self, text: str) -> None:
        """Write one batch. A stream that fails loses the batch, reported once through
        :meth:`logging.Handler.handleError`, as a failed ``emit`` would."""
        try:
            self.stream.write(text)
            self.stream.flush()
        except Exception:
            self.handleError(_failed_write_record(text))


def _failed_write_record(text: str) -> logging.LogRecord:
    """What :meth:`logging.Handler.handleError` reports when a batch could not be written."""
    message = f"could not write {text.count(chr(10))} access lines"
    return logging.LogRecord("hours.access", logging.ERROR, __file__, 0, message, None, None)
