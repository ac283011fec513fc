"""Engine benchmarks (run by bin/bench; figures go to BENCHMARKS.md).

- ledger: orders turned into SalesReceipts per second (pure, no I/O);
- sweep: a first full sync of N seeded orders against both emulators over HTTP,
  then a second sweep that must write nothing.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from decimal import Decimal


def bench_ledger(n: int) -> str:
    from shopqb_app.integrations.shopify.parse import parse_order
    from syncing import ledger
    from tests.syncing.factories import mapping, order_node

    nodes = [
        order_node(
            order_id=1000 + i,
            lines=[("A", 1 + i % 3, "19.99", "1.00"), ("B", 2, "5.25", "0.00")],
            shipping="4.99",
            tax=str(Decimal("2.10") + Decimal(i % 7) / 100),
        )
        for i in range(n)
    ]
    m = mapping()
    start = time.perf_counter()
    for node in nodes:
        ledger.order_documents(parse_order(node), m)
    elapsed = time.perf_counter() - start
    return f"ledger: {n} orders parsed and booked in {elapsed * 1000:.0f} ms ({n / elapsed:,.0f} orders/s)"


def bench_sweep(n: int) -> list[str]:
    db = tempfile.NamedTemporaryFile(suffix=".sqlite3", delete=False)
    os.environ["DATABASE_URL"] = f"sqlite:///{db.name}"  # never the caller's database
    os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.utils import timezone

    from accounts.models import QuickBooksConnection, Shop
    from sandbox.runner import start_sandboxes
    from sandbox.setup import setup_as_proposed
    from sandbox.shopify.seeder import seed_shop
    from syncing.runs import shop_sweep

    call_command("migrate", verbosity=0)
    sandboxes = start_sandboxes()
    try:
        info = sandboxes.info
        settings.SHOPIFY_ADMIN_BASE = info["shopify"] + "/{shop}"
        settings.QBO_CLIENT_ID = info["qbo_app"]["client_id"]
        settings.QBO_CLIENT_SECRET = info["qbo_app"]["client_secret"]
        settings.QBO_ENVIRONMENT = info["qbo"] + "/.well-known/openid_configuration"
        settings.QBO_API_BASE = info["qbo"] + "/v3"
        shop_info, company = info["shops"][0], info["qbo_companies"][0]
        t0 = time.perf_counter()
        seed_shop(base_url=info["shopify"], shop=shop_info["domain"], token=shop_info["access_token"], orders=n, seed=3)
        seeded = time.perf_counter() - t0
        Shop.objects.filter(domain=shop_info["domain"]).delete()
        shop = Shop.objects.create(
            domain=shop_info["domain"],
            currency="USD",
            iana_timezone="America/New_York",
            installed_at=timezone.now(),
            access_token=shop_info["access_token"],
        )
        QuickBooksConnection.objects.create(
            shop=shop, realm_id=company["realm_id"], access_token=company["access_token"], country="US"
        )
        setup_as_proposed(shop)  # reads the orders and previews samples: outside the timed sweeps
        t1 = time.perf_counter()
        first = shop_sweep(shop_id=shop.pk, full=True)
        first_s = time.perf_counter() - t1
        t2 = time.perf_counter()
        second = shop_sweep(shop_id=shop.pk)
        second_s = time.perf_counter() - t2
    finally:
        sandboxes.stop()
        os.unlink(db.name)
    written = first.run.documents_written
    return [
        f"seed: {n} orders through orderCreate over HTTP in {seeded:.1f} s",
        f"first sweep: {first.run.orders_seen} orders, {written} documents written in {first_s:.1f} s "
        f"({first.run.orders_seen / first_s:,.0f} orders/s); outcomes {first.outcomes}",
        f"second sweep: {second.run.orders_seen} orders, {second.run.documents_written} written in {second_s:.1f} s; "
        f"outcomes {second.outcomes}",
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=500)
    args = parser.parse_args()
    print(bench_ledger(5000))
    for line in bench_sweep(args.orders):
        print(line)


if __name__ == "__main__":
    main()
