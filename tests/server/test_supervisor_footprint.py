"""The supervisor of ``hours serve`` loads granian and the logging setup, not the app.

It only starts, watches and stops the workers; each worker imports and builds the app itself. When
the access log's formatter imported ``hours_http.request_id``, the package ``hours_http`` imported
its whole app with it (Litestar, the core's services, the store ports): the supervisor held 58 MB
where it needs 34, a quarter of the 150 MiB that the suite's peak RSS goal allows a server
(docs/performance.md).
"""

from __future__ import annotations

import json
import subprocess
import sys

_SUPERVISE_WITHOUT_SERVING = """
import json, sys
import granian.server.mp

granian.server.mp.MPServer.serve = lambda self, *args, **kwargs: None  # what it loaded by then, no workers
from hours_app.supervisor import main

status = main(["--host=127.0.0.1", "--port=1", "--workers=2", "--log-level=info", "--header-timeout=10.0",
               "--max-header-bytes=65536", "--max-connections=512"])
print(json.dumps({"status": status, "modules": sorted(sys.modules)}))
"""

PATIENCE_SECONDS = 120


def test_the_supervisor_loads_neither_litestar_nor_the_app() -> None:
    ran = subprocess.run(
        [sys.executable, "-c", _SUPERVISE_WITHOUT_SERVING],
        check=False,
        capture_output=True,
        text=True,
        timeout=PATIENCE_SECONDS,
    )
    assert ran.returncode == 0, ran.stderr
    loaded = json.loads(ran.stdout.splitlines()[-1])
    assert loaded["status"] == 0
    modules = set(loaded["modules"])
    assert "granian" in modules and "hours_app.server" in modules  # it did run the supervisor's code
    app_modules = sorted(
        name
        for name in modules
        if name.split(".")[0] in {"litestar", "cattrs", "hours_litestar", "hours_sql", "hours_web"}
        or name in {"hours_http.app", "hours_core.services"}
    )
    assert app_modules == []
