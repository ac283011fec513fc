"""Bulk operations: the JSONL reassembled into whole orders, identical to single fetches."""

import pytest

from shopqb_app.integrations.shopify.bulk import assemble_orders, orders_query
from shopqb_app.integrations.shopify.client import ShopifyClient
from shopqb_app.integrations.shopify.errors import ShopifyQueryError
from shopqb_app.integrations.shopify.fetch import all_orders, fetch_order
from shopqb_app.integrations.shopify.parse import parse_order
from tests.sandboxes import Store


def test_children_are_put_back_under_their_order():
    lines = [
        {"id": "gid://shopify/Order/1", "name": "#1"},
        {"__typename": "LineItem", "id": "gid://shopify/LineItem/1", "__parentId": "gid://shopify/Order/1"},
        {"__typename": "ShippingLine", "title": "Post", "__parentId": "gid://shopify/Order/1"},
        {"id": "gid://shopify/Order/2", "name": "#2"},
        {"__typename": "LineItem", "id": "gid://shopify/LineItem/2", "__parentId": "gid://shopify/Order/2"},
    ]
    orders = list(assemble_orders(iter(lines)))
    assert [o["name"] for o in orders] == ["#1", "#2"]
    assert orders[0]["lineItems"]["nodes"] == [{"id": "gid://shopify/LineItem/1"}]
    assert orders[0]["shippingLines"]["nodes"] == [{"title": "Post"}]
    assert orders[1]["shippingLines"]["nodes"] == []


def test_a_child_outside_its_order_is_an_error_not_a_wrong_order():
    lines = [
        {"id": "gid://shopify/Order/1"},
        {"__typename": "LineItem", "id": "x", "__parentId": "gid://shopify/Order/9"},
    ]
    with pytest.raises(ShopifyQueryError):
        list(assemble_orders(iter(lines)))


def test_the_search_is_quoted_into_the_bulk_query():
    assert 'query: "updated_at:>\\"2026\\""' in orders_query('updated_at:>"2026"')
    assert "$search" not in orders_query(None) and "query:" not in orders_query(None).split("orders(")[1][:30]


@pytest.mark.django_db(transaction=True)
def test_bulk_orders_equal_single_fetches(shop):
    store = Store(shop)
    store.order(lines=[("A", 2, "10.00"), ("B", 1, "3.50")], tax="1.20", shipping="4.00")
    store.order(lines=[("C", 1, "8.00")], gateway="paypal")
    client: ShopifyClient = store.client
    bulk = list(all_orders(client, search=None))
    assert len(bulk) == 2
    for raw in bulk:
        assert parse_order(raw) == parse_order(fetch_order(client, raw["id"]))
