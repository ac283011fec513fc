"""Order editing: orderEditBegin, orderEditAddVariant, orderEditSetQuantity, orderEditCommit and the CalculatedOrder."""

from __future__ import annotations

from typing import Any

from sandbox.shopify import model, order_edits, views
from sandbox.shopify.api.common import Context, ctx, list_connection
from sandbox.shopify.executor import Request
from sandbox.shopify.model import gid


def _calculated_line(li: model.LineItem, view: dict[str, Any], before: int) -> dict[str, Any]:
    return {
        "__typename": "CalculatedLineItem",
        "id": gid("CalculatedLineItem", li.id),
        "title": li.title,
        "sku": li.sku,
        "variantTitle": li.variant_title,
        "quantity": li.current_quantity,
        "editableQuantity": li.current_quantity,
        "editableQuantityBeforeChanges": before,
        "originalUnitPriceSet": view["originalUnitPriceSet"],
        "restockable": view["restockable"],
        "restocking": False,
    }


def calculated_order(c: Context, session: order_edits.EditSession) -> dict[str, Any]:
    """The order as it would be after the staged changes, next to the order as it is."""
    order = c.shop.orders[session.order_id]
    after = order_edits.preview(c.shop, session)
    view = views.order_view(after)
    before = {li.id: li.current_quantity for li in order.line_items}
    lines = [
        _calculated_line(li, lv, before.get(li.id, 0))
        for li, lv in zip(after.line_items, view["_lineItems"], strict=True)
        if li.current_quantity > 0
    ]
    return {
        "__typename": "CalculatedOrder",
        "id": gid("CalculatedOrder", session.id),
        "originalOrder": views.order_view(order),
        "_lineItems": lines,
        "_addedLineItems": [line for line in lines if model.parse_gid(line["id"]) not in before],
        "subtotalLineItemsQuantity": view["currentSubtotalLineItemsQuantity"],
        "subtotalPriceSet": view["currentSubtotalPriceSet"],
        "totalPriceSet": view["currentTotalPriceSet"],
        "totalOutstandingSet": view["totalOutstandingSet"],
    }


def _line(calc: dict[str, Any], calc_id: int | None) -> Any:
    wanted = gid("CalculatedLineItem", calc_id) if calc_id is not None else None
    return next((line for line in calc["_lineItems"] if line["id"] == wanted), None)


def m_begin(_root: Any, args: dict[str, Any], req: Request) -> dict[str, Any]:
    c = ctx(req)
    session, errors = order_edits.begin(c.store, c.shop, args["id"])
    return {"calculatedOrder": calculated_order(c, session) if session else None, "userErrors": errors}


def _staged(c: Context, session: Any, calc_id: int | None, errors: list[dict[str, Any]]) -> dict[str, Any]:
    calc = calculated_order(c, session) if session else None
    line = _line(calc, calc_id) if calc and not errors else None
    return {"calculatedLineItem": line, "calculatedOrder": calc, "userErrors": _without_code(errors)}


def _without_code(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"field": e["field"], "message": e["message"]} for e in errors]


def m_add_variant(_root: Any, args: dict[str, Any], req: Request) -> dict[str, Any]:
    c = ctx(req)
    session, calc_id, errors = order_edits.add_variant(c.store, c.shop, args["id"], args["variantId"], args["quantity"])
    return _staged(c, session, calc_id, errors)


def m_set_quantity(_root: Any, args: dict[str, Any], req: Request) -> dict[str, Any]:
    c = ctx(req)
    session, calc_id, errors = order_edits.set_quantity(
        c.store, c.shop, args["id"], args["lineItemId"], args["quantity"]
    )
    return _staged(c, session, calc_id, errors)


def m_commit(_root: Any, args: dict[str, Any], req: Request) -> dict[str, Any]:
    c = ctx(req)
    order, errors = order_edits.commit(c.store, c.shop, args["id"])
    if order is None:
        return {"order": None, "userErrors": _without_code(errors)}
    c.emit("orders/edited", order)
    c.emit("orders/updated", order)
    return {"order": views.order_view(order), "userErrors": []}


def r_line_items(calc: dict[str, Any], args: dict[str, Any], _req: Request) -> dict[str, Any]:
    return list_connection(calc["_lineItems"], args)


def r_added_line_items(calc: dict[str, Any], args: dict[str, Any], _req: Request) -> dict[str, Any]:
    return list_connection(calc["_addedLineItems"], args)


RESOLVERS = {
    ("Mutation", "orderEditBegin"): m_begin,
    ("Mutation", "orderEditAddVariant"): m_add_variant,
    ("Mutation", "orderEditSetQuantity"): m_set_quantity,
    ("Mutation", "orderEditCommit"): m_commit,
    ("CalculatedOrder", "lineItems"): r_line_items,
    ("CalculatedOrder", "addedLineItems"): r_added_line_items,
}
SCOPES = {
    ("Mutation", "orderEditBegin"): "write_order_edits",
    ("Mutation", "orderEditAddVariant"): "write_order_edits",
    ("Mutation", "orderEditSetQuantity"): "write_order_edits",
    ("Mutation", "orderEditCommit"): "write_order_edits",
}
