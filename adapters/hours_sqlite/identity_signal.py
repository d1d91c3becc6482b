"""The identity signal of a SQLite database: eight bytes in a file beside it, shared by its processes.

Every process that opens ``hours.db`` (the workers of ``hours serve --workers N``, ``hours worker``,
each ``hours`` command) maps ``hours.db-identity`` into memory. A process that commits a change of
an org, a user or a token writes eight new random bytes there once the change is durable, before
its request is answered; every process reads the eight bytes before it serves a caller from its
authentication cache, and empties the cache when they changed (:mod:`hours_core.services.identity_cache`).
So a deactivation made by one worker, or by the CLI, holds on the very next request to any other
worker, at the cost of reading eight bytes of shared memory per request.

Processes that share a SQLite file share a machine (SQLite's locking needs it), so a shared memory
page reaches them all. Reading never blocks and never fails once the file is mapped; eight new
random bytes differ from the old ones (a torn read during a write can only look like a change too:
one needless refill of the cache). The file is created when missing, with eight zero bytes; like
``hours.db-wal`` and ``hours.db-shm`` it belongs to the open database (deleting it while processes
run leaves those processes on the old file, with the cache's one-second bound only), and a backup
does not need it.
"""

from __future__ import annotations

import mmap
import os
import secrets
from pathlib import Path

__all__ = ["SIGNAL_BYTES", "FileIdentitySignal", "signal_path"]

SIGNAL_BYTES = 8


def signal_path(database: Path) -> Path:
    """Where the signal of the database file ``database`` lives: ``<database>-identity``."""
    return database.with_name(database.name + "-identity")


class FileIdentitySignal:
    """An :class:`~hours_core.ports.IdentitySignal` in a memory-mapped file (see the module)."""

    def __init__(self, path: Path, *, mode: int = 0o600) -> None:
        """Map the file at ``path``, made with ``mode`` (less the umask) when missing; raises
        ``OSError`` when it cannot be opened for reading and writing, or its bytes have no disk
        block and the disk has none left."""
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, mode)
        try:
            if os.fstat(descriptor).st_size < SIGNAL_BYTES:
                os.ftruncate(descriptor, SIGNAL_BYTES)  # new bytes read as zeros
            # The bytes get their disk block now (a file made by ftruncate has none): a mapped page
            # without one that a read or write touches on a full disk kills the process (SIGBUS),
            # where this raises ENOSPC. It keeps the bytes there, which another process may move.
            if hasattr(os, "posix_fallocate"):  # not on macOS
                os.posix_fallocate(descriptor, 0, SIGNAL_BYTES)
            self._map = mmap.mmap(descriptor, SIGNAL_BYTES)
        finally:
            os.close(descriptor)  # the mapping keeps the file
        self.path = path

    @classmethod
    def beside(cls, database: Path) -> FileIdentitySignal:
        """The signal of the database file ``database``: beside the file the path leads to (as
        SQLite's ``-wal`` and ``-shm``, so a symbolic link and its target share one), made with the
        database's permissions, so that whoever may write the database may open it."""
        target = database.resolve()
        try:
            mode = target.stat().st_mode & 0o666
        except FileNotFoundError:
            mode = 0o600
        return cls(signal_path(target), mode=mode)

    def current(self) -> int:
        """The eight bytes, as a number."""
        return int.from_bytes(self._map[:SIGNAL_BYTES], "little")

    def move(self) -> None:
        """Write eight new random bytes (never the ones there now)."""
        now = self._map[:SIGNAL_BYTES]
        fresh = secrets.token_bytes(SIGNAL_BYTES)
        while fresh == now:  # pragma: no cover - one chance in 2**64
            fresh = secrets.token_bytes(SIGNAL_BYTES)
        self._map[:SIGNAL_BYTES] = fresh

    def close(self) -> None:
        """Unmap the file (the store's ``close``)."""
        self._map.close()
