"""GraphQL order editing: orderEditBegin, orderEditAddVariant, orderEditSetQuantity, orderEditCommit.

Reference: https://shopify.dev/docs/apps/build/orders-fulfillment/order-management-apps/edit-orders
A session stages changes on a calculated order; nothing touches the order until the commit,
which applies them as ``orders.edit_order`` does (added items become new line items, removed
ones lower ``currentQuantity``). If the total changes, the customer owes a balance or is owed
a refund (``totalOutstandingSet``); paying or refunding it is a separate step, as on Shopify.

Sessions live in memory (``ShopData.order_edits``): a restart drops the uncommitted ones.
Added lines are taxed at the order's own rates: the same variant's line's, else the first
taxed line's (Shopify computes them from the shop's tax settings, which the sandbox does not
model). Raising an existing line's quantity stages a new line for the difference, as the
``/_sandbox/orders/edit`` control does.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from sandbox.shopify import model
from sandbox.shopify.model import gid, parse_gid
from sandbox.shopify.orders import UserErrors, apply_edit, edit_order, user_error
from sandbox.shopify.store import ShopData, Store


@dataclass
class EditSession:
    id: int
    order_id: int
    quantities: dict[int, int] = field(default_factory=dict)  # existing line id -> quantity wanted
    additions: list[dict[str, Any]] = field(default_factory=list)  # edit_order "add" items, with "_calcId"


def begin(store: Store, shop: ShopData, order_id: str) -> tuple[EditSession | None, UserErrors]:
    order = shop.orders.get(parse_gid(order_id, "Order") or -1)
    if order is None:
        return None, [user_error(["id"], "The order does not exist", None)]
    if order.cancelled_at is not None:
        return None, [user_error(["id"], "A cancelled order cannot be edited", None)]
    session = EditSession(id=store.next_id("CalculatedOrder"), order_id=order.id)
    shop.order_edits[session.id] = session
    return session, []


def _session(shop: ShopData, calculated_id: str) -> EditSession | None:
    session: EditSession | None = shop.order_edits.get(parse_gid(calculated_id, "CalculatedOrder") or -1)
    return session


def _missing() -> tuple[None, None, UserErrors]:
    return None, None, [user_error(["id"], "The calculated order does not exist", None)]


def _rates(order: model.Order, variant_id: int | None) -> list[dict[str, str]]:
    lines = [li for li in order.line_items if li.tax_lines]
    same = next((li for li in lines if variant_id and li.variant_id == variant_id), None)
    line = same or (lines[0] if lines else None)
    return [{"title": t.title, "rate": str(t.rate)} for t in line.tax_lines] if line else []


def add_variant(
    store: Store, shop: ShopData, calculated_id: str, variant_id: str, quantity: int
) -> tuple[EditSession | None, int | None, UserErrors]:
    """Stages a new line of ``quantity`` units of a variant at its current price."""
    session = _session(shop, calculated_id)
    if session is None:
        return _missing()
    variant = shop.tables["Variant"].get(parse_gid(variant_id, "ProductVariant") or -1)
    if variant is None:
        return session, None, [user_error(["variantId"], "The variant does not exist", None)]
    if quantity <= 0:
        return session, None, [user_error(["quantity"], "Quantity must be greater than 0", None)]
    calc_id = store.next_id("CalculatedLineItem")
    order = shop.orders[session.order_id]
    session.additions.append(
        {"_calcId": calc_id, "variantId": variant_id, "quantity": quantity, "taxLines": _rates(order, variant.id)}
    )
    return session, calc_id, []


def set_quantity(
    store: Store, shop: ShopData, calculated_id: str, line_id: str, quantity: int
) -> tuple[EditSession | None, int | None, UserErrors]:
    """Stages a line's new quantity: an added line's, or an existing line's (lower: removed units)."""
    session = _session(shop, calculated_id)
    if session is None:
        return _missing()
    calc_id = parse_gid(line_id, "CalculatedLineItem") or -1
    if quantity < 0:
        return session, None, [user_error(["quantity"], "Quantity must be greater than or equal to 0", None)]
    added = next((a for a in session.additions if a["_calcId"] == calc_id), None)
    if added is not None:
        added["quantity"] = quantity
        return session, calc_id, []
    order = shop.orders[session.order_id]
    line = order.line(calc_id)
    if line is None:
        return session, None, [user_error(["lineItemId"], "The line item does not exist", None)]
    session.quantities[line.id] = min(quantity, line.current_quantity)
    if quantity > line.current_quantity:
        session.additions.append(
            {"_calcId": store.next_id("CalculatedLineItem"), "variantId": gid("ProductVariant", line.variant_id)
             if line.variant_id else None, "title": line.title, "sku": line.sku,
             "price": str(line.unit_price.shop), "quantity": quantity - line.current_quantity,
             "taxLines": [{"title": t.title, "rate": str(t.rate)} for t in line.tax_lines]}
        )  # fmt: skip
    return session, calc_id, []


def _edit_input(session: EditSession) -> dict[str, Any]:
    """The staged changes as ``orders.edit_order`` takes them."""
    return {
        "add": [{k: v for k, v in a.items() if k != "_calcId"} for a in session.additions if a["quantity"] > 0],
        "set_quantity": [
            {"lineItemId": gid("LineItem", line_id), "quantity": q} for line_id, q in session.quantities.items()
        ],
    }


def preview(shop: ShopData, session: EditSession) -> model.Order:
    """The order as it would be after the staged changes (a copy; added lines carry their calculated ids)."""
    order = copy.deepcopy(shop.orders[session.order_id])
    calc_ids = iter([a["_calcId"] for a in session.additions if a["quantity"] > 0])
    errors = apply_edit(shop, order, _edit_input(session), lambda _kind: next(calc_ids))
    if errors:
        raise ValueError(f"staged order edit no longer applies: {errors}")
    return order


def commit(store: Store, shop: ShopData, calculated_id: str) -> tuple[model.Order | None, UserErrors]:
    session = _session(shop, calculated_id)
    if session is None:
        return None, [user_error(["id"], "The calculated order does not exist", None)]
    order = shop.orders[session.order_id]
    errors = edit_order(store, shop, order, _edit_input(session))
    if errors:
        return None, errors
    del shop.order_edits[session.id]
    return order, []
