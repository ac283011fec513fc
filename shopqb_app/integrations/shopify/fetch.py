"""Fetching orders: cheap id pages for sweeps, full orders one by one.

The full order query stays well under Shopify's 1000-point single-query limit by
asking small first pages of its connections; an order with more (line items,
shipping lines, a refund's line items, shipping lines or transactions) is completed
by following each connection's cursor, so nothing an order holds is left out.
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


# Per connection the order query reads a first page of: the query that reads its later pages,
# the root field that query asks for, and the connection's field name.
ORDER_PAGES = (("order_line_items", "order", "lineItems"), ("order_shipping_lines", "order", "shippingLines"))
REFUND_PAGES = (
    ("refund_line_items", "refund", "refundLineItems"),
    ("refund_shipping_lines", "refund", "refundShippingLines"),
    ("refund_transactions", "refund", "transactions"),
)


def fetch_order(client: ShopifyClient, gid: str) -> dict[str, Any] | None:
    """The whole order as OrderFields, every connection read to its end; None if Shopify has no such order."""
    data = client.execute(load_query("order"), {"id": gid})
    order = data.get("order")
    if order is None:
        return None
    _complete(client, order, ORDER_PAGES)
    for refund in order.get("refunds") or []:
        _complete(client, refund, REFUND_PAGES)
    return dict(order)


def _complete(client: ShopifyClient, parent: dict[str, Any], pages: tuple[tuple[str, str, str], ...]) -> None:
    """Replace each connection of ``parent`` (an order or a refund) by all its nodes: the first
    page came with the order, the rest are read after its cursor."""
    for query, root, name in pages:
        connection = parent[name]
        nodes = list(connection["nodes"])
        info = connection.get("pageInfo") or {}
        while info.get("hasNextPage"):
            more = client.execute(load_query(query), {"id": parent["id"], "after": info["endCursor"]})
            page = more[root][name]
            nodes.extend(page["nodes"])
            info = page["pageInfo"]
        parent[name] = {"nodes": nodes}


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
