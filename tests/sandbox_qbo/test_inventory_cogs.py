"""An inventory item's stock and cost in the emulated books: a sale takes units out and moves their cost
from Inventory Asset to Cost of Goods Sold; a refund receipt puts both back; an InventoryAdjustment
moves the quantity and its value against the adjustment account, without any sale."""

from __future__ import annotations

from decimal import Decimal

from .conftest import fault_of
from .helpers import ids, line, ok, one
from .test_entities_purchases import balances

START = "2026-03-01"


def _accounts(sandbox, preset: str = "US") -> dict[str, str]:
    return {
        name: one(sandbox, f"select * from Account where Name = '{name}'", preset)["Id"]
        for name in ("Sales of Product Income", "Cost of Goods Sold", "Inventory Asset", "Checking")
    }


def _pin(sandbox, qty: int = 10, cost: str = "3", preset: str = "US") -> dict:
    account = _accounts(sandbox, preset)
    body = {
        "Name": "Enamel Pin",
        "Type": "Inventory",
        "UnitPrice": 8,
        "PurchaseCost": cost,
        "IncomeAccountRef": {"value": account["Sales of Product Income"]},
        "ExpenseAccountRef": {"value": account["Cost of Goods Sold"]},
        "AssetAccountRef": {"value": account["Inventory Asset"]},
        "TrackQtyOnHand": True,
        "QtyOnHand": qty,
        "InvStartDate": START,
    }
    return ok(sandbox.post("item", body, preset))["Item"]


def _qty(sandbox, item_id: str) -> Decimal:
    return Decimal(str(ok(sandbox.get(f"item/{item_id}"))["Item"]["QtyOnHand"]))


def _sale(sandbox, item_id: str, qty: str) -> dict:
    body = {
        "TxnDate": "2026-03-05",
        "DepositToAccountRef": {"value": _accounts(sandbox)["Checking"]},
        "Line": [line(item_id, qty, "8.00", "NON")],
    }
    return ok(sandbox.post("salesreceipt", body))["SalesReceipt"]


def _adjustment(sandbox, item_id: str, **qty) -> dict:
    body = {
        "TxnDate": "2026-03-10",
        "AdjustAccountRef": {"value": _accounts(sandbox)["Cost of Goods Sold"]},
        "Line": [
            {
                "DetailType": "ItemAdjustmentLineDetail",
                "ItemAdjustmentLineDetail": {"ItemRef": {"value": item_id}, **qty},
            }
        ],
    }
    return sandbox.post("inventoryadjustment", body)


def test_a_sale_lowers_qty_on_hand_and_posts_cost_of_goods_sold_at_cost(sandbox):
    pin = _pin(sandbox)
    before = balances(sandbox)

    _sale(sandbox, pin["Id"], "4")

    after = balances(sandbox)
    assert _qty(sandbox, pin["Id"]) == 6
    assert after["Cost of Goods Sold"] - before["Cost of Goods Sold"] == Decimal("12.00")  # 4 x 3.00
    assert after["Inventory Asset"] - before["Inventory Asset"] == Decimal("-12.00")
    assert after["Sales of Product Income"] - before["Sales of Product Income"] == Decimal("32.00")


def test_a_refund_receipt_puts_the_units_and_their_cost_back(sandbox):
    pin = _pin(sandbox)
    _sale(sandbox, pin["Id"], "4")
    sold = balances(sandbox)
    body = {
        "TxnDate": "2026-03-06",
        "DepositToAccountRef": {"value": _accounts(sandbox)["Checking"]},
        "Line": [line(pin["Id"], "1", "8.00", "NON")],
    }

    ok(sandbox.post("refundreceipt", body))

    after = balances(sandbox)
    assert _qty(sandbox, pin["Id"]) == 7
    assert after["Cost of Goods Sold"] - sold["Cost of Goods Sold"] == Decimal("-3.00")
    assert after["Inventory Asset"] - sold["Inventory Asset"] == Decimal("3.00")


def test_an_inventory_adjustment_moves_quantity_and_value_against_its_account(sandbox):
    pin = _pin(sandbox)
    before = balances(sandbox)

    made = ok(_adjustment(sandbox, pin["Id"], QtyDiff=-2))["InventoryAdjustment"]

    assert _qty(sandbox, pin["Id"]) == 8
    after = balances(sandbox)
    assert after["Inventory Asset"] - before["Inventory Asset"] == Decimal("-6.00")
    assert after["Cost of Goods Sold"] - before["Cost of Goods Sold"] == Decimal("6.00")
    assert made["Line"][0]["ItemAdjustmentLineDetail"]["QtyDiff"] == -2
    read = ok(sandbox.get(f"inventoryadjustment/{made['Id']}"))["InventoryAdjustment"]
    assert read["Id"] == made["Id"]
    assert one(sandbox, f"select * from InventoryAdjustment where Id = '{made['Id']}'")["Id"] == made["Id"]


def test_new_qty_becomes_the_difference_it_means(sandbox):
    pin = _pin(sandbox)
    _sale(sandbox, pin["Id"], "3")

    made = ok(_adjustment(sandbox, pin["Id"], NewQty=9))["InventoryAdjustment"]

    assert made["Line"][0]["ItemAdjustmentLineDetail"]["QtyDiff"] == 2
    assert _qty(sandbox, pin["Id"]) == 9


def test_deleting_the_adjustment_undoes_it(sandbox):
    pin = _pin(sandbox)
    before = balances(sandbox)
    made = ok(_adjustment(sandbox, pin["Id"], QtyDiff=5))["InventoryAdjustment"]
    assert _qty(sandbox, pin["Id"]) == 15

    ok(sandbox.post("inventoryadjustment", {"Id": made["Id"], "SyncToken": made["SyncToken"]}, operation="delete"))

    assert _qty(sandbox, pin["Id"]) == 10
    assert balances(sandbox)["Inventory Asset"] == before["Inventory Asset"]


def test_only_inventory_items_and_one_quantity_field(sandbox):
    sales = ids(sandbox, "US")["Sales"]
    refused = _adjustment(sandbox, sales, QtyDiff=1)
    assert refused.status_code == 400 and "only inventory items" in fault_of(refused)["Detail"]
    pin = _pin(sandbox)
    both = _adjustment(sandbox, pin["Id"], QtyDiff=1, NewQty=3)
    assert both.status_code == 400
    assert _qty(sandbox, pin["Id"]) == 10


def test_an_adjustment_needs_its_account(sandbox):
    pin = _pin(sandbox)
    body = {
        "Line": [
            {
                "DetailType": "ItemAdjustmentLineDetail",
                "ItemAdjustmentLineDetail": {"ItemRef": {"value": pin["Id"]}, "QtyDiff": 1},
            }
        ]
    }
    refused = sandbox.post("inventoryadjustment", body)
    assert refused.status_code == 400
    assert fault_of(refused)["element"] == "AdjustAccountRef"
    assert _qty(sandbox, pin["Id"]) == 10
