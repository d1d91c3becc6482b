"""A revoked token across two PostgreSQL server processes: is the very next request refused?

    python -m bench.revocation --postgres postgresql://postgres@127.0.0.1:5432/test [--tries 40] [--tree DIR]

On a fresh schema: ``hours bootstrap``, then two ``hours serve`` processes (``HOURS_AUTH_CACHE_SECONDS=60``,
so only the identity signal can tell the second one). Each try mints a token on the first server,
authenticates with it on the second (now in its cache), revokes it on the first, and sends the
second server one request with it at once. It prints how many of those requests were served (the
promise of issue 12: none) and how long each ``DELETE /tokens/{prefix}`` took (median, max), with the
load average. ``--tree`` runs another source tree's servers (e.g. the last commit:
``git archive HEAD | tar -x -C /tmp/before``), to compare.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from bench.servers import free_port, python_path
from bench.suite import postgres_schema

BIN = pathlib.Path(sys.executable).parent


def call(
    port: int, method: str, path: str, token: str, body: dict[str, Any] | None = None
) -> tuple[int, bytes]:
    """One request on a connection of its own: its status and body."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Authorization": f"Bearer {token}"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    try:
        conn.request(method, path, body=None if body is None else json.dumps(body), headers=headers)
        answer = conn.getresponse()
        return answer.status, answer.read()
    finally:
        conn.close()


@contextmanager
def serving(env: dict[str, str], log: pathlib.Path) -> Iterator[int]:
    """``hours serve`` on a free port, healthy; yields the port, stops it after."""
    port = free_port()
    with log.open("w") as out:
        process = subprocess.Popen(
            [str(BIN / "hours"), "serve", "--port", str(port)], env=env, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        for _ in range(600):
            try:
                if call(port, "GET", "/health", "")[0] == 200:
                    break
            except OSError:
                time.sleep(0.05)
        else:
            raise SystemExit(f"hours serve did not become healthy; see {log}")
        yield port
    finally:
        process.terminate()
        process.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", required=True, help="a PostgreSQL server URL")
    parser.add_argument("--tries", type=int, default=40)
    parser.add_argument("--tree", type=pathlib.Path, help="another source tree to run instead of this one")
    args = parser.parse_args()
    with (
        postgres_schema(args.postgres) as url,
        tempfile.TemporaryDirectory(prefix="hours-bench-rev-") as work,
    ):
        env = {**os.environ, "HOURS_DATABASE_URL": url, "HOURS_AUTH_CACHE_SECONDS": "60"}
        if args.tree is not None:
            env["PYTHONPATH"] = python_path(args.tree)
        subprocess.run([str(BIN / "hours"), "migrate"], env=env, check=True, capture_output=True)
        made = subprocess.run(
            [str(BIN / "hours"), "bootstrap", "--json"], env=env, check=True, capture_output=True, text=True
        )
        owner = json.loads(made.stdout)["token"]
        served, seconds = 0, []
        with ExitStack() as servers:
            first = servers.enter_context(serving(env, pathlib.Path(work) / "first.log"))
            second = servers.enter_context(serving(env, pathlib.Path(work) / "second.log"))
            for attempt in range(args.tries):
                status, body = call(first, "POST", "/tokens", owner, {"name": f"try {attempt}"})
                assert status == 201, (status, body)
                minted = json.loads(body)["data"]
                assert call(second, "GET", "/me", minted["token"])[0] == 200  # cached there now
                started = time.perf_counter()
                assert call(first, "DELETE", f"/tokens/{minted['prefix']}", owner)[0] == 204
                seconds.append(time.perf_counter() - started)
                served += call(second, "GET", "/me", minted["token"])[0] == 200
    print(
        f"served on the next request after the revocation: {served} of {args.tries}; "
        f"DELETE /tokens median {1000 * statistics.median(seconds):.1f} ms, "
        f"max {1000 * max(seconds):.1f} ms; "
        f"load average {os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()
