"""``python -m bench.bench_export``: export every entry of a large organization over HTTP, and what
the server's memory does meanwhile (issue 16: peak RSS under 150 MB for 1,000,000 entries).

Loads ``--entries`` entries (default 1,000,000) through the bulk path into a fresh SQLite file
(``bench.dataset.load_entries``), starts ``hours serve`` on it (one worker), and streams
``GET /time-entries/export?format=csv|jsonl`` (``--format``) with the owner's token, discarding the
bytes; prints the time to the first byte, the total time, the bytes and rows received, and the peak
RSS (``VmHWM``) of the server's processes, the supervisor and the worker apart.
"""

from __future__ import annotations

import argparse
import http.client
import pathlib
import tempfile
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from bench.dataset import load_entries
from bench.servers import HOURS_FACTORY, Server, ServerKind

ONE_WORKER = ServerKind("hours-serve-1", "hours-serve", "uvloop", options=("--workers", "1"))
"""``hours serve --workers 1``: the server the export (and :mod:`bench.bench_growth`) runs against."""


def _vm_hwm_kib(pid: int) -> int:
    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


@dataclass(frozen=True)
class Exported:
    """One export as the client saw it: the status, what came, and when (seconds after the request)."""

    status: int
    size: int
    lines: int
    first_byte: float
    total: float


def stream_export(base_url: str, token: str, params: dict[str, Any]) -> Exported:
    """``GET /time-entries/export?params`` with ``token``, read to the end and discarded."""
    host, port = base_url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=600)
    try:
        started = time.perf_counter()
        connection.request(
            "GET",
            f"/time-entries/export?{urlencode(params)}",
            headers={"Authorization": f"Bearer {token}"},
        )
        response = connection.getresponse()
        first = response.read(1)
        first_byte = time.perf_counter() - started
        size, lines = len(first), first.count(b"\n")
        while chunk := response.read(1 << 16):
            size += len(chunk)
            lines += chunk.count(b"\n")
        total = time.perf_counter() - started
    finally:
        connection.close()
    return Exported(response.status, size, lines, first_byte, total)


def main(argv: list[str] | None = None) -> int:
    """Load, serve, export, print."""
    options = argparse.ArgumentParser(prog="python -m bench.bench_export", description=__doc__)
    options.add_argument("--entries", type=int, default=1_000_000)
    options.add_argument("--format", choices=("csv", "jsonl"), default="csv")
    args = options.parse_args(argv)
    workdir = pathlib.Path(tempfile.mkdtemp(prefix="hours-export-"))
    url = f"sqlite:///{workdir}/export.db"
    loaded = load_entries(url, args.entries)
    print(f"loaded {loaded.entries:,} entries in {loaded.seconds:.1f} s", flush=True)
    with Server(ONE_WORKER, HOURS_FACTORY, "/health", workdir, env={"HOURS_DATABASE_URL": url}) as server:
        pids = server.pids()
        before = {pid: _vm_hwm_kib(pid) for pid in pids}
        exported = stream_export(server.url, loaded.seeded.token, {"format": args.format})
        peaks = {pid: _vm_hwm_kib(pid) for pid in server.pids()}
    print(f"status {exported.status}, {exported.size / 1e6:.1f} MB, {exported.lines:,} lines")
    print(f"first byte after {exported.first_byte * 1000:.0f} ms, all of it after {exported.total:.1f} s")
    for pid, peak in peaks.items():
        was = before.get(pid, 0) / 1024
        print(f"peak RSS of pid {pid}: {peak / 1024:.1f} MiB (before the export: {was:.1f} MiB)")
    print(f"peak RSS, all processes: {sum(peaks.values()) / 1024:.1f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
