"""Shopify Payments: balance transactions for charges and refunds, daily payouts (emulator control).

Each successful Shopify Payments sale/capture is a CHARGE balance transaction
(amount, processing fee), each refund a REFUND (negative, no fee), manual
adjustments an ADJUSTMENT. ``run_payouts`` groups the unpaid ones per day in the
shop's time zone (test transactions never pay out): payout net = charges - fees
- refunds + adjustments, a TRANSFER balance transaction for the payout itself,
and the summary Shopify reports.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sandbox.shopify import model
from sandbox.shopify.money import ZERO
from sandbox.shopify.store import ShopData, Store

SUMMARY_KEYS = ("charges", "refunds", "adjustments", "reservedFunds", "retriedPayouts", "advance")


def sync_balance_transactions(store: Store, shop: ShopData) -> int:
    """Create balance transactions for Shopify Payments transactions that have none yet."""
    seen = {b.source_order_transaction_id for b in shop.tables["BalanceTransaction"].values()}
    created = 0
    for order in sorted(shop.orders.values(), key=lambda o: o.id):
        for t in order.transactions:
            if t.gateway != "shopify_payments" or t.status != "SUCCESS" or t.id in seen:
                continue
            if t.kind in ("SALE", "CAPTURE"):
                kind, amount, fee = "CHARGE", t.amount.shop, t.fee_total
            elif t.kind == "REFUND":
                kind, amount, fee = "REFUND", -t.amount.shop, ZERO
            else:
                continue
            store.put(
                model.BalanceTransaction(
                    shop=shop.domain,
                    id=store.next_id("BalanceTransaction"),
                    type=kind,
                    amount=amount,
                    fee=fee,
                    currency=shop.config.currency,
                    transaction_date=t.processed_at,
                    source_type=kind,
                    source_id=t.id,
                    source_order_transaction_id=t.id,
                    order_id=order.id,
                    order_name=order.name,
                    test=t.test or order.test,
                )
            )
            created += 1
    return created


def add_adjustment(store: Store, shop: ShopData, amount: Decimal, reason: str, when: datetime | None = None) -> Any:
    adj = model.BalanceTransaction(
        shop=shop.domain,
        id=store.next_id("BalanceTransaction"),
        type="ADJUSTMENT",
        amount=amount,
        fee=ZERO,
        currency=shop.config.currency,
        transaction_date=when or store.now(),
        source_type="ADJUSTMENT",
        adjustment_reason=reason,
    )
    store.put(adj)
    return adj


def run_payouts(store: Store, shop: ShopData, through: date | None = None, status: str = "PAID") -> list[model.Payout]:
    """Pay out every unpaid, non-test balance transaction dated on or before ``through`` (default: yesterday)."""
    tz = ZoneInfo(shop.config.timezone)
    sync_balance_transactions(store, shop)
    if through is None:
        through = store.now().astimezone(tz).date() - timedelta(days=1)
    by_day: dict[date, list[model.BalanceTransaction]] = defaultdict(list)
    for b in shop.tables["BalanceTransaction"].values():
        if b.payout_id is None and not b.test and b.type != "TRANSFER":
            day = b.transaction_date.astimezone(tz).date()
            if day <= through:
                by_day[day].append(b)
    payouts = []
    for day in sorted(by_day):
        items = sorted(by_day[day], key=lambda b: b.id)
        summary: dict[str, tuple[Decimal, Decimal]] = {k: (ZERO, ZERO) for k in SUMMARY_KEYS}
        for b in items:
            key = {"CHARGE": "charges", "REFUND": "refunds"}.get(b.type, "adjustments")
            gross, fee = summary[key]
            summary[key] = (gross + b.amount, fee + b.fee)
        net = sum((b.net for b in items), ZERO)
        issued = datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=tz)
        payout = model.Payout(
            shop=shop.domain,
            id=store.next_id("Payout"),
            issued_at=issued,
            status=status,
            currency=shop.config.currency,
            net=abs(net),
            summary=summary,
            transaction_type="DEPOSIT" if net >= 0 else "WITHDRAWAL",
        )
        store.put(payout)
        for b in items:
            b.payout_id = payout.id
            b.payout_status = status
            store.put(b)
        store.put(
            model.BalanceTransaction(
                shop=shop.domain,
                id=store.next_id("BalanceTransaction"),
                type="TRANSFER",
                amount=-net,
                fee=ZERO,
                currency=shop.config.currency,
                transaction_date=issued,
                source_type="TRANSFER",
                source_id=payout.id,
                payout_id=payout.id,
                payout_status=status,
            )
        )
        payouts.append(payout)
    return payouts
