"""Products step benchmarks (run by bin/bench; figures go to BENCHMARKS.md).

- auto-match: 10,000 unmatched variants against a company with 10,000 items, a quarter matched
  by SKU, half by name (some differing in case and spaces), a quarter left (target: under 2 s);
- "create the missing items" for the variants auto-match left (item names made unique against
  the 10,000 items; nothing is written to QuickBooks before go-live);
- the products page with those 10,000 variants: server time of a GET through Django's test
  client with a valid session token, median of ``--runs`` requests, for the first page, a
  search, the unmatched filter and the last page (target: under 300 ms).

Each database runs in its own process: SQLite (a scratch file) always, and PostgreSQL when
DATABASE_URL names it (the database is created if missing; only the bench shop's rows change).

    python -m sandbox.bench.products [--variants 10000] [--runs 15] [--explain]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from sandbox.bench.pages import on_each_database, run_child, session_token

SHOP = "bench-products.myshopify.com"
API_KEY = "bench-products-key"
API_SECRET = "bench-products-secret-0123456789abcdef"


def _catalog(n: int):  # type: ignore[no-untyped-def]
    from mappings.catalog import Catalog, QBOObject

    items = []
    for i in range(n):
        if i % 4 == 0:  # same SKU, another name
            items.append(QBOObject(str(i + 1), f"QBO item {i:05d}", "Inventory", sku=f"SKU-{i:05d}"))
        elif i % 4 == 1:  # the variant's own name
            items.append(QBOObject(str(i + 1), f"Bench Product {i:05d}", "NonInventory"))
        elif i % 4 == 2:  # nothing in common
            items.append(QBOObject(str(i + 1), f"Unrelated service {i:05d}", "Service", sku=f"OTHER-{i:05d}"))
        else:  # the name in other case, with spaces around
            items.append(QBOObject(str(i + 1), f"  BENCH PRODUCT {i:05d} ", "NonInventory"))
    return Catalog(items=tuple(items))


def _shop_with_variants(n: int):  # type: ignore[no-untyped-def]
    from django.utils import timezone

    from accounts.models import Shop
    from mappings.models import ProductMapping

    Shop.objects.filter(domain=SHOP).delete()
    shop = Shop.objects.create(domain=SHOP, name="Bench", installed_at=timezone.now(), access_token="shpat_bench")
    ProductMapping.objects.bulk_create(
        (
            ProductMapping(
                shop=shop,
                variant_gid=f"gid://shopify/ProductVariant/{40_000_000_000 + i}",
                product_gid=f"gid://shopify/Product/{8_000_000_000 + i // 3}",
                title=f"Bench Product {i:05d}",
                sku=f"SKU-{i:05d}",
            )
            for i in range(n)
        ),
        batch_size=1000,
    )
    return shop


def _page_times(runs: int, params: dict[str, str]) -> tuple[float, float, int]:
    """Median and worst server time (ms) of the products page, and its query count."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    client = Client()
    url = reverse("mappings:products")

    times = []
    for i in range(runs + 2):
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, {**params, "id_token": session_token(SHOP, API_KEY, API_SECRET)})
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise SystemExit(f"products page answered {response.status_code}")
        if i >= 2:  # the first two warm the caches (templates, connection)
            times.append(elapsed)
    return statistics.median(times), max(times), len(queries)


def _explain(shop) -> list[str]:  # type: ignore[no-untyped-def]
    """PostgreSQL's plan for the page's rows query (the first page, unmatched first)."""
    from django.db import connection

    from mappings.product_listing import products_listing

    listing = products_listing(shop=shop)
    query = listing.page.paginator.object_list[:50]
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN ANALYZE " + sql, params)
        return [row[0] for row in cursor.fetchall()]


def child(variants: int, runs: int, explain: bool) -> dict[str, object]:
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from mappings.models import AccountRole, AccountRoleMapping, ProductMapping
    from mappings.product_items import products_create_missing
    from mappings.product_matching import products_auto_match

    settings.SHOPIFY_API_KEY, settings.SHOPIFY_API_SECRET = API_KEY, API_SECRET
    settings.ALLOWED_HOSTS = ["testserver"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    call_command("migrate", verbosity=0)
    shop = _shop_with_variants(variants)
    catalog = _catalog(variants)
    started = time.perf_counter()
    matched = products_auto_match(shop=shop, catalog=catalog)
    match_s = time.perf_counter() - started
    assert ProductMapping.objects.filter(shop=shop).exclude(qbo_item_id="").count() == matched.total
    AccountRoleMapping.objects.create(shop=shop, role=AccountRole.SALES_INCOME, qbo_id="79", qbo_name="Sales")
    started = time.perf_counter()
    to_create = products_create_missing(shop=shop, catalog=catalog, by="bench")
    create_s = time.perf_counter() - started
    pages = {}
    for label, params in (
        ("first page", {}),
        ("search 'product 0042'", {"q": "product 0042"}),
        ("unmatched only", {"show": "unmatched"}),
        ("last page", {"page": str((variants + 49) // 50)}),
    ):
        pages[label] = _page_times(runs, params)
    result: dict[str, object] = {
        "database": connection.vendor,
        "variants": variants,
        "match_s": match_s,
        "matched": [matched.by_sku, matched.by_name, matched.unmatched],
        "create_s": create_s,
        "to_create": to_create,
        "pages": pages,
    }
    if explain and connection.vendor == "postgresql":
        result["plan"] = _explain(shop)
    from accounts.models import Shop

    Shop.objects.filter(domain=SHOP).delete()
    return result


def report(result: dict[str, object]) -> list[str]:
    db, n = result["database"], result["variants"]
    by_sku, by_name, left = result["matched"]  # type: ignore[misc]
    lines = [
        f"{db}: auto-match {n:,} variants against {n:,} QuickBooks items in {result['match_s']:.2f} s "
        f"(target < 2 s): {by_sku:,} by SKU, {by_name:,} by name, {left:,} left unmatched"
    ]
    lines.append(
        f"{db}: create the missing items: {result['to_create']:,} item specs saved in {result['create_s']:.2f} s"
    )
    for label, (median, worst, queries) in result["pages"].items():  # type: ignore[attr-defined]
        lines.append(
            f"{db}: products page, {label}: median {median:.0f} ms, worst {worst:.0f} ms, {queries} queries "
            f"(target < 300 ms)"
        )
    lines += [f"    {line}" for line in result.get("plan", [])]  # type: ignore[attr-defined]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--variants", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--explain", action="store_true", help="print PostgreSQL's plan for the page's query")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.variants, args.runs, args.explain)))
        return
    on_each_database(
        lambda url: run_child(
            "sandbox.bench.products",
            ["--variants", str(args.variants), "--runs", str(args.runs)] + (["--explain"] if args.explain else []),
            url,
        ),
        report,
    )


if __name__ == "__main__":
    main()
