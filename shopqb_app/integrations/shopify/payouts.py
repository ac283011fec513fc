"""Shopify Payments payouts and the balance transactions each one paid out, typed at the boundary.

A payout's ``summary`` only gives sums per family (charges, refunds, "adjustments including
disputes", reserves, advances, retries); the books need each movement on its own account, so
the payout is read together with its balance transactions (Shopify's ledger of the account).
Money is Decimal (JSON decoded with ``parse_float=Decimal``); signs are Shopify's: an amount is
what the transaction added to the balance (a refund, a dispute or a reserve held is negative), a
fee what Shopify kept (positive = a cost), and net = amount - fee. Nothing here touches the
network (the ledger imports these types); syncing/payouts.py reads them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from shopqb_app.integrations.shopify.parse import ZERO, Money, parse_datetime, parse_money

GROSS_FIELDS = (
    "chargesGross",
    "refundsFeeGross",
    "adjustmentsGross",
    "advanceGross",
    "reservedFundsGross",
    "retriedPayoutsGross",
)
FEE_FIELDS = ("chargesFee", "refundsFee", "adjustmentsFee", "advanceFees", "reservedFundsFee", "retriedPayoutsFee")


@dataclass(frozen=True)
class BalanceTransaction:
    """One movement of money in the Shopify Payments balance."""

    id: str
    type: str  # ShopifyPaymentsTransactionType: CHARGE, REFUND, DISPUTE_WITHDRAWAL, RESERVED_FUNDS...
    transaction_date: datetime
    amount: Decimal
    fee: Decimal
    net: Decimal
    currency: str
    source_type: str
    source_id: str
    source_order_transaction_id: str
    adjustment_reason: str
    order_id: str
    order_name: str
    test: bool


@dataclass(frozen=True)
class Payout:
    """A Shopify Payments payout: what reached (or left) the bank, and what it is made of."""

    id: str
    number: str
    issued_at: datetime
    status: str
    kind: str  # DEPOSIT, or WITHDRAWAL: money taken from the bank
    net: Money  # as Shopify states it (a withdrawal's amount may come unsigned)
    summary: dict[str, Decimal]  # summary field name -> amount
    transactions: tuple[BalanceTransaction, ...] = ()

    @property
    def signed_net(self) -> Decimal:
        """What the bank received: negative for a withdrawal."""
        return -abs(self.net.amount) if self.kind == "WITHDRAWAL" else self.net.amount

    @property
    def gross(self) -> Decimal:
        """Charges, refunds, adjustments, advances, reserves and retries, signed, before fees."""
        return sum((self.summary.get(name, ZERO) for name in GROSS_FIELDS), ZERO)

    @property
    def fees(self) -> Decimal:
        """What Shopify kept, over every family (positive = a cost)."""
        return sum((self.summary.get(name, ZERO) for name in FEE_FIELDS), ZERO)


def parse_balance_transaction(raw: dict[str, Any]) -> BalanceTransaction:
    amount = parse_money(raw.get("amount"))
    fee = parse_money(raw.get("fee")).amount
    net = raw.get("net")
    order = raw.get("associatedOrder") or {}
    return BalanceTransaction(
        id=str(raw["id"]),
        type=str(raw.get("type") or ""),
        transaction_date=parse_datetime(raw["transactionDate"]),
        amount=amount.amount,
        fee=fee,
        net=parse_money(net).amount if net else amount.amount - fee,
        currency=amount.currency,
        source_type=str(raw.get("sourceType") or ""),
        source_id=str(raw.get("sourceId") or ""),
        source_order_transaction_id=str(raw.get("sourceOrderTransactionId") or ""),
        adjustment_reason=str(raw.get("adjustmentReason") or ""),
        order_id=str(order.get("id") or ""),
        order_name=str(order.get("name") or ""),
        test=bool(raw.get("test")),
    )


def parse_payout(raw: dict[str, Any], transactions: list[dict[str, Any]] | None = None) -> Payout:
    summary = raw.get("summary") or {}
    return Payout(
        id=str(raw["id"]),
        number=str(raw.get("legacyResourceId") or raw["id"].rsplit("/", 1)[-1]),
        issued_at=parse_datetime(raw["issuedAt"]),
        status=str(raw.get("status") or ""),
        kind=str(raw.get("transactionType") or "DEPOSIT"),
        net=parse_money(raw.get("net")),
        summary={name: parse_money(summary.get(name)).amount for name in GROSS_FIELDS + FEE_FIELDS},
        transactions=tuple(parse_balance_transaction(t) for t in transactions or []),
    )
