"""Waiting, in tests, for something another thread or process does: bounded, never a deadline."""

from __future__ import annotations

import time
from collections.abc import Callable

__all__ = ["eventually"]

PAUSE_SECONDS = 0.01


def eventually(check: Callable[[], bool], attempts: int = 500) -> bool:
    """Whether ``check()`` becomes true within ``attempts`` short pauses (a guard against a hang,
    not a claim about how long anything takes)."""
    for _ in range(attempts):
        if check():
            return True
        time.sleep(PAUSE_SECONDS)
    return check()
