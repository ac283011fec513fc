"""Builders the money-flow tests share: orders paid by given tenders, read back with every money field."""

from .helpers import CREATE, usd

MONEY = "shopMoney { amount currencyCode }"
FLOW_FIELDS = f"""
id displayFinancialStatus paymentGatewayNames cancelledAt edited
totalPriceSet {{ {MONEY} }} currentTotalPriceSet {{ {MONEY} }}
totalReceivedSet {{ {MONEY} }} netPaymentSet {{ {MONEY} }} totalOutstandingSet {{ {MONEY} }}
totalRefundedSet {{ {MONEY} }} totalCapturableSet {{ {MONEY} }}
originalTotalDutiesSet {{ {MONEY} }} currentTotalDutiesSet {{ {MONEY} }}
lineItems(first: 10) {{ nodes {{ id title quantity currentQuantity
  duties {{ id harmonizedSystemCode countryCodeOfOrigin price {{ {MONEY} }} taxLines {{ title }} }} }} }}
transactions {{ id kind status gateway processedAt manualPaymentGateway multiCapturable
  amountSet {{ {MONEY} }} parentTransaction {{ id gateway }} }}
refunds {{ id duties {{ amountSet {{ {MONEY} }} originalDuty {{ id }} }}
  transactions(first: 10) {{ nodes {{ kind gateway amountSet {{ {MONEY} }} }} }} }}
"""


def sale(gateway, amount, **extra):
    return {"kind": "SALE", "status": "SUCCESS", "gateway": gateway, "amountSet": {"shopMoney": usd(amount)}, **extra}


def place(shop, variant_id, transactions, qty=2, price="10.00", **extra):
    """qty x price, 10% tax, no shipping: 22.00 for the default two units."""
    data = {
        "currency": "USD",
        "lineItems": [{"variantId": variant_id, "quantity": qty, "priceSet": {"shopMoney": usd(price)},
                       "taxLines": [{"title": "Tax", "rate": "0.1"}]}],
        "transactions": transactions,
        **extra,
    }  # fmt: skip
    result = shop.data(CREATE, {"order": data})["orderCreate"]
    assert result["userErrors"] == [], result["userErrors"]
    return flow(shop, result["order"]["id"])


def flow(shop, order_id):
    return shop.data("query($id: ID!) { order(id: $id) {" + FLOW_FIELDS + "} }", {"id": order_id})["order"]


def amount(bag):
    return bag["shopMoney"]["amount"] if bag else None
