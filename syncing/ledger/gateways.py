"""Payment gateways: the family a gateway's clearing account is mapped under, and the money an
order's gateways actually took."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from shopqb_app.integrations.shopify.parse import Order, Transaction
from syncing.ledger.money import ZERO, cents

SALE_KINDS = frozenset({"SALE", "CAPTURE"})
# Tenders that are not money in: spending a gift card or store credit reduces the liability its
# issue created (the mapping role of that liability's account, by gateway family).
LIABILITY_TENDERS = {"gift_card": "gift_card_liability", "store_credit": "store_credit_liability"}


def gateway_key(gateway: str) -> str:
    g = gateway.lower().replace(" ", "_")
    if g.startswith("shopify_payments"):
        return "shopify_payments"
    if "paypal" in g:
        return "paypal"
    if g == "gift_card":
        return "gift_card"
    if "store_credit" in g:
        return "store_credit"
    return "other"


def liability_role(gateway: str) -> str:
    """The mapping role of the liability a tender reduces (gift card, store credit), or ''."""
    return LIABILITY_TENDERS.get(gateway_key(gateway), "")


def tender_totals(transactions: Iterable[Transaction], kinds: frozenset[str]) -> dict[str, Decimal]:
    """Money per gateway in the successful transactions of ``kinds``, in shop money, to the cent."""
    totals: dict[str, Decimal] = {}
    for t in transactions:
        if t.kind in kinds and t.status == "SUCCESS":
            totals[t.gateway] = totals.get(t.gateway, ZERO) + t.amount.shop.amount
    return {gateway: cents(amount) for gateway, amount in totals.items() if cents(amount)}


def primary_of(totals: dict[str, Decimal], fallback: str = "manual") -> str:
    """The tender that took (or paid back) the most, money before gift cards and store credit; its
    clearing account is where the document's money goes (other tenders are moved by a journal
    entry). Ties go to the first name in order, so the choice never changes between runs."""
    if not totals:
        return fallback
    return max(sorted(totals), key=lambda g: (not liability_role(g), totals[g]))


def primary_gateway(order: Order) -> str:
    """The tender the sale is deposited through (``primary_of`` over its sales and captures)."""
    fallback = order.gateways[0] if order.gateways else "manual"
    return primary_of(tender_totals(order.transactions, SALE_KINDS), fallback)


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
