"""django-q2 entry points for the merchant's mapping: small, they take a shop id and call
mappings/product_discovery.py and product_matching.py. They may run twice (discovery is an
upsert, matching skips mapped rows).

They are queued by name: rename one only with an alias left at the old path.
"""

from __future__ import annotations

import logging
from typing import Any

from django_q.tasks import async_task

from accounts import clients, tokens
from accounts.models import Shop
from mappings import inventory, product_discovery, product_matching, products
from mappings.models import ProductMapping, SyncSettings
from shopqb_app.integrations.quickbooks.errors import QBOError
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


def inventory_check_shop(shop_id: int) -> dict[str, Any]:
    """The daily quantity check of one live shop (mappings/inventory.py): finds differences,
    changes nothing. A failure is kept for the page to show, not raised."""
    shop = Shop.objects.get(pk=shop_id)
    if not shop.is_installed or not SyncSettings.objects.filter(shop=shop, live_at__isnull=False).exists():
        return {"skipped": "not live"}
    try:
        check = inventory.inventory_check(
            shop=shop, qb=products.quickbooks_for(shop=shop), shopify=clients.shopify_client(shop)
        )
    except (*EXPECTED, QBOError) as exc:
        log.info("inventory check of shop %s stopped: %s", shop_id, exc)
        inventory.inventory_check_failed(shop=shop, message=str(exc))
        return {"error": str(exc)}
    return {"checked": check.items_checked, "differences": len(check.differences)}


def inventory_check_all() -> int:
    """Scheduled daily: one quantity check task per live shop with inventory items."""
    shops = (
        ProductMapping.objects.filter(qbo_item_type=inventory.INVENTORY, shop__sync_settings__live_at__isnull=False)
        .values_list("shop_id", flat=True)
        .distinct()
    )
    count = 0
    for shop_id in shops:
        async_task("mappings.tasks.inventory_check_shop", shop_id, task_name=f"inventory check {shop_id}")
        count += 1
    return count
