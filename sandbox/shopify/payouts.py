"""Shopify Payments: balance transactions and daily payouts (emulator control).

Each successful Shopify Payments sale/capture is a CHARGE balance transaction
(amount, processing fee), each refund a REFUND (negative; its fee is the refund
transaction's own, none unless one was charged: Shopify takes no fee to refund but
keeps the charge's). The money that is not a sale comes from the functions below:
manual ADJUSTMENTs, disputes (DISPUTE_WITHDRAWAL with the chargeback fee, then
DISPUTE_REVERSAL returning both when won), reserves (RESERVED_FUNDS held,
RESERVED_FUNDS_REVERSAL released), Shopify Capital (ADVANCE paid in,
ADVANCE_FUNDING repayments withheld) and duties (CUSTOMS_DUTY, IMPORT_TAX).
Amounts are what a transaction adds to the balance, fees what Shopify keeps, and
net = amount - fee.

``run_payouts`` groups the unpaid ones per day in the shop's time zone (test
transactions never pay out): one payout per day for their net, a WITHDRAWAL (money
taken from the bank, ``net`` its unsigned amount) when the day's net is negative, a
TRANSFER balance transaction for the payout itself, and the summary Shopify reports
per family.

Reference: https://shopify.dev/docs/api/admin-graphql/2025-04/objects/ShopifyPaymentsBalanceTransaction
Reference: https://help.shopify.com/en/manual/payments/shopify-payments/glossary
Reference: https://help.shopify.com/en/manual/payments/shopify-payments/getting-paid-with-shopify-payments/refunds
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
# The summary family of each type; every other type (disputes included, as Shopify documents
# adjustmentsGross: "all adjustments including disputes") is an adjustment.
# Reference: https://shopify.dev/docs/api/admin-graphql/2025-04/objects/ShopifyPaymentsPayoutSummary
SUMMARY_OF = {
    "CHARGE": "charges",
    "REFUND": "refunds",
    "RESERVED_FUNDS": "reservedFunds",
    "RESERVED_FUNDS_REVERSAL": "reservedFunds",
    "ADVANCE": "advance",
    "ADVANCE_FUNDING": "advance",
    "TRANSFER_FAILURE": "retriedPayouts",
    "TRANSFER_CANCEL": "retriedPayouts",
}
# The chargeback fee in the shop's currency (Shopify's glossary: $15 in the United States and
# Canada, 10 GBP, 15 EUR, 25 AUD); others fall back to 15.
DISPUTE_FEES = {"USD": Decimal("15.00"), "CAD": Decimal("15.00"), "GBP": Decimal("10.00"), "AUD": Decimal("25.00")}


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
                kind, amount, fee = "REFUND", -t.amount.shop, t.fee_total
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


def _movement(
    store: Store,
    shop: ShopData,
    kind: str,
    amount: Decimal,
    when: datetime | None,
    *,
    fee: Decimal = ZERO,
    source_type: str = "SYSTEM_ADJUSTMENT",
    source_id: int | None = None,
    order: model.Order | None = None,
    reason: str | None = None,
) -> model.BalanceTransaction:
    """A balance transaction that is not a sale: signed as Shopify signs it (what it adds to the balance)."""
    movement = model.BalanceTransaction(
        shop=shop.domain,
        id=store.next_id("BalanceTransaction"),
        type=kind,
        amount=amount,
        fee=fee,
        currency=shop.config.currency,
        transaction_date=when or store.now(),
        source_type=source_type,
        source_id=source_id,
        order_id=order.id if order else None,
        order_name=order.name if order else None,
        adjustment_reason=reason,
    )
    store.put(movement)
    return movement


def add_adjustment(store: Store, shop: ShopData, amount: Decimal, reason: str, when: datetime | None = None) -> Any:
    return _movement(store, shop, "ADJUSTMENT", amount, when, source_type="ADJUSTMENT", reason=reason)


def charge_refund_fee(store: Store, shop: ShopData, order: model.Order, fee: Decimal) -> model.BalanceTransaction:
    """A fee on the order's last Shopify Payments refund (where Shopify charges one): on the refund
    transaction itself, as Shopify reports it, and on its REFUND balance transaction."""
    refund = next(
        t
        for t in reversed(order.transactions)
        if t.gateway == "shopify_payments" and t.kind == "REFUND" and t.status == "SUCCESS"
    )
    refund.fees.append(
        model.Fee(id=store.next_id("Fee"), amount=fee, flat_fee=fee, rate=ZERO, rate_name="refund", type="refund_fee")
    )
    store.put(order)
    sync_balance_transactions(store, shop)
    balance = next(b for b in shop.tables["BalanceTransaction"].values() if b.source_order_transaction_id == refund.id)
    if balance.payout_id is not None:
        raise ValueError("the refund was paid out already")
    balance.fee = refund.fee_total
    store.put(balance)
    return balance


def _charge_of(order: model.Order) -> model.Transaction:
    return next(
        t
        for t in order.transactions
        if t.gateway == "shopify_payments" and t.kind in ("SALE", "CAPTURE") and t.status == "SUCCESS"
    )


def open_dispute(
    store: Store, shop: ShopData, order: model.Order, amount: Decimal | None = None, when: datetime | None = None
) -> model.BalanceTransaction:
    """A chargeback on the order's Shopify Payments charge: the disputed amount (the whole charge
    by default) and the chargeback fee are withdrawn from the balance at once."""
    charge = _charge_of(order)
    disputed = charge.amount.shop if amount is None else amount
    fee = DISPUTE_FEES.get(shop.config.currency, Decimal("15.00"))
    return _movement(
        store,
        shop,
        "DISPUTE_WITHDRAWAL",
        -disputed,
        when,
        fee=fee,
        source_type="DISPUTE",
        source_id=store.next_id("Dispute"),
        order=order,
    )


def win_dispute(
    store: Store, shop: ShopData, withdrawal: model.BalanceTransaction, when: datetime | None = None
) -> model.BalanceTransaction:
    """The dispute won: Shopify returns the recovered amount and the chargeback fee."""
    order = shop.orders.get(withdrawal.order_id or 0)
    return _movement(
        store,
        shop,
        "DISPUTE_REVERSAL",
        -withdrawal.amount,
        when,
        fee=-withdrawal.fee,
        source_type="DISPUTE",
        source_id=withdrawal.source_id,
        order=order,
    )


def hold_reserve(
    store: Store, shop: ShopData, amount: Decimal, when: datetime | None = None
) -> model.BalanceTransaction:
    """Shopify holds ``amount`` of the balance back as a reserve."""
    return _movement(store, shop, "RESERVED_FUNDS", -amount, when)


def release_reserve(
    store: Store, shop: ShopData, amount: Decimal, when: datetime | None = None
) -> model.BalanceTransaction:
    """Shopify releases ``amount`` of the reserve back to the balance."""
    return _movement(store, shop, "RESERVED_FUNDS_REVERSAL", amount, when)


def pay_advance(
    store: Store, shop: ShopData, amount: Decimal, when: datetime | None = None
) -> model.BalanceTransaction:
    """A Shopify Capital advance paid into the balance."""
    return _movement(store, shop, "ADVANCE", amount, when)


def repay_advance(
    store: Store, shop: ShopData, amount: Decimal, when: datetime | None = None
) -> model.BalanceTransaction:
    """A Shopify Capital repayment withheld from the balance."""
    return _movement(store, shop, "ADVANCE_FUNDING", -amount, when)


def charge_duties(
    store: Store,
    shop: ShopData,
    order: model.Order,
    amount: Decimal,
    kind: str = "CUSTOMS_DUTY",
    when: datetime | None = None,
) -> model.BalanceTransaction:
    """Duties (CUSTOMS_DUTY) or import taxes (IMPORT_TAX) collected on ``order`` at checkout, taken
    from the balance to pay the customs authority."""
    return _movement(store, shop, kind, -amount, when, source_type="CHARGE", order=order)


def seed_payout_cases(store: Store, shop: ShopData) -> list[model.Payout]:
    """The demo's payouts beyond sales: two days ago a payout with a dispute lost, a dispute won,
    a reserve held, a Shopify Capital advance and its first repayment, duties, import taxes and an
    adjustment, with that day's charges and refunds; yesterday a withdrawal (money taken from the
    bank, as long as the disputed charge is over 10): a second dispute lost, the reserve released
    and a repayment, nothing else that day.

    Needs three orders paid through Shopify Payments; returns the payouts it made.
    """
    paid = [o for o in sorted(shop.orders.values(), key=lambda o: o.id) if _has_charge(o) and not o.test]
    if len(paid) < 3:
        raise ValueError("seed_payout_cases needs three orders paid through Shopify Payments")
    lost, won, lost_later = paid[-1], paid[-2], paid[-3]
    tz = ZoneInfo(shop.config.timezone)
    today = store.now().astimezone(tz).date()
    first = datetime.combine(today - timedelta(days=2), time(12, 0), tzinfo=tz)
    second = first + timedelta(days=1)
    with store.lock:
        open_dispute(store, shop, lost, when=first)
        win_dispute(store, shop, open_dispute(store, shop, won, when=first), when=first + timedelta(hours=2))
        hold_reserve(store, shop, Decimal("50.00"), when=first)
        pay_advance(store, shop, Decimal("500.00"), when=first)
        repay_advance(store, shop, Decimal("25.00"), when=first)
        charge_duties(store, shop, won, Decimal("7.50"), when=first)
        charge_duties(store, shop, won, Decimal("3.20"), kind="IMPORT_TAX", when=first)
        add_adjustment(store, shop, Decimal("1.20"), "Processing fee returned", when=first)
        payouts = run_payouts(store, shop, through=first.date())
        # Yesterday's sales go out on their own first, so that the withdrawal is one.
        payouts += run_payouts(store, shop, through=second.date())
        open_dispute(store, shop, lost_later, when=second)
        release_reserve(store, shop, Decimal("50.00"), when=second)
        repay_advance(store, shop, Decimal("25.00"), when=second)
        payouts += run_payouts(store, shop, through=second.date())
        store.flush()
    return payouts


def _has_charge(order: model.Order) -> bool:
    return any(
        t.gateway == "shopify_payments" and t.kind in ("SALE", "CAPTURE") and t.status == "SUCCESS"
        for t in order.transactions
    )


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
            key = SUMMARY_OF.get(b.type, "adjustments")
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
