"""Crash safety: SIGKILL the server in the middle of a stream of keyed creates, restart, retry every key.

Every acknowledged entry exists exactly once, no key makes two entries, the database passes
``PRAGMA integrity_check``, and the token's plaintext is nowhere in the database files.
"""

from __future__ import annotations

import json
import signal
import subprocess
import threading
import urllib.error
import uuid
from pathlib import Path
from typing import Any

import pytest

from hours_sqlite import SqliteStore
from tests.http.test_server_process import (
    clean_environment,
    free_port,
    hours_command,
    request,
    stop,
    wait_until_healthy,
)

pytestmark = pytest.mark.slow

KEYS = [str(uuid.UUID(int=index + 1)) for index in range(120)]
SENDERS = 4


def start(tmp_path: Path, db: str, name: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    with (tmp_path / f"{name}.out").open("wb") as out, (tmp_path / f"{name}.err").open("wb") as err:
        process = subprocess.Popen(
            hours_command("serve", "--db", db, "--port", str(port)),
            stdout=out,
            stderr=err,
            cwd=tmp_path,
            env=clean_environment(),
        )
    base_url = f"http://127.0.0.1:{port}"
    wait_until_healthy(process, base_url, tmp_path / f"{name}.err")
    return process, base_url


def body(demo: dict[str, str], key: str) -> dict[str, Any]:
    return {"projectId": demo["projectId"], "entryDate": "2026-03-02", "durationSeconds": int(key[-4:], 16)}


def test_a_killed_server_loses_no_acknowledged_entry_and_duplicates_none(tmp_path: Path) -> None:
    db_path = tmp_path / "hours.db"
    db = f"sqlite:///{db_path}"
    made = subprocess.run(hours_command("bootstrap", "--db", db, "--json"), capture_output=True, check=True)
    demo = json.loads(made.stdout)
    auth = {"Authorization": f"Bearer {demo['token']}"}

    process, base_url = start(tmp_path, db, "first")
    acknowledged: dict[str, str] = {}
    lock = threading.Lock()
    enough = threading.Event()

    def send(keys: list[str]) -> None:
        for key in keys:
            try:
                answer = request(
                    f"{base_url}/time-entries",
                    method="POST",
                    body=body(demo, key),
                    headers={**auth, "Idempotency-Key": key},
                )
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                return  # the server is gone
            if answer.status == 201:
                with lock:
                    acknowledged[key] = answer.body["data"]["id"]
                    if len(acknowledged) >= 40:
                        enough.set()

    senders = [threading.Thread(target=send, args=(KEYS[i::SENDERS],)) for i in range(SENDERS)]
    try:
        for sender in senders:
            sender.start()
        enough.wait(timeout=120)
        process.send_signal(signal.SIGKILL)
        process.wait()
    finally:
        stop(process)
        for sender in senders:
            sender.join()
    assert acknowledged, "the server acknowledged nothing before it was killed"

    process, base_url = start(tmp_path, db, "second")
    try:
        for key in KEYS:
            answer = request(
                f"{base_url}/time-entries",
                method="POST",
                body=body(demo, key),
                headers={**auth, "Idempotency-Key": key},
            )
            assert answer.status == 201, answer.body
            if key in acknowledged:
                assert answer.headers.get("idempotent-replayed") == "true"
                assert answer.body["data"]["id"] == acknowledged[key]
        listed: list[dict[str, Any]] = []
        url = f"{base_url}/time-entries?limit=500"
        while url:
            page = request(url, headers=auth).body
            listed.extend(page["data"])
            url = (
                f"{base_url}/time-entries?limit=500&cursor={page['nextCursor']}" if page["nextCursor"] else ""
            )
    finally:
        stop(process)

    assert len(listed) == len(KEYS)
    assert {entry["id"] for entry in listed} >= set(acknowledged.values())
    assert sorted(entry["durationSeconds"] for entry in listed) == sorted(
        body(demo, k)["durationSeconds"] for k in KEYS
    )
    with SqliteStore.open(db_path) as store:
        assert store.integrity_check() == "ok"
    for path in tmp_path.glob("hours.db*"):
        assert demo["token"].encode() not in path.read_bytes()
