"""An order's sales lines for a QuickBooks company outside the US (VAT, GST/HST/PST/QST).

Each line carries the tax code mapped for its Shopify tax lines and the tax Shopify charged on it
per rate; lines Shopify charged no tax on (tips, gift cards, duties, rounding) carry the merchant's
code for untaxed lines. Amounts are net of tax; on a tax-inclusive order each line also states its
gross, which is what the customer saw.

Discounts stay visible as their own lines, under the code of what they discount, so the net sales
per rate (the VAT return's boxes) are right: on a tax-exclusive order one line per code; on a
tax-inclusive order one line per discounted line, each holding the difference between the tax
QuickBooks finds in the undiscounted gross and the tax Shopify charged, so every line's gross,
net and tax agree the way QuickBooks checks them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from shopqb_app.integrations.shopify.parse import LineItem, Order, TaxLine
from syncing.ledger.lines import duties_item, is_tip, order_duties, priced_line, sold_quantities
from syncing.ledger.model import DocLine, LedgerError, Mapping, Ref
from syncing.ledger.money import ROUNDING_TOLERANCE_PER_LINE, ZERO, cents
from syncing.ledger.taxes import (
    LineTax,
    channel_tax,
    channel_tax_description,
    channel_tax_item,
    inclusive_part,
    line_tax,
    untaxed,
)


@dataclass
class _Discounts:
    """Tax-exclusive discounts gathered per tax code."""

    tax: LineTax
    amount: Decimal = ZERO


def with_tax(line: DocLine, tax: LineTax, taxes: tuple[tuple[str, Decimal], ...], gross: Decimal | None) -> DocLine:
    """``line`` under ``tax``'s code, holding ``taxes`` per rate; ``gross`` on a tax-inclusive document."""
    return DocLine(
        line.role,
        line.item,
        line.description,
        line.qty,
        line.unit_price,
        line.amount,
        bool(tax.code.rates),
        tax_code=tax.code,
        taxes=taxes,
        gross=gross,
    )


class LineBuilder:
    """A document's lines as a sale books them (a refund books its lines back the same way)."""

    def __init__(self, order: Order, mapping: Mapping) -> None:
        self.order = order
        self.mapping = mapping
        self.inclusive = order.taxes_included
        self.lines: list[DocLine] = []
        self.discounts: dict[Ref, _Discounts] = {}  # by code (a planned code has no id yet: by name too)
        self.channel = ZERO

    def untaxed_line(self, role: str, item: Ref, description: str, qty: int, amount: Decimal) -> None:
        tax = untaxed(self.mapping, self.order.name)
        line = priced_line(role, item, description, qty, amount, False)
        self.lines.append(with_tax(line, tax, (), amount if self.inclusive else None))

    def taxed_line(
        self,
        role: str,
        item: Ref,
        description: str,
        qty: int,
        gross: Decimal,
        discount: Decimal,
        tax: LineTax,
        channel: Decimal = ZERO,
    ) -> None:
        """A line sold at ``gross`` (before its ``discount``), on which Shopify charged ``tax`` the
        merchant owes and ``channel`` the sales channel owes (booked on a line of its own)."""
        self.channel += channel
        if self.inclusive:
            gross -= channel  # the channel's tax is inside the price too, but is not the line's
        if not self.inclusive:
            line = priced_line(role, item, description, qty, gross, False)
            self.lines.append(with_tax(line, tax, tax.amounts, None))
            if discount:
                slot = self.discounts.setdefault(tax.code.ref, _Discounts(tax))
                slot.amount -= discount
            return
        # Tax-inclusive: the line holds the tax QuickBooks finds in its gross; its discount line
        # holds the rest of what Shopify charged (the tax the discount took off, negative).
        held = tax.amounts if not discount else inclusive_part(gross, tax)
        line = priced_line(role, item, description, qty, gross - sum((a for _, a in held), ZERO), False)
        self.lines.append(with_tax(line, tax, held, gross))
        if discount:
            rest = tuple((rate_id, amount - dict(held)[rate_id]) for rate_id, amount in tax.amounts)
            net = -discount - sum((a for _, a in rest), ZERO)
            line = priced_line("discount", self.mapping.discount_item, f"Discount: {description}", 1, net, False)
            self.lines.append(with_tax(line, tax, rest, -discount))

    def discount_lines(self) -> None:
        for slot in self.discounts.values():
            name = slot.tax.code.ref.name or slot.tax.code.ref.value
            line = priced_line("discount", self.mapping.discount_item, f"Discounts ({name})", 1, slot.amount, False)
            self.lines.append(with_tax(line, slot.tax, (), None))


def _shared(share: Callable[[Decimal, LineItem], Decimal], li: LineItem) -> Callable[[TaxLine], Decimal]:
    return lambda t: share(t.price.shop.amount, li)


def vat_sale_lines(order: Order, mapping: Mapping) -> tuple[list[DocLine], Decimal, Decimal]:
    """The order's lines, its tax (the sum of what the lines carry) and the rounding residual."""
    sold = sold_quantities(order)

    def share(amount: Decimal, li: LineItem) -> Decimal:
        """A line's discount or tax for the quantity still sold after order edits."""
        if sold[li.id] == li.quantity or not li.quantity:
            return amount
        return cents(amount * sold[li.id] / li.quantity)

    build = LineBuilder(order, mapping)
    tip_lines = 0
    for li in order.line_items:
        quantity = sold[li.id]
        if quantity <= 0:
            continue
        gross = cents(li.unit_price.shop.amount * quantity)
        if is_tip(li):
            build.untaxed_line("tip", mapping.tip_item, "Tip", 1, gross)
            tip_lines += 1
            continue
        description = f"{li.name} (SKU {li.sku})" if li.sku else li.name
        if li.is_gift_card:
            item, role = mapping.gift_card_item, "gift_card"
        else:
            item, role = mapping.item_for(li.variant_id, li.sku), "product"
        tax = line_tax(li.tax_lines, mapping, f"{order.name}, {li.name}", amount_of=_shared(share, li))
        channel = channel_tax(li.tax_lines, _shared(share, li))
        build.taxed_line(role, item, description, quantity, gross, share(li.discount, li), tax, channel)

    for sl in order.shipping_lines:
        price = cents(sl.original_price.shop.amount)
        if not price:
            continue
        tax = line_tax(sl.tax_lines, mapping, f"{order.name}, shipping")
        channel = channel_tax(sl.tax_lines)
        build.taxed_line(
            "shipping", mapping.shipping_item, f"Shipping: {sl.title}", 1, price, sl.discount, tax, channel
        )

    tip = cents(order.total_tip.shop.amount)
    if tip and not tip_lines:
        build.untaxed_line("tip", mapping.tip_item, "Tip", 1, tip)
    duties = order_duties(order)
    if duties:
        build.untaxed_line("duties", duties_item(mapping, order.name), "Duties", 1, duties)
    build.discount_lines()
    if build.channel:
        item = channel_tax_item(mapping, order.name)
        build.untaxed_line("channel_tax", item, channel_tax_description(order), 1, build.channel)

    lines = build.lines
    total = cents(order.total_price.shop.amount)
    total_tax = sum((amount for line in lines for _, amount in line.taxes), ZERO)
    residual = total - total_tax - sum((line.amount for line in lines), ZERO)
    if abs(residual) > ROUNDING_TOLERANCE_PER_LINE * max(1, len(lines)):
        raise LedgerError(
            "total_mismatch",
            f"{order.name}: lines + tax come to {total - residual} but Shopify says {total} "
            f"({order.currency}); difference {residual} is too large to be rounding.",
        )
    if residual:
        build.untaxed_line("rounding", mapping.rounding_item, "Rounding difference (ShopQB)", 1, residual)
    return lines, total_tax, residual
