"""An order's amounts as QBO sales lines: products, gift cards, shipping, discounts, tips, duties
and the explicit rounding line, each priced so that Qty x UnitPrice comes back to its amount."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from shopqb_app.integrations.shopify.parse import LineItem, Order, TaxLine
from syncing.ledger.model import DocLine, LedgerError, Mapping, Ref
from syncing.ledger.money import ROUNDING_TOLERANCE_PER_LINE, UNIT_PRICE, ZERO, cents
from syncing.ledger.taxes import channel_tax, channel_tax_description, channel_tax_item


def priced_line(role: str, item: Ref, description: str, qty: int, amount: Decimal, taxable: bool) -> DocLine:
    """A line of ``qty`` at a unit price that multiplies back to ``amount`` exactly in cents.

    QBO keeps unit prices to 7 decimals and checks Amount == Qty x UnitPrice; a net
    amount that does not divide evenly gets the nearest 7-decimal unit price.
    """
    quantity = Decimal(max(qty, 1))
    unit_price = amount / quantity
    if cents(unit_price * quantity) != amount or unit_price != unit_price.quantize(UNIT_PRICE):
        unit_price = unit_price.quantize(UNIT_PRICE, rounding=ROUND_HALF_UP)
    return DocLine(role, item, description, quantity, unit_price, amount, taxable)


def discount_lines(mapping: Mapping, taxed: Decimal, untaxed: Decimal) -> list[DocLine]:
    """Discounts as negative lines on the discount item (US companies). Those of lines Shopify
    taxed are taxable, so that automated sales tax's taxable sales are what Shopify taxed after
    discount; the rest are not."""
    lines = []
    if taxed:
        lines.append(priced_line("discount", mapping.discount_item, "Discounts on taxed sales", 1, -cents(taxed), True))
    if untaxed:
        lines.append(priced_line("discount", mapping.discount_item, "Discounts", 1, -cents(untaxed), False))
    return lines


def duties_item(mapping: Mapping, what: str) -> Ref:
    """Where import duties Shopify collected are booked: they are owed to customs, not sales."""
    if mapping.duties_item is None:
        raise LedgerError(
            "money_account_unmapped",
            f"{what}: the duties Shopify collected need the item for duties; map it under Accounts, then retry. "
            "Nothing was written.",
        )
    return mapping.duties_item


def order_duties(order: Order) -> Decimal:
    """The import duties Shopify charged on the order (shop money). Shopify can charge tax on a
    duty; ShopQB books duties untaxed, so such an order is refused rather than booked wrong."""
    if any(t.price.shop.amount for li in order.line_items for duty in li.duties for t in duty.tax_lines):
        raise LedgerError(
            "duty_tax",
            f"{order.name}: Shopify charged tax on its duties, which ShopQB does not book yet; nothing was written.",
        )
    return cents(order.original_duties.shop.amount) if order.original_duties else ZERO


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


def sale_lines(order: Order, mapping: Mapping) -> tuple[list[DocLine], Decimal, Decimal]:
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
            return any(t.price.shop.amount for t in tax_lines if not t.channel_liable)
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
    discounts = {True: ZERO, False: ZERO}  # by whether Shopify taxed what they discount
    tip_lines = 0
    for li in order.line_items:
        quantity = sold[li.id]
        if quantity <= 0:
            continue
        gross = cents(li.unit_price.shop.amount * quantity)
        if is_tip(li):
            lines.append(priced_line("tip", mapping.tip_item, "Tip", 1, gross, False))
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
        lines.append(priced_line(role, item, description, quantity, net, taxable))
        discounts[taxable] += share(li.discount, li)

    for sl in order.shipping_lines:
        price = cents(sl.original_price.shop.amount)
        taxable = charged_tax(sl.tax_lines, False)
        if price:
            net = price - included_tax(sl.tax_lines)
            lines.append(priced_line("shipping", mapping.shipping_item, f"Shipping: {sl.title}", 1, net, taxable))
        discounts[taxable] += sl.discount

    lines.extend(discount_lines(mapping, discounts[True], discounts[False]))

    tip = cents(order.total_tip.shop.amount)
    if tip and not tip_lines:
        lines.append(priced_line("tip", mapping.tip_item, "Tip", 1, tip, False))

    duties = order_duties(order)
    if duties:
        lines.append(priced_line("duties", duties_item(mapping, order.name), "Duties", 1, duties, False))

    # Tax a sales channel collects and remits (marketplace facilitator tax) is not the merchant's
    # sales tax: its own line, out of the document's tax.
    channel = sum((share(channel_tax(li.tax_lines), li) for li in order.line_items if sold[li.id] > 0), ZERO)
    channel += sum((channel_tax(sl.tax_lines) for sl in order.shipping_lines), ZERO)
    if channel:
        item = channel_tax_item(mapping, order.name)
        lines.append(priced_line("channel_tax", item, channel_tax_description(order), 1, channel, False))

    total = cents(order.total_price.shop.amount)
    total_tax = cents(order.total_tax.shop.amount) - channel
    residual = total - total_tax - sum((line.amount for line in lines), ZERO)
    tolerance = ROUNDING_TOLERANCE_PER_LINE * max(1, len(lines))
    if abs(residual) > tolerance:
        raise LedgerError(
            "total_mismatch",
            f"{order.name}: lines + tax come to {total - residual} but Shopify says {total} "
            f"({order.currency}); difference {residual} is too large to be rounding.",
        )
    if residual:
        lines.append(priced_line("rounding", mapping.rounding_item, "Rounding difference (ShopQB)", 1, residual, False))
    return lines, total_tax, residual
