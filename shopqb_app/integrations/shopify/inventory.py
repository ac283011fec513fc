"""What each variant has on hand in Shopify, summed over the locations the shop syncs.

An inventory item ShopQB creates in QuickBooks opens with this quantity, valued at the variant's
``InventoryItem.unitCost``; the quantity check (mappings/inventory.py) compares the same sum with
QuickBooks' QtyOnHand.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from shopqb_app.integrations.shopify.client import ShopifyClient, load_query
from shopqb_app.integrations.shopify.errors import ShopifyQueryError
from shopqb_app.integrations.shopify.products import Stock

VARIANTS_PER_QUERY = 20  # with 20 levels each: about 440 points, under the 1000-point query limit
LEVELS_PER_VARIANT = 20


def _available(level: dict[str, Any]) -> int:
    for quantity in level.get("quantities") or []:
        if quantity.get("name") == "available":
            return int(quantity.get("quantity") or 0)
    return 0


def variant_levels(client: ShopifyClient, gids: list[str], *, locations: Iterable[str] = ()) -> dict[str, Stock]:
    """On-hand ("available") quantity of each variant, summed over ``locations`` (location gids;
    none: every location), with whether Shopify tracks it and its unit cost. Unknown gids are
    left out."""
    # Reference: https://shopify.dev/docs/api/admin-graphql/2025-04/objects/InventoryLevel
    # Reference: https://shopify.dev/docs/apps/build/orders-fulfillment/inventory-management-apps (quantity names)
    wanted = set(locations)
    stock: dict[str, Stock] = {}
    for start in range(0, len(gids), VARIANTS_PER_QUERY):
        data = client.execute(load_query("variant_levels"), {"ids": gids[start : start + VARIANTS_PER_QUERY]})
        nodes = data.get("nodes")
        if not isinstance(nodes, list):
            raise ShopifyQueryError("the variant inventory answer has no nodes")
        for node in nodes:
            if not node or "id" not in node:
                continue
            item = node.get("inventoryItem") or {}
            levels = (item.get("inventoryLevels") or {}).get("nodes") or []
            if len(levels) >= LEVELS_PER_VARIANT and not wanted:
                # More locations than one page holds: Shopify's own total over every location.
                quantity = int(node.get("inventoryQuantity") or 0)
            else:
                quantity = sum(
                    _available(level)
                    for level in levels
                    if not wanted or str((level.get("location") or {}).get("id")) in wanted
                )
            cost = (item.get("unitCost") or {}).get("amount")
            stock[str(node["id"])] = Stock(
                quantity=quantity,
                tracked=bool(item.get("tracked")),
                unit_cost=Decimal(str(cost)) if cost is not None else None,
            )
    return stock
