"""Benchmark of the Shopify sandbox: seeding speed and a 250-order page with every accounting field.

    python -m sandbox.shopify.bench [--orders 10000] [--pages 20] [--seed 0]

Runs the emulator in-process over real HTTP with rate limiting off (the
emulator must never be the bottleneck of the app's benchmarks).
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import time
from datetime import UTC, datetime
from typing import Any

import requests

from sandbox.runner import serve_in_thread
from sandbox.shopify.emulator import ShopifyEmulator
from sandbox.shopify.seeder import seed_shop

BAG = "{ shopMoney { amount currencyCode } presentmentMoney { amount currencyCode } }"
TAX = "{ title rate priceSet " + BAG + " }"
PAGE_QUERY = """query Page($after: String) {
  orders(first: 250, after: $after, sortKey: UPDATED_AT, query: "updated_at:>'2000-01-01T00:00:00Z'") {
    pageInfo { hasNextPage endCursor }
    nodes {
      id name createdAt updatedAt processedAt cancelledAt test email taxesIncluded currencyCode
      presentmentCurrencyCode displayFinancialStatus sourceName tags paymentGatewayNames
      customer { id displayName defaultEmailAddress { emailAddress } }
      retailLocation { id name }
      totalPriceSet BAG currentTotalPriceSet BAG subtotalPriceSet BAG totalTaxSet BAG
      totalShippingPriceSet BAG totalDiscountsSet BAG totalRefundedSet BAG totalTipReceivedSet BAG
      taxLines TAX
      lineItems(first: 50) { nodes {
        id name sku quantity currentQuantity taxable isGiftCard variant { id }
        originalUnitPriceSet BAG discountedTotalSet BAG
        discountAllocations { allocatedAmountSet BAG }
        taxLines TAX } }
      shippingLines(first: 5) { nodes { title originalPriceSet BAG discountedPriceSet BAG
        discountAllocations { allocatedAmountSet BAG } taxLines TAX } }
      transactions(first: 20) { id kind gateway status test processedAt amountSet BAG
        fees { amount { amount currencyCode } rate type } }
      refunds(first: 10) { id createdAt totalRefundedSet BAG
        refundLineItems(first: 50) { nodes { quantity restockType lineItem { id sku } subtotalSet BAG totalTaxSet BAG } }
        refundShippingLines(first: 5) { nodes { subtotalAmountSet BAG taxAmountSet BAG } }
        transactions(first: 10) { nodes { id kind gateway status amountSet BAG } } }
    }
  }
}""".replace("BAG", BAG).replace("TAX", TAX)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--pages", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    options = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)

    emulator = ShopifyEmulator(None, None, options.seed, throttle=False, max_query_cost=None)
    running = serve_in_thread(emulator)
    emulator.set_base_url(running.base_url)
    shop = emulator.describe()["shops"][0]
    try:
        started = time.perf_counter()
        summary = seed_shop(
            base_url=running.base_url,
            shop=shop["domain"],
            token=shop["access_token"],
            orders=options.orders,
            seed=options.seed,
            anchor=datetime(2026, 1, 1, tzinfo=UTC),
        )
        seed_seconds = time.perf_counter() - started
        reads = _read_pages(running.base_url, shop, options.pages)
        fresh_ms = _execute_after_change(emulator, shop["domain"], options.orders)
    finally:
        running.stop()
        emulator.close()

    report = {
        "orders_seeded": summary["orders_created"],
        "seed_seconds": round(seed_seconds, 1),
        "seed_orders_per_second": round(summary["orders_created"] / seed_seconds),
        "seed_requests": summary["requests"],
        **reads,
        # every order changed since its last read (views rebuilt, no cache), in-process
        "after_change_execute_ms": round(fresh_ms, 1),
    }
    print(json.dumps(report, indent=2))


def _read_pages(base_url: str, shop: dict[str, Any], count: int) -> dict[str, Any]:
    """Each page once, right after seeding (never rendered before), then the first page again and again."""
    endpoint = f"{base_url}/{shop['domain']}/admin/api/2025-04/graphql.json"
    session = requests.Session()
    headers = {"X-Shopify-Access-Token": shop["access_token"]}
    http_ms, cursor, pages = [], None, []
    for _ in range(count):
        t0 = time.perf_counter()
        response = session.post(endpoint, json={"query": PAGE_QUERY, "variables": {"after": cursor}}, headers=headers)
        http_ms.append((time.perf_counter() - t0) * 1000)
        body = response.json()
        assert "errors" not in body, body.get("errors")
        conn = body["data"]["orders"]
        pages.append(len(conn["nodes"]))
        cursor = conn["pageInfo"]["endCursor"] if conn["pageInfo"]["hasNextPage"] else None
    warm_ms = []
    for _ in range(count):
        t0 = time.perf_counter()
        response = session.post(endpoint, json={"query": PAGE_QUERY, "variables": {"after": None}}, headers=headers)
        warm_ms.append((time.perf_counter() - t0) * 1000)
    return {
        "page_orders": pages[0],
        "page_kib": round(len(response.content) / 1024),
        # each page read once, right after seeding (views built, page never rendered before)
        "first_read_http_ms_median": round(statistics.median(http_ms), 1),
        "first_read_http_ms_max": round(max(http_ms), 1),
        # the same page again (rendered orders come from the render cache)
        "repeat_read_http_ms_median": round(statistics.median(warm_ms), 1),
    }


def _execute_after_change(emulator: ShopifyEmulator, domain: str, orders: int) -> float:
    """Milliseconds to run the first page in-process after every order changed (views rebuilt, no cache)."""
    domain_shop = emulator.store.shops[domain]
    for order in domain_shop.orders.values():
        order.invalidate()
    t0 = time.perf_counter()
    result = emulator.execute(domain_shop, PAGE_QUERY, {"after": None})
    fresh_ms = (time.perf_counter() - t0) * 1000
    assert len(result["data"]["orders"]["nodes"]) == min(250, orders)
    return fresh_ms


if __name__ == "__main__":
    main()
