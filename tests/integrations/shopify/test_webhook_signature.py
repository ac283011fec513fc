"""The webhook HMAC: the exact bytes Shopify sent, signed with the app secret, or refused."""

import json

import pytest

from shopqb_app.integrations.shopify.webhook_signature import signature_valid
from tests.factories import API_SECRET, webhook_headers

pytestmark = pytest.mark.usefixtures("app_settings")

BODY = json.dumps({"id": 450789469, "name": "#1001", "note": "café <3"}, ensure_ascii=False).encode()


def signature(body: bytes, secret: str = API_SECRET) -> str:
    headers = webhook_headers(body, "orders/create", "alpha-goods.myshopify.com", secret=secret)
    return headers["HTTP_X_SHOPIFY_HMAC_SHA256"]


def test_the_app_secrets_signature_of_the_exact_body_is_valid():
    assert signature_valid(BODY, signature(BODY))
    assert signature_valid(BODY, f" {signature(BODY)}\n")  # header whitespace is not part of the digest


@pytest.mark.parametrize(
    "header",
    [
        pytest.param(signature(BODY, secret="another-apps-secret"), id="another-secret"),
        pytest.param(signature(BODY + b" "), id="another-body"),
        pytest.param(signature(json.dumps(json.loads(BODY)).encode()), id="same-json-other-bytes"),
        pytest.param("", id="empty"),
        pytest.param(signature(BODY)[:-2] + "\u00e9=", id="non-ascii"),
    ],
)
def test_anything_else_is_refused(header):
    assert not signature_valid(BODY, header)


def test_without_a_configured_secret_nothing_is_valid(settings):
    settings.SHOPIFY_API_SECRET = ""
    assert not signature_valid(BODY, signature(BODY, secret=""))
