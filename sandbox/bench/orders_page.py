"""Orders page benchmark (run by bin/bench; figures go to BENCHMARKS.md).

A shop with ``--orders`` orders the app knows (100,000 by default): most in QuickBooks (a
sales receipt, some with refund receipts, some invoiced and paid), others skipped by the
merchant's rules, failed with an open issue, voided, refused by the ledger before any record
(an issue only) or waiting in the queue. Server time of a GET of the page through Django's
test client with a valid session token, median and worst of ``--runs`` requests, for the
first page, a search by order name, a status filter, a date range and a late page (target:
under 300 ms).

Each database runs in its own process: SQLite (a scratch file) always, and PostgreSQL when
DATABASE_URL names it (the database is created if missing; only the bench shop's rows change).
The tables are analyzed after the bulk load, as autovacuum would do in production.

    python -m sandbox.bench.orders_page [--orders 100000] [--runs 15] [--explain]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sandbox.bench.pages import on_each_database, run_child, session_token

SHOP = "bench-orders.myshopify.com"
API_KEY = "bench-orders-key"
API_SECRET = "bench-orders-secret-0123456789abcdef"
FIRST_ORDER_ID = 5_900_000_000_000
FIRST_DAY = date(2024, 1, 1)


def _shop_with_orders(n: int) -> Any:
    """n orders, one in 100 of each unusual kind; about 1.15 records per order."""
    from django.utils import timezone

    from accounts.models import QuickBooksConnection, Shop
    from syncing.models import PendingSync, SyncedRecord, SyncIssue

    Shop.objects.filter(domain=SHOP).delete()
    shop = Shop.objects.create(
        domain=SHOP, name="Bench", currency="USD", installed_at=timezone.now(), access_token="shpat_bench"
    )
    QuickBooksConnection.objects.create(shop=shop, realm_id="9130350000000001", company_name="Bench Books")
    records: list[SyncedRecord] = []
    pending: list[PendingSync] = []
    issues: list[SyncIssue] = []

    def record(gid: str, kind: str, status: str, **fields: Any) -> SyncedRecord:
        return SyncedRecord(
            shop=shop,
            source_type=fields.pop("source_type", "order"),
            source_id=fields.pop("source_id", gid),
            order_gid=gid,
            kind=kind,
            status=status,
            request_id=f"bench-{gid.rsplit('/', 1)[1]}-{kind}",
            **fields,
        )

    def flush() -> None:
        SyncedRecord.objects.bulk_create(records, batch_size=2000)
        PendingSync.objects.bulk_create(pending, batch_size=2000)
        records.clear()
        pending.clear()

    for i in range(n):
        gid = f"gid://shopify/Order/{FIRST_ORDER_ID + i * 7}"
        name = f"#{1001 + i}"
        day = _day(i, n)
        amount = Decimal(10 + i % 300) + Decimal("0.99")
        booked = {"amount": amount, "currency": "USD", "txn_date": day, "source_name": name}
        kind = i % 100
        if kind == 0:
            records.append(record(gid, "SalesReceipt", "skipped", source_name=name, last_error="test order"))
        elif kind == 1:
            records.append(record(gid, "SalesReceipt", "failed", **booked, last_error="Invalid Reference Id"))
        elif kind == 2:
            issues.append(
                SyncIssue(
                    shop=shop,
                    source_type="order",
                    source_id=gid,
                    code="total_mismatch",
                    message=f"{name}: lines + tax come to {amount - 1} but Shopify says {amount} (USD).",
                    retryable=False,
                )
            )
        elif kind == 3:
            pending.append(PendingSync(shop=shop, order_gid=gid))
        elif kind == 4:
            records.append(record(gid, "SalesReceipt", "voided", qbo_id=str(i), doc_number=name[1:], **booked))
        elif kind < 10:
            records.append(record(gid, "Invoice", "synced", qbo_id=f"{i}", doc_number=name[1:], **booked))
            records.append(record(gid, "Payment", "synced", qbo_id=f"{i}p", doc_number=name[1:], **booked))
        else:
            records.append(record(gid, "SalesReceipt", "synced", qbo_id=str(i), doc_number=name[1:], **booked))
            if kind < 20:
                refund = {**booked, "source_name": f"{name} refund 1", "amount": Decimal("5.00")}
                records.append(
                    record(
                        gid,
                        "RefundReceipt",
                        "synced",
                        source_type="refund",
                        source_id=f"gid://shopify/Refund/{FIRST_ORDER_ID + i}",
                        qbo_id=f"{i}r",
                        doc_number=f"R{name[1:]}-1",
                        **refund,
                    )
                )
        if len(records) >= 10_000:
            flush()
    flush()
    created = SyncIssue.objects.bulk_create(issues, batch_size=2000)
    failed = SyncedRecord.objects.filter(shop=shop, status="failed")
    SyncIssue.objects.bulk_create(
        (
            SyncIssue(
                shop=shop,
                record=r,
                source_type="order",
                source_id=r.source_id,
                code="qbo_rejected",
                message="rejected",
                detail={"qbo_code": "2500"},
            )
            for r in failed.iterator()
        ),
        batch_size=2000,
    )
    assert created
    return shop


def _dated(start: date, end: date, n: int) -> int:
    """Orders booked between two days; skipped, queued and issue-only ones have no date."""
    return sum(1 for i in range(n) if start <= _day(i, n) <= end and i % 100 not in (0, 2, 3))


def _day(i: int, n: int) -> date:
    return FIRST_DAY + timedelta(days=i * 730 // n)


def _page_times(runs: int, params: dict[str, str], expect: int) -> tuple[float, float, int]:
    """Median and worst server time (ms) of the orders page, and its query count."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    client = Client()
    times = []
    for i in range(runs + 2):
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("orders"), {**params, "id_token": session_token(SHOP, API_KEY, API_SECRET)})
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise SystemExit(f"orders page answered {response.status_code}")
        shown = response.content.count(b'data-testid="order-row"')
        if shown != expect:
            raise SystemExit(f"orders page with {params} showed {shown} orders, expected {expect}")
        if i >= 2:  # the first two warm the caches (templates, connection)
            times.append(elapsed)
    return statistics.median(times), max(times), len(queries)


def _explain(shop: Any, filters: Any) -> list[str]:
    """PostgreSQL's plan for the page's grouping query."""
    from django.db import connection

    from syncing import orders_page

    plans: list[str] = []
    original = connection.cursor

    class Explaining:
        def __init__(self) -> None:
            self.cursor = original()

        def __enter__(self) -> Explaining:
            return self

        def __exit__(self, *exc: object) -> None:
            self.cursor.close()

        def execute(self, sql: str, params: list[Any]) -> None:
            self.cursor.execute("EXPLAIN ANALYZE " + sql, params)
            plans.extend(row[0] for row in self.cursor.fetchall())

        def fetchall(self) -> list[Any]:
            return []

        def fetchmany(self, size: int = 0) -> list[Any]:  # noqa: ARG002
            return []

        def fetchone(self) -> None:
            return None

        def close(self) -> None:
            self.cursor.close()

    connection.cursor = Explaining  # type: ignore[method-assign,assignment]
    try:
        orders_page.orders_page(shop=shop, filters=filters)
    finally:
        connection.cursor = original  # type: ignore[method-assign]
    return plans


def child(orders: int, runs: int, explain: bool) -> dict[str, object]:
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from syncing.order_states import OrderFilters, OrderState

    settings.SHOPIFY_API_KEY, settings.SHOPIFY_API_SECRET = API_KEY, API_SECRET
    settings.ALLOWED_HOSTS = ["testserver"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    shop = _shop_with_orders(orders)
    seed_s = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # what autovacuum (or SQLite's optimize) does after a bulk load
    late = max(1, (orders * 9 // 10) // 50)
    middle = FIRST_DAY + timedelta(days=365)
    week_end = middle + timedelta(days=6)
    pages = {}
    for label, params, expect in (
        ("first page", {}, 50),
        (f"search '#{1001 + orders // 2}'", {"q": f"#{1001 + orders // 2}"}, 1),
        ("search 'refund' (part of names: orders with a refund)", {"q": "refund"}, min(50, orders // 10)),
        ("search 'no such name' (every order's names read)", {"q": "no such name"}, 0),
        ("failed only", {"status": "failed"}, min(50, orders * 2 // 100)),  # kinds 1 and 2: 2 in 100
        (
            "a week in the middle",
            {"start": str(middle), "end": str(week_end)},
            min(50, _dated(middle, week_end, orders)),
        ),
        (f"page {late:,}", {"page": str(late)}, 50),
    ):
        pages[label] = _page_times(runs, params, expect)
    result: dict[str, object] = {
        "database": connection.vendor,
        "orders": orders,
        "seed_s": seed_s,
        "pages": pages,
    }
    if explain and connection.vendor == "postgresql":
        result["plan"] = _explain(shop, OrderFilters()) + _explain(shop, OrderFilters(state=OrderState.FAILED))
    from accounts.models import Shop

    Shop.objects.filter(domain=SHOP).delete()
    return result


def report(result: dict[str, object]) -> list[str]:
    db, n = result["database"], result["orders"]
    lines = [f"{db}: {n:,} orders' records written in {result['seed_s']:.1f} s"]
    for label, (median, worst, queries) in result["pages"].items():  # type: ignore[attr-defined]
        lines.append(
            f"{db}: orders page, {label}: median {median:.0f} ms, worst {worst:.0f} ms, {queries} queries "
            f"(target < 300 ms)"
        )
    lines += [f"    {line}" for line in result.get("plan", [])]  # type: ignore[attr-defined]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--explain", action="store_true", help="print PostgreSQL's plans for the grouping query")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.orders, args.runs, args.explain)))
        return
    on_each_database(
        lambda url: run_child(
            "sandbox.bench.orders_page",
            ["--orders", str(args.orders), "--runs", str(args.runs)] + (["--explain"] if args.explain else []),
            url,
        ),
        report,
    )


if __name__ == "__main__":
    main()
