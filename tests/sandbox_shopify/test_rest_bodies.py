"""Webhook bodies have the keys of Shopify's REST resources (the reference samples)."""

import json

import pytest

from sandbox.shopify.rest import Renderer
from tests import reference

from .helpers import make_product, paid_order

# Keys of the sample that Shopify has deprecated or only sends in old API versions.
DEPRECATED = {"payment_details", "processing_method", "total_price_usd", "source", "gateway_name"}


@pytest.fixture
def sample_order():
    [path] = reference.require("shopify/rest-samples/order.json")
    return json.loads(path.read_text())["order"]


def test_an_order_body_has_every_key_of_the_sample_order(shop, emulator, sample_order):
    emu, _ = emulator
    _pid, variant, _ = make_product(shop)
    paid_order(shop, variant["id"])
    data = emu.store.shops[shop.domain]
    body = Renderer(data).order(next(iter(data.orders.values())))
    missing = set(sample_order) - set(body) - DEPRECATED
    assert missing == set()
    line = body["line_items"][0]
    assert set(sample_order["line_items"][0]) - set(line) - DEPRECATED == set()
