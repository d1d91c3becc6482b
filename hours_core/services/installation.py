"""The installation's secrets, made ahead (:meth:`InstallationService.prepare`) or on first use (see
:mod:`hours_core.installation`)."""

from __future__ import annotations

from hours_core.installation import SECRETS, InstallationSecret
from hours_core.ports import Clock
from hours_core.services.transactions import Transactions

__all__ = ["InstallationService"]


class InstallationService:
    """Hands out the installation's named secrets."""

    def __init__(self, transactions: Transactions, clock: Clock) -> None:
        self._transactions = transactions
        self._clock = clock

    def secret(self, name: str) -> bytes:
        """The secret named ``name``: read if any process made it, else made now and stored.

        Two processes that make it at once store one: the second insert finds the first's row and
        both return the stored secret.
        """
        with self._transactions.read() as uow:
            found = uow.installation.get(name)
        if found is not None:
            return found.secret
        with self._transactions.write() as uow:
            stored = uow.installation.add_unless_present(InstallationSecret.new(name, self._clock.now()))
        return stored.secret

    def prepare(self) -> None:
        """Make every secret of :data:`~hours_core.installation.SECRETS` that is not stored yet, so
        that serving never has to write one: a list page with a next cursor then reads its key,
        also when the disk has filled up since. Nothing is written when all are stored; two
        processes that prepare at once store one of each, as :meth:`secret` does."""
        for name in SECRETS:
            self.secret(name)
