"""Remove what ShopQB posted for a date range (or everything), and sync it again afterwards.

``undo_plan`` lists every document ShopQB created in the range that is still as ShopQB wrote it:
each is read back from QuickBooks now, and one a person changed since (its SyncToken moved,
syncing/cdc.py ``changed_by_person``), deleted, or that the change check holds for the
merchant's choice is kept and said so. Nothing ShopQB did not create is ever listed: the list
comes from ShopQB's own records.

``undo_start`` writes the audit (UndoRun: who, when, which range; an UndoEntry per document)
and queues ``undo_continue``, which removes the documents in order: deposits and payments
before the sales they link to (QuickBooks refuses to void or delete a transaction another one
still links). Each removal is claimed like a write (the record's conditional UPDATE), checked
again against the SyncToken QuickBooks has now, and recorded as it ends; interrupted anywhere,
``undo_continue`` carries on from the entries to the same end (a removal whose answer was lost
is recognised when the document reads back voided or gone).

How each kind is taken back follows QuickBooks' rules: a SalesReceipt, an Invoice or a Payment
is voided (it stays, with its number, at zero: the trail an accountant expects); QuickBooks
cannot void a RefundReceipt, a CreditMemo, a Deposit or a JournalEntry, which are deleted.
# Reference: https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/salesreceipt#void-a-salesreceipt
# Reference: https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/invoice#void-an-invoice
# Reference: https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/payment#void-a-payment
# Reference: https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/refundreceipt#delete-a-refundreceipt
# Reference: https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/deposit#delete-a-deposit

The removed records stay VOIDED or DELETED, so the sync does not write them again on its own
(the merchant may want to change the mapping first). ``undo_resync`` makes them writable: a new
requestid each (QuickBooks replays an old one's answer: the removed document), and for a voided
document a new DocNumber (``-r1``), since the voided copy keeps the old one; then the orders are
queued and a sweep books the payouts again.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django_q.tasks import async_task

from accounts.models import Shop
from shopqb_app.integrations.quickbooks import client as qbo
from syncing import pending
from syncing.cdc import changed_by_person
from syncing.context import ShopNotReady, SyncContext, claim_lease, context_open
from syncing.drift import next_suffix, read_now
from syncing.models import SourceType, SyncedRecord, UndoEntry, UndoRun
from syncing.reconcile_explained import read_back_records

VOIDABLE = frozenset({"SalesReceipt", "Invoice", "Payment"})
# Deposits and payments before the sales they link to; a tender journal entry links nothing.
REMOVAL_ORDER = ("Deposit", "Payment", "RefundReceipt", "CreditMemo", "JournalEntry", "Invoice", "SalesReceipt")
Outcome = UndoEntry.Outcome
REMOVED = (Outcome.VOIDED, Outcome.DELETED)
STOPPING = (qbo.QBOUnavailable, qbo.QBOAuthError)


class UndoRefused(Exception):
    """The undo cannot start or go on now; the message says why."""


@dataclass(frozen=True)
class Removal:
    record: SyncedRecord
    sync_token: str  # QuickBooks' now (an invoice's moves with its payments)
    linked: bool = False  # outside the range, but linked to an invoice in it

    @property
    def action(self) -> str:
        return UndoEntry.Action.VOID if self.record.kind in VOIDABLE else UndoEntry.Action.DELETE


@dataclass(frozen=True)
class Kept:
    record: SyncedRecord
    reason: str


@dataclass(frozen=True)
class Total:
    kind: str
    action: str
    count: int
    amount: Decimal
    currency: str


@dataclass(frozen=True)
class UndoPlan:
    since: date | None
    until: date | None
    removals: list[Removal]
    kept: list[Kept]

    @property
    def totals(self) -> list[Total]:
        groups: dict[tuple[str, str], list[Removal]] = defaultdict(list)
        for removal in self.removals:
            groups[(removal.record.kind, removal.record.currency)].append(removal)
        return [
            Total(
                kind=kind,
                action=items[0].action,
                count=len(items),
                amount=sum((r.record.amount or Decimal(0) for r in items), Decimal(0)),
                currency=currency,
            )
            for (kind, currency), items in sorted(groups.items(), key=lambda kv: REMOVAL_ORDER.index(kv[0][0]))
        ]


def undo_candidates(shop: Shop, *, since: date | None, until: date | None) -> list[SyncedRecord]:
    """ShopQB's documents dated in the range, and the payments of its invoices in it (an invoice
    cannot go while a payment still applies to it)."""
    # A failed record with an Id is a document of ours whose later update failed: it is in QuickBooks.
    written = (SyncedRecord.Status.SYNCED, SyncedRecord.Status.FAILED)
    ours = SyncedRecord.objects.filter(shop=shop, status__in=written, kind__in=REMOVAL_ORDER).exclude(qbo_id="")
    dated: QuerySet[SyncedRecord] = ours
    if since:
        dated = dated.filter(txn_date__gte=since)
    if until:
        dated = dated.filter(txn_date__lte=until)
    chosen = {r.pk: r for r in dated}
    invoiced = {r.order_gid for r in chosen.values() if r.kind == "Invoice" and r.order_gid}
    for payment in ours.filter(kind="Payment", order_gid__in=invoiced).exclude(pk__in=list(chosen)):
        chosen[payment.pk] = payment
    return sorted(chosen.values(), key=_removal_key)


def _removal_key(record: SyncedRecord) -> tuple[int, date, int]:
    return REMOVAL_ORDER.index(record.kind), record.txn_date or date.min, record.pk


def undo_plan(shop: Shop, qb: qbo.QuickBooks, *, since: date | None, until: date | None) -> UndoPlan:
    """What an undo of the range would remove now, read back from QuickBooks, and what it keeps."""
    records = undo_candidates(shop, since=since, until=until)
    current = read_back_records(qb, records)
    in_range = {r.pk for r in records if _dated_in(r, since, until)}
    removals: list[Removal] = []
    kept: list[Kept] = []
    for record in records:
        doc = current.get((record.kind, record.qbo_id))
        if record.drift_holds:
            kept.append(Kept(record, "changed in QuickBooks by someone else: see Changes in QuickBooks"))
        elif doc is None:
            kept.append(Kept(record, "no longer in QuickBooks"))
        elif changed_by_person(record, doc):
            kept.append(Kept(record, "changed in QuickBooks since ShopQB wrote it"))
        else:
            removals.append(Removal(record, str(doc.get("SyncToken", "")), linked=record.pk not in in_range))
    return UndoPlan(since=since, until=until, removals=removals, kept=kept)


def _dated_in(record: SyncedRecord, since: date | None, until: date | None) -> bool:
    day = record.txn_date
    return day is None or ((since is None or day >= since) and (until is None or day <= until))


def unfinished(shop: Shop) -> UndoRun | None:
    return UndoRun.objects.filter(shop=shop).exclude(status=UndoRun.Status.DONE).first()


def undo_start(
    *, shop: Shop, qb: qbo.QuickBooks, since: date | None, until: date | None, by: str, enqueue: bool = True
) -> UndoRun:
    """Record what is to be removed, as QuickBooks has it now, and queue the removal."""
    if (other := unfinished(shop)) is not None:
        raise UndoRefused(f"The undo of {other.range_text} has not finished: continue it first.")
    plan = undo_plan(shop, qb, since=since, until=until)
    if not plan.removals:
        raise UndoRefused("ShopQB has nothing in QuickBooks to remove for these dates.")
    with transaction.atomic():
        run = UndoRun.objects.create(shop=shop, since=since, until=until, requested_by=by[:128])
        UndoEntry.objects.bulk_create(
            UndoEntry(
                run=run,
                record=r.record,
                position=n,
                kind=r.record.kind,
                qbo_id=r.record.qbo_id,
                sync_token=r.record.qbo_sync_token,
                doc_number=r.record.doc_number,
                source_name=r.record.source_name,
                txn_date=r.record.txn_date,
                amount=r.record.amount or Decimal(0),
                currency=r.record.currency,
                action=r.action,
            )
            for n, r in enumerate(plan.removals)
        )
        if enqueue:
            # ORM broker: the task row commits with the audit (docs: django-q2 brokers).
            undo_enqueue(run)
    return run


def undo_enqueue(run: UndoRun) -> None:
    async_task("syncing.undo.undo_continue", run.pk, group=f"shop-{run.shop_id}")


def undo_continue(run_id: int) -> dict[str, int]:
    """Remove the run's pending documents in order (the django-q2 task; may run twice)."""
    run = UndoRun.objects.select_related("shop").get(pk=run_id)
    if run.status != UndoRun.Status.DONE:
        try:
            ctx = context_open(run.shop_id)
            for entry in run.entries.filter(outcome=Outcome.PENDING).order_by("position"):
                _remove(ctx, entry)
        except (ShopNotReady, UndoRefused, *STOPPING) as exc:
            UndoRun.objects.filter(pk=run.pk).update(status=UndoRun.Status.STOPPED, error=str(exc)[:2000])
        else:
            UndoRun.objects.filter(pk=run.pk).update(status=UndoRun.Status.DONE, error="", finished_at=timezone.now())
    counts: dict[str, int] = defaultdict(int)
    for outcome in run.entries.values_list("outcome", flat=True):
        counts[str(outcome)] += 1
    return dict(counts)


def _remove(ctx: SyncContext, entry: UndoEntry) -> None:
    record = entry.record
    if record is None:
        _entry_end(entry, None, Outcome.FAILED, "ShopQB's record of it is gone (shop data erased)")
        return
    if record.status in (SyncedRecord.Status.VOIDED, SyncedRecord.Status.DELETED) and record.qbo_id == entry.qbo_id:
        # Recorded removed but the entry not (the two are saved together: only a foreign hand).
        _entry_end(entry, None, Outcome.VOIDED if record.status == "voided" else Outcome.DELETED, "")
        return
    if not record.claim(lease=claim_lease()):
        raise UndoRefused(f"{record.kind} {record.doc_number} is being written right now: continue in a minute.")
    try:
        outcome, token, detail = _take_back(ctx, entry, record)
    except qbo.QBORejected as exc:
        record.release()
        stale = isinstance(exc, qbo.QBOStaleObject)
        _entry_end(entry, None, Outcome.KEPT_CHANGED if stale else Outcome.FAILED, str(exc))
        return
    except BaseException:
        record.release()
        raise
    _entry_end(entry, record, outcome, detail, token=token)


def _take_back(ctx: SyncContext, entry: UndoEntry, record: SyncedRecord) -> tuple[str, str, str]:
    """Void or delete the document, unless a person changed it; (outcome, new SyncToken, detail)."""
    doc = read_now(ctx.qb, record)
    started = entry.started_at is not None
    if doc is None:
        if started and entry.action == UndoEntry.Action.DELETE:
            return Outcome.DELETED, "", "deleted (the answer to the first request was lost)"
        return Outcome.KEPT_MISSING, "", "someone deleted it in QuickBooks before the undo reached it"
    if started and entry.action == UndoEntry.Action.VOID and is_voided(doc):
        return Outcome.VOIDED, str(doc.get("SyncToken", "")), "voided (the answer to the first request was lost)"
    if changed_by_person(record, doc):
        return Outcome.KEPT_CHANGED, "", "changed in QuickBooks since ShopQB wrote it: left as it is"
    UndoEntry.objects.filter(pk=entry.pk).update(started_at=timezone.now())
    entry.started_at = timezone.now()
    token = str(doc.get("SyncToken", ""))
    # A new requestid each attempt: QuickBooks would answer a repeated one with its first answer (a
    # refusal, say); a lost answer is caught by the read above.
    request_id = str(uuid.uuid4())
    if entry.action == UndoEntry.Action.VOID:
        written = qbo.void(ctx.qb, record.kind, qbo_id=record.qbo_id, sync_token=token, request_id=request_id)
        return Outcome.VOIDED, written.sync_token, ""
    qbo.delete(ctx.qb, record.kind, qbo_id=record.qbo_id, sync_token=token, request_id=request_id)
    return Outcome.DELETED, "", ""


def is_voided(doc: dict[str, Any]) -> bool:
    """QuickBooks' voided copy: at zero, with "Voided" put before its memo (TxnStatus where given)."""
    # Reference: https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/salesreceipt#void-a-salesreceipt
    if str(doc.get("TxnStatus", "")) == "Voided":
        return True
    return str(doc.get("PrivateNote") or "").startswith("Voided") and Decimal(str(doc.get("TotalAmt", "0"))) == 0


def _entry_end(entry: UndoEntry, record: SyncedRecord | None, outcome: str, detail: str, token: str = "") -> None:
    """The entry's outcome and, for a removal, the record's new state: saved together."""
    now = timezone.now()
    with transaction.atomic():
        if record is not None:
            if outcome in REMOVED:
                status = SyncedRecord.Status.VOIDED if outcome == Outcome.VOIDED else SyncedRecord.Status.DELETED
                SyncedRecord.objects.filter(pk=record.pk).update(
                    status=status, qbo_sync_token=token, claimed_at=None, last_error="", updated_at=now
                )
            else:
                record.release()
        UndoEntry.objects.filter(pk=entry.pk).update(outcome=outcome, detail=detail[:2000], done_at=now)


def undo_resync(run: UndoRun) -> int:
    """Make the run's removed documents writable again and queue their sync, with the mapping as it
    is now. Returns how many documents will be written again; a second call finds none."""
    removed = run.entries.filter(outcome__in=REMOVED, record__isnull=False).select_related("record")
    reset: list[SyncedRecord] = []
    with transaction.atomic():
        for entry in removed:
            record = entry.record
            assert record is not None
            voided = record.status == SyncedRecord.Status.VOIDED
            done = SyncedRecord.objects.filter(
                Q(status=SyncedRecord.Status.VOIDED) | Q(status=SyncedRecord.Status.DELETED),
                pk=record.pk,
                qbo_id=entry.qbo_id,
            ).update(
                status=SyncedRecord.Status.PENDING,
                request_id=str(uuid.uuid4()),
                doc_number_suffix=next_suffix(record.doc_number_suffix) if voided else record.doc_number_suffix,
                qbo_id="",
                qbo_sync_token="",
                content_hash="",
                attempts=0,
                claimed_at=None,
                synced_at=None,
                source_updated_at=None,
                last_error="",
                updated_at=timezone.now(),
            )
            if done:
                reset.append(record)
        for order_gid in sorted({r.order_gid for r in reset if r.order_gid}):
            pending.enqueue_order_sync(shop_id=run.shop_id, order_gid=order_gid)
        if any(r.source_type == SourceType.PAYOUT for r in reset):
            pending.enqueue_sweep(shop_id=run.shop_id)
        UndoRun.objects.filter(pk=run.pk).update(resynced_at=timezone.now())
    return len(reset)
