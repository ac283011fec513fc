"""Payouts control + shopifyPaymentsAccount, bulk operations, rate limiting, persistence."""

import json
import time
from decimal import Decimal

import requests

from .conftest import shop_of
from .helpers import make_product, paid_order

PAYOUTS = """{ shopifyPaymentsAccount {
  payouts(first: 10) { nodes { id issuedAt status transactionType net { amount currencyCode }
    summary { chargesGross { amount } chargesFee { amount } refundsFeeGross { amount } refundsFee { amount } adjustmentsGross { amount } } } }
  balanceTransactions(first: 50, hideTransfers: true) { nodes { type amount { amount } fee { amount } net { amount } test
    sourceOrderTransactionId associatedOrder { id name } associatedPayout { id status } } } } }"""


def test_payouts_net_charges_minus_fees_minus_refunds_plus_adjustments(shop, emulator):
    _emu, base_url = emulator
    _pid, variant, _ = make_product(shop)
    first = paid_order(shop, variant["id"], processedAt="2026-01-10T15:00:00Z")  # 27.50, fee 0.80 + 0.30
    paid_order(shop, variant["id"], processedAt="2026-01-10T16:00:00Z", test=True)  # test: never paid out
    paid_order(shop, variant["id"], gateway="paypal", processedAt="2026-01-10T17:00:00Z")  # not Shopify Payments
    shop.data(
        """mutation($input: RefundInput!) { refundCreate(input: $input) { userErrors { message } } }""",
        {"input": {"orderId": first["id"], "transactions": [{"orderId": first["id"], "parentId": first["transactions"][0]["id"], "kind": "REFUND", "gateway": "shopify_payments", "amount": "5.00"}]}},
    )  # fmt: skip
    requests.post(
        f"{base_url}/_sandbox/payouts/adjustment",
        json={"shop": shop.domain, "amount": "-1.25", "reason": "chargeback fee"},
        timeout=5,
    )
    run = requests.post(
        f"{base_url}/_sandbox/payouts/run", json={"shop": shop.domain, "through": "2099-01-01"}, timeout=5
    ).json()
    assert len(run["payouts"]) >= 1
    account = shop.data(PAYOUTS)["shopifyPaymentsAccount"]
    payouts = account["payouts"]["nodes"]
    charges = [b for b in account["balanceTransactions"]["nodes"] if b["type"] == "CHARGE"]
    assert {b["test"] for b in charges} == {False, True}
    real = [b for b in account["balanceTransactions"]["nodes"] if not b["test"]]
    total_net = sum(Decimal(p["net"]["amount"]) * (1 if p["transactionType"] == "DEPOSIT" else -1) for p in payouts)
    assert total_net == Decimal("27.5") - Decimal("1.1") - Decimal("5") - Decimal("1.25")
    assert sum(Decimal(b["net"]["amount"]) for b in real) == total_net
    assert all(b["associatedPayout"]["status"] == "PAID" for b in real)
    jan = next(p for p in payouts if p["summary"]["chargesGross"]["amount"] == "27.5")
    assert jan["summary"]["chargesFee"]["amount"] == "1.1"
    assert jan["summary"]["refundsFeeGross"]["amount"] in ("0.0", "-5.0")
    assert all(b["sourceOrderTransactionId"] for b in charges)


def _wait_bulk(shop, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        op = shop.data("{ currentBulkOperation { id status objectCount rootObjectCount url errorCode } }")[
            "currentBulkOperation"
        ]
        if op["status"] in ("COMPLETED", "FAILED", "CANCELED"):
            return op
        time.sleep(0.05)
    raise AssertionError("bulk operation did not finish")


def test_bulk_operation_jsonl_with_parent_ids(shop):
    _pid, variant, _ = make_product(shop)
    placed = [paid_order(shop, variant["id"]) for _ in range(3)]
    query = '{ orders(query: "financial_status:paid") { edges { node { id name lineItems { edges { node { id sku } } } } } } }'
    started = shop.data(
        "mutation($q: String!) { bulkOperationRunQuery(query: $q) { bulkOperation { id status } userErrors { field message code } } }",
        {"q": query},
    )["bulkOperationRunQuery"]
    assert started["userErrors"] == [] and started["bulkOperation"]["status"] in ("CREATED", "RUNNING")
    busy = shop.data(
        "mutation($q: String!) { bulkOperationRunQuery(query: $q) { userErrors { code } } }", {"q": query}
    )["bulkOperationRunQuery"]
    assert busy["userErrors"][0]["code"] == "OPERATION_IN_PROGRESS"
    op = _wait_bulk(shop)
    assert op["status"] == "COMPLETED" and op["objectCount"] == "6" and op["rootObjectCount"] == "3"
    lines = [json.loads(x) for x in requests.get(op["url"], timeout=5).text.splitlines()]
    orders = [x for x in lines if "__parentId" not in x]
    items = [x for x in lines if "__parentId" in x]
    assert [o["id"] for o in orders] == [p["id"] for p in placed]
    assert {i["__parentId"] for i in items} == {p["id"] for p in placed} and items[0]["sku"] == "MUG-1"
    invalid = shop.data(
        "mutation($q: String!) { bulkOperationRunQuery(query: $q) { userErrors { code message } } }",
        {"q": "{ shop { name } }"},
    )["bulkOperationRunQuery"]
    assert invalid["userErrors"][0]["code"] == "INVALID"


def test_cost_extension_throttled_shape_and_max_cost(make_emulator):
    emu, base_url = make_emulator(bucket_size=50, restore_rate=1)
    shop = shop_of((emu, base_url))
    body = shop.gql("{ shop { name } }")
    cost = body["extensions"]["cost"]
    assert cost["requestedQueryCost"] == 1 and cost["actualQueryCost"] == 1
    assert cost["throttleStatus"] == {"maximumAvailable": 50.0, "currentlyAvailable": 49, "restoreRate": 1.0}
    query = "{ orders(first: 10) { nodes { id totalPriceSet { shopMoney { amount } } } } }"  # 2 + 10 x 3 = 32
    first = shop.gql(query)
    assert first["extensions"]["cost"]["requestedQueryCost"] == 32
    assert first["extensions"]["cost"]["actualQueryCost"] == 2  # no orders came back
    assert first["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"] == 47  # 30 unused points came back
    requests.post(f"{base_url}/_sandbox/throttle", json={"shop": shop.domain, "available": 10}, timeout=5)
    throttled = shop.gql(query)
    assert throttled["errors"][0] == {
        "message": "Throttled",
        "extensions": {"code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits"},
    }
    assert "data" not in throttled and throttled["extensions"]["cost"]["actualQueryCost"] is None
    too_big = shop.gql("{ orders(first: 250) { nodes { lineItems(first: 250) { nodes { id } } } } }")
    assert too_big["errors"][0]["extensions"]["code"] == "MAX_COST_EXCEEDED"


def test_restart_with_the_same_state_keeps_orders_and_credentials(make_emulator, tmp_path):
    state = tmp_path / "state"
    emu, base_url = make_emulator(state_dir=state, throttle=False)
    shop = shop_of((emu, base_url))
    _pid, variant, _ = make_product(shop)
    placed = paid_order(shop, variant["id"])
    shop.data(
        'mutation { bulkOperationRunQuery(query: "{ orders { edges { node { id } } } }") { userErrors { message } } }'
    )
    bulk_url = _wait_bulk(shop)["url"]
    described = emu.describe()
    emu.close()
    again, base2 = make_emulator(state_dir=state, throttle=False)
    assert again.describe() == described
    shop2 = shop_of((again, base2))
    found = shop2.data(
        "query($id: ID!) { order(id: $id) { name totalPriceSet { shopMoney { amount } } } }", {"id": placed["id"]}
    )
    assert found["order"] == {"name": placed["name"], "totalPriceSet": {"shopMoney": {"amount": "27.5"}}}
    assert paid_order(shop2, variant["id"])["name"] == "#1002"
    moved = bulk_url.replace(base_url, base2)
    assert json.loads(requests.get(moved, timeout=5).text.splitlines()[0])["id"] == placed["id"]


def test_products_variants_locations_and_inventory(shop):
    _pid, _variant, locations = make_product(shop, sku="BEAN-1", price="29.90", quantity=7)
    data = shop.data(
        """{ productVariants(first: 5, query: "sku:BEAN-1") { nodes { sku price inventoryQuantity product { title }
              inventoryItem { id sku inventoryLevels(first: 5) { nodes { location { name } quantities(names: ["available"]) { quantity } } } } } }
            locations(first: 5) { nodes { name isActive } } }"""
    )
    node = data["productVariants"]["nodes"][0]
    assert (node["sku"], node["price"], node["inventoryQuantity"]) == ("BEAN-1", "29.90", 14)
    assert {lv["location"]["name"] for lv in node["inventoryItem"]["inventoryLevels"]["nodes"]} == {
        "Main Warehouse",
        "Downtown Store",
    }
    adjusted = shop.data(
        """mutation($input: InventoryAdjustQuantitiesInput!) { inventoryAdjustQuantities(input: $input) {
             inventoryAdjustmentGroup { reason changes { delta quantityAfterChange } } userErrors { code } } }""",
        {"input": {"name": "available", "reason": "correction", "changes": [{"delta": -2, "inventoryItemId": node["inventoryItem"]["id"], "locationId": locations[0]["id"]}]}},
    )["inventoryAdjustQuantities"]  # fmt: skip
    assert adjusted["inventoryAdjustmentGroup"]["changes"] == [{"delta": -2, "quantityAfterChange": 5}]
    bad = shop.data(
        """mutation($input: InventoryAdjustQuantitiesInput!) { inventoryAdjustQuantities(input: $input) { userErrors { code } } }""",
        {"input": {"name": "available", "reason": "correction", "changes": [{"delta": 1, "inventoryItemId": "gid://shopify/InventoryItem/1", "locationId": locations[0]["id"]}]}},
    )  # fmt: skip
    assert bad["inventoryAdjustQuantities"]["userErrors"][0]["code"] == "INVALID_INVENTORY_ITEM"
