"""``python -m bench.tail``: the server stack's latency tail under saturation, without hours.

Serves :mod:`bench.busy` (bare Litestar routes that each burn 0.5 ms of CPU, about what a replay costs hours)
with the suite's server settings, and drives the body-less ``GET`` with ``ceiling.lua`` and the
``POST`` with a small JSON body with ``replay.lua``, at concurrency 16 and 64. Compare its p99
with the replay rows of ``python -m bench``: a tail that shows here belongs to the server stack.
"""

from __future__ import annotations

import argparse
import pathlib
import tempfile

from bench.load import run_wrk
from bench.servers import SERVER_KINDS, Server

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    """Run the four load runs and print one line each."""
    parser = argparse.ArgumentParser(prog="python -m bench.tail", description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each wrk run (default 10)")
    parser.add_argument("--server", default=next(iter(SERVER_KINDS)), choices=sorted(SERVER_KINDS))
    args = parser.parse_args(argv)
    env = {
        "BENCH_TOKEN": "unused",
        "BENCH_BODY": '{"note": "bench"}',
        "BENCH_KEYS": "1000",
        "BENCH_NONCE": "0b0e0c0d",
    }
    with (
        tempfile.TemporaryDirectory(prefix="hours-bench-tail-") as folder,
        Server(SERVER_KINDS[args.server], "bench.busy:create_app", "/ping", pathlib.Path(folder)) as server,
    ):
        print(f"{'route':<22} {'conc.':>5} {'req/s':>7} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
        for route, script in (("GET, no body", "ceiling"), ("POST, JSON body", "replay")):
            for connections in (16, 64):
                result = run_wrk(server.url, script, connections=connections, seconds=args.seconds, env=env)
                print(
                    f"{route:<22} {connections:>5} {result.rps:>7,.0f} {result.p50_ms:>8.2f} "
                    f"{result.p99_ms:>8.2f} {result.max_ms:>8.2f}",
                    flush=True,
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
