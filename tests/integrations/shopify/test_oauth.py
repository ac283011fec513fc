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


class FlakyTokenEndpoint:
    """A token endpoint that answers 503 first, then a grant; counts the POSTs it saw."""

    def __init__(self):
        import json
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.posts = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                outer.posts += 1
                if outer.posts == 1:
                    self.send_response(503)
                    self.end_headers()
                    return
                body = json.dumps({"access_token": "shpat_new", "scope": "read_orders"}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.base = f"http://127.0.0.1:{self.server.server_port}/{{shop}}"


@pytest.fixture
def flaky_endpoint(settings):
    endpoint = FlakyTokenEndpoint()
    settings.SHOPIFY_ADMIN_BASE = endpoint.base
    yield endpoint
    endpoint.server.shutdown()


def test_a_session_token_exchange_is_retried_after_a_503(flaky_endpoint):
    grant = shopify_auth.exchange_session_token(shop=SHOP, session_token="a.b.c")
    assert grant.access_token == "shpat_new" and flaky_endpoint.posts == 2


def test_a_refresh_is_sent_once_even_after_a_503(flaky_endpoint):
    # With rotating refresh tokens a second POST could present a token already exchanged.
    with pytest.raises(shopify_auth.ShopifyOAuthError):
        shopify_auth.refresh(shop=SHOP, refresh_token="shprt_old")
    assert flaky_endpoint.posts == 1
