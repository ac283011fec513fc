"""Webhook deliveries: subscriptions, REST bodies, headers and HMAC, retries, TOML, fault knobs."""

import base64
import hashlib
import hmac
import json

import requests

from .conftest import shop_of
from .helpers import make_product, paid_order

SUBSCRIBE = """mutation($topic: WebhookSubscriptionTopic!, $url: URL!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: {callbackUrl: $url, format: JSON}) {
    webhookSubscription { id topic endpoint { __typename ... on WebhookHttpEndpoint { callbackUrl } } }
    userErrors { field message } } }"""


def _subscribe(shop, topic, url):
    result = shop.data(SUBSCRIBE, {"topic": topic, "url": url})["webhookSubscriptionCreate"]
    assert result["userErrors"] == []
    return result["webhookSubscription"]


def _verify(secret, request):
    digest = hmac.new(secret.encode(), request["body"], hashlib.sha256).digest()
    return hmac.compare_digest(base64.b64encode(digest).decode(), request["headers"]["X-Shopify-Hmac-Sha256"])


def test_orders_create_is_delivered_rest_shaped_with_headers_and_hmac(make_emulator, receiver):
    emu, base_url = make_emulator(throttle=False, webhook_schedule=[0, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05])
    shop = shop_of((emu, base_url))
    sub = _subscribe(shop, "ORDERS_CREATE", f"{receiver.url}/webhooks")
    assert sub["endpoint"] == {"__typename": "WebhookHttpEndpoint", "callbackUrl": f"{receiver.url}/webhooks"}
    _pid, variant, _ = make_product(shop)
    placed = paid_order(shop, variant["id"])
    assert receiver.wait_for(1)
    request = receiver.requests[0]
    headers = request["headers"]
    assert headers["X-Shopify-Topic"] == "orders/create"
    assert headers["X-Shopify-Shop-Domain"] == shop.domain
    assert headers["X-Shopify-Api-Version"] == "2025-04"
    assert headers["X-Shopify-Webhook-Id"] and headers["X-Shopify-Event-Id"] and headers["X-Shopify-Triggered-At"]
    assert _verify(emu.describe()["app"]["api_secret"], request)
    assert not _verify("wrong-secret", request)
    body = json.loads(request["body"])
    assert body["admin_graphql_api_id"] == placed["id"]
    assert body["total_price"] == "27.50"  # REST amounts keep minor units
    assert body["financial_status"] == "paid"
    assert body["line_items"][0]["sku"] == "MUG-1"
    assert body["current_total_price_set"]["shop_money"] == {"amount": "27.50", "currency_code": "USD"}
    # subscriptions are listed and deleted through the API
    listed = shop.data("{ webhookSubscriptions(first: 10) { nodes { id topic } } }")["webhookSubscriptions"]["nodes"]
    assert listed == [{"id": sub["id"], "topic": "ORDERS_CREATE"}]
    deleted = shop.data(
        "mutation($id: ID!) { webhookSubscriptionDelete(id: $id) { deletedWebhookSubscriptionId userErrors { message } } }",
        {"id": sub["id"]},
    )
    assert deleted["webhookSubscriptionDelete"]["deletedWebhookSubscriptionId"] == sub["id"]


def test_failures_are_retried_and_every_attempt_is_logged(make_emulator, receiver):
    emu, base_url = make_emulator(throttle=False, webhook_schedule=[0, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05])
    shop = shop_of((emu, base_url))
    _subscribe(shop, "ORDERS_CREATE", receiver.url + "/hook")
    receiver.statuses = [500, 503]
    _pid, variant, _ = make_product(shop)
    paid_order(shop, variant["id"])
    assert receiver.wait_for(3)
    ids = {r["headers"]["X-Shopify-Webhook-Id"] for r in receiver.requests}
    assert len(ids) == 1  # retries are the same delivery
    attempts = requests.get(f"{base_url}/_sandbox/webhooks/attempts", params={"shop": shop.domain}, timeout=5).json()[
        "attempts"
    ]
    assert [(a["attempt"], a["status"], a["final"]) for a in attempts] == [
        (1, 500, False),
        (2, 503, False),
        (3, 200, True),
    ]


def test_subscription_is_deleted_after_the_last_failed_try(make_emulator):
    emu, base_url = make_emulator(throttle=False, webhook_schedule=[0] + [0.02] * 7, webhook_timeout=0.5)
    shop = shop_of((emu, base_url))
    _subscribe(shop, "PRODUCTS_CREATE", "http://127.0.0.1:9/unreachable")
    make_product(shop)
    assert emu.dispatcher.wait_idle(10)
    attempts = [a for a in emu.dispatcher.attempts if a["topic"] == "products/create"]
    assert len(attempts) == 8 and attempts[-1]["final"] and not attempts[-1]["ok"]
    assert shop.data("{ webhookSubscriptions(first: 5) { nodes { id } } }")["webhookSubscriptions"]["nodes"] == []


def test_toml_subscriptions_use_the_app_url_and_survive_failures(make_emulator, receiver, tmp_path):
    toml = tmp_path / "shopify.app.toml"
    toml.write_text(
        'client_id = "x"\napplication_url = "https://app.example.com"\n\n[webhooks]\napi_version = "2025-04"\n\n'
        '[[webhooks.subscriptions]]\ntopics = ["orders/create", "orders/paid"]\nuri = "/webhooks/shopify"\n\n'
        '[[webhooks.subscriptions]]\ncompliance_topics = ["customers/data_request", "customers/redact", "shop/redact"]\n'
        'uri = "/webhooks/compliance"\n'
    )
    emu, base_url = make_emulator(throttle=False, app_url=receiver.url, toml_path=toml)
    shop = shop_of((emu, base_url))
    _pid, variant, _ = make_product(shop)
    paid_order(shop, variant["id"])
    assert receiver.wait_for(2)
    assert sorted(receiver.topics()) == ["orders/create", "orders/paid"]
    assert {r["path"] for r in receiver.requests} == {"/webhooks/shopify"}
    response = requests.post(
        f"{base_url}/_sandbox/webhooks/trigger", json={"shop": shop.domain, "topic": "shop/redact"}, timeout=5
    )
    assert response.status_code == 200
    assert receiver.wait_for(3)
    last = receiver.requests[-1]
    assert last["path"] == "/webhooks/compliance" and json.loads(last["body"])["shop_domain"] == shop.domain


def test_fault_knobs_duplicate_drop_and_shuffle(make_emulator, receiver):
    emu, base_url = make_emulator(throttle=False)
    shop = shop_of((emu, base_url))
    _subscribe(shop, "ORDERS_CREATE", receiver.url + "/hook")
    _pid, variant, _ = make_product(shop)

    def faults(**knobs):
        return requests.post(f"{base_url}/_sandbox/webhooks/faults", json=knobs, timeout=5).json()["faults"]

    faults(duplicate=2)
    paid_order(shop, variant["id"])
    assert receiver.wait_for(3)
    assert len({r["headers"]["X-Shopify-Webhook-Id"] for r in receiver.requests}) == 1

    receiver.requests.clear()
    faults(duplicate=0, drop_percent=100)
    paid_order(shop, variant["id"])
    assert emu.dispatcher.wait_idle(5)
    assert receiver.requests == []
    assert emu.dispatcher.attempts[-1]["error"] == "dropped by fault knob"

    faults(drop_percent=0, shuffle=True)
    names = [paid_order(shop, variant["id"])["name"] for _ in range(6)]
    assert emu.dispatcher.wait_idle(5) and receiver.requests == []  # held until released
    assert requests.post(f"{base_url}/_sandbox/webhooks/release", timeout=5).json()["released"] == 6
    assert receiver.wait_for(6)
    delivered = [json.loads(r["body"])["name"] for r in receiver.requests]
    assert sorted(delivered) == sorted(names) and delivered != names


def test_delay_knob_holds_the_first_try(make_emulator, receiver):
    emu, base_url = make_emulator(throttle=False)
    shop = shop_of((emu, base_url))
    _subscribe(shop, "PRODUCTS_CREATE", receiver.url + "/hook")
    requests.post(f"{base_url}/_sandbox/webhooks/faults", json={"delay": 0.5}, timeout=5)
    make_product(shop)
    assert not receiver.wait_for(1, timeout=0.2)
    assert receiver.wait_for(1, timeout=3)


def test_the_repository_shopify_app_toml_is_understood():
    from sandbox.shopify.emulator import REPO_TOML
    from sandbox.shopify.webhooks import TOPICS, read_toml

    if not REPO_TOML.exists():
        import pytest

        pytest.skip("no shopify.app.toml at the repository root yet")
    subs = read_toml(REPO_TOML, "http://127.0.0.1:8000")
    assert "app/uninstalled" in {s.topic for s in subs}
    assert all(s.url.startswith("http://127.0.0.1:8000/") for s in subs)
    assert {s.topic for s in subs} <= TOPICS
    assert read_toml(REPO_TOML, None) == []  # no sandbox app URL: the production URL is never called


def test_cancel_refund_edit_inventory_and_bulk_topics(make_emulator, receiver):
    emu, base_url = make_emulator(throttle=False, bulk_delay=0)
    shop = shop_of((emu, base_url))
    for topic in (
        "ORDERS_CANCELLED",
        "ORDERS_UPDATED",
        "REFUNDS_CREATE",
        "ORDERS_EDITED",
        "INVENTORY_LEVELS_UPDATE",
        "BULK_OPERATIONS_FINISH",
    ):
        _subscribe(shop, topic, receiver.url + "/hook")
    _pid, variant, locations = make_product(shop)
    placed = paid_order(shop, variant["id"])
    requests.post(
        f"{base_url}/_sandbox/orders/edit",
        json={"shop": shop.domain, "order_id": placed["id"], "add": [{"title": "Wrap", "price": "1.00"}]},
        timeout=5,
    )
    shop.data(
        "mutation($id: ID!) { orderCancel(orderId: $id, reason: CUSTOMER, refund: true, restock: true) { orderCancelUserErrors { message } } }",
        {"id": placed["id"]},
    )
    shop.data(
        """mutation($input: InventoryAdjustQuantitiesInput!) { inventoryAdjustQuantities(input: $input) { userErrors { code } } }""",
        {"input": {"name": "available", "reason": "correction", "changes": [{"delta": 1, "inventoryItemId": variant["inventoryItem"]["id"], "locationId": locations[0]["id"]}]}},
    )  # fmt: skip
    shop.data(
        'mutation { bulkOperationRunQuery(query: "{ products { edges { node { id } } } }") { userErrors { message } } }'
    )
    assert receiver.wait_for(9)
    assert emu.dispatcher.wait_idle(5)
    topics = receiver.topics()
    assert topics.count("orders/updated") == 2  # edit, cancel
    assert topics.count("inventory_levels/update") == 3  # sale, restock on cancel, adjustment
    assert {
        "orders/edited",
        "orders/cancelled",
        "refunds/create",
        "inventory_levels/update",
        "bulk_operations/finish",
    } <= set(topics)
    bodies = {r["headers"]["X-Shopify-Topic"]: json.loads(r["body"]) for r in receiver.requests}
    refund = bodies["refunds/create"]
    assert refund["order_id"] == int(placed["id"].rsplit("/", 1)[1])
    assert refund["refund_line_items"][0]["restock_type"] == "cancel"
    assert (
        refund["transactions"][0]["kind"] == "refund" and refund["transactions"][0]["amount"] == "27.50"
    )  # what was paid, not the edited total
    assert bodies["orders/cancelled"]["cancel_reason"] == "customer"
    # orders/edited carries the edit, not the order, as Shopify sends it.
    edit = bodies["orders/edited"]["order_edit"]
    assert edit["order_id"] == int(placed["id"].rsplit("/", 1)[1]) and edit["committed_at"]
    assert set(edit["line_items"]) == {"additions", "removals"} and "total_price" not in bodies["orders/edited"]
    assert bodies["bulk_operations/finish"]["status"] == "completed"
    assert bodies["inventory_levels/update"]["available"] == 21  # 20 - 2 sold + 2 restocked + 1


def test_compliance_topics_and_products_update_are_delivered(make_emulator, receiver, tmp_path):
    toml = tmp_path / "shopify.app.toml"
    toml.write_text(
        '[webhooks]\napi_version = "2025-04"\n'
        '[[webhooks.subscriptions]]\ncompliance_topics = ["customers/data_request", "customers/redact", "shop/redact"]\n'
        'uri = "/webhooks"\n'
    )
    emu, base_url = make_emulator(throttle=False, app_url=receiver.url, toml_path=toml)
    shop = shop_of((emu, base_url))
    _subscribe(shop, "PRODUCTS_UPDATE", receiver.url + "/hook")
    _pid, variant, _ = make_product(shop)  # productCreate + productVariantsBulkCreate: one products/update
    placed = paid_order(shop, variant["id"], email="ann@example.com")
    for topic in ("customers/data_request", "customers/redact", "shop/redact"):
        answer = requests.post(
            f"{base_url}/_sandbox/webhooks/trigger", json={"shop": shop.domain, "topic": topic}, timeout=5
        )
        assert answer.status_code == 200, answer.text
    refused = requests.post(
        f"{base_url}/_sandbox/webhooks/trigger", json={"shop": shop.domain, "topic": "orders/create"}, timeout=5
    )
    assert refused.status_code == 400
    assert receiver.wait_for(4)
    assert emu.dispatcher.wait_idle(5)
    bodies = {r["headers"]["X-Shopify-Topic"]: json.loads(r["body"]) for r in receiver.requests}
    assert set(bodies) == {"products/update", "customers/data_request", "customers/redact", "shop/redact"}
    assert all(_verify(emu.describe()["app"]["api_secret"], r) for r in receiver.requests)
    assert bodies["products/update"]["variants"][0]["sku"] == variant["sku"]
    assert bodies["shop/redact"]["shop_domain"] == shop.domain
    for topic, key in (("customers/data_request", "orders_requested"), ("customers/redact", "orders_to_redact")):
        assert bodies[topic]["shop_domain"] == shop.domain
        assert isinstance(bodies[topic][key], list)
    assert placed["id"]
