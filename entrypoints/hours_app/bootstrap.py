"""The old name of :mod:`hours_app.composition`, kept for one import in ``tests/contract``.

Remove it once ``tests/contract/test_postgres_store.py`` imports ``hours_app.composition``.
"""

from hours_app.composition import open_store

__all__ = ["open_store"]
