"""Refunds and cancellations, like Shopify: refundCreate and orderCancel (user errors, never raises)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sandbox.shopify import model
from sandbox.shopify.model import Pair, parse_gid
from sandbox.shopify.money import convert, dec, rnd
from sandbox.shopify.orders import UserErrors, move_stock, user_error
from sandbox.shopify.store import ShopData, Store

RESTOCKING = ("RETURN", "CANCEL", "LEGACY_RESTOCK")
ShippingRefund = tuple[model.ShippingLine, Pair, Pair]  # line, subtotal, tax


def find_refund(shop: ShopData, refund_id: int | None) -> tuple[model.Order, model.Refund] | None:
    """The order holding a refund, and the refund (``refund(id:)`` and ``node`` look refunds up)."""
    for order in shop.orders.values():
        for refund in order.refunds:
            if refund.id == refund_id:
                return order, refund
    return None


def _refundable(order: model.Order) -> dict[int, Pair]:
    """Net amount still refundable per parent sale/capture transaction."""
    out: dict[int, Pair] = {}
    for t in order.transactions:
        if t.kind in ("SALE", "CAPTURE") and t.status == "SUCCESS":
            out[t.id] = Pair(t.amount.shop, t.amount.pres)
    for t in order.transactions:
        if t.kind == "REFUND" and t.status == "SUCCESS" and t.parent_id in out:
            out[t.parent_id] = out[t.parent_id] - t.amount
    return out


def create_refund(
    store: Store, shop: ShopData, data: dict[str, Any], *, restock_default: str = "NO_RESTOCK"
) -> tuple[model.Refund | None, model.Order | None, UserErrors]:
    order = shop.orders.get(parse_gid(data.get("orderId"), "Order"))
    if order is None:
        return None, None, [user_error(["orderId"], "Order does not exist", None)]
    sc, pc = order.cur()
    now = store.now()
    currency = data.get("currency") or sc
    if currency not in (sc, pc):
        return None, order, [user_error(["currency"], f"Currency must be {sc} or {pc}", None)]
    errors: UserErrors = []
    refund = model.Refund(id=store.next_id("Refund"), created_at=now, note=data.get("note"))
    pending = _refund_lines(shop, order, data.get("refundLineItems") or [], restock_default, errors)
    shipping_refund = _shipping_refund(order, data.get("shipping") or {}, currency, errors)
    new_txs = _refund_transactions(store, order, refund, data.get("transactions") or [], currency, errors)
    duties = _refund_duties(order, data.get("refundDuties") or [], pending, errors)
    if errors:
        return None, order, errors
    for duty, amount in duties:
        duty.refunded = duty.refunded + amount
    refund.duties = tuple(model.RefundDuty(duty.id, amount) for duty, amount in duties)
    for line, qty, restock, location_id in pending:
        refund.line_items.append(_refund_line(store, order, line, qty, restock, location_id))
        line.refunded_quantity += qty
        if restock in RESTOCKING:
            line.restocked_quantity += qty
            move_stock(store, shop, line, qty, location_id)
    if shipping_refund:
        s, amount, tax = shipping_refund
        s.refunded = s.refunded + amount + (tax if order.taxes_included else Pair())
        s.refunded_tax = s.refunded_tax + tax
        refund.shipping.append(
            model.RefundShippingLine(
                id=store.next_id("RefundShippingLine"), shipping_line_id=s.id, subtotal=amount, tax=tax
            )
        )
    refund.transaction_ids = [t.id for t in new_txs]
    order.transactions.extend(new_txs)
    order.refunds.append(refund)
    order.updated_at = now
    store.put(order)
    return refund, order, []


def _refund_lines(
    shop: ShopData, order: model.Order, items: list[dict[str, Any]], restock_default: str, errors: UserErrors
) -> list[tuple[model.LineItem, int, str, int | None]]:
    """(line, quantity, restock type, location id) per refund line item that can be refunded."""
    pending: list[tuple[model.LineItem, int, str, int | None]] = []
    for i, item in enumerate(items):
        line = order.line(parse_gid(item.get("lineItemId"), "LineItem") or -1)
        qty = item.get("quantity") or 0
        if line is None:
            errors.append(user_error(["refundLineItems", str(i), "lineItemId"], "Line item does not exist", None))
            continue
        if qty <= 0 or qty > line.current_quantity:
            errors.append(
                user_error(
                    ["refundLineItems", str(i), "quantity"],
                    "Quantity cannot refund more items than were purchased",
                    None,
                )
            )
            continue
        restock = item.get("restockType") or restock_default
        location_id = parse_gid(item.get("locationId"), "Location")
        if restock in RESTOCKING and item.get("locationId") and location_id not in shop.tables["Location"]:
            errors.append(user_error(["refundLineItems", str(i), "locationId"], "Location does not exist", None))
            continue
        pending.append((line, qty, restock, location_id))
    return pending


def _refund_duties(
    order: model.Order,
    items: list[dict[str, Any]],
    pending: list[tuple[model.LineItem, int, str, int | None]],
    errors: UserErrors,
) -> list[tuple[model.Duty, Pair]]:
    """(duty, amount) per RefundDutyInput: FULL gives back what is left of the duty, PROPORTIONAL
    the share of the line's current quantity this refund takes.

    Reference: https://shopify.dev/docs/api/admin-graphql/2025-04/input-objects/RefundDutyInput
    """
    sc, pc = order.cur()
    by_id = {duty.id: (li, duty) for li in order.line_items for duty in li.duties}
    out: list[tuple[model.Duty, Pair]] = []
    for i, item in enumerate(items):
        found = by_id.get(parse_gid(item.get("dutyId"), "Duty") or -1)
        if found is None:
            errors.append(user_error(["refundDuties", str(i), "dutyId"], "Duty does not exist", None))
            continue
        line, duty = found
        left = duty.price - duty.refunded
        if (item.get("refundType") or "FULL") == "FULL":
            out.append((duty, left))
            continue
        qty = sum(q for li, q, _r, _l in pending if li.id == line.id)
        out.append((duty, left.scale(qty, line.current_quantity, sc, pc) if line.current_quantity else Pair()))
    return out


def _amount(order: model.Order, value: Decimal, currency: str) -> Pair:
    """An amount given in the shop or the presentment currency, as a Pair."""
    sc, pc = order.cur()
    return Pair(value, convert(value, sc, pc)) if currency == sc else Pair(convert(value, pc, sc), value)


def _shipping_refund(
    order: model.Order, ship: dict[str, Any], currency: str, errors: UserErrors
) -> ShippingRefund | None:
    if not ship or not order.shipping_lines:
        return None
    sc, pc = order.cur()
    s = order.shipping_lines[0]
    remaining = s.discounted_price - s.refunded
    tax_total = model.psum(t.price for t in s.tax_lines)
    tax_remaining = tax_total - s.refunded_tax
    if ship.get("fullRefund"):
        amount, tax = remaining, tax_remaining
    else:
        amount = _amount(order, dec(ship.get("amount")), currency)
        if amount.shop > remaining.shop:
            errors.append(
                user_error(
                    ["shipping", "amount"], "Shipping refund amount is greater than the refundable shipping", None
                )
            )
        share = amount.shop / remaining.shop if remaining.shop else Decimal(0)
        tax = Pair(rnd(tax_remaining.shop * share, sc), rnd(tax_remaining.pres * share, pc))
    if order.taxes_included:
        amount = amount - tax  # shipping subtotal excludes the tax it contained
    return s, amount, tax


def _refund_transactions(
    store: Store,
    order: model.Order,
    refund: model.Refund,
    tx_inputs: list[dict[str, Any]],
    currency: str,
    errors: UserErrors,
) -> list[model.Transaction]:
    """REFUND transactions, each within what its parent sale or capture has left."""
    refundable = _refundable(order)
    new_txs: list[model.Transaction] = []
    for i, t in enumerate(tx_inputs):
        amount = _amount(order, dec(t.get("amount")), currency)
        parent_id = parse_gid(t.get("parentId"), "OrderTransaction")
        if parent_id is None:
            candidates = [p for p in order.transactions if p.id in refundable and p.gateway == t.get("gateway")]
            parent_id = candidates[0].id if candidates else None
        if parent_id not in refundable:
            errors.append(
                user_error(["transactions", str(i), "parentId"], "Parent transaction not found or not refundable", None)
            )
            continue
        if amount.shop > refundable[parent_id].shop:
            errors.append(
                user_error(
                    ["transactions", str(i), "amount"],
                    f"Refund amount exceeds the refundable amount of {refundable[parent_id].shop}",
                    None,
                )
            )
            continue
        refundable[parent_id] = refundable[parent_id] - amount
        new_txs.append(
            model.Transaction(
                id=store.next_id("Transaction"),
                kind="REFUND",
                status="SUCCESS",
                gateway=t.get("gateway") or "manual",
                amount=amount,
                created_at=refund.created_at,
                processed_at=refund.created_at,
                test=order.test,
                parent_id=parent_id,
                refund_id=refund.id,
            )
        )
    return new_txs


def _refund_line(
    store: Store, order: model.Order, line: model.LineItem, qty: int, restock: str, location_id: int | None
) -> model.RefundLineItem:
    """The refunded share of a line: its discounts and taxes prorated to ``qty``."""
    sc, pc = order.cur()
    disc = line.discount_total.scale(qty, line.quantity, sc, pc)
    gross = Pair(line.unit_price.shop * qty, line.unit_price.pres * qty)
    tax = line.tax_total.scale(qty, line.quantity, sc, pc)
    subtotal = gross - disc
    unit = Pair(rnd(subtotal.shop / qty, sc), rnd(subtotal.pres / qty, pc))
    return model.RefundLineItem(
        id=store.next_id("RefundLineItem"),
        line_item_id=line.id,
        quantity=qty,
        restock_type=restock,
        location_id=location_id,
        price=unit,
        subtotal=subtotal,
        tax=tax,
    )


def cancel_order(
    store: Store, shop: ShopData, order_id: str, reason: str, refund: bool, restock: bool
) -> tuple[model.Order | None, model.Refund | None, UserErrors]:
    """orderCancel: with ``refund`` every gateway gets back what it still holds (a refund with the
    lines, shipping and duties); without it the money stays and only the order is cancelled.
    Authorizations are voided either way. ``staffNote`` is accepted and not kept (no 2025-04 field
    shows it).

    Reference: https://shopify.dev/docs/api/admin-graphql/2025-04/mutations/orderCancel
    """
    order = shop.orders.get(parse_gid(order_id, "Order"))
    if order is None:
        return None, None, [user_error(["orderId"], "Order does not exist", "NOT_FOUND")]
    if order.cancelled_at is not None:
        return (
            order,
            None,
            [user_error(["orderId"], "Cannot cancel an order that has already been cancelled", "INVALID")],
        )
    created = None
    now = store.now()
    if refund:
        payload = _cancel_refund_input(order, restock)
        if payload["refundLineItems"] or payload["transactions"]:
            created, _order, errors = create_refund(store, shop, payload)
            if errors:
                return order, None, errors
    elif restock:
        for li in order.line_items:
            if li.current_quantity > 0:
                move_stock(store, shop, li, li.current_quantity, order.location_id)
    # "Authorized payments will be voided regardless of this setting" (the `refund` argument).
    _void_authorizations(store, order, now)
    order.cancelled_at = now
    order.cancel_reason = reason
    order.closed_at = now
    order.updated_at = now
    store.put(order)
    return order, created, []


def _cancel_refund_input(order: model.Order, restock: bool) -> dict[str, Any]:
    """The refundCreate input that gives back what was paid per gateway (and the remaining shipping)."""
    refundable = _refundable(order)
    items = [
        {
            "lineItemId": model.gid("LineItem", li.id),
            "quantity": li.current_quantity,
            "restockType": "CANCEL" if restock else "NO_RESTOCK",
        }
        for li in order.line_items
        if li.current_quantity > 0
    ]
    txs = [
        {
            "amount": str(amount.shop),
            "gateway": t.gateway,
            "kind": "REFUND",
            "orderId": model.gid("Order", order.id),
            "parentId": model.gid("OrderTransaction", t.id),
        }
        for t in order.transactions
        if (amount := refundable.get(t.id)) is not None and amount.shop > 0
    ]
    payload: dict[str, Any] = {
        "orderId": model.gid("Order", order.id),
        "refundLineItems": items,
        "transactions": txs,
        "refundDuties": [
            {"dutyId": model.gid("Duty", duty.id), "refundType": "FULL"}
            for duty in order.duties()
            if (duty.price - duty.refunded).shop > 0
        ],
    }
    if any((s.discounted_price - s.refunded).shop > 0 for s in order.shipping_lines):
        payload["shipping"] = {"fullRefund": True}
    return payload


def _void_authorizations(store: Store, order: model.Order, now: datetime) -> None:
    for auth in [t for t in order.transactions if t.kind == "AUTHORIZATION" and order.capturable_on(t).shop > 0]:
        order.transactions.append(
            model.Transaction(
                id=store.next_id("Transaction"),
                kind="VOID",
                status="SUCCESS",
                gateway=auth.gateway,
                amount=Pair(),
                created_at=now,
                processed_at=now,
                test=order.test,
                parent_id=auth.id,
            )
        )
