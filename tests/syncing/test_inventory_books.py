"""Inventory and cost of goods, proven by the books QuickBooks ends with (the sandbox's general ledger):
a sale of an inventory item takes its units out of stock and moves their cost from Inventory Asset to
Cost of Goods Sold; a refund that restocked puts both back; a refund that did not restock gives the
money back without touching stock or cost. Non-inventory items book as before."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

import pytest

from shopqb_app.integrations.shopify.parse import parse_order
from syncing import ledger
from tests.syncing.books import Books
from tests.syncing.factories import bag, order_node
from tests.syncing.test_tender_books import txn

D = Decimal
ASSET, COGS, SALES, CLEARING = "Inventory Asset", "Cost of Goods Sold", "Shopify Sales", "Shopify Payments Clearing"
VARIANT = "gid://shopify/ProductVariant/0"  # the first line's variant in order_node


def _books_with_pin(*, qty: int = 10, cost: str = "3.00") -> tuple[Books, str]:
    """The books, with an inventory item (10 on hand at 3.00 from 1 March) mapped to the order's first variant."""
    books = Books()
    company = books.company
    pin = company.create(
        "Item",
        {
            "Name": "Enamel Pin",
            "Type": "Inventory",
            "IncomeAccountRef": {"value": books.refs[SALES].value},
            "ExpenseAccountRef": {"value": company.account_by_name(COGS)["Id"]},
            "AssetAccountRef": {"value": company.account_by_name(ASSET)["Id"]},
            "TrackQtyOnHand": True,
            "QtyOnHand": qty,
            "InvStartDate": "2026-03-01",
            "PurchaseCost": cost,
        },
    )
    books.mapping = dataclasses.replace(
        books.mapping,
        items_by_variant={VARIANT: ledger.Ref(pin["Id"], "Enamel Pin")},
        inventory_items=frozenset({pin["Id"]}),
    )
    return books, pin["Id"]


def _refund(node: dict[str, Any], *, qty: int, restock: str, amount: str, when: str) -> None:
    item = node["lineItems"]["nodes"][0]
    node["refunds"].append(
        {
            "id": f"gid://shopify/Refund/{len(node['refunds']) + 70}",
            "createdAt": when,
            "totalRefundedSet": bag(amount),
            "refundLineItems": {
                "nodes": [
                    {
                        "quantity": qty,
                        "restockType": restock,
                        "lineItem": {"id": item["id"], "sku": item["sku"]},
                        "subtotalSet": bag(amount),
                        "totalTaxSet": bag("0"),
                    }
                ]
            },
            "refundShippingLines": {"nodes": []},
            "transactions": {"nodes": [txn("shopify_payments", amount, kind="REFUND", when=when)]},
        }
    )


def _book(books: Books, node: dict[str, Any]) -> list[ledger.Document]:
    order = parse_order(node)
    documents = ledger.order_documents(order, books.mapping, frozenset())
    documents += ledger.refund_receipts(order, books.mapping)
    books.post(documents)
    return documents


def _qty(books: Books, item_id: str) -> Decimal:
    return D(str(books.company.get("Item", item_id)["QtyOnHand"]))


def _order() -> dict[str, Any]:
    return order_node(lines=[("PIN", 4, "8.00", "0")], order_id=4100)


def test_a_sale_lowers_qty_on_hand_and_books_cost_of_goods_sold_at_cost():
    books, pin = _books_with_pin()
    before = books.balances(ASSET, COGS, SALES, CLEARING)

    _book(books, _order())

    after = books.balances(ASSET, COGS, SALES, CLEARING)
    assert _qty(books, pin) == 6
    assert after[COGS] - before[COGS] == D("12.00")  # 4 x 3.00
    assert after[ASSET] - before[ASSET] == D("-12.00")
    assert after[SALES] - before[SALES] == D("32.00")
    assert after[CLEARING] - before[CLEARING] == D("32.00")
    assert books.balanced()


def test_a_refund_that_restocked_puts_the_units_and_their_cost_back():
    books, pin = _books_with_pin()
    node = _order()
    _book(books, node)
    sold = books.balances(ASSET, COGS, SALES, CLEARING)

    _refund(node, qty=1, restock="RETURN", amount="8.00", when="2026-03-04T10:00:00Z")
    [receipt] = _book(books, node)[-1:]

    assert receipt.entity == "RefundReceipt"
    assert receipt.lines[0].item.value == pin
    after = books.balances(ASSET, COGS, SALES, CLEARING)
    assert _qty(books, pin) == 7
    assert after[COGS] - sold[COGS] == D("-3.00")
    assert after[ASSET] - sold[ASSET] == D("3.00")
    assert after[SALES] - sold[SALES] == D("-8.00")
    assert after[CLEARING] - sold[CLEARING] == D("-8.00")
    assert books.balanced()


@pytest.mark.parametrize("restock", ["CANCEL", "LEGACY_RESTOCK"])
def test_other_restocking_types_put_the_units_back_too(restock):
    books, pin = _books_with_pin()
    node = _order()
    _book(books, node)

    _refund(node, qty=2, restock=restock, amount="16.00", when="2026-03-04T10:00:00Z")
    _book(books, node)

    assert _qty(books, pin) == 8


def test_a_refund_that_did_not_restock_gives_the_money_back_but_not_the_stock():
    books, pin = _books_with_pin()
    node = _order()
    _book(books, node)
    sold = books.balances(ASSET, COGS, SALES, CLEARING)

    _refund(node, qty=1, restock="NO_RESTOCK", amount="8.00", when="2026-03-04T10:00:00Z")
    [receipt] = _book(books, node)[-1:]

    # The line books on the non-inventory item for unmapped products, whose income is the same sales account.
    assert receipt.lines[0].item == books.mapping.sales_item
    assert "not restocked" in receipt.lines[0].description
    after = books.balances(ASSET, COGS, SALES, CLEARING)
    assert _qty(books, pin) == 6  # as the sale left it, as Shopify's stock
    assert after[COGS] == sold[COGS]
    assert after[ASSET] == sold[ASSET]
    assert after[SALES] - sold[SALES] == D("-8.00")
    assert after[CLEARING] - sold[CLEARING] == D("-8.00")
    assert books.balanced()


def test_a_non_inventory_item_refund_stays_on_its_own_item_restocked_or_not():
    books, pin = _books_with_pin()
    books.mapping = dataclasses.replace(books.mapping, inventory_items=frozenset())
    node = _order()
    _refund(node, qty=1, restock="NO_RESTOCK", amount="8.00", when="2026-03-04T10:00:00Z")

    receipts = ledger.refund_receipts(parse_order(node), books.mapping)

    assert receipts[0].lines[0].item.value == pin
    assert "not restocked" not in receipts[0].lines[0].description


def test_an_inventory_item_for_unmapped_products_refuses_a_refund_that_did_not_restock():
    books, pin = _books_with_pin()
    books.mapping = dataclasses.replace(books.mapping, inventory_items=frozenset({pin, books.mapping.sales_item.value}))
    node = _order()
    _refund(node, qty=1, restock="NO_RESTOCK", amount="8.00", when="2026-03-04T10:00:00Z")

    with pytest.raises(ledger.LedgerError) as refused:
        ledger.refund_receipts(parse_order(node), books.mapping)

    assert refused.value.code == "money_account_unmapped"
    assert "non-inventory" in str(refused.value)
