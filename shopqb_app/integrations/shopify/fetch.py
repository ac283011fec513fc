"""Fetching orders: cheap id pages for sweeps, full orders one by one.

The full order query stays well under Shopify's 1000-point single-query limit;
orders with more line items than its first page are completed by following the
line-item cursor.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from shopqb_app.integrations.shopify.bulk import bulk_orders
from shopqb_app.integrations.shopify.client import ShopifyClient, load_query

ID_PAGE_SIZE = 100


def changed_order_ids(client: ShopifyClient, *, search: str | None) -> Iterator[tuple[str, str]]:
    """(gid, updatedAt) of every order matching ``search``, oldest update first."""
    variables = {"first": ID_PAGE_SIZE, "query": search}
    for page in client.paginate(load_query("orders"), "orders", variables):
        for node in page:
            yield str(node["id"]), str(node["updatedAt"])


def fetch_order(client: ShopifyClient, gid: str) -> dict[str, Any] | None:
    """The whole order as OrderFields, every line item included; None if Shopify has no such order."""
    data = client.execute(load_query("order"), {"id": gid})
    order = data.get("order")
    if order is None:
        return None
    line_items = order["lineItems"]
    nodes = list(line_items["nodes"])
    info = line_items.get("pageInfo") or {}
    while info.get("hasNextPage"):
        more = client.execute(load_query("order_line_items"), {"id": gid, "after": info["endCursor"]})
        page = more["order"]["lineItems"]
        nodes.extend(page["nodes"])
        info = page["pageInfo"]
    order["lineItems"] = {"nodes": nodes}
    return dict(order)


def all_orders(client: ShopifyClient, *, search: str | None) -> Iterator[dict[str, Any]]:
    """Every matching order, complete, for backfills and reconciliation.

    One bulk operation reads them all without the per-query cost limit; the few
    with refunds are fetched again one by one for their refund line items.
    """
    for raw in bulk_orders(client, search=search):
        if raw.get("refunds"):
            full = fetch_order(client, str(raw["id"]))
            if full is None:
                continue
            raw = full
        yield raw


def payouts(client: ShopifyClient) -> Iterator[dict[str, Any]]:
    """Every Shopify Payments payout of the shop, oldest first."""
    after: str | None = None
    while True:
        data = client.execute(load_query("payouts"), {"first": 25, "after": after})
        account = data.get("shopifyPaymentsAccount")
        if account is None:
            return  # the shop does not use Shopify Payments
        page = account["payouts"]
        yield from page["nodes"]
        if not page["pageInfo"]["hasNextPage"]:
            return
        after = page["pageInfo"]["endCursor"]
