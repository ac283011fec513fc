"""Orders through the Admin GraphQL API: orderCreate semantics, queries, filters and pagination."""

from decimal import Decimal

import requests

ORDER_CREATE = """
mutation Create($order: OrderCreateOrderInput!) {
  orderCreate(order: $order) {
    order {
      id name displayFinancialStatus taxesIncluded currencyCode presentmentCurrencyCode
      totalPriceSet { shopMoney { amount currencyCode } presentmentMoney { amount currencyCode } }
      subtotalPriceSet { shopMoney { amount } }
      totalTaxSet { shopMoney { amount } }
      totalDiscountsSet { shopMoney { amount } }
      totalShippingPriceSet { shopMoney { amount } }
      currentTotalPriceSet { shopMoney { amount } }
      taxLines { title rate priceSet { shopMoney { amount } } }
      lineItems(first: 10) {
        nodes {
          sku quantity currentQuantity
          originalUnitPriceSet { shopMoney { amount } }
          discountedTotalSet { shopMoney { amount } }
          withCodes: discountedTotalSet(withCodeDiscounts: true) { shopMoney { amount } }
          discountAllocations { allocatedAmountSet { shopMoney { amount } } }
          taxLines { title rate priceSet { shopMoney { amount } presentmentMoney { amount currencyCode } } }
        }
      }
      transactions { kind gateway status amountSet { shopMoney { amount } } fees { amount { amount } rate flatFee { amount } } }
      customer { displayName defaultEmailAddress { emailAddress } }
    }
    userErrors { field message code }
  }
}"""


def usd(amount):
    return {"amount": amount, "currencyCode": "USD"}


def line(sku, price, qty=1, taxes=()):
    return {
        "title": sku.title(),
        "sku": sku,
        "quantity": qty,
        "priceSet": {"shopMoney": usd(price)},
        "taxLines": [{"title": t, "rate": r} for t, r in taxes],
    }


def create(shop, **order):
    order.setdefault("currency", "USD")
    return shop.data(ORDER_CREATE, {"order": order})["orderCreate"]


def test_order_create_computes_discounts_taxes_and_totals_like_shopify(shop):
    result = create(
        shop,
        lineItems=[line("mug", "14.25", 2, [("NY State", "0.04"), ("NYC", "0.045")]), line("tote", "18.50")],
        discountCode={"itemPercentageDiscountCode": {"code": "SAVE10", "percentage": 10}},
        shippingLines=[
            {
                "title": "Ground",
                "priceSet": {"shopMoney": usd("5.00")},
                "taxLines": [{"title": "NY State", "rate": "0.04"}],
            }
        ],
        transactions=[
            {
                "kind": "SALE",
                "status": "SUCCESS",
                "gateway": "shopify_payments",
                "amountSet": {"shopMoney": usd("50.47")},
            }
        ],
        customer={"toUpsert": {"email": "ava@example.com", "firstName": "Ava", "lastName": "Kim"}},
    )
    assert result["userErrors"] == []
    order = result["order"]
    # mug: 28.50 - 2.85 = 25.65, tax 1.03 + 1.15; tote: 18.50 - 1.85 = 16.65, no tax; shipping 5.00 + 0.20
    assert order["subtotalPriceSet"]["shopMoney"]["amount"] == "42.3"
    assert order["totalDiscountsSet"]["shopMoney"]["amount"] == "4.7"
    assert order["totalTaxSet"]["shopMoney"]["amount"] == "2.38"
    assert order["totalShippingPriceSet"]["shopMoney"]["amount"] == "5.0"
    assert order["totalPriceSet"]["shopMoney"] == {"amount": "49.68", "currencyCode": "USD"}
    assert [(t["title"], t["priceSet"]["shopMoney"]["amount"]) for t in order["taxLines"]] == [
        ("NY State", "1.23"),
        ("NYC", "1.15"),
    ]
    mug = order["lineItems"]["nodes"][0]
    assert mug["discountedTotalSet"]["shopMoney"]["amount"] == "28.5"  # code discounts excluded by default
    assert mug["withCodes"]["shopMoney"]["amount"] == "25.65"
    assert mug["discountAllocations"][0]["allocatedAmountSet"]["shopMoney"]["amount"] == "2.85"
    # 50.47 received for 49.68 due: paid; fee = 2.9% x 50.47 + 0.30
    assert order["displayFinancialStatus"] == "PAID"
    fee = order["transactions"][0]["fees"][0]
    assert Decimal(fee["amount"]["amount"]) == Decimal("1.76")
    assert order["customer"]["defaultEmailAddress"]["emailAddress"] == "ava@example.com"


def test_tax_inclusive_order_does_not_add_tax_to_the_total(shop):
    order = create(
        shop, taxesIncluded=True, lineItems=[line("poster", "12.00", 1, [("GB VAT", "0.2")])], financialStatus="PAID"
    )["order"]
    assert order["taxesIncluded"] is True
    assert order["totalPriceSet"]["shopMoney"]["amount"] == "12.0"
    assert order["totalTaxSet"]["shopMoney"]["amount"] == "2.0"
    assert order["transactions"][0]["gateway"] == "manual"
    assert order["displayFinancialStatus"] == "PAID"


def test_presentment_currency_uses_given_amounts_or_the_fixed_rate(shop):
    order = create(
        shop,
        presentmentCurrency="CAD",
        lineItems=[
            {
                "title": "Beanie",
                "quantity": 1,
                "priceSet": {"shopMoney": usd("24.00"), "presentmentMoney": {"amount": "32.40", "currencyCode": "CAD"}},
            },
            line("pen", "10.00"),
        ],
    )["order"]
    assert order["presentmentCurrencyCode"] == "CAD"
    assert order["totalPriceSet"]["presentmentMoney"] == {"amount": "45.9", "currencyCode": "CAD"}  # 32.40 + 13.50
    assert order["totalPriceSet"]["shopMoney"]["amount"] == "34.0"


def test_order_create_user_errors(shop):
    result = create(shop, lineItems=[line("mug", "1.00", 0)])
    assert result["order"] is None
    assert result["userErrors"][0]["field"] == ["order", "lineItems", "0", "quantity"]
    result = create(shop, lineItems=[line("mug", "1.00")], processedAt="2999-01-01T00:00:00Z")
    assert result["userErrors"][0]["code"] == "PROCESSED_AT_INVALID"
    result = create(shop, lineItems=[{"quantity": 1, "variantId": "gid://shopify/ProductVariant/1"}])
    assert result["userErrors"][0]["message"] == "Variant does not exist."


def _names(shop, **args):
    query = """query($first: Int, $last: Int, $after: String, $before: String, $query: String, $sortKey: OrderSortKeys, $reverse: Boolean) {
      orders(first: $first, last: $last, after: $after, before: $before, query: $query, sortKey: $sortKey, reverse: $reverse) {
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
        edges { cursor node { name } }
      }
    }"""
    conn = shop.data(query, args)["orders"]
    return [e["node"]["name"] for e in conn["edges"]], conn["pageInfo"]


def test_orders_filters_sorting_and_cursor_pagination(shop):
    days = ["2026-01-05T10:00:00Z", "2026-01-03T10:00:00Z", "2026-01-04T10:00:00Z", "2026-01-06T10:00:00Z"]
    for i, when in enumerate(days):
        kwargs = {"financialStatus": "PAID"} if i % 2 == 0 else {"financialStatus": "PENDING"}
        create(shop, lineItems=[line("mug", "10.00")], processedAt=when, test=(i == 3), **kwargs)
    names, info = _names(shop, first=2)
    assert names == ["#1002", "#1003"]  # default sort: PROCESSED_AT
    assert info["hasNextPage"] and not info["hasPreviousPage"]
    names, info = _names(shop, first=2, after=info["endCursor"])
    assert names == ["#1001", "#1004"] and not info["hasNextPage"] and info["hasPreviousPage"]
    assert _names(shop, first=10, sortKey="ID", reverse=True)[0] == ["#1004", "#1003", "#1002", "#1001"]
    assert _names(shop, last=1, sortKey="ID")[0] == ["#1004"]
    assert _names(shop, first=10, query="processed_at:>'2026-01-04T12:00:00Z'")[0] == ["#1001", "#1004"]
    assert _names(shop, first=10, query="processed_at:<=2026-01-04T10:00:00Z")[0] == ["#1002", "#1003"]
    assert _names(shop, first=10, query="financial_status:paid", sortKey="ID")[0] == ["#1001", "#1003"]
    assert _names(shop, first=10, query="test:true")[0] == ["#1004"]
    assert _names(shop, first=10, query="financial_status:pending AND test:false")[0] == ["#1002"]
    assert _names(shop, first=10, query="financial_status:paid OR test:true", sortKey="ID")[0] == [
        "#1001",
        "#1003",
        "#1004",
    ]
    assert _names(shop, first=10, query="updated_at:>'2000-01-01T00:00:00Z'", sortKey="UPDATED_AT")[0] == [
        "#1001", "#1002", "#1003", "#1004"
    ]  # fmt: skip
    assert _names(shop, first=10, query="updated_at:>'2999-01-01T00:00:00Z'")[0] == []
    assert _names(shop, first=10, query="created_at:>=2000-01-01")[0] != []
    assert _names(shop, first=10, query="name:#1003")[0] == _names(shop, first=10, query="name:1003")[0] == ["#1003"]


def test_order_by_id_and_unknown_id(shop):
    order = create(shop, lineItems=[line("mug", "10.00")])["order"]
    data = shop.data("query($id: ID!) { order(id: $id) { name } }", {"id": order["id"]})
    assert data["order"]["name"] == order["name"]
    assert shop.data('{ order(id: "gid://shopify/Order/1") { name } }')["order"] is None


def test_connection_without_first_or_last_is_an_error_with_path(shop):
    body = shop.gql("{ orders { nodes { name } } }")
    assert body["errors"][0]["message"] == "you must provide one of first or last"
    assert body["errors"][0]["path"] == ["orders"]
    assert body["data"] is None


def test_validation_errors_have_locations(shop):
    body = shop.gql("{ orders(first: 1) { nodes { nam } } }")
    assert "Cannot query field 'nam' on type 'Order'" in body["errors"][0]["message"]
    assert body["errors"][0]["locations"] == [{"line": 1, "column": 30}]
    assert "data" not in body


def test_bad_token_is_401_and_unknown_shop_404(shop):
    response = shop.post("{ shop { name } }", token="shpat_wrong")
    assert response.status_code == 401
    assert "Invalid API key or access token" in response.json()["errors"]
    response = shop.session.post(
        shop.endpoint.replace(shop.domain, "nope.myshopify.com"), json={"query": "{ shop { name } }"}, timeout=5
    )
    assert response.status_code == 404


def test_shop_query(shop):
    data = shop.data("{ shop { name currencyCode ianaTimezone myshopifyDomain plan { displayName shopifyPlus } } }")
    assert data["shop"] == {
        "name": "Demo Store",
        "currencyCode": "USD",
        "ianaTimezone": "America/New_York",
        "myshopifyDomain": "demo-store.myshopify.com",
        "plan": {"displayName": "Shopify", "shopifyPlus": False},
    }


def test_rendered_orders_are_reused_only_while_nothing_they_show_changed(shop, emulator):
    _emu, base_url = emulator
    order = create(
        shop, lineItems=[line("mug", "10.00")], customer={"toUpsert": {"email": "kai@example.com", "firstName": "Kai"}}
    )["order"]
    fragment = "fragment F on Order { name customer { displayName } lineItems(first: $n) { nodes { sku } } }"
    single = "query($id: ID!, $n: Int) { order(id: $id) { ...F } }\n" + fragment
    page = "query($n: Int) { orders(first: 5) { nodes { ...F } } }\n" + fragment
    first = shop.data(single, {"id": order["id"], "n": 5})["order"]
    assert first == {
        "name": order["name"],
        "customer": {"displayName": "Kai"},
        "lineItems": {"nodes": [{"sku": "mug"}]},
    }
    assert shop.data(page, {"n": 5})["orders"]["nodes"] == [first]  # same fragment, another query: same render
    assert shop.data(single, {"id": order["id"], "n": 0})["order"]["lineItems"]["nodes"] == []  # variable inside
    # the customer is renamed: orders showing it render again
    create(
        shop,
        lineItems=[line("mug", "10.00")],
        customer={"toUpsert": {"email": "kai@example.com", "firstName": "Kairos"}},
    )
    assert shop.data(single, {"id": order["id"], "n": 5})["order"]["customer"]["displayName"] == "Kairos"
    # the order changes: rendered again
    requests.post(
        f"{base_url}/_sandbox/orders/edit",
        json={"shop": shop.domain, "order_id": order["id"], "add": [{"title": "Wrap", "sku": "wrap", "price": "1.00"}]},
        timeout=5,
    )
    assert [n["sku"] for n in shop.data(single, {"id": order["id"], "n": 5})["order"]["lineItems"]["nodes"]] == [
        "mug",
        "wrap",
    ]


def test_several_shops_are_isolated(make_emulator):
    from .conftest import Shop

    emu, base_url = make_emulator(
        throttle=False,
        shops=[
            "demo-store.myshopify.com",
            {
                "domain": "eu-store.myshopify.com",
                "currency": "EUR",
                "timezone": "Europe/Berlin",
                "plan": "Shopify Plus",
            },
        ],
    )
    us_info, eu_info = emu.describe()["shops"]
    us = Shop(base_url, us_info["domain"], us_info["access_token"])
    eu = Shop(base_url, eu_info["domain"], eu_info["access_token"])
    assert eu.data("{ shop { currencyCode ianaTimezone plan { shopifyPlus } } }")["shop"] == {
        "currencyCode": "EUR",
        "ianaTimezone": "Europe/Berlin",
        "plan": {"shopifyPlus": True},
    }
    assert us.post("{ shop { name } }", token=eu.token).status_code == 401  # a token is for its own shop only
    euro = {"title": "Becher", "quantity": 1, "priceSet": {"shopMoney": {"amount": "9.50", "currencyCode": "EUR"}}}
    created = eu.data(ORDER_CREATE, {"order": {"currency": "EUR", "lineItems": [euro]}})["orderCreate"]
    assert created["order"]["totalPriceSet"]["shopMoney"] == {"amount": "9.5", "currencyCode": "EUR"}
    assert us.data("{ orders(first: 5) { nodes { id } } }")["orders"]["nodes"] == []
    wrong = eu.data(ORDER_CREATE, {"order": {"currency": "USD", "lineItems": [euro]}})["orderCreate"]
    assert wrong["order"] is None and wrong["userErrors"][0]["field"] == ["order", "currency"]
    assert eu.gql("{ shop { name } }")["extensions"]["cost"]["throttleStatus"]["restoreRate"] == 1000.0
