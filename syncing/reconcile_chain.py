"""The reconciliation centre's payouts: per Shopify Payments payout of the range, the chain from
its orders to the bank, orders -> documents -> payout -> Deposit -> the bank account's balance in
QuickBooks, and the payout's net and fees against the Deposit QuickBooks holds (read back by its
Id), counted into the payout's day (syncing/reconcile_centre.py)."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from shopqb_app.integrations.shopify.payouts import Payout
from syncing import ledger
from syncing.context import SyncContext
from syncing.models import SyncedRecord
from syncing.reconcile_days import Centre, ChainOrder, Explanation, PayoutChain
from syncing.reconcile_explained import ZERO, read_back
from syncing.reconcile_read import Links, documents_written, explain, read_rows, row_total

SALES = ("SalesReceipt", "Invoice")


def payout_chains(
    ctx: SyncContext,
    centre: Centre,
    links: Links,
    payouts: list[tuple[Payout, ledger.Document | None, str]],
) -> list[PayoutChain]:
    """Each payout (with the document Shopify's payout should be, or why there is none) against
    what QuickBooks holds; counts the payouts and fees into their days."""
    documents = [d for _p, d, _r in payouts if d is not None]
    records = documents_written(ctx, documents)
    rows = read_rows(ctx, list(records.values()))
    orders = _orders_written(ctx, [t.order_id for p, _d, _r in payouts for t in p.transactions if t.order_id])
    # The orders' documents as QuickBooks holds them: one a person deleted breaks the chain.
    held_orders = set(read_rows(ctx, [r for records_ in orders.values() for r in records_]))
    banks = _banks(ctx, rows.values())
    fees_account = ctx.mapping.fees_account.value if ctx.mapping.fees_account else ""
    chains = []
    for payout, document, refusal in payouts:
        chain = PayoutChain(
            payout.number,
            ledger.local_date(payout.issued_at, ctx.mapping.timezone),
            payout.signed_net,
            payout.net.currency,
        )
        chain.orders = _chain_orders(links, payout, orders, held_orders)
        row = centre.day(chain.day)
        if document is None:
            row.shopify["payouts"] += payout.signed_net
            row.explanations.append(
                Explanation(
                    "refused",
                    f"payout {payout.number}: ShopQB cannot book it ({refusal})",
                    {"payouts": -payout.signed_net},
                    True,
                    issue_url=links.issue(payout.id),
                )
            )
            chain.broken = f"ShopQB cannot book this payout: {refusal}"
            chains.append(chain)
            continue
        chain.day = document.txn_date
        record = records.get((document.source_type, document.source_id, document.entity))
        held = rows.get((record.kind, record.qbo_id)) if record and record.qbo_id else None
        shopify_fees = _document_fees(document, fees_account)
        row.shopify["payouts"] += document.total
        row.shopify["fees"] += shopify_fees
        amount = row_total(held) if held else ZERO
        fees = _row_fees(document.entity, held, fees_account) if held else ZERO
        row.qbo["payouts"] += amount
        row.qbo["fees"] += fees
        share = {"payouts": amount - document.total, "fees": fees - shopify_fees}
        if held is None or any(share.values()):
            row.explanations.append(explain(links, document, record, held, share))
        if held is not None and record is not None:
            chain.deposit = f"{record.kind} {record.doc_number} (QuickBooks Id {record.qbo_id})"
            chain.deposit_amount = amount
            bank = _bank_of(document.entity, held)
            chain.bank, chain.bank_balance = banks.get(bank, ("", None))
        chain.broken = _broken(chain, document, held)
        chains.append(chain)
    return chains


def _broken(chain: PayoutChain, document: ledger.Document, held: dict[str, Any] | None) -> str:
    missing = [o.name for o in chain.orders if not o.in_books]
    if held is None:
        return f"the payout's {document.entity} is not in QuickBooks"
    if chain.deposit_amount != document.total:
        return f"QuickBooks holds {chain.deposit_amount:,.2f} for it, not {document.total:,.2f}"
    if missing:
        return f"{len(missing)} of its orders not in QuickBooks: {', '.join(missing[:5])}"
    return ""


def _orders_written(ctx: SyncContext, order_ids: list[str]) -> dict[str, list[SyncedRecord]]:
    out: dict[str, list[SyncedRecord]] = defaultdict(list)
    for record in SyncedRecord.objects.filter(shop=ctx.shop, order_gid__in=set(order_ids)).order_by("pk"):
        out[record.order_gid].append(record)
    return out


def _chain_orders(
    links: Links, payout: Payout, written: dict[str, list[SyncedRecord]], held: set[tuple[str, str]]
) -> list[ChainOrder]:
    seen: dict[str, ChainOrder] = {}
    for t in payout.transactions:
        if not t.order_id or t.order_id in seen:
            continue
        records = written.get(t.order_id, [])
        synced = [r for r in records if r.status == SyncedRecord.Status.SYNCED and r.qbo_id]
        gone = [r for r in synced if (r.kind, r.qbo_id) not in held]
        synced = [r for r in synced if (r.kind, r.qbo_id) in held]
        name = t.order_name or next((r.source_name for r in records if r.source_name), t.order_id)
        skipped = next((r.last_error for r in records if r.status == SyncedRecord.Status.SKIPPED), "")
        failed = next((r for r in records if r.status == SyncedRecord.Status.FAILED), None)
        note = f"kept out: {skipped}" if skipped else "failed: see its issue" if failed else ""
        if gone:
            note = ", ".join(f"{r.kind} {r.doc_number} deleted in QuickBooks" for r in gone)
        seen[t.order_id] = ChainOrder(
            name,
            links.order(name),
            [f"{r.kind} {r.doc_number}".strip() for r in synced],
            any(r.kind in SALES for r in synced),
            note or ("" if synced else "not in QuickBooks yet"),
        )
    return list(seen.values())


def _document_fees(document: ledger.Document, fees_account: str) -> Decimal:
    """What the payout paid in fees, as the document books them (positive: a cost). A Deposit's fee
    lines are negative (paid from the payout); a withdrawal's journal debits the fees account."""
    amount = sum((line.amount for line in document.lines if line.item.value == fees_account), ZERO)
    return -amount if document.entity == "Deposit" else amount


def _row_fees(entity: str, row: dict[str, Any], fees_account: str) -> Decimal:
    """The same as QuickBooks holds it."""
    total = ZERO
    for line in row.get("Line") or []:
        amount = Decimal(str(line.get("Amount") or "0"))
        if entity == "Deposit":
            detail = line.get("DepositLineDetail") or {}
            if (detail.get("AccountRef") or {}).get("value") == fees_account:
                total -= amount
        else:
            detail = line.get("JournalEntryLineDetail") or {}
            if (detail.get("AccountRef") or {}).get("value") == fees_account:
                total += amount if detail.get("PostingType") == "Debit" else -amount
    return total


def _bank_of(entity: str, row: dict[str, Any]) -> str:
    if entity == "Deposit":
        return str((row.get("DepositToAccountRef") or {}).get("value") or "")
    for line in row.get("Line") or []:
        detail = line.get("JournalEntryLineDetail") or {}
        if detail.get("PostingType") == "Credit":
            account = str((detail.get("AccountRef") or {}).get("value") or "")
            if account:
                return account
    return ""


def _banks(ctx: SyncContext, rows: Any) -> dict[str, tuple[str, Decimal | None]]:
    """Each bank account the Deposits went to: its name and QuickBooks' balance (CurrentBalance)."""
    # Reference: https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/account
    ids = {_bank_of("Deposit", r) for r in rows} - {""}
    if ctx.mapping.bank_account is not None:
        ids.add(ctx.mapping.bank_account.value)
    found = read_back(ctx.qb, "Account", sorted(ids))
    return {
        qbo_id: (str(row.get("Name") or qbo_id), Decimal(str(row.get("CurrentBalance") or "0")))
        for qbo_id, row in found.items()
    }
