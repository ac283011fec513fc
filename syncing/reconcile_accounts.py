"""Reconciliation of the accounts where money waits: each clearing account, the gift card and
store credit liabilities, QuickBooks' balance (read back) against Shopify's figure (money in
transit, balances left on cards), and for every difference the documents that explain it.

Part of the reconciliation (syncing/reconcile.py builds ``Seen`` from Shopify's orders and
payouts, then calls ``accounts_reconcile``).
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from shopqb_app.integrations.shopify.balances import gift_cards, unpaid_balance_transactions
from shopqb_app.integrations.shopify.errors import ShopifyQueryError
from shopqb_app.text import counted
from syncing import ledger
from syncing.context import SyncContext
from syncing.ledger.gateways import gateway_key, liability_role, tender_totals
from syncing.reconcile_explained import (
    PAYMENTS_CLEARING_TYPES,
    ZERO,
    AccountCheck,
    Explanation,
    Seen,
    documents_missing,
    documents_not_ours,
    orders_booked_otherwise,
    read_back,
)


def accounts_reconcile(ctx: SyncContext, seen: Seen) -> list[AccountCheck]:
    """Each account where money waits, QuickBooks' balance against Shopify's figure: the Shopify
    Payments clearing account against the money no paid-out payout holds yet; other gateways'
    clearing accounts next to the money taken through them (their payouts are the merchant's to
    book); the gift card liability against the cards' balances; store credit, said plainly, not
    compared. Every difference is explained by the documents behind it where they can be found."""
    mapping = ctx.mapping
    payments = mapping.clearing_for("shopify_payments")
    groups: dict[str, set[str]] = {payments.value: {"shopify_payments"}}
    refs = {payments.value: payments}
    for order in seen.booked.values():
        for t in order.transactions:
            ref = mapping.clearing_for(t.gateway)
            groups.setdefault(ref.value, set()).add(t.gateway)
            refs[ref.value] = ref
    gift = mapping.accounts.get("gift_card_liability")
    store = mapping.accounts.get("store_credit_liability")
    ids = [*groups, *(ref.value for ref in (gift, store) if ref is not None)]
    balances = _account_balances(ctx.qb, ids)
    checks = [_payments_clearing(ctx, seen, payments, balances)]
    for account_id, gateways in sorted(groups.items(), key=lambda kv: refs[kv[0]].name):
        if account_id != payments.value:
            checks.append(_gateway_clearing(seen, refs[account_id], gateways, balances))
    if gift is not None:
        checks.append(_gift_card_liability(ctx, seen, gift, balances))
    if store is not None:
        qbo_balance, _liability = balances.get(store.value, (ZERO, True))
        checks.append(
            AccountCheck(
                "Store credit liability",
                store,
                qbo_balance,
                None,
                "Shopify's Admin API (2025-04) gives store credit balances per customer account "
                "(Customer.storeCreditAccounts), with no total for the shop",
                compared=False,
                liability=True,
            )
        )
    items = _item_accounts(ctx.qb, mapping.gift_card_item) if gift is not None else {}
    for check in checks:
        if check.unexplained:
            check.explanations.extend(documents_missing(ctx, seen, check, items))
        if check.unexplained and check.account == payments:
            check.explanations.extend(orders_booked_otherwise(ctx, seen, check))
        if check.unexplained:
            check.explanations.extend(documents_not_ours(ctx, check, items))
    return checks


def _account_balances(qb: Any, ids: list[str]) -> dict[str, tuple[Decimal, bool]]:
    """QuickBooks' CurrentBalance of each account, and whether it is a liability (whose balance is
    positive for a credit)."""
    # Reference: https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/account
    return {
        qbo_id: (Decimal(str(row.get("CurrentBalance") or "0")), row.get("Classification") == "Liability")
        for qbo_id, row in read_back(qb, "Account", sorted(set(ids))).items()
    }


def _payments_clearing(
    ctx: SyncContext, seen: Seen, account: ledger.Ref, balances: dict[str, tuple[Decimal, bool]]
) -> AccountCheck:
    """Shopify Payments clearing holds the order money (charges, refunds and their adjustments) no
    paid-out payout has taken to the bank yet; fees and other types go to their own accounts."""
    waiting = [t for t in unpaid_balance_transactions(ctx.shopify) if t.type in PAYMENTS_CLEARING_TYPES and not t.test]
    qbo_balance, liability = balances.get(account.value, (ZERO, False))
    check = AccountCheck(
        "Shopify Payments clearing",
        account,
        qbo_balance,
        sum((t.amount for t in waiting), ZERO),
        f"in transit: {counted(len(waiting), 'balance transaction')} not in a paid-out payout",
        liability=liability,
    )
    by_order: dict[str, Decimal] = defaultdict(Decimal)
    for t in waiting:
        if t.order_id in seen.not_booked:
            by_order[t.order_id] += t.amount
    for order_id, amount in by_order.items():
        name, reason, explains = seen.not_booked[order_id]
        check.explanations.append(
            Explanation(
                f"{name}: {amount:,.2f} in transit for an order ShopQB did not book ({reason})",
                -amount,
                explains,
                order_id,
            )
        )
    return check


def _gateway_clearing(
    seen: Seen, account: ledger.Ref, gateways: set[str], balances: dict[str, tuple[Decimal, bool]]
) -> AccountCheck:
    """Another gateway's clearing account: ShopQB books the money in and out of it but never that
    gateway's payouts, so what it holds is the merchant's to clear. A gift card or store credit
    tender's clearing account is emptied by the same day's journal entry: it nets to zero."""
    qbo_balance, liability = balances.get(account.value, (ZERO, False))
    names = ", ".join(sorted(gateways))
    if all(liability_role(g) for g in gateways):
        return AccountCheck(f"Clearing: {names}", account, qbo_balance, ZERO, "nets to zero", liability=liability)
    taken = ZERO
    for order in seen.booked.values():
        sales = tender_totals(order.transactions, ledger.SALE_KINDS)
        refunds = tender_totals((t for r in order.refunds for t in r.transactions), ledger.REFUND_KINDS)
        taken += sum((sales.get(g, ZERO) - refunds.get(g, ZERO) for g in gateways), ZERO)
    return AccountCheck(
        f"Clearing: {names}",
        account,
        qbo_balance,
        taken,
        f"money taken less refunded through {names} since the start date; its payouts are the merchant's to book",
        compared=False,
        liability=liability,
    )


def _gift_card_liability(
    ctx: SyncContext, seen: Seen, account: ledger.Ref, balances: dict[str, tuple[Decimal, bool]]
) -> AccountCheck:
    """The gift card liability against what is left on the cards the orders ShopQB books sold. Cards
    spent on booked orders that ShopQB never saw sold (issued by hand, sold before the start date),
    or booked cards spent on orders ShopQB does not book, account for the rest."""
    qbo_balance, _liability = balances.get(account.value, (ZERO, True))
    label = "Gift card liability"
    try:
        cards = gift_cards(ctx.shopify)
    except ShopifyQueryError as exc:
        return AccountCheck(label, account, qbo_balance, None, f"Shopify did not list gift cards ({exc})", False, True)
    sold = [c for c in cards if c.order_id in seen.booked]
    check = AccountCheck(
        label,
        account,
        qbo_balance,
        sum((c.balance for c in sold), ZERO),
        f"left on the {counted(len(sold), 'gift card')} sold by orders ShopQB books "
        f"(of {len(cards):,} cards; cards issued by hand or sold before the start date are left out)",
        liability=True,
    )
    redeemed = ZERO
    for order in seen.booked.values():
        used = tender_totals(order.transactions, ledger.SALE_KINDS)
        paid_back = tender_totals((t for r in order.refunds for t in r.transactions), ledger.REFUND_KINDS)
        redeemed += sum((amount for g, amount in used.items() if gateway_key(g) == "gift_card"), ZERO)
        redeemed -= sum((amount for g, amount in paid_back.items() if gateway_key(g) == "gift_card"), ZERO)
    spent = sum((c.spent for c in sold), ZERO)
    if spent != redeemed:
        check.explanations.append(
            Explanation(
                f"gift cards spent on booked orders {redeemed:,.2f}, spent from the cards they sold {spent:,.2f}: "
                "the rest was cards ShopQB did not see sold, or spent on orders it does not book",
                spent - redeemed,
                True,
            )
        )
    return check


def _item_accounts(qb: Any, item: ledger.Ref) -> dict[str, str]:
    """The account the gift card item books to: its sales lines move the liability."""
    row = read_back(qb, "Item", [item.value]).get(item.value) or {}
    income = row.get("IncomeAccountRef") or {}
    return {item.value: str(income.get("value") or "")}
