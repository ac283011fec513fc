"""Payments taken after an order was placed: orderCreateManualPayment and orderCapture.

Each payment is its own OrderTransaction with its own processedAt (the emulator's
clock), so an order can go PENDING -> PARTIALLY_PAID -> PAID over several days.
Like the other order semantics, these return user errors instead of raising.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sandbox.shopify import model
from sandbox.shopify.model import Pair, parse_gid
from sandbox.shopify.money import convert, dec, rnd
from sandbox.shopify.orders import UserErrors, fee_for, user_error
from sandbox.shopify.store import ShopData, Store


def _amount(order: model.Order, value: Decimal, currency: str | None) -> Pair:
    """An amount in the shop currency, or in the presentment currency when that is the one named."""
    sc, pc = order.cur()
    if currency and currency == pc and pc != sc:
        return Pair(convert(rnd(value, pc), pc, sc), rnd(value, pc))
    return Pair(rnd(value, sc), convert(rnd(value, sc), sc, pc))


def create_manual_payment(store: Store, shop: ShopData, data: dict[str, Any]) -> tuple[model.Order | None, UserErrors]:
    """A manual payment of ``amount`` (default: all that is outstanding) by ``paymentMethodName``.

    Reference: https://shopify.dev/docs/api/admin-graphql/2025-04/mutations/orderCreateManualPayment
    ("You can only create a manual payment for an order if it isn't already fully paid"; without a
    payment method name the default manual method is used). The transaction's gateway is the
    method's name, or ``manual``; ``manualPaymentGateway`` is true either way.
    """
    order = shop.orders.get(parse_gid(data.get("id"), "Order") or -1)
    if order is None:
        return None, [user_error(["id"], "Order does not exist", "ORDER_NOT_FOUND")]
    outstanding = order.outstanding()
    money = data.get("amount")
    amount = _amount(order, dec(money["amount"]), money.get("currencyCode")) if money else outstanding
    if amount.shop <= 0:
        return order, [user_error(["amount"], "Amount must be positive", "AMOUNT_NOT_POSITIVE")]
    if amount.shop > outstanding.shop:
        return order, [user_error(["amount"], "Amount exceeds the remaining balance", "AMOUNT_EXCEEDS_BALANCE")]
    now = store.now()
    order.transactions.append(
        model.Transaction(
            id=store.next_id("Transaction"),
            kind="SALE",
            status="SUCCESS",
            gateway=data.get("paymentMethodName") or "manual",
            amount=amount,
            created_at=now,
            processed_at=now,
            test=order.test,
            manual=True,
        )
    )
    order.updated_at = now
    store.put(order)
    return order, []


def capture(
    store: Store, shop: ShopData, data: dict[str, Any]
) -> tuple[model.Transaction | None, model.Order | None, UserErrors]:
    """Captures ``amount`` of an authorization; Shopify Plus authorizations may be captured again.

    Reference: https://shopify.dev/docs/api/admin-graphql/2025-04/mutations/orderCapture
    (a partial capture takes less than the order total; ``finalCapture`` releases the rest).
    """
    order = shop.orders.get(parse_gid(data.get("id"), "Order") or -1)
    if order is None:
        return None, None, [user_error(["id"], "Order does not exist", None)]
    parent_id = parse_gid(data.get("parentTransactionId"), "OrderTransaction")
    auth = next((t for t in order.transactions if t.id == parent_id and t.kind == "AUTHORIZATION"), None)
    if auth is None:
        return None, order, [user_error(["parentTransactionId"], "Authorization transaction not found", None)]
    amount = _amount(order, dec(data.get("amount")), data.get("currency"))
    left = order.capturable_on(auth)
    if amount.shop <= 0 or amount.shop > left.shop:
        message = f"Amount must be greater than 0 and at most the capturable amount of {left.shop}"
        return None, order, [user_error(["amount"], message, None)]
    now = store.now()
    tx = model.Transaction(
        id=store.next_id("Transaction"),
        kind="CAPTURE",
        status="SUCCESS",
        gateway=auth.gateway,
        amount=amount,
        created_at=now,
        processed_at=now,
        test=order.test,
        parent_id=auth.id,
        final_capture=bool(data.get("finalCapture")),
    )
    pos = (order.source_name or "").lower() == "pos"
    tx.fees = fee_for(shop, auth.gateway, "CAPTURE", amount.shop, pos, store.next_id)
    order.transactions.append(tx)
    order.updated_at = now
    store.put(order)
    return tx, order, []
