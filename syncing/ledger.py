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
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from shopqb_app.integrations.shopify.parse import LineItem, Order, Payout, TaxLine

CENT = Decimal("0.01")
UNIT_PRICE = Decimal("0.0000001")  # QBO keeps unit prices to 7 decimals
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
    clearing_accounts: dict[str, Ref]  # gateway name (lower case) -> the account its money clears to
    default_clearing: Ref
    timezone: str = "UTC"
    country: str = "US"  # the QBO company's country: outside the US tax needs per-rate tax codes
    taxable_code: str = "TAX"
    exempt_code: str = "NON"
    doc_number_prefix: str = "S"
    items_by_sku: dict[str, Ref] = field(default_factory=dict)
    items_by_variant: dict[str, Ref] = field(default_factory=dict)  # variant gid -> the item chosen for it
    bank_account: Ref | None = None  # where Shopify Payments payouts land
    fees_account: Ref | None = None  # expense account for Shopify Payments fees
    version: int = 0  # the merchant's mapping version this snapshot was taken at
    # "location:<gid>" / "channel:<source name>" -> (QBO Class, QBO Department) the merchant chose
    dimensions: dict[str, tuple[Ref | None, Ref | None]] = field(default_factory=dict)

    def clearing_for(self, gateway: str) -> Ref:
        """The account a gateway's money clears to: its own mapping, else its family's (Shopify
        Payments, PayPal under any spelling), else the account for gateways not mapped yet."""
        found = self.clearing_accounts.get(gateway.lower()) or self.clearing_accounts.get(gateway_key(gateway))
        return found or self.default_clearing

    def dimensions_for(self, order: Order) -> tuple[Ref | None, Ref | None]:
        """The order's Class and Department: its location's mapping first, then its channel's."""
        by_location = self.dimensions.get(f"location:{order.location_id}", (None, None))
        by_channel = self.dimensions.get(f"channel:{order.source_name or 'web'}", (None, None))
        return by_location[0] or by_channel[0], by_location[1] or by_channel[1]

    def item_for(self, variant_id: str, sku: str) -> Ref:
        """The item a product line books to: the variant's own mapping, else its SKU's, else the
        item for unmapped products."""
        return self.items_by_variant.get(variant_id) or (sku and self.items_by_sku.get(sku)) or self.sales_item


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
    links_to: str = ""  # the entity this document applies to (a Payment -> its Invoice)
    order_id: str = ""  # the Shopify order it books (a refund's order); "" for payouts
    class_ref: Ref | None = None  # QBO Class on every line (the order's location or channel)
    department: Ref | None = None  # QBO Department ("Location" in QBO's screens) of the document

    @property
    def flagged(self) -> bool:
        return self.rounding != ZERO

    @property
    def lines_total(self) -> Decimal:
        return sum((line.amount for line in self.lines), ZERO)

    def as_qbo(self, mapping: Mapping, linked_id: str = "") -> dict[str, Any]:
        """The JSON body for QBO (names as in Intuit's Finance.xsd)."""
        if self.entity == "Deposit":
            return {
                "DocNumber": self.doc_number,
                "TxnDate": self.txn_date.isoformat(),
                "PrivateNote": self.private_note,
                "DepositToAccountRef": self.deposit_to.as_qbo(),
                "Line": [
                    {
                        "LineNum": n,
                        "Description": line.description,
                        "Amount": line.amount,
                        "DetailType": "DepositLineDetail",
                        "DepositLineDetail": {"AccountRef": line.item.as_qbo()},
                    }
                    for n, line in enumerate(self.lines, start=1)
                ],
            }
        if self.entity == "Payment":
            link = [{"TxnId": linked_id, "TxnType": self.links_to}] if linked_id else []
            return {
                "PaymentRefNum": self.doc_number,
                "TxnDate": self.txn_date.isoformat(),
                "PrivateNote": self.private_note,
                "CustomerRef": self.customer.as_qbo(),
                "DepositToAccountRef": self.deposit_to.as_qbo(),
                "TotalAmt": self.total,
                "Line": [{"Amount": self.total, "LinkedTxn": link}],
            }
        body: dict[str, Any] = {
            "DocNumber": self.doc_number,
            "TxnDate": self.txn_date.isoformat(),
            "PrivateNote": self.private_note,
            "CustomerRef": self.customer.as_qbo(),
            "Line": [line.as_qbo(mapping, n) for n, line in enumerate(self.lines, start=1)],
            "GlobalTaxCalculation": "TaxExcluded",
            # US automated sales tax: an explicit TotalTax (zero included) overrides QBO's
            # own computation, so the books carry exactly the tax Shopify charged.
            "TxnTaxDetail": {"TotalTax": self.total_tax},
        }
        if self.entity in ("SalesReceipt", "RefundReceipt"):
            body["DepositToAccountRef"] = self.deposit_to.as_qbo()
        if self.department is not None:
            body["DepartmentRef"] = self.department.as_qbo()
        if self.class_ref is not None:
            for line in body["Line"]:
                line["SalesItemLineDetail"]["ClassRef"] = self.class_ref.as_qbo()
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


def _line(role: str, item: Ref, description: str, qty: int, amount: Decimal, taxable: bool) -> DocLine:
    """A line of ``qty`` at a unit price that multiplies back to ``amount`` exactly in cents.

    QBO keeps unit prices to 7 decimals and checks Amount == Qty x UnitPrice; a net
    amount that does not divide evenly gets the nearest 7-decimal unit price.
    """
    quantity = Decimal(max(qty, 1))
    unit_price = amount / quantity
    if cents(unit_price * quantity) != amount or unit_price != unit_price.quantize(UNIT_PRICE):
        unit_price = unit_price.quantize(UNIT_PRICE, rounding=ROUND_HALF_UP)
    return DocLine(role, item, description, quantity, unit_price, amount, taxable)


def is_tip(li: LineItem) -> bool:
    """Shopify books tips as line items without a product."""
    return not li.variant_id and not li.sku and li.name.strip().lower() == "tip"


def sold_quantities(order: Order) -> dict[str, int]:
    """Each line's quantity after order edits but before refunds (refunds are their own documents).

    Shopify's ``currentQuantity`` has both edits and refunds taken off; refunded
    units are added back from the refunds.
    """
    refunded: dict[str, int] = {}
    for refund in order.refunds:
        for rli in refund.line_items:
            refunded[rli.line_item_id] = refunded.get(rli.line_item_id, 0) + rli.quantity
    return {li.id: min(li.quantity, li.current_quantity + refunded.get(li.id, 0)) for li in order.line_items}


def _sale_lines(order: Order, mapping: Mapping) -> tuple[list[DocLine], Decimal, Decimal]:
    """The order's lines, its tax and the rounding residual, in shop money.

    Tax-exclusive orders: products at their original unit price, Shopify's tax as the
    document's total tax. Tax-inclusive orders: each line net of the tax Shopify
    charged on it (so revenue excludes tax) and the same total tax on top; both
    total exactly ``totalPriceSet``.
    """
    line_level_tax = any(t.price.shop.amount for li in order.line_items for t in li.tax_lines)
    has_tax = bool(order.total_tax.shop.amount)

    def charged_tax(tax_lines: tuple[TaxLine, ...], taxable: bool) -> bool:
        if line_level_tax:
            return any(t.price.shop.amount for t in tax_lines)
        return has_tax and taxable

    def included_tax(tax_lines: tuple[TaxLine, ...]) -> Decimal:
        if not order.taxes_included:
            return ZERO
        return cents(sum((t.price.shop.amount for t in tax_lines), ZERO))

    if order.taxes_included and has_tax and not line_level_tax:
        raise LedgerError(
            "tax_inclusive_without_line_tax",
            f"{order.name} has tax-inclusive prices but no tax per line, so its net revenue cannot be "
            "split from the tax exactly; it was not written.",
        )

    sold = sold_quantities(order)

    def share(amount: Decimal, li: LineItem) -> Decimal:
        """A line's discount or tax for the quantity still sold after order edits."""
        if sold[li.id] == li.quantity or not li.quantity:
            return amount
        return cents(amount * sold[li.id] / li.quantity)

    lines: list[DocLine] = []
    tip_lines = 0
    for li in order.line_items:
        quantity = sold[li.id]
        if quantity <= 0:
            continue
        gross = cents(li.unit_price.shop.amount * quantity)
        if is_tip(li):
            lines.append(_line("tip", mapping.tip_item, "Tip", 1, gross, False))
            tip_lines += 1
            continue
        if li.is_gift_card:
            item, role = mapping.gift_card_item, "gift_card"
        else:
            item = mapping.item_for(li.variant_id, li.sku)
            role = "product"
        description = f"{li.name} (SKU {li.sku})" if li.sku else li.name
        taxable = charged_tax(li.tax_lines, li.taxable) and not li.is_gift_card
        net = gross - share(included_tax(li.tax_lines), li)
        lines.append(_line(role, item, description, quantity, net, taxable))

    for sl in order.shipping_lines:
        price = cents(sl.original_price.shop.amount)
        if price:
            net = price - included_tax(sl.tax_lines)
            taxable = charged_tax(sl.tax_lines, False)
            lines.append(_line("shipping", mapping.shipping_item, f"Shipping: {sl.title}", 1, net, taxable))

    discount = sum((share(li.discount, li) for li in order.line_items), ZERO) + sum(
        (sl.discount for sl in order.shipping_lines), ZERO
    )
    if discount:
        lines.append(_line("discount", mapping.discount_item, "Discounts", 1, -cents(discount), False))

    tip = cents(order.total_tip.shop.amount)
    if tip and not tip_lines:
        lines.append(_line("tip", mapping.tip_item, "Tip", 1, tip, False))

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
        lines.append(_line("rounding", mapping.rounding_item, "Rounding difference (ShopQB)", 1, residual, False))
    return lines, total_tax, residual


def _note(order: Order, what: str) -> str:
    return f"Shopify order {order.name} ({order.id}); {what}. Written by ShopQB."


def _sale_document(order: Order, mapping: Mapping, entity: str) -> Document:
    if mapping.country not in ("", "US"):
        raise LedgerError(
            "tax_codes_unmapped",
            f"{order.name}: the QuickBooks company is in {mapping.country}, where every line needs the tax "
            "code of its rate (VAT/GST); mapping Shopify's tax lines to those codes is not available yet, "
            "so nothing was written.",
        )
    lines, total_tax, residual = _sale_lines(order, mapping)
    gateway = primary_gateway(order)
    gateways = ", ".join(sorted(set(order.gateways))) or gateway
    deposit_to = mapping.clearing_for(gateway)
    what = f"paid via {gateways}" if entity == "SalesReceipt" else f"payment {order.financial_status.lower()}"
    class_ref, department = mapping.dimensions_for(order)
    return Document(
        class_ref=class_ref,
        department=department,
        entity=entity,
        source_type="order",
        source_id=order.id,
        order_id=order.id,
        source_name=order.name,
        doc_number=doc_number(mapping.doc_number_prefix, order.name),
        txn_date=txn_date(order, mapping.timezone),
        currency=order.currency,
        customer=mapping.customer,
        deposit_to=deposit_to,
        lines=tuple(lines),
        total_tax=total_tax,
        total=cents(order.total_price.shop.amount),
        private_note=_note(order, what),
        rounding=residual,
    )


def sales_receipt(order: Order, mapping: Mapping) -> Document:
    """A paid order as a SalesReceipt into the clearing account of its gateway.

    Lines: each product at its original unit price, shipping at its original price,
    all discounts as one negative line, tips, and Shopify's own tax as the total
    tax (US automated sales tax). The receipt totals ``totalPriceSet``.
    """
    return _sale_document(order, mapping, "SalesReceipt")


def invoice(order: Order, mapping: Mapping) -> Document:
    """An order not (fully) paid when first booked: an Invoice, receivable from the customer."""
    return _sale_document(order, mapping, "Invoice")


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


def payment(order: Order, mapping: Mapping, amount: Decimal, when: datetime | None) -> Document:
    """Money received on an invoiced order: a Payment linked to its Invoice, into the clearing account."""
    gateway = primary_gateway(order)
    day = (when or order.processed_at).astimezone(ZoneInfo(mapping.timezone)).date()
    return Document(
        entity="Payment",
        source_type="order",
        source_id=order.id,
        order_id=order.id,
        source_name=order.name,
        doc_number=doc_number(mapping.doc_number_prefix, order.name),
        txn_date=day,
        currency=order.currency,
        customer=mapping.customer,
        deposit_to=mapping.clearing_for(gateway),
        lines=(),
        total_tax=ZERO,
        total=amount,
        private_note=_note(order, f"payment received via {gateway}"),
        links_to="Invoice",
    )


UNPAID_STATUSES = frozenset({"PENDING", "AUTHORIZED", "PARTIALLY_PAID"})
NOTHING_TO_BOOK = frozenset({"VOIDED", "EXPIRED"})


def order_documents(order: Order, mapping: Mapping, booked: frozenset[str] = frozenset()) -> list[Document]:
    """What an order should be in the books, given its state now and what was booked before.

    Paid when first seen: a SalesReceipt. Not yet paid: an Invoice, and a Payment
    against it once money comes in (an invoiced order stays on that path). A voided
    or expired authorization moved no money: nothing to book.
    """
    status = order.financial_status
    if "Invoice" in booked or ("SalesReceipt" not in booked and status in UNPAID_STATUSES):
        documents = [invoice(order, mapping)]
        amount, when = received(order)
        if amount:
            documents.append(payment(order, mapping, min(amount, documents[0].total), when))
        return documents
    if "SalesReceipt" in booked or status in PAID_STATUSES:
        return [sales_receipt(order, mapping)]
    if status in NOTHING_TO_BOOK:
        return []
    raise LedgerError(
        "unsupported_financial_status",
        f"{order.name} has the payment status {status or '(none)'}, which ShopQB does not book; it was not written.",
    )


REFUND_KINDS = frozenset({"REFUND"})


def refund_receipts(order: Order, mapping: Mapping) -> list[Document]:
    """Each refund that returned money as a RefundReceipt, paid from its gateway's clearing account.

    Lines: the refunded line items (Shopify's refunded subtotal, net of tax) and
    shipping, with Shopify's refunded tax as the total tax. The receipt totals the
    money actually refunded; a refund that is not (only) items, such as a goodwill
    amount, books the difference as a refund adjustment on the discount item.
    """
    if order.cancelled_at is not None:
        return []  # a cancelled order's sale is voided: booking its refund too would reverse it twice
    by_id = {li.id: li for li in order.line_items}
    documents = []
    for number, refund in enumerate(sorted(order.refunds, key=lambda r: (r.created_at is None, r.created_at, r.id)), 1):
        paid_back = [t for t in refund.transactions if t.kind in REFUND_KINDS and t.status == "SUCCESS"]
        amount = cents(sum((t.amount.shop.amount for t in paid_back), ZERO))
        if not amount:
            continue  # a restock or a zero refund moved no money
        lines: list[DocLine] = []
        tax = ZERO
        for rli in refund.line_items:
            if rli.quantity <= 0:
                continue
            li = by_id.get(rli.line_item_id)
            name = li.name if li else rli.sku or "Refunded item"
            item = mapping.sales_item
            if li is not None and li.is_gift_card:
                item = mapping.gift_card_item
            else:
                item = mapping.item_for(li.variant_id if li else "", rli.sku)
            line_tax = cents(rli.total_tax.shop.amount)
            subtotal = cents(rli.subtotal.shop.amount)
            net = subtotal - line_tax if order.taxes_included else subtotal
            taxable = bool(line_tax)
            lines.append(_line("product", item, f"Refund: {name}", rli.quantity, net, taxable))
            tax += line_tax
        if refund.shipping_subtotal:
            shipping_tax = cents(refund.shipping_tax)
            net = cents(refund.shipping_subtotal) - (shipping_tax if order.taxes_included else ZERO)
            lines.append(_line("shipping", mapping.shipping_item, "Refund: shipping", 1, net, bool(shipping_tax)))
            tax += shipping_tax
        residual = amount - tax - sum((line.amount for line in lines), ZERO)
        rounding = ZERO
        if residual and abs(residual) <= ROUNDING_TOLERANCE_PER_LINE * max(1, len(lines)) and lines:
            lines.append(_line("rounding", mapping.rounding_item, "Rounding difference (ShopQB)", 1, residual, False))
            rounding = residual
        elif residual:
            description = "Refund adjustment" if lines else "Refund (no items returned)"
            lines.append(_line("refund_adjustment", mapping.discount_item, description, 1, residual, False))
        gateway = max(paid_back, key=lambda t: t.amount.shop.amount).gateway
        when = refund.created_at or order.processed_at
        class_ref, department = mapping.dimensions_for(order)
        documents.append(
            Document(
                class_ref=class_ref,
                department=department,
                entity="RefundReceipt",
                source_type="refund",
                source_id=refund.id,
                order_id=order.id,
                source_name=f"{order.name} refund {number}",
                doc_number=doc_number("R", f"{order.name}-{number}"),
                txn_date=when.astimezone(ZoneInfo(mapping.timezone)).date(),
                currency=order.currency,
                customer=mapping.customer,
                deposit_to=mapping.clearing_for(gateway),
                lines=tuple(lines),
                total_tax=cents(tax),
                total=amount,
                private_note=f"Shopify refund {refund.id} of order {order.name} ({order.id}); via {gateway}. "
                "Written by ShopQB.",
                rounding=rounding,
            )
        )
    return documents


def payout_deposit(payout: Payout, mapping: Mapping) -> Document:
    """A Shopify Payments payout as a Deposit into the bank, from the clearing account.

    One line takes the payout's gross (charges less refunds, plus adjustments and
    the rest) out of the Shopify Payments clearing account, one line books Shopify's
    fees as an expense: the deposit equals the bank line, to the cent.
    """
    if mapping.bank_account is None or mapping.fees_account is None:
        raise LedgerError("payout_accounts_unmapped", "No bank or fees account is mapped for Shopify Payments payouts.")
    if payout.kind != "DEPOSIT" or payout.net.amount < 0:
        raise LedgerError(
            "payout_withdrawal",
            f"Payout {payout.number} took {payout.net.amount} {payout.net.currency} from the bank; "
            "withdrawals are not booked automatically yet.",
        )
    gross, fees, net = cents(payout.gross), cents(payout.fees), cents(payout.net.amount)
    clearing = mapping.clearing_for("shopify_payments")
    lines = [
        DocLine(
            "clearing", clearing, "Shopify Payments sales less refunds and adjustments", Decimal(1), gross, gross, False
        )
    ]
    if fees:
        lines.append(DocLine("fees", mapping.fees_account, "Shopify Payments fees", Decimal(1), -fees, -fees, False))
    residual = net - gross + fees
    if residual:
        if abs(residual) > ROUNDING_TOLERANCE_PER_LINE * 2:
            raise LedgerError(
                "payout_mismatch",
                f"Payout {payout.number}: gross {gross} less fees {fees} is not the {net} paid out.",
            )
        lines.append(
            DocLine("rounding", clearing, "Rounding difference (ShopQB)", Decimal(1), residual, residual, False)
        )
    return Document(
        entity="Deposit",
        source_type="payout",
        source_id=payout.id,
        source_name=f"payout {payout.number}",
        doc_number=doc_number("P", payout.number),
        txn_date=payout.issued_at.astimezone(ZoneInfo(mapping.timezone)).date(),
        currency=payout.net.currency,
        customer=mapping.customer,
        deposit_to=mapping.bank_account,
        lines=tuple(lines),
        total_tax=ZERO,
        total=net,
        private_note=f"Shopify Payments payout {payout.number} ({payout.id}). Written by ShopQB.",
        rounding=residual,
    )
