"""Order.shippingAddress: what orderCreate was given, as a MailingAddress (null without one)."""

from .helpers import make_product, usd

CREATE = """mutation($order: OrderCreateOrderInput!) { orderCreate(order: $order) {
  order { shippingAddress { address1 address2 city provinceCode zip countryCodeV2 } } userErrors { message } } }"""


def test_shipping_address_is_the_one_given_and_null_without_one(shop):
    _pid, variant, _ = make_product(shop)
    line = {"variantId": variant["id"], "quantity": 1, "priceSet": {"shopMoney": usd("10.00")}}
    address = {"address1": "1 Main St", "city": "Toronto", "provinceCode": "ON", "zip": "M5V 2T6", "countryCode": "CA"}
    placed = shop.data(CREATE, {"order": {"lineItems": [line], "shippingAddress": address}})["orderCreate"]["order"]
    assert placed["shippingAddress"] == {
        "address1": "1 Main St",
        "address2": None,
        "city": "Toronto",
        "provinceCode": "ON",
        "zip": "M5V 2T6",
        "countryCodeV2": "CA",
    }
    bare = shop.data(CREATE, {"order": {"lineItems": [line]}})["orderCreate"]["order"]
    assert bare["shippingAddress"] is None
