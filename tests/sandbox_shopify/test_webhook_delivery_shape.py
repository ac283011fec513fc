"""Webhook deliveries as Shopify makes them: the raw body's bytes, no redirects, the retry waits."""

import itertools
import json

import pytest
from werkzeug.wrappers import Request, Response

from sandbox.runner import serve_in_thread
from sandbox.shopify.webhooks import serialise

from .conftest import shop_of
from .helpers import make_product
from .test_webhooks import _subscribe, _verify


def test_emoji_stay_raw_utf8_and_javascript_line_separators_are_escaped():
    body = serialise({"title": "Gift 🎁\u2028Box\u2029", "price": "10.00"})
    assert body == '{"title":"Gift 🎁\\u2028Box\\u2029","price":"10.00"}'.encode()
    assert b"\\ud83c" not in body  # not the surrogate pair an ASCII-only encoder writes
    assert json.loads(body) == {"title": "Gift 🎁\u2028Box\u2029", "price": "10.00"}


def test_the_hmac_holds_for_the_raw_bytes_and_not_for_a_re_encoding(make_emulator, receiver):
    emu, base_url = make_emulator(throttle=False)
    shop = shop_of((emu, base_url))
    _subscribe(shop, "PRODUCTS_CREATE", receiver.url + "/hook")
    make_product(shop, title="Café 🎁 <Set>")
    assert receiver.wait_for(1)
    delivered = receiver.requests[0]
    secret = emu.describe()["app"]["api_secret"]
    assert "Café 🎁 \\u003cSet\\u003e".encode() in delivered["body"]
    assert _verify(secret, delivered)
    re_encoded = {**delivered, "body": json.dumps(json.loads(delivered["body"])).encode()}
    assert not _verify(secret, re_encoded)  # an app must sign what it received, byte for byte


@pytest.mark.parametrize("status", [301, 302, 303, 308])
def test_no_redirect_is_followed(make_emulator, status):
    hits = []

    def app(environ, start_response):
        request = Request(environ)
        hits.append(request.path)
        if request.path == "/old":
            return Response("", status=status, headers={"Location": "/new"})(environ, start_response)
        return Response("ok")(environ, start_response)

    running = serve_in_thread(app)
    try:
        emu, base_url = make_emulator(throttle=False, webhook_schedule=[0, 0.02, 0.02])
        shop = shop_of((emu, base_url))
        _subscribe(shop, "PRODUCTS_CREATE", running.base_url + "/old")
        make_product(shop)
        assert emu.dispatcher.wait_idle(10)
    finally:
        running.stop()
    assert hits == ["/old"] * 3
    attempts = [(a["status"], a["ok"], a["final"]) for a in emu.dispatcher.attempts if a["topic"] == "products/create"]
    assert attempts == [(status, False, False), (status, False, False), (status, False, True)]


def test_each_retry_waits_its_entry_of_the_schedule(make_emulator, receiver):
    schedule = [0, 0.1, 0.5, 1.0]
    emu, base_url = make_emulator(throttle=False, webhook_schedule=schedule)
    shop = shop_of((emu, base_url))
    _subscribe(shop, "PRODUCTS_CREATE", receiver.url + "/hook")
    receiver.statuses = [500, 500, 500, 500]
    make_product(shop)
    assert emu.dispatcher.wait_idle(10)
    times = [a["at"] for a in emu.dispatcher.attempts if a["topic"] == "products/create"]
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    assert len(times) == len(schedule)
    # each wait is its own entry: at least that long, and shorter than the next entry
    assert schedule[1] <= gaps[0] < schedule[2]
    assert schedule[2] <= gaps[1] < schedule[3]
    assert schedule[3] <= gaps[2]
