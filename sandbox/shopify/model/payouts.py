"""Shopify Payments records: payouts and the balance transactions they pay out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sandbox.shopify.model.base import Record


@dataclass(eq=False)
class Payout(Record):
    shop: str
    id: int
    issued_at: datetime
    status: str
    currency: str
    net: Decimal
    summary: dict[str, tuple[Decimal, Decimal]]  # category -> (gross, fee)
    transaction_type: str = "DEPOSIT"


@dataclass(eq=False)
class BalanceTransaction(Record):
    shop: str
    id: int
    type: str  # ShopifyPaymentsTransactionType: CHARGE REFUND ADJUSTMENT DISPUTE_WITHDRAWAL RESERVED_FUNDS TRANSFER...
    amount: Decimal
    fee: Decimal
    currency: str
    transaction_date: datetime
    source_type: str | None = None  # ShopifyPaymentsSourceType: CHARGE REFUND DISPUTE ADJUSTMENT SYSTEM_ADJUSTMENT...
    source_id: int | None = None
    source_order_transaction_id: int | None = None
    order_id: int | None = None
    order_name: str | None = None
    payout_id: int | None = None
    payout_status: str = "PENDING"
    test: bool = False
    adjustment_reason: str | None = None

    @property
    def net(self) -> Decimal:
        return self.amount - self.fee
