"""Payment gateways: the family a gateway's clearing account is mapped under, and the money an
order's gateways actually took."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from shopqb_app.integrations.shopify.parse import Order
from syncing.ledger.money import ZERO, cents

SALE_KINDS = frozenset({"SALE", "CAPTURE"})


def gateway_key(gateway: str) -> str:
    g = gateway.lower().replace(" ", "_")
    if g.startswith("shopify_payments"):
        return "shopify_payments"
    if "paypal" in g:
        return "paypal"
    if g == "gift_card":
        return "gift_card"
    return "other"


def primary_gateway(order: Order) -> str:
    """The gateway that took the most money; the receipt is deposited to its clearing account."""
    totals: dict[str, Decimal] = {}
    for t in order.transactions:
        if t.kind in SALE_KINDS and t.status == "SUCCESS":
            totals[t.gateway] = totals.get(t.gateway, ZERO) + t.amount.shop.amount
    if totals:
        return max(sorted(totals), key=lambda g: totals[g])
    return order.gateways[0] if order.gateways else "manual"


def received(order: Order) -> tuple[Decimal, datetime | None]:
    """Money actually taken for the order (successful sales and captures) and when, last."""
    amount = ZERO
    when: datetime | None = None
    for t in order.transactions:
        if t.kind in SALE_KINDS and t.status == "SUCCESS":
            amount += t.amount.shop.amount
            if t.processed_at is not None:
                when = max(when, t.processed_at) if when else t.processed_at
    return cents(amount), when
