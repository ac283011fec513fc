"""Two django-q2 clusters on Redis race over one shop; every order must reach QuickBooks once.

``python -m tests.scaleout.race [--orders N] [--bursts B]`` needs DATABASE_URL (a PostgreSQL
server: the run makes and drops its own database) and REDIS_URL (a Redis server: the run
takes a queue of its own on it). It starts both sandboxes and two ``manage.py qcluster``
processes (two workers each), places N orders in the Shopify sandbox and asks for the
same shop's work over and over, as a busy store and the scheduler do: every order
requested B times the way the webhook view does (its topics: created, updated, paid), a
drain queued B times, a sweep of changed orders B times, all while the clusters work.
Then nobody touches anything until the queue, the orders waiting and the running passes
are all gone. The run passes when the company, read back, holds every order exactly once
and both clusters did some of the work. Prints one JSON line; exits 1 if the run failed.

The Redis broker has no receipts (a task is gone from Redis once a worker takes it), so
what makes this safe is the app's own bookkeeping: the per-order queue rows, the drain
marker, the claim on each record and the lookup before any create.
Reference: https://django-q2.readthedocs.io/en/master/brokers.html
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from typing import Any

from tests.scaleout.scratch import Deployment, python, scratch_deployment

CLUSTERS = 2
# django-q2's monitor logs a line per task it saves: "Processed '<func>' (<name>)".
PROCESSED = re.compile(r"Processed '")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=12)
    parser.add_argument("--bursts", type=int, default=6, help="times each order, drain and sweep is asked for")
    parser.add_argument("--wait", type=float, default=300.0, help="seconds the work may take")
    args = parser.parse_args(argv)
    with scratch_deployment(redis_url=os.environ.get("REDIS_URL", "")) as deployment:
        result = race(deployment, orders=args.orders, bursts=args.bursts, wait=args.wait)
        print(json.dumps(result), flush=True)
        if not result["ok"]:
            for n in range(CLUSTERS):
                print(f"--- qcluster-{n + 1}.log\n{deployment.log_tail(f'qcluster-{n + 1}')}", file=sys.stderr)
        return 0 if result["ok"] else 1


def race(deployment: Deployment, *, orders: int, bursts: int, wait: float) -> dict[str, Any]:
    from django.db import transaction
    from django_q.brokers import get_broker

    from syncing.models import PendingSync, SyncedRecord, SyncRun
    from syncing.pending import enqueue_drain, enqueue_order_sync, enqueue_sweep
    from tests.sandboxes import Store

    shop = deployment.shop
    clusters = [deployment.start(f"qcluster-{n + 1}", python("manage.py", "qcluster")) for n in range(CLUSTERS)]
    store = Store(shop)
    gids: list[str] = []
    started = time.monotonic()
    for n in range(orders):
        gids.append(store.order(lines=[(f"RACE-{n}", 1 + n % 3, "10.00")], tax="1.00")["id"])
        for burst in range(bursts):
            with transaction.atomic():  # as the webhook view does: created first, then the repeats
                enqueue_order_sync(shop_id=shop.pk, order_gid=gids[-1], new=burst == 0)
            if n % 3 == 0:
                enqueue_drain(shop_id=shop.pk)
                enqueue_sweep(shop_id=shop.pk)
    broker = get_broker()
    settled = False
    while time.monotonic() - started < wait:
        if any(cluster.poll() is not None for cluster in clusters):
            break
        idle = (
            broker.queue_size() == 0
            and not PendingSync.objects.filter(shop=shop).exists()
            and not SyncRun.objects.filter(shop=shop, status=SyncRun.Status.RUNNING).exists()
        )
        synced = SyncedRecord.objects.filter(shop=shop, order_gid__in=gids, status="synced").count()
        if idle and synced >= len(gids):
            settled = True
            break
        time.sleep(0.5)
    seconds = round(time.monotonic() - started, 1)
    time.sleep(2)  # a task a worker took just before the queue looked empty finishes meanwhile
    documents = deployment.documents_per_order(gids)
    processed = [len(PROCESSED.findall(deployment.log_tail(f"qcluster-{n + 1}", 10**9))) for n in range(CLUSTERS)]
    statuses: dict[str, int] = {}
    for status in SyncedRecord.objects.filter(shop=shop, order_gid__in=gids).values_list("status", flat=True):
        statuses[status] = statuses.get(status, 0) + 1
    return {
        "ok": settled and all(n == 1 for n in documents) and all(processed),
        "broker": broker.info(),
        "clusters": CLUSTERS,
        "orders": len(gids),
        "requests_per_order": bursts,
        "settled_in_s": seconds if settled else None,
        "documents_per_order": documents,
        "duplicates": sum(n - 1 for n in documents if n > 1),
        "lost": sum(1 for n in documents if n == 0),
        "records": statuses,
        "tasks_processed_per_cluster": processed,
        "clusters_alive": [cluster.poll() is None for cluster in clusters],
    }


if __name__ == "__main__":
    sys.exit(main())
