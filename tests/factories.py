"""What Shopify signs for the test app: App Bridge session tokens and webhook headers; and what a
QuickBooks company holds (``qbo_books``), to show that nothing was written.

The ``app_settings`` fixture (tests/conftest.py) installs this app's key and secret,
so what these build passes the app's checks unless a test breaks it on purpose.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import uuid

import jwt
from django.utils import timezone

API_KEY = "test-api-key"
API_SECRET = "test-api-secret-0123456789abcdefghijkl"


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


def qbo_books(qb, entities: tuple[str, ...]) -> dict[str, int]:
    """How many of each entity the QuickBooks company holds."""
    from shopqb_app.integrations.quickbooks import client as qbo

    return {entity: len(qbo.query_all(qb, f"select * from {entity}", entity)) for entity in entities}
