"""Bulk queries: Shopify's connection limits and the JSONL grouping each API version defaults to."""

import json

import requests

from .conftest import Shop
from .helpers import make_product, paid_order
from .test_payouts_bulk_throttle import _wait_bulk

RUN = "mutation($q: String!) { bulkOperationRunQuery(query: $q) { bulkOperation { id } userErrors { field message code } } }"


def _refused(shop, query):
    errors = shop.data(RUN, {"q": query})["bulkOperationRunQuery"]["userErrors"]
    assert errors and errors[0]["code"] == "INVALID", errors
    return errors[0]["message"]


def test_more_than_five_connections_is_refused(shop):
    four = "a: lineItems { nodes { id } } b: lineItems { nodes { id } } c: shippingLines { nodes { title } }"
    four += " d: shippingLines { nodes { title } }"
    five = "{ orders { nodes { id " + four + " } } }"
    six = "{ orders { nodes { id " + four + " e: lineItems { nodes { id } } } } }"
    assert shop.data(RUN, {"q": five})["bulkOperationRunQuery"]["userErrors"] == []
    _wait_bulk(shop)
    assert "more than 5 connections" in _refused(shop, six)


def test_three_levels_of_connections_are_refused(shop):
    deep = (
        "{ products { nodes { id variants { nodes { id inventoryItem { id inventoryLevels { nodes { id } } } } } } } }"
    )
    assert "more than 2 levels" in _refused(shop, deep)


def test_a_nested_connection_needs_its_parent_id(shop):
    without_id = "{ orders { edges { node { name lineItems { edges { node { sku } } } } } } }"
    assert "lineItems" in _refused(shop, without_id)
    aliased = "{ orders { nodes { orderId: id lineItems { nodes { sku } } } } }"
    assert "lineItems" in _refused(shop, aliased)
    through_fragment = "{ orders { nodes { ...O } } } fragment O on Order { id lineItems { nodes { sku } } }"
    assert shop.data(RUN, {"q": through_fragment})["bulkOperationRunQuery"]["userErrors"] == []


def _bulk_lines(shop, query):
    assert shop.data(RUN, {"q": query})["bulkOperationRunQuery"]["userErrors"] == []
    op = _wait_bulk(shop)
    assert op["status"] == "COMPLETED", op
    return [json.loads(x) for x in requests.get(op["url"], timeout=5).text.splitlines()]


QUERY = "{ orders { edges { node { id lineItems { edges { node { id } } } } } } }"


def test_grouped_up_to_2025_10_ungrouped_from_2026_01(emulator):
    emu, base_url = emulator
    info = emu.describe()["shops"][0]
    shop = Shop(base_url, info["domain"], info["access_token"])
    _pid, variant, _ = make_product(shop)
    placed = [paid_order(shop, variant["id"]) for _ in range(2)]
    grouped = _bulk_lines(shop, QUERY)
    assert [("__parentId" in x) for x in grouped] == [False, True, False, True]
    assert grouped[1]["__parentId"] == placed[0]["id"]
    newer = Shop(base_url, info["domain"], info["access_token"])
    newer.endpoint = newer.endpoint.replace("/2025-04/", "/2026-01/")
    ungrouped = _bulk_lines(newer, QUERY)
    assert [("__parentId" in x) for x in ungrouped] == [False, False, True, True]
    assert sorted(map(json.dumps, ungrouped)) == sorted(map(json.dumps, grouped))


def test_a_bulk_query_runs_with_no_more_than_its_tokens_scopes(emulator):
    """A field the token may not read (an order's customer without read_customers) fails the whole
    operation with ACCESS_DENIED; the same query with the scope completes."""
    emu, base_url = emulator
    info = emu.describe()["shops"][0]
    owner = Shop(base_url, info["domain"], info["access_token"])
    _pid, variant, _ = make_product(owner)
    paid_order(owner, variant["id"])
    with emu.store.lock:
        narrow = emu.issue_offline(emu.store.shops[info["domain"]], "read_orders", expiring=False)["access_token"]
    query = "{ orders { edges { node { id customer { id } } } } }"
    limited = Shop(base_url, info["domain"], narrow)
    assert limited.data(RUN, {"q": query})["bulkOperationRunQuery"]["userErrors"] == []
    denied = _wait_bulk(limited)
    assert (denied["status"], denied["errorCode"]) == ("FAILED", "ACCESS_DENIED")
    assert _bulk_lines(owner, query)[0]["id"].startswith("gid://shopify/Order/")
