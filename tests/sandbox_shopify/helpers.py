"""Small builders shared by the sandbox tests."""

ORDER_FIELDS = """
id name displayFinancialStatus cancelledAt updatedAt edited
totalPriceSet { shopMoney { amount } }
currentTotalPriceSet { shopMoney { amount } presentmentMoney { amount currencyCode } }
currentSubtotalPriceSet { shopMoney { amount } }
currentTotalTaxSet { shopMoney { amount } }
totalRefundedSet { shopMoney { amount } }
netPaymentSet { shopMoney { amount } }
lineItems(first: 20) { nodes { id sku quantity currentQuantity } }
transactions { id kind gateway status amountSet { shopMoney { amount } } parentTransaction { id } }
refunds {
  id totalRefundedSet { shopMoney { amount } }
  refundLineItems(first: 10) { nodes { quantity restockType restocked lineItem { id sku } subtotalSet { shopMoney { amount } } totalTaxSet { shopMoney { amount } } } }
  refundShippingLines(first: 5) { nodes { subtotalAmountSet { shopMoney { amount } } taxAmountSet { shopMoney { amount } } } }
  transactions(first: 5) { nodes { kind gateway amountSet { shopMoney { amount } } } }
}
"""

CREATE = (
    "mutation($order: OrderCreateOrderInput!, $options: OrderCreateOptionsInput) {"
    " orderCreate(order: $order, options: $options) { order {"
    + ORDER_FIELDS
    + "} userErrors { field message code } } }"
)


def usd(amount):
    return {"amount": amount, "currencyCode": "USD"}


def make_product(shop, title="Mug", sku="MUG-1", price="10.00", quantity=20):
    locations = shop.data("{ locations(first: 5) { nodes { id name } } }")["locations"]["nodes"]
    product = shop.data(
        "mutation($p: ProductCreateInput) { productCreate(product: $p) { product { id } userErrors { message } } }",
        {"p": {"title": title}},
    )["productCreate"]["product"]
    variants = shop.data(
        """mutation($id: ID!, $v: [ProductVariantsBulkInput!]!) {
          productVariantsBulkCreate(productId: $id, variants: $v) {
            productVariants { id sku price inventoryItem { id } } userErrors { message } } }""",
        {
            "id": product["id"],
            "v": [
                {
                    "price": price,
                    "inventoryItem": {"sku": sku},
                    "inventoryQuantities": [
                        {"locationId": loc["id"], "availableQuantity": quantity} for loc in locations
                    ],
                }
            ],
        },
    )["productVariantsBulkCreate"]["productVariants"][0]
    return product["id"], variants, locations


def paid_order(
    shop, variant_id, qty=2, price="10.00", tax_rate="0.1", shipping="5.00", gateway="shopify_payments", **extra
):
    gross = float(price) * qty
    total = round(gross * (1 + float(tax_rate)) + float(shipping) * (1 + float(tax_rate)), 2)
    order = {
        "currency": "USD",
        "lineItems": [
            {
                "variantId": variant_id,
                "quantity": qty,
                "priceSet": {"shopMoney": usd(price)},
                "taxLines": [{"title": "Tax", "rate": tax_rate}],
            }
        ],
        "shippingLines": [
            {
                "title": "Ground",
                "priceSet": {"shopMoney": usd(shipping)},
                "taxLines": [{"title": "Tax", "rate": tax_rate}],
            }
        ],
        "transactions": [
            {"kind": "SALE", "status": "SUCCESS", "gateway": gateway, "amountSet": {"shopMoney": usd(f"{total:.2f}")}}
        ],
        **extra,
    }
    result = shop.data(CREATE, {"order": order, "options": {"inventoryBehaviour": "DECREMENT_OBEYING_POLICY"}})[
        "orderCreate"
    ]
    assert result["userErrors"] == [], result["userErrors"]
    return result["order"]


def order(shop, order_id):
    return shop.data("query($id: ID!) { order(id: $id) {" + ORDER_FIELDS + "} }", {"id": order_id})["order"]


def available(shop, inventory_item_id, location_id):
    data = shop.data(
        """query($item: ID!, $loc: ID!) { inventoryItem(id: $item) { inventoryLevel(locationId: $loc) {
             quantities(names: ["available", "on_hand"]) { name quantity } } } }""",
        {"item": inventory_item_id, "loc": location_id},
    )
    return {q["name"]: q["quantity"] for q in data["inventoryItem"]["inventoryLevel"]["quantities"]}["available"]
