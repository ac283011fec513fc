"""The Shopify and QuickBooks clients for one shop, built from its stored (encrypted) tokens.

Both renew their token on a 401 through ``accounts.tokens`` (one single-flight refresh, then
one retry); a refused renewal is final and has already marked the connection.
"""

from __future__ import annotations

from django.conf import settings

from accounts import tokens
from accounts.models import QuickBooksConnection, Shop
from shopqb_app.integrations.quickbooks import client as qbo
from shopqb_app.integrations.shopify.client import ShopifyClient
from shopqb_app.integrations.shopify.errors import ShopifyAuthError, ShopifyUnavailable


def qbo_settings() -> qbo.QBOSettings:
    return qbo.QBOSettings(
        client_id=settings.QBO_CLIENT_ID,
        client_secret=settings.QBO_CLIENT_SECRET,
        redirect_uri=settings.QBO_REDIRECT_URI,
        environment=settings.QBO_ENVIRONMENT,
        api_base=settings.QBO_API_BASE,
        minor_version=settings.QBO_MINOR_VERSION,
        timeout=settings.QBO_HTTP_TIMEOUT,
    )


def shopify_client(shop: Shop) -> ShopifyClient:
    def renew(refused: str) -> str:
        # A 401 despite a fresh stored expiry: one single-flight refresh.
        try:
            return tokens.shopify_access_token(shop, refused=refused)
        except tokens.TokenRevoked as exc:
            raise ShopifyAuthError(str(exc)) from exc
        except tokens.TokenRefreshFailed as exc:
            raise ShopifyUnavailable(f"Shopify token refresh failed: {exc}") from exc

    return ShopifyClient(
        shop_domain=shop.domain,
        access_token=tokens.shopify_access_token(shop),
        admin_base=settings.SHOPIFY_ADMIN_BASE,
        api_version=settings.SHOPIFY_API_VERSION,
        timeout=settings.SHOPIFY_HTTP_TIMEOUT,
        on_unauthorized=renew,
    )


def qbo_client(connection: QuickBooksConnection) -> qbo.QuickBooks:
    def renew(refused: str) -> str:
        # A refused refresh has marked the connection "reconnect needed" and paused the shop.
        try:
            return tokens.qbo_access_token(connection, refused=refused)
        except tokens.TokenRevoked as exc:
            raise qbo.QBOAuthError(str(exc), 3200) from exc
        except tokens.TokenRefreshFailed as exc:
            raise qbo.QBOUnavailable(f"QuickBooks token refresh failed: {exc}") from exc

    return qbo.connect(
        qbo_settings(),
        realm_id=connection.realm_id,
        access_token=tokens.qbo_access_token(connection),
        on_unauthorized=renew,
    )
