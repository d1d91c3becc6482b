"""The contract of the installation's secrets, for every store: made once, kept, shared."""

from __future__ import annotations

import threading

from hours_core.clock import FixedClock
from hours_core.installation import CURSOR_SECRET, SECRET_BYTES, InstallationSecret
from hours_core.services.installation import InstallationService
from hours_core.services.transactions import Transactions

from .conftest import T0, OpenStore


def test_a_secret_is_absent_until_added_then_read_back(store: OpenStore) -> None:
    with store.unit_of_work(read_only=True) as uow:
        assert uow.installation.get("cursors") is None
    secret = InstallationSecret.new("cursors", T0)
    with store.unit_of_work() as uow:
        assert uow.installation.add_unless_present(secret) == secret
        uow.commit()
    with store.unit_of_work(read_only=True) as uow:
        assert uow.installation.get("cursors") == secret
        assert uow.installation.get("other") is None


def test_the_first_secret_of_a_name_stays(store: OpenStore) -> None:
    first, second = InstallationSecret.new("cursors", T0), InstallationSecret.new("cursors", T0)
    assert first.secret != second.secret
    for secret in (first, second):
        with store.unit_of_work() as uow:
            assert uow.installation.add_unless_present(secret) == first
            uow.commit()


def test_an_uncommitted_secret_is_rolled_back(store: OpenStore) -> None:
    with store.unit_of_work() as uow:
        uow.installation.add_unless_present(InstallationSecret.new("cursors", T0))
    with store.unit_of_work(read_only=True) as uow:
        assert uow.installation.get("cursors") is None


def test_processes_that_make_the_secret_at_once_agree_on_one(store: OpenStore) -> None:
    services = [InstallationService(Transactions(store.unit_of_work), FixedClock(T0)) for _ in range(6)]
    found: list[bytes] = []
    barrier = threading.Barrier(len(services))

    def make(service: InstallationService) -> None:
        barrier.wait()
        found.append(service.secret("cursors"))

    threads = [threading.Thread(target=make, args=(service,)) for service in services]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(found) == len(services) and len(set(found)) == 1
    assert len(found[0]) == SECRET_BYTES
    assert services[0].secret("cursors") == found[0]


def test_preparing_stores_the_cursor_key_once_and_processes_that_prepare_at_once_agree(
    store: OpenStore,
) -> None:
    """A server's startup (and hours migrate) prepares the secrets, so that serving never writes
    one; N workers or hosts that start at once store one key, and preparing again changes nothing."""
    services = [InstallationService(Transactions(store.unit_of_work), FixedClock(T0)) for _ in range(6)]
    barrier = threading.Barrier(len(services))

    def prepare(service: InstallationService) -> None:
        barrier.wait()
        service.prepare()

    threads = [threading.Thread(target=prepare, args=(service,)) for service in services]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with store.unit_of_work(read_only=True) as uow:
        stored = uow.installation.get(CURSOR_SECRET)
    assert stored is not None
    services[0].prepare()
    with store.unit_of_work(read_only=True) as uow:
        assert uow.installation.get(CURSOR_SECRET) == stored
    assert {service.secret(CURSOR_SECRET) for service in services} == {stored.secret}
