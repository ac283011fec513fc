"""What the Orders page is made of: an order's state in merchant words, its documents, the filters
and a page (syncing/orders_page.py builds it; syncing/order_candidates.py pages through the sources)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from syncing.models import SyncedRecord

PAGE_SIZE = 50
ORDER_GID_PREFIX = "gid://shopify/Order/"
ORDER_NUMBER = re.compile(r"#?(\d{1,20})")
Status = SyncedRecord.Status


class OrderState(StrEnum):
    """An order's status in the merchant's words; the first that applies wins, in this order."""

    FAILED = "failed"
    WAITING = "waiting"
    IN_QUICKBOOKS = "in_quickbooks"
    VOIDED = "voided"
    SKIPPED = "skipped"

    @property
    def label(self) -> str:
        return STATE_LABELS[self]


STATE_LABELS = {
    OrderState.IN_QUICKBOOKS: "In QuickBooks",
    OrderState.WAITING: "Waiting",
    OrderState.FAILED: "Failed",
    OrderState.SKIPPED: "Skipped",
    OrderState.VOIDED: "Cancelled: voided in QuickBooks",
}

# QuickBooks' own words for the documents, and the page of its web app that opens each one.
# Reference: https://github.com/LedgerSync/ledger_sync-quickbooks_online/blob/master/lib/ledger_sync/quickbooks_online/dashboard_url_helper.rb
DOCUMENT_KINDS = {
    "SalesReceipt": ("Sales receipt", "salesreceipt"),
    "Invoice": ("Invoice", "invoice"),
    "Payment": ("Payment", "recvpayment"),
    "RefundReceipt": ("Refund receipt", "refundreceipt"),
    "CreditMemo": ("Credit memo", "creditmemo"),
    "Deposit": ("Deposit", "deposit"),
    "JournalEntry": ("Journal entry", "journal"),
}
SALE_KINDS = ("SalesReceipt", "Invoice")


@dataclass(frozen=True)
class OrderFilters:
    q: str = ""
    state: OrderState | None = None
    start: date | None = None
    end: date | None = None

    @property
    def any(self) -> bool:
        return bool(self.q or self.state or self.start or self.end)

    @property
    def number(self) -> str:
        """The order number searched for ('' when the search is part of a name)."""
        match = ORDER_NUMBER.fullmatch(self.q.strip())
        return match.group(1) if match else ""


@dataclass(frozen=True)
class Document:
    kind: str  # the QBO entity, e.g. SalesReceipt
    label: str  # "Sales receipt"
    number: str
    amount: Decimal | None
    currency: str
    voided: bool
    url: str


@dataclass(frozen=True)
class OrderRow:
    gid: str
    name: str
    day: date | None
    state: OrderState
    reason: str  # why it is skipped, failed or waiting, in plain words ('' when in QuickBooks)
    detail: str  # what Shopify or QuickBooks said, for "Details" ('' when nothing more)
    total: Decimal | None
    currency: str
    documents: list[Document]
    shopify_url: str


@dataclass(frozen=True)
class OrdersPage:
    rows: list[OrderRow]
    filters: OrderFilters
    newer: str  # where the page of newer orders ends ('' on the first page)
    older: str  # where the page of older orders starts ('' on the last page)
