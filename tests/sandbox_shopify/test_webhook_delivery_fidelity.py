"""Webhook bodies byte for byte as Shopify writes them; redirects are failed deliveries."""

import json

from werkzeug.wrappers import Request, Response

from sandbox.runner import serve_in_thread

from .conftest import shop_of
from .helpers import make_product
from .test_webhooks import _subscribe, _verify


def test_body_is_compact_utf8_with_shopify_escapes(make_emulator, receiver):
    emu, base_url = make_emulator(throttle=False)
    shop = shop_of((emu, base_url))
    _subscribe(shop, "PRODUCTS_CREATE", receiver.url + "/hook")
    make_product(shop, title="Crème brûlée <Gift> & Co/EU")
    assert receiver.wait_for(1)
    raw = receiver.requests[0]["body"]
    assert '"title":"Crème brûlée \\u003cGift\\u003e \\u0026 Co\\/EU"'.encode() in raw
    assert b'": ' not in raw and b'", "' not in raw  # no spaces after separators
    assert json.loads(raw)["title"] == "Crème brûlée <Gift> & Co/EU"
    assert _verify(emu.describe()["app"]["api_secret"], receiver.requests[0])


def test_a_redirect_is_not_followed_and_counts_as_a_failure(make_emulator):
    hits = []

    def app(environ, start_response):
        request = Request(environ)
        hits.append(request.path)
        if request.path == "/old" and len(hits) == 1:
            return Response("", status=307, headers={"Location": "/new"})(environ, start_response)
        return Response("ok")(environ, start_response)

    running = serve_in_thread(app)
    try:
        emu, base_url = make_emulator(throttle=False, webhook_schedule=[0] + [0.05] * 7)
        shop = shop_of((emu, base_url))
        _subscribe(shop, "PRODUCTS_CREATE", running.base_url + "/old")
        make_product(shop)
        assert emu.dispatcher.wait_idle(10)
    finally:
        running.stop()
    assert hits == ["/old", "/old"]  # retried at the subscribed address, never at the Location
    attempts = [
        (a["attempt"], a["status"], a["ok"]) for a in emu.dispatcher.attempts if a["topic"] == "products/create"
    ]
    assert attempts == [(1, 307, False), (2, 200, True)]
