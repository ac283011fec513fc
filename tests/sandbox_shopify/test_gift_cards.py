"""Gift cards: one per gift card sold, its balance what the orders paid with it left on it."""

from .flows import place, sale
from .helpers import CREATE, make_product, usd
from .test_money_flows import refund_money

CARDS = """query($query: String) { giftCards(first: 10, query: $query) {
  nodes { id enabled balance { amount currencyCode } initialValue { amount } lastCharacters order { id name } }
  pageInfo { hasNextPage } } }"""


def sell_gift_cards(shop, quantity, price):
    order = {
        "currency": "USD",
        "lineItems": [{"title": "Gift card", "giftCard": True, "quantity": quantity, "priceSet": {"shopMoney": usd(price)}}],
        "transactions": [sale("shopify_payments", str(quantity * int(price.split(".")[0])) + ".00")],
    }  # fmt: skip
    result = shop.data(CREATE, {"order": order})["orderCreate"]
    assert result["userErrors"] == [], result["userErrors"]
    return result["order"]


def cards(shop, query=None):
    return shop.data(CARDS, {"query": query})["giftCards"]["nodes"]


def test_each_gift_card_sold_is_a_card_whose_balance_follows_what_it_paid(shop):
    sold = sell_gift_cards(shop, 2, "25.00")
    first, second = cards(shop)
    assert first["order"] == {"id": sold["id"], "name": sold["name"]} == second["order"]
    assert first["balance"] == {"amount": "25.0", "currencyCode": "USD"} and first["initialValue"]["amount"] == "25.0"
    assert first["enabled"] and len(first["lastCharacters"]) == 4

    _pid, variant, _ = make_product(shop)
    placed = place(
        shop, variant["id"], [sale("gift_card", "15.00", giftCardId=first["id"]), sale("shopify_payments", "7.00")]
    )
    assert [c["balance"]["amount"] for c in cards(shop)] == ["10.0", "25.0"]

    gift = next(t for t in placed["transactions"] if t["gateway"] == "gift_card")
    refund_money(shop, placed, gift, "5.00")  # paid back to the card it came from
    assert [c["balance"]["amount"] for c in cards(shop)] == ["15.0", "25.0"]
    assert [c["id"] for c in cards(shop, "balance_status:partial")] == [first["id"]]
    assert [c["id"] for c in cards(shop, "balance_status:full")] == [second["id"]]


def test_a_card_named_by_no_order_changes_no_balance(shop):
    sell_gift_cards(shop, 1, "30.00")
    _pid, variant, _ = make_product(shop)
    place(shop, variant["id"], [sale("gift_card", "22.00", giftCardId="gid://shopify/GiftCard/77")])
    assert [c["balance"]["amount"] for c in cards(shop)] == ["30.0"]


def test_gift_cards_need_their_access_scope(emulator, shop):
    emu, _base_url = emulator
    with emu.store.lock:
        token = emu.issue_offline(emu.store.shops[shop.domain], "read_orders", expiring=False)["access_token"]
    body = shop.post(CARDS, token=token).json()
    assert body["errors"][0]["extensions"]["code"] == "ACCESS_DENIED"
    assert "read_gift_cards" in body["errors"][0]["message"]
