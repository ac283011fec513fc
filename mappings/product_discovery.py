"""Finding the shop's variants: one ProductMapping row per variant, kept in step with Shopify.

Every read is an upsert: a row the merchant already mapped keeps its item and only gets the
current title and SKU. A shop too big for one request continues in a background task
(mappings.tasks.products_find), which the products page follows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Max
from django_q.models import Task
from django_q.tasks import async_task

from accounts.models import Shop
from mappings.catalog import Catalog
from mappings.models import ProductMapping
from mappings.product_matching import Matched, products_auto_match
from shopqb_app.integrations.shopify import products as shopify_products
from shopqb_app.integrations.shopify.client import ShopifyClient

# A refresh asks Shopify for changes since a little before the newest one seen: its search
# index may lag a write by some seconds, and fetching a row twice is harmless.
REFRESH_OVERLAP = timedelta(minutes=5)


@dataclass(frozen=True)
class Discovered:
    seen: int
    new: int


@dataclass(frozen=True)
class FindStarted:
    discovered: Discovered
    matched: Matched | None
    task_id: str  # empty: finished in this request


@dataclass(frozen=True)
class FindStatus:
    running: bool
    message: str
    failed: bool = False


def _upsert(shop: Shop, variants: Iterable[shopify_products.Variant]) -> int:
    # One row per gid and statement: PostgreSQL refuses to update a row twice in one upsert.
    unique = {v.gid: v for v in variants}
    rows = [
        ProductMapping(
            shop=shop,
            variant_gid=v.gid,
            product_gid=v.product_gid,
            title=v.title[:512],
            sku=v.sku[:255],
            shopify_updated_at=v.updated_at,
        )
        for v in unique.values()
    ]
    # INSERT ... ON CONFLICT DO UPDATE on SQLite and PostgreSQL: the merchant's mapping columns
    # are not in update_fields, so an existing row keeps its item.
    ProductMapping.objects.bulk_create(
        rows,
        batch_size=500,
        update_conflicts=True,
        unique_fields=["shop", "variant_gid"],
        update_fields=["product_gid", "title", "sku", "shopify_updated_at", "updated_at"],
    )
    return len(rows)


def products_discover(*, shop: Shop, shopify: ShopifyClient) -> Discovered:
    """A row for every variant of the shop; existing rows get the current title and SKU."""
    before = ProductMapping.objects.filter(shop=shop).count()
    seen = 0
    for page in shopify_products.product_variants(shopify):
        seen += _upsert(shop, page)
    return Discovered(seen=seen, new=ProductMapping.objects.filter(shop=shop).count() - before)


def products_refresh(
    *, shop: Shop, shopify: ShopifyClient, since: datetime | None, catalog: Catalog | None = None
) -> Discovered:
    """Only what changed in Shopify since ``since`` (None: since the newest change already seen),
    then auto-match the new rows if the catalog is given. A shop never discovered is left alone."""
    if since is None:
        since = ProductMapping.objects.filter(shop=shop).aggregate(newest=Max("shopify_updated_at"))["newest"]
        if since is None:
            return Discovered(seen=0, new=0)
    since -= REFRESH_OVERLAP
    before = ProductMapping.objects.filter(shop=shop).count()
    changed: dict[str, shopify_products.Variant] = {}
    for page in shopify_products.product_variants(shopify, search=shopify_products.search_since(since)):
        changed.update((v.gid, v) for v in page)
    renamed = shopify_products.changed_product_ids(shopify, since=since)
    for page in shopify_products.variants_of_products(shopify, renamed):
        changed.update((v.gid, v) for v in page)
    _upsert(shop, changed.values())
    if catalog is not None:
        products_auto_match(shop=shop, catalog=catalog)
    return Discovered(seen=len(changed), new=ProductMapping.objects.filter(shop=shop).count() - before)


def products_find(*, shop: Shop, shopify: ShopifyClient, catalog: Catalog) -> FindStarted:
    """The "Find products" button. A shop whose variants fit in one page is discovered and
    matched at once; a bigger one gets its first page now and the rest from a background task
    (mappings.tasks.products_find), which the page follows."""
    first, more = shopify_products.variants_page(shopify)
    before = ProductMapping.objects.filter(shop=shop).count()
    _upsert(shop, first)
    discovered = Discovered(seen=len(first), new=ProductMapping.objects.filter(shop=shop).count() - before)
    if more is None:
        return FindStarted(discovered, products_auto_match(shop=shop, catalog=catalog), "")
    task_id = async_task("mappings.tasks.products_find", shop.pk, group=f"products-{shop.pk}")
    return FindStarted(discovered, None, str(task_id))


def products_find_status(*, shop: Shop, task_id: str) -> FindStatus | None:
    """How the background "Find products" run ``task_id`` of this shop is doing (None: no such run)."""
    if not task_id:
        return None
    found = ProductMapping.objects.filter(shop=shop).count()
    task = Task.objects.filter(id=task_id[:32], group=f"products-{shop.pk}").first()
    if task is None:
        # django-q2 saves a task when it ends; until then the rows it upserts are the progress.
        plural = "" if found == 1 else "s"
        return FindStatus(running=True, message=f"Finding your products: {found:,} variant{plural} so far.")
    result = task.result if isinstance(task.result, dict) else {}
    if not task.success or result.get("error"):
        reason = result.get("error") or "it stopped with an error"
        return FindStatus(running=False, failed=True, message=f"Finding products stopped: {reason}. Try again.")
    return FindStatus(
        running=False,
        message=f"Found {result.get('seen', found):,} variants; {result.get('matched', 0):,} matched automatically.",
    )
