"""Live orders while another shop's history import runs (run by ``bin/bench``).

``python -m sandbox.bench.live_latency [--backfill-orders 2000] [--rate 5] [--seconds 60] [--json]``

Two shops on two QuickBooks companies of the sandboxes, with QuickBooks' real limits on. Shop A
has ``--backfill-orders`` orders and starts its history import (a full sweep, queued as the app
queues it: bulk work, in a bulk slot, on its share of the request budget). While it runs, orders
are created in shop B's Shopify at ``--rate`` a second for ``--seconds``, each followed by its
signed ``orders/create`` webhook to the app (gunicorn, 2 workers x 4 threads) and synced by the
django-q2 cluster (``Q_WORKERS`` 2, so one worker is left for live work). Latency is from the
order's creation in Shopify to its SalesReceipt's record being "synced" (the document is in
QuickBooks). A fresh database: a temporary SQLite file, or a temporary database on the
PostgreSQL server DATABASE_URL names.

The last line printed is one JSON object: ``live_orders``, ``rate_per_s``, ``p50_s``, ``p95_s``,
``max_s``, ``unsynced`` (live orders not synced within 5 minutes), ``backfill_orders``,
``backfill_running_throughout`` (the import had not finished when the last live order was
synced: the latencies were measured under it), ``backfill_documents_by_then``. ``--baseline``:
the same live orders with no import running (shop A is seeded and set up all the same).
``--live-plan``: shop B's Shopify plan, which sets the cost limit its orders are read under (each
order's fetch spends about 71 points: on the "Shopify" plan's 100 points a second an app can read
about 1.4 orders a second of one shop, so 5 a second is a Plus shop's rate).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import requests

from sandbox.bench.busy_day import _post, _start, _wait_for

ROOT = Path(__file__).resolve().parent.parent.parent
SHOPS = ("backfill-store.myshopify.com", "live-store.myshopify.com")
GUNICORN = ("-w", "2", "--threads", "4", "-c", "shopqb_app/gunicorn.conf.py")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backfill-orders", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=5.0, help="live orders a second")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long live orders come in")
    parser.add_argument("--json", action="store_true", help="only the JSON line")
    parser.add_argument("--baseline", action="store_true", help="the same live orders with no backfill running")
    parser.add_argument(
        "--live-plan",
        default="Shopify",
        help='the live shop\'s Shopify plan, which sets its API cost limit ("Shopify": 100 points/s; '
        '"Shopify Plus": 1,000)',
    )
    args = parser.parse_args(argv)
    lines, result = bench_live_latency(
        args.backfill_orders, args.rate, args.seconds, baseline=args.baseline, live_plan=args.live_plan
    )
    if not args.json:
        for line in lines:
            print(line, flush=True)
    print(json.dumps(result), flush=True)


def bench_live_latency(
    backfill_orders: int, rate: float, seconds: float, *, baseline: bool = False, live_plan: str = "Shopify"
) -> tuple[list[str], dict[str, Any]]:
    from sandbox.demo import app_environment, free_port
    from sandbox.runner import start_sandboxes
    from tests.syncing.crash_scenario import _database_url, scratch_finish

    scratch = Path(tempfile.mkdtemp(prefix="shopqb-live-"))
    server_url = os.environ.get("DATABASE_URL", "")
    database_url, pg_database = _database_url(scratch)
    port = free_port(0)
    app_url = f"http://127.0.0.1:{port}"
    shops = [{"domain": SHOPS[0]}, {"domain": SHOPS[1], "plan": live_plan}]
    sandboxes = start_sandboxes(shopify_options={"shops": shops}, qbo_options={"companies": ["US", "US"]})
    env = {**app_environment(sandboxes.info, app_url, scratch), "DATABASE_URL": database_url, "Q_WORKERS": "2"}
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "shopqb_app.settings"
    children: list[Any] = []
    lines: list[str] = []
    try:
        import django

        django.setup()
        from django.core.management import call_command

        from sandbox.setup import setup_as_proposed
        from sandbox.shopify.seeder import seed_shop
        from shopqb_app.integrations import budget
        from tests.sandboxes import shop_connected

        # This process stands in for Shopify's customers: the orders it places cost the app nothing.
        budget.configure(None)
        call_command("migrate", verbosity=0)
        info = sandboxes.info
        sandboxes.shopify.throttle_enabled = False  # seeding is not what is measured
        seed_shop(
            base_url=info["shopify"],
            shop=SHOPS[0],
            token=info["shops"][0]["access_token"],
            orders=backfill_orders,
            seed=3,
        )
        sandboxes.shopify.throttle_enabled = True
        backfill, live = (
            shop_connected(info["shops"][n], info["qbo_companies"][n], name=name, iana_timezone="America/New_York")
            for n, name in enumerate(("Backfill", "Live"))
        )
        for shop in (backfill, live):
            setup_as_proposed(shop)
        time.sleep(61)  # the setups' requests are out of QuickBooks' minute

        children.append(_start(scratch, "qcluster", [sys.executable, "manage.py", "qcluster"]))
        children.append(
            _start(
                scratch,
                "gunicorn",
                [sys.executable, "-m", "gunicorn", "shopqb_app.wsgi", "-b", f"127.0.0.1:{port}", *GUNICORN],
            )
        )
        _wait_for(app_url)
        if not baseline:
            import_started = _backfill_start(backfill)
            lines.append(f"backfill of {backfill_orders} orders running ({import_started:.1f} s to start)")
        latencies, unsynced = _live_orders(sandboxes, live, env["SHOPIFY_API_SECRET"], app_url, rate, seconds)
        from syncing.models import SyncedRecord, SyncRun

        running = SyncRun.objects.filter(shop=backfill, status=SyncRun.Status.RUNNING).exists()
        documents = SyncedRecord.objects.filter(shop=backfill, status=SyncedRecord.Status.SYNCED).count()
    finally:
        scratch_finish(children, sandboxes, server_url=server_url, pg_database=pg_database)
    ordered = sorted(latencies)
    result = {
        "live_orders": len(latencies) + unsynced,
        "rate_per_s": rate,
        "p50_s": round(statistics.median(ordered), 3) if ordered else None,
        "p95_s": round(ordered[max(0, int(len(ordered) * 0.95 + 0.5) - 1)], 3) if ordered else None,
        "max_s": round(ordered[-1], 3) if ordered else None,
        "unsynced": unsynced,
        "backfill_orders": 0 if baseline else backfill_orders,
        "backfill_running_throughout": running,
        "backfill_documents_by_then": documents,
        "database": "PostgreSQL" if pg_database else "SQLite",
        "live_plan": live_plan,
    }
    lines.append(
        f"live: {result['live_orders']} orders at {rate}/s, p50 {result['p50_s']} s, p95 {result['p95_s']} s, "
        f"max {result['max_s']} s, {unsynced} not synced; the backfill "
        f"{'was still running' if running else 'had finished'} ({documents} documents written by then)"
    )
    return lines, result


def _backfill_start(shop: Any) -> float:
    """Queue shop A's history import as the app does, and wait until its pass is running."""
    from syncing import pending
    from syncing.models import SyncedRecord

    started = time.monotonic()
    pending.enqueue_sweep(shop_id=shop.pk, full=True)
    while time.monotonic() - started < 120:
        if SyncedRecord.objects.filter(shop=shop, status=SyncedRecord.Status.SYNCED).exists():
            return time.monotonic() - started
        time.sleep(0.2)
    raise SystemExit("the backfill did not start writing within 2 minutes")


def _live_orders(
    sandboxes: Any, shop: Any, secret: str, app_url: str, rate: float, seconds: float
) -> tuple[list[float], int]:
    """Create orders at ``rate`` a second, post each one's webhook, and time each to "synced"."""
    from sandbox.shopify.rest import Renderer
    from syncing.models import SyncedRecord
    from tests.sandboxes import Store

    shop_data = sandboxes.shopify.store.shops[shop.domain]
    renderer, store = Renderer(shop_data), Store(shop)
    created: dict[str, float] = {}
    synced: dict[str, float] = {}
    lock = threading.Lock()
    done = threading.Event()

    def watch() -> None:
        from django.db import connection

        while not done.is_set():
            with lock:
                waiting = [gid for gid in created if gid not in synced]
            found = SyncedRecord.objects.filter(
                shop=shop, source_id__in=waiting, kind="SalesReceipt", status="synced"
            ).values_list("source_id", flat=True)
            now = time.monotonic()
            with lock:
                for gid in found:
                    synced.setdefault(gid, now)
            time.sleep(0.05)
        connection.close()

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    session = requests.Session()
    start, n = time.monotonic(), int(rate * seconds)
    for i in range(n):
        time.sleep(max(0.0, start + i / rate - time.monotonic()))
        placed = store.order(lines=[(f"LIVE-{i}", 1, "20.00")], tax="1.60")
        with lock:
            created[placed["id"]] = time.monotonic()
        order = shop_data.orders[int(placed["id"].rsplit("/", 1)[1])]
        _post(
            session,
            app_url,
            secret,
            shop.domain,
            "orders/create",
            json.dumps(renderer.body("orders/create", order)).encode(),
        )
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        with lock:
            if len(synced) == len(created):
                break
        time.sleep(0.2)
    done.set()
    watcher.join(timeout=5)
    with lock:
        return [synced[gid] - at for gid, at in created.items() if gid in synced], len(created) - len(synced)


if __name__ == "__main__":
    main()
