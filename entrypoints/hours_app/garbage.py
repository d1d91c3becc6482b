"""What a process keeps until it exits, left out of the cyclic garbage collector's passes."""

from __future__ import annotations

import gc

__all__ = ["freeze_what_lasts"]


def freeze_what_lasts() -> None:
    """Collect the garbage made so far, then move every object left to the collector's permanent
    generation (:func:`gc.freeze`).

    Call it once the process has built what it keeps until it exits (the modules, the store, the
    services, an app and its routes). Python's cyclic collector runs as later work allocates and,
    in each full pass, walked those hundreds of thousands of objects, although none of them ever
    becomes garbage: a few percent of a create's CPU in a server's worker, and of an import's in
    ``hours import`` (a full pass every 4,000 rows or so). Objects made later are collected as
    before.
    """
    gc.collect()
    gc.freeze()
