"""The accounting core: Shopify orders -> QuickBooks documents. Pure: no ORM, no HTTP.

Money is Decimal end to end, quantized to cents with ROUND_HALF_UP only where a
value is booked. Every document carries the amount Shopify says it totals; if the
lines we can build differ from it by a few cents, an explicit rounding line makes
up the difference and the document is flagged. A larger difference is an error,
never absorbed.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from syncing.shopify.orders import LineItem, Order

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
# Up to this much per document may be booked as an explicit rounding line.
ROUNDING_TOLERANCE_PER_LINE = Decimal("0.01")
PAID_STATUSES = frozenset({"PAID", "PARTIALLY_REFUNDED", "REFUNDED"})
SALE_KINDS = frozenset({"SALE", "CAPTURE"})


class LedgerError(Exception):
    """The order cannot be booked as it stands; the message says why, for the merchant."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Ref:
    value: str
    name: str = ""

    def as_qbo(self) -> dict[str, str]:
        ref = {"value": self.value}
        if self.name:
            ref["name"] = self.name
        return ref


@dataclass(frozen=True)
class Mapping:
    """A snapshot of the merchant's mapping, taken once per sync run."""

    sales_item: Ref
    shipping_item: Ref
    discount_item: Ref
    tip_item: Ref
    gift_card_item: Ref
    rounding_item: Ref
    customer: Ref
    clearing_accounts: dict[str, Ref]  # gateway key -> Bank / Other Current Asset account
    default_clearing: Ref
    timezone: str = "UTC"
    automated_sales_tax: bool = True
    taxable_code: str = "TAX"
    exempt_code: str = "NON"
    doc_number_prefix: str = "S"
    items_by_sku: dict[str, Ref] = field(default_factory=dict)


@dataclass(frozen=True)
class DocLine:
    """One QBO SalesItemLine. ``role`` says what it stands for (product, shipping...)."""

    role: str
    item: Ref
    description: str
    qty: Decimal
    unit_price: Decimal
    amount: Decimal
    taxable: bool

    def as_qbo(self, mapping: Mapping, line_num: int) -> dict[str, Any]:
        tax_code = mapping.taxable_code if self.taxable else mapping.exempt_code
        return {
            "LineNum": line_num,
            "Description": self.description[:4000],
            "Amount": self.amount,
            "DetailType": "SalesItemLineDetail",
            "SalesItemLineDetail": {
                "ItemRef": self.item.as_qbo(),
                "Qty": self.qty,
                "UnitPrice": self.unit_price,
                "TaxCodeRef": {"value": tax_code},
            },
        }


@dataclass(frozen=True)
class Document:
    """A QBO transaction document we will own. ``total`` is what Shopify says it is."""

    entity: str
    source_type: str
    source_id: str
    source_name: str
    doc_number: str
    txn_date: date
    currency: str
    customer: Ref
    deposit_to: Ref
    lines: tuple[DocLine, ...]
    total_tax: Decimal
    total: Decimal
    private_note: str
    rounding: Decimal = ZERO
    tax_inclusive: bool = False

    @property
    def flagged(self) -> bool:
        return self.rounding != ZERO

    @property
    def lines_total(self) -> Decimal:
        return sum((line.amount for line in self.lines), ZERO)

    def as_qbo(self, mapping: Mapping) -> dict[str, Any]:
        """The JSON body for QBO (names as in Intuit's Finance.xsd)."""
        body: dict[str, Any] = {
            "DocNumber": self.doc_number,
            "TxnDate": self.txn_date.isoformat(),
            "PrivateNote": self.private_note,
            "CustomerRef": self.customer.as_qbo(),
            "DepositToAccountRef": self.deposit_to.as_qbo(),
            "Line": [line.as_qbo(mapping, n) for n, line in enumerate(self.lines, start=1)],
            "GlobalTaxCalculation": "TaxExcluded",
        }
        # US automated sales tax: an explicit TotalTax (zero included) overrides QBO's
        # own computation, so the books carry exactly the tax Shopify charged.
        body["TxnTaxDetail"] = {"TotalTax": self.total_tax}
        return body

    def content_hash(self, mapping: Mapping) -> str:
        canonical = json.dumps(self.as_qbo(mapping), sort_keys=True, default=str)
        return hashlib.sha256(canonical.encode()).hexdigest()


def txn_date(order: Order, timezone: str) -> date:
    """The order's processedAt date as the merchant sees it, in the shop's own time zone."""
    return order.processed_at.astimezone(ZoneInfo(timezone)).date()


def doc_number(prefix: str, order_name: str) -> str:
    """``#1001`` -> ``S1001``; QBO allows 21 characters."""
    core = re.sub(r"[^A-Za-z0-9-]", "", order_name) or "0"
    return (prefix + core)[-21:] if len(prefix + core) > 21 else prefix + core


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


def _unit_line(role: str, item: Ref, description: str, qty: int, unit_price: Decimal, taxable: bool) -> DocLine:
    amount = cents(unit_price * qty)
    return DocLine(role, item, description, Decimal(qty), unit_price, amount, taxable)


def _single_line(role: str, item: Ref, description: str, amount: Decimal, taxable: bool) -> DocLine:
    return DocLine(role, item, description, Decimal(1), amount, amount, taxable)


def sales_receipt(order: Order, mapping: Mapping) -> Document:
    """A paid order as a SalesReceipt into the clearing account of its gateway.

    Lines: each product at its original unit price, shipping at its original price,
    all discounts as one negative line, tips, and Shopify's own tax as the total
    tax (US automated sales tax). The receipt totals ``totalPriceSet``.
    """
    if order.taxes_included:
        raise LedgerError(
            "tax_inclusive_unsupported",
            f"{order.name} has tax-inclusive prices; tax-inclusive booking needs a tax-code mapping "
            "(not available yet), so it was not written.",
        )
    if order.presentment_currency != order.currency and not order.total_price.shop.amount:
        raise LedgerError("no_shop_money", f"{order.name} has no amounts in the shop currency.")

    # A line is taxable in QBO when Shopify charged tax on it; orders whose tax sits
    # only at order level count every line Shopify marks taxable.
    line_level_tax = any(t.price.shop.amount for li in order.line_items for t in li.tax_lines)
    has_tax = bool(order.total_tax.shop.amount)

    def charged_tax(li: LineItem) -> bool:
        if line_level_tax:
            return any(t.price.shop.amount for t in li.tax_lines)
        return has_tax and li.taxable

    lines: list[DocLine] = []
    for li in order.line_items:
        if li.quantity <= 0:
            continue
        if li.is_gift_card:
            item = mapping.gift_card_item
            role = "gift_card"
        else:
            item = mapping.items_by_sku.get(li.sku, mapping.sales_item) if li.sku else mapping.sales_item
            role = "product"
        description = f"{li.name} (SKU {li.sku})" if li.sku else li.name
        taxable = charged_tax(li) and not li.is_gift_card
        lines.append(_unit_line(role, item, description, li.quantity, li.unit_price.shop.amount, taxable))

    for sl in order.shipping_lines:
        price = sl.original_price.shop.amount
        if price:
            lines.append(_single_line("shipping", mapping.shipping_item, f"Shipping: {sl.title}", price, False))

    discount = sum((li.discount for li in order.line_items), ZERO) + sum(
        (sl.discount for sl in order.shipping_lines), ZERO
    )
    if discount:
        lines.append(_single_line("discount", mapping.discount_item, "Discounts", -cents(discount), False))

    tip = order.total_tip.shop.amount
    if tip:
        lines.append(_single_line("tip", mapping.tip_item, "Tip", cents(tip), False))

    total = cents(order.total_price.shop.amount)
    total_tax = cents(order.total_tax.shop.amount)
    residual = total - total_tax - sum((line.amount for line in lines), ZERO)
    tolerance = ROUNDING_TOLERANCE_PER_LINE * max(1, len(lines))
    if abs(residual) > tolerance:
        raise LedgerError(
            "total_mismatch",
            f"{order.name}: lines + tax come to {total - residual} but Shopify says {total} "
            f"({order.currency}); difference {residual} is too large to be rounding.",
        )
    if residual:
        lines.append(_single_line("rounding", mapping.rounding_item, "Rounding difference (ShopQB)", residual, False))

    gateway = primary_gateway(order)
    deposit_to = mapping.clearing_accounts.get(gateway_key(gateway), mapping.default_clearing)
    gateways = ", ".join(sorted(set(order.gateways))) or gateway
    note = f"Shopify order {order.name} ({order.id}); paid via {gateways}. Written by ShopQB."
    return Document(
        entity="SalesReceipt",
        source_type="order",
        source_id=order.id,
        source_name=order.name,
        doc_number=doc_number(mapping.doc_number_prefix, order.name),
        txn_date=txn_date(order, mapping.timezone),
        currency=order.currency,
        customer=mapping.customer,
        deposit_to=deposit_to,
        lines=tuple(lines),
        total_tax=total_tax,
        total=total,
        private_note=note,
        rounding=residual,
    )


def order_documents(order: Order, mapping: Mapping) -> list[Document]:
    """What an order should be in the books, given its state now.

    Paid (also later refunded) orders become a SalesReceipt; unpaid ones are
    refused with a reason until invoices are supported.
    """
    if order.financial_status in PAID_STATUSES:
        return [sales_receipt(order, mapping)]
    raise LedgerError(
        "unsupported_financial_status",
        f"{order.name} is {order.financial_status or 'without a payment status'}; only paid orders are booked "
        "(invoices for pending and net-terms orders are not supported yet).",
    )
