"""The values the ledger works with: the merchant's mapping snapshot, the QBO document and its
lines (and their JSON bodies for QBO), and the error that refuses an order."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from shopqb_app.integrations.shopify.parse import Address, Order
from syncing.ledger.gateways import gateway_key
from syncing.ledger.money import ZERO


class LedgerError(Exception):
    """The order cannot be booked as it stands; the message says why, for the merchant."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Ref:
    value: str
    name: str = ""

    def as_qbo(self) -> dict[str, str]:
        ref = {"value": self.value}
        if self.name:
            ref["name"] = self.name
        return ref


# One line's Shopify tax lines, as the merchant maps them: sorted (title, rate) pairs, the rate as
# Shopify gives it (a fraction) written without trailing zeros: (("GST", "0.05"), ("PST", "0.07")).
TaxKey = tuple[tuple[str, str], ...]


def rate_text(rate: Decimal) -> str:
    """``Decimal("0.200")`` -> ``"0.2"``: one spelling per rate, whatever precision Shopify sent."""
    return format(rate.normalize(), "f")


def tax_key(pairs: Iterable[tuple[str, Decimal | None]]) -> TaxKey:
    """The key of a set of Shopify tax lines (title and rate): what one QuickBooks tax code must book."""
    return tuple(sorted({(title.strip(), rate_text(rate if rate is not None else ZERO)) for title, rate in pairs}))


@dataclass(frozen=True)
class TaxCode:
    """A QuickBooks tax code (outside the US) and its sales rates: (TaxRate id, percent as QuickBooks
    states it, e.g. Decimal("20")), in the code's own order. A code without rates books no tax
    (exempt, out of scope)."""

    ref: Ref
    rates: tuple[tuple[str, Decimal], ...] = ()


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
    # Ids of the mapped items that are QuickBooks Inventory items (their quantity moves with sales)
    inventory_items: frozenset[str] = frozenset()
    bank_account: Ref | None = None  # where Shopify Payments payouts land
    fees_account: Ref | None = None  # expense account for Shopify Payments fees
    version: int = 0  # the merchant's mapping version this snapshot was taken at
    # "location:<gid>" / "channel:<source name>" -> (QBO Class, QBO Department) the merchant chose
    dimensions: dict[str, tuple[Ref | None, Ref | None]] = field(default_factory=dict)
    # Outside the US: the code for each combination of Shopify tax lines found on one line (a
    # product tax override or a province's GST + PST is its own key), and the code for lines
    # Shopify charged no tax on (zero-rated, exempt or out of scope, as the merchant chose).
    tax_codes: dict[TaxKey, TaxCode] = field(default_factory=dict)
    untaxed_code: TaxCode | None = None
    # Tax a sales channel collects and remits itself (Shopify's channelLiable tax lines): booked on
    # this item (its account a liability) so it never counts as the merchant's own sales tax/VAT.
    channel_tax_item: Ref | None = None
    # The QuickBooks company's home currency ("" when unknown: books in the shop's currency as is)
    # and whether multicurrency is on there.
    home_currency: str = ""
    multicurrency: bool = False
    # Accounts money moves to directly (journal entries, payout lines), by mapping role: gift card
    # and store credit liabilities, duties payable, chargebacks, the payout reserve, Shopify Capital.
    accounts: dict[str, Ref] = field(default_factory=dict)
    duties_item: Ref | None = None

    def account_for(self, role: str, what: str) -> Ref:
        """The account mapped for ``role``, or a refusal naming what needs it (the roles came after
        many shops went live: their orders are refused only when they need one)."""
        ref = self.accounts.get(role)
        if ref is None:
            label = role.replace("_", " ")
            raise LedgerError(
                "money_account_unmapped",
                f"{what} needs an account for {label}, which is not mapped yet. Map it under Accounts, then retry; "
                "nothing was written.",
            )
        return ref

    @property
    def outside_us(self) -> bool:
        """A company outside the US books tax per line and per rate (VAT, GST/HST/PST/QST)."""
        return self.country not in ("", "US")

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


def check_currency(currency: str, mapping: Mapping, what: str) -> None:
    """Amounts in a currency other than the company's home currency need QuickBooks multicurrency:
    never book them as if they were home-currency amounts."""
    if mapping.home_currency and currency != mapping.home_currency and not mapping.multicurrency:
        raise LedgerError(
            "multicurrency_off",
            f"{what}: the amounts are in {currency} but your QuickBooks company keeps its books in "
            f"{mapping.home_currency} with multicurrency off. Turn on multicurrency in QuickBooks (Settings, "
            "Account and settings, Advanced, Currency), then retry; nothing was written.",
        )


@dataclass(frozen=True)
class DocLine:
    """One QBO SalesItemLine. ``role`` says what it stands for (product, shipping...).

    Outside the US a line also carries its tax code, the tax it holds per QuickBooks rate and, on
    a tax-inclusive document, its gross (``TaxInclusiveAmt``); ``amount`` is always net of tax.
    """

    role: str
    item: Ref
    description: str
    qty: Decimal
    unit_price: Decimal
    amount: Decimal
    taxable: bool
    tax_code: TaxCode | None = None
    taxes: tuple[tuple[str, Decimal], ...] = ()
    gross: Decimal | None = None

    def as_qbo(self, mapping: Mapping, line_num: int) -> dict[str, Any]:
        if self.tax_code is not None:
            tax_code = self.tax_code.ref.value
        else:
            tax_code = mapping.taxable_code if self.taxable else mapping.exempt_code
        detail: dict[str, Any] = {
            "ItemRef": self.item.as_qbo(),
            "Qty": self.qty,
            "UnitPrice": self.unit_price,
            "TaxCodeRef": {"value": tax_code},
        }
        if self.gross is not None:
            detail["TaxInclusiveAmt"] = self.gross
        return {
            "LineNum": line_num,
            "Description": self.description[:4000],
            "Amount": self.amount,
            "DetailType": "SalesItemLineDetail",
            "SalesItemLineDetail": detail,
        }


def tax_detail(lines: Iterable[DocLine]) -> list[dict[str, Any]]:
    """TxnTaxDetail.TaxLine outside the US: per QuickBooks rate of the codes the lines use, the tax
    Shopify charged and the net amount it was charged on (a 0% rate too: zero-rated sales are
    reported on the VAT return)."""
    amounts: dict[str, Decimal] = {}
    bases: dict[str, Decimal] = {}
    percents: dict[str, Decimal] = {}
    for line in lines:
        if line.tax_code is None:
            continue
        for rate_id, percent in line.tax_code.rates:
            percents[rate_id] = percent
            bases[rate_id] = bases.get(rate_id, ZERO) + line.amount
        for rate_id, amount in line.taxes:
            amounts[rate_id] = amounts.get(rate_id, ZERO) + amount
    return [
        {
            "Amount": amounts.get(rate_id, ZERO),
            "DetailType": "TaxLineDetail",
            "TaxLineDetail": {
                "TaxRateRef": {"value": rate_id},
                "PercentBased": True,
                "TaxPercent": percents[rate_id],
                "NetAmountTaxable": bases[rate_id],
            },
        }
        for rate_id in sorted(percents, key=lambda r: (len(r), r))
    ]


@dataclass(frozen=True)
class Document:
    """A QBO transaction document we will own. ``total`` is what Shopify says it is.

    A JournalEntry's lines are postings (``item`` the account, ``amount`` positive for a debit,
    negative for a credit; they sum to zero) and ``total`` is its debits."""

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
    # The Shopify object that document books, when it is not the order itself (an edit's invoice).
    links_to_source: tuple[str, str] | None = None
    order_id: str = ""  # the Shopify order it books (a refund's order); "" for payouts
    class_ref: Ref | None = None  # QBO Class on every line (the order's location or channel)
    department: Ref | None = None  # QBO Department ("Location" in QBO's screens) of the document
    tax_inclusive: bool = False  # outside the US: Shopify's prices include tax (GlobalTaxCalculation)
    exchange_rate: Decimal | None = None  # home currency per unit of ``currency`` when they differ
    # Where the goods went: US automated sales tax finds the jurisdiction from it (ShipAddr).
    ship_to: Address | None = None

    @property
    def flagged(self) -> bool:
        return self.rounding != ZERO

    @property
    def lines_total(self) -> Decimal:
        return sum((line.amount for line in self.lines), ZERO)

    def as_qbo(self, mapping: Mapping, linked_id: str = "") -> dict[str, Any]:
        """The JSON body for QBO (names as in Intuit's Finance.xsd)."""
        body = self._body(mapping, linked_id)
        if mapping.home_currency and self.currency != mapping.home_currency:
            body["CurrencyRef"] = {"value": self.currency}
            if self.exchange_rate is not None:
                body["ExchangeRate"] = self.exchange_rate
        return body

    def _body(self, mapping: Mapping, linked_id: str) -> dict[str, Any]:
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
        if self.entity == "JournalEntry":
            return {
                "DocNumber": self.doc_number,
                "TxnDate": self.txn_date.isoformat(),
                "PrivateNote": self.private_note,
                "Line": [self._journal_line(line, n) for n, line in enumerate(self.lines, start=1)],
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
            "GlobalTaxCalculation": "TaxInclusive" if self.tax_inclusive else "TaxExcluded",
            # US: Shopify's tax as TotalTax (zero included). The write names the company's tax
            # code next to it (taxes.us_tax_override): TxnTaxCodeRef + TotalTax is QuickBooks'
            # override, so the books carry exactly the tax Shopify charged.
            "TxnTaxDetail": {"TotalTax": self.total_tax},
        }
        if any(line.tax_code is not None for line in self.lines):
            # Outside the US: the tax per rate as Shopify charged it, not as QBO would compute it.
            body["TxnTaxDetail"]["TaxLine"] = tax_detail(self.lines)
        if self.entity in ("SalesReceipt", "RefundReceipt"):
            body["DepositToAccountRef"] = self.deposit_to.as_qbo()
        if self.ship_to is not None:
            body["ShipAddr"] = ship_addr(self.ship_to)
        if self.department is not None:
            body["DepartmentRef"] = self.department.as_qbo()
        if self.class_ref is not None:
            for line in body["Line"]:
                line["SalesItemLineDetail"]["ClassRef"] = self.class_ref.as_qbo()
        return body

    def _journal_line(self, line: DocLine, line_num: int) -> dict[str, Any]:
        """A journal line: ``amount`` positive is a debit, negative a credit; ``item`` is the account."""
        detail: dict[str, Any] = {
            "PostingType": "Debit" if line.amount > 0 else "Credit",
            "AccountRef": line.item.as_qbo(),
        }
        if line.role == "receivable":
            # QuickBooks needs the customer on every Accounts Receivable line.
            detail["Entity"] = {"Type": "Customer", "EntityRef": self.customer.as_qbo()}
        if self.class_ref is not None:
            detail["ClassRef"] = self.class_ref.as_qbo()
        if self.department is not None:
            detail["DepartmentRef"] = self.department.as_qbo()
        return {
            "LineNum": line_num,
            "Description": line.description[:4000],
            "Amount": abs(line.amount),
            "DetailType": "JournalEntryLineDetail",
            "JournalEntryLineDetail": detail,
        }

    def content_hash(self, mapping: Mapping) -> str:
        canonical = json.dumps(self.as_qbo(mapping), sort_keys=True, default=str)
        return hashlib.sha256(canonical.encode()).hexdigest()


def ship_addr(address: Address) -> dict[str, str]:
    """A Shopify shipping address as QuickBooks' PhysicalAddress (only the parts that are set)."""
    # Reference: https://developer.intuit.com/app/developer/qbo/docs/workflows/manage-sales-tax-for-us-locales
    parts = {
        "Line1": address.address1,
        "Line2": address.address2,
        "City": address.city,
        "CountrySubDivisionCode": address.province_code,
        "PostalCode": address.zip,
        "Country": address.country_code,
    }
    return {key: value[:500] for key, value in parts.items() if value}


def doc_number(prefix: str, order_name: str) -> str:
    """``#1001`` -> ``S1001``; QBO allows 21 characters."""
    core = re.sub(r"[^A-Za-z0-9-]", "", order_name) or "0"
    return (prefix + core)[-21:] if len(prefix + core) > 21 else prefix + core
