"""Reconciliation: what Shopify says should be in the books vs what QBO holds, per day.

Shopify's side is recomputed from the orders themselves (never from our own
records); QBO's side is read back from QuickBooks. Every difference becomes a
SyncIssue, so nothing is only visible in a report nobody reads.

Like is compared with like: each document's TotalAmt in its own currency (QuickBooks'
CurrencyRef) against Shopify's amount in that currency; a document in another currency is a
difference. In a company whose home currency differs, the home-currency equivalent QuickBooks
computed (HomeTotalAmt) is reported alongside.
# Reference: https://developer.intuit.com/app/developer/qbo/docs/workflows/manage-multiple-currencies
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from shopqb_app.integrations.shopify.fetch import all_orders
from shopqb_app.integrations.shopify.parse import parse_order
from syncing import ledger
from syncing.context import SyncContext, context_open
from syncing.models import SourceType, SyncedRecord, SyncIssue
from syncing.orders import skip_reason
from syncing.payouts import paid_payouts
from syncing.reconcile_accounts import accounts_reconcile
from syncing.reconcile_explained import ZERO, AccountCheck, Seen, read_back_records
from syncing.reconcile_sources import booked_kinds, earlier_refunds, edits_written, with_edit_totals
from syncing.summary_reconcile import summaries_reconcile


@dataclass
class DayTotals:
    day: date
    orders: int = 0
    shopify: Decimal = ZERO
    qbo: Decimal = ZERO
    qbo_home: Decimal = ZERO  # the same documents in the company's home currency (HomeTotalAmt)

    @property
    def difference(self) -> Decimal:
        return self.qbo - self.shopify


@dataclass
class Difference:
    source_id: str
    name: str
    shopify: Decimal
    qbo: Decimal | None
    reason: str
    source_type: str = SourceType.ORDER


@dataclass(frozen=True)
class ReadBack:
    """A document's total as QuickBooks holds it, in its own currency and in the home currency."""

    amount: Decimal
    home_amount: Decimal | None  # None: QuickBooks gave no home-currency total and no rate


@dataclass
class Reconciliation:
    currency: str
    home_currency: str = ""  # the QuickBooks company's ("" when not known: the shop's)
    orders_seen: int = 0
    skipped: int = 0
    expected_documents: int = 0
    found_documents: int = 0
    days: dict[date, DayTotals] = field(default_factory=dict)
    differences: list[Difference] = field(default_factory=list)
    refunds_expected: int = 0
    refunds_found: int = 0
    refunds_shopify: Decimal = ZERO
    refunds_qbo: Decimal = ZERO
    payouts_expected: int = 0
    payouts_found: int = 0
    payouts_shopify: Decimal = ZERO
    payouts_qbo: Decimal = ZERO
    refunds_qbo_home: Decimal = ZERO
    payouts_qbo_home: Decimal = ZERO
    home_unknown: int = 0  # documents found whose home-currency total QuickBooks did not give
    # The balance-sheet accounts where money waits (clearing accounts, gift card and store credit
    # liabilities): QuickBooks' balance against Shopify's figure, and what explains a difference.
    accounts: list[AccountCheck] = field(default_factory=list)

    @property
    def foreign(self) -> bool:
        """The shop sells in another currency than the one QuickBooks keeps its books in."""
        return bool(self.home_currency) and self.home_currency != self.currency

    @property
    def qbo_home_total(self) -> Decimal:
        return sum((d.qbo_home for d in self.days.values()), ZERO)

    @property
    def shopify_total(self) -> Decimal:
        return sum((d.shopify for d in self.days.values()), ZERO)

    @property
    def qbo_total(self) -> Decimal:
        return sum((d.qbo for d in self.days.values()), ZERO)

    @property
    def matched(self) -> bool:
        return (
            not self.differences
            and self.shopify_total == self.qbo_total
            and self.refunds_shopify == self.refunds_qbo
            and self.payouts_shopify == self.payouts_qbo
            and not any(check.unexplained for check in self.accounts)
        )

    def day(self, value: date) -> DayTotals:
        return self.days.setdefault(value, DayTotals(day=value))


def reconcile_shop(*, shop_id: int) -> Reconciliation:
    ctx = context_open(shop_id)
    report = Reconciliation(currency=ctx.shop.currency, home_currency=ctx.connection.home_currency or ctx.shop.currency)
    expected: dict[str, ledger.Document] = {}
    expected_refunds: dict[str, ledger.Document] = {}
    booked = booked_kinds(ctx)
    seen = Seen()
    edited = edits_written(ctx)
    for raw in all_orders(ctx.shopify, search=None):
        order = parse_order(raw)
        report.orders_seen += 1
        reason = skip_reason(order, ctx.rules, ctx.mapping)
        if reason:
            report.skipped += 1
            seen.not_booked[order.id] = (order.name, reason, True)
            # Sold before the start date: its later refunds are booked all the same.
            for refund in earlier_refunds(order, ctx):
                expected_refunds[refund.source_id] = refund
                report.refunds_shopify += refund.total
                seen.documents.append(refund)
            continue
        try:
            documents = ledger.order_documents(order, ctx.mapping, booked.get(order.id, frozenset()))
        except ledger.LedgerError as exc:
            day = ledger.txn_date(order, ctx.mapping.timezone)
            report.day(day).orders += 1
            report.day(day).shopify += order.total_price.shop.amount
            report.differences.append(Difference(order.id, order.name, order.total_price.shop.amount, None, str(exc)))
            seen.not_booked[order.id] = (order.name, f"refused: {exc}", True)
            continue
        if not documents:
            report.skipped += 1
            seen.not_booked[order.id] = (order.name, "it moved no money", True)
            continue
        seen.booked[order.id] = order
        seen.documents.extend(documents)
        # The sale itself (SalesReceipt or Invoice) carries the order's total; a
        # Payment only moves it from receivable to the clearing account.
        document = documents[0]
        expected[document.source_id] = document
        totals = report.day(document.txn_date)
        totals.orders += 1
        totals.shopify += document.total
        try:
            refunds = ledger.refund_receipts(order, ctx.mapping)
            refund_entries = ledger.refund_tender_entries(order, ctx.mapping)
            if not edited.get(order.id):
                # Booked as it stands after an edit: refunds of what the edit removed book nothing.
                overpaid = ledger.overpayment_refunds(order, document.total)
                refunds = [r for r in refunds if r.source_id not in overpaid]
                refund_entries = [r for r in refund_entries if r.source_id not in overpaid]
        except ledger.LedgerError as exc:
            amount = order.total_refunded.shop.amount
            report.refunds_shopify += amount
            report.differences.append(Difference(order.id, order.name, amount, None, str(exc)))
            continue
        for refund in refunds:
            expected_refunds[refund.source_id] = refund
            report.refunds_shopify += refund.total
        seen.documents.extend([*refunds, *refund_entries])
    report.expected_documents = len(expected)
    # Posting mode "summary": summarised orders are checked through their summaries.
    summaries_reconcile(ctx, report, expected, expected_refunds, seen, Difference)

    for source_id, found in _read_back_documents(ctx, expected, report, what="", edits=edited).items():
        totals = report.day(expected[source_id].txn_date)
        totals.qbo += found.amount
        totals.qbo_home += found.home_amount or ZERO
        report.found_documents += 1
    report.refunds_expected += len(expected_refunds)
    refunds_found = _read_back_documents(ctx, expected_refunds, report, what="refund ")
    report.refunds_found += len(refunds_found)
    report.refunds_qbo += sum((f.amount for f in refunds_found.values()), ZERO)
    report.refunds_qbo_home += sum((f.home_amount or ZERO for f in refunds_found.values()), ZERO)
    seen.documents.extend(_reconcile_payouts(ctx, report))
    report.accounts = accounts_reconcile(ctx, seen)
    for difference in report.differences:
        SyncIssue.objects.raise_for(
            shop=ctx.shop,
            code="reconcile_difference",
            message=f"{difference.name}: Shopify {difference.shopify}, QuickBooks "
            f"{difference.qbo if difference.qbo is not None else 'nothing'} ({difference.reason})",
            source_type=difference.source_type,
            source_id=difference.source_id,
            retryable=True,
        )
    return report


def _reconcile_payouts(ctx: SyncContext, report: Reconciliation) -> list[ledger.Document]:
    """Every paid-out payout against the Deposit read back from QuickBooks: the bank line, to the
    cent. Returns the documents the payouts should be in QuickBooks as."""
    expected: dict[str, ledger.Document] = {}
    for payout in paid_payouts(ctx.shopify):
        try:
            document = ledger.payout_deposit(payout, ctx.mapping)
        except ledger.LedgerError as exc:
            report.payouts_shopify += payout.signed_net
            report.differences.append(
                Difference(payout.id, f"payout {payout.number}", payout.signed_net, None, str(exc), SourceType.PAYOUT)
            )
            continue
        if ctx.rules.start_date and document.txn_date < ctx.rules.start_date:
            continue
        expected[payout.id] = document
        report.payouts_shopify += document.total
    report.payouts_expected = len(expected)
    found = _read_back_documents(ctx, expected, report, what="payout ")
    report.payouts_found = len(found)
    report.payouts_qbo = sum((f.amount for f in found.values()), ZERO)
    report.payouts_qbo_home = sum((f.home_amount or ZERO for f in found.values()), ZERO)
    return list(expected.values())


def _home_amount(row: dict[str, Any], amount: Decimal, currency: str, home_currency: str) -> Decimal | None:
    """The document's total in the company's home currency: QuickBooks' own HomeTotalAmt (read-only,
    computed by QuickBooks in a multicurrency company), else TotalAmt x ExchangeRate."""
    if row.get("HomeTotalAmt") is not None:
        return Decimal(str(row["HomeTotalAmt"]))
    if currency == home_currency:
        return amount
    rate = row.get("ExchangeRate")
    if rate in (None, ""):
        return None
    return ledger.cents(amount * Decimal(str(rate)))


def _read_back_documents(
    ctx: SyncContext,
    expected: dict[str, ledger.Document],
    report: Reconciliation,
    *,
    what: str,
    edits: dict[str, list[SyncedRecord]] | None = None,
) -> dict[str, ReadBack]:
    """QBO's TotalAmt of each expected document we wrote, read back from QuickBooks, with its
    home-currency equivalent. ``edits``: per order, the edit documents that change its sale (an
    invoice for items added counts up, a credit memo for items removed counts down).

    Missing documents, documents in another currency than Shopify's amount and amounts that
    differ are added to ``report.differences``; a document in another currency is not counted.
    """
    edits = edits or {}
    records: dict[str, SyncedRecord] = {}
    for record in SyncedRecord.objects.filter(shop=ctx.shop, source_id__in=list(expected)).exclude(qbo_id=""):
        document = expected[record.source_id]
        if record.source_type != document.source_type:
            continue
        if record.kind == document.entity:
            records[record.source_id] = record
        elif document.entity == "RefundReceipt" and record.kind == "JournalEntry":
            # A refund paying back an edit's credit is a journal entry (syncing/edits.py).
            records.setdefault(record.source_id, record)
    wanted = [*records.values(), *(r for source_id in expected for r in edits.get(source_id, ()))]
    rows = read_back_records(ctx.qb, wanted)
    amounts: dict[str, ReadBack] = {}
    for source_id, document in expected.items():
        written = records.get(source_id)
        row = rows.get((written.kind, written.qbo_id)) if written else None
        if row is not None and edits.get(source_id):
            row = with_edit_totals(row, [rows.get((r.kind, r.qbo_id), {}) for r in edits[source_id]], edits[source_id])
        if row is None:
            report.differences.append(
                Difference(
                    source_id,
                    document.source_name,
                    document.total,
                    None,
                    f"{what}not in QuickBooks",
                    document.source_type,
                )
            )
            continue
        amount = Decimal(str(row.get("TotalAmt", "0")))
        ref = row.get("CurrencyRef")
        held = (ref.get("value") if isinstance(ref, dict) else "") or report.home_currency or document.currency
        if held != document.currency:
            report.differences.append(
                Difference(
                    source_id,
                    document.source_name,
                    document.total,
                    amount,
                    f"{what}in {held} in QuickBooks, not in {document.currency} as in Shopify",
                    document.source_type,
                )
            )
            continue
        read = ReadBack(amount, _home_amount(row, amount, held, report.home_currency or held))
        if read.home_amount is None:
            report.home_unknown += 1
        amounts[source_id] = read
        if amount != document.total:
            report.differences.append(
                Difference(
                    source_id,
                    document.source_name,
                    document.total,
                    amount,
                    f"{what}amounts differ",
                    document.source_type,
                )
            )
    return amounts
