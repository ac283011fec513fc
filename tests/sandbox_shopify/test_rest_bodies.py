"""Webhook bodies have the keys of Shopify's REST resources (the reference samples)."""

import json
from pathlib import Path

import pytest

from sandbox.shopify.rest import Renderer

from .helpers import make_product, paid_order

SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "reference" / "shopify" / "rest-samples"
# Keys of the sample that Shopify has deprecated or only sends in old API versions.
DEPRECATED = {"payment_details", "processing_method", "total_price_usd", "source", "gateway_name"}


def sample(name):
    path = SAMPLES / f"{name}.json"
    if not path.exists():
        pytest.skip("the reference samples are not next to the repository")
    return json.loads(path.read_text())


def test_an_order_body_has_every_key_of_the_sample_order(shop, emulator):
    emu, _ = emulator
    _pid, variant, _ = make_product(shop)
    paid_order(shop, variant["id"])
    data = emu.store.shops[shop.domain]
    body = Renderer(data).order(next(iter(data.orders.values())))
    missing = set(sample("order")["order"]) - set(body) - DEPRECATED
    assert missing == set()
    line = body["line_items"][0]
    assert set(sample("order")["order"]["line_items"][0]) - set(line) - DEPRECATED == set()
