"""No silent truncation: an order is read whole, whatever it holds. Transactions and refunds are
plain lists, asked without a limit; line items, shipping lines and each refund's line items,
shipping lines and transactions are connections whose later pages are read by cursor."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from graphql import FragmentDefinitionNode, FragmentSpreadNode, parse

from accounts.clients import shopify_client
from shopqb_app.integrations.shopify import fetch
from shopqb_app.integrations.shopify.client import load_query
from shopqb_app.integrations.shopify.parse import parse_order
from syncing import ledger
from tests.sandboxes import connect_shop
from tests.syncing.factories import mapping

D = Decimal
PAGE_QUERIES = {
    "order_line_items": ("lineItems",),
    "order_shipping_lines": ("shippingLines",),
    "refund_line_items": ("refunds", "refundLineItems"),
    "refund_shipping_lines": ("refunds", "refundShippingLines"),
    "refund_transactions": ("refunds", "transactions"),
}


def _fields(selection_set: Any, fragments: dict[str, Any], prefix: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    """Every leaf field a selection reads, as a path, fragments spread in."""
    paths: set[tuple[str, ...]] = set()
    for selection in selection_set.selections:
        if isinstance(selection, FragmentSpreadNode):
            paths |= _fields(fragments[selection.name.value].selection_set, fragments, prefix)
        elif selection.selection_set is None:
            paths.add((*prefix, selection.name.value))
        else:
            paths |= _fields(selection.selection_set, fragments, (*prefix, selection.name.value))
    return paths


def _nodes_read(text: str, root: str, path: tuple[str, ...]) -> set[tuple[str, ...]]:
    """The fields read of each node of the connection at ``path`` below ``root``."""
    document = parse(text)
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    selection = fragments["OrderFields"] if root == "OrderFields" else document.definitions[0]
    paths = _fields(selection.selection_set, fragments)
    prefix = (*path, "nodes") if root == "OrderFields" else (root, path[-1], "nodes")
    return {p[len(prefix) :] for p in paths if p[: len(prefix)] == prefix}


@pytest.mark.parametrize(("query", "path"), PAGE_QUERIES.items())
def test_later_pages_read_the_same_fields_as_the_first(query, path):
    root = "order" if query.startswith("order_") else "refund"
    later = _nodes_read(load_query(query), root, path)
    assert later and later == _nodes_read(load_query("order"), "OrderFields", path)


class PagedShopify:
    """Answers the order queries as Shopify does, from an order held whole: first pages of the
    sizes the queries ask, later pages after an opaque cursor."""

    def __init__(self, order: dict[str, Any]) -> None:
        self.order = order
        self.calls: list[tuple[str, dict[str, Any]]] = []

    @staticmethod
    def page(nodes: list[Any], size: int, after: str | None) -> dict[str, Any]:
        start = int(after.removeprefix("cursor-")) if after else 0
        end = start + size
        return {
            "pageInfo": {"hasNextPage": end < len(nodes), "endCursor": f"cursor-{end}"},
            "nodes": nodes[start:end],
        }

    def execute(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        name = re.search(r"query (\w+)", query).group(1)
        self.calls.append((name, variables))
        after = variables.get("after")
        if name == "Order":
            first = dict(self.order)
            first["lineItems"] = self.page(self.order["lineItems"], 20, None)
            first["shippingLines"] = self.page(self.order["shippingLines"], 5, None)
            first["refunds"] = [
                {
                    **refund,
                    "refundLineItems": self.page(refund["refundLineItems"], 10, None),
                    "refundShippingLines": self.page(refund["refundShippingLines"], 5, None),
                    "transactions": self.page(refund["transactions"], 5, None),
                }
                for refund in self.order["refunds"]
            ]
            return {"order": first}
        if name in ("OrderLineItems", "OrderShippingLines"):
            field = {"OrderLineItems": "lineItems", "OrderShippingLines": "shippingLines"}[name]
            return {"order": {field: self.page(self.order[field], 40, after)}}
        refund = next(r for r in self.order["refunds"] if r["id"] == variables["id"])
        field = {
            "RefundLineItems": "refundLineItems",
            "RefundShippingLines": "refundShippingLines",
            "RefundTransactions": "transactions",
        }[name]
        return {"refund": {field: self.page(refund[field], 50, after)}}


def money(amount: str) -> dict[str, Any]:
    return {
        "shopMoney": {"amount": amount, "currencyCode": "USD"},
        "presentmentMoney": {"amount": amount, "currencyCode": "USD"},
    }


def big_order() -> dict[str, Any]:
    """26 lines at 10.00 and 7 shipping lines at 1.00, paid by 25 sales; 12 refunds: the first
    returns 15 lines and 6 shipping lines through 15 refund transactions, the others one line each."""
    lines = [
        {
            "id": f"gid://shopify/LineItem/{n}",
            "name": f"Item {n}",
            "sku": f"L{n}",
            "quantity": 1,
            "currentQuantity": 0,
            "originalUnitPriceSet": money("10.00"),
            "discountAllocations": [],
            "taxLines": [],
        }
        for n in range(26)
    ]
    sales = [
        {"id": f"gid://shopify/OrderTransaction/{n}", "kind": "SALE", "gateway": "manual", "status": "SUCCESS"}
        | {"amountSet": money("20.00" if n == 24 else "10.00")}
        for n in range(25)
    ]

    def refund(number: int, indexes: range, transactions: int, shipping: int = 0) -> dict[str, Any]:
        paid = len(indexes) * 10 + shipping
        return {
            "id": f"gid://shopify/Refund/{number}",
            "createdAt": f"2026-03-{number + 2:02d}T12:00:00Z",
            "totalRefundedSet": money(f"{paid}.00"),
            "refundLineItems": [
                {
                    "quantity": 1,
                    "restockType": "NO_RESTOCK",
                    "lineItem": {"id": lines[i]["id"], "sku": lines[i]["sku"]},
                    "subtotalSet": money("10.00"),
                    "totalTaxSet": money("0.00"),
                }
                for i in indexes
            ],
            "refundShippingLines": [
                {"subtotalAmountSet": money("1.00"), "taxAmountSet": money("0.00")} for _ in range(shipping)
            ],
            "transactions": [
                {
                    "id": f"gid://shopify/OrderTransaction/{number}-{t}",
                    "kind": "REFUND",
                    "gateway": "manual",
                    "status": "SUCCESS",
                    "amountSet": money(f"{paid / transactions:.2f}"),
                }
                for t in range(transactions)
            ],
        }

    return {
        "id": "gid://shopify/Order/7001",
        "name": "#7001",
        "createdAt": "2026-03-02T15:00:00Z",
        "updatedAt": "2026-03-14T15:00:00Z",
        "currencyCode": "USD",
        "displayFinancialStatus": "REFUNDED",
        "totalPriceSet": money("267.00"),
        "lineItems": lines,
        "shippingLines": [
            {"title": f"Parcel {n}", "originalPriceSet": money("1.00"), "discountAllocations": [], "taxLines": []}
            for n in range(7)
        ],
        "transactions": sales,
        "refunds": [refund(1, range(15), 15, shipping=6)] + [refund(n, range(13 + n, 14 + n), 1) for n in range(2, 13)],
    }


def test_an_order_with_more_than_a_page_of_everything_is_read_whole():
    shopify = PagedShopify(big_order())
    raw = fetch.fetch_order(shopify, "gid://shopify/Order/7001")
    order = parse_order(raw)
    assert len(order.line_items) == 26 and len(order.shipping_lines) == 7
    assert len(order.transactions) == 25 and len(order.refunds) == 12
    assert len(order.refunds[0].line_items) == 15 and len(order.refunds[0].transactions) == 15
    assert order.refunds[0].shipping_subtotal == D("6.00")
    assert [name for name, _ in shopify.calls] == [
        "Order",
        "OrderLineItems",
        "OrderShippingLines",
        "RefundLineItems",
        "RefundShippingLines",
        "RefundTransactions",
    ]
    assert shopify.calls[3][1] == {"id": "gid://shopify/Refund/1", "after": "cursor-10"}
    receipts = ledger.refund_receipts(order, mapping())
    assert [doc.total for doc in receipts] == [D("156.00")] + [D("10.00")] * 11
    assert all(not doc.flagged and doc.lines_total == doc.total for doc in receipts)


def test_the_order_query_asks_transactions_and_refunds_whole():
    text = load_query("order")
    assert "transactions {" in text and "refunds {" in text
    assert "transactions(first" not in text.split("refunds {")[0] and "refunds(first" not in text


REFUND = """
mutation Refund($input: RefundInput!) {
  refundCreate(input: $input) { refund { id } userErrors { field message } }
}
"""
CREATE = """
mutation Create($order: OrderCreateOrderInput!) {
  orderCreate(order: $order) { order { id transactions { id } } userErrors { field message } }
}
"""


@pytest.mark.django_db
def test_the_sandbox_order_with_twelve_refunds_and_fifteen_refunded_lines_is_read_whole(sandbox_settings):
    shop = connect_shop(sandbox_settings, live=False)
    client = shopify_client(shop)

    def amount(value: str) -> dict[str, Any]:
        return {"shopMoney": {"amount": value, "currencyCode": "USD"}}

    created = client.execute(
        CREATE,
        {
            "order": {
                "currency": "USD",
                "financialStatus": "PAID",
                "lineItems": [
                    {"title": f"Item {n}", "sku": f"L{n}", "quantity": 1, "priceSet": amount("10.00")}
                    for n in range(26)
                ],
                "transactions": [
                    {
                        "kind": "SALE",
                        "status": "SUCCESS",
                        "gateway": "manual",
                        "amountSet": amount("20.00" if n == 24 else "10.00"),
                    }
                    for n in range(25)
                ],
            }
        },
    )["orderCreate"]
    assert not created["userErrors"], created["userErrors"]
    gid = created["order"]["id"]
    sales = [t["id"] for t in created["order"]["transactions"]]
    lines = fetch.fetch_order(client, gid)["lineItems"]["nodes"]

    def refund(indexes: list[int], parents: list[str]) -> None:
        share = f"{len(indexes) * 10 // len(parents)}.00"
        data = client.execute(
            REFUND,
            {
                "input": {
                    "orderId": gid,
                    "refundLineItems": [{"lineItemId": lines[i]["id"], "quantity": 1} for i in indexes],
                    "transactions": [
                        {"orderId": gid, "parentId": p, "kind": "REFUND", "gateway": "manual", "amount": share}
                        for p in parents
                    ],
                }
            },
        )["refundCreate"]
        assert not data["userErrors"], data["userErrors"]

    refund(list(range(15)), sales[:15])
    for n, parent in enumerate([*sales[15:24], sales[24], sales[24]]):
        refund([15 + n], [parent])

    order = parse_order(fetch.fetch_order(client, gid))
    assert len(order.line_items) == 26 and len(order.refunds) == 12
    assert len([t for t in order.transactions if t.kind == "SALE"]) == 25
    [big] = [r for r in order.refunds if len(r.line_items) == 15]
    assert len(big.transactions) == 15
    receipts = ledger.refund_receipts(order, mapping())
    assert sorted(doc.total for doc in receipts) == [D("10.00")] * 11 + [D("150.00")]
