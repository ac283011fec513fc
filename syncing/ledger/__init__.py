"""The accounting core: Shopify orders -> QuickBooks documents. Pure: no ORM, no HTTP.

Money is Decimal end to end, quantized to cents with ROUND_HALF_UP only where a
value is booked. Every document carries the amount Shopify says it totals; if the
lines we can build differ from it by a few cents, an explicit rounding line makes
up the difference and the document is flagged. A larger difference is an error,
never absorbed.

Callers use this package's names (``from syncing import ledger``, then
``ledger.order_documents(...)``); its modules, each importing only those listed before it:

- ``money``: cents, the unit-price precision, the rounding tolerance;
- ``gateways``: a gateway's clearing-account family, the money an order's gateways took;
- ``model``: the mapping snapshot, the document and its lines as QBO bodies, ``LedgerError``;
- ``dates``: the day a transaction is booked on, in the shop's time zone;
- ``lines``: an order's amounts as priced sales lines;
- ``tenders``: journal entries moving the shares of a split tender (other gateways, gift cards,
  store credit) out of the main tender's clearing account;
- ``sales``: an order as a SalesReceipt, or an Invoice and a Payment per payment taken;
- ``refunds``: refunds as RefundReceipts;
- ``payouts``: Shopify Payments payouts as Deposits (JournalEntries for withdrawals), a line per
  kind of balance transaction;
- ``edits``: what an order edit changed after its sale was booked, as a document of its own.
"""

from syncing.ledger.dates import local_date, txn_date
from syncing.ledger.edits import edit_document
from syncing.ledger.gateways import SALE_KINDS, gateway_key, primary_gateway, received
from syncing.ledger.lines import is_tip, sold_quantities
from syncing.ledger.model import (
    DocLine,
    Document,
    LedgerError,
    Mapping,
    Ref,
    TaxCode,
    TaxKey,
    doc_number,
    rate_text,
    tax_detail,
    tax_key,
)
from syncing.ledger.money import CENT, ROUNDING_TOLERANCE_PER_LINE, UNIT_PRICE, ZERO, cents
from syncing.ledger.payouts import payout_deposit
from syncing.ledger.refunds import REFUND_KINDS, overpayment_refunds, refund_receipts
from syncing.ledger.sales import (
    NOTHING_TO_BOOK,
    PAID_STATUSES,
    UNPAID_STATUSES,
    invoice,
    invoice_payments,
    order_documents,
    payment,
    sales_receipt,
)
from syncing.ledger.tenders import refund_tender_entries

__all__ = [
    "CENT",
    "NOTHING_TO_BOOK",
    "PAID_STATUSES",
    "REFUND_KINDS",
    "ROUNDING_TOLERANCE_PER_LINE",
    "SALE_KINDS",
    "UNIT_PRICE",
    "UNPAID_STATUSES",
    "ZERO",
    "DocLine",
    "Document",
    "LedgerError",
    "Mapping",
    "Ref",
    "TaxCode",
    "TaxKey",
    "cents",
    "doc_number",
    "edit_document",
    "gateway_key",
    "invoice",
    "invoice_payments",
    "is_tip",
    "local_date",
    "order_documents",
    "overpayment_refunds",
    "payment",
    "payout_deposit",
    "primary_gateway",
    "rate_text",
    "received",
    "refund_receipts",
    "refund_tender_entries",
    "sales_receipt",
    "sold_quantities",
    "tax_detail",
    "tax_key",
    "txn_date",
]
