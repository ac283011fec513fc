"""Every money flow an order can have, driven through the GraphQL API as an app drives Shopify's:
split tenders, store credit, payments after the order, duties, long lists, edits, cancellations."""

import requests

from .conftest import shop_of
from .flows import amount, flow, place, sale
from .helpers import CREATE, make_product, usd

REFUND = """mutation($input: RefundInput!) { refundCreate(input: $input) {
  refund { id } order { displayFinancialStatus } userErrors { field message } } }"""
MANUAL = """mutation($id: ID!, $amount: MoneyInput, $method: String) {
  orderCreateManualPayment(id: $id, amount: $amount, paymentMethodName: $method) {
    order { displayFinancialStatus totalOutstandingSet { shopMoney { amount } } }
    userErrors { field message code } } }"""
CAPTURE = """mutation($input: OrderCaptureInput!) { orderCapture(input: $input) {
  transaction { id kind gateway amountSet { shopMoney { amount } } parentTransaction { id } }
  userErrors { field message } } }"""
CANCEL = """mutation($id: ID!, $refund: Boolean!) {
  orderCancel(orderId: $id, reason: CUSTOMER, refund: $refund, restock: false, staffNote: "asked by phone") {
    job { done } orderCancelUserErrors { field message code } } }"""


def refund_money(shop, placed, parent, value, **extra):
    tx = {"orderId": placed["id"], "parentId": parent["id"], "kind": "REFUND", "gateway": parent["gateway"],
          "amount": value}  # fmt: skip
    result = shop.data(REFUND, {"input": {"orderId": placed["id"], "transactions": [tx], **extra}})["refundCreate"]
    assert result["userErrors"] == [], result["userErrors"]
    return result


def control(shop, path, body):
    return requests.post(f"{shop.base_url}/_sandbox/{path}", json={"shop": shop.domain, **body}, timeout=10)


# -- split tenders and store credit ------------------------------------------------------------


def test_split_tender_card_and_gift_card_lists_both_gateways_and_refunds_each(shop):
    _pid, variant, _ = make_product(shop)
    placed = place(
        shop,
        variant["id"],
        [sale("gift_card", "15.00", giftCardId="gid://shopify/GiftCard/77"), sale("shopify_payments", "7.00")],
    )
    assert placed["displayFinancialStatus"] == "PAID"
    assert placed["paymentGatewayNames"] == ["gift_card", "shopify_payments"]
    gift, card = placed["transactions"]
    assert (gift["gateway"], amount(gift["amountSet"])) == ("gift_card", "15.0")
    assert (card["gateway"], amount(card["amountSet"])) == ("shopify_payments", "7.0")

    refund_money(shop, placed, gift, "5.00")
    after = flow(shop, placed["id"])
    refund_tx = after["refunds"][0]["transactions"]["nodes"][0]
    assert (refund_tx["kind"], refund_tx["gateway"], amount(refund_tx["amountSet"])) == ("REFUND", "gift_card", "5.0")
    assert after["transactions"][-1]["parentTransaction"]["gateway"] == "gift_card"
    assert after["displayFinancialStatus"] == "PARTIALLY_REFUNDED"


def test_split_tender_card_and_paypal(shop):
    _pid, variant, _ = make_product(shop)
    placed = place(shop, variant["id"], [sale("shopify_payments", "12.00"), sale("paypal", "10.00")])
    assert placed["paymentGatewayNames"] == ["shopify_payments", "paypal"]
    assert amount(placed["totalReceivedSet"]) == "22.0"
    assert amount(placed["totalOutstandingSet"]) == "0.0"


def test_store_credit_is_a_shopify_store_credit_transaction_refunded_to_the_same_gateway(shop):
    _pid, variant, _ = make_product(shop)
    placed = place(shop, variant["id"], [sale("shopify_store_credit", "8.00"), sale("shopify_payments", "14.00")])
    assert placed["paymentGatewayNames"] == ["shopify_store_credit", "shopify_payments"]
    credit = placed["transactions"][0]
    assert credit["manualPaymentGateway"] is False
    refund_money(shop, placed, credit, "8.00")
    after = flow(shop, placed["id"])
    assert after["refunds"][0]["transactions"]["nodes"][0]["gateway"] == "shopify_store_credit"

    # 2025-04 has no RefundInput.refundMethods (refund to new store credit came later).
    body = shop.gql(
        "mutation($input: RefundInput!) { refundCreate(input: $input) { refund { id } } }",
        {"input": {"orderId": placed["id"], "refundMethods": [{"storeCreditRefund": {"amount": usd("1.00")}}]}},
    )
    assert "refundMethods" in body["errors"][0]["message"]


# -- payments after the order ------------------------------------------------------------------


def test_invoice_paid_in_two_manual_payments_on_two_days(emulator):
    emu, _base = emulator
    shop = shop_of(emulator)
    _pid, variant, _ = make_product(shop)
    placed = place(shop, variant["id"], [], financialStatus="PENDING")
    assert placed["displayFinancialStatus"] == "PENDING"
    assert amount(placed["totalOutstandingSet"]) == "22.0"

    first = shop.data(MANUAL, {"id": placed["id"], "amount": usd("10.00"), "method": "Bank Deposit"})
    assert first["orderCreateManualPayment"]["userErrors"] == []
    assert first["orderCreateManualPayment"]["order"]["displayFinancialStatus"] == "PARTIALLY_PAID"
    assert first["orderCreateManualPayment"]["order"]["totalOutstandingSet"]["shopMoney"]["amount"] == "12.0"

    over = shop.data(MANUAL, {"id": placed["id"], "amount": usd("50.00")})["orderCreateManualPayment"]
    assert over["userErrors"][0]["code"] == "AMOUNT_EXCEEDS_BALANCE"

    emu.store.advance_clock(86400)
    rest = shop.data(MANUAL, {"id": placed["id"]})["orderCreateManualPayment"]  # no amount: what is left
    assert rest["userErrors"] == [] and rest["order"]["displayFinancialStatus"] == "PAID"
    paid = flow(shop, placed["id"])
    one, two = paid["transactions"]
    assert (one["gateway"], amount(one["amountSet"]), one["manualPaymentGateway"]) == ("Bank Deposit", "10.0", True)
    assert (two["gateway"], amount(two["amountSet"])) == ("manual", "12.0")
    assert one["processedAt"][:10] < two["processedAt"][:10]

    done = shop.data(MANUAL, {"id": placed["id"], "amount": usd("1.00")})["orderCreateManualPayment"]
    assert done["userErrors"][0]["code"] == "AMOUNT_EXCEEDS_BALANCE"


def test_partial_capture_leaves_the_order_partially_paid_and_releases_the_rest(shop):
    _pid, variant, _ = make_product(shop)
    placed = place(shop, variant["id"], [{**sale("shopify_payments", "22.00"), "kind": "AUTHORIZATION"}])
    auth = placed["transactions"][0]
    assert placed["displayFinancialStatus"] == "AUTHORIZED" and auth["multiCapturable"] is False
    captured = shop.data(CAPTURE, {"input": {"id": placed["id"], "parentTransactionId": auth["id"], "amount": "9.00"}})
    tx = captured["orderCapture"]["transaction"]
    assert (tx["kind"], tx["gateway"], tx["amountSet"]["shopMoney"]["amount"]) == ("CAPTURE", "shopify_payments", "9.0")
    assert tx["parentTransaction"]["id"] == auth["id"]
    after = flow(shop, placed["id"])
    assert after["displayFinancialStatus"] == "PARTIALLY_PAID"
    assert amount(after["totalCapturableSet"]) == "0.0"  # single-capture: the rest is released
    capturable = shop.data("query($id: ID!) { order(id: $id) { transactions(capturable: true) { id } } }",
                           {"id": placed["id"]})["order"]["transactions"]  # fmt: skip
    assert capturable == []
    again = shop.data(CAPTURE, {"input": {"id": placed["id"], "parentTransactionId": auth["id"], "amount": "1.00"}})
    assert again["orderCapture"]["transaction"] is None
    assert again["orderCapture"]["userErrors"][0]["field"] == ["amount"]


def test_shopify_plus_captures_an_authorization_several_times(make_emulator):
    shop = shop_of(make_emulator(throttle=False, shops=[{"domain": "plus.myshopify.com", "plan": "Shopify Plus"}]))
    _pid, variant, _ = make_product(shop)
    placed = place(shop, variant["id"], [{**sale("shopify_payments", "22.00"), "kind": "AUTHORIZATION"}])
    auth = placed["transactions"][0]
    assert auth["multiCapturable"] is True
    capturable = "query($id: ID!) { order(id: $id) { transactions(capturable: true) { id } } }"
    for value, still_capturable in (("10.00", [{"id": auth["id"]}]), ("12.00", [])):
        result = shop.data(CAPTURE, {"input": {"id": placed["id"], "parentTransactionId": auth["id"], "amount": value}})
        assert result["orderCapture"]["userErrors"] == []
        assert shop.data(capturable, {"id": placed["id"]})["order"]["transactions"] == still_capturable
    after = flow(shop, placed["id"])
    assert after["displayFinancialStatus"] == "PAID"
    assert [t["kind"] for t in after["transactions"]] == ["AUTHORIZATION", "CAPTURE", "CAPTURE"]


# -- duties --------------------------------------------------------------------------------------


def test_duties_are_part_of_the_total_and_refundable(shop):
    _pid, variant, _ = make_product(shop)
    data = {
        "currency": "USD",
        "lineItems": [{"variantId": variant["id"], "quantity": 2, "priceSet": {"shopMoney": usd("10.00")}}],
        "transactions": [sale("shopify_payments", "26.00")],
    }
    duties = [{"line": 0, "amount": "6.00", "harmonizedSystemCode": "6109100010", "countryCodeOfOrigin": "CN"}]
    response = control(shop, "orders/create", {"order": data, "duties": duties})
    assert response.status_code == 200, response.text
    placed = flow(shop, response.json()["order"])
    assert amount(placed["totalPriceSet"]) == "26.0"
    assert amount(placed["originalTotalDutiesSet"]) == "6.0"
    assert placed["displayFinancialStatus"] == "PAID"
    [duty] = placed["lineItems"]["nodes"][0]["duties"]
    assert (duty["harmonizedSystemCode"], duty["countryCodeOfOrigin"], amount(duty["price"])) == (
        "6109100010",
        "CN",
        "6.0",
    )
    assert duty["taxLines"] == []

    line = placed["lineItems"]["nodes"][0]
    refund_money(
        shop,
        placed,
        placed["transactions"][0],
        "13.00",
        refundLineItems=[{"lineItemId": line["id"], "quantity": 1}],
        refundDuties=[{"dutyId": duty["id"], "refundType": "PROPORTIONAL"}],
    )
    after = flow(shop, placed["id"])
    [refunded] = after["refunds"][0]["duties"]
    assert (amount(refunded["amountSet"]), refunded["originalDuty"]["id"]) == ("3.0", duty["id"])
    assert amount(after["currentTotalDutiesSet"]) == "3.0"
    assert amount(after["originalTotalDutiesSet"]) == "6.0"
    assert amount(after["currentTotalPriceSet"]) == "13.0"
    assert amount(after["totalOutstandingSet"]) == "0.0"


def test_an_order_without_duties_has_null_duty_totals(shop):
    _pid, variant, _ = make_product(shop)
    placed = place(shop, variant["id"], [sale("shopify_payments", "22.00")])
    assert placed["originalTotalDutiesSet"] is None and placed["currentTotalDutiesSet"] is None
    bad = control(shop, "orders/create", {"order": {"lineItems": [{"variantId": variant["id"], "quantity": 1}]},
                                          "duties": [{"line": 3, "amount": "1.00"}]})  # fmt: skip
    assert bad.status_code == 422 and bad.json()["userErrors"][0]["field"] == ["duties", "0"]


# -- lists that truncate and connections that page ---------------------------------------------


def test_transactions_and_refunds_are_whole_lists_unless_first_truncates_them(shop):
    _pid, variant, _ = make_product(shop, quantity=50)
    sales = [sale("gift_card" if i % 2 else "shopify_payments", "1.10") for i in range(12)]
    placed = place(shop, variant["id"], sales, qty=12, price="1.00")  # 12 x 1.00 + 10% = 13.20
    line = placed["lineItems"]["nodes"][0]
    for parent in placed["transactions"][:11]:
        refund_money(shop, placed, parent, "1.10", refundLineItems=[{"lineItemId": line["id"], "quantity": 1}])
    query = """query($id: ID!) { order(id: $id) { all: transactions { id } few: transactions(first: 20) { id }
      refunds { id } firstTen: refunds(first: 10) { id } } }"""
    data = shop.data(query, {"id": placed["id"]})["order"]
    assert len(data["all"]) == 23 and len(data["few"]) == 20
    assert len(data["refunds"]) == 11 and len(data["firstTen"]) == 10
    assert data["few"] == data["all"][:20]


def test_a_refunds_connections_page_by_cursor_through_refund_and_node(shop):
    _pid, variants_a, _ = make_product(shop, title="A", sku="A-1")
    _pid, variants_b, _ = make_product(shop, title="B", sku="B-1")
    _pid, variants_c, _ = make_product(shop, title="C", sku="C-1")
    data = {
        "currency": "USD",
        "lineItems": [{"variantId": v["id"], "quantity": 1, "priceSet": {"shopMoney": usd("10.00")}}
                      for v in (variants_a, variants_b, variants_c)],
        "transactions": [sale("shopify_payments", "20.00"), sale("paypal", "10.00")],
    }  # fmt: skip
    placed = flow(shop, shop.data(CREATE, {"order": data})["orderCreate"]["order"]["id"])
    card, paypal = placed["transactions"]
    lines = [{"lineItemId": li["id"], "quantity": 1} for li in placed["lineItems"]["nodes"]]
    refund_txs = [
        {"orderId": placed["id"], "parentId": card["id"], "kind": "REFUND", "gateway": "shopify_payments", "amount": "20.00"},
        {"orderId": placed["id"], "parentId": paypal["id"], "kind": "REFUND", "gateway": "paypal", "amount": "10.00"},
    ]  # fmt: skip
    created = shop.data(
        REFUND, {"input": {"orderId": placed["id"], "refundLineItems": lines, "transactions": refund_txs}}
    )
    refund_id = created["refundCreate"]["refund"]["id"]

    page_query = """query($id: ID!, $after: String) { refund(id: $id) { id order { id }
      refundLineItems(first: 2, after: $after) { pageInfo { hasNextPage endCursor } edges { cursor node { lineItem { sku } } } }
      transactions(first: 1) { pageInfo { hasNextPage } nodes { gateway } } } }"""  # fmt: skip
    first = shop.data(page_query, {"id": refund_id})["refund"]
    assert first["order"]["id"] == placed["id"]
    page = first["refundLineItems"]
    assert [e["node"]["lineItem"]["sku"] for e in page["edges"]] == ["A-1", "B-1"]
    assert page["pageInfo"]["hasNextPage"] is True and page["pageInfo"]["endCursor"] == page["edges"][-1]["cursor"]
    assert first["transactions"]["pageInfo"]["hasNextPage"] is True
    second = shop.data(page_query, {"id": refund_id, "after": page["pageInfo"]["endCursor"]})["refund"]
    assert [e["node"]["lineItem"]["sku"] for e in second["refundLineItems"]["edges"]] == ["C-1"]
    assert second["refundLineItems"]["pageInfo"]["hasNextPage"] is False

    node = shop.data("query($id: ID!) { node(id: $id) { ... on Refund { id totalRefundedSet { shopMoney { amount } } } } }",
                     {"id": refund_id})["node"]  # fmt: skip
    assert node == {"id": refund_id, "totalRefundedSet": {"shopMoney": {"amount": "30.0"}}}
    assert shop.data('{ refund(id: "gid://shopify/Refund/999999") { id } }')["refund"] is None


# -- order edits after payment ------------------------------------------------------------------


def test_adding_an_item_to_a_paid_order_leaves_money_outstanding_until_paid(shop):
    _pid, variant, _ = make_product(shop)
    placed = place(shop, variant["id"], [sale("shopify_payments", "22.00")])
    line = placed["lineItems"]["nodes"][0]
    edit = control(shop, "orders/edit", {"order_id": placed["id"],
                                         "add": [{"variantId": variant["id"], "quantity": 1, "taxLines": [{"title": "Tax", "rate": "0.1"}]}]})  # fmt: skip
    assert edit.status_code == 200, edit.text
    edited = flow(shop, placed["id"])
    assert edited["edited"] is True
    assert edited["displayFinancialStatus"] == "PARTIALLY_PAID"
    assert amount(edited["totalOutstandingSet"]) == "11.0"
    assert amount(edited["currentTotalPriceSet"]) == "33.0"
    assert amount(edited["totalPriceSet"]) == "33.0"
    old, new = edited["lineItems"]["nodes"]
    assert old == {**old, "id": line["id"], "quantity": 2, "currentQuantity": 2}
    assert new["id"] != line["id"] and (new["quantity"], new["currentQuantity"]) == (1, 1)

    shop.data(MANUAL, {"id": placed["id"], "amount": usd("11.00")})
    assert flow(shop, placed["id"])["displayFinancialStatus"] == "PAID"


def test_removing_an_item_owes_the_customer_until_it_is_refunded(shop):
    _pid, variant, _ = make_product(shop)
    placed = place(shop, variant["id"], [sale("shopify_payments", "22.00")])
    line = placed["lineItems"]["nodes"][0]
    edit = control(
        shop, "orders/edit", {"order_id": placed["id"], "remove": [{"lineItemId": line["id"], "quantity": 1}]}
    )
    assert edit.status_code == 200, edit.text
    edited = flow(shop, placed["id"])
    assert edited["lineItems"]["nodes"][0]["currentQuantity"] == 1
    assert amount(edited["currentTotalPriceSet"]) == "11.0"
    assert amount(edited["totalOutstandingSet"]) == "-11.0"  # in the customer's favour
    assert edited["displayFinancialStatus"] == "PAID"

    result = refund_money(shop, placed, placed["transactions"][0], "11.00", note="item removed")
    assert result["order"]["displayFinancialStatus"] == "PARTIALLY_REFUNDED"
    after = flow(shop, placed["id"])
    assert amount(after["totalOutstandingSet"]) == "0.0"
    assert amount(after["netPaymentSet"]) == "11.0"


# -- cancellations ------------------------------------------------------------------------------


def test_cancel_with_refund_gives_back_every_tender_and_the_duties(shop):
    _pid, variant, _ = make_product(shop)
    data = {
        "currency": "USD",
        "lineItems": [{"variantId": variant["id"], "quantity": 1, "priceSet": {"shopMoney": usd("20.00")}}],
        "transactions": [sale("gift_card", "5.00"), sale("shopify_payments", "19.00")],
    }
    response = control(shop, "orders/create", {"order": data, "duties": [{"line": 0, "amount": "4.00"}]})
    placed = flow(shop, response.json()["order"])
    result = shop.data(CANCEL, {"id": placed["id"], "refund": True})["orderCancel"]
    assert result["orderCancelUserErrors"] == [] and result["job"]["done"] is True
    after = flow(shop, placed["id"])
    assert after["cancelledAt"] is not None
    assert after["displayFinancialStatus"] == "REFUNDED"
    refunded = {(t["gateway"], amount(t["amountSet"])) for t in after["refunds"][0]["transactions"]["nodes"]}
    assert refunded == {("gift_card", "5.0"), ("shopify_payments", "19.0")}
    assert amount(after["refunds"][0]["duties"][0]["amountSet"]) == "4.0"
    assert amount(after["currentTotalDutiesSet"]) == "0.0"
    assert amount(after["totalOutstandingSet"]) == "0.0"


def test_cancel_without_refund_keeps_the_money(shop):
    _pid, variant, _ = make_product(shop)
    placed = place(shop, variant["id"], [sale("shopify_payments", "22.00")])
    result = shop.data(CANCEL, {"id": placed["id"], "refund": False})["orderCancel"]
    assert result["orderCancelUserErrors"] == []
    after = flow(shop, placed["id"])
    assert after["cancelledAt"] is not None
    assert after["displayFinancialStatus"] == "PAID"
    assert after["refunds"] == []
    assert amount(after["netPaymentSet"]) == "22.0"
    assert [t["kind"] for t in after["transactions"]] == ["SALE"]

    # "Authorized payments will be voided regardless of this setting."
    authorized = place(shop, variant["id"], [{**sale("shopify_payments", "22.00"), "kind": "AUTHORIZATION"}])
    shop.data(CANCEL, {"id": authorized["id"], "refund": False})
    voided = flow(shop, authorized["id"])
    assert [t["kind"] for t in voided["transactions"]] == ["AUTHORIZATION", "VOID"]
    assert voided["displayFinancialStatus"] == "VOIDED"
