"""Products and variants: their queries and fields, productCreate and productVariantsBulkCreate."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from sandbox.shopify import model, views
from sandbox.shopify.api.common import Context, ctx, list_connection, paginate, record_entries, variant_view
from sandbox.shopify.api.inventory import levels_for_item, set_level
from sandbox.shopify.executor import Request
from sandbox.shopify.model import parse_gid
from sandbox.shopify.money import dec
from sandbox.shopify.search import Fields
from sandbox.shopify.store import ShopData

PRODUCT_FIELDS: Fields = {
    "title": (lambda p: p.title.lower(), "text"),
    "handle": (lambda p: p.handle, "text"),
    "vendor": (lambda p: p.vendor.lower(), "text"),
    "product_type": (lambda p: p.product_type.lower(), "text"),
    "status": (lambda p: p.status.lower(), "text"),
    "tag": (lambda p: p.tags, "list"),
    "updated_at": (lambda p: p.updated_at, "time"),
    "created_at": (lambda p: p.created_at, "time"),
    "id": (lambda p: float(p.id), "number"),
    "gift_card": (lambda p: p.gift_card, "bool"),
}


VARIANT_FIELDS: Fields = {
    "sku": (lambda v: (v.sku or "").lower(), "text"),
    "title": (lambda v: v.title.lower(), "text"),
    "product_id": (lambda v: float(v.product_id), "number"),
    "updated_at": (lambda v: v.updated_at, "time"),
    "id": (lambda v: float(v.id), "number"),
}


def q_products(_root: Any, args: dict[str, Any], req: Request) -> dict[str, Any]:
    c = ctx(req)
    sort = {"TITLE": lambda p: p.title, "UPDATED_AT": lambda p: p.updated_at.timestamp()}.get(
        args.get("sortKey") or "ID", lambda p: p.id
    )
    entries = record_entries(c, "Product", args.get("query"), PRODUCT_FIELDS, sort, lambda p: p.title)
    return paginate(entries, args, lambda p: views.product_view(p, c.shop.config.currency))


def q_product(_root: Any, args: dict[str, Any], req: Request) -> Any:
    c = ctx(req)
    p = c.shop.tables["Product"].get(parse_gid(args["id"], "Product"))
    return views.product_view(p, c.shop.config.currency) if p else None


def q_variants(_root: Any, args: dict[str, Any], req: Request) -> dict[str, Any]:
    c = ctx(req)
    sort = {"SKU": lambda v: v.sku or "", "TITLE": lambda v: v.title}.get(args.get("sortKey") or "ID", lambda v: v.id)
    entries = record_entries(
        c, "Variant", args.get("query"), VARIANT_FIELDS, sort, lambda v: f"{v.title} {v.sku or ''}"
    )
    return paginate(entries, args, lambda v: variant_view(c.shop, v.id))


def q_variant(_root: Any, args: dict[str, Any], req: Request) -> Any:
    return variant_view(ctx(req).shop, parse_gid(args["id"], "ProductVariant"))


def r_product_variants(p: dict[str, Any], args: dict[str, Any], req: Request) -> dict[str, Any]:
    shop = ctx(req).shop
    product = shop.tables["Product"][p["_id"]]
    items = [variant_view(shop, vid) for vid in product.variant_ids]
    return list_connection([v for v in items if v], args)


def r_product_total_inventory(p: dict[str, Any], _args: dict[str, Any], req: Request) -> int:
    shop = ctx(req).shop
    product = shop.tables["Product"][p["_id"]]
    total = 0
    for vid in product.variant_ids:
        v = shop.tables["Variant"].get(vid)
        if v:
            total += sum(
                lv.available
                for lv in shop.tables["InventoryLevel"].values()
                if lv.inventory_item_id == v.inventory_item_id
            )
    return total


def r_product_tracks(p: dict[str, Any], _args: dict[str, Any], req: Request) -> bool:
    shop = ctx(req).shop
    product = shop.tables["Product"][p["_id"]]
    return any(shop.tables["Variant"][vid].tracked for vid in product.variant_ids if vid in shop.tables["Variant"])


def r_variant_product(v: dict[str, Any], _args: dict[str, Any], req: Request) -> Any:
    shop = ctx(req).shop
    p = shop.tables["Product"].get(v["_productId"])
    return views.product_view(p, shop.config.currency) if p else None


def r_variant_item(v: dict[str, Any], _args: dict[str, Any], req: Request) -> Any:
    shop = ctx(req).shop
    variant = shop.tables["Variant"][v["_id"]]
    return views.inventory_item_view(variant, shop.config.currency)


def r_variant_inventory_quantity(v: dict[str, Any], _args: dict[str, Any], req: Request) -> int:
    return sum(lv.available for lv in levels_for_item(ctx(req).shop, v["_itemId"]))


def r_variant_available(v: dict[str, Any], args: dict[str, Any], req: Request) -> bool:
    shop = ctx(req).shop
    variant = shop.tables["Variant"][v["_id"]]
    return (
        variant.inventory_policy == "CONTINUE" or not variant.tracked or r_variant_inventory_quantity(v, args, req) > 0
    )


def _handle(title: str, shop: ShopData) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "product"
    taken = {p.handle for p in shop.tables["Product"].values()}
    handle, n = base, 1
    while handle in taken:
        handle = f"{base}-{n}"
        n += 1
    return handle


def m_product_create(_root: Any, args: dict[str, Any], req: Request) -> dict[str, Any]:
    c = ctx(req)
    data = args.get("product") or {}
    title = (data.get("title") or "").strip()
    if not title:
        return {"product": None, "userErrors": [{"field": ["title"], "message": "Title can't be blank"}]}
    now = c.store.now()
    product = model.Product(
        shop=c.shop.domain,
        id=c.store.next_id("Product"),
        title=title,
        handle=data.get("handle") or _handle(title, c.shop),
        created_at=now,
        updated_at=now,
        vendor=data.get("vendor") or c.shop.config.name,
        product_type=data.get("productType") or "",
        status=data.get("status") or "ACTIVE",
        tags=list(data.get("tags") or []),
        gift_card=bool(data.get("giftCard")),
        description_html=data.get("descriptionHtml") or "",
    )
    # Like Shopify, a new product has one default variant ("Default Title").
    variant = _new_variant(c, product, {"price": "0.00"}, "Default Title", 1)
    product.variant_ids.append(variant.id)
    c.store.put(product)
    c.emit("products/create", product)
    return {"product": views.product_view(product, c.shop.config.currency), "userErrors": []}


def _new_variant(c: Context, product: model.Product, data: dict[str, Any], title: str, position: int) -> model.Variant:
    now = c.store.now()
    item = data.get("inventoryItem") or {}
    variant = model.Variant(
        shop=c.shop.domain,
        id=c.store.next_id("Variant"),
        product_id=product.id,
        inventory_item_id=c.store.next_id("InventoryItem"),
        title=title,
        price=dec(data.get("price") or "0"),
        created_at=now,
        updated_at=now,
        position=position,
        sku=item.get("sku"),
        barcode=data.get("barcode"),
        compare_at_price=dec(data["compareAtPrice"]) if data.get("compareAtPrice") is not None else None,
        taxable=data.get("taxable", not product.gift_card) is not False,
        tax_code=data.get("taxCode"),
        inventory_policy=data.get("inventoryPolicy") or "DENY",
        tracked=bool(item.get("tracked", not product.gift_card)),
        requires_shipping=bool(item.get("requiresShipping", not product.gift_card)),
        cost=dec(item["cost"]) if item.get("cost") is not None else None,
    )
    c.store.put(variant)
    c.shop.variant_by_item[variant.inventory_item_id] = variant.id
    for q in data.get("inventoryQuantities") or []:
        loc_id = parse_gid(q.get("locationId"), "Location")
        if loc_id in c.shop.tables["Location"]:
            set_level(c, variant.inventory_item_id, loc_id, q.get("availableQuantity") or 0)
    return variant


def _money_value(value: Any) -> Decimal | None:
    try:
        return dec(value)
    except (InvalidOperation, ValueError):
        return None


def m_variants_bulk_create(_root: Any, args: dict[str, Any], req: Request) -> dict[str, Any]:
    c = ctx(req)
    product = c.shop.tables["Product"].get(parse_gid(args["productId"], "Product"))
    if product is None:
        return {
            "product": None,
            "productVariants": None,
            "userErrors": [
                {"field": ["productId"], "message": "Product does not exist", "code": "PRODUCT_DOES_NOT_EXIST"}
            ],
        }
    errors = []
    for i, data in enumerate(args["variants"]):
        if data.get("price") is not None:
            value = _money_value(data["price"])
            if value is None or value < 0:
                errors.append(
                    {
                        "field": ["variants", str(i), "price"],
                        "message": "Price must be >= 0",
                        "code": "NEGATIVE_PRICE_VALUE",
                    }
                )
    if errors:
        return {"product": None, "productVariants": None, "userErrors": errors}
    if args.get("strategy") == "REMOVE_STANDALONE_VARIANT" or (
        len(product.variant_ids) == 1 and c.shop.tables["Variant"][product.variant_ids[0]].title == "Default Title"
    ):
        for vid in product.variant_ids:
            old = c.shop.tables["Variant"].get(vid)
            if old:
                c.store.delete(old)
        product.variant_ids = []
    created = []
    for data in args["variants"]:
        position = len(product.variant_ids) + 1
        title = (data.get("inventoryItem") or {}).get("sku") or f"Variant {position}"
        variant = _new_variant(c, product, data, title if len(args["variants"]) > 1 else "Default Title", position)
        product.variant_ids.append(variant.id)
        created.append(variant)
    product.updated_at = c.store.now()
    c.store.put(product)
    c.emit("products/update", product)
    return {
        "product": views.product_view(product, c.shop.config.currency),
        "productVariants": [variant_view(c.shop, v.id) for v in created],
        "userErrors": [],
    }


RESOLVERS = {
    ("QueryRoot", "products"): q_products,
    ("QueryRoot", "product"): q_product,
    ("QueryRoot", "productVariants"): q_variants,
    ("QueryRoot", "productVariant"): q_variant,
    ("Product", "variants"): r_product_variants,
    ("Product", "totalInventory"): r_product_total_inventory,
    ("Product", "tracksInventory"): r_product_tracks,
    ("ProductVariant", "product"): r_variant_product,
    ("ProductVariant", "inventoryItem"): r_variant_item,
    ("ProductVariant", "inventoryQuantity"): r_variant_inventory_quantity,
    ("ProductVariant", "availableForSale"): r_variant_available,
    ("Mutation", "productCreate"): m_product_create,
    ("Mutation", "productVariantsBulkCreate"): m_variants_bulk_create,
}
SCOPES = {
    ("QueryRoot", "products"): "read_products",
    ("QueryRoot", "product"): "read_products",
    ("QueryRoot", "productVariants"): "read_products",
    ("QueryRoot", "productVariant"): "read_products",
    ("Mutation", "productCreate"): "write_products",
    ("Mutation", "productVariantsBulkCreate"): "write_products",
}
