"""``python -m bench.rate_limits [--postgres URL]``: what the shared rate limits cost per request.

In process, over a fresh store: the time of one lease write (a limit under 64, so every request
takes one unit from the store's counter: what an exact counter would cost every request), and the
average cost per request of one user sending 600 requests under ``600/min`` (leases of up to 18
units: about 30 writes). SQLite at ``synchronous=full`` in a temporary folder, and PostgreSQL in a
schema of its own when ``--postgres`` is given. Run it on a quiet machine; docs/operations.md
quotes a rough run.
"""

from __future__ import annotations

import argparse
import pathlib
import tempfile
import time
import uuid

from hours_core.clock import SystemClock
from hours_core.ports import UnitOfWorkFactory
from hours_core.services.rate_limits import Quota, RateLimits
from hours_core.services.transactions import Transactions
from hours_postgres import PostgresStore
from hours_sqlite import SqliteStore

__all__ = ["main"]

KEYS = 300
REQUESTS = 600


def measure(unit_of_work: UnitOfWorkFactory) -> tuple[float, float]:
    """Milliseconds per lease write, and per request of one user at 600/min."""
    exact = RateLimits(Transactions(unit_of_work), SystemClock())
    started = time.perf_counter()
    for n in range(KEYS):
        exact.take(f"user/3600/bench-{n}", Quota(limit=60, window=3600))
    per_write = (time.perf_counter() - started) / KEYS * 1000
    leased = RateLimits(Transactions(unit_of_work), SystemClock())
    started = time.perf_counter()
    for _ in range(REQUESTS):
        leased.take("user/60/bench-hot", Quota(limit=600, window=60))
    per_request = (time.perf_counter() - started) / REQUESTS * 1000
    return per_write, per_request


def main() -> int:
    """Print one line per store."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--postgres", metavar="URL", help="also measure on this PostgreSQL server")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        sqlite = SqliteStore.open(pathlib.Path(folder) / "bench.db")
        try:
            sqlite.migrate()
            results = {"sqlite (synchronous=full)": measure(sqlite.unit_of_work)}
        finally:
            sqlite.close()
    if args.postgres:
        postgres = PostgresStore.open(args.postgres, schema=f"bench_{uuid.uuid4().hex[:12]}", max_size=2)
        try:
            postgres.migrate()
            results["postgresql"] = measure(postgres.unit_of_work)
        finally:
            postgres.drop_schema()
            postgres.close()
    for store, (per_write, per_request) in results.items():
        print(
            f"{store}: one lease write {per_write:.3f} ms; "
            f"{REQUESTS} requests of one user at 600/min: {per_request:.4f} ms per request"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
