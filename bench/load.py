"""Running wrk with one of the suite's Lua scripts and reading its JSON summary."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
from dataclasses import dataclass

__all__ = ["WrkResult", "run_wrk"]

LUA = pathlib.Path(__file__).resolve().parent / "wrk"


@dataclass(frozen=True)
class WrkResult:
    """One wrk run: throughput, latency percentiles (ms) and error counts."""

    script: str
    connections: int
    seconds: float
    requests: int
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    non_2xx: int
    socket_errors: int
    command: str

    def as_dict(self) -> dict[str, object]:
        """For the JSON results."""
        return dict(self.__dict__)


def run_wrk(
    url: str,
    script: str,
    *,
    connections: int,
    seconds: float,
    threads: int = 2,
    env: dict[str, str] | None = None,
) -> WrkResult:
    """``wrk -t{threads} -c{connections} -d{seconds}s --latency -s bench/wrk/{script}.lua {url}``."""
    command = [
        "wrk",
        f"-t{min(threads, connections)}",
        f"-c{connections}",
        f"-d{seconds:g}s",
        "--timeout",
        "10s",
        "--latency",
        "-s",
        str(LUA / f"{script}.lua"),
        url,
    ]
    completed = subprocess.run(
        command,
        env={**os.environ, "BENCH_LUA_PATH": str(LUA), **(env or {})},
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"wrk failed ({completed.returncode}): {completed.stderr}{completed.stdout}")
    line = next((line for line in completed.stdout.splitlines() if line.startswith("BENCH_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no summary:\n{completed.stdout}\n{completed.stderr}")
    summary = json.loads(line.removeprefix("BENCH_JSON "))
    errors = summary["errors"]
    duration = summary["duration_us"] / 1e6
    latency = summary["latency_us"]
    return WrkResult(
        script=script,
        connections=connections,
        seconds=duration,
        requests=summary["requests"],
        rps=summary["requests"] / duration,
        p50_ms=latency["p50"] / 1000,
        p90_ms=latency["p90"] / 1000,
        p99_ms=latency["p99"] / 1000,
        max_ms=latency["max"] / 1000,
        non_2xx=errors["status"],
        socket_errors=errors["connect"] + errors["read"] + errors["write"] + errors["timeout"],
        command=" ".join([*command[:-3], f"bench/wrk/{script}.lua", url]),
    )
