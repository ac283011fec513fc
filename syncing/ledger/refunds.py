"""Refunds: each one that returned money as a RefundReceipt from its gateway's clearing account.

A refund books back what the sale booked, the way the sale booked it: a returned product at its
original unit price on its own item, the discount those units had on the discount item
(negative), refunded shipping likewise, refunded duties on the duties item, and the tax Shopify
refunded. So a fully refunded order leaves sales, discounts, duties and tax all back at zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from shopqb_app.integrations.shopify.parse import Order, Refund, RefundLineItem, TaxLine
from syncing.ledger import taxes
from syncing.ledger.dates import local_date
from syncing.ledger.gateways import primary_of, tender_totals
from syncing.ledger.gateways import received as gateways_received
from syncing.ledger.lines import discount_lines, duties_item, is_tip, priced_line
from syncing.ledger.model import DocLine, Document, LedgerError, Mapping, Ref, check_currency, doc_number
from syncing.ledger.money import ROUNDING_TOLERANCE_PER_LINE, ZERO, cents
from syncing.ledger.taxes import channel_tax_description, channel_tax_item
from syncing.ledger.vat import LineBuilder, with_tax

REFUND_KINDS = frozenset({"REFUND"})
# Shopify's restockType for units given back without returning to stock.
NOT_RESTOCKED = "NO_RESTOCK"


@dataclass(frozen=True)
class _Returned:
    """Something a refund gives back, priced as the sale booked it."""

    role: str
    item: Ref
    name: str
    qty: int
    gross: Decimal  # at the original price (tax included where prices include tax)
    discount: Decimal  # the part of the sale's discounts that was on it
    tax: Decimal  # the tax Shopify refunded on it, as one amount
    tax_lines: tuple[TaxLine, ...]  # the sale's tax lines: the refunded tax is divided as they were


def refund_receipts(order: Order, mapping: Mapping) -> list[Document]:
    """Each refund that returned money as a RefundReceipt, paid from its gateway's clearing account.

    The receipt totals the money actually refunded; a refund that is not (only) items, such as a
    goodwill amount, books the difference as a refund adjustment on the discount item. A cancelled
    order's refunds are booked like any other: the sale stays, and its cancellation's refund
    reverses it on the refund's own date.
    """
    documents = []
    for number, refund in enumerate(sorted(order.refunds, key=lambda r: (r.created_at is None, r.created_at, r.id)), 1):
        paid_back = [t for t in refund.transactions if t.kind in REFUND_KINDS and t.status == "SUCCESS"]
        amount = cents(sum((t.amount.shop.amount for t in paid_back), ZERO))
        if not amount:
            continue  # a restock or a zero refund moved no money
        what = f"{order.name} refund {number}"
        check_currency(order.currency, mapping, what)
        returned = _returned(order, refund, mapping)
        if mapping.outside_us:
            lines, tax = _vat_lines(order, mapping, what, returned)
        else:
            lines, tax = _us_lines(order, mapping, what, returned)
        if refund.duties:
            line = priced_line("duties", duties_item(mapping, what), "Refund: duties", 1, cents(refund.duties), False)
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
        # The tender the receipt pays back from is the one its tender entry moves the others to.
        gateway = primary_of(tender_totals(paid_back, REFUND_KINDS))
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
                ship_to=order.shipping_address,  # the sale's tax jurisdiction, for the tax given back
            )
        )
    return documents


def _returned(order: Order, refund: Refund, mapping: Mapping) -> list[_Returned]:
    """The refund's line items and shipping, at the sale's prices and discounts.

    Shopify gives a refunded line's subtotal after its discounts; the original unit price times
    the quantity, less that subtotal, is the discount the units had (whatever cent Shopify's own
    allocation put on them), so the refunds of a line add up to exactly what its sale booked. A
    subtotal above the original price has no discount to give back and is booked as Shopify
    states it.
    """
    by_id = {li.id: li for li in order.line_items}
    returned = []
    for rli in refund.line_items:
        if rli.quantity <= 0:
            continue
        subtotal = cents(rli.subtotal.shop.amount)
        tax = cents(rli.total_tax.shop.amount)
        li = by_id.get(rli.line_item_id)
        if li is None:
            item, name = _product_item(mapping, mapping.item_for("", rli.sku), rli, rli.sku or "Refunded item")
            returned.append(_Returned("product", item, name, rli.quantity, subtotal, ZERO, tax, ()))
            continue
        name = li.name
        if is_tip(li):
            role, item = "tip", mapping.tip_item
        elif li.is_gift_card:
            role, item = "gift_card", mapping.gift_card_item
        else:
            role = "product"
            item, name = _product_item(mapping, mapping.item_for(li.variant_id, rli.sku), rli, li.name)
        gross = max(cents(li.unit_price.shop.amount * rli.quantity), subtotal)
        returned.append(_Returned(role, item, name, rli.quantity, gross, gross - subtotal, tax, li.tax_lines))
    if refund.shipping_subtotal:
        tax = cents(refund.shipping_tax)
        # A refunded shipping line's subtotal is without its tax, which Shopify gives beside it (as
        # the REST refund's shipping adjustment states "taxes that are added to amount"); with
        # tax-inclusive prices the price the customer paid back is the two together.
        refunded = cents(refund.shipping_subtotal) + (tax if order.taxes_included else ZERO)
        price = sum((sl.original_price.shop.amount for sl in order.shipping_lines), ZERO)
        discount = sum((sl.discount for sl in order.shipping_lines), ZERO)
        # Discounted shipping comes back at its price, its discount given back in proportion.
        gross = cents(refunded * price / (price - discount)) if discount and price > discount else refunded
        shipped = tuple(t for sl in order.shipping_lines for t in sl.tax_lines)
        returned.append(
            _Returned("shipping", mapping.shipping_item, "shipping", 1, gross, gross - refunded, tax, shipped)
        )
    return returned


def _product_item(mapping: Mapping, item: Ref, rli: RefundLineItem, name: str) -> tuple[Ref, str]:
    """The item a returned product books back on, and its name on the line.

    A line on a QuickBooks inventory item puts its quantity back in stock (and its cost back
    from cost of goods sold to the inventory asset). That is right when Shopify restocked the
    units (restockType RETURN, CANCEL or LEGACY_RESTOCK), wrong when it did not (NO_RESTOCK: the
    goods were kept by the customer, lost or thrown away): the revenue then goes back on the
    non-inventory item for unmapped products, so QuickBooks' quantity and cost of goods sold stay
    as the sale left them, as Shopify's stock does.
    """
    # Reference: https://shopify.dev/docs/api/admin-graphql/2025-04/enums/RefundLineItemRestockType
    # Reference: https://developer.intuit.com/app/developer/qbo/docs/workflows/manage-inventory
    if rli.restock_type != NOT_RESTOCKED or item.value not in mapping.inventory_items:
        return item, name
    if mapping.sales_item.value in mapping.inventory_items:
        raise LedgerError(
            "money_account_unmapped",
            f"{name}: a refund that did not restock books on the item for unmapped products, and "
            f"{mapping.sales_item.name or mapping.sales_item.value} is an inventory item: map a non-inventory "
            "item under Accounts, then retry. Nothing was written.",
        )
    return mapping.sales_item, f"{name} (not restocked)"


def _us_lines(order: Order, mapping: Mapping, what: str, returned: list[_Returned]) -> tuple[list[DocLine], Decimal]:
    """A US company's refund lines and the merchant's refunded tax: each line taxable when Shopify
    refunded tax on it, its discount with the taxable or the untaxed discounts accordingly."""
    lines: list[DocLine] = []
    discounts = {True: ZERO, False: ZERO}
    tax = channel = ZERO
    for r in returned:
        _, owed = taxes.refunded_tax(r.tax_lines, r.tax) if r.tax_lines else ({}, ZERO)
        merchant = r.tax - owed
        net = r.gross - r.tax if order.taxes_included else r.gross
        lines.append(priced_line(r.role, r.item, f"Refund: {r.name}", r.qty, net, bool(merchant)))
        discounts[bool(merchant)] += r.discount
        tax, channel = tax + merchant, channel + owed
    lines.extend(discount_lines(mapping, discounts[True], discounts[False]))
    if channel:
        description = channel_tax_description(order, refunded=True)
        lines.append(priced_line("channel_tax", channel_tax_item(mapping, what), description, 1, channel, False))
    return lines, tax


def _vat_lines(order: Order, mapping: Mapping, what: str, returned: list[_Returned]) -> tuple[list[DocLine], Decimal]:
    """Outside the US: the refund's lines built as the sale's were, each booking its tax back on the
    code and rates the sale used (Shopify gives a refunded line's tax as one amount: it is divided
    as the sale's tax was), and the tax they hold."""
    build = LineBuilder(order, mapping)
    for r in returned:
        line_tax, owed = taxes.split_tax(r.tax_lines, r.tax, mapping, f"{what}, {r.name}")
        build.taxed_line(r.role, r.item, f"Refund: {r.name}", r.qty, r.gross, r.discount, line_tax, owed)
    build.discount_lines()
    if build.channel:
        item = channel_tax_item(mapping, what)
        build.untaxed_line("channel_tax", item, channel_tax_description(order, refunded=True), 1, build.channel)
    return build.lines, sum((amount for line in build.lines for _, amount in line.taxes), ZERO)


def _untaxed(line: DocLine, order: Order, mapping: Mapping, what: str) -> DocLine:
    """Outside the US a line without tax still names a code: the merchant's code for untaxed lines."""
    if not mapping.outside_us:
        return line
    return with_tax(line, taxes.untaxed(mapping, what), (), line.amount if order.taxes_included else None)


def overpayment_refunds(order: Order, sale_total: Decimal) -> frozenset[str]:
    """The refunds that only give back what the customer paid above ``sale_total`` (the order as
    Shopify totals it now, after an edit removed items): money alone, no items, shipping or duties,
    oldest first while the overpayment lasts. A sale first booked after such an edit already
    leaves them out, so these refunds take no revenue back (syncing/edits.py)."""
    received, _ = gateways_received(order)
    over = received - sale_total
    found = set()
    for refund in sorted(order.refunds, key=lambda r: (r.created_at is None, r.created_at, r.id)):
        paid_back = cents(
            sum(
                (t.amount.shop.amount for t in refund.transactions if t.kind in REFUND_KINDS and t.status == "SUCCESS"),
                ZERO,
            )
        )
        money_only = not refund.line_items and not refund.shipping_subtotal and not refund.duties
        if not money_only or not paid_back or paid_back > over:
            continue
        found.add(refund.id)
        over -= paid_back
    return frozenset(found)
