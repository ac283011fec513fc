"""Orders: the orders/order queries, an order's lines and payments, and orderCreate."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sandbox.shopify import model, orders, payments, views
from sandbox.shopify.api.common import Context, ctx, list_connection, paginate, take_first, variant_view
from sandbox.shopify.executor import Request
from sandbox.shopify.model import parse_gid
from sandbox.shopify.search import Fields, compile_query

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
        items = [t for t in items if t["_capturable"]]
    return take_first(items, args)


def r_refunds(order: dict[str, Any], args: dict[str, Any], _req: Request) -> list[Any]:
    return take_first(order["_refunds"], args)


def r_customer(obj: dict[str, Any], _args: dict[str, Any], req: Request) -> Any:
    cid = obj.get("_customerId")
    c = ctx(req).shop.tables["Customer"].get(cid) if cid else None
    return views.customer_view(c) if c else None


def r_location(obj: dict[str, Any], _args: dict[str, Any], req: Request) -> Any:
    lid = obj.get("_locationId")
    loc = ctx(req).shop.tables["Location"].get(lid) if lid else None
    return views.location_view(loc) if loc else None


def r_line_tax_lines(li: dict[str, Any], args: dict[str, Any], _req: Request) -> list[Any]:
    return take_first(li["_taxLines"], args)


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


def m_order_create(_root: Any, args: dict[str, Any], req: Request) -> dict[str, Any]:
    c = ctx(req)
    order, errors = orders.create_order(c.store, c.shop, args["order"], args.get("options"))
    if order is None:
        return {"order": None, "userErrors": errors}
    c.emit("orders/create", order)
    if order.financial_status() == "PAID":
        c.emit("orders/paid", order)
    return {"order": views.order_view(order), "userErrors": []}


def _emit_payment(c: Context, order: model.Order, was: str) -> None:
    """A payment updates the order; the one that completes it also sends orders/paid."""
    c.emit("orders/updated", order)
    if order.financial_status() == "PAID" and was != "PAID":
        c.emit("orders/paid", order)


def m_order_create_manual_payment(_root: Any, args: dict[str, Any], req: Request) -> dict[str, Any]:
    c = ctx(req)
    found = c.shop.orders.get(parse_gid(args.get("id"), "Order") or -1)
    was = found.financial_status() if found else ""
    order, errors = payments.create_manual_payment(c.store, c.shop, args)
    if errors or order is None:
        return {"order": views.order_view(order) if order else None, "userErrors": errors}
    _emit_payment(c, order, was)
    return {"order": views.order_view(order), "userErrors": []}


def m_order_capture(_root: Any, args: dict[str, Any], req: Request) -> dict[str, Any]:
    c = ctx(req)
    found = c.shop.orders.get(parse_gid(args["input"].get("id"), "Order") or -1)
    was = found.financial_status() if found else ""
    tx, order, errors = payments.capture(c.store, c.shop, args["input"])
    if tx is None or order is None:
        return {"transaction": None, "userErrors": [{k: e[k] for k in ("field", "message")} for e in errors]}
    _emit_payment(c, order, was)
    tx_id = model.gid("OrderTransaction", tx.id)
    transaction = next(t for t in views.order_view(order)["_transactions"] if t["id"] == tx_id)
    return {"transaction": transaction, "userErrors": []}


RESOLVERS = {
    ("QueryRoot", "orders"): q_orders,
    ("QueryRoot", "order"): q_order,
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
    ("Mutation", "orderCreate"): m_order_create,
    ("Mutation", "orderCreateManualPayment"): m_order_create_manual_payment,
    ("Mutation", "orderCapture"): m_order_capture,
}
SCOPES = {
    ("QueryRoot", "orders"): "read_orders",
    ("QueryRoot", "order"): "read_orders",
    ("Mutation", "orderCreate"): "write_orders",
    ("Mutation", "orderCreateManualPayment"): "write_orders",
    ("Mutation", "orderCapture"): "write_orders",
}
