"""Refunds and cancellations: refundCreate, orderCancel and a refund's lines."""

from __future__ import annotations

from typing import Any

from sandbox.shopify import views
from sandbox.shopify.api.common import ctx, list_connection
from sandbox.shopify.api.orders import r_location
from sandbox.shopify.executor import Request
from sandbox.shopify.model import gid, parse_gid
from sandbox.shopify.refunds import cancel_order, create_refund, find_refund


def refund_view(found: Any) -> Any:
    """A refund's view inside its order's view (so ``refund.order`` is the same order)."""
    if found is None:
        return None
    order, refund = found
    return next(r for r in views.order_view(order)["_refunds"] if r["id"] == gid("Refund", refund.id))


def q_refund(_root: Any, args: dict[str, Any], req: Request) -> Any:
    return refund_view(find_refund(ctx(req).shop, parse_gid(args["id"], "Refund")))


def r_refund_line_items(refund: dict[str, Any], args: dict[str, Any], _req: Request) -> dict[str, Any]:
    return list_connection(refund["_refundLineItems"], args)


def r_refund_shipping_lines(refund: dict[str, Any], args: dict[str, Any], _req: Request) -> dict[str, Any]:
    return list_connection(refund["_refundShippingLines"], args)


def r_refund_transactions(refund: dict[str, Any], args: dict[str, Any], _req: Request) -> dict[str, Any]:
    return list_connection(refund["_transactions"], args)


def _user_errors(errors: list[dict[str, Any]], with_code: bool = True) -> list[dict[str, Any]]:
    return [{k: v for k, v in e.items() if with_code or k != "code"} for e in errors]


def m_refund_create(_root: Any, args: dict[str, Any], req: Request) -> dict[str, Any]:
    c = ctx(req)
    refund, order, errors = create_refund(c.store, c.shop, args["input"])
    if refund is None or order is None:
        return {
            "order": views.order_view(order) if order else None,
            "refund": None,
            "userErrors": _user_errors(errors, False),
        }
    c.emit("refunds/create", (order, refund))
    c.emit("orders/updated", order)
    return {"order": views.order_view(order), "refund": refund_view((order, refund)), "userErrors": []}


def m_order_cancel(_root: Any, args: dict[str, Any], req: Request) -> dict[str, Any]:
    c = ctx(req)
    order, refund, errors = cancel_order(
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


RESOLVERS = {
    ("QueryRoot", "refund"): q_refund,
    ("Refund", "refundLineItems"): r_refund_line_items,
    ("Refund", "refundShippingLines"): r_refund_shipping_lines,
    ("Refund", "transactions"): r_refund_transactions,
    ("RefundLineItem", "location"): r_location,
    ("Mutation", "refundCreate"): m_refund_create,
    ("Mutation", "orderCancel"): m_order_cancel,
}
SCOPES = {
    ("QueryRoot", "refund"): "read_orders",
    ("Mutation", "refundCreate"): "write_orders",
    ("Mutation", "orderCancel"): "write_orders",
}
