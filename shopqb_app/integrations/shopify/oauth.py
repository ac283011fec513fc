"""Shopify's OAuth endpoints: authorization code grant, token exchange, refresh.

Everything that produces or renews a shop's offline access token lives here; the
Admin GraphQL API itself is ``client.py``.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import SupportsInt
from urllib.parse import urlencode

import requests
from django.conf import settings
from django.utils import timezone

from shopqb_app.integrations.http import TransientHTTPError, request_with_retries
from shopqb_app.integrations.shopify.errors import ShopifyGrantRevoked, ShopifyOAuthError

# One DNS label before .myshopify.com: at most 63 characters (RFC 1035), which also
# keeps every column that stores a domain (255) far from overflowing.
SHOP_DOMAIN_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}\.myshopify\.com\Z")
# Callbacks older than this are replays.
MAX_CALLBACK_AGE = 24 * 60 * 60


@dataclass(frozen=True)
class ShopifyGrant:
    access_token: str = field(repr=False)
    scopes: frozenset[str]
    expires_at: datetime | None
    refresh_token: str = field(default="", repr=False)
    refresh_token_expires_at: datetime | None = None


def valid_shop_domain(value: object) -> str | None:
    """The shop's ``*.myshopify.com`` name, or None for anything else."""
    # ASCII first: str.lower() folds some non-ASCII letters into ASCII ones (the Kelvin sign to "k").
    if not isinstance(value, str) or not value.isascii():
        return None
    value = value.strip().lower()
    return value if SHOP_DOMAIN_RE.match(value) else None


def admin_base(shop: str) -> str:
    return settings.SHOPIFY_ADMIN_BASE.format(shop=shop).rstrip("/")


def admin_app_url(shop: str) -> str:
    """The app inside the shop's admin: where the merchant lands after OAuth."""
    return settings.SHOPIFY_ADMIN_APP_URL.format(shop=shop, api_key=settings.SHOPIFY_API_KEY)


def authorize_url(*, shop: str, state: str, redirect_uri: str) -> str:
    # Reference: https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/authorization-code-grant
    query = urlencode(
        {
            "client_id": settings.SHOPIFY_API_KEY,
            "scope": ",".join(settings.SHOPIFY_SCOPES),
            "redirect_uri": redirect_uri,
            "state": state,
        }
    )
    return f"{admin_base(shop)}/admin/oauth/authorize?{query}"


def query_signature(params: Mapping[str, str], secret: str) -> str:
    """Hex HMAC-SHA256 over the sorted ``k=v`` pairs, ``hmac`` left out (Shopify's rule)."""
    pairs = []
    for key, value in params.items():
        if key in ("hmac", "signature"):
            continue
        key = str(key).replace("%", "%25").replace("=", "%3D").replace("&", "%26")
        value = str(value).replace("%", "%25").replace("&", "%26")
        pairs.append(f"{key}={value}")
    return hmac.new(secret.encode(), "&".join(sorted(pairs)).encode(), hashlib.sha256).hexdigest()


def query_is_signed(params: Mapping[str, str], *, now: float | None = None) -> bool:
    """A request Shopify sent (install launch, OAuth callback): HMAC and a fresh timestamp."""
    # Reference: https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/authorization-code-grant#step-2-verify-the-installation-request
    secret = settings.SHOPIFY_API_SECRET
    given = params.get("hmac", "")
    if not secret or not given or not valid_shop_domain(params.get("shop")):
        return False
    try:
        timestamp = int(params.get("timestamp", ""))
    except ValueError:
        return False
    now = time.time() if now is None else now
    if not (now - MAX_CALLBACK_AGE <= timestamp <= now + 300):
        return False
    return hmac.compare_digest(query_signature(params, secret), str(given))


def missing_scopes(granted: frozenset[str]) -> list[str]:
    """Required scopes the grant lacks (``write_x`` implies ``read_x``)."""
    implied = set(granted) | {"read_" + scope[len("write_") :] for scope in granted if scope.startswith("write_")}
    return [scope for scope in settings.SHOPIFY_SCOPES if scope not in implied]


def exchange_code(*, shop: str, code: str) -> ShopifyGrant:
    # Reference: https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/authorization-code-grant#step-4-get-an-access-token
    return _token_request(shop, {"code": code, "expiring": "1"})


def exchange_session_token(*, shop: str, session_token: str) -> ShopifyGrant:
    # Reference: https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/token-exchange
    return _token_request(
        shop,
        {
            "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
            "subject_token": session_token,
            "subject_token_type": "urn:ietf:params:oauth:token-type:id_token",
            "requested_token_type": "urn:shopify:params:oauth:token-type:offline-access-token",
            "expiring": "1",
        },
    )


def refresh(*, shop: str, refresh_token: str) -> ShopifyGrant:
    # Reference: https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/offline-access-tokens#refreshing-expiring-offline-tokens
    return _token_request(shop, {"grant_type": "refresh_token", "refresh_token": refresh_token})


def _token_request(shop: str, params: dict[str, str]) -> ShopifyGrant:
    if not valid_shop_domain(shop):
        raise ShopifyGrantRevoked(f"not a shop domain: {shop!r}")
    body = {"client_id": settings.SHOPIFY_API_KEY, "client_secret": settings.SHOPIFY_API_SECRET, **params}
    url = f"{admin_base(shop)}/admin/oauth/access_token"
    # A refresh is sent once: with rotating refresh tokens, a retry after a lost answer would
    # present a token Shopify already exchanged. Exchanging a code or a session token may be retried.
    attempts = 1 if params.get("grant_type") == "refresh_token" else 3
    try:
        with requests.Session() as session:
            response = request_with_retries(
                session,
                "POST",
                url,
                timeout=settings.SHOPIFY_HTTP_TIMEOUT,
                attempts=attempts,
                data=body,
                headers={"Accept": "application/json"},
            )
    except (requests.RequestException, TransientHTTPError) as exc:
        raise ShopifyOAuthError(f"{shop}: token endpoint unreachable ({type(exc).__name__})") from None
    if response.status_code in (400, 401, 403):
        raise ShopifyGrantRevoked(f"{shop}: token endpoint refused the grant ({_error_code(response)})")
    if response.status_code != 200:
        raise ShopifyOAuthError(f"{shop}: token endpoint answered HTTP {response.status_code}")
    try:
        data = response.json()
        access_token = str(data["access_token"])
    except (ValueError, KeyError, TypeError):
        raise ShopifyOAuthError(f"{shop}: token endpoint answer has no access_token") from None
    now = timezone.now()
    return ShopifyGrant(
        access_token=access_token,
        scopes=frozenset(s.strip() for s in str(data.get("scope", "")).split(",") if s.strip()),
        expires_at=_expiry(now, data.get("expires_in")),
        refresh_token=str(data.get("refresh_token") or ""),
        refresh_token_expires_at=_expiry(now, data.get("refresh_token_expires_in")),
    )


def _expiry(now: datetime, seconds: object) -> datetime | None:
    # What int() reads; anything else (None, a missing field) means no known expiry.
    if not isinstance(seconds, str | SupportsInt):
        return None
    try:
        return now + timedelta(seconds=int(seconds))
    except (TypeError, ValueError):
        return None


def _error_code(response: requests.Response) -> str:
    # Only the error code: descriptions can echo what we sent.
    try:
        return str(response.json().get("error", f"HTTP {response.status_code}"))[:100]
    except ValueError:
        return f"HTTP {response.status_code}"
