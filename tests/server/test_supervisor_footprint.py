"""The supervisor of ``hours serve`` loads granian and the logging setup, not the app.

It only starts, watches and stops the workers; each worker imports and builds the app itself. When
the access log's formatter imported ``hours_http.request_id``, the package ``hours_http`` imported
its whole app with it (Litestar, the core's services, the store ports): the supervisor held 58 MB
where it needs 34, a quarter of the 150 MiB that the suite's peak RSS goal allows a server
(docs/performance.md).
"""

from __future__ import annotations

import json

from tests.server_support import python_output

_SUPERVISE_WITHOUT_SERVING = """
import json, sys
import granian.server.mp

granian.server.mp.MPServer.serve = lambda self, *args, **kwargs: None  # what it loaded by then, no workers
from hours_app.supervisor import main

status = main(["--host=127.0.0.1", "--port=1", "--workers=2", "--log-level=info", "--header-timeout=10.0",
               "--max-header-bytes=65536", "--max-connections=512"])
print(json.dumps({"status": status, "modules": sorted(sys.modules)}))
"""


SUPERVISOR_MODULES_OF_HOURS = {
    "hours_app",
    "hours_app.access_lines",
    "hours_app.logging_setup",
    "hours_app.readiness",
    "hours_app.server",
    "hours_app.stop_signals",
    "hours_app.supervisor",
    "hours_http",
    "hours_http.request_id",
}
"""The modules of hours the supervisor needs (besides the core's entities, which the access log's
token redaction brings): a new one here is a choice to make, not an accident."""

NOT_IN_THE_SUPERVISOR = {"litestar", "cattrs", "sqlite3", "sqlite_utils", "psycopg", "psycopg_pool", "jinja2"}
"""The app's framework, serializer, drivers and templates: the workers load them."""


def test_the_supervisor_loads_neither_litestar_nor_the_app() -> None:
    """Runs the supervisor's own code (:func:`hours_app.supervisor.main`, which builds the granian
    server, the readiness pipe and the stop hook) with granian's ``serve`` made a no-op, so that no
    worker starts, then lists what the process loaded."""
    loaded = json.loads(python_output(_SUPERVISE_WITHOUT_SERVING).splitlines()[-1])
    assert loaded["status"] == 0
    modules = set(loaded["modules"])
    assert "granian" in modules and "hours_app.server" in modules  # it did run the supervisor's code
    of_hours = {name for name in modules if name.startswith("hours_") and not name.startswith("hours_core")}
    assert sorted(of_hours - SUPERVISOR_MODULES_OF_HOURS) == []
    assert sorted(name for name in modules if name.split(".")[0] in NOT_IN_THE_SUPERVISOR) == []
    assert "hours_core.services" not in modules  # the core's use cases: the workers'
