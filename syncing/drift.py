"""The merchant's choice for a document of ours a person changed or deleted in QuickBooks
(found by syncing/cdc.py): post ShopQB's version again, keep QuickBooks' version, or ignore it.

- Re-post: ShopQB's document as the Shopify object says now, written through the sync's own
  writer (syncing/writing.py): a changed document is updated with its current SyncToken (the
  person's version is replaced); a deleted one is created anew with a new requestid, and with a
  new DocNumber (``-r1``...) if QuickBooks refuses the old one.
- Accept theirs: QuickBooks' version stays; its SyncToken becomes the one ShopQB knows, so the
  check sees a later change as new, and the reconciliation counts the document as explained.
- Ignore: nothing is written; the sync still leaves the document alone.

Each choice may be sent twice (a double click, a retry): the second finds it made already.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from django.utils import timezone

from accounts.models import Shop
from shopqb_app.integrations.quickbooks import client as qbo
from shopqb_app.integrations.shopify.fetch import fetch_order
from shopqb_app.integrations.shopify.fetch import payouts as shopify_payouts
from shopqb_app.integrations.shopify.parse import parse_order
from syncing import ledger
from syncing.cdc import DRIFT_CODE
from syncing.context import SyncContext, context_open, with_exchange_rates
from syncing.edits import with_edits
from syncing.models import DriftResolution, Outcome, QboDrift, SourceType, SyncedRecord, SyncIssue
from syncing.orders import earlier_refunds_plan, order_plan, skip_reason, sold_before_start
from syncing.payouts import payout_read
from syncing.writing import FAILURE_CODES, OBJECT_NOT_FOUND, document_write

CHOICES = ("repost", "accept", "ignore")
DONE = (Outcome.WRITTEN, Outcome.UPDATED, Outcome.RECOVERED)
NUMBER_REFUSED = {FAILURE_CODES[qbo.DocNumberTaken]}
SUFFIX = re.compile(r"-r(\d+)$")


class DriftRefused(Exception):
    """The choice cannot be carried out now; the message says why and what to do."""


def drifted(shop: Shop) -> list[SyncedRecord]:
    """The shop's documents people changed in QuickBooks: waiting for a choice first, newest first."""
    records = SyncedRecord.objects.filter(shop=shop).exclude(qbo_drift="")
    return sorted(
        records, key=lambda r: (bool(r.qbo_drift_resolution), -(r.qbo_drift_seen_at or r.updated_at).timestamp())
    )


def drift_resolve(*, shop: Shop, record: SyncedRecord, choice: str) -> str:
    """Carry out the merchant's choice; returns what happened, in a sentence."""
    if choice not in CHOICES:
        raise DriftRefused(f"Unknown choice {choice!r}.")
    record.refresh_from_db()
    if not record.qbo_drift:
        raise DriftRefused(f"{record.kind} {record.doc_number} was not changed in QuickBooks.")
    if choice == "ignore":
        message = _ignore(record)
    elif choice == "accept":
        message = _accept(context_open(shop.pk), record)
    else:
        message = _repost(context_open(shop.pk), record)
    SyncIssue.objects.filter(
        shop=shop, source_type=record.source_type, source_id=record.source_id, code=DRIFT_CODE
    ).resolve()
    return message


def _ignore(record: SyncedRecord) -> str:
    SyncedRecord.objects.filter(pk=record.pk).exclude(qbo_drift="").exclude(
        qbo_drift_resolution=DriftResolution.REPOSTED
    ).update(qbo_drift_resolution=DriftResolution.IGNORED, updated_at=timezone.now())
    return f"{record.kind} {record.doc_number} stays as it is in QuickBooks; ShopQB will not write it."


def _accept(ctx: SyncContext, record: SyncedRecord) -> str:
    if record.qbo_drift_resolution == DriftResolution.REPOSTED:
        raise DriftRefused(f"ShopQB's version of {record.kind} {record.doc_number} was posted again already.")
    fields: dict[str, object] = {"qbo_drift_resolution": DriftResolution.ACCEPTED, "updated_at": timezone.now()}
    if record.qbo_drift == QboDrift.CHANGED:
        current = read_now(ctx.qb, record)
        if current is None:
            fields["qbo_drift"] = QboDrift.DELETED  # deleted since it was changed
        else:
            token = str(current.get("SyncToken", ""))
            fields.update(qbo_sync_token=token, qbo_drift_sync_token=token)
    SyncedRecord.objects.filter(pk=record.pk, qbo_drift=record.qbo_drift).exclude(
        qbo_drift_resolution=DriftResolution.REPOSTED
    ).update(**fields)
    return f"QuickBooks' version of {record.kind} {record.doc_number} is kept; ShopQB will not write it."


def _repost(ctx: SyncContext, record: SyncedRecord) -> str:
    previous = record.qbo_drift_resolution
    if previous == DriftResolution.REPOSTED:
        return f"ShopQB's version of {record.kind} {record.doc_number} was posted again already."
    # The choice is taken once: a second request at the same time finds it taken.
    taken = SyncedRecord.objects.filter(pk=record.pk, qbo_drift=record.qbo_drift, qbo_drift_resolution=previous).update(
        qbo_drift_resolution=DriftResolution.REPOSTED
    )
    if not taken:
        raise DriftRefused(f"{record.kind} {record.doc_number} is being dealt with already: reload the page.")
    try:
        document = _document_now(ctx, record)
        current = read_now(ctx.qb, record) if record.qbo_drift == QboDrift.CHANGED else None
        if current is not None:
            # Replaced in place: the update names the version it replaces.
            SyncedRecord.objects.filter(pk=record.pk).update(
                qbo_sync_token=str(current.get("SyncToken", "")), content_hash="", attempts=0
            )
        else:
            _as_never_written(record)
        outcome = document_write(ctx, document)
        if outcome == Outcome.FAILED and current is None and _number_refused(record):
            SyncedRecord.objects.filter(pk=record.pk).update(
                doc_number_suffix=next_suffix(record.doc_number_suffix), attempts=0, status=SyncedRecord.Status.PENDING
            )
            outcome = document_write(ctx, document)
    except (DriftRefused, ledger.LedgerError, qbo.QBOError) as exc:
        _give_back(record, previous)
        raise DriftRefused(f"ShopQB's version was not posted: {exc}") from exc
    record.refresh_from_db()
    if outcome not in DONE:
        _give_back(record, previous)
        raise DriftRefused(f"ShopQB's version was not posted: {record.last_error or outcome}")
    what = "replaced QuickBooks' version" if current is not None else "was created again"
    return f"ShopQB's {record.kind} {record.doc_number} {what}."


def _give_back(record: SyncedRecord, previous: str) -> None:
    SyncedRecord.objects.filter(pk=record.pk, qbo_drift_resolution=DriftResolution.REPOSTED).update(
        qbo_drift_resolution=previous
    )


def _as_never_written(record: SyncedRecord) -> None:
    """Gone from QuickBooks: the next write creates it, with a new requestid (QuickBooks may
    replay the old one's answer, the deleted document)."""
    SyncedRecord.objects.filter(pk=record.pk).update(
        status=SyncedRecord.Status.PENDING,
        qbo_id="",
        qbo_sync_token="",
        content_hash="",
        request_id=str(uuid.uuid4()),
        attempts=0,
        claimed_at=None,
        synced_at=None,
    )


def next_suffix(suffix: str) -> str:
    match = SUFFIX.search(suffix)
    return f"-r{int(match.group(1)) + 1 if match else 1}"


def _number_refused(record: SyncedRecord) -> bool:
    issues = SyncIssue.objects.open().filter(
        shop=record.shop, source_type=record.source_type, source_id=record.source_id
    )
    return any(i.code in NUMBER_REFUSED or (i.detail or {}).get("qbo_code") == "6140" for i in issues)


def read_now(qb: qbo.QuickBooks, record: SyncedRecord) -> dict[str, Any] | None:
    """The record's document as QuickBooks has it now, or None when it is gone."""
    try:
        # Reference: https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/salesreceipt#read-a-salesreceipt
        return qbo.read(qb, record.kind, record.qbo_id)
    except qbo.QBORejected as exc:
        if exc.code == OBJECT_NOT_FOUND:
            return None
        raise


def _document_now(ctx: SyncContext, record: SyncedRecord) -> ledger.Document:
    """ShopQB's version of the record's document, from the Shopify object as it is now."""
    if record.source_type == SourceType.PAYOUT:
        raw = next((p for p in shopify_payouts(ctx.shopify) if str(p["id"]) == record.source_id), None)
        if raw is None:
            raise DriftRefused(f"Shopify has no payout {record.source_name or record.source_id}.")
        documents = [ledger.payout_deposit(payout_read(ctx.shopify, raw), ctx.mapping)]
    else:
        raw = fetch_order(ctx.shopify, record.order_gid)
        if raw is None:
            raise DriftRefused(f"Shopify has no order {record.source_name or record.order_gid} any more.")
        order = parse_order(raw)
        if skip_reason(order, ctx.rules, ctx.mapping) and sold_before_start(order, ctx):
            plan = earlier_refunds_plan(order, mapping=ctx.mapping, rules=ctx.rules, rates=ctx.exchange_rate)
        else:
            plan = order_plan(order, shop=ctx.shop, mapping=ctx.mapping, rules=ctx.rules, rates=ctx.exchange_rate)
        documents = with_edits(ctx, order, plan.documents)
    documents = with_exchange_rates(documents, ctx.mapping, ctx.exchange_rate)
    for document in documents:
        if (document.source_type, document.source_id, document.entity) == (
            record.source_type,
            record.source_id,
            record.kind,
        ):
            return document
    raise DriftRefused(
        f"ShopQB would not write {record.kind} {record.doc_number} for {record.source_name} now (the order changed "
        "since, or your rules keep it out): keep QuickBooks' version or ignore it."
    )
