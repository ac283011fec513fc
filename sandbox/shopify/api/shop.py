"""The shop, customers and global ids: shop, customer, node and nodes (orders, refunds, ...)."""

from __future__ import annotations

import re
from typing import Any
from zoneinfo import ZoneInfo

from sandbox.shopify import countries, views
from sandbox.shopify.api.common import Context, ctx, variant_view
from sandbox.shopify.api.refunds import refund_view
from sandbox.shopify.executor import FieldFailure, Request
from sandbox.shopify.model import gid, parse_gid
from sandbox.shopify.refunds import find_refund
from sandbox.shopify.store import shop_id


def q_shop(_root: Any, _args: dict[str, Any], req: Request) -> dict[str, Any]:
    c = ctx(req)
    cfg = c.shop.config
    tz = ZoneInfo(cfg.timezone)
    return {
        "__typename": "Shop",
        "id": gid("Shop", shop_id(cfg.domain)),
        "name": cfg.name,
        "email": cfg.email or f"owner@{cfg.domain}",
        "contactEmail": cfg.email or f"owner@{cfg.domain}",
        "billingAddress": {
            "__typename": "ShopAddress",
            "id": gid("ShopAddress", shop_id(cfg.domain)),
            **countries.billing_address(cfg.country),
        },
        "myshopifyDomain": cfg.domain,
        "currencyCode": cfg.currency,
        "ianaTimezone": cfg.timezone,
        "timezoneAbbreviation": c.store.now().astimezone(tz).tzname(),
        "plan": {
            "displayName": cfg.plan,
            "partnerDevelopment": cfg.plan == "Development",
            "shopifyPlus": cfg.plan in ("Shopify Plus", "Commerce Components"),
        },
        "taxesIncluded": cfg.taxes_included,
        "taxShipping": True,
        "enabledPresentmentCurrencies": sorted({cfg.currency, *cfg.presentment_currencies}),
        "createdAt": cfg.created_at,
        "updatedAt": cfg.created_at,
        "url": f"https://{cfg.domain}",
    }


def q_customer(_root: Any, args: dict[str, Any], req: Request) -> Any:
    c = ctx(req).shop.tables["Customer"].get(parse_gid(args["id"], "Customer"))
    return views.customer_view(c) if c else None


def q_node(_root: Any, args: dict[str, Any], req: Request) -> Any:
    return _node(ctx(req), args["id"])


def q_nodes(_root: Any, args: dict[str, Any], req: Request) -> list[Any]:
    return [_node(ctx(req), i) for i in args["ids"]]


def _node(c: Context, id_: str) -> Any:
    m = re.match(r"^gid://shopify/(\w+)/(\d+)", id_ or "")
    if not m:
        raise FieldFailure(f"Invalid global id '{id_}'", {"code": "argumentLiteralsIncompatible"})
    kind, num = m.group(1), int(m.group(2))
    shop = c.shop
    if kind == "Order":
        o = shop.orders.get(num)
        return views.order_view(o) if o else None
    if kind == "Refund":
        return refund_view(find_refund(shop, num))
    if kind == "Customer":
        cu = shop.tables["Customer"].get(num)
        return views.customer_view(cu) if cu else None
    if kind == "Location":
        loc = shop.tables["Location"].get(num)
        return views.location_view(loc) if loc else None
    if kind == "Product":
        p = shop.tables["Product"].get(num)
        return views.product_view(p, shop.config.currency) if p else None
    if kind == "ProductVariant":
        return variant_view(shop, num)
    if kind == "InventoryItem":
        v = shop.tables["Variant"].get(shop.variant_by_item.get(num))
        return views.inventory_item_view(v, shop.config.currency) if v else None
    return None


RESOLVERS = {
    ("QueryRoot", "shop"): q_shop,
    ("QueryRoot", "customer"): q_customer,
    ("QueryRoot", "node"): q_node,
    ("QueryRoot", "nodes"): q_nodes,
}
SCOPES = {("QueryRoot", "customer"): "read_customers"}
