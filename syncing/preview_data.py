"""What a preview shows: the order as Shopify has it, the QuickBooks documents it would become,
and the totals side by side (syncing/preview.py builds it); the same as JSON for scripts and
support staff (``manage.py shopqb preview``), with money as strings, never floats.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from mappings import roles
from syncing import ledger

ZERO = Decimal("0.00")
SALE_ENTITIES = frozenset({"SalesReceipt", "Invoice"})
ENTITY_LABELS = {
    "SalesReceipt": "Sales receipt",
    "Invoice": "Invoice",
    "Payment": "Payment",
    "RefundReceipt": "Refund receipt",
    "CreditMemo": "Credit memo",
    "JournalEntry": "Journal entry",
}


@dataclass(frozen=True)
class ShopifyLine:
    name: str
    sku: str
    quantity: int
    unit_price: Decimal
    amount: Decimal


@dataclass(frozen=True)
class ShopifyOrder:
    """The order as Shopify has it, in the shop's currency."""

    id: str
    name: str
    processed_on: date
    currency: str
    presentment_currency: str
    financial_status: str
    test: bool
    cancelled: bool
    taxes_included: bool
    gateways: tuple[str, ...]
    lines: tuple[ShopifyLine, ...]
    shipping: Decimal
    discounts: Decimal
    tip: Decimal
    tax: Decimal
    total: Decimal
    refunded: Decimal

    @property
    def payment(self) -> str:
        """The status and gateways as the merchant says them: “Partially refunded via Shopify Payments”."""
        status = self.financial_status.replace("_", " ").lower().capitalize()
        gateways = ", ".join(roles.gateway_label(gateway) for gateway in self.gateways)
        return f"{status} via {gateways}" if gateways else status


@dataclass(frozen=True)
class PreviewLine:
    kind: str  # product, shipping, discount, tip, gift_card, rounding, refund_adjustment
    item: ledger.Ref
    description: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    tax_code: str
    tax_code_name: str
    account: ledger.Ref | None  # the item's income account, where known
    gross: Decimal | None = None  # tax-inclusive documents: the line's price with its tax


@dataclass(frozen=True)
class PreviewTax:
    """Outside the US: one QuickBooks tax rate on the document, the tax on it and its net base."""

    rate_id: str
    percent: Decimal
    amount: Decimal
    net: Decimal

    @property
    def percent_text(self) -> str:
        """20 for 20%, 9.975 for 9.975%: never 2E+1."""
        return f"{self.percent.normalize():f}"


@dataclass(frozen=True)
class PreviewDocument:
    entity: str
    doc_number: str
    txn_date: date
    currency: str
    customer: ledger.Ref
    deposit_to: ledger.Ref | None  # None for an invoice: it is owed, not deposited
    class_ref: ledger.Ref | None
    department: ledger.Ref | None
    lines: tuple[PreviewLine, ...]
    total_tax: Decimal
    total: Decimal
    rounding: Decimal
    state: str  # what the sync would do with it now, in plain words
    links_to: str = ""
    taxes: tuple[PreviewTax, ...] = ()
    tax_inclusive: bool = False
    exchange_rate: Decimal | None = None  # home currency per unit, when the document is foreign

    @property
    def label(self) -> str:
        return ENTITY_LABELS.get(self.entity, self.entity)

    @property
    def flagged(self) -> bool:
        return self.rounding != ZERO

    @property
    def journal(self) -> bool:
        """A journal entry: its lines are debits (positive) and credits (negative) to accounts."""
        return self.entity == "JournalEntry"

    @property
    def adds_up(self) -> bool:
        """Lines plus tax come to the total (a payment has no lines: nothing to add up); a journal
        entry's debits equal its credits and its total."""
        if self.journal:
            debits = sum((line.amount for line in self.lines if line.amount > 0), ZERO)
            return debits == self.total and sum((line.amount for line in self.lines), ZERO) == ZERO
        return not self.lines or sum((line.amount for line in self.lines), ZERO) + self.total_tax == self.total


@dataclass(frozen=True)
class TotalsCheck:
    label: str
    shopify: Decimal
    quickbooks: Decimal | None  # None: QuickBooks has no such figure (nothing was read back)

    @property
    def ok(self) -> bool:
        return self.quickbooks is not None and ledger.cents(self.shopify) == ledger.cents(self.quickbooks)


@dataclass(frozen=True)
class Preview:
    shop: str
    order: ShopifyOrder
    documents: tuple[PreviewDocument, ...] = ()
    checks: tuple[TotalsCheck, ...] = ()
    skip_reason: str = ""  # the merchant's rules keep it out of the books
    cannot_book: str = ""  # the ledger refuses it: why, for the merchant
    notes: tuple[str, ...] = ()
    planned: bool = False  # objects still to be created at go-live appear by name
    mapping_version: int = 0

    @property
    def matches(self) -> bool:
        """Every document adds up and every total equals Shopify's, to the cent."""
        return (
            bool(self.documents)
            and not self.cannot_book
            and all(document.adds_up for document in self.documents)
            and all(check.ok for check in self.checks)
        )


# --- as JSON, for scripts and support staff -------------------------------------------------------


def _money(value: Decimal) -> str:
    return f"{ledger.cents(value):.2f}"


def _quantity(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _price(value: Decimal) -> str:
    """A unit price as exact as QuickBooks keeps it (7 decimals), at least to the cent."""
    return _money(value) if value == ledger.cents(value) else f"{value.normalize():f}"


def _ref(ref: ledger.Ref | None) -> dict[str, str] | None:
    return None if ref is None else {"id": ref.value, "name": ref.name}


def preview_as_json(preview: Preview) -> dict[str, Any]:
    """The preview with money as strings ("100.95"), never floats."""
    order = preview.order
    return {
        "shop": preview.shop,
        "order": {
            "id": order.id,
            "name": order.name,
            "processed_on": order.processed_on.isoformat(),
            "currency": order.currency,
            "presentment_currency": order.presentment_currency,
            "financial_status": order.financial_status,
            "test": order.test,
            "cancelled": order.cancelled,
            "taxes_included": order.taxes_included,
            "gateways": list(order.gateways),
            "lines": [
                {
                    "name": line.name,
                    "sku": line.sku,
                    "quantity": line.quantity,
                    "unit_price": _price(line.unit_price),
                    "amount": _money(line.amount),
                }
                for line in order.lines
            ],
            "shipping": _money(order.shipping),
            "discounts": _money(order.discounts),
            "tip": _money(order.tip),
            "tax": _money(order.tax),
            "total": _money(order.total),
            "refunded": _money(order.refunded),
        },
        "mapping": {"planned": preview.planned, "version": preview.mapping_version},
        "skip_reason": preview.skip_reason,
        "cannot_book": preview.cannot_book,
        "notes": list(preview.notes),
        "documents": [
            {
                "entity": document.entity,
                "doc_number": document.doc_number,
                "txn_date": document.txn_date.isoformat(),
                "currency": document.currency,
                "state": document.state,
                "customer": _ref(document.customer),
                "deposit_to": _ref(document.deposit_to),
                "class": _ref(document.class_ref),
                "department": _ref(document.department),
                "links_to": document.links_to,
                "lines": [
                    {
                        "kind": line.kind,
                        "item": _ref(line.item),
                        "description": line.description,
                        "quantity": _quantity(line.quantity),
                        "unit_price": _price(line.unit_price),
                        "amount": _money(line.amount),
                        "tax_code": line.tax_code,
                        "tax_code_name": line.tax_code_name,
                        "gross": None if line.gross is None else _money(line.gross),
                        "account": _ref(line.account),
                    }
                    for line in document.lines
                ],
                "tax_inclusive": document.tax_inclusive,
                "taxes": [
                    {
                        "rate_id": tax.rate_id,
                        "percent": tax.percent_text,
                        "amount": _money(tax.amount),
                        "net": _money(tax.net),
                    }
                    for tax in document.taxes
                ],
                "exchange_rate": None if document.exchange_rate is None else str(document.exchange_rate),
                "total_tax": _money(document.total_tax),
                "total": _money(document.total),
                "rounding": _money(document.rounding),
                "flagged": document.flagged,
                "adds_up": document.adds_up,
            }
            for document in preview.documents
        ],
        "totals": {
            "matches": preview.matches,
            "checks": [
                {
                    "label": check.label,
                    "shopify": _money(check.shopify),
                    "quickbooks": None if check.quickbooks is None else _money(check.quickbooks),
                    "ok": check.ok,
                }
                for check in preview.checks
            ],
        },
    }
