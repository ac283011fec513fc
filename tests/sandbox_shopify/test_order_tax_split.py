"""orderCreate with tax lines on the order: Shopify splits them across the taxable line items.

Reference: https://shopify.dev/docs/api/admin-graphql/2025-04/input-objects/OrderCreateOrderInput
(taxLines: "Tax lines specified on the order are split across the _taxable_ line items in the
created order"). A real order never carries tax that no line carries.
"""

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from sandbox.shopify.orders import split_amount

from .helpers import usd

ORDER_CREATE = """
mutation Create($order: OrderCreateOrderInput!) {
  orderCreate(order: $order) {
    order {
      id
      totalPriceSet { shopMoney { amount } }
      totalTaxSet { shopMoney { amount } presentmentMoney { amount } }
      currentTotalTaxSet { shopMoney { amount } }
      taxLines { title rate priceSet { shopMoney { amount } presentmentMoney { amount currencyCode } } }
      lineItems(first: 10) {
        nodes {
          id sku
          taxLines { title rate priceSet { shopMoney { amount } presentmentMoney { amount currencyCode } } }
        }
      }
      shippingLines(first: 5) { nodes { taxLines { title } } }
      transactions { id }
    }
    userErrors { field message code }
  }
}"""

REFUND = """mutation($input: RefundInput!) { refundCreate(input: $input) {
  order { currentTotalTaxSet { shopMoney { amount } } }
  userErrors { field message } } }"""


def item(sku, price, qty=1, **extra):
    return {"title": sku.title(), "sku": sku, "quantity": qty, "priceSet": {"shopMoney": usd(price)}, **extra}


def tax(title, rate, amount=None, pres=None):
    line = {"title": title, "rate": rate}
    if amount is not None:
        line["priceSet"] = {"shopMoney": usd(amount)}
        if pres is not None:
            line["priceSet"]["presentmentMoney"] = pres
    return line


def create(shop, **order):
    order.setdefault("currency", "USD")
    return shop.data(ORDER_CREATE, {"order": order})["orderCreate"]


def amounts(tax_lines, money="shopMoney"):
    return [(t["title"], Decimal(t["priceSet"][money]["amount"])) for t in tax_lines]


def by_sku(order):
    return {li["sku"]: li for li in order["lineItems"]["nodes"]}


def test_order_tax_lines_are_split_across_the_taxable_lines_in_proportion_and_to_the_cent(shop):
    result = create(
        shop,
        lineItems=[
            item("BOOTS", "30.00"),
            item("SOCKS", "10.00", 2),
            item("CARD", "50.00", giftCard=True),  # "not taxed"
            item("SERVICE", "5.00", taxable=False),
        ],
        shippingLines=[{"title": "Ground", "priceSet": {"shopMoney": usd("5.00")}}],
        taxLines=[tax("State", "0.05", "2.51"), tax("City", "0.02", "1.01")],
        financialStatus="PENDING",
    )
    assert result["userErrors"] == []
    order = result["order"]
    lines = by_sku(order)
    # BOOTS 30 and SOCKS 20 share each amount 3:2; the cent left by rounding down goes to the
    # largest remainder (2.51 -> 1.506 + 1.004 -> 1.51 + 1.00; 1.01 -> 0.606 + 0.404 -> 0.61 + 0.40).
    assert amounts(lines["BOOTS"]["taxLines"]) == [("State", Decimal("1.51")), ("City", Decimal("0.61"))]
    assert amounts(lines["SOCKS"]["taxLines"]) == [("State", Decimal("1.00")), ("City", Decimal("0.40"))]
    assert [t["rate"] for t in lines["BOOTS"]["taxLines"]] == [0.05, 0.02]
    assert lines["CARD"]["taxLines"] == [] and lines["SERVICE"]["taxLines"] == []
    assert order["shippingLines"]["nodes"][0]["taxLines"] == []
    # The order's tax lines and total are the sums over its lines, as given.
    assert amounts(order["taxLines"]) == [("State", Decimal("2.51")), ("City", Decimal("1.01"))]
    assert Decimal(order["totalTaxSet"]["shopMoney"]["amount"]) == Decimal("3.52")
    assert Decimal(order["totalPriceSet"]["shopMoney"]["amount"]) == Decimal("30") + 20 + 50 + 5 + 5 + Decimal("3.52")


def test_equal_lines_share_the_leftover_cents_with_the_earlier_lines_first(shop):
    order = create(
        shop,
        lineItems=[item("A", "10.00"), item("B", "10.00"), item("C", "10.00")],
        taxLines=[tax("Tax", "0.0333", "1.00"), tax("Levy", "0.0667", "2.00")],
        financialStatus="PENDING",
    )["order"]
    lines = by_sku(order)
    assert [amounts(lines[sku]["taxLines"]) for sku in "ABC"] == [
        [("Tax", Decimal("0.34")), ("Levy", Decimal("0.67"))],
        [("Tax", Decimal("0.33")), ("Levy", Decimal("0.67"))],
        [("Tax", Decimal("0.33")), ("Levy", Decimal("0.66"))],
    ]
    assert amounts(order["taxLines"]) == [("Tax", Decimal("1.00")), ("Levy", Decimal("2.00"))]


def test_presentment_amounts_are_split_on_their_own_and_add_up_too(shop):
    order = create(
        shop,
        presentmentCurrency="CAD",
        lineItems=[item("A", "19.99"), item("B", "5.01", 3)],
        taxLines=[tax("HST", "0.13", "4.55", {"amount": "6.14", "currencyCode": "CAD"})],
        financialStatus="PENDING",
    )["order"]
    parts = [li["taxLines"][0]["priceSet"] for li in order["lineItems"]["nodes"]]
    assert sum(Decimal(p["shopMoney"]["amount"]) for p in parts) == Decimal("4.55")
    assert sum(Decimal(p["presentmentMoney"]["amount"]) for p in parts) == Decimal("6.14")
    assert {p["presentmentMoney"]["currencyCode"] for p in parts} == {"CAD"}
    assert Decimal(order["totalTaxSet"]["presentmentMoney"]["amount"]) == Decimal("6.14")


def test_a_rate_without_an_amount_is_charged_on_each_taxable_line_after_its_discount(shop):
    order = create(
        shop,
        lineItems=[item("A", "12.34"), item("B", "7.66", 2), item("TIP", "3.00", taxable=False)],
        discountCode={"itemPercentageDiscountCode": {"code": "SAVE10", "percentage": 10}},
        taxLines=[tax("GST", "0.05")],
        financialStatus="PENDING",
    )["order"]
    lines = by_sku(order)
    # A: 12.34 - 1.23 = 11.11 -> 0.56; B: 15.32 - 1.53 = 13.79 -> 0.69
    assert amounts(lines["A"]["taxLines"]) == [("GST", Decimal("0.56"))]
    assert amounts(lines["B"]["taxLines"]) == [("GST", Decimal("0.69"))]
    assert lines["TIP"]["taxLines"] == []
    assert Decimal(order["totalTaxSet"]["shopMoney"]["amount"]) == Decimal("1.25")


def test_refunding_a_line_gives_back_its_part_of_the_order_tax(shop):
    placed = create(
        shop,
        lineItems=[item("A", "30.00"), item("B", "20.00")],
        taxLines=[tax("State", "0.05", "2.50")],
        transactions=[{"kind": "SALE", "status": "SUCCESS", "gateway": "manual", "amountSet": {"shopMoney": usd("52.50")}}],
    )["order"]  # fmt: skip
    a = by_sku(placed)["A"]
    result = shop.data(
        REFUND,
        {"input": {"orderId": placed["id"], "refundLineItems": [{"lineItemId": a["id"], "quantity": 1, "restockType": "NO_RESTOCK"}],
                   "transactions": [{"orderId": placed["id"], "parentId": placed["transactions"][0]["id"], "kind": "REFUND", "gateway": "manual", "amount": "31.50"}]}},
    )["refundCreate"]  # fmt: skip
    assert result["userErrors"] == []
    assert Decimal(result["order"]["currentTotalTaxSet"]["shopMoney"]["amount"]) == Decimal("1.00")


def test_tax_lines_on_the_order_and_on_a_line_are_refused(shop):
    result = create(
        shop,
        lineItems=[item("A", "10.00", taxLines=[tax("State", "0.05")])],
        taxLines=[tax("State", "0.05", "0.50")],
        financialStatus="PENDING",
    )
    assert result["order"] is None
    assert result["userErrors"][0]["field"] == ["order", "taxLines"]
    assert "not both" in result["userErrors"][0]["message"]


def test_order_tax_lines_without_a_taxable_line_are_refused(shop):
    result = create(
        shop,
        lineItems=[item("CARD", "50.00", giftCard=True), item("FEE", "2.00", taxable=False)],
        taxLines=[tax("State", "0.05", "0.10")],
        financialStatus="PENDING",
    )
    assert result["order"] is None
    assert result["userErrors"][0]["field"] == ["order", "taxLines"]


def test_split_amount_adds_up_for_fully_discounted_lines_and_for_negative_amounts():
    assert split_amount(Decimal("1.00"), [Decimal(0)] * 3, "USD") == [Decimal("0.34"), Decimal("0.33"), Decimal("0.33")]
    assert split_amount(Decimal("-0.05"), [Decimal(1), Decimal(1)], "USD") == [Decimal("-0.03"), Decimal("-0.02")]
    assert split_amount(Decimal("7"), [Decimal(1), Decimal(2)], "JPY") == [Decimal("2"), Decimal("5")]


@given(
    cents=st.integers(min_value=0, max_value=10**7),
    weights=st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=12),
)
def test_split_amount_parts_add_up_and_stay_within_a_cent_of_their_share(cents, weights):
    amount = Decimal(cents) / 100
    parts = split_amount(amount, [Decimal(w) for w in weights], "USD")
    assert sum(parts) == amount
    total = sum(weights) or len(weights)
    for part, weight in zip(parts, weights if sum(weights) else [1] * len(weights), strict=True):
        assert abs(part - amount * weight / total) < Decimal("0.01")
