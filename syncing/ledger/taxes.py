"""Outside the US (VAT, GST/HST/PST/QST): the QuickBooks tax code that books a line, and how the tax
Shopify charged on it divides over that code's rates.

QuickBooks computes VAT itself, per line and per rate, and can land a cent away from Shopify. So
every document states the tax per rate (TxnTaxDetail.TaxLine, which QuickBooks accepts for non-US
companies instead of its own computation) and each line carries the share it holds of it.

In the US a document carries Shopify's tax as one TotalTax with a tax code next to it
(``us_tax_override``): QuickBooks' override of its own sales tax.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from shopqb_app.integrations.shopify.parse import Order, TaxLine
from syncing.ledger.model import LedgerError, Mapping, Ref, TaxCode, TaxKey, tax_key
from syncing.ledger.money import ZERO, cents

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class LineTax:
    """One line's code and the tax it carries per QuickBooks rate: (TaxRate id, amount)."""

    code: TaxCode
    amounts: tuple[tuple[str, Decimal], ...] = ()

    @property
    def total(self) -> Decimal:
        return sum((amount for _, amount in self.amounts), ZERO)

    @property
    def percent(self) -> Decimal:
        """The code's rates together (GST 5% + QST 9.975% -> 14.975)."""
        return sum((percent for _, percent in self.code.rates), Decimal(0))


def describe(key: TaxKey) -> str:
    """("GST", "0.05"), ("PST", "0.07") -> "GST 5% + PST 7%"."""
    if not key:
        return "no tax"
    return " + ".join(f"{title} {(Decimal(rate) * HUNDRED).normalize():f}%" for title, rate in key)


def merchant_tax_lines(tax_lines: Iterable[TaxLine]) -> list[TaxLine]:
    """The tax lines the merchant owes: a channel-liable line is the marketplace's to remit."""
    return [t for t in tax_lines if not t.channel_liable]


def channel_tax(tax_lines: Iterable[TaxLine], amount_of: Callable[[TaxLine], Decimal] | None = None) -> Decimal:
    """The tax on a line that the sales channel owes (Shopify's ``channelLiable``)."""
    amount = amount_of or (lambda t: t.price.shop.amount)
    return cents(sum((amount(t) for t in tax_lines if t.channel_liable), ZERO))


def channel_tax_item(mapping: Mapping, what: str) -> Ref:
    """Where tax the channel collects and remits is booked: never on the merchant's own tax."""
    if mapping.channel_tax_item is None:
        raise LedgerError(
            "channel_liable_tax",
            f"{what} carries tax the sales channel collects and remits (Shopify marks it channel-liable); "
            "choose where that tax is booked (Accounts: “Item for tax sales channels remit”). Nothing was written.",
        )
    return mapping.channel_tax_item


def channel_tax_description(order: Order, refunded: bool = False) -> str:
    channel = order.source_name or "web"
    what = "refunded" if refunded else "collected"
    return f"Tax {what} by the sales channel ({channel}), which remits it: not the merchant's sales tax"


def refunded_tax(tax_lines: Iterable[TaxLine], total: Decimal) -> tuple[dict[int, Decimal], Decimal]:
    """A line's refunded tax (one amount, as Shopify gives it) divided as the sale's tax was: the
    merchant's part per tax line (by ``id``), and the part the sales channel owes."""
    lines = list(tax_lines)
    weights = [t.price.shop.amount or (t.rate or ZERO) for t in lines]
    parts = allocate(total, weights)
    merchant = {id(t): part for t, part in zip(lines, parts, strict=True) if not t.channel_liable}
    channel = sum((part for t, part in zip(lines, parts, strict=True) if t.channel_liable), ZERO)
    return merchant, channel


def untaxed(mapping: Mapping, what: str) -> LineTax:
    """The code for a line Shopify charged no tax on (tips, gift cards, rounding...)."""
    code = mapping.untaxed_code
    if code is None:
        raise LedgerError(
            "tax_codes_unmapped",
            f"{what}: no QuickBooks tax code is chosen for lines Shopify charged no tax on (Taxes step), "
            "so nothing was written.",
        )
    if any(percent for _, percent in code.rates):
        raise LedgerError(
            "tax_code_mismatch",
            f"{what}: the tax code chosen for untaxed lines, “{code.ref.name}”, charges tax; choose a zero-rated, "
            "exempt or out-of-scope code (Taxes step). Nothing was written.",
        )
    return LineTax(code)


def _code_for(key: TaxKey, mapping: Mapping, what: str) -> TaxCode:
    code = mapping.tax_codes.get(key)
    if code is None:
        raise LedgerError(
            "tax_codes_unmapped",
            f"{what}: no QuickBooks tax code is chosen for Shopify's {describe(key)} (Taxes step), "
            "so nothing was written.",
        )
    return code


def _mismatch(key: TaxKey, code: TaxCode, what: str) -> LedgerError:
    rates = " + ".join(f"{percent.normalize():f}%" for _, percent in code.rates) or "no rate"
    return LedgerError(
        "tax_code_mismatch",
        f"{what}: Shopify charged {describe(key)} but the QuickBooks tax code chosen for it, “{code.ref.name}”, "
        f"is {rates}; choose a code with the same rates (Taxes step). Nothing was written.",
    )


def rate_ids(key: TaxKey, rates: Sequence[tuple[str, Decimal]]) -> list[str] | None:
    """The rate of a code (``rates``: TaxRate id, percent) that books each of the key's Shopify
    rates, in the key's order ("" for a 0% line on a code without that rate: nothing to book);
    None when the code does not fit: a rate of the key is not one of the code's, or the code
    charges a rate Shopify did not. The setup offers only codes that fit (mappings/taxes.py)."""
    available = list(rates)
    chosen = []
    for _title, rate in key:
        percent = Decimal(rate) * HUNDRED
        match = next((i for i, (_, p) in enumerate(available) if p == percent), None)
        if match is None:
            if percent != 0:
                return None
            chosen.append("")
            continue
        chosen.append(available.pop(match)[0])
    if any(percent for _, percent in available):
        return None
    return chosen


def _rate_ids(key: TaxKey, code: TaxCode, what: str) -> list[str]:
    chosen = rate_ids(key, code.rates)
    if chosen is None:
        raise _mismatch(key, code, what)
    return chosen


def line_tax(
    tax_lines: Iterable[TaxLine],
    mapping: Mapping,
    what: str,
    amount_of: Callable[[TaxLine], Decimal] = lambda t: t.price.shop.amount,
) -> LineTax:
    """A line's code (by the key of its tax lines) and Shopify's tax on it per QuickBooks rate."""
    lines = merchant_tax_lines(tax_lines)
    if not lines:
        return untaxed(mapping, what)
    key = tax_key((t.title, t.rate) for t in lines)
    code = _code_for(key, mapping, what)
    rate_ids = dict(zip(key, _rate_ids(key, code, what), strict=True))
    amounts: dict[str, Decimal] = {}
    for t in lines:
        rate_id = rate_ids[tax_key([(t.title, t.rate)])[0]]
        amount = cents(amount_of(t))
        if not rate_id:
            if amount:
                raise _mismatch(key, code, what)
            continue
        amounts[rate_id] = amounts.get(rate_id, ZERO) + amount
    return LineTax(code, tuple(amounts.items()))


def allocate(total: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """``total`` in cents over ``weights``, proportionally; the parts add up to ``total`` exactly."""
    if not weights:
        return []
    whole = sum(weights, Decimal(0))
    if not whole:
        weights, whole = [Decimal(1)] * len(weights), Decimal(len(weights))
    parts = [cents(total * w / whole) for w in weights]
    biggest = max(range(len(weights)), key=lambda i: abs(weights[i]))
    parts[biggest] += total - sum(parts, ZERO)
    return parts


def split_tax(tax_lines: Iterable[TaxLine], total: Decimal, mapping: Mapping, what: str) -> tuple[LineTax, Decimal]:
    """A refunded line's tax (one amount, as Shopify gives it) divided as the sale's tax was: the
    merchant's part on the line's code per rate, and the part the sales channel owes."""
    lines = list(tax_lines)
    if not lines:
        if total:
            raise LedgerError(
                "tax_code_mismatch",
                f"{what}: Shopify refunded {total} of tax on a line it charged no tax on; nothing was written.",
            )
        return untaxed(mapping, what), ZERO
    merchant, channel = refunded_tax(lines, total)
    if not merchant:
        return untaxed(mapping, what), channel
    return line_tax(lines, mapping, what, amount_of=lambda t: merchant[id(t)]), channel


def inclusive_part(gross: Decimal, tax: LineTax) -> tuple[tuple[str, Decimal], ...]:
    """The tax QuickBooks' own rule finds in a tax-inclusive ``gross`` at the line's rates, per rate."""
    whole = tax.percent
    if not whole or not tax.amounts:
        return tuple((rate_id, ZERO) for rate_id, _ in tax.amounts)
    percents = dict(tax.code.rates)
    included = cents(gross * whole / (HUNDRED + whole))
    ids = [rate_id for rate_id, _ in tax.amounts]
    parts = allocate(included, [percents[rate_id] for rate_id in ids])
    return tuple(zip(ids, parts, strict=True))


# QuickBooks' US pseudo codes: they mark a line taxable or not; a transaction's code holds rates.
US_LINE_CODES = ("TAX", "NON", "CustomSalesTax")


def us_override_code(codes: Iterable[dict[str, Any]]) -> Ref | None:
    """The tax code a US company's documents name next to Shopify's tax: its first active code
    (lowest Id: the first automated sales tax set up, the company's own jurisdiction) with sales
    rates to carry it. None when the company has none (sales tax not set up)."""
    usable = [
        code
        for code in codes
        if str(code.get("Id")) not in US_LINE_CODES
        and code.get("Active", True) is not False
        and ((code.get("SalesTaxRateList") or {}).get("TaxRateDetail") or [])
    ]
    if not usable:
        return None
    first = min(usable, key=lambda code: (len(str(code["Id"])), str(code["Id"])))
    return Ref(str(first["Id"]), str(first.get("Name") or ""))


def us_tax_override(body: dict[str, Any], code: Ref) -> dict[str, Any]:
    """A US sales document's body with ``code`` named next to its TotalTax.

    Automated sales tax takes an explicit amount only as TxnTaxCodeRef + TotalTax (Intuit: "The
    only case it matters is when you override the tax, in which case you will provide
    TxnTaxDetail.TxnTaxCodeRef and TxnTaxDetail.TotalTax", intuit/QuickBooks-V3-PHP-SDK#199) and
    prorates it across the code's rates; without the code the amount may be ignored. A body
    without TotalTax, or one stating tax per rate (outside the US), comes back as it is."""
    # Reference: https://developer.intuit.com/hub/blog/2017/12/11/using-quickbooks-online-api-automated-sales-tax
    tax = body.get("TxnTaxDetail")
    if not isinstance(tax, dict) or "TotalTax" not in tax or "TaxLine" in tax:
        return body
    return {**body, "TxnTaxDetail": {"TxnTaxCodeRef": code.as_qbo(), **tax}}
