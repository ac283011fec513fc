"""App Bridge session tokens: the short-lived JWT every embedded request carries.

Signed with the app secret; the shop is the token's ``dest``. Deciding what a
valid token lets the request do (install, which shop's data) is ``accounts/auth.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlparse

from django.conf import settings
from shopify import session_token as shopify_session_token

from shopqb_app.integrations.shopify.errors import InvalidSessionToken
from shopqb_app.integrations.shopify.oauth import valid_shop_domain

# App Bridge mints tokens that live one minute (exp - iat): a longer-lived token was
# not minted by it, and a short cap bounds how long a leaked token can be replayed.
# Reference: https://shopify.dev/docs/apps/build/authentication-authorization/session-tokens#lifetime-of-a-session-token
SESSION_TOKEN_MAX_LIFETIME = 60
# Shopify's clock and ours may differ by this much (ShopifyAPI's leeway for exp/nbf).
CLOCK_LEEWAY = timedelta(seconds=shopify_session_token.LEEWAY_SECONDS)


@dataclass(frozen=True)
class SessionClaims:
    shop_domain: str
    user_id: str
    session_id: str
    issued_at: datetime


def session_token_decode(token: str) -> SessionClaims:
    """Verify signature, audience, lifetime and issuer/destination; return who is asking.

    ShopifyAPI checks ``exp``, ``nbf`` and ``iat`` only when present: a token without
    them would never expire, so all three are required here.
    """
    # Reference: https://shopify.dev/docs/apps/build/authentication-authorization/session-tokens
    if not token or not settings.SHOPIFY_API_KEY or not settings.SHOPIFY_API_SECRET:
        raise InvalidSessionToken("no session token")
    try:
        payload = shopify_session_token.decode_from_header(
            f"Bearer {token}", api_key=settings.SHOPIFY_API_KEY, secret=settings.SHOPIFY_API_SECRET
        )
    except shopify_session_token.SessionTokenError as exc:
        raise InvalidSessionToken(type(exc).__name__) from None
    try:
        expires, _, issued = (int(payload[claim]) for claim in ("exp", "nbf", "iat"))
    except (KeyError, TypeError, ValueError):
        raise InvalidSessionToken("exp, nbf and iat are required") from None
    if not 0 < expires - issued <= SESSION_TOKEN_MAX_LIFETIME:
        raise InvalidSessionToken(f"lifetime of {expires - issued} s is not within {SESSION_TOKEN_MAX_LIFETIME} s")
    domain = valid_shop_domain(urlparse(str(payload.get("dest", ""))).hostname)
    if domain is None:
        raise InvalidSessionToken("dest is not a shop")
    return SessionClaims(
        shop_domain=domain,
        user_id=str(payload.get("sub", "")),
        session_id=str(payload.get("sid", "")),
        issued_at=datetime.fromtimestamp(issued, tz=UTC),
    )
