"""``python -m bench.storage [N]``: what N entries cost on disk on PostgreSQL, table and each index.

Loads N entries (default 100,000) through the bulk path (``bench.dataset.load_entries``: ``COPY``) into a
fresh schema of ``--postgres URL`` (default: the local test server), runs ``ANALYZE``, and prints the
heap, the total with indexes, the bytes per entry and every index's size. The schema is dropped afterwards.
docs/scaling.md extends these figures to a billion entries.
"""

from __future__ import annotations

import argparse

import psycopg

from bench.dataset import load_entries
from bench.suite import postgres_schema

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/test"


def main(argv: list[str] | None = None) -> int:
    """Load, measure, print."""
    options = argparse.ArgumentParser(prog="python -m bench.storage", description=__doc__)
    options.add_argument("entries", nargs="?", type=int, default=100_000)
    options.add_argument("--postgres", metavar="URL", default=DEFAULT_URL)
    args = options.parse_args(argv)
    with postgres_schema(args.postgres) as url:
        loaded = load_entries(url, args.entries)
        rate = args.entries / loaded.seconds
        print(f"stored {args.entries:,} entries in {loaded.seconds:.1f} s ({rate:,.0f}/s)")
        with psycopg.connect(url) as conn:
            conn.execute("ANALYZE time_entries")
            sizes = conn.execute(
                "SELECT pg_relation_size('time_entries'), pg_total_relation_size('time_entries')"
            ).fetchone()
            assert sizes is not None
            heap, total = sizes
            print(
                f"time_entries: heap {heap / 1e6:.1f} MB, {total / 1e6:.1f} MB with indexes;"
                f" {total / args.entries:.0f} bytes per entry ({heap / args.entries:.0f} in the heap)"
            )
            indexes = conn.execute(
                "SELECT indexrelname, pg_relation_size(indexrelid) FROM pg_stat_user_indexes"
                " WHERE relname = 'time_entries' AND schemaname = current_schema() ORDER BY 2 DESC"
            )
            for name, size in indexes:
                print(f"  index {name}: {size / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
