"""Two shops, real session tokens and real webhook signatures, no emulator needed."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from datetime import timedelta

import jwt
import pytest
from django.core.cache import cache
from django.utils import timezone

from accounts.models import QuickBooksConnection, Shop

API_KEY = "test-api-key"
API_SECRET = "test-api-secret-0123456789abcdefghijkl"


@pytest.fixture(autouse=True)
def _app_settings(settings):
    settings.SHOPIFY_API_KEY = API_KEY
    settings.SHOPIFY_API_SECRET = API_SECRET
    settings.SHOPIFY_ADMIN_BASE = "https://{shop}"
    settings.SHOPIFY_ADMIN_APP_URL = "https://{shop}/admin/apps/{api_key}"
    settings.SHOPIFY_SCOPES = ["read_orders", "read_products"]
    settings.APP_URL = "https://app.example.test"
    settings.QBO_CLIENT_ID = "qbo-client"
    settings.QBO_CLIENT_SECRET = "qbo-secret"
    settings.QBO_REDIRECT_URI = "https://app.example.test/qbo/callback"
    settings.QBO_API_BASE = "https://qbo.example.test/v3"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.ALLOWED_HOSTS = ["testserver", "app.example.test", "127.0.0.1", "localhost"]
    cache.clear()  # rate-limit counters (install) start from zero in every test


def session_token(
    shop: str,
    *,
    secret: str = API_SECRET,
    aud: str = API_KEY,
    lifetime: int = 60,
    now: float | None = None,
    **overrides,
) -> str:
    # Like App Bridge's: issued and valid from now, expiring ``lifetime`` seconds later.
    now = int(time.time() if now is None else now)
    claims = {
        "iss": f"https://{shop}/admin",
        "dest": f"https://{shop}",
        "aud": aud,
        "sub": "42",
        "exp": now + lifetime,
        "nbf": now,
        "iat": now,
        "jti": str(uuid.uuid4()),
        "sid": "session-" + uuid.uuid4().hex[:8],
        **overrides,
    }
    return jwt.encode(claims, secret, algorithm="HS256")


def webhook_headers(body: bytes, topic: str, shop: str, *, webhook_id: str | None = None, secret: str = API_SECRET):
    digest = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    return {
        "HTTP_X_SHOPIFY_HMAC_SHA256": digest,
        "HTTP_X_SHOPIFY_TOPIC": topic,
        "HTTP_X_SHOPIFY_SHOP_DOMAIN": shop,
        "HTTP_X_SHOPIFY_WEBHOOK_ID": webhook_id or str(uuid.uuid4()),
        "HTTP_X_SHOPIFY_EVENT_ID": str(uuid.uuid4()),
        "HTTP_X_SHOPIFY_API_VERSION": "2025-04",
        "HTTP_X_SHOPIFY_TRIGGERED_AT": timezone.now().isoformat(),
    }


# What account and compliance flows queue; the sync's own tasks run where a test asks for them.
ACCOUNT_TASKS = ("accounts.tasks.", "syncing.tasks.app_uninstalled", "syncing.tasks.shop_redact")


def run_queued(prefix: str | tuple[str, ...] = ACCOUNT_TASKS) -> list:
    """Run (and dequeue) the queued tasks whose function starts with ``prefix``, as a worker would."""
    from django.utils.module_loading import import_string
    from django_q.models import OrmQ

    results = []
    for queued in OrmQ.objects.order_by("pk"):
        task = queued.task
        if str(task["func"]).startswith(prefix):
            queued.delete()
            results.append(import_string(task["func"])(*task["args"], **task["kwargs"]))
    return results


@pytest.fixture
def post_webhook(client):
    def post(topic: str, shop: str, payload: dict, **kwargs):
        body = json.dumps(payload).encode()
        return client.post(
            "/webhooks", data=body, content_type="application/json", **webhook_headers(body, topic, shop, **kwargs)
        )

    return post


def make_shop(domain: str, **fields) -> Shop:
    defaults = {
        "name": domain.split(".")[0].title(),
        "installed_at": timezone.now() - timedelta(days=1),
        "access_token": f"shpat_{domain}_access",
        "access_token_expires_at": timezone.now() + timedelta(hours=1),
        "refresh_token": f"shprt_{domain}_refresh",
        "refresh_token_expires_at": timezone.now() + timedelta(days=90),
        "scopes": "read_orders,read_products",
    }
    return Shop.objects.create(domain=domain, **{**defaults, **fields})


def make_connection(shop: Shop, **fields) -> QuickBooksConnection:
    defaults = {
        "realm_id": "9130" + str(shop.pk).zfill(4),
        "company_name": f"{shop.name} Books Ltd",
        "country": "CA",
        "home_currency": "CAD",
        "access_token": f"qbo_access_{shop.domain}",
        "access_token_expires_at": timezone.now() + timedelta(hours=1),
        "refresh_token": f"qbo_refresh_{shop.domain}",
        "refresh_token_expires_at": timezone.now() + timedelta(days=100),
    }
    return QuickBooksConnection.objects.create(shop=shop, **{**defaults, **fields})


@pytest.fixture
def shop_a(db):
    return make_shop("alpha-goods.myshopify.com")


@pytest.fixture
def shop_b(db):
    return make_shop("bravo-wares.myshopify.com")
