"""The HMAC Shopify puts on every webhook: the only part of a delivery that proves it is Shopify's."""

from __future__ import annotations

import base64
import hashlib
import hmac

from django.conf import settings


def signature_valid(body: bytes, header: str) -> bool:
    # Reference: https://shopify.dev/docs/apps/build/webhooks/subscribe/https#step-5-verify-the-webhook
    secret = settings.SHOPIFY_API_SECRET
    if not secret or not header:
        return False
    expected = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest())
    return hmac.compare_digest(expected, header.strip().encode("ascii", "replace"))
