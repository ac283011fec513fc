"""The seeder in a shop of each country: the country's taxes on each line, totals exact to the cent.

Every expected amount here is computed from the country's rules, independently of the seeder: the
rate a product gets (standard, reduced, zero, none), VAT/GST taken out of a tax-inclusive price or
added to an exclusive one, shipping taxed as the region taxes it.
"""

from collections import Counter
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

import pytest

from sandbox.shopify import countries, seeder
from sandbox.shopify.seeder import SeedError, seed_shop

ANCHOR = datetime(2026, 3, 1, tzinfo=UTC)
CENT = Decimal("0.01")

ORDERS_QUERY = """
query Orders($after: String) {
  orders(first: 100, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes {
      id name tags taxesIncluded currencyCode
      totalPriceSet { shopMoney { amount currencyCode } }
      totalTaxSet { shopMoney { amount } }
      totalShippingPriceSet { shopMoney { amount } }
      lineItems(first: 20) { nodes {
        sku quantity isGiftCard
        originalUnitPriceSet { shopMoney { amount } }
        discountAllocations { allocatedAmountSet { shopMoney { amount } } }
        taxLines { title rate priceSet { shopMoney { amount } } }
      } }
      shippingLines(first: 5) { nodes {
        discountedPriceSet { shopMoney { amount } }
        taxLines { title rate priceSet { shopMoney { amount } } }
      } }
    }
  }
}"""

# The tax lines (title, rate) a line gets, per product SKU and tax region; "*" = any other product.
RULES = {
    "GB": {
        "GB": {"*": [("GB VAT", "0.2")], "LOGS-01": [("GB VAT", "0.05")], "COFFEE-1KG": [("GB VAT", "0")],
               "POSTER-01": [("GB VAT", "0")], "shipping": [("GB VAT", "0.2")]},
    },
    "CA": {
        "ON": {"*": [("HST", "0.13")], "COFFEE-1KG": [], "shipping": [("HST", "0.13")]},
        "QC": {"*": [("GST", "0.05"), ("QST", "0.09975")], "COFFEE-1KG": [],
               "shipping": [("GST", "0.05"), ("QST", "0.09975")]},
        "BC": {"*": [("GST", "0.05"), ("PST", "0.07")], "COFFEE-1KG": [], "shipping": [("GST", "0.05")]},
        "AB": {"*": [("GST", "0.05")], "COFFEE-1KG": [], "shipping": [("GST", "0.05")]},
        "US": {"*": [], "shipping": []},  # exported: no Canadian tax
    },
    "AU": {
        "NSW": {"*": [("GST", "0.1")], "COFFEE-1KG": [], "shipping": [("GST", "0.1")]},
    },
}  # fmt: skip
CURRENCY = {"GB": "GBP", "CA": "CAD", "AU": "AUD"}


def money(bag):
    return Decimal(bag["shopMoney"]["amount"])


def r2(value):
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def expected_tax(base, rate, inclusive):
    return r2(base - base / (1 + rate)) if inclusive else r2(base * rate)


def fetch_orders(shop):
    orders, after = [], None
    while True:
        page = shop.data(ORDERS_QUERY, {"after": after})["orders"]
        orders += page["nodes"]
        if not page["pageInfo"]["hasNextPage"]:
            return orders
        after = page["pageInfo"]["endCursor"]


def seeded(make_emulator, country, orders=120, seed=5):
    from tests.sandbox_shopify.conftest import Shop

    emu, base_url = make_emulator(throttle=False, max_query_cost=None, shops=[countries.shop_spec(country)])
    info = emu.describe()["shops"][0]
    summary = seed_shop(
        base_url=base_url, shop=info["domain"], token=info["access_token"], orders=orders, seed=seed, anchor=ANCHOR
    )
    return summary, Shop(base_url, info["domain"], info["access_token"])


def region_of(order):
    [tag] = [t for t in order["tags"] if t.startswith("ship-to-")]
    return tag.removeprefix("ship-to-")


@pytest.mark.parametrize("country", ["GB", "CA", "AU"])
def test_each_line_carries_the_country_taxes_and_the_total_is_exact(make_emulator, country):
    summary, shop = seeded(make_emulator, country)
    assert summary["country"] == country and summary["currency"] == CURRENCY[country]
    orders = fetch_orders(shop)
    assert len(orders) == 120
    default_inclusive = country in ("GB", "AU")
    seen_keys = Counter()
    for order in orders:
        kinds = {t.removeprefix("seed-") for t in order["tags"] if t.startswith("seed-")}
        [kind] = kinds - {"paid"} or {"paid"}  # refunded orders are tagged seed-paid too
        inclusive = order["taxesIncluded"]
        assert inclusive == (default_inclusive and kind != "b2b_exclusive"), order["name"]
        assert order["currencyCode"] == CURRENCY[country]
        rules = RULES[country][region_of(order)]
        tax_total = Decimal(0)
        subtotal = Decimal(0)
        for li in order["lineItems"]["nodes"]:
            got = [(t["title"], Decimal(str(t["rate"]))) for t in li["taxLines"]]
            discount = sum((money(a["allocatedAmountSet"]) for a in li["discountAllocations"]), Decimal(0))
            base = money(li["originalUnitPriceSet"]) * li["quantity"] - discount
            subtotal += base
            if li["isGiftCard"] or li["sku"] is None:  # gift cards and tips are never taxed
                assert got == [], order["name"]
                continue
            want = [(title, Decimal(rate)) for title, rate in rules.get(li["sku"], rules["*"])]
            assert got == want, (order["name"], li["sku"])
            seen_keys[tuple(got)] += 1
            for t in li["taxLines"]:
                assert money(t["priceSet"]) == expected_tax(base, Decimal(str(t["rate"])), inclusive), order["name"]
                tax_total += money(t["priceSet"])
        shipping = Decimal(0)
        for s in order["shippingLines"]["nodes"]:
            price = money(s["discountedPriceSet"])
            shipping += price
            got = [(t["title"], Decimal(str(t["rate"]))) for t in s["taxLines"]]
            assert got == [(title, Decimal(rate)) for title, rate in rules["shipping"]], order["name"]
            for t in s["taxLines"]:
                assert money(t["priceSet"]) == expected_tax(price, Decimal(str(t["rate"])), inclusive)
                tax_total += money(t["priceSet"])
        assert money(order["totalTaxSet"]) == tax_total, order["name"]
        total = subtotal + shipping + (Decimal(0) if inclusive else tax_total)
        assert money(order["totalPriceSet"]) == total, order["name"]
    # Every kind of tax line the country has turns up in 120 orders.
    if country == "GB":
        assert {k[0][1] for k in seen_keys} == {Decimal("0.2"), Decimal("0.05"), Decimal("0")}
    if country == "CA":
        assert {(("HST", Decimal("0.13")),), (("GST", Decimal("0.05")), ("QST", Decimal("0.09975")))} <= set(seen_keys)
        assert (("GST", Decimal("0.05")), ("PST", Decimal("0.07"))) in seen_keys
        assert {region_of(o) for o in orders} == {"ON", "QC", "BC", "AB", "US"}
    if country == "AU":
        assert set(seen_keys) == {(("GST", Decimal("0.1")),), ()}


@pytest.mark.parametrize("country", ["GB", "CA", "AU"])
def test_every_country_keeps_the_kinds_mix(make_emulator, country):
    summary, _shop = seeded(make_emulator, country, orders=200, seed=11)
    other = {"CA": "export"}.get(country, "b2b_exclusive")
    assert set(summary["mix"]) == {
        "paid", "discount", "paypal", "manual", "pos", "presentment", other, "gift_card_sale", "gift_card_redeem",
        "test", "net_terms", "authorized", "refund_partial", "refund_full", "cancel",
    }  # fmt: skip
    assert summary["refunded_or_cancelled"] == sum(summary["mix"][k] for k in seeder.AFTERWARDS)


def test_a_partial_refund_of_a_tax_inclusive_order_gives_back_the_price_paid(make_emulator):
    _summary, shop = seeded(make_emulator, "GB", orders=200, seed=11)
    query = """query { orders(first: 250, query: "tag:seed-refund_partial") { nodes { name taxesIncluded
      refunds { totalRefundedSet { shopMoney { amount } } refundLineItems(first: 5) { nodes {
        quantity subtotalSet { shopMoney { amount } } lineItem { originalUnitPriceSet { shopMoney { amount } } } } } }
    } } }"""
    orders = shop.data(query)["orders"]["nodes"]
    assert orders
    for order in orders:
        assert order["taxesIncluded"]
        [refund] = order["refunds"]
        [line] = refund["refundLineItems"]["nodes"]
        assert line["quantity"] == 1
        assert money(refund["totalRefundedSet"]) == money(line["lineItem"]["originalUnitPriceSet"])


def test_the_seeder_refuses_an_order_whose_total_the_store_computes_differently(make_emulator, monkeypatch):
    original = seeder.OrderPlan.__init__

    def off_by_a_cent(self, *args, **kwargs):
        original(self, *args, **kwargs)
        if self.n == 3:
            self.total += CENT

    monkeypatch.setattr(seeder.OrderPlan, "__init__", off_by_a_cent)
    with pytest.raises(SeedError, match="seed-5-3: the store's total"):
        seeded(make_emulator, "GB", orders=10)


def test_the_us_shop_is_seeded_as_before(make_emulator):
    """The US default shop keeps its taxes (multi-jurisdiction, exclusive, a few VAT orders) and catalog."""
    summary, shop = seeded(make_emulator, "US", orders=60, seed=7)
    assert summary["country"] == "US" and summary["currency"] == "USD"
    assert summary["products"] == len(seeder.CATALOG) + 1  # no reduced-rate logs in a US shop
    orders = fetch_orders(shop)
    assert not any(t.startswith("ship-to-") for o in orders for t in o["tags"])
    titles = {t["title"] for o in orders for li in o["lineItems"]["nodes"] for t in li["taxLines"]}
    assert "New York State Tax" in titles or "California State Tax" in titles
