"""Random bodies and headers at the webhook endpoint: never a 5xx, never a row without a valid HMAC."""

import base64
import hashlib
import hmac
import json

import pytest
from django.test import Client
from django_q.models import OrmQ
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import ComplianceRequest, Shop
from syncing.models import WebhookDelivery
from syncing.webhooks import HANDLERS
from tests.accounts.factories import make_shop
from tests.factories import API_SECRET

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("app_settings")]

TOPICS = st.sampled_from([*HANDLERS, "products/update", "", "orders/create\x00", "x" * 100])
SHOPS = st.sampled_from(["fuzz-shop.myshopify.com", "other.myshopify.com", "", "evil.com", "A.MYSHOPIFY.COM"])
HEADER_TEXT = st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=255), max_size=80)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20) | st.just("\x00"),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)
PAYLOADS = st.one_of(
    st.dictionaries(
        st.sampled_from(["id", "order_id", "customer", "orders_requested", "orders_to_redact", "shop_domain"]),
        JSON_VALUES,
        max_size=5,
    ),
    JSON_VALUES,
)
BODIES = st.one_of(PAYLOADS.map(lambda p: json.dumps(p).encode()), st.binary(max_size=300))


def sign(body: bytes) -> str:
    return base64.b64encode(hmac.new(API_SECRET.encode(), body, hashlib.sha256).digest()).decode()


@pytest.fixture
def fuzz_shop(db):
    return make_shop("fuzz-shop.myshopify.com")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=BODIES,
    topic=TOPICS,
    shop=SHOPS,
    webhook_id=st.one_of(HEADER_TEXT, st.uuids().map(str)),
    signature=st.one_of(st.none(), HEADER_TEXT, st.just("valid")),
    extra=st.dictionaries(
        st.sampled_from(["HTTP_X_SHOPIFY_TRIGGERED_AT", "HTTP_X_SHOPIFY_API_VERSION", "HTTP_X_SHOPIFY_EVENT_ID"]),
        HEADER_TEXT,
    ),
)
def test_webhook_endpoint_never_fails_and_never_stores_unsigned(
    fuzz_shop, body, topic, shop, webhook_id, signature, extra
):
    before = WebhookDelivery.objects.count(), OrmQ.objects.count(), ComplianceRequest.objects.count()
    headers = {
        "HTTP_X_SHOPIFY_TOPIC": topic,
        "HTTP_X_SHOPIFY_SHOP_DOMAIN": shop,
        "HTTP_X_SHOPIFY_WEBHOOK_ID": webhook_id,
    }
    headers.update(extra)
    if signature == "valid":
        headers["HTTP_X_SHOPIFY_HMAC_SHA256"] = sign(body)
    elif signature is not None:
        headers["HTTP_X_SHOPIFY_HMAC_SHA256"] = signature
    response = Client(raise_request_exception=False).post(
        "/webhooks", data=body, content_type="application/json", **headers
    )
    assert response.status_code < 500, response.content
    after = WebhookDelivery.objects.count(), OrmQ.objects.count(), ComplianceRequest.objects.count()
    if signature != "valid":
        assert response.status_code == 401
        assert after == before
    assert Shop.objects.filter(domain="fuzz-shop.myshopify.com").exists() or topic == "shop/redact"
