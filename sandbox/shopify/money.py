"""Money helpers: Decimal amounts, currency exponents, fixed exchange rates, rendering."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

ZERO = Decimal("0")
CENT = Decimal("0.01")

# Currencies without minor units (ISO 4217 exponent 0).
ZERO_DECIMAL = {"JPY", "KRW", "VND", "CLP", "ISK", "HUF", "TWD", "UGX", "XAF", "XOF"}

# The emulator's fixed rates: units of the currency per 1 USD. Conversions between
# two currencies go through USD, so every run gives the same presentment amounts.
USD_RATES = {
    "USD": Decimal("1"),
    "CAD": Decimal("1.35"),
    "EUR": Decimal("0.92"),
    "GBP": Decimal("0.79"),
    "AUD": Decimal("1.50"),
    "JPY": Decimal("150"),
    "MXN": Decimal("17.00"),
    "CHF": Decimal("0.88"),
    "SEK": Decimal("10.50"),
    "NZD": Decimal("1.64"),
}


def dec(value: Any) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if value is None:
        return ZERO
    return Decimal(str(value))


def exponent(currency: str) -> Decimal:
    return Decimal("1") if currency in ZERO_DECIMAL else CENT


def rnd(amount: Decimal, currency: str = "USD") -> Decimal:
    return amount.quantize(exponent(currency), rounding=ROUND_HALF_UP)


def rate(from_currency: str, to_currency: str) -> Decimal:
    """How many units of ``to_currency`` one unit of ``from_currency`` buys (fixed)."""
    if from_currency == to_currency:
        return Decimal("1")
    return USD_RATES.get(to_currency, Decimal("1")) / USD_RATES.get(from_currency, Decimal("1"))


def convert(amount: Decimal, from_currency: str, to_currency: str) -> Decimal:
    return rnd(amount * rate(from_currency, to_currency), to_currency)


def gql_amount(amount: Decimal) -> str:
    """GraphQL Decimal as Shopify renders it: "12.3", "10.0", "0.0"."""
    text = format(amount.normalize(), "f") if amount else "0"
    if "." not in text:
        text += ".0"
    return text


def rest_amount(amount: Decimal, currency: str = "USD") -> str:
    """REST (webhook) amounts: fixed minor units, "12.30"."""
    return str(rnd(amount, currency))


def allocate(total: Decimal, weights: list[Decimal], currency: str = "USD") -> list[Decimal]:
    """Split ``total`` proportionally to ``weights`` so the parts add up exactly (largest remainder)."""
    if not weights:
        return []
    weight_sum = sum(weights, ZERO)
    if weight_sum == 0:
        parts = [ZERO] * len(weights)
        parts[0] = total
        return parts
    unit = exponent(currency)
    raw = [total * w / weight_sum for w in weights]
    parts = [r.quantize(unit, rounding="ROUND_DOWN") for r in raw]
    remainder = int((total - sum(parts, ZERO)) / unit)
    order = sorted(range(len(raw)), key=lambda i: raw[i] - parts[i], reverse=True)
    for i in order[: max(remainder, 0)]:
        parts[i] += unit
    return parts
