"""Benchmark: how long the web app's pages take on the server with 1,000 entries in the org's week.

Run from the repository root (on a quiet machine; it is not part of the test suite)::

    .venv/bin/python -m bench.bench_web                  # 1,000 entries, 50 rounds per page
    .venv/bin/python -m bench.bench_web --entries 5000 --rounds 20 --all-mine

It opens a fresh SQLite file through the composition root (migrations, the real services), makes an
agency organization with 4 users, 10 projects of 5 tasks each, and ``--entries`` stopped entries
in the current week (a quarter of them the signed-in owner's, or all of them with ``--all-mine``),
signs the owner in, and times each page through Litestar's TestClient in this process: the time
from request to the last byte of the response, which is the server's render time without a
network. It prints the median, the 95th percentile and the slowest of ``--rounds`` requests per
page after two warm-up requests. The issue's budget is 50 ms per page.
"""

from __future__ import annotations

import argparse
import re
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

PAGES = ("/app/week", "/app/entries", "/app/settings/api", "/app/settings/projects")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--entries", type=int, default=1000, help="entries in the week (default 1000)")
    parser.add_argument("--rounds", type=int, default=50, help="timed requests per page (default 50)")
    parser.add_argument("--all-mine", action="store_true", help="every entry is the signed-in owner's")
    args = parser.parse_args()

    from litestar.testing import TestClient

    from hours_app.composition import build
    from hours_app.settings import DatabaseUrl, Settings
    from hours_core.model import Plan, Role, TaskId, TimeEntry, TimeEntryId
    from hours_web import create_web_app

    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(database=DatabaseUrl.parse(f"sqlite:///{Path(folder) / 'bench.db'}"))
        application = build(settings)
        services = application.services
        made = services.admin.bootstrap(
            org_name="Bench", plan=Plan.AGENCY, email="owner@bench.test", env="live"
        )
        users = [made.user] + [
            services.admin.create_user(made.org.id, f"user{n}@bench.test", Role.MEMBER) for n in range(3)
        ]
        projects = [made.project] + [
            services.admin.create_project(made.org.id, f"Project {n}") for n in range(9)
        ]
        tasks = {p.id: [services.admin.create_task(p.id, f"Task {n}").id for n in range(5)] for p in projects}
        now = datetime.now(UTC)
        monday = now.date() - timedelta(days=now.date().weekday())
        entries = []
        for number in range(args.entries):
            user = users[0] if args.all_mine else users[number % len(users)]
            project = projects[number % len(projects)]
            task: TaskId | None = tasks[project.id][number % 5] if number % 3 else None
            entries.append(
                TimeEntry(
                    id=TimeEntryId(uuid.uuid4()),
                    org_id=made.org.id,
                    user_id=user.id,
                    project_id=project.id,
                    task_id=task,
                    invoice_id=None,
                    duration_seconds=600 + number % 3000,
                    billable=False,
                    note=f"Entry {number}",
                    entry_date=monday + timedelta(days=number % 7),
                    started_at=None,
                    stopped_at=None,
                    created_at=now,
                    updated_at=now,
                )
            )
        with application.store.unit_of_work() as uow:
            uow.entries.add_many(entries)
            uow.commit()

        app = create_web_app(services)
        with TestClient(app, base_url="http://127.0.0.1:8000") as client:
            form = client.get("/app/sign-in").text
            csrf = re.search(r'name="csrf" value="([^"]+)"', form)
            assert csrf is not None
            signed = client.post(
                "/app/sign-in",
                data={"email": "owner@bench.test", "password": made.password, "csrf": csrf.group(1)},
                follow_redirects=False,
            )
            assert signed.status_code == 303, signed.text
            mine = args.entries if args.all_mine else (args.entries + 3) // 4
            print(f"{args.entries} entries in the week ({mine} the owner's), {args.rounds} rounds per page")
            print(f"{'page':<26} {'median ms':>10} {'p95 ms':>8} {'max ms':>8} {'bytes':>8}")
            for path in PAGES:
                for _ in range(2):
                    client.get(path)
                times = []
                size = 0
                for _ in range(args.rounds):
                    started = time.perf_counter()
                    response = client.get(path)
                    times.append((time.perf_counter() - started) * 1000)
                    assert response.status_code == 200, (path, response.status_code)
                    size = len(response.content)
                times.sort()
                p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
                print(f"{path:<26} {statistics.median(times):>10.1f} {p95:>8.1f} {times[-1]:>8.1f} {size:>8}")
        application.close()


if __name__ == "__main__":
    main()
