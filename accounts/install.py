"""Installing the app on a Shopify store: token exchange (managed install) or code grant.

Views and the session-token decorator stay thin and call these. Provider calls
happen outside row locks where they can, and never with a token in a log line.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import PauseCode, Shop
from accounts.tokens import TokenRefreshFailed, TokenRevoked, shopify_access_token
from shopqb_app.integrations.shopify import oauth as shopify_oauth
from shopqb_app.integrations.shopify.client import ShopifyClient, load_query
from shopqb_app.integrations.shopify.errors import ShopifyError, ShopifyOAuthError

log = logging.getLogger(__name__)


class InstallError(Exception):
    """The shop could not be installed; the message is safe to show the merchant."""


def shop_install_by_token_exchange(*, domain: str, session_token: str) -> Shop:
    """Managed install: swap the session token for an expiring offline token (once)."""
    Shop.objects.get_or_create(domain=domain)
    with transaction.atomic():
        # Shopify keeps one expiring offline token per shop: a second exchange would
        # revoke the first, so installs of one shop run one at a time.
        shop = Shop.objects.select_for_update().get(domain=domain)
        if shop.is_installed and shop.access_token:
            return shop
        try:
            grant = shopify_oauth.exchange_session_token(shop=domain, session_token=session_token)
        except ShopifyOAuthError as exc:
            log.warning("token exchange for %s failed: %s", domain, exc)
            raise InstallError("Shopify did not grant ShopQB access to this store. Please try again.") from None
        _apply_grant(shop, grant)
    shop_details_refresh(shop)
    return shop


def shop_install_by_code(*, domain: str, code: str) -> Shop:
    """Authorization code grant (non-managed installs): the callback already checked HMAC and state."""
    try:
        grant = shopify_oauth.exchange_code(shop=domain, code=code)
    except ShopifyOAuthError as exc:
        log.warning("code exchange for %s failed: %s", domain, exc)
        raise InstallError("Shopify did not grant ShopQB access to this store. Please install again.") from None
    Shop.objects.get_or_create(domain=domain)
    with transaction.atomic():
        shop = Shop.objects.select_for_update().get(domain=domain)
        _apply_grant(shop, grant)
    shop_details_refresh(shop)
    return shop


def _apply_grant(shop: Shop, grant: shopify_oauth.ShopifyGrant) -> None:
    missing = shopify_oauth.missing_scopes(grant.scopes)
    if missing:
        log.warning("%s granted too few scopes, missing %s", shop.domain, ",".join(missing))
        raise InstallError(f"The store did not grant the access ShopQB needs ({', '.join(missing)}).")
    shop.access_token = grant.access_token
    shop.access_token_expires_at = grant.expires_at
    shop.refresh_token = grant.refresh_token
    shop.refresh_token_expires_at = grant.refresh_token_expires_at
    shop.scopes = ",".join(sorted(grant.scopes))
    if not shop.is_installed:
        shop.installed_at = timezone.now()
        shop.uninstalled_at = None
        log.info("installed on %s", shop.domain)
    shop.save()
    shop.resume_if(PauseCode.UNINSTALLED)
    shop.resume_if(PauseCode.SHOPIFY_REVOKED)


def shop_details_refresh(shop: Shop) -> None:
    """Name, currency and time zone from the Admin API; best effort (the sync reads them too)."""
    try:
        client = ShopifyClient(
            shop_domain=shop.domain,
            access_token=shopify_access_token(shop),
            admin_base=settings.SHOPIFY_ADMIN_BASE,
            api_version=settings.SHOPIFY_API_VERSION,
            timeout=settings.SHOPIFY_HTTP_TIMEOUT,
            max_throttle_wait=5.0,  # the merchant is waiting for the page
            # A 401 despite a fresh stored expiry: one single-flight refresh, one retry.
            on_unauthorized=lambda refused: shopify_access_token(shop, refused=refused),
        )
        details = client.execute(load_query("shop")).get("shop")
    except (ShopifyError, TokenRevoked, TokenRefreshFailed) as exc:
        log.warning("could not read the details of %s: %s", shop.domain, exc)
        return
    if not isinstance(details, dict):
        log.warning("the details of %s came back empty", shop.domain)
        return
    shop.name = str(details.get("name") or "")[:255]
    shop.currency = str(details.get("currencyCode") or "")[:3]
    shop.iana_timezone = str(details.get("ianaTimezone") or "UTC")[:64]
    # The owner's address, "used by Shopify to communicate with the shop owner": where alerts go.
    # Reference: https://shopify.dev/docs/api/admin-graphql/latest/objects/Shop#field-email
    shop.email = str(details.get("email") or "")[:254]
    Shop.objects.filter(pk=shop.pk).update(
        name=shop.name, email=shop.email, currency=shop.currency, iana_timezone=shop.iana_timezone
    )
