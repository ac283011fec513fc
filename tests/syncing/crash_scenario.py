"""Kill the worker at every step of a QuickBooks write; the books must still come out right.

``python -m tests.syncing.crash_scenario [--runs N] [--orders K]`` starts both
sandboxes, a fresh database (a temporary SQLite file, or a temporary database on
the PostgreSQL server DATABASE_URL names), and a real django-q2 cluster whose
worker SIGKILLs itself once per run at one step (tests/syncing/crash_worker.py).
Each run places K orders in the Shopify sandbox and asks for their sync the way
webhooks do; then nobody touches anything: the broker redelivers the killed task,
claims expire, the sweep revisits. The run passes when every order is in
QuickBooks exactly once and every record is "synced". Prints one JSON line with
the outcome of every run; exits 1 if any run failed.

Timings are shortened so a run takes seconds: Q_TIMEOUT 3 s, claim lease 4 s,
Q_RETRY 5 s (the same order as in production: timeout < lease < retry).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
STEPS = ("after_claim", "after_send", "after_answer", "after_commit")


def _database_url(scratch: Path) -> tuple[str, str | None]:
    """A fresh database for the scenario, and the PostgreSQL database to drop afterwards."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        return f"sqlite:///{scratch / 'crash.sqlite3'}", None
    import psycopg

    name = f"shopqb_crash_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(_maintenance_url(url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return url.rsplit("/", 1)[0] + "/" + name, name


def _maintenance_url(url: str) -> str:
    """The server's own database: DATABASE_URL may name one that does not exist yet."""
    return url.rsplit("/", 1)[0] + "/postgres"


def _drop_database(server_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(_maintenance_url(server_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=2, help="runs per step, each killing at a different write")
    parser.add_argument("--orders", type=int, default=3, help="orders per run")
    parser.add_argument("--wait", type=float, default=90.0, help="seconds a run may take to heal")
    args = parser.parse_args(argv)

    from sandbox.demo import app_environment
    from sandbox.runner import start_sandboxes

    scratch = Path(tempfile.mkdtemp(prefix="shopqb-crash-"))
    server_url = os.environ.get("DATABASE_URL", "")
    database_url, pg_database = _database_url(scratch)
    sandboxes = start_sandboxes()
    env = {
        **app_environment(sandboxes.info, "http://127.0.0.1:9", scratch),
        "DATABASE_URL": database_url,
        "Q_TIMEOUT": "3",
        "Q_RETRY": "5",
        "SYNC_CLAIM_LEASE_SECONDS": "4",
        "Q_WORKERS": "1",
        "CRASH_PLAN": str(scratch / "plan"),
    }
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "shopqb_app.settings"
    worker = None
    try:
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        from sandbox.demo import connect_demo_shop
        from sandbox.setup import setup_as_proposed

        shop = connect_demo_shop(sandboxes.info)
        setup_as_proposed(shop)
        worker = subprocess.Popen(
            [sys.executable, "-m", "tests.syncing.crash_worker"],
            cwd=ROOT,
            env={**os.environ},
            stdout=(scratch / "qcluster.log").open("w"),
            stderr=subprocess.STDOUT,
        )
        results = []
        for step in STEPS:
            for run in range(args.runs):
                nth = 1 + run % args.orders
                results.append(_run(shop, step, nth, args.orders, Path(env["CRASH_PLAN"]), args.wait))
        ok = all(r["ok"] for r in results)
        print(json.dumps({"ok": ok, "runs": results}), flush=True)
        if not ok:
            print((scratch / "qcluster.log").read_text()[-4000:], file=sys.stderr)
        return 0 if ok else 1
    finally:
        scratch_finish(
            [worker] if worker is not None else [], sandboxes, server_url=server_url, pg_database=pg_database
        )


def scratch_finish(processes: list[Any], sandboxes: Any, *, server_url: str, pg_database: str | None) -> None:
    """Stop what a scratch run started (newest first), the sandboxes, and drop its database."""
    for process in reversed(processes):
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
    sandboxes.stop()
    if pg_database:
        from django.db import connections

        connections.close_all()
        _drop_database(server_url, pg_database)


def _run(shop: Any, step: str, nth: int, orders: int, plan: Path, wait: float) -> dict[str, Any]:
    from django.db import transaction

    from shopqb_app.integrations.quickbooks import client as qbo
    from syncing.context import context_open
    from syncing.models import PendingSync, SyncedRecord
    from syncing.pending import enqueue_order_sync
    from tests.sandboxes import Store

    for suffix in (".done", ".hits"):
        plan.with_suffix(suffix).unlink(missing_ok=True)
    plan.write_text(f"{step} {nth}")
    store = Store(shop)
    placed = [store.order(lines=[(f"K-{step}-{n}", 1 + n, "10.00")], tax="1.00") for n in range(orders)]
    gids = [order["id"] for order in placed]
    started = time.monotonic()
    for gid in gids:
        with transaction.atomic():  # as the webhook view does
            enqueue_order_sync(shop_id=shop.pk, order_gid=gid)
    healed = False
    while time.monotonic() - started < wait:
        synced = SyncedRecord.objects.filter(shop=shop, order_gid__in=gids, status="synced").count()
        if synced == orders and not PendingSync.objects.filter(shop=shop, order_gid__in=gids).exists():
            healed = True
            break
        time.sleep(0.25)
    receipts = qbo.query_all(context_open(shop.pk).qb, "select * from SalesReceipt", "SalesReceipt")
    # Our documents name their Shopify order in PrivateNote.
    counts = Counter(gid for r in receipts for gid in gids if gid in str(r.get("PrivateNote")))
    statuses = Counter(SyncedRecord.objects.filter(shop=shop, order_gid__in=gids).values_list("status", flat=True))
    killed = plan.with_suffix(".done").exists()
    return {
        "step": step,
        "killed_at_write": nth,
        "killed": killed,
        "healed_in_s": round(time.monotonic() - started, 1) if healed else None,
        "documents_per_order": [counts[gid] for gid in gids],
        "records": dict(statuses),
        "ok": healed and killed and all(counts[gid] == 1 for gid in gids),
    }


if __name__ == "__main__":
    sys.exit(main())
