"""``python -m bench.idempotency_claims [--compare DIR]``: the CPU of a keyed write's idempotency record.

Each round claims a new key and records its completion (a 700-byte result) 2,000 times in one
write unit of work on a fresh SQLite file (the composition root's store, ``synchronous=NORMAL``, so
that the figure is the statements' CPU, not the disk), and prints the least CPU time per pair over
the rounds: the figure least moved by other jobs on the machine. With ``--compare DIR`` the same
runs, alternately, with the code of another source tree (each in a process of its own).
"""

from __future__ import annotations

import argparse
import pathlib
import sys

from bench.servers import REPO, run_in_tree

__all__ = ["main"]

PAIRS = 2000

_SCRIPT = """
import sys, tempfile, time, uuid
from datetime import UTC, datetime
from hours_app.composition import build
from hours_app.settings import Settings
from hours_core.idempotency import IdempotencyRecord
from hours_core.model import Plan

pairs, rounds = int(sys.argv[1]), int(sys.argv[2])
folder = tempfile.mkdtemp()
settings = {"HOURS_DATABASE_URL": f"sqlite:///{folder}/claims.db", "HOURS_SQLITE_SYNCHRONOUS": "normal"}
application = build(Settings.from_env(settings))
made = application.services.admin.bootstrap(
    org_name="Claims", plan=Plan.AGENCY, email="o@claims.example", env="live"
)
now = datetime(2026, 12, 7, tzinfo=UTC)
best = float("inf")
for _ in range(rounds):
    started = time.process_time()
    with application.store.unit_of_work() as uow:
        for _ in range(pairs):
            key = str(uuid.uuid4())
            claim = IdempotencyRecord(
                org_id=made.org.id, user_id=made.user.id, key=key, fingerprint="f" * 64, created_at=now
            )
            assert uow.idempotency.claim(claim) is None
            uow.idempotency.complete(claim.completed(b"x" * 700, now))
        uow.commit()
    best = min(best, (time.process_time() - started) / pairs)
application.close()
print(f"{best * 1e6:.1f}")
"""


def microseconds_per_pair(tree: pathlib.Path, rounds: int) -> float:
    """The least CPU time of one claim and its completion over ``rounds``, in ``tree``'s code."""
    return float(run_in_tree(tree, _SCRIPT, str(PAIRS), str(rounds)).stdout.split()[-1])


def main(argv: list[str] | None = None) -> int:
    """Measure this tree (and ``--compare``'s, alternately) and print a line per run."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.idempotency_claims", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--compare", type=pathlib.Path, help="another source tree, measured alternately")
    parser.add_argument("--runs", type=int, default=3, help="processes per tree (default 3)")
    parser.add_argument(
        "--rounds", type=int, default=5, help=f"rounds of {PAIRS:,} pairs per process (default 5)"
    )
    args = parser.parse_args(argv)
    trees = [REPO] if args.compare is None else [REPO, args.compare]
    for run in range(1, args.runs + 1):
        for tree in trees:
            name = "this tree" if tree == REPO else str(tree)
            figure = microseconds_per_pair(tree, args.rounds)
            least = f"least of {args.rounds} rounds"
            print(f"run {run}, {name}: claim + completion {figure:.1f} µs of CPU ({least})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
