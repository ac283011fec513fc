"""django-q2 entry points for the merchant's mapping: small, they take a shop id and call
mappings/product_discovery.py and product_matching.py. They may run twice (discovery is an
upsert, matching skips mapped rows).

They are queued by name: rename one only with an alias left at the old path.
"""

from __future__ import annotations

import logging
from typing import Any

from accounts import clients, tokens
from accounts.models import Shop
from mappings import product_discovery, product_matching, products
from mappings.models import ProductMapping
from shopqb_app.integrations.shopify.errors import ShopifyError

log = logging.getLogger(__name__)

EXPECTED = (products.ProductsError, ShopifyError, tokens.TokenRevoked, tokens.TokenRefreshFailed)


def products_find(shop_id: int) -> dict[str, Any]:
    """ "Find products" for a shop too big to discover in a request: every variant, then auto-match.
    A failure the merchant can act on is returned (the products page shows it), not raised."""
    shop = Shop.objects.get(pk=shop_id)
    if not shop.is_installed:
        return {"error": "the app is not installed in this shop"}
    try:
        catalog = products.products_catalog(shop=shop, fresh=True)
        found = product_discovery.products_discover(shop=shop, shopify=clients.shopify_client(shop))
        matched = product_matching.products_auto_match(shop=shop, catalog=catalog)
    except EXPECTED as exc:
        log.info("finding products for shop %s stopped: %s", shop_id, exc)
        return {"error": str(exc)}
    return {"seen": found.seen, "new": found.new, "matched": matched.total, "unmatched": matched.unmatched}


def products_refresh(shop_id: int) -> dict[str, Any]:
    """For the sweep: the variants changed in Shopify since the newest change already seen,
    upserted, and the new ones auto-matched. A shop that never looked at its products is skipped."""
    shop = Shop.objects.get(pk=shop_id)
    if not shop.is_installed or not ProductMapping.objects.filter(shop=shop).exists():
        return {"skipped": "no products discovered yet"}
    try:
        found = product_discovery.products_refresh(shop=shop, shopify=clients.shopify_client(shop), since=None)
    except EXPECTED as exc:
        log.info("refreshing products for shop %s stopped: %s", shop_id, exc)
        return {"error": str(exc)}
    if found.seen and products.unmatched(shop).exists():
        # QuickBooks' item list is read only when a variant is left to match (auto-match
        # touches nothing else), not on every sweep.
        try:
            product_matching.products_auto_match(shop=shop, catalog=products.products_catalog(shop=shop))
        except products.ProductsError as exc:
            log.info("products of shop %s refreshed without matching: %s", shop_id, exc)
    return {"seen": found.seen, "new": found.new}
