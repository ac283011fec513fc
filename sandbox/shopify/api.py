"""Resolvers of the emulated Admin GraphQL API: queries, connections and mutations."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sandbox.shopify import model, orders, views
from sandbox.shopify.executor import FieldFailure, Request
from sandbox.shopify.model import cursor, decode_cursor, gid, iso, money, parse_gid
from sandbox.shopify.money import dec
from sandbox.shopify.search import Fields, compile_query
from sandbox.shopify.store import PLANS, ShopData, Store, shop_id

if TYPE_CHECKING:
    from sandbox.shopify.emulator import ShopifyEmulator

MAX_PAGE = 250


@dataclass
class Context:
    emulator: ShopifyEmulator
    store: Store
    shop: ShopData
    scopes: frozenset[str]
    version: str = "2025-04"

    def emit(self, topic: str, record: Any) -> None:
        self.emulator.emit(self.shop, topic, record)


def ctx(req: Request) -> Context:
    return req.context  # type: ignore[attr-defined,no-any-return]


# -- connections --------------------------------------------------------------


BULK = threading.local()  # set while a bulk operation runs: pagination arguments are ignored


def _page_size(args: dict[str, Any]) -> tuple[int, bool]:
    if getattr(BULK, "active", False):
        return 10**9, False
    first, last = args.get("first"), args.get("last")
    if first is None and last is None:
        raise FieldFailure("you must provide one of first or last")
    if first is not None and last is not None:
        raise FieldFailure("providing both first and last is not supported")
    n = first if first is not None else last
    if n < 0:
        raise FieldFailure("first and last must be non-negative")
    if n > MAX_PAGE:
        raise FieldFailure(f"The {'first' if first is not None else 'last'} argument must be at most {MAX_PAGE}.")
    return n, last is not None


def paginate(entries: list[tuple[Any, int, Any]], args: dict[str, Any], render: Callable[[Any], Any]) -> dict[str, Any]:
    """``entries`` are (sort value, id, record) in ascending order; Shopify cursor semantics."""
    n, from_end = _page_size(args)
    if args.get("reverse"):
        entries = entries[::-1]
    start, stop = 0, len(entries)
    if args.get("after"):
        start = _cursor_position(entries, args["after"]) + 1
    if args.get("before"):
        stop = _cursor_position(entries, args["before"])
    window = entries[start:stop] if stop > start else []
    page = window[-n:] if from_end and n else window[:n]
    if from_end and n == 0:
        page = []
    has_next = (start + len(page) < stop) if not from_end else stop < len(entries)
    has_prev = start > 0 if not from_end else (stop - len(page)) > start or start > 0
    nodes = [render(rec) for _v, _i, rec in page]
    return {
        "nodes": nodes,
        "_entries": page,
        "pageInfo": {
            "hasNextPage": has_next,
            "hasPreviousPage": has_prev,
            "_start": page[0] if page else None,  # cursors are encoded only when selected
            "_end": page[-1] if page else None,
        },
    }


def _cursor_position(entries: list[tuple[Any, int, Any]], text: str) -> int:
    data = decode_cursor(text)
    if data is None:
        raise FieldFailure("Invalid cursor for current pagination sort.")
    last_id = data["last_id"]
    for i, (_v, id_, _rec) in enumerate(entries):
        if id_ == last_id:
            return i
    # The record is gone: position by its sort value.
    value = data.get("last_value")
    for i, (v, id_, _rec) in enumerate(entries):
        if (v, id_) > (value, last_id):
            return i - 1
    return len(entries) - 1


def r_start_cursor(info: dict[str, Any], _args: dict[str, Any], _req: Request) -> str | None:
    entry = info["_start"]
    return cursor(entry[0], entry[1]) if entry else None


def r_end_cursor(info: dict[str, Any], _args: dict[str, Any], _req: Request) -> str | None:
    entry = info["_end"]
    return cursor(entry[0], entry[1]) if entry else None


def list_connection(views_: list[dict[str, Any]], args: dict[str, Any]) -> dict[str, Any]:
    entries = [(i, i, v) for i, v in enumerate(views_)]
    return paginate(entries, args, lambda v: v)


def edges(conn: dict[str, Any], _args: dict[str, Any], _req: Request) -> list[dict[str, Any]]:
    return [
        {"cursor": cursor(v, i), "node": node}
        for (v, i, _rec), node in zip(conn["_entries"], conn["nodes"], strict=True)
    ]


def _first(items: list[Any], args: dict[str, Any]) -> list[Any]:
    if getattr(BULK, "active", False):
        return items
    n = args.get("first")
    if n is not None and n > MAX_PAGE:
        raise FieldFailure(f"The first argument must be at most {MAX_PAGE}.")
    return items if n is None else items[:n]


# -- orders ------------------------------------------------------------------

ORDER_FIELDS: Fields = {
    "updated_at": (lambda o: o.updated_at, "time"),
    "created_at": (lambda o: o.created_at, "time"),
    "processed_at": (lambda o: o.processed_at, "time"),
    "cancelled_at": (lambda o: o.cancelled_at, "time"),
    "financial_status": (lambda o: o.financial_status().lower(), "text"),
    "test": (lambda o: o.test, "bool"),
    "id": (lambda o: float(o.id), "number"),
    "name": (lambda o: o.name.lstrip("#").lower(), "text"),
    "source_name": (lambda o: (o.source_name or "").lower(), "text"),
    "tag": (lambda o: o.tags, "list"),
    "email": (lambda o: (o.email or "").lower(), "text"),
    "customer_id": (lambda o: float(o.customer_id or 0), "number"),
    "location_id": (lambda o: float(o.location_id or 0), "number"),
    "sku": (lambda o: [li.sku for li in o.line_items if li.sku], "list"),
    "gateway": (lambda o: o.gateway_names(), "list"),
    "status": (
        lambda o: (
            ["any"]
            + (["cancelled"] if o.cancelled_at else [])
            + (["closed"] if o.closed_at else [])
            + (["open"] if not o.cancelled_at and not o.closed_at else [])
        ),
        "list",
    ),
}

ORDER_SORT: dict[str, Callable[[model.Order], Any]] = {
    "PROCESSED_AT": lambda o: o.processed_at.timestamp(),
    "CREATED_AT": lambda o: o.created_at.timestamp(),
    "UPDATED_AT": lambda o: o.updated_at.timestamp(),
    "ID": lambda o: o.id,
    "ORDER_NUMBER": lambda o: o.number,
    "TOTAL_PRICE": lambda o: float(o.total_price().shop),
    "FINANCIAL_STATUS": lambda o: o.financial_status(),
}


def _order_text(o: model.Order) -> str:
    return " ".join([o.name, o.email or "", " ".join(o.tags), o.note or ""])


def order_entries(c: Context, query: str | None, sort_key: str) -> list[tuple[Any, int, Any]]:
    shop = c.shop
    limited = "read_all_orders" not in c.scopes
    cache_key = ("orders", query, sort_key, limited)
    hit = shop.sort_cache.get(cache_key)
    if hit is not None:
        return hit  # type: ignore[no-any-return]
    now = c.store.now()
    pred = compile_query(query, ORDER_FIELDS, ZoneInfo(shop.config.timezone), now, _order_text)
    horizon = now - timedelta(days=60)
    key = ORDER_SORT.get(sort_key, ORDER_SORT["ID"])
    entries = [(key(o), o.id, o) for o in shop.orders.values() if pred(o) and not (limited and o.created_at < horizon)]
    entries.sort(key=lambda e: (e[0], e[1]))
    shop.sort_cache[cache_key] = entries
    return entries


def q_orders(_root: Any, args: dict[str, Any], req: Request) -> dict[str, Any]:
    c = ctx(req)
    entries = order_entries(c, args.get("query"), args.get("sortKey") or "PROCESSED_AT")
    return paginate(entries, args, views.order_view)


def q_order(_root: Any, args: dict[str, Any], req: Request) -> Any:
    o = ctx(req).shop.orders.get(parse_gid(args["id"], "Order"))
    return views.order_view(o) if o else None


def r_line_items(order: dict[str, Any], args: dict[str, Any], _req: Request) -> dict[str, Any]:
    return list_connection(order["_lineItems"], args)


def r_shipping_lines(order: dict[str, Any], args: dict[str, Any], _req: Request) -> dict[str, Any]:
    return list_connection(order["_shippingLines"], args)


def r_transactions(order: dict[str, Any], args: dict[str, Any], _req: Request) -> list[Any]:
    items = order["_transactions"]
    if args.get("capturable"):
        items = [t for t in items if t["kind"] == "AUTHORIZATION" and t["status"] == "SUCCESS"]
    return _first(items, args)


def r_refunds(order: dict[str, Any], args: dict[str, Any], _req: Request) -> list[Any]:
    return _first(order["_refunds"], args)


def r_customer(obj: dict[str, Any], _args: dict[str, Any], req: Request) -> Any:
    cid = obj.get("_customerId")
    c = ctx(req).shop.tables["Customer"].get(cid) if cid else None
    return views.customer_view(c) if c else None


def r_location(obj: dict[str, Any], _args: dict[str, Any], req: Request) -> Any:
    lid = obj.get("_locationId")
    loc = ctx(req).shop.tables["Location"].get(lid) if lid else None
    return views.location_view(loc) if loc else None


def r_line_tax_lines(li: dict[str, Any], args: dict[str, Any], _req: Request) -> list[Any]:
    return _first(li["_taxLines"], args)


def r_discounted_total(li: dict[str, Any], args: dict[str, Any], _req: Request) -> Any:
    return li["_discountedTotalWithCodesSet"] if args.get("withCodeDiscounts") else li["_discountedTotalSet"]


def r_line_variant(li: dict[str, Any], _args: dict[str, Any], req: Request) -> Any:
    vid = li.get("_variantId")
    return variant_view(ctx(req).shop, vid) if vid else None


def r_line_product(li: dict[str, Any], _args: dict[str, Any], req: Request) -> Any:
    pid = li.get("_productId")
    shop = ctx(req).shop
    p = shop.tables["Product"].get(pid) if pid else None
    return views.product_view(p, shop.config.currency) if p else None


def r_refund_line_items(refund: dict[str, Any], args: dict[str, Any], _req: Request) -> dict[str, Any]:
    return list_connection(refund["_refundLineItems"], args)


def r_refund_shipping_lines(refund: dict[str, Any], args: dict[str, Any], _req: Request) -> dict[str, Any]:
    return list_connection(refund["_refundShippingLines"], args)


def r_refund_transactions(refund: dict[str, Any], args: dict[str, Any], _req: Request) -> dict[str, Any]:
    return list_connection(refund["_transactions"], args)


# -- shop ---------------------------------------------------------------------


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


# -- products, variants, inventory, locations ---------------------------------


def variant_view(shop: ShopData, vid: int | None) -> dict[str, Any] | None:
    v = shop.tables["Variant"].get(vid) if vid else None
    if v is None:
        return None
    p = shop.tables["Product"].get(v.product_id)
    return views.variant_view(v, p.title if p else "")


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


def _entries(
    c: Context, kind: str, query: str | None, fields: Fields, sort: Callable[[Any], Any], text: Callable
) -> list:
    pred = compile_query(query, fields, ZoneInfo(c.shop.config.timezone), c.store.now(), text)
    entries = [(sort(r), r.id, r) for r in c.shop.tables[kind].values() if pred(r)]
    entries.sort(key=lambda e: (e[0], e[1]))
    return entries


def q_products(_root: Any, args: dict[str, Any], req: Request) -> dict[str, Any]:
    c = ctx(req)
    sort = {"TITLE": lambda p: p.title, "UPDATED_AT": lambda p: p.updated_at.timestamp()}.get(
        args.get("sortKey") or "ID", lambda p: p.id
    )
    entries = _entries(c, "Product", args.get("query"), PRODUCT_FIELDS, sort, lambda p: p.title)
    return paginate(entries, args, lambda p: views.product_view(p, c.shop.config.currency))


def q_product(_root: Any, args: dict[str, Any], req: Request) -> Any:
    c = ctx(req)
    p = c.shop.tables["Product"].get(parse_gid(args["id"], "Product"))
    return views.product_view(p, c.shop.config.currency) if p else None


def q_variants(_root: Any, args: dict[str, Any], req: Request) -> dict[str, Any]:
    c = ctx(req)
    sort = {"SKU": lambda v: v.sku or "", "TITLE": lambda v: v.title}.get(args.get("sortKey") or "ID", lambda v: v.id)
    entries = _entries(c, "Variant", args.get("query"), VARIANT_FIELDS, sort, lambda v: f"{v.title} {v.sku or ''}")
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


def _levels_for_item(shop: ShopData, item_id: int) -> list[model.InventoryLevel]:
    return sorted(
        (lv for lv in shop.tables["InventoryLevel"].values() if lv.inventory_item_id == item_id), key=lambda lv: lv.id
    )


def r_variant_inventory_quantity(v: dict[str, Any], _args: dict[str, Any], req: Request) -> int:
    return sum(lv.available for lv in _levels_for_item(ctx(req).shop, v["_itemId"]))


def r_variant_available(v: dict[str, Any], args: dict[str, Any], req: Request) -> bool:
    shop = ctx(req).shop
    variant = shop.tables["Variant"][v["_id"]]
    return (
        variant.inventory_policy == "CONTINUE" or not variant.tracked or r_variant_inventory_quantity(v, args, req) > 0
    )


def r_item_variant(item: dict[str, Any], _args: dict[str, Any], req: Request) -> Any:
    return variant_view(ctx(req).shop, item["_variantId"])


def r_item_levels(item: dict[str, Any], args: dict[str, Any], req: Request) -> dict[str, Any]:
    shop = ctx(req).shop
    levels = _levels_for_item(shop, item["_itemId"])
    return paginate([(lv.id, lv.id, lv) for lv in levels], args, views.level_view)


def r_item_level(item: dict[str, Any], args: dict[str, Any], req: Request) -> Any:
    shop = ctx(req).shop
    lid = shop.levels_by_key.get((item["_itemId"], parse_gid(args["locationId"], "Location")))
    return views.level_view(shop.tables["InventoryLevel"][lid]) if lid else None


def r_location_levels(loc: dict[str, Any], args: dict[str, Any], req: Request) -> dict[str, Any]:
    shop = ctx(req).shop
    levels = sorted(
        (lv for lv in shop.tables["InventoryLevel"].values() if lv.location_id == loc["_id"]), key=lambda lv: lv.id
    )
    return paginate([(lv.id, lv.id, lv) for lv in levels], args, views.level_view)


def r_location_level(loc: dict[str, Any], args: dict[str, Any], req: Request) -> Any:
    shop = ctx(req).shop
    lid = shop.levels_by_key.get((parse_gid(args["inventoryItemId"], "InventoryItem"), loc["_id"]))
    return views.level_view(shop.tables["InventoryLevel"][lid]) if lid else None


def r_level_item(lv: dict[str, Any], _args: dict[str, Any], req: Request) -> Any:
    shop = ctx(req).shop
    level = lv["_level"]
    variant = shop.tables["Variant"].get(shop.variant_by_item.get(level.inventory_item_id))
    return views.inventory_item_view(variant, shop.config.currency) if variant else None


def r_level_location(lv: dict[str, Any], _args: dict[str, Any], req: Request) -> Any:
    loc = ctx(req).shop.tables["Location"].get(lv["_level"].location_id)
    return views.location_view(loc) if loc else None


QUANTITY_NAMES = (
    "available",
    "committed",
    "incoming",
    "on_hand",
    "reserved",
    "damaged",
    "safety_stock",
    "quality_control",
)


def r_level_quantities(lv: dict[str, Any], args: dict[str, Any], _req: Request) -> list[dict[str, Any]]:
    level = lv["_level"]
    out = []
    for name in args["names"]:
        if name not in QUANTITY_NAMES:
            raise FieldFailure(f"The quantity name '{name}' is not valid.")
        qty = level.on_hand if name == "on_hand" else getattr(level, name, 0)
        out.append(
            {
                "id": f"gid://shopify/InventoryQuantity/{level.id}?inventory_item_id={level.inventory_item_id}&name={name}",
                "name": name,
                "quantity": qty,
                "updatedAt": iso(level.updated_at),
            }
        )
    return out


def q_locations(_root: Any, args: dict[str, Any], req: Request) -> dict[str, Any]:
    c = ctx(req)
    locs = [loc for loc in c.shop.tables["Location"].values() if loc.active or args.get("includeInactive")]
    sort_name = (args.get("sortKey") or "NAME") == "NAME"
    entries = sorted(((loc.name if sort_name else loc.id, loc.id, loc) for loc in locs), key=lambda e: (e[0], e[1]))
    return paginate(entries, args, views.location_view)


def q_location(_root: Any, args: dict[str, Any], req: Request) -> Any:
    shop = ctx(req).shop
    if args.get("id") is None:
        locs = sorted(shop.tables["Location"].values(), key=lambda loc: loc.id)
        return views.location_view(locs[0]) if locs else None
    loc = shop.tables["Location"].get(parse_gid(args["id"], "Location"))
    return views.location_view(loc) if loc else None


def q_inventory_item(_root: Any, args: dict[str, Any], req: Request) -> Any:
    shop = ctx(req).shop
    item_id = parse_gid(args["id"], "InventoryItem")
    v = shop.tables["Variant"].get(shop.variant_by_item.get(item_id))
    return views.inventory_item_view(v, shop.config.currency) if v else None


def q_inventory_level(_root: Any, args: dict[str, Any], req: Request) -> Any:
    shop = ctx(req).shop
    level = shop.tables["InventoryLevel"].get(parse_gid(args["id"], "InventoryLevel"))
    return views.level_view(level) if level else None


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


# -- mutations ------------------------------------------------------------------


def _user_errors(errors: list[dict[str, Any]], with_code: bool = True) -> list[dict[str, Any]]:
    return [{k: v for k, v in e.items() if with_code or k != "code"} for e in errors]


def m_order_create(_root: Any, args: dict[str, Any], req: Request) -> dict[str, Any]:
    c = ctx(req)
    order, errors = orders.create_order(c.store, c.shop, args["order"], args.get("options"))
    if order is None:
        return {"order": None, "userErrors": errors}
    c.emit("orders/create", order)
    if order.financial_status() == "PAID":
        c.emit("orders/paid", order)
    return {"order": views.order_view(order), "userErrors": []}


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


def set_level(c: Context, item_id: int, location_id: int, available: int) -> model.InventoryLevel:
    shop = c.shop
    now = c.store.now()
    lid = shop.levels_by_key.get((item_id, location_id))
    if lid is None:
        level = model.InventoryLevel(
            shop=shop.domain,
            id=c.store.next_id("InventoryLevel"),
            inventory_item_id=item_id,
            location_id=location_id,
            created_at=now,
            updated_at=now,
        )
        shop.levels_by_key[(item_id, location_id)] = level.id
    else:
        level = shop.tables["InventoryLevel"][lid]
    level.available = available
    level.updated_at = now
    c.store.put(level)
    return level


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


def plan_limits(shop: ShopData) -> tuple[int, int]:
    return PLANS.get(shop.config.plan, PLANS["Shopify"])


def money_v2(amount: Decimal, currency: str) -> dict[str, str]:
    return money(amount, currency)


RESOLVERS: dict[tuple[str, str], Callable[..., Any]] = {
    ("PageInfo", "startCursor"): r_start_cursor,
    ("PageInfo", "endCursor"): r_end_cursor,
    ("QueryRoot", "shop"): q_shop,
    ("QueryRoot", "orders"): q_orders,
    ("QueryRoot", "order"): q_order,
    ("QueryRoot", "products"): q_products,
    ("QueryRoot", "product"): q_product,
    ("QueryRoot", "productVariants"): q_variants,
    ("QueryRoot", "productVariant"): q_variant,
    ("QueryRoot", "locations"): q_locations,
    ("QueryRoot", "location"): q_location,
    ("QueryRoot", "inventoryItem"): q_inventory_item,
    ("QueryRoot", "inventoryLevel"): q_inventory_level,
    ("QueryRoot", "customer"): q_customer,
    ("QueryRoot", "node"): q_node,
    ("QueryRoot", "nodes"): q_nodes,
    ("Order", "lineItems"): r_line_items,
    ("Order", "shippingLines"): r_shipping_lines,
    ("Order", "transactions"): r_transactions,
    ("Order", "refunds"): r_refunds,
    ("Order", "customer"): r_customer,
    ("Order", "retailLocation"): r_location,
    ("LineItem", "taxLines"): r_line_tax_lines,
    ("LineItem", "discountedTotalSet"): r_discounted_total,
    ("LineItem", "variant"): r_line_variant,
    ("LineItem", "product"): r_line_product,
    ("Refund", "refundLineItems"): r_refund_line_items,
    ("Refund", "refundShippingLines"): r_refund_shipping_lines,
    ("Refund", "transactions"): r_refund_transactions,
    ("RefundLineItem", "location"): r_location,
    ("Product", "variants"): r_product_variants,
    ("Product", "totalInventory"): r_product_total_inventory,
    ("Product", "tracksInventory"): r_product_tracks,
    ("ProductVariant", "product"): r_variant_product,
    ("ProductVariant", "inventoryItem"): r_variant_item,
    ("ProductVariant", "inventoryQuantity"): r_variant_inventory_quantity,
    ("ProductVariant", "availableForSale"): r_variant_available,
    ("InventoryItem", "variant"): r_item_variant,
    ("InventoryItem", "inventoryLevels"): r_item_levels,
    ("InventoryItem", "inventoryLevel"): r_item_level,
    ("Location", "inventoryLevels"): r_location_levels,
    ("Location", "inventoryLevel"): r_location_level,
    ("InventoryLevel", "item"): r_level_item,
    ("InventoryLevel", "location"): r_level_location,
    ("InventoryLevel", "quantities"): r_level_quantities,
    ("Mutation", "orderCreate"): m_order_create,
    ("Mutation", "productCreate"): m_product_create,
    ("Mutation", "productVariantsBulkCreate"): m_variants_bulk_create,
}


def register_connection_edges(schema: Any, resolvers: dict[tuple[str, str], Callable[..., Any]]) -> None:
    for name, type_ in schema.type_map.items():
        if name.endswith("Connection") and hasattr(type_, "fields") and "edges" in type_.fields:
            resolvers[(name, "edges")] = edges


def m_refund_create(_root: Any, args: dict[str, Any], req: Request) -> dict[str, Any]:
    c = ctx(req)
    refund, order, errors = orders.create_refund(c.store, c.shop, args["input"])
    if refund is None or order is None:
        return {
            "order": views.order_view(order) if order else None,
            "refund": None,
            "userErrors": _user_errors(errors, False),
        }
    c.emit("refunds/create", (order, refund))
    c.emit("orders/updated", order)
    view = views.order_view(order)
    refund_view = next(r for r in view["_refunds"] if r["id"] == gid("Refund", refund.id))
    return {"order": view, "refund": refund_view, "userErrors": []}


def m_order_cancel(_root: Any, args: dict[str, Any], req: Request) -> dict[str, Any]:
    c = ctx(req)
    order, refund, errors = orders.cancel_order(
        c.store, c.shop, args["orderId"], args["reason"], bool(args["refund"]), bool(args["restock"])
    )
    if errors:
        return {"job": None, "orderCancelUserErrors": errors}
    assert order is not None
    if refund is not None:
        c.emit("refunds/create", (order, refund))
    c.emit("orders/cancelled", order)
    c.emit("orders/updated", order)
    return {"job": {"id": gid("Job", c.store.next_id("Job")), "done": True}, "orderCancelUserErrors": []}


def m_inventory_adjust(_root: Any, args: dict[str, Any], req: Request) -> dict[str, Any]:
    c = ctx(req)
    data = args["input"]
    name = data["name"]
    if name not in ("available", "damaged", "quality_control", "reserved", "safety_stock", "incoming"):
        return {
            "inventoryAdjustmentGroup": None,
            "userErrors": [
                {
                    "field": ["input", "name"],
                    "message": "The quantity name is not valid.",
                    "code": "INVALID_QUANTITY_NAME",
                }
            ],
        }
    errors = []
    resolved = []
    for i, change in enumerate(data["changes"]):
        item_id = parse_gid(change["inventoryItemId"], "InventoryItem")
        loc_id = parse_gid(change["locationId"], "Location")
        if item_id not in c.shop.variant_by_item:
            errors.append(
                {
                    "field": ["input", "changes", str(i), "inventoryItemId"],
                    "message": "The specified inventory item could not be found.",
                    "code": "INVALID_INVENTORY_ITEM",
                }
            )
        elif loc_id not in c.shop.tables["Location"]:
            errors.append(
                {
                    "field": ["input", "changes", str(i), "locationId"],
                    "message": "The specified location could not be found.",
                    "code": "INVALID_LOCATION",
                }
            )
        else:
            resolved.append((item_id, loc_id, change))
    if errors:
        return {"inventoryAdjustmentGroup": None, "userErrors": errors}
    changes_out = []
    for item_id, loc_id, change in resolved:
        lid = c.shop.levels_by_key.get((item_id, loc_id))
        level = c.shop.tables["InventoryLevel"][lid] if lid else set_level(c, item_id, loc_id, 0)
        if name == "available":
            level.available += change["delta"]
        else:
            setattr(level, name, getattr(level, name, 0) + change["delta"])
        level.updated_at = c.store.now()
        c.store.put(level)
        c.emit("inventory_levels/update", level)
        variant = c.shop.tables["Variant"][c.shop.variant_by_item[item_id]]
        changes_out.append(
            {
                "delta": change["delta"],
                "name": name,
                "ledgerDocumentUri": change.get("ledgerDocumentUri"),
                "quantityAfterChange": level.available if name == "available" else getattr(level, name, 0),
                "item": views.inventory_item_view(variant, c.shop.config.currency),
                "location": views.location_view(c.shop.tables["Location"][loc_id]),
            }
        )
    group = {
        "id": gid("InventoryAdjustmentGroup", c.store.next_id("InventoryAdjustmentGroup")),
        "createdAt": iso(c.store.now()),
        "reason": data["reason"],
        "referenceDocumentUri": data.get("referenceDocumentUri"),
        "_changes": changes_out,
    }
    return {"inventoryAdjustmentGroup": group, "userErrors": []}


def r_group_changes(group: dict[str, Any], _args: dict[str, Any], _req: Request) -> list[Any]:
    return group["_changes"]


# -- webhooks subscriptions ------------------------------------------------------

TOPIC_RE = re.compile(r"^[A-Z0-9_]+$")


def topic_to_rest(topic: str) -> str:
    """ORDERS_CREATE -> orders/create (the first underscore separates resource and event)."""
    special = {
        "APP_UNINSTALLED": "app/uninstalled",
        "BULK_OPERATIONS_FINISH": "bulk_operations/finish",
        "INVENTORY_LEVELS_UPDATE": "inventory_levels/update",
        "CUSTOMERS_DATA_REQUEST": "customers/data_request",
        "CUSTOMERS_REDACT": "customers/redact",
        "SHOP_REDACT": "shop/redact",
        "ORDERS_PARTIALLY_FULFILLED": "orders/partially_fulfilled",
    }
    if topic in special:
        return special[topic]
    resource, _, event = topic.lower().partition("_")
    return f"{resource}/{event}"


def rest_to_topic(rest: str) -> str:
    return rest.replace("/", "_").upper()


def subscription_view(s: model.WebhookSubscription) -> dict[str, Any]:
    if s._view is None:
        s._view = {
            "__typename": "WebhookSubscription",
            "id": gid("WebhookSubscription", s.id),
            "legacyResourceId": str(s.id),
            "topic": s.topic,
            "endpoint": {"__typename": "WebhookHttpEndpoint", "callbackUrl": s.callback_url},
            "format": s.format,
            "includeFields": list(s.include_fields),
            "filter": s.filter,
            "apiVersion": {"handle": s.api_version, "displayName": s.api_version, "supported": True},
            "createdAt": iso(s.created_at),
            "updatedAt": iso(s.updated_at),
        }
    return s._view


def m_webhook_create(_root: Any, args: dict[str, Any], req: Request) -> dict[str, Any]:
    c = ctx(req)
    data = args["webhookSubscription"]
    url = data.get("callbackUrl") or ""
    if not re.match(r"^https?://", url):
        return {
            "webhookSubscription": None,
            "userErrors": [{"field": ["webhookSubscription", "callbackUrl"], "message": "Address is invalid"}],
        }
    topic = args["topic"]
    for s in c.shop.tables["WebhookSubscription"].values():
        if s.topic == topic and s.callback_url == url and s.source == "api":
            return {
                "webhookSubscription": None,
                "userErrors": [
                    {
                        "field": ["webhookSubscription", "callbackUrl"],
                        "message": "Address for this topic has already been taken",
                    }
                ],
            }
    now = c.store.now()
    sub = model.WebhookSubscription(
        shop=c.shop.domain,
        id=c.store.next_id("WebhookSubscription"),
        topic=topic,
        callback_url=url,
        created_at=now,
        updated_at=now,
        format=data.get("format") or "JSON",
        include_fields=list(data.get("includeFields") or []),
        filter=data.get("filter"),
        api_version=c.version,
    )
    c.store.put(sub)
    return {"webhookSubscription": subscription_view(sub), "userErrors": []}


def m_webhook_delete(_root: Any, args: dict[str, Any], req: Request) -> dict[str, Any]:
    c = ctx(req)
    sub = c.shop.tables["WebhookSubscription"].get(parse_gid(args["id"], "WebhookSubscription"))
    if sub is None or sub.source != "api":
        return {
            "deletedWebhookSubscriptionId": None,
            "userErrors": [{"field": ["id"], "message": "Webhook subscription does not exist"}],
        }
    c.store.delete(sub)
    return {"deletedWebhookSubscriptionId": args["id"], "userErrors": []}


def q_webhook_subscriptions(_root: Any, args: dict[str, Any], req: Request) -> dict[str, Any]:
    c = ctx(req)
    subs = [s for s in c.shop.tables["WebhookSubscription"].values() if s.source == "api"]
    if args.get("topics"):
        subs = [s for s in subs if s.topic in args["topics"]]
    if args.get("callbackUrl"):
        subs = [s for s in subs if s.callback_url == args["callbackUrl"]]
    entries = sorted(((s.created_at.timestamp(), s.id, s) for s in subs), key=lambda e: (e[0], e[1]))
    return paginate(entries, args, subscription_view)


def q_webhook_subscription(_root: Any, args: dict[str, Any], req: Request) -> Any:
    sub = ctx(req).shop.tables["WebhookSubscription"].get(parse_gid(args["id"], "WebhookSubscription"))
    return subscription_view(sub) if sub and sub.source == "api" else None


RESOLVERS.update(
    {
        ("Mutation", "refundCreate"): m_refund_create,
        ("Mutation", "orderCancel"): m_order_cancel,
        ("Mutation", "inventoryAdjustQuantities"): m_inventory_adjust,
        ("InventoryAdjustmentGroup", "changes"): r_group_changes,
        ("Mutation", "webhookSubscriptionCreate"): m_webhook_create,
        ("Mutation", "webhookSubscriptionDelete"): m_webhook_delete,
        ("QueryRoot", "webhookSubscriptions"): q_webhook_subscriptions,
        ("QueryRoot", "webhookSubscription"): q_webhook_subscription,
    }
)


# -- Shopify Payments -----------------------------------------------------------


def q_payments_account(_root: Any, _args: dict[str, Any], req: Request) -> dict[str, Any]:
    c = ctx(req)
    cfg = c.shop.config
    pending = sum(
        (b.net for b in c.shop.tables["BalanceTransaction"].values() if b.payout_id is None and not b.test),
        Decimal(0),
    )
    return {
        "__typename": "ShopifyPaymentsAccount",
        "id": gid("ShopifyPaymentsAccount", 1000 + len(cfg.domain)),
        "activated": True,
        "country": cfg.country,
        "defaultCurrency": cfg.currency,
        "balance": [money(pending, cfg.currency)],
    }


PAYOUT_FIELDS: Fields = {
    "issued_at": (lambda p: p.issued_at, "time"),
    "status": (lambda p: p.status.lower(), "text"),
    "id": (lambda p: float(p.id), "number"),
}
BALANCE_FIELDS: Fields = {
    "payout_id": (lambda b: float(b.payout_id or 0), "number"),
    "payout_status": (lambda b: b.payout_status.lower(), "text"),
    "processed_at": (lambda b: b.transaction_date, "time"),
    "type": (lambda b: b.type.lower(), "text"),
    "test": (lambda b: b.test, "bool"),
    "id": (lambda b: float(b.id), "number"),
}


def payout_view(p: model.Payout) -> dict[str, Any]:
    if p._view is None:
        cur = p.currency
        summary = {}
        names = {"charges": "charges", "refunds": "refunds", "adjustments": "adjustments", "reservedFunds": "reservedFunds",
                 "retriedPayouts": "retriedPayouts", "advance": "advance"}  # fmt: skip
        for key, prefix in names.items():
            gross, fee = p.summary.get(key, (Decimal(0), Decimal(0)))
            gross_name = "refundsFeeGross" if key == "refunds" else f"{prefix}Gross"
            summary[gross_name] = money(gross, cur)
            # Shopify's own spelling: every *Fee, but advanceFees
            summary["advanceFees" if key == "advance" else f"{prefix}Fee"] = money(fee, cur)
        p._view = {
            "__typename": "ShopifyPaymentsPayout",
            "id": gid("ShopifyPaymentsPayout", p.id),
            "legacyResourceId": str(p.id),
            "issuedAt": iso(p.issued_at),
            "net": money(p.net, cur),
            "status": p.status,
            "transactionType": p.transaction_type,
            "summary": summary,
        }
    return p._view


def balance_view(b: model.BalanceTransaction) -> dict[str, Any]:
    if b._view is None:
        b._view = {
            "__typename": "ShopifyPaymentsBalanceTransaction",
            "id": gid("ShopifyPaymentsBalanceTransaction", b.id),
            "amount": money(b.amount, b.currency),
            "fee": money(b.fee, b.currency),
            "net": money(b.net, b.currency),
            "transactionDate": iso(b.transaction_date),
            "type": b.type,
            "sourceType": b.source_type,
            "sourceId": str(b.source_id) if b.source_id is not None else None,
            "sourceOrderTransactionId": str(b.source_order_transaction_id)
            if b.source_order_transaction_id is not None
            else None,
            "associatedOrder": {"id": gid("Order", b.order_id), "name": b.order_name} if b.order_id else None,
            "associatedPayout": {
                "id": gid("ShopifyPaymentsPayout", b.payout_id) if b.payout_id else None,
                "status": b.payout_status,
            },
            "test": b.test,
            "adjustmentReason": b.adjustment_reason,
        }
    return b._view


def r_payouts(_account: Any, args: dict[str, Any], req: Request) -> dict[str, Any]:
    c = ctx(req)
    items = list(c.shop.tables["Payout"].values())
    if args.get("transactionType"):
        items = [p for p in items if p.transaction_type == args["transactionType"]]
    pred = compile_query(
        args.get("query"), PAYOUT_FIELDS, ZoneInfo(c.shop.config.timezone), c.store.now(), lambda _p: ""
    )
    entries = sorted(((p.issued_at.timestamp(), p.id, p) for p in items if pred(p)), key=lambda e: (e[0], e[1]))
    return paginate(entries, args, payout_view)


def r_balance_transactions(_account: Any, args: dict[str, Any], req: Request) -> dict[str, Any]:
    c = ctx(req)
    from sandbox.shopify.payouts import sync_balance_transactions

    sync_balance_transactions(c.store, c.shop)
    items = [
        b
        for b in c.shop.tables["BalanceTransaction"].values()
        if not (args.get("hideTransfers") and b.type == "TRANSFER")
    ]
    pred = compile_query(
        args.get("query"), BALANCE_FIELDS, ZoneInfo(c.shop.config.timezone), c.store.now(), lambda _b: ""
    )
    entries = sorted(((b.transaction_date.timestamp(), b.id, b) for b in items if pred(b)), key=lambda e: (e[0], e[1]))
    return paginate(entries, args, balance_view)


# -- bulk operations --------------------------------------------------------------


def q_current_bulk(_root: Any, args: dict[str, Any], req: Request) -> Any:
    from sandbox.shopify import bulk

    c = ctx(req)
    ops = [o for o in c.shop.tables["BulkOperation"].values() if o.type == (args.get("type") or "QUERY")]
    return bulk.view(c.emulator, max(ops, key=lambda o: o.id)) if ops else None


def m_bulk_run(_root: Any, args: dict[str, Any], req: Request) -> dict[str, Any]:
    from sandbox.shopify import bulk

    c = ctx(req)
    running = [o for o in c.shop.tables["BulkOperation"].values() if o.status in ("CREATED", "RUNNING", "CANCELING")]
    if running:
        message = f"A bulk query operation for this app and shop is already in progress: {gid('BulkOperation', running[0].id)}."
        return {
            "bulkOperation": None,
            "userErrors": [{"field": ["query"], "message": message, "code": "OPERATION_IN_PROGRESS"}],
        }
    problem = bulk.check_query(c.emulator, args["query"])
    if problem:
        return {"bulkOperation": None, "userErrors": [{"field": ["query"], "message": problem, "code": "INVALID"}]}
    op = bulk.start(c.emulator, c.shop, args["query"])
    return {"bulkOperation": bulk.view(c.emulator, op), "userErrors": []}


def m_bulk_cancel(_root: Any, args: dict[str, Any], req: Request) -> dict[str, Any]:
    from sandbox.shopify import bulk

    c = ctx(req)
    op = c.shop.tables["BulkOperation"].get(parse_gid(args["id"], "BulkOperation"))
    if op is None:
        return {"bulkOperation": None, "userErrors": [{"field": ["id"], "message": "Bulk operation does not exist"}]}
    if op.status not in ("CREATED", "RUNNING"):
        return {
            "bulkOperation": bulk.view(c.emulator, op),
            "userErrors": [
                {"field": None, "message": f"A bulk operation cannot be canceled when it is {op.status.lower()}"}
            ],
        }
    op.status = "CANCELING"
    c.store.put(op)
    return {"bulkOperation": bulk.view(c.emulator, op), "userErrors": []}


RESOLVERS.update(
    {
        ("QueryRoot", "shopifyPaymentsAccount"): q_payments_account,
        ("ShopifyPaymentsAccount", "payouts"): r_payouts,
        ("ShopifyPaymentsAccount", "balanceTransactions"): r_balance_transactions,
        ("QueryRoot", "currentBulkOperation"): q_current_bulk,
        ("Mutation", "bulkOperationRunQuery"): m_bulk_run,
        ("Mutation", "bulkOperationCancel"): m_bulk_cancel,
    }
)


# -- access scopes ------------------------------------------------------------------

# Root fields and the scope each needs (a write_ scope grants the read_ one, as on Shopify).
REQUIRED_SCOPES = {
    ("QueryRoot", "orders"): "read_orders",
    ("QueryRoot", "order"): "read_orders",
    ("QueryRoot", "products"): "read_products",
    ("QueryRoot", "product"): "read_products",
    ("QueryRoot", "productVariants"): "read_products",
    ("QueryRoot", "productVariant"): "read_products",
    ("QueryRoot", "locations"): "read_locations",
    ("QueryRoot", "location"): "read_locations",
    ("QueryRoot", "inventoryItem"): "read_inventory",
    ("QueryRoot", "inventoryLevel"): "read_inventory",
    ("QueryRoot", "customer"): "read_customers",
    ("QueryRoot", "shopifyPaymentsAccount"): "read_shopify_payments_payouts",
    ("Mutation", "orderCreate"): "write_orders",
    ("Mutation", "orderCancel"): "write_orders",
    ("Mutation", "refundCreate"): "write_orders",
    ("Mutation", "productCreate"): "write_products",
    ("Mutation", "productVariantsBulkCreate"): "write_products",
    ("Mutation", "inventoryAdjustQuantities"): "write_inventory",
}


def has_scope(scopes: frozenset[str], needed: str) -> bool:
    if needed in scopes:
        return True
    if needed.startswith("read_") and "write_" + needed[5:] in scopes:
        return True
    return needed == "read_shopify_payments_payouts" and "read_shopify_payments_accounts" in scopes


def with_scope(field: str, needed: str, resolve: Callable[..., Any]) -> Callable[..., Any]:
    def checked(obj: Any, args: dict[str, Any], req: Request) -> Any:
        if not has_scope(ctx(req).scopes, needed):
            required = f"`{needed}` access scope."
            raise FieldFailure(
                f"Access denied for {field} field. Required access: {required}",
                {
                    "code": "ACCESS_DENIED",
                    "documentation": "https://shopify.dev/api/usage/access-scopes",
                    "requiredAccess": required,
                },
            )
        return resolve(obj, args, req)

    return checked


def scoped_resolvers() -> dict[tuple[str, str], Callable[..., Any]]:
    resolvers = dict(RESOLVERS)
    for key, needed in REQUIRED_SCOPES.items():
        resolvers[key] = with_scope(key[1], needed, resolvers[key])
    return resolvers
