"""The shop's product variants, for mapping each to a QuickBooks item.

Pages of typed ``Variant`` values from the Admin GraphQL ``productVariants`` connection
(queries/product_variants.graphql), all of them or only those changed since a moment,
and the stock an inventory item created in QuickBooks starts with.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from shopqb_app.integrations.shopify.client import ShopifyClient, load_query
from shopqb_app.integrations.shopify.errors import ShopifyQueryError

PAGE_SIZE = 250  # Shopify's largest page
# Products per "product_id:1 OR product_id:2 ..." search; Shopify caps a search's length.
PRODUCTS_PER_SEARCH = 50
DEFAULT_VARIANT_TITLE = "Default Title"


@dataclass(frozen=True)
class Variant:
    gid: str
    product_gid: str
    title: str  # what the merchant calls it: the product title, plus the variant's own if it has one
    sku: str
    updated_at: datetime  # the later of the variant's and its product's last change


@dataclass(frozen=True)
class Stock:
    quantity: int
    tracked: bool
    unit_cost: Decimal | None


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _variant(node: dict[str, Any]) -> Variant:
    product = node.get("product") or {}
    product_title = str(product.get("title") or "").strip()
    own_title = str(node.get("title") or "").strip()
    if own_title and own_title != DEFAULT_VARIANT_TITLE and product_title:
        title = f"{product_title} - {own_title}"
    else:
        title = product_title or str(node.get("displayName") or own_title)
    updated = _time(str(node["updatedAt"]))
    if product.get("updatedAt"):
        updated = max(updated, _time(str(product["updatedAt"])))
    return Variant(
        gid=str(node["id"]),
        product_gid=str(product.get("id") or ""),
        title=title,
        sku=str(node.get("sku") or "").strip(),
        updated_at=updated,
    )


def search_since(moment: datetime) -> str:
    return f"updated_at:>'{moment.isoformat()}'"


def variants_page(
    client: ShopifyClient, *, search: str | None = None, after: str | None = None
) -> tuple[list[Variant], str | None]:
    """One page of the shop's variants (every one, or those ``search`` finds), by id, and the
    cursor of the next page (None: this was the last)."""
    # Reference: https://shopify.dev/docs/api/admin-graphql/2025-04/queries/productVariants
    data = client.execute(load_query("product_variants"), {"first": PAGE_SIZE, "query": search, "after": after})
    page = data["productVariants"]
    info = page["pageInfo"]
    return [_variant(node) for node in page["nodes"]], (str(info["endCursor"]) if info["hasNextPage"] else None)


def product_variants(client: ShopifyClient, *, search: str | None = None) -> Iterator[list[Variant]]:
    """Every page of variants, following the cursors."""
    after: str | None = None
    while True:
        variants, after = variants_page(client, search=search, after=after)
        yield variants
        if after is None:
            return


def changed_product_ids(client: ShopifyClient, *, since: datetime) -> list[str]:
    """Numeric ids of the products changed after ``since``."""
    # Reference: https://shopify.dev/docs/api/admin-graphql/2025-04/queries/products
    variables = {"first": PAGE_SIZE, "query": search_since(since)}
    ids: list[str] = []
    for page in client.paginate(load_query("products_changed"), "products", variables):
        ids.extend(str(node["id"]).rsplit("/", 1)[-1] for node in page)
    return ids


def variants_of_products(client: ShopifyClient, product_ids: list[str]) -> Iterator[list[Variant]]:
    """Pages of the variants of these products (numeric ids)."""
    for start in range(0, len(product_ids), PRODUCTS_PER_SEARCH):
        chunk = product_ids[start : start + PRODUCTS_PER_SEARCH]
        yield from product_variants(client, search=" OR ".join(f"product_id:{pid}" for pid in chunk))


def variant_stock(client: ShopifyClient, gids: list[str]) -> dict[str, Stock]:
    """On-hand quantity, tracking and unit cost of each variant; unknown gids are left out."""
    # Reference: https://shopify.dev/docs/api/admin-graphql/2025-04/queries/nodes
    stock: dict[str, Stock] = {}
    for start in range(0, len(gids), PAGE_SIZE):
        data = client.execute(load_query("variant_stock"), {"ids": gids[start : start + PAGE_SIZE]})
        nodes = data.get("nodes")
        if not isinstance(nodes, list):
            raise ShopifyQueryError("the variant stock answer has no nodes")
        for node in nodes:
            if not node or "id" not in node:
                continue
            item = node.get("inventoryItem") or {}
            cost = (item.get("unitCost") or {}).get("amount")
            stock[str(node["id"])] = Stock(
                quantity=int(node.get("inventoryQuantity") or 0),
                tracked=bool(item.get("tracked")),
                unit_cost=Decimal(str(cost)) if cost is not None else None,
            )
    return stock
