"""Refunds: each one that returned money as a RefundReceipt from its gateway's clearing account."""

from __future__ import annotations

from decimal import Decimal

from shopqb_app.integrations.shopify.parse import Order, TaxLine
from syncing.ledger import taxes
from syncing.ledger.dates import local_date
from syncing.ledger.lines import priced_line
from syncing.ledger.model import DocLine, Document, Mapping, Ref, check_currency, doc_number
from syncing.ledger.money import ROUNDING_TOLERANCE_PER_LINE, ZERO, cents
from syncing.ledger.taxes import channel_tax_description, channel_tax_item
from syncing.ledger.vat import with_tax

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
        check_currency(order.currency, mapping, f"{order.name} refund {number}")
        what = f"{order.name} refund {number}"
        lines: list[DocLine] = []
        tax = channel = ZERO
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
            line, merchant, owed = _refund_line(
                order,
                mapping,
                f"{what}, {name}",
                ("product", item, f"Refund: {name}", rli.quantity),
                cents(rli.subtotal.shop.amount),
                cents(rli.total_tax.shop.amount),
                li.tax_lines if li else (),
            )
            lines.append(line)
            tax, channel = tax + merchant, channel + owed
        if refund.shipping_subtotal:
            shipped = tuple(t for sl in order.shipping_lines for t in sl.tax_lines)
            line, merchant, owed = _refund_line(
                order,
                mapping,
                f"{what}, shipping",
                ("shipping", mapping.shipping_item, "Refund: shipping", 1),
                cents(refund.shipping_subtotal),
                cents(refund.shipping_tax),
                shipped,
            )
            lines.append(line)
            tax, channel = tax + merchant, channel + owed
        if channel:
            description = channel_tax_description(order, refunded=True)
            line = priced_line("channel_tax", channel_tax_item(mapping, what), description, 1, channel, False)
            lines.append(_untaxed(line, order, mapping, what))
        residual = amount - tax - sum((line.amount for line in lines), ZERO)
        rounding = ZERO
        if residual and abs(residual) <= ROUNDING_TOLERANCE_PER_LINE * max(1, len(lines)) and lines:
            lines.append(
                _untaxed(
                    priced_line("rounding", mapping.rounding_item, "Rounding difference (ShopQB)", 1, residual, False),
                    order,
                    mapping,
                    what,
                )
            )
            rounding = residual
        elif residual:
            description = "Refund adjustment" if lines else "Refund (no items returned)"
            line = priced_line("refund_adjustment", mapping.discount_item, description, 1, residual, False)
            lines.append(_untaxed(line, order, mapping, what))
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
                txn_date=local_date(when, mapping.timezone),
                currency=order.currency,
                customer=mapping.customer,
                deposit_to=mapping.clearing_for(gateway),
                lines=tuple(lines),
                total_tax=cents(tax),
                total=amount,
                private_note=f"Shopify refund {refund.id} of order {order.name} ({order.id}); via {gateway}. "
                "Written by ShopQB.",
                rounding=rounding,
                tax_inclusive=mapping.outside_us and order.taxes_included,
            )
        )
    return documents


def _refund_line(
    order: Order,
    mapping: Mapping,
    what: str,
    line_spec: tuple[str, Ref, str, int],
    subtotal: Decimal,
    refunded_tax: Decimal,
    tax_lines: tuple[TaxLine, ...],
) -> tuple[DocLine, Decimal, Decimal]:
    """A refunded line, the tax on it the merchant owes and the part the sales channel owes.

    Outside the US the line books its tax back on the code and rates the sale used (Shopify
    gives a refunded line's tax as one amount: it is divided as the sale's tax was)."""
    role, item, description, qty = line_spec
    gross = subtotal
    if not mapping.outside_us:
        _, owed = taxes.refunded_tax(tax_lines, refunded_tax) if tax_lines else ({}, ZERO)
        net = subtotal - refunded_tax if order.taxes_included else subtotal
        merchant = refunded_tax - owed
        return priced_line(role, item, description, qty, net, bool(merchant)), merchant, owed
    line_tax, owed = taxes.split_tax(tax_lines, refunded_tax, mapping, what)
    if order.taxes_included:
        gross = subtotal - owed  # the channel's tax is inside the refunded price, but not the line's
    net = gross - line_tax.total if order.taxes_included else subtotal
    line = priced_line(role, item, description, qty, net, bool(line_tax.total))
    return with_tax(line, line_tax, line_tax.amounts, gross if order.taxes_included else None), line_tax.total, owed


def _untaxed(line: DocLine, order: Order, mapping: Mapping, what: str) -> DocLine:
    """Outside the US a line without tax still names a code: the merchant's code for untaxed lines."""
    if not mapping.outside_us:
        return line
    return with_tax(line, taxes.untaxed(mapping, what), (), line.amount if order.taxes_included else None)
