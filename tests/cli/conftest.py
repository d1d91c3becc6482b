"""What every test of the commands run in-process shares."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _heap_unfrozen_after_each_command() -> Iterator[None]:
    """``hours import`` and ``hours export`` freeze the process's heap out of the garbage
    collector's passes (:func:`hours_app.garbage.freeze_what_lasts`), as a command that exits
    soon may; run in the test process, that would keep the whole test session's cyclic garbage
    from then on. Each test gives the collector its heap back."""
    yield
    if gc.get_freeze_count():
        gc.unfreeze()
