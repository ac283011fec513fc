"""refundCreate, orderCancel and the order-edit control, with Shopify's effects on totals and stock."""

import requests

from .helpers import available, make_product, order, paid_order

REFUND = """mutation($input: RefundInput!) { refundCreate(input: $input) {
  refund { id totalRefundedSet { shopMoney { amount } } }
  order { displayFinancialStatus }
  userErrors { field message } } }"""
CANCEL = """mutation($id: ID!, $refund: Boolean!, $restock: Boolean!) {
  orderCancel(orderId: $id, reason: CUSTOMER, refund: $refund, restock: $restock, notifyCustomer: false) {
    job { id done } orderCancelUserErrors { field message code } } }"""


def test_partial_refund_with_restock_then_full_refund(shop):
    _pid, variant, locations = make_product(shop, quantity=20)
    placed = paid_order(shop, variant["id"], qty=2)  # 2 x 10 + 10% tax, shipping 5 + 0.50 = 27.50
    assert placed["displayFinancialStatus"] == "PAID"
    assert placed["totalPriceSet"]["shopMoney"]["amount"] == "27.5"
    main = next(loc["id"] for loc in locations if loc["name"] == "Main Warehouse")  # online orders ship from here
    assert available(shop, variant["inventoryItem"]["id"], main) == 18
    line = placed["lineItems"]["nodes"][0]
    sale = placed["transactions"][0]
    result = shop.data(
        REFUND,
        {"input": {"orderId": placed["id"], "note": "broken",
                   "refundLineItems": [{"lineItemId": line["id"], "quantity": 1, "restockType": "RETURN", "locationId": main}],
                   "transactions": [{"orderId": placed["id"], "parentId": sale["id"], "kind": "REFUND", "gateway": "shopify_payments", "amount": "11.00"}]}},
    )["refundCreate"]  # fmt: skip
    assert result["userErrors"] == []
    assert result["refund"]["totalRefundedSet"]["shopMoney"]["amount"] == "11.0"
    assert result["order"]["displayFinancialStatus"] == "PARTIALLY_REFUNDED"
    assert available(shop, variant["inventoryItem"]["id"], main) == 19
    after = order(shop, placed["id"])
    assert after["lineItems"]["nodes"][0]["currentQuantity"] == 1
    assert after["currentSubtotalPriceSet"]["shopMoney"]["amount"] == "10.0"
    assert after["currentTotalTaxSet"]["shopMoney"]["amount"] == "1.5"
    assert after["currentTotalPriceSet"]["shopMoney"]["amount"] == "16.5"
    refund = after["refunds"][0]
    rli = refund["refundLineItems"]["nodes"][0]
    assert (rli["quantity"], rli["restockType"], rli["restocked"]) == (1, "RETURN", True)
    assert rli["subtotalSet"]["shopMoney"]["amount"] == "10.0" and rli["totalTaxSet"]["shopMoney"]["amount"] == "1.0"
    assert refund["transactions"]["nodes"][0]["kind"] == "REFUND"
    assert after["updatedAt"] >= placed["updatedAt"]

    # the rest, without restock, with the shipping
    result = shop.data(
        REFUND,
        {"input": {"orderId": placed["id"], "shipping": {"fullRefund": True},
                   "refundLineItems": [{"lineItemId": line["id"], "quantity": 1, "restockType": "NO_RESTOCK"}],
                   "transactions": [{"orderId": placed["id"], "parentId": sale["id"], "kind": "REFUND", "gateway": "shopify_payments", "amount": "16.50"}]}},
    )["refundCreate"]  # fmt: skip
    assert result["order"]["displayFinancialStatus"] == "REFUNDED"
    after = order(shop, placed["id"])
    assert after["currentTotalPriceSet"]["shopMoney"]["amount"] == "0.0"
    assert after["netPaymentSet"]["shopMoney"]["amount"] == "0.0"
    ship = after["refunds"][1]["refundShippingLines"]["nodes"][0]
    assert (
        ship["subtotalAmountSet"]["shopMoney"]["amount"] == "5.0"
        and ship["taxAmountSet"]["shopMoney"]["amount"] == "0.5"
    )
    assert available(shop, variant["inventoryItem"]["id"], main) == 19


def test_refund_user_errors(shop):
    _pid, variant, _ = make_product(shop)
    placed = paid_order(shop, variant["id"], qty=1)
    line = placed["lineItems"]["nodes"][0]
    too_many = shop.data(
        REFUND, {"input": {"orderId": placed["id"], "refundLineItems": [{"lineItemId": line["id"], "quantity": 3}]}}
    )
    assert too_many["refundCreate"]["refund"] is None
    assert too_many["refundCreate"]["userErrors"][0]["field"] == ["refundLineItems", "0", "quantity"]
    over = shop.data(
        REFUND,
        {"input": {"orderId": placed["id"], "transactions": [{"orderId": placed["id"], "parentId": placed["transactions"][0]["id"], "kind": "REFUND", "gateway": "shopify_payments", "amount": "999.00"}]}},
    )  # fmt: skip
    assert "exceeds" in over["refundCreate"]["userErrors"][0]["message"]


def test_cancel_with_refund_and_restock(shop):
    _pid, variant, locations = make_product(shop, quantity=5)
    placed = paid_order(shop, variant["id"], qty=2)
    result = shop.data(CANCEL, {"id": placed["id"], "refund": True, "restock": True})["orderCancel"]
    assert result["orderCancelUserErrors"] == [] and result["job"]["done"] is True
    after = order(shop, placed["id"])
    assert after["cancelledAt"] is not None
    assert after["displayFinancialStatus"] == "REFUNDED"
    assert after["totalRefundedSet"]["shopMoney"]["amount"] == "27.5"
    assert after["refunds"][0]["refundLineItems"]["nodes"][0]["restockType"] == "CANCEL"
    main = next(loc["id"] for loc in locations if loc["name"] == "Main Warehouse")
    assert available(shop, variant["inventoryItem"]["id"], main) == 5
    again = shop.data(CANCEL, {"id": placed["id"], "refund": True, "restock": True})["orderCancel"]
    assert again["orderCancelUserErrors"][0]["code"] == "INVALID"


def test_cancel_an_authorized_order_voids_it(shop):
    _pid, variant, _ = make_product(shop)
    from .helpers import CREATE, usd

    placed = shop.data(
        CREATE,
        {"order": {"currency": "USD", "lineItems": [{"variantId": variant["id"], "quantity": 1}],
                   "transactions": [{"kind": "AUTHORIZATION", "status": "SUCCESS", "gateway": "shopify_payments", "amountSet": {"shopMoney": usd("10.00")}}]}},
    )["orderCreate"]["order"]  # fmt: skip
    assert placed["displayFinancialStatus"] == "AUTHORIZED"
    shop.data(CANCEL, {"id": placed["id"], "refund": True, "restock": False})
    assert order(shop, placed["id"])["displayFinancialStatus"] == "VOIDED"


def test_edit_control_updates_current_totals_and_updated_at(shop, emulator):
    emu, base_url = emulator
    _pid, variant, _ = make_product(shop)
    placed = paid_order(shop, variant["id"], qty=2)
    line = placed["lineItems"]["nodes"][0]
    emu.store.advance_clock(5)
    response = requests.post(
        f"{base_url}/_sandbox/orders/edit",
        json={"shop": shop.domain, "order_id": placed["id"],
              "set_quantity": [{"lineItemId": line["id"], "quantity": 1}],
              "add": [{"title": "Gift wrap", "price": "3.00", "quantity": 1}]},
        timeout=5,
    )  # fmt: skip
    assert response.status_code == 200, response.text
    after = order(shop, placed["id"])
    assert after["edited"] is True
    assert after["updatedAt"] > placed["updatedAt"]
    assert [n["currentQuantity"] for n in after["lineItems"]["nodes"]] == [1, 1]
    # 10 + 1 tax + shipping 5.50 + gift wrap 3 (untaxed) = 19.50; the original 27.50 is kept aside
    assert after["currentTotalPriceSet"]["shopMoney"]["amount"] == "19.5"
    assert after["totalPriceSet"]["shopMoney"]["amount"] == "19.5"
    original = shop.data(
        "query($id: ID!) { order(id: $id) { originalTotalPriceSet { shopMoney { amount } } } }", {"id": placed["id"]}
    )
    assert original["order"]["originalTotalPriceSet"]["shopMoney"]["amount"] == "27.5"
    bad = requests.post(
        f"{base_url}/_sandbox/orders/edit",
        json={"shop": shop.domain, "order_id": placed["id"], "remove": [{"lineItemId": line["id"], "quantity": 9}]},
        timeout=5,
    )
    assert bad.status_code == 422


def test_refund_in_the_presentment_currency(shop):
    from .helpers import CREATE, usd

    placed = shop.data(
        CREATE,
        {"order": {"currency": "USD", "presentmentCurrency": "EUR",
                   "lineItems": [{"title": "Print", "quantity": 1, "priceSet": {"shopMoney": usd("50.00"), "presentmentMoney": {"amount": "46.00", "currencyCode": "EUR"}}}],
                   "transactions": [{"kind": "SALE", "status": "SUCCESS", "gateway": "shopify_payments",
                                     "amountSet": {"shopMoney": usd("50.00"), "presentmentMoney": {"amount": "46.00", "currencyCode": "EUR"}}}]}},
    )["orderCreate"]["order"]  # fmt: skip
    assert placed["currentTotalPriceSet"]["presentmentMoney"] == {"amount": "46.0", "currencyCode": "EUR"}
    result = shop.data(
        """mutation($input: RefundInput!) { refundCreate(input: $input) {
             refund { totalRefundedSet { shopMoney { amount currencyCode } presentmentMoney { amount currencyCode } } }
             userErrors { field message } } }""",
        {"input": {"orderId": placed["id"], "currency": "EUR",
                   "transactions": [{"orderId": placed["id"], "parentId": placed["transactions"][0]["id"], "kind": "REFUND", "gateway": "shopify_payments", "amount": "9.20"}]}},
    )["refundCreate"]  # fmt: skip
    assert result["userErrors"] == []
    refunded = result["refund"]["totalRefundedSet"]
    assert refunded["presentmentMoney"] == {"amount": "9.2", "currencyCode": "EUR"}
    assert refunded["shopMoney"] == {"amount": "10.0", "currencyCode": "USD"}  # at the fixed 0.92 EUR per USD
