"""Decimal money: the cent, the unit-price precision QBO keeps, and how much rounding may be booked."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
UNIT_PRICE = Decimal("0.0000001")  # QBO keeps unit prices to 7 decimals
ZERO = Decimal("0.00")
# Up to this much per document may be booked as an explicit rounding line.
ROUNDING_TOLERANCE_PER_LINE = Decimal("0.01")


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)
