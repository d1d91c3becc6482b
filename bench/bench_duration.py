"""Benchmark: ``hours_core.duration.parse_duration`` against ``pytimeparse`` on the same strings.

Run from the repository root::

    .venv/bin/python -m bench.bench_duration

It builds a deterministic mix of typical duration strings, keeps those that BOTH parsers accept
(pytimeparse refuses the ISO 8601 form, for one), then times each parser over the whole list
several times in the same process and reports the best and the median run. pytimeparse runs with
``granularity="minutes"`` so that ``1:30`` means an hour and a half, as it does here.
"""

from __future__ import annotations

import argparse
import gc
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable

from pytimeparse.timeparse import timeparse

from hours_core.duration import DurationError, parse_duration

SHAPES: list[Callable[[random.Random], str]] = [
    lambda r: f"{r.randint(0, 9)}h{r.randint(1, 59)}m",
    lambda r: f"{r.randint(1, 59)}m",
    lambda r: f"{r.randint(0, 12)}:{r.randint(0, 59):02d}",
    lambda r: f"{r.randint(0, 9)}.{r.choice('25')}h",
    lambda r: f"PT{r.randint(0, 9)}H{r.randint(1, 59)}M",
    lambda r: f"{r.randint(1, 9)}h {r.randint(1, 59)}m",
    lambda r: f"{r.randint(60, 240)}m",
    lambda r: f"{r.randint(0, 9)}:{r.randint(0, 59):02d}:{r.randint(0, 59):02d}",
    lambda r: f"{r.randint(1, 8)}h",
    lambda r: f"{r.randint(1, 8)} hours {r.randint(1, 59)} minutes",
    lambda r: f"{r.randint(1, 59)} min",
    lambda r: f"{r.randint(1, 3)}h{r.randint(1, 59)}m{r.randint(1, 59)}s",
    lambda r: f"{r.randint(10, 5400)}s",
]


def build_strings(count: int, seed: int) -> tuple[list[str], int]:
    """``count`` strings that both parsers accept, and how many candidates pytimeparse refused."""
    rng = random.Random(seed)
    strings: list[str] = []
    refused = 0
    while len(strings) < count:
        text = rng.choice(SHAPES)(rng)
        if timeparse(text, granularity="minutes") is None:
            refused += 1
            continue
        try:
            parse_duration(text)
        except DurationError as error:  # the mix is meant to be valid for hours too
            raise SystemExit(f"hours refuses its own benchmark string {text!r}: {error}") from error
        strings.append(text)
    return strings, refused


def time_hours(strings: list[str]) -> float:
    parse = parse_duration
    start = time.perf_counter()
    for text in strings:
        parse(text)
    return time.perf_counter() - start


def time_pytimeparse(strings: list[str]) -> float:
    parse = timeparse
    start = time.perf_counter()
    for text in strings:
        parse(text, granularity="minutes")
    return time.perf_counter() - start


def measure(run: Callable[[list[str]], float], strings: list[str], repeat: int) -> list[float]:
    """Seconds per run, with the garbage collector off during each run (as timeit does)."""
    timings = []
    for _ in range(repeat):
        gc.collect()
        gc.disable()
        try:
            timings.append(run(strings))
        finally:
            gc.enable()
    return timings


def main(argv: list[str] | None = None) -> None:
    """Build the strings, time both parsers alternately, print strings/s and the ratio."""
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--count", type=int, default=100_000, help="strings to parse (default 100000)")
    options.add_argument("--repeat", type=int, default=7, help="timed runs per parser (default 7)")
    options.add_argument("--seed", type=int, default=20261128, help="random seed (default 20261128)")
    args = options.parse_args(argv)

    strings, refused = build_strings(args.count, args.seed)
    agree = sum(parse_duration(text) == timeparse(text, granularity="minutes") for text in strings)
    print(f"python {platform.python_version()} on {platform.machine()}, {sys.platform}")
    print(
        f"{len(strings)} strings (seed {args.seed}) that both parsers accept; "
        f"{refused} generated candidates were dropped because pytimeparse returns None for them "
        f"(the PT... ISO form); both give the same seconds for {agree} of them"
    )
    measure(time_hours, strings[:1000], 1)  # warm up
    measure(time_pytimeparse, strings[:1000], 1)
    hours_runs: list[float] = []
    pytimeparse_runs: list[float] = []
    for _ in range(args.repeat):  # alternate, so that a noisy neighbour hurts both alike
        hours_runs += measure(time_hours, strings, 1)
        pytimeparse_runs += measure(time_pytimeparse, strings, 1)

    def rate(seconds: float) -> float:
        return len(strings) / seconds

    print(f"{'parser':<28}{'best strings/s':>16}{'median strings/s':>18}")
    for name, runs in (("hours parse_duration", hours_runs), ("pytimeparse (minutes)", pytimeparse_runs)):
        print(f"{name:<28}{rate(min(runs)):>16,.0f}{rate(statistics.median(runs)):>18,.0f}")
    print(
        f"ratio hours/pytimeparse: {min(pytimeparse_runs) / min(hours_runs):.2f}x (best), "
        f"{statistics.median(pytimeparse_runs) / statistics.median(hours_runs):.2f}x (median), "
        f"{args.repeat} runs each"
    )


if __name__ == "__main__":
    main()
