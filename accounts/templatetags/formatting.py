"""How the merchant's pages write money: the shop's currency, thousands separated, to the cent."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template

register = template.Library()

CENT = Decimal("0.01")


@register.filter
def money(value: object, currency: str = "") -> str:
    """``1234.5|money:"USD"`` -> ``1,234.50 USD``; never a float on the way."""
    try:
        amount = Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        return ""
    text = f"{amount:,.2f}"
    return f"{text} {currency}".strip()
