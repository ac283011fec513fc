"""Shopify OAuth helpers: the callback's query signature and the scopes a grant must carry."""

import pytest

from shopqb_app.integrations.shopify import oauth as shopify_auth
from tests.factories import API_SECRET

pytestmark = pytest.mark.usefixtures("app_settings")

SHOP = "echo-store.myshopify.com"


def test_signature_encoding_matches_shopify_api_library():
    import shopify

    params = {"code": "a&b=c%d", "shop": SHOP, "state": "x", "timestamp": "1700000000", "ids[]": "1"}
    shopify.Session.secret = API_SECRET
    try:
        expected = shopify.Session.calculate_hmac({k: v for k, v in params.items() if k != "ids[]"})
    finally:
        shopify.Session.secret = None
    assert shopify_auth.query_signature({k: v for k, v in params.items() if k != "ids[]"}, API_SECRET) == expected


def test_write_scopes_imply_read_scopes():
    assert shopify_auth.missing_scopes(frozenset({"write_orders", "write_products"})) == []
    assert shopify_auth.missing_scopes(frozenset({"read_orders"})) == ["read_products"]
