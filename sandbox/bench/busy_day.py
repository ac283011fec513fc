"""Busy day: a burst of webhooks for a few orders, then one new order (run by bin/bench).

``python -m sandbox.bench.busy_day [--orders 100] [--webhooks 2000]``: a shop with
N synced orders; the app (gunicorn, 2 workers x 4 threads) and a django-q2 cluster
(2 workers) run against a fresh database (a temporary SQLite file, or a temporary
database on the PostgreSQL server DATABASE_URL names). 16 clients post the burst
(order webhooks with Shopify's REST bodies, signed, every order many times), then
one order is placed and its orders/create webhook posted. Reported: how fast the
burst was accepted, the new order's latency from its webhook to a synced
SalesReceipt, how long the burst took to drain, and how many requests reached
Shopify's Admin API (the target: about one per order, not one per webhook).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import io
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent.parent
TOPICS = ("orders/updated", "orders/paid", "orders/updated", "orders/updated")


class CountingApp:
    """WSGI wrapper around the Shopify sandbox that counts Admin API calls."""

    def __init__(self, app: Any) -> None:
        self.app, self.graphql, self.lock = app, 0, threading.Lock()
        self.operations: dict[str, int] = {}

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("PATH_INFO", "").endswith("/graphql.json"):
            body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            environ["wsgi.input"] = io.BytesIO(body)
            words = json.loads(body or b"{}").get("query", "").split("(", 1)[0].split()
            name = " ".join(words[:2]) or "?"
            with self.lock:
                self.graphql += 1
                self.operations[name] = self.operations.get(name, 0) + 1
        return self.app(environ, start_response)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=100)
    parser.add_argument("--webhooks", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument(
        "--versions",
        choices=("repeat", "newer"),
        default="repeat",
        help="repeat: the bodies carry the orders' current updated_at (repeated events); newer: every "
        "webhook announces a version newer than any before (the worst case for coalescing)",
    )
    args = parser.parse_args(argv)
    for line in bench_busy_day(args.orders, args.webhooks, args.concurrency, args.versions):
        print(line, flush=True)


def bench_busy_day(n_orders: int, n_webhooks: int, concurrency: int, versions: str = "repeat") -> list[str]:
    from sandbox.demo import app_environment, free_port
    from sandbox.runner import start_sandboxes
    from tests.syncing.crash_scenario import _database_url, scratch_finish

    scratch = Path(tempfile.mkdtemp(prefix="shopqb-busy-"))
    server_url = os.environ.get("DATABASE_URL", "")
    database_url, pg_database = _database_url(scratch)
    port = free_port(0)
    app_url = f"http://127.0.0.1:{port}"
    sandboxes = start_sandboxes()
    counter = CountingApp(sandboxes.servers[0].server.app)
    sandboxes.servers[0].server.app = counter
    env = {**app_environment(sandboxes.info, app_url, scratch), "DATABASE_URL": database_url, "Q_WORKERS": "2"}
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "shopqb_app.settings"
    children: list[subprocess.Popen[bytes]] = []
    try:
        import django

        django.setup()
        from django.core.management import call_command

        from sandbox.demo import connect_demo_shop
        from sandbox.setup import setup_as_proposed
        from sandbox.shopify.seeder import seed_shop
        from syncing.runs import shop_sweep

        call_command("migrate", verbosity=0)
        shop = connect_demo_shop(sandboxes.info)
        token = sandboxes.info["shops"][0]["access_token"]
        seed_shop(base_url=sandboxes.info["shopify"], shop=shop.domain, token=token, orders=n_orders, seed=11)
        setup_as_proposed(shop)
        shop_sweep(shop_id=shop.pk, full=True)  # the day starts with the books in step

        children.append(_start(scratch, "qcluster", [sys.executable, "manage.py", "qcluster"]))
        children.append(
            _start(
                scratch,
                "gunicorn",
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "shopqb_app.wsgi",
                    "-b",
                    f"127.0.0.1:{port}",
                    "-w",
                    "2",
                    "--threads",
                    "4",
                    "-c",
                    "shopqb_app/gunicorn.conf.py",
                ],
            )
        )
        _wait_for(app_url)
        emulator = sandboxes.shopify
        shop_data = emulator.store.shops[shop.domain]
        orders = sorted(shop_data.orders.values(), key=lambda o: o.id)[:n_orders]
        from sandbox.shopify.rest import Renderer

        renderer = Renderer(shop_data)
        bodies = [renderer.body("orders/updated", o) for o in orders]

        def body(i: int) -> bytes:
            order = bodies[i % len(bodies)]
            if versions == "newer":
                order = {**order, "updated_at": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + f".{i:06d}Z"}
            return json.dumps(order).encode()

        secret = env["SHOPIFY_API_SECRET"]

        counter.graphql, counter.operations = 0, {}
        started = time.monotonic()
        with requests.Session() as session, ThreadPoolExecutor(concurrency) as pool:
            session.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=concurrency))
            statuses = list(
                pool.map(
                    lambda i: _post(session, app_url, secret, shop.domain, TOPICS[i % len(TOPICS)], body(i)),
                    range(n_webhooks),
                )
            )
        burst_s = time.monotonic() - started

        from tests.sandboxes import Store

        placed = Store(shop).order(lines=[("RUSH-1", 1, "42.00")], tax="3.36")
        new_body = json.dumps(renderer.body("orders/create", shop_data.orders[int(placed["id"].rsplit("/", 1)[1])]))
        posted = time.monotonic()
        new_status = _post(requests.Session(), app_url, secret, shop.domain, "orders/create", new_body.encode())
        latency = _wait_synced(shop, placed["id"], posted, timeout=600)
        drained = _wait_drained(shop, started, timeout=1800)
        graphql = counter.graphql
        operations = ", ".join(f"{n} {name}" for name, n in sorted(counter.operations.items(), key=lambda kv: -kv[1]))
        drains = _drain_tasks()
    finally:
        scratch_finish(children, sandboxes, server_url=server_url, pg_database=pg_database)
    accepted = sum(1 for s in statuses if s == 200)
    engine_name = "PostgreSQL" if pg_database else "SQLite"
    return [
        f"busy day ({engine_name}, {versions} versions): {n_webhooks} webhooks for {n_orders} orders posted by {concurrency} clients "
        f"in {burst_s:.1f} s ({n_webhooks / burst_s:,.0f}/s), {accepted} answered 200",
        f"busy day: new order's orders/create answered {new_status}; synced {latency:.2f} s after its webhook"
        if latency is not None
        else "busy day: the new order was NOT synced within 10 minutes",
        f"busy day: burst drained {drained:.1f} s after it began" if drained is not None else "busy day: NOT drained",
        f"busy day: {graphql} Shopify Admin API requests for {n_webhooks + 1} webhooks and {n_orders + 1} orders "
        f"({operations})",
        f"busy day: {drains} drain tasks queued for them",
    ]


def _start(scratch: Path, name: str, command: list[str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        command, cwd=ROOT, env={**os.environ}, stdout=(scratch / f"{name}.log").open("w"), stderr=subprocess.STDOUT
    )


def _wait_for(url: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            requests.get(url + "/healthz", timeout=2)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise SystemExit("the app did not start")


def _post(session: requests.Session, app_url: str, secret: str, domain: str, topic: str, body: bytes) -> int:
    signature = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    headers = {
        "Content-Type": "application/json",
        "X-Shopify-Topic": topic,
        "X-Shopify-Shop-Domain": domain,
        "X-Shopify-Hmac-Sha256": signature,
        "X-Shopify-Webhook-Id": str(uuid.uuid4()),
        "X-Shopify-Event-Id": str(uuid.uuid4()),
        "X-Shopify-Triggered-At": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
        "X-Shopify-API-Version": "2025-04",
    }
    return session.post(app_url + "/webhooks", data=body, headers=headers, timeout=30).status_code


def _wait_synced(shop: Any, gid: str, since: float, *, timeout: float) -> float | None:
    from syncing.models import SyncedRecord

    while time.monotonic() - since < timeout:
        if SyncedRecord.objects.filter(shop=shop, source_id=gid, status="synced").exists():
            return time.monotonic() - since
        time.sleep(0.05)
    return None


def _drain_tasks() -> int:
    """Drain tasks the cluster ran or still holds (django-q2 keeps up to Q_CLUSTER["save_limit"] results)."""
    from django_q.models import OrmQ, Task

    waiting = sum(1 for q in OrmQ.objects.all() if q.task.get("func") == "syncing.tasks.drain_shop")
    return Task.objects.filter(func="syncing.tasks.drain_shop").count() + waiting


def _wait_drained(shop: Any, since: float, *, timeout: float) -> float | None:
    from syncing.models import PendingSync

    while time.monotonic() - since < timeout:
        if not PendingSync.objects.filter(shop=shop).exists():
            return time.monotonic() - since
        time.sleep(0.2)
    return None


if __name__ == "__main__":
    main()
