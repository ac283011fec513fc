"""Where a document is written to QuickBooks: created once, updated in place, voided, deleted.

Every write may run twice, concurrently or after a crash: the SyncedRecord row
(unique per shop, Shopify object and document kind) is claimed with a conditional
UPDATE before any QBO call, every create carries a stable requestid, and a lost
answer is found again by DocNumber + PrivateNote.
"""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction

from accounts.models import Shop
from shopqb_app.integrations.quickbooks import client as qbo
from syncing import ledger, sales_tax
from syncing.context import SyncContext, claim_lease
from syncing.models import Outcome, SourceType, SyncedRecord, SyncIssue

MAX_ATTEMPTS = 5
OBJECT_NOT_FOUND = "610"  # QBO's fault code for an Id it does not have (or no longer has)
# A document dated before an inventory item's InvStartDate (code as integrations quote it; see
# sandbox/qbo/README.md, Fidelity).
INVENTORY_START_FAULT = "6270"
REQUEST_ID_NAMESPACE = uuid.UUID("6b7c1f0e-5d0a-4f53-9a43-2f1e8c9b0d11")
FAILURE_CODES: dict[type[qbo.QBOError], str] = {
    qbo.DocNumberTaken: "doc_number_taken",
    qbo.QBOUnavailable: "qbo_unavailable",
    qbo.QBOStaleObject: "qbo_stale_object",
    qbo.QBOAuthError: "qbo_auth",
}


def stable_request_id(shop: Shop, source_id: str, kind: str) -> str:
    return str(uuid.uuid5(REQUEST_ID_NAMESPACE, f"{shop.domain}|{source_id}|{kind}"))


def record_for(shop: Shop, document: ledger.Document) -> SyncedRecord:
    defaults = {
        "source_name": document.source_name,
        "order_gid": document.order_id,
        "request_id": stable_request_id(shop, document.source_id, document.entity),
        "doc_number": document.doc_number,
    }
    try:
        with transaction.atomic():
            record, _ = SyncedRecord.objects.get_or_create(
                shop=shop,
                source_type=document.source_type,
                source_id=document.source_id,
                kind=document.entity,
                defaults=defaults,
            )
    except IntegrityError:
        # Another worker created it between our SELECT and INSERT.
        record = SyncedRecord.objects.get(
            shop=shop, source_type=document.source_type, source_id=document.source_id, kind=document.entity
        )
    if record.order_gid != document.order_id:
        # Written before records knew their order: recovery finds it through the order.
        SyncedRecord.objects.filter(pk=record.pk).update(order_gid=document.order_id)
        record.order_gid = document.order_id
    return record


def document_write(ctx: SyncContext, document: ledger.Document) -> Outcome:
    """Create or update ``document`` in QBO exactly once. Returns what happened."""
    prepared = write_prepare(ctx, document)
    if isinstance(prepared, Outcome):
        return prepared
    return write_prepared(ctx, prepared)


def write_prepared(ctx: SyncContext, prepared: PreparedWrite, *, looked_up: bool = False) -> Outcome:
    """Send one claimed write on its own: an update in place, or a create (``_create_once``;
    ``looked_up``: its DocNumber was looked for already, syncing/batches.py)."""
    record, document, content_hash, body = prepared.record, prepared.document, prepared.content_hash, prepared.body
    try:
        if record.qbo_id:
            written = qbo.update(
                ctx.qb,
                document.entity,
                body,
                qbo_id=record.qbo_id,
                sync_token=record.qbo_sync_token,
                request_id=f"{record.request_id[:36]}-u{content_hash[:12]}",
            )
            outcome = Outcome.UPDATED
        else:
            written, outcome = _create_once(ctx, record, document, body, looked_up=looked_up)
    except qbo.QBOError as exc:
        return write_refused(ctx, prepared, exc)
    write_recorded(ctx, prepared, written)
    return outcome


@dataclass(frozen=True)
class PreparedWrite:
    """A document whose record this worker has claimed, with the body to send."""

    record: SyncedRecord
    document: ledger.Document
    content_hash: str
    body: dict[str, Any]


def write_prepare(ctx: SyncContext, document: ledger.Document) -> PreparedWrite | Outcome:
    """Claim the document's record and build its body; an Outcome when there is nothing to send
    (unchanged, held, poison, busy, waiting for its linked document). syncing/batches.py sends
    many prepared creates in one request."""
    record = record_for(ctx.shop, document)
    document = record.numbered(document)  # written again after an undo or a re-post: maybe a new number
    content_hash = document.content_hash(ctx.mapping)
    if record.status == SyncedRecord.Status.SYNCED and record.content_hash == content_hash:
        return Outcome.UNCHANGED
    if record.status in (SyncedRecord.Status.VOIDED, SyncedRecord.Status.DELETED) or record.drift_holds:
        # Removed by an undo, or changed by a person in QuickBooks (syncing/cdc.py): only the
        # merchant's choice writes it again (syncing/undo.py re-sync, syncing/drift.py re-post).
        return Outcome.UNCHANGED
    if record.status == SyncedRecord.Status.FAILED and record.attempts >= MAX_ATTEMPTS:
        # Poison work: stays failed (with its open issue) until someone retries it.
        return Outcome.FAILED
    if not record.claim(lease=claim_lease()):
        return Outcome.BUSY
    if record.qbo_id and record.content_hash == content_hash:
        record.release()
        return Outcome.UNCHANGED
    linked_id = ""
    if document.links_to:
        # The document it applies to: the order's own (a payment's invoice), or an edit's.
        source_type, source_id = document.links_to_source or (SourceType.ORDER, document.order_id)
        linked = SyncedRecord.objects.filter(
            shop=ctx.shop, source_type=source_type, source_id=source_id, kind=document.links_to
        ).first()
        if linked is None or not linked.qbo_id:
            record.release()
            SyncIssue.objects.raise_for(
                shop=ctx.shop,
                code="waiting_for_linked_document",
                message=f"{document.entity} for {document.source_name} waits for its {document.links_to}.",
                source_type=document.source_type,
                source_id=document.source_id,
                record=record,
            )
            return Outcome.FAILED
        linked_id = linked.qbo_id
    body = document.as_qbo(ctx.mapping, linked_id)
    prepared = PreparedWrite(record=record, document=document, content_hash=content_hash, body=body)
    try:
        # US: the company's tax code next to Shopify's tax, so that QuickBooks takes it as is.
        body = sales_tax.with_override(ctx, body)
    except qbo.QBOError as exc:
        return write_refused(ctx, prepared, exc)
    return dataclasses.replace(prepared, body=body)


def write_refused(ctx: SyncContext, prepared: PreparedWrite, exc: qbo.QBOError) -> Outcome:
    """A claimed write QuickBooks did not take: the record fails with its issue (retried by a later
    pass). The company unreachable, throttling or refusing our access is raised: the pass stops
    instead of hammering it order by order, and the next sweep retries the record."""
    _write_failed(ctx, prepared.record, prepared.document, exc)
    if isinstance(exc, qbo.QBOAuthError | qbo.QBOUnavailable):
        raise exc
    return Outcome.FAILED


def write_recorded(ctx: SyncContext, prepared: PreparedWrite, written: qbo.Written) -> None:
    """What QuickBooks answered for a claimed write, stored on its record."""
    record, document = prepared.record, prepared.document
    record.mark_synced(
        qbo_id=written.id,
        sync_token=written.sync_token,
        content_hash=prepared.content_hash,
        amount=document.total,
        currency=document.currency,
        txn_date=document.txn_date,
        doc_number=document.doc_number,
        source_name=document.source_name,
        mapping_version=ctx.mapping.version,
    )
    SyncIssue.objects.resolve_for(shop=ctx.shop, source_type=document.source_type, source_id=document.source_id)
    _flag_for_the_merchant(ctx, record, document, written)


def _create_once(
    ctx: SyncContext, record: SyncedRecord, document: ledger.Document, body: dict[str, Any], *, looked_up: bool
) -> tuple[qbo.Written, Outcome]:
    """Create the document, or find the one an earlier attempt already created.

    A later attempt (a lost answer, a crashed worker) looks for its DocNumber first
    (unless ``looked_up``: the caller looked for it already).
    A first attempt goes straight to the create (saving QBO's per-company request
    budget) only where the company refuses duplicate numbers (6140), which then
    catches a document of ours whose record was lost or anyone else's with the
    number; a company that accepts duplicates (custom transaction numbers off, as a
    new company has it) gets the lookup on every attempt. The stable requestid makes
    QBO replay a create it already did, but is not a permanent guarantee. Ours is
    recovered, anyone else's is never touched.
    """

    def ours() -> dict[str, Any] | None:
        return qbo.find_owned_document(ctx.qb, document.entity, document.doc_number, document.source_id)

    if not looked_up and (record.attempts > 1 or not ctx.refuses_duplicate_numbers):
        existing = ours()
        if existing is not None:
            return qbo.written_from_dict(existing), Outcome.RECOVERED
    try:
        return qbo.create(ctx.qb, document.entity, body, request_id=record.request_id), Outcome.WRITTEN
    except qbo.QBORejected as exc:
        if exc.code != "6140":
            raise
        existing = ours()  # raises DocNumberTaken when the number is someone else's
        if existing is None:
            raise
        return qbo.written_from_dict(existing), Outcome.RECOVERED


def _write_failed(ctx: SyncContext, record: SyncedRecord, document: ledger.Document, exc: qbo.QBOError) -> None:
    record.mark_failed(error=str(exc), amount=document.total, currency=document.currency, txn_date=document.txn_date)
    code = FAILURE_CODES.get(type(exc), "qbo_rejected")
    if exc.code == INVENTORY_START_FAULT:
        code = "inventory_start_date"
    SyncIssue.objects.raise_for(
        shop=ctx.shop,
        code=code,
        message=f"{document.entity} {document.doc_number} for {document.source_name}: {exc}",
        source_type=document.source_type,
        source_id=document.source_id,
        record=record,
        retryable=True,
        detail={"qbo_code": exc.code},
    )


def _flag_for_the_merchant(
    ctx: SyncContext, record: SyncedRecord, document: ledger.Document, written: qbo.Written
) -> None:
    """A written document that still needs a look: QBO's total differs, or the ledger
    had to book a refund adjustment or a rounding line."""
    tax_reason = sales_tax.tax_not_taken(ctx, document, written) if written.total != document.total else None
    if tax_reason is not None:
        # QuickBooks booked its own sales tax, not Shopify's: said as such, not as a bare total.
        SyncIssue.objects.raise_for(
            shop=ctx.shop,
            code="qbo_sales_tax_not_taken",
            message=tax_reason,
            source_type=document.source_type,
            source_id=document.source_id,
            record=record,
            retryable=False,
            detail={"shopify_tax": str(document.total_tax), "shopify_total": str(document.total)},
        )
    elif written.total != document.total:
        SyncIssue.objects.raise_for(
            shop=ctx.shop,
            code="qbo_total_differs",
            message=(
                f"{document.entity} {document.doc_number} totals {written.total} in QuickBooks "
                f"but Shopify says {document.total}."
            ),
            source_type=document.source_type,
            source_id=document.source_id,
            record=record,
            retryable=False,
        )
    if any(line.role == "refund_adjustment" for line in document.lines):
        adjustment = sum((line.amount for line in document.lines if line.role == "refund_adjustment"), Decimal(0))
        SyncIssue.objects.raise_for(
            shop=ctx.shop,
            code="refund_adjustment",
            message=(
                f"{document.doc_number} refunds {adjustment} that Shopify does not attribute to returned items; "
                "it is booked as a refund adjustment on the discount item."
            ),
            source_type=document.source_type,
            source_id=document.source_id,
            record=record,
            retryable=False,
        )
    if document.flagged:
        SyncIssue.objects.raise_for(
            shop=ctx.shop,
            code="rounding_line",
            message=f"{document.doc_number} carries a rounding line of {document.rounding} to match Shopify.",
            source_type=document.source_type,
            source_id=document.source_id,
            record=record,
            retryable=False,
        )


def document_delete(ctx: SyncContext, record: SyncedRecord) -> bool:
    """Delete a document we wrote (a test sync taken back before go-live) and let its record
    start over, so that the sync writes the Shopify object afresh like any other.

    False when another worker holds the record (nothing was done); a QuickBooks error is raised
    with the record given back as it was. A document already gone (the answer to an earlier
    delete was lost) counts as deleted.
    """
    if not record.claim(lease=claim_lease()):
        return False
    try:
        _delete_current(ctx, record)
    except qbo.QBOError:
        record.release()
        raise
    _start_over(record)
    return True


def _current_sync_token(ctx: SyncContext, record: SyncedRecord) -> str:
    """The document's SyncToken in QuickBooks now: the one we stored may be older."""
    # Reference: https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/invoice#read-an-invoice
    current = qbo.read(ctx.qb, record.kind, record.qbo_id)
    return str(current.get("SyncToken") or record.qbo_sync_token)


def _delete_current(ctx: SyncContext, record: SyncedRecord) -> None:
    try:
        sync_token = _current_sync_token(ctx, record)
    except qbo.QBORejected as exc:
        if exc.code != OBJECT_NOT_FOUND:
            raise
        return  # deleted already: the answer to an earlier delete was lost
    # Reference: https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/invoice#delete-an-invoice
    qbo.delete(
        ctx.qb,
        record.kind,
        qbo_id=record.qbo_id,
        sync_token=sync_token,
        # Fresh for every attempt: QBO may answer a repeated requestid with its first answer (a
        # refusal of a stale SyncToken, say). A lost answer is caught by the read above instead.
        request_id=str(uuid.uuid4()),
    )


def _start_over(record: SyncedRecord) -> None:
    """The record as if never written. A new request id for the next create: QuickBooks may
    replay the old one's answer (the deleted document) for a while."""
    SyncedRecord.objects.filter(pk=record.pk).update(
        status=SyncedRecord.Status.PENDING,
        request_id=str(uuid.uuid4()),
        qbo_id="",
        qbo_sync_token="",
        content_hash="",
        attempts=0,
        claimed_at=None,
        synced_at=None,
        source_updated_at=None,
        last_error="",
    )
