"""``python -m bench.webhook_claims``: one webhook dispatcher claim on PostgreSQL with a backlog.

A scratch schema on the given PostgreSQL gets two organizations: one with two webhooks and ``N``
pending deliveries spread over them (an import's backlog), one with sixteen idle webhooks and one
due delivery. Then one claim of 16 slots, without and with an :class:`OrgShare`, timed. The rows
are written just before, without ``ANALYZE`` (as right after an import, before autovacuum runs);
``--analyze`` refreshes the statistics first. The schema is dropped at the end.

    .venv/bin/python -m bench.webhook_claims --postgres postgresql://postgres@127.0.0.1:5432/test 16000
"""

from __future__ import annotations

import argparse
import time
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import attrs
import psycopg

from hours_core.delivery_share import OrgShare
from hours_core.model import Org, OrgId, Plan, WeekStart
from hours_core.subscriptions import DeliveryId, Webhook, WebhookDelivery, WebhookId
from hours_postgres import PostgresStore

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _webhook(org_id: OrgId) -> Webhook:
    return Webhook(
        id=WebhookId(uuid.uuid4()), org_id=org_id, url="https://hooks.example.com/hours", events=("*",),
        description="", active=True, created_at=NOW, updated_at=NOW, disabled_at=None, disabled_reason=None,
        secret="whsec_" + "a" * 32, previous_secret=None, previous_secret_expires_at=None, event_cursor=0,
        last_position=0,
    )  # fmt: skip


def _delivery(webhook: Webhook, position: int, fell_due: int) -> WebhookDelivery:
    queued = WebhookDelivery.queued(
        DeliveryId(uuid.uuid4()), webhook, position, event_id="evt", event_type="ping", payload=b"{}", now=NOW
    )
    return attrs.evolve(queued, next_attempt_at=NOW + timedelta(seconds=fell_due))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.webhook_claims", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "pending", type=int, help="pending deliveries of the busy organization's two webhooks"
    )
    parser.add_argument("--postgres", required=True, help="a PostgreSQL URL (a scratch schema is made in it)")
    parser.add_argument(
        "--analyze", action="store_true", help="refresh the table's statistics before the claim"
    )
    args = parser.parse_args(argv)
    schema = f"bench_claims_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(args.postgres, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
    try:
        separator = "&" if "?" in args.postgres else "?"
        store = PostgresStore.open(f"{args.postgres}{separator}options={quote(f'-csearch_path={schema}')}")
        try:
            store.migrate()
            busy, idle = OrgId(uuid.uuid4()), OrgId(uuid.uuid4())
            hooks = [_webhook(busy) for _ in range(2)] + [_webhook(idle) for _ in range(16)]
            with store.unit_of_work() as uow:
                for org_id in (busy, idle):
                    uow.orgs.add(Org(org_id, "Bench", Plan.AGENCY, "UTC", WeekStart.MONDAY, NOW))
                for hook in hooks:
                    uow.webhooks.add(hook)
                for index in range(args.pending):
                    uow.deliveries.add(_delivery(hooks[index % 2], index // 2 + 1, index - args.pending))
                uow.deliveries.add(_delivery(hooks[2], 1, 0))
                uow.commit()
            if args.analyze:
                with psycopg.connect(args.postgres, autocommit=True) as admin:
                    admin.execute(f"ANALYZE {schema}.webhook_deliveries")
            for share in (None, OrgShare(per_org=4, busy={busy: 2})):
                started = time.perf_counter()
                with store.unit_of_work() as uow:  # rolled back: nothing stays leased
                    claimed = uow.deliveries.claim_due(NOW, NOW + timedelta(seconds=60), 16, share=share)
                elapsed = (time.perf_counter() - started) * 1000
                which = "with a share" if share else "no share"
                print(f"{args.pending} pending, {which}: {len(claimed)} claimed in {elapsed:.1f} ms")
        finally:
            store.close()
    finally:
        with psycopg.connect(args.postgres, autocommit=True) as admin:
            admin.execute(f"DROP SCHEMA {schema} CASCADE")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
