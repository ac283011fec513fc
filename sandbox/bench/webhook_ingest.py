"""Webhook ingest benchmark (run by bin/bench; figures go to BENCHMARKS.md).

Serves the app with gunicorn as deployed (docs/deployment.md) on PostgreSQL, and
drives it from a separate load-generator process: ``--clients`` concurrent
keep-alive connections, each sending signed ``orders/create`` deliveries (a new
webhook id and order id every time, as Shopify would) for ``--seconds``. The same
run measures a bare Django view (sandbox.bench.urls, same middleware) as the
yardstick, and reports deliveries/s, p50 and p99 for both and their ratio.

    python -m sandbox.bench.webhook_ingest [--clients 16] [--seconds 15] [--workers 3] [--threads 4]

DATABASE_URL defaults to postgres://postgres@127.0.0.1:5432/shopqb_bench (created
if missing). The bench shop's rows are reset before each run.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/shopqb_bench"
SECRET = "bench-webhook-secret-0123456789abcdef"
SHOP = "bench-shop.myshopify.com"


def order_body_template() -> bytes:
    """An orders/create body shaped like Shopify's (about 5 KB); ``__ID__`` stands for the order id."""
    address = {"first_name": "Bob", "last_name": "Norman", "address1": "Chestnut Street 92", "city": "Louisville"}
    address |= {"province": "Kentucky", "country": "United States", "zip": "40202", "country_code": "US"}
    lines = [
        {
            "id": 866550311766439020 + i,
            "admin_graphql_api_id": f"gid://shopify/LineItem/{866550311766439020 + i}",
            "title": f"Product {i}",
            "variant_id": 39072856 + i,
            "sku": f"SKU-{i}",
            "quantity": 1 + i,
            "price": "19.99",
            "price_set": {"shop_money": {"amount": "19.99", "currency_code": "USD"}},
            "tax_lines": [{"title": "State Tax", "rate": 0.06, "price": "1.20"}],
            "discount_allocations": [],
            "properties": [],
            "requires_shipping": True,
            "taxable": True,
            "vendor": "Bench",
        }
        for i in range(3)
    ]
    order = {
        "id": "__ID__",
        "admin_graphql_api_id": "gid://shopify/Order/__ID__",
        "name": "#1001",
        "email": "bob.norman@mail.example.com",
        "created_at": "2026-01-10T11:00:00-05:00",
        "currency": "USD",
        "financial_status": "paid",
        "total_price": "131.91",
        "subtotal_price": "119.94",
        "total_tax": "7.20",
        "taxes_included": False,
        "total_price_set": {"shop_money": {"amount": "131.91", "currency_code": "USD"}},
        "line_items": lines,
        "shipping_lines": [{"title": "Standard", "price": "4.77", "code": "standard", "tax_lines": []}],
        "tax_lines": [{"title": "State Tax", "rate": 0.06, "price": "7.20"}],
        "billing_address": address,
        "shipping_address": address,
        "customer": {"id": 207119551, "email": "bob.norman@mail.example.com", "default_address": address},
        "note_attributes": [],
        "payment_gateway_names": ["shopify_payments"],
        "tags": "",
    }
    return json.dumps(order).encode().replace(b'"__ID__"', b"__ID__")


TEMPLATE = order_body_template()


def order_body(order_id: int) -> bytes:
    return TEMPLATE.replace(b"__ID__", str(order_id).encode())


def request_bytes(path: str, body: bytes, topic: str = "orders/create") -> bytes:
    digest = base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()
    head = [
        f"POST {path} HTTP/1.1",
        "Host: 127.0.0.1",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
        f"X-Shopify-Topic: {topic}",
        f"X-Shopify-Hmac-Sha256: {digest}",
        f"X-Shopify-Shop-Domain: {SHOP}",
        "X-Shopify-API-Version: 2025-04",
        f"X-Shopify-Webhook-Id: {uuid.uuid4()}",
        f"X-Shopify-Event-Id: {uuid.uuid4()}",
        f"X-Shopify-Triggered-At: {datetime.now(UTC).isoformat()}",
    ]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


# --- the load generator (its own process) ---------------------------------------------


async def _client(
    port: int, path: str, topic: str, ids, deadline: float, record_after: float, out: list, errors: list, tally: dict
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    while (now := time.perf_counter()) < deadline:
        writer.write(request_bytes(path, order_body(next(ids)), topic))
        start = time.perf_counter()
        status_line = await reader.readline()
        length = 0
        while (line := await reader.readline()) not in (b"\r\n", b""):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        await reader.readexactly(length)
        tally["sent"] += 1
        tally["ok"] += b" 200 " in status_line
        if now >= record_after:
            out.append(time.perf_counter() - start)
            if b" 200 " not in status_line:
                errors.append(status_line.decode(errors="replace").strip())
        if b"close" in status_line.lower():  # pragma: no cover - gunicorn keeps connections alive
            writer.close()
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.close()


async def _load(port: int, path: str, topic: str, clients: int, seconds: float, warmup: float, first_id: int) -> dict:
    ids = iter(range(first_id, first_id + 10**8))
    start = time.perf_counter()
    latencies: list[float] = []
    errors: list[str] = []
    tally = {"sent": 0, "ok": 0}  # every request, warm-up included
    record_after, deadline = start + warmup, start + warmup + seconds
    await asyncio.gather(
        *(_client(port, path, topic, ids, deadline, record_after, latencies, errors, tally) for _ in range(clients))
    )
    latencies.sort()
    return {
        "cpu_s": time.process_time(),  # the load generator's own CPU, warm-up included
        **tally,
        "count": len(latencies),
        "per_second": len(latencies) / seconds,
        "p50_ms": latencies[len(latencies) // 2] * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99)] * 1000,
        "errors": len(errors),
        "first_error": errors[0] if errors else "",
    }


def load_main(argv: list[str]) -> None:
    port, path, topic, clients, seconds, warmup, first_id = argv
    result = _load(int(port), path, topic, int(clients), float(seconds), float(warmup), int(first_id))
    print(json.dumps(asyncio.run(result)))


# --- the run ------------------------------------------------------------------------------


def _database_ready(url: str) -> None:
    import psycopg

    base, _, name = url.rpartition("/")
    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def _bench_shop_reset() -> None:
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone
    from django_q.models import OrmQ

    from accounts.models import Shop
    from syncing.models import WebhookDelivery

    call_command("migrate", verbosity=0)
    WebhookDelivery.objects.filter(shop_domain=SHOP).delete()
    OrmQ.objects.all().delete()
    Shop.objects.filter(domain=SHOP).delete()
    Shop.objects.create(domain=SHOP, name="Bench", installed_at=timezone.now(), access_token="shpat_bench")
    connection.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until_serving(port: int, server: subprocess.Popen, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("gunicorn exited; see its log")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                if s.recv(64).startswith(b"HTTP/1.1 200"):
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("gunicorn did not answer /healthz")


# --- CPU per request, per part (Linux /proc): the machine is shared, throughput is noisy --


def _cpu_of(pids: list[int]) -> float:
    """CPU seconds (user + system) the processes have used so far; gone ones count 0."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (proc(5))
    return total / os.sysconf("SC_CLK_TCK")


def _children_of(parent: int) -> list[int]:
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == parent:
                pids.append(int(stat.parent.name))
        except (OSError, ValueError):
            continue
    return pids


def _backends(database_url: str) -> list[int]:
    """The PostgreSQL server processes serving the benchmark's database (same host only)."""
    import psycopg

    base, _, name = database_url.rpartition("/")
    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND backend_type = 'client backend'", [name]
        )
        return [pid for (pid,) in rows]


def _measure(
    port: int, path: str, topic: str, args: argparse.Namespace, first_id: int, server: subprocess.Popen, db: str
) -> dict:
    load = [str(port), path, topic, str(args.clients), str(args.seconds), str(args.warmup), str(first_id)]
    workers = _children_of(server.pid)
    backends = _backends(db) if db.startswith("postgres") else []
    app0, db0 = _cpu_of(workers), _cpu_of(backends)
    result = subprocess.run(
        [sys.executable, "-m", "sandbox.bench.webhook_ingest", "--load", *load],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    measured: dict = json.loads(result.stdout)
    # Warm-up included on both sides: CPU over every request sent, not only the timed ones.
    sent = measured["sent"]
    backends = sorted(set(backends) | set(_backends(db) if db.startswith("postgres") else []))
    measured["cpu_ms"] = {
        "app": (_cpu_of(workers) - app0) / sent * 1000,
        "db": (_cpu_of(backends) - db0) / sent * 1000,
        "load": measured["cpu_s"] / sent * 1000,
    }
    return measured


def main() -> None:
    if sys.argv[1:2] == ["--load"]:
        load_main(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()

    os.environ.setdefault("DATABASE_URL", DEFAULT_DB)
    os.environ.setdefault("CONN_MAX_AGE", "60")  # as docs/deployment.md tells operators to set
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "sandbox.bench.settings",
        "SHOPIFY_API_SECRET": SECRET,
        "ALLOWED_HOSTS": "127.0.0.1",
    }
    os.environ.update({k: env[k] for k in ("DJANGO_SETTINGS_MODULE", "SHOPIFY_API_SECRET", "ALLOWED_HOSTS")})
    if env["DATABASE_URL"].startswith("postgres"):
        _database_ready(env["DATABASE_URL"])
    import django

    django.setup()
    _bench_shop_reset()

    port = _free_port()
    log = tempfile.NamedTemporaryFile(prefix="shopqb-bench-gunicorn-", suffix=".log", delete=False)
    # The command of docs/deployment.md, access log included.
    command = [sys.executable, "-m", "gunicorn", "-c", "shopqb_app/gunicorn.conf.py", "shopqb_app.wsgi"]
    command += ["--bind", f"127.0.0.1:{port}", "--workers", str(args.workers), "--threads", str(args.threads)]
    command += ["--timeout", "30", "--access-logfile", "-"]
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)
    try:
        _wait_until_serving(port, server)
        db = env["DATABASE_URL"]
        bare = _measure(port, "/_bench/bare", "orders/create", args, 10**9, server, db)
        webhook = _measure(port, "/webhooks", "orders/create", args, 2 * 10**9, server, db)
        # The same endpoint for a topic it only records (no order lookup, no enqueue): what
        # verifying and storing cost on their own.
        recorded = _measure(port, "/webhooks", "products/update", args, 3 * 10**9, server, db)
    finally:
        server.terminate()
        server.wait(timeout=30)

    from syncing.models import WebhookDelivery

    stored = WebhookDelivery.objects.filter(shop_domain=SHOP).count()
    print(
        f"gunicorn --workers {args.workers} --threads {args.threads}, {args.clients} clients, "
        f"{args.seconds:.0f} s each, {env['DATABASE_URL'].split('://')[0]}, CONN_MAX_AGE={env['CONN_MAX_AGE']}"
    )
    rows = (
        ("bare Django view", bare),
        ("POST /webhooks (orders/create)", webhook),
        ("POST /webhooks (products/update)", recorded),
    )
    for name, r in rows:
        print(
            f"{name:32} {r['per_second']:8.0f} req/s   p50 {r['p50_ms']:6.1f} ms   p99 {r['p99_ms']:6.1f} ms"
            + (f"   {r['errors']} non-200 ({r['first_error']})" if r["errors"] else "")
        )
    accepted = webhook["ok"] + recorded["ok"]  # each delivery has its own webhook id
    print(
        f"ratio webhook/bare: {webhook['per_second'] / bare['per_second']:.2f}; deliveries answered 200: "
        f"{accepted}, stored: {stored}" + ("" if stored == accepted else f"   MISMATCH: {accepted - stored} lost")
    )
    print(f"CPU per request (ms; gunicorn workers, PostgreSQL backends, load generator), {os.cpu_count()} CPUs:")
    for name, r in rows:
        cpu = r["cpu_ms"]
        total = cpu["app"] + cpu["db"] + cpu["load"]
        print(
            f"  {name:30} app {cpu['app']:5.2f}   db {cpu['db']:5.2f}   load {cpu['load']:5.2f}   "
            f"total {total:5.2f}   (all CPUs busy: {(os.cpu_count() or 1) * 1000 / total:,.0f} req/s)"
        )
    print(f"gunicorn log: {log.name}")


if __name__ == "__main__":
    main()
