"""Inventory through a whole sync: a Shopify order of a product mapped to a QuickBooks Inventory
item, synced by the sweep against the emulators over HTTP, takes its units out of the QuickBooks
sandbox's QtyOnHand and moves their cost (quantity x unit cost) from Inventory Asset to Cost of
Goods Sold in its general ledger; a refund that restocked puts the unit and its cost back, a refund
that did not restock leaves both alone. (tests/syncing/test_inventory_books.py proves the same
rules on the ledger's documents alone; this proves the setup, the sweep and the writing carry them.)
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from accounts.clients import shopify_client
from mappings import products
from mappings.models import ProductMapping
from shopqb_app.integrations.shopify.fetch import fetch_order
from syncing.models import SyncedRecord, SyncIssue
from syncing.runs import shop_sweep
from tests.mappings.test_inventory import stock_poster
from tests.syncing.test_engine import REFUND
from tests.syncing.test_payout_flows import balances, moved

D = Decimal
UNIT_COST = D("3.10")
ON_HAND = 12
ORDER = """
mutation Create($order: OrderCreateOrderInput!) {
  orderCreate(order: $order) { order { id name } userErrors { field message } }
}
"""


def _money(amount: Decimal) -> dict:
    return {"shopMoney": {"amount": str(amount), "currencyCode": "USD"}}


@pytest.fixture
def stocked(shop):
    """The live shop, whose poster (12 on hand in Shopify at cost 3.10) the setup made a QuickBooks
    Inventory item; returns (shop, the poster's mapping, Inventory Asset id, Cost of Goods Sold id)."""
    asset, cogs = stock_poster(shop, quantity=ON_HAND, cost=str(UNIT_COST))
    poster = ProductMapping.objects.get(shop=shop, sku="POSTER-01")
    assert poster.qbo_item_type == "Inventory"
    return shop, poster, asset.id, cogs.id


def _qty_on_hand(shop, poster: ProductMapping) -> Decimal:
    qb = products.quickbooks_for(shop=shop)
    item = qb.query(f"select * from Item where Id = '{poster.qbo_item_id}'")["QueryResponse"]["Item"][0]
    return D(str(item["QtyOnHand"]))


def _sell(shop, poster: ProductMapping, quantity: int, price: Decimal) -> dict:
    total = price * quantity
    order = {
        "currency": "USD",
        "financialStatus": "PAID",
        "lineItems": [{"variantId": poster.variant_gid, "quantity": quantity, "priceSet": _money(price)}],
        "transactions": [
            {"kind": "SALE", "status": "SUCCESS", "gateway": "shopify_payments", "amountSet": _money(total)}
        ],
    }
    created = shopify_client(shop).execute(ORDER, {"order": order})["orderCreate"]
    assert not created["userErrors"], created["userErrors"]
    return created["order"]


def _refund(shop, order: dict, *, quantity: int, amount: Decimal, restock: str) -> str:
    client = shopify_client(shop)
    line = fetch_order(client, order["id"])["lineItems"]["nodes"][0]
    item = {"lineItemId": line["id"], "quantity": quantity, "restockType": restock}
    if restock == "RETURN":
        item["locationId"] = client.execute("{ locations(first: 1) { nodes { id } } }")["locations"]["nodes"][0]["id"]
    refund_input = {
        "orderId": order["id"],
        "refundLineItems": [item],
        "transactions": [
            {"orderId": order["id"], "kind": "REFUND", "gateway": "shopify_payments", "amount": str(amount)}
        ],
    }
    result = client.execute(REFUND, {"input": refund_input})["refundCreate"]
    assert result["userErrors"] == [], result
    return result["refund"]["id"]


def _sweep(shop) -> None:
    shop_sweep(shop_id=shop.pk, full=True)
    open_issues = list(SyncIssue.objects.filter(shop=shop, resolved_at__isnull=True).values_list("code", "message"))
    assert not open_issues, open_issues


def test_a_synced_sale_and_refunds_move_qty_on_hand_and_cost_of_goods_by_quantity_times_unit_cost(stocked):
    shop, poster, asset, cogs = stocked
    assert _qty_on_hand(shop, poster) == ON_HAND
    start = balances(shop)

    # The sale: three posters at 20.00, synced by the sweep.
    order = _sell(shop, poster, 3, D("20.00"))
    _sweep(shop)
    assert SyncedRecord.objects.filter(shop=shop, order_gid=order["id"], kind="SalesReceipt", status="synced").exists()
    assert _qty_on_hand(shop, poster) == ON_HAND - 3
    after_sale = balances(shop)
    sale = moved(start, after_sale)
    assert sale[asset] == -3 * UNIT_COST
    assert sale[cogs] == 3 * UNIT_COST

    # A refund that restocked one poster: the unit and its cost go back.
    restocked = _refund(shop, order, quantity=1, amount=D("20.00"), restock="RETURN")
    _sweep(shop)
    assert SyncedRecord.objects.filter(shop=shop, source_id=restocked, kind="RefundReceipt", status="synced").exists()
    assert _qty_on_hand(shop, poster) == ON_HAND - 2
    after_return = balances(shop)
    back = moved(after_sale, after_return)
    assert back[asset] == UNIT_COST
    assert back[cogs] == -UNIT_COST

    # A refund that did not restock: the money goes back, the stock and its cost do not.
    kept = _refund(shop, order, quantity=1, amount=D("20.00"), restock="NO_RESTOCK")
    _sweep(shop)
    assert SyncedRecord.objects.filter(shop=shop, source_id=kept, kind="RefundReceipt", status="synced").exists()
    assert _qty_on_hand(shop, poster) == ON_HAND - 2
    no_restock = moved(after_return, balances(shop))
    assert asset not in no_restock and cogs not in no_restock
    assert no_restock, "the refund moved no money at all"

    # Over the whole story: two posters sold for good, at their unit cost.
    total = moved(start, balances(shop))
    assert total[asset] == -2 * UNIT_COST and total[cogs] == 2 * UNIT_COST
