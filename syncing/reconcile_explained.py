"""What explains a difference between an account's balance in QuickBooks and Shopify's figure:
ShopQB's own records not (yet) in QuickBooks, orders it does not book, documents dated before the
start date, and documents someone else wrote to the account. The types the accounts part of the
reconciliation (syncing/reconcile_accounts.py) reports with."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from shopqb_app.integrations.quickbooks import client as qbo
from shopqb_app.integrations.shopify.balances import all_balance_transactions
from shopqb_app.integrations.shopify.parse import Order
from syncing import ledger
from syncing.context import SyncContext
from syncing.ledger import payouts as ledger_payouts
from syncing.models import SyncedRecord, SyncIssue

ZERO = Decimal("0.00")
ID_CHUNK = 100


def read_back(qb: Any, entity: str, ids: list[str]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(ids), ID_CHUNK):
        chunk = ids[start : start + ID_CHUNK]
        in_list = ", ".join(f"'{i}'" for i in chunk)
        rows = qbo.query_all(qb, f"select * from {entity} where Id in ({in_list})", entity)  # noqa: S608
        for row in rows:
            found[str(row["Id"])] = row
    return found


def read_back_records(qb: Any, records: Iterable[SyncedRecord]) -> dict[tuple[str, str], dict[str, Any]]:
    """The documents QuickBooks holds for these records now, by (entity, Id): one query per entity
    and hundred Ids; a document QuickBooks no longer has is absent."""
    ids: dict[str, set[str]] = defaultdict(set)
    for record in records:
        ids[record.kind].add(record.qbo_id)
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for entity in sorted(ids):
        found = read_back(qb, entity, sorted(ids[entity]))
        rows.update({(entity, qbo_id): row for qbo_id, row in found.items()})
    return rows


# QuickBooks documents that can post to a clearing or liability account ShopQB books to.
LEDGER_ENTITIES = ("SalesReceipt", "RefundReceipt", "Payment", "Deposit", "JournalEntry", "Invoice", "CreditMemo")
# The kinds of Shopify Payments balance transactions that are order money (the clearing account's).
PAYMENTS_CLEARING_TYPES = frozenset(t for t, (role, _label) in ledger_payouts.TYPES.items() if role == "clearing")
ITEM_SIGNS = {"SalesReceipt": -1, "Invoice": -1, "RefundReceipt": 1, "CreditMemo": 1}  # an item line's debit sign
DEPOSIT_SIGNS = {"SalesReceipt": 1, "Payment": 1, "Deposit": 1, "RefundReceipt": -1}  # DepositToAccountRef's


@dataclass(frozen=True)
class Explanation:
    """A document that accounts for part of an account's difference: ``amount`` is its share of
    the difference (QuickBooks less Shopify). ``explains``: ShopQB's own record not (yet) in
    QuickBooks, or something dated before the start date; False for what ShopQB cannot vouch for
    (a document someone else wrote, an amount QuickBooks holds differently), named but still a
    difference."""

    what: str
    amount: Decimal
    explains: bool
    source_id: str = ""


@dataclass
class AccountCheck:
    """One balance-sheet account where money waits: QuickBooks' balance (CurrentBalance, positive
    for a debit balance on an asset, for a credit balance on a liability) against Shopify's figure.
    ``compared`` False: shown side by side, not a difference by itself (``note`` says why)."""

    label: str
    account: ledger.Ref
    qbo: Decimal
    shopify: Decimal | None
    note: str
    compared: bool = True
    liability: bool = False
    explanations: list[Explanation] = field(default_factory=list)

    @property
    def difference(self) -> Decimal:
        return self.qbo - self.shopify if self.compared and self.shopify is not None else ZERO

    @property
    def unexplained(self) -> Decimal:
        return self.difference - sum((e.amount for e in self.explanations if e.explains), ZERO)


@dataclass
class Seen:
    """What the reconciliation learnt from Shopify's orders and payouts, for the accounts part: the
    orders ShopQB books, those it does not (name, why, whether that explains a difference), and the
    documents Shopify's objects should be in QuickBooks as."""

    booked: dict[str, Order] = field(default_factory=dict)
    not_booked: dict[str, tuple[str, str, bool]] = field(default_factory=dict)
    documents: list[ledger.Document] = field(default_factory=list)
    # (source type, source id) of documents booked through a summary written to QuickBooks (posting
    # mode "summary", syncing/summary_reconcile.py): they have no document of their own to look for.
    summarised: set[tuple[str, str]] = field(default_factory=set)


def document_effect(document: ledger.Document, account: str, items: dict[str, str]) -> Decimal:
    """What a document ShopQB plans moves on ``account``, positive for a debit."""
    effect = ZERO
    if document.entity == "JournalEntry":
        return sum((line.amount for line in document.lines if line.item.value == account), ZERO)
    if document.entity == "Deposit":
        effect -= sum((line.amount for line in document.lines if line.item.value == account), ZERO)
    if document.deposit_to.value == account:
        effect += DEPOSIT_SIGNS.get(document.entity, 0) * document.total
    sign = ITEM_SIGNS.get(document.entity, 0)
    return effect + sign * sum((line.amount for line in document.lines if items.get(line.item.value) == account), ZERO)


def _row_effect(entity: str, row: dict[str, Any], account: str, items: dict[str, str]) -> Decimal:
    """What a document QuickBooks holds moves on ``account``, positive for a debit."""
    effect = ZERO
    if (row.get("DepositToAccountRef") or {}).get("value") == account:
        effect += DEPOSIT_SIGNS.get(entity, 0) * Decimal(str(row.get("TotalAmt") or "0"))
    for line in row.get("Line") or []:
        amount = Decimal(str(line.get("Amount") or "0"))
        if entity == "JournalEntry":
            detail = line.get("JournalEntryLineDetail") or {}
            if (detail.get("AccountRef") or {}).get("value") == account:
                effect += amount if detail.get("PostingType") == "Debit" else -amount
        elif entity == "Deposit":
            if ((line.get("DepositLineDetail") or {}).get("AccountRef") or {}).get("value") == account:
                effect -= amount
        else:
            item = ((line.get("SalesItemLineDetail") or {}).get("ItemRef") or {}).get("value")
            if item and items.get(item) == account:
                effect += ITEM_SIGNS.get(entity, 0) * amount
    return effect


def natural(check: AccountCheck, debit: Decimal) -> Decimal:
    """A debit-positive amount as the account's balance shows it (credit-positive for a liability)."""
    return -debit if check.liability else debit


def documents_missing(ctx: SyncContext, seen: Seen, check: AccountCheck, items: dict[str, str]) -> list[Explanation]:
    """ShopQB's own documents for this account's money that QuickBooks does not hold as planned:
    not written yet, failed (with the open issue), deleted in QuickBooks, or holding another amount."""
    planned = {
        (d.source_type, d.source_id, d.entity): (d, effect)
        for d in seen.documents
        if (d.source_type, d.source_id) not in seen.summarised
        and (effect := document_effect(d, check.account.value, items))
    }
    if not planned:
        return []
    records = {
        (r.source_type, r.source_id, r.kind): r
        for r in SyncedRecord.objects.filter(shop=ctx.shop, source_id__in={key[1] for key in planned})
    }
    written = [r for r in records.values() if r.status == SyncedRecord.Status.SYNCED and r.qbo_id]
    rows = read_back_records(ctx.qb, written)
    issues = dict(
        SyncIssue.objects.filter(shop=ctx.shop, resolved_at__isnull=True, source_id__in={k[1] for k in planned})
        .order_by("created_at")
        .values_list("source_id", "message")
    )
    out = []
    for key, (document, effect) in planned.items():
        record = records.get(key)
        if record is None and document.entity == "RefundReceipt":
            # A refund paying back an edit's credit is a journal entry (syncing/edits.py).
            record = records.get((key[0], key[1], "JournalEntry"))
        name = f"{document.doc_number} ({document.source_name})"
        shortfall = -natural(check, effect)
        if record is None or record.status != SyncedRecord.Status.SYNCED or not record.qbo_id:
            state = "not written yet" if record is None else f"{record.status}"
            if record is not None and record.last_error:
                state += f": {record.last_error}"
            issue = issues.get(document.source_id) or issues.get(document.order_id)
            out.append(
                Explanation(
                    f"{name}: {state}" + (f" (issue: {issue})" if issue else ""),
                    shortfall,
                    True,
                    document.order_id or document.source_id,
                )
            )
            continue
        row = rows.get((record.kind, record.qbo_id))
        if row is None:
            out.append(
                Explanation(
                    f"{name}: ShopQB wrote it as {record.kind} {record.qbo_id}, which is no longer in QuickBooks",
                    shortfall,
                    True,
                    document.order_id or document.source_id,
                )
            )
            continue
        held = _row_effect(record.kind, row, check.account.value, items)
        if held != effect:
            out.append(
                Explanation(
                    f"{name}: QuickBooks holds {natural(check, held):,.2f} of it on this account, "
                    f"ShopQB wrote {natural(check, effect):,.2f}",
                    natural(check, held - effect),
                    False,
                    document.order_id or document.source_id,
                )
            )
    return out


def orders_booked_otherwise(ctx: SyncContext, seen: Seen, check: AccountCheck) -> list[Explanation]:
    """Booked orders whose documents put another amount in Shopify Payments clearing than Shopify
    Payments moved for them (charges less refunds, paid out or not): a booking that disagrees with
    Shopify, named but not explained away."""
    moved: dict[str, Decimal] = defaultdict(Decimal)
    for t in all_balance_transactions(ctx.shopify):
        if t.type in PAYMENTS_CLEARING_TYPES and not t.test and t.order_id in seen.booked:
            moved[t.order_id] += t.amount
    planned: dict[str, Decimal] = defaultdict(Decimal)
    for document in seen.documents:
        if document.order_id in seen.booked:
            planned[document.order_id] += document_effect(document, check.account.value, {})
    out = []
    for order_id in sorted(set(moved) | set(planned)):
        booked = natural(check, planned[order_id])
        if booked != moved[order_id]:
            out.append(
                Explanation(
                    f"{seen.booked[order_id].name}: ShopQB's documents put {booked:,.2f} in this account, "
                    f"Shopify Payments moved {moved[order_id]:,.2f} for it",
                    booked - moved[order_id],
                    False,
                    order_id,
                )
            )
    return out


def documents_not_ours(ctx: SyncContext, check: AccountCheck, items: dict[str, str]) -> list[Explanation]:
    """Documents in QuickBooks that post to the account and that ShopQB did not write: dated before
    the start date (an opening balance, earlier bookkeeping), or written by someone else since."""
    ours = set(SyncedRecord.objects.filter(shop=ctx.shop).exclude(qbo_id="").values_list("kind", "qbo_id"))
    start = ctx.rules.start_date
    out = []
    for entity in LEDGER_ENTITIES:
        for row in qbo.query_all(ctx.qb, f"select * from {entity}", entity):  # noqa: S608
            if (entity, str(row["Id"])) in ours:
                continue
            effect = _row_effect(entity, row, check.account.value, items)
            if not effect:
                continue
            day = str(row.get("TxnDate") or "")
            number = f" {row['DocNumber']}" if row.get("DocNumber") else ""
            before = bool(start and day and date.fromisoformat(day) < start)
            whose = "dated before the start date" if before else "not written by ShopQB"
            out.append(
                Explanation(f"{entity}{number} (Id {row['Id']}, {day}): {whose}", natural(check, effect), before)
            )
    return out
