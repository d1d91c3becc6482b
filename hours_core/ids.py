"""Identifier factories. hours uses UUIDv7: time-ordered, so new rows land at the end of an index."""

from __future__ import annotations

import os
import threading
import time
import uuid

__all__ = ["SequentialIds", "UuidV7Ids", "uuid7"]


class _Monotonic:
    """Keeps UUIDv7 values strictly increasing within a process, even within one millisecond."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last_ms = -1
        self._counter = 0

    def next(self) -> uuid.UUID:
        with self._lock:
            ms = time.time_ns() // 1_000_000
            if ms <= self._last_ms:
                ms = self._last_ms
                self._counter += 1
                if self._counter >= 1 << 12:  # the 12-bit counter overflowed: borrow the next millisecond
                    ms += 1
                    self._counter = 0
            else:
                self._counter = int.from_bytes(os.urandom(2)) & 0x3FF  # leave room to count up
            self._last_ms = ms
            counter = self._counter
        tail = int.from_bytes(os.urandom(8)) & ((1 << 62) - 1)
        value = (ms & ((1 << 48) - 1)) << 80 | 0x7 << 76 | counter << 64 | 0b10 << 62 | tail
        return uuid.UUID(int=value)


_process_sequence = _Monotonic()


def uuid7() -> uuid.UUID:
    """A new RFC 9562 version 7 UUID (millisecond Unix time, then a counter and random bits)."""
    return _process_sequence.next()


class UuidV7Ids:
    """The production id factory."""

    def new_id(self) -> uuid.UUID:
        """A new, time-ordered, globally unique id."""
        return uuid7()


class SequentialIds:
    """Predictable ids (``00000000-0000-0000-0000-000000000001``, ...) for tests and examples."""

    def __init__(self, start: int = 1) -> None:
        self._next = start
        self._lock = threading.Lock()

    def new_id(self) -> uuid.UUID:
        """The next id in sequence."""
        with self._lock:
            value, self._next = self._next, self._next + 1
        return uuid.UUID(int=value)
