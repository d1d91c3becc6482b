"""In-memory storage adapter: every port on dictionaries, for tests and embedding."""

from hours_memory.store import InMemoryStore, InMemoryUnitOfWork

__all__ = ["InMemoryStore", "InMemoryUnitOfWork"]
