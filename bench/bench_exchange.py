"""Benchmark: the export writers' memory and speed over 1,000,000 rows, and the readers over 100,000.

Run from the repository root::

    .venv/bin/python -m bench.bench_exchange                 # every format, 1,000,000 rows
    .venv/bin/python -m bench.bench_exchange --rows 100000   # a quicker run

Each measurement runs in a fresh process, so that one format's garbage cannot hide another's
growth. A writer is fed a generator of distinct export rows (built one at a time, never held) and
its chunks are counted and dropped, as an HTTP response would send them. The process samples its
resident set size (``/proc/self/statm``) every 50,000 rows and reports the RSS after the first
50,000 rows, the peak, and the growth between them: flat memory means the growth stays a small
constant however many rows go through. It also reports the time to the first chunk (a client
sees bytes that soon), the total time and the output size.

The readers part writes a realistic Toggl, Clockify and Harvest file of ``--import-rows`` rows
to memory and times reading every row (the header check and the date pass included), with the
peak RSS, so that the import use case knows what the file formats cost of its time budget.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from uuid import UUID

_PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_mib() -> float:
    """This process's resident set size now, in MiB."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * _PAGE / 2**20


def export_rows(count: int, samples: list[float]) -> Iterator[object]:
    """``count`` distinct export rows, made one at a time; samples the RSS every 50,000."""
    from hours_exchange import ExportRow

    start = datetime(2025, 1, 1, 8, 0, tzinfo=UTC)
    for number in range(count):
        if number % 50_000 == 0:
            samples.append(rss_mib())
        began = start + timedelta(minutes=7 * number)
        yield ExportRow(
            id=UUID(int=number),
            entry_date=began.date(),
            duration_seconds=1800 + number % 3600,
            billable=number % 3 != 0,
            user_id=UUID(int=number % 50),
            user_email=f"user{number % 50}@example.com",
            user_name=f"User {number % 50}",
            project_id=UUID(int=10_000 + number % 200),
            project_name=f"Project {number % 200}",
            task_id=UUID(int=20_000 + number % 800),
            task_name=f"Task {number % 800}",
            client_id=UUID(int=30_000 + number % 40),
            client_name=f"Client {number % 40}",
            note=f'Entry {number}: worked on =the thing, with "quotes" and a, comma',
            started_at=began,
            stopped_at=began + timedelta(seconds=1800 + number % 3600),
            created_at=began,
            updated_at=began,
            currency="EUR",
            billable_rate_minor=8500,
            cost_rate_minor=4000,
            billable_amount_minor=number % 100_000,
            cost_amount_minor=number % 50_000,
        )
    samples.append(rss_mib())


def measure_export(export_format: str, count: int) -> dict[str, object]:
    """Stream ``count`` rows through one writer in this process; the figures as a dict."""
    from hours_exchange import write_export

    samples: list[float] = []
    started = time.perf_counter()
    first_chunk = None
    size = 0
    for chunk in write_export(export_format, export_rows(count, samples)):
        if first_chunk is None:
            first_chunk = time.perf_counter() - started
        size += len(chunk)
    elapsed = time.perf_counter() - started
    after_first = samples[1] if len(samples) > 1 else samples[0]
    return {
        "format": export_format,
        "rows": count,
        "seconds": round(elapsed, 1),
        "first_chunk_ms": round((first_chunk or 0) * 1000, 1),
        "mib": round(size / 2**20, 1),
        "rss_after_50k_mib": round(after_first, 1),
        "rss_peak_mib": round(max(samples), 1),
        "rss_growth_mib": round(max(samples) - after_first, 1),
    }


def import_file(source: str, count: int) -> bytes:
    """A realistic export of ``source`` with ``count`` rows."""
    day = date(2025, 1, 1)
    lines: list[str] = []
    if source == "toggl":
        lines.append(
            "User,Email,Client,Project,Task,Description,Billable,"
            "Start date,Start time,End date,End time,Duration,Tags"
        )
        for number in range(count):
            today = day + timedelta(days=number // 20)
            hour = 8 + number % 10
            lines.append(
                f"User {number % 50},user{number % 50}@example.com,"
                f"Client {number % 40},Project {number % 200},"
                f'Task {number % 800},"Entry {number}, notes",Yes,{today},{hour:02d}:{number % 60:02d}:00,'
                f'{today},{hour:02d}:{number % 60:02d}:30,00:00:30,"a, b"'
            )
    elif source == "clockify":
        lines.append(
            '"Project","Client","Description","Task","User","Group","Email","Tags","Billable","Start Date",'
            '"Start Time","End Date","End Time","Duration (h)","Duration (decimal)"'
        )
        for number in range(count):
            today = day + timedelta(days=number // 20)
            hour = 1 + number % 11
            lines.append(
                f'"Project {number % 200}","Client {number % 40}","Entry {number}","Task {number % 800}",'
                f'"User {number % 50}","","user{number % 50}@example.com","","Yes","{today:%m/%d/%Y}",'
                f'"{hour}:{number % 60:02d}:00 AM","{today:%m/%d/%Y}",'
                f'"{hour}:{number % 60:02d}:30 AM","00:00:30","0.01"'
            )
    else:
        lines.append("Date,Client,Project,Project Code,Task,Notes,Hours,Billable?,First Name,Last Name")
        for number in range(count):
            today = day + timedelta(days=number // 20)
            lines.append(
                f"{today},Client {number % 40},Project {number % 200},,Task {number % 800},Entry {number},"
                f'"{1 + number % 7},25",Yes,First{number % 50},Last'
            )
    return ("\r\n".join(lines) + "\r\n").encode()


def measure_import(source: str, count: int) -> dict[str, object]:
    """Read every row of a ``count``-row ``source`` file; the figures as a dict."""
    from hours_exchange import ImportLimits, ImportRow, read_import

    data = import_file(source, count)
    before = rss_mib()
    started = time.perf_counter()
    good = 0
    peak = before
    for number, row in enumerate(
        read_import(
            source, data, timezone="Europe/Berlin", limits=ImportLimits(max_rows=count, max_bytes=2**30)
        )
    ):
        good += isinstance(row, ImportRow)
        if number % 20_000 == 0:
            peak = max(peak, rss_mib())
    elapsed = time.perf_counter() - started
    return {
        "source": source,
        "rows": count,
        "imported": good,
        "seconds": round(elapsed, 2),
        "microseconds_per_row": round(elapsed / count * 1e6, 1),
        "file_mib": round(len(data) / 2**20, 1),
        "rss_growth_mib": round(max(peak, rss_mib()) - before, 1),
    }


def in_child(kind: str, name: str, count: int) -> dict[str, object]:
    """Run one measurement in a fresh interpreter and return its figures."""
    output = subprocess.run(
        [sys.executable, "-m", "bench.bench_exchange", "--child", kind, name, str(count)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(output)  # type: ignore[no-any-return]


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark (see the module docstring)."""
    options = argparse.ArgumentParser(
        prog="python -m bench.bench_exchange", description=__doc__.splitlines()[0]
    )
    options.add_argument("--rows", type=int, default=1_000_000, help="rows per export (default 1,000,000)")
    options.add_argument(
        "--import-rows", type=int, default=100_000, help="rows per import file (default 100,000)"
    )
    options.add_argument("--formats", default="csv,jsonl,xlsx")
    options.add_argument("--sources", default="toggl,clockify,harvest")
    options.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    arguments = options.parse_args(argv)
    if arguments.child:
        kind, name, count = arguments.child
        figures = measure_export(name, int(count)) if kind == "export" else measure_import(name, int(count))
        print(json.dumps(figures))
        return 0
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
    for export_format in arguments.formats.split(","):
        print(json.dumps(in_child("export", export_format, arguments.rows)))
    for source in arguments.sources.split(","):
        print(json.dumps(in_child("import", source, arguments.import_rows)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
