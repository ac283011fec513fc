"""The sync engine: fetch from Shopify, book with the ledger, write to QuickBooks once.

Every function here may run twice, concurrently or after a crash: the
SyncedRecord row (unique per shop, Shopify object and document kind) is claimed
with a conditional UPDATE before any QBO call, every create carries a stable
requestid, and a lost answer is found again by DocNumber + PrivateNote.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts import tokens
from accounts.models import QuickBooksConnection, Shop
from mappings import services as mapping_services
from mappings.models import SyncSettings
from shopqb_app.integrations.quickbooks import client as qbo
from shopqb_app.integrations.shopify.client import ShopifyClient
from shopqb_app.integrations.shopify.errors import ShopifyAuthError, ShopifyError, ShopifyUnavailable
from shopqb_app.integrations.shopify.fetch import all_orders, changed_order_ids, fetch_order
from shopqb_app.integrations.shopify.fetch import payouts as shopify_payouts
from shopqb_app.integrations.shopify.parse import Order, parse_datetime, parse_order, parse_payout
from syncing import ledger, pending
from syncing.models import UNKNOWN_VERSION, PendingSync, SyncedRecord, SyncIssue, SyncRun

log = logging.getLogger(__name__)

SWEEP_OVERLAP = timedelta(minutes=5)
MAX_ATTEMPTS = 5
REQUEST_ID_NAMESPACE = uuid.UUID("6b7c1f0e-5d0a-4f53-9a43-2f1e8c9b0d11")


def claim_lease() -> timedelta:
    """How long a claim on a record or a queued order holds.

    Longer than a task may live (django-q2 kills it at Q_CLUSTER["timeout"]), so a
    claim that old belongs to a dead worker; shorter than the broker's redelivery
    (Q_CLUSTER["retry"]), so the redelivered task finds the claim expired and
    finishes the work instead of seeing it busy (checked at startup: syncing/checks.py).
    """
    return timedelta(seconds=settings.SYNC_CLAIM_LEASE_SECONDS)


class ShopNotReady(Exception):
    """Paused, uninstalled or not connected to QuickBooks: nothing is synced."""


@dataclass
class SyncContext:
    shop: Shop
    connection: QuickBooksConnection
    shopify: ShopifyClient
    qb: Any
    mapping: ledger.Mapping
    rules: SyncSettings
    # The company refuses a second document with the same DocNumber (6140): a first
    # attempt may then create without looking first. Read once per context.
    refuses_duplicate_numbers: bool = False


def qbo_settings() -> qbo.QboSettings:
    return qbo.QboSettings(
        client_id=settings.QBO_CLIENT_ID,
        client_secret=settings.QBO_CLIENT_SECRET,
        redirect_uri=settings.QBO_REDIRECT_URI,
        environment=settings.QBO_ENVIRONMENT,
        api_base=settings.QBO_API_BASE,
        minor_version=settings.QBO_MINOR_VERSION,
        timeout=settings.QBO_HTTP_TIMEOUT,
    )


def shopify_client(shop: Shop) -> ShopifyClient:
    def renew(refused: str) -> str:
        # A 401 despite a fresh stored expiry: one single-flight refresh (accounts.tokens).
        try:
            return tokens.shopify_access_token(shop, refused=refused)
        except tokens.TokenRevoked as exc:
            raise ShopifyAuthError(str(exc)) from exc
        except tokens.TokenRefreshFailed as exc:
            raise ShopifyUnavailable(f"Shopify token refresh failed: {exc}") from exc

    return ShopifyClient(
        shop_domain=shop.domain,
        access_token=tokens.shopify_access_token(shop),
        admin_base=settings.SHOPIFY_ADMIN_BASE,
        api_version=settings.SHOPIFY_API_VERSION,
        timeout=settings.SHOPIFY_HTTP_TIMEOUT,
        on_unauthorized=renew,
    )


def qbo_client(connection: QuickBooksConnection) -> Any:
    def renew(refused: str) -> str:
        # A 401 despite a fresh stored expiry: one single-flight refresh (accounts.tokens);
        # a refused refresh has marked the connection "reconnect needed" and paused the shop.
        try:
            return tokens.qbo_access_token(connection, refused=refused)
        except tokens.TokenRevoked as exc:
            raise qbo.QboAuthError(str(exc), 3200) from exc
        except tokens.TokenRefreshFailed as exc:
            raise qbo.QboUnavailable(f"QuickBooks token refresh failed: {exc}") from exc

    return qbo.connect(
        qbo_settings(),
        realm_id=connection.realm_id,
        access_token=tokens.qbo_access_token(connection),
        on_unauthorized=renew,
    )


def context_open(shop_id: int) -> SyncContext:
    shop = Shop.objects.get(pk=shop_id)
    if shop.uninstalled_at is not None:
        raise ShopNotReady(f"{shop.domain} is uninstalled")
    if shop.sync_paused:
        raise ShopNotReady(f"{shop.domain} is paused: {shop.paused_reason}")
    connection = QuickBooksConnection.objects.filter(shop=shop).first()
    if connection is None:
        raise ShopNotReady(f"{shop.domain} is not connected to QuickBooks")
    try:
        qb = qbo_client(connection)
        shopify = shopify_client(shop)
    except tokens.TokenRevoked as exc:
        raise ShopNotReady(str(exc)) from exc
    except tokens.TokenRefreshFailed as exc:
        # Nothing changed; the next sweep (or the task's retry) tries again.
        raise ShopNotReady(f"token refresh failed for {shop.domain}, will retry: {exc}") from exc
    try:
        mapping_services.mapping_ensure_defaults(shop=shop, qb=qb)
        refuses_duplicate_numbers = qbo.refuses_duplicate_doc_numbers(qb)
    except qbo.QboAuthError as exc:
        if connection.status == QuickBooksConnection.Status.CONNECTED:
            raise
        # The renewal after a 401 was refused: the connection is marked and the shop paused.
        raise ShopNotReady(str(exc)) from exc
    mapping = mapping_services.mapping_snapshot(shop=shop, connection=connection)
    rules, _ = SyncSettings.objects.get_or_create(shop=shop)
    return SyncContext(
        shop=shop,
        connection=connection,
        shopify=shopify,
        qb=qb,
        mapping=mapping,
        rules=rules,
        refuses_duplicate_numbers=refuses_duplicate_numbers,
    )


# --- issues -----------------------------------------------------------------------------


def issue_raise(
    *,
    shop: Shop,
    code: str,
    message: str,
    source_type: str = "",
    source_id: str = "",
    record: SyncedRecord | None = None,
    retryable: bool = True,
    detail: dict[str, Any] | None = None,
) -> SyncIssue:
    """One open issue per (shop, source, code): repeats count up instead of piling up.

    A partial unique constraint holds this when two workers raise the same issue at
    once: the one whose INSERT loses counts its occurrence on the winner's row.
    """
    open_issue = SyncIssue.objects.filter(
        shop=shop, source_type=source_type, source_id=source_id, code=code, resolved_at__isnull=True
    )
    issue = open_issue.first()
    if issue is None:
        try:
            with transaction.atomic():
                return SyncIssue.objects.create(
                    shop=shop,
                    record=record,
                    source_type=source_type,
                    source_id=source_id,
                    code=code,
                    message=message,
                    retryable=retryable,
                    detail=detail or {},
                )
        except IntegrityError:
            issue = open_issue.get()
    open_issue.filter(pk=issue.pk).update(
        occurrences=F("occurrences") + 1, message=message, retryable=retryable, updated_at=timezone.now()
    )
    return issue


def issues_resolve(*, shop: Shop, source_type: str, source_id: str) -> None:
    SyncIssue.objects.filter(shop=shop, source_type=source_type, source_id=source_id, resolved_at__isnull=True).update(
        resolved_at=timezone.now()
    )


# --- rules ------------------------------------------------------------------------------


def skip_reason(order: Order, rules: SyncSettings, mapping: ledger.Mapping) -> str:
    """Why the merchant's rules keep this order out of the books, or ''."""
    if order.test and not rules.sync_test_orders:
        return "test order"
    if rules.start_date and ledger.txn_date(order, mapping.timezone) < rules.start_date:
        return f"processed before the sync start date {rules.start_date.isoformat()}"
    return ""


# --- writing ----------------------------------------------------------------------------


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


def record_claim(record: SyncedRecord, *, allow_synced: bool = True) -> bool:
    """Take the record for writing; True only for the one worker whose UPDATE changed it."""
    now = timezone.now()
    claimable = Q(status__in=[SyncedRecord.Status.PENDING, SyncedRecord.Status.FAILED, SyncedRecord.Status.SKIPPED])
    if allow_synced:
        claimable |= Q(status=SyncedRecord.Status.SYNCED)
    claimable |= Q(status=SyncedRecord.Status.WRITING, claimed_at__lt=now - claim_lease())
    changed = (
        SyncedRecord.objects.filter(pk=record.pk)
        .filter(claimable)
        .update(status=SyncedRecord.Status.WRITING, claimed_at=now, attempts=F("attempts") + 1, updated_at=now)
    )
    return changed == 1


def document_write(ctx: SyncContext, document: ledger.Document) -> str:
    """Create or update ``document`` in QBO exactly once. Returns what happened."""
    record = record_for(ctx.shop, document)
    content_hash = document.content_hash(ctx.mapping)
    if record.status == SyncedRecord.Status.SYNCED and record.content_hash == content_hash:
        return "unchanged"
    if record.status == SyncedRecord.Status.VOIDED:
        return "unchanged"
    if record.status == SyncedRecord.Status.FAILED and record.attempts >= MAX_ATTEMPTS:
        # Poison work: stays failed (with its open issue) until someone retries it.
        return "failed"
    if not record_claim(record):
        return "busy"
    record.refresh_from_db()
    previous_status = SyncedRecord.Status.SYNCED if record.qbo_id else SyncedRecord.Status.PENDING
    if record.qbo_id and record.content_hash == content_hash:
        _record_release(record, previous_status)
        return "unchanged"
    linked_id = ""
    if document.links_to:
        linked = SyncedRecord.objects.filter(
            shop=ctx.shop, source_type=document.source_type, source_id=document.source_id, kind=document.links_to
        ).first()
        if linked is None or not linked.qbo_id:
            _record_release(record, previous_status)
            issue_raise(
                shop=ctx.shop,
                code="waiting_for_linked_document",
                message=f"{document.entity} for {document.source_name} waits for its {document.links_to}.",
                source_type=document.source_type,
                source_id=document.source_id,
                record=record,
            )
            return "failed"
        linked_id = linked.qbo_id
    body = document.as_qbo(ctx.mapping, linked_id)
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
            outcome = "updated"
        else:
            written, outcome = _create_once(ctx, record, document, body)
    except qbo.QboError as exc:
        _record_failed(ctx, record, document, exc)
        if isinstance(exc, qbo.QboAuthError | qbo.QboUnavailable):
            # The company is unreachable or throttling: stop this pass instead of
            # hammering it order by order; the next sweep retries the record.
            raise
        return "failed"
    _record_synced(record, document, written, content_hash)
    issues_resolve(shop=ctx.shop, source_type=document.source_type, source_id=document.source_id)
    if written.total != document.total:
        issue_raise(
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
        issue_raise(
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
        issue_raise(
            shop=ctx.shop,
            code="rounding_line",
            message=f"{document.doc_number} carries a rounding line of {document.rounding} to match Shopify.",
            source_type=document.source_type,
            source_id=document.source_id,
            record=record,
            retryable=False,
        )
    return outcome


def _create_once(
    ctx: SyncContext, record: SyncedRecord, document: ledger.Document, body: dict[str, Any]
) -> tuple[qbo.Written, str]:
    """Create the document, or find the one an earlier attempt already created.

    A later attempt (a lost answer, a crashed worker) looks for its DocNumber first.
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

    if record.attempts > 1 or not ctx.refuses_duplicate_numbers:
        existing = ours()
        if existing is not None:
            return qbo.written_from_dict(existing), "recovered"
    try:
        return qbo.create(ctx.qb, document.entity, body, request_id=record.request_id), "written"
    except qbo.QboRejected as exc:
        if exc.code != "6140":
            raise
        existing = ours()  # raises DocNumberTaken when the number is someone else's
        if existing is None:
            raise
        return qbo.written_from_dict(existing), "recovered"


def _record_release(record: SyncedRecord, status: str) -> None:
    SyncedRecord.objects.filter(pk=record.pk, status=SyncedRecord.Status.WRITING).update(
        status=status, claimed_at=None, attempts=F("attempts") - 1
    )


def _record_synced(record: SyncedRecord, document: ledger.Document, written: qbo.Written, content_hash: str) -> None:
    now = timezone.now()
    SyncedRecord.objects.filter(pk=record.pk).update(
        status=SyncedRecord.Status.SYNCED,
        qbo_id=written.id,
        qbo_sync_token=written.sync_token,
        content_hash=content_hash,
        amount=document.total,
        currency=document.currency,
        txn_date=document.txn_date,
        doc_number=document.doc_number,
        source_name=document.source_name,
        claimed_at=None,
        last_error="",
        synced_at=now,
        updated_at=now,
    )


def _record_failed(ctx: SyncContext, record: SyncedRecord, document: ledger.Document, exc: qbo.QboError) -> None:
    SyncedRecord.objects.filter(pk=record.pk).update(
        status=SyncedRecord.Status.FAILED,
        claimed_at=None,
        last_error=str(exc)[:2000],
        amount=document.total,
        currency=document.currency,
        txn_date=document.txn_date,
        updated_at=timezone.now(),
    )
    code = {
        qbo.DocNumberTaken: "doc_number_taken",
        qbo.QboUnavailable: "qbo_unavailable",
        qbo.QboStaleObject: "qbo_stale_object",
        qbo.QboAuthError: "qbo_auth",
    }.get(type(exc), "qbo_rejected")
    issue_raise(
        shop=ctx.shop,
        code=code,
        message=f"{document.entity} {document.doc_number} for {document.source_name}: {exc}",
        source_type=document.source_type,
        source_id=document.source_id,
        record=record,
        retryable=True,
        detail={"qbo_code": exc.code},
    )


def _record_skipped(shop: Shop, order: Order, reason: str) -> None:
    """Remember why an order is not in the books; never over a document we already wrote."""
    record, created = SyncedRecord.objects.get_or_create(
        shop=shop,
        source_type="order",
        source_id=order.id,
        kind="SalesReceipt",
        defaults={
            "source_name": order.name,
            "order_gid": order.id,
            "status": SyncedRecord.Status.SKIPPED,
            "last_error": reason,
            "request_id": stable_request_id(shop, order.id, "SalesReceipt"),
        },
    )
    if not created:
        SyncedRecord.objects.filter(
            pk=record.pk,
            status__in=[SyncedRecord.Status.PENDING, SyncedRecord.Status.FAILED, SyncedRecord.Status.SKIPPED],
        ).update(status=SyncedRecord.Status.SKIPPED, last_error=reason, updated_at=timezone.now())


UNVOIDABLE = frozenset({"RefundReceipt", "CreditMemo"})


def document_void(ctx: SyncContext, record: SyncedRecord) -> str:
    """Void the document we wrote for a cancelled order (never delete: the audit trail stays).

    QBO cannot void a RefundReceipt: our own refund receipt is deleted instead.
    """
    if not record_claim(record):
        return "busy"
    record.refresh_from_db()
    try:
        if record.kind in UNVOIDABLE:
            qbo.delete(
                ctx.qb,
                record.kind,
                qbo_id=record.qbo_id,
                sync_token=record.qbo_sync_token,
                request_id=f"{record.request_id[:36]}-delete",
            )
            SyncedRecord.objects.filter(pk=record.pk).update(
                status=SyncedRecord.Status.DELETED, claimed_at=None, last_error=""
            )
            return "voided"
        written = qbo.void(
            ctx.qb,
            record.kind,
            qbo_id=record.qbo_id,
            sync_token=record.qbo_sync_token,
            request_id=f"{record.request_id[:36]}-void",
        )
    except qbo.QboError as exc:
        SyncedRecord.objects.filter(pk=record.pk).update(
            status=SyncedRecord.Status.SYNCED, claimed_at=None, last_error=str(exc)[:2000]
        )
        issue_raise(
            shop=ctx.shop,
            code="qbo_void_failed",
            message=f"Could not void {record.kind} {record.doc_number}: {exc}",
            source_type=record.source_type,
            source_id=record.source_id,
            record=record,
        )
        return "failed"
    SyncedRecord.objects.filter(pk=record.pk).update(
        status=SyncedRecord.Status.VOIDED, qbo_sync_token=written.sync_token, claimed_at=None, last_error=""
    )
    return "voided"


# --- orders -----------------------------------------------------------------------------


def order_process(ctx: SyncContext, raw: dict[str, Any]) -> str:
    """Bring one order's documents in QBO in line with the order as Shopify has it now."""
    order = parse_order(raw)
    outcome = _order_process(ctx, order)
    if outcome not in ("failed", "busy"):
        _order_records(ctx.shop, order).exclude(status=SyncedRecord.Status.FAILED).update(
            source_updated_at=order.updated_at
        )
    return outcome


def _order_records(shop: Shop, order: Order) -> Any:
    """Every record of the order: its sale documents and its refunds."""
    refund_ids = [refund.id for refund in order.refunds]
    return SyncedRecord.objects.filter(
        Q(source_type="order", source_id=order.id) | Q(source_type="refund", source_id__in=refund_ids), shop=shop
    )


def order_is_current(shop: Shop, gid: str, updated_at: datetime) -> bool:
    """Whether everything booked for the order already reflects this version of it."""
    records = list(SyncedRecord.objects.filter(shop=shop, source_type="order", source_id=gid))
    settled = {SyncedRecord.Status.SYNCED, SyncedRecord.Status.SKIPPED, SyncedRecord.Status.VOIDED}
    return bool(records) and all(
        r.status in settled and r.source_updated_at is not None and r.source_updated_at >= updated_at for r in records
    )


def _order_process(ctx: SyncContext, order: Order) -> str:
    written = _order_records(ctx.shop, order).filter(status=SyncedRecord.Status.SYNCED).exclude(qbo_id="")
    if order.cancelled_at is not None:
        # Refunds and payments first: an invoice is voided after what was applied to it.
        records = sorted(written, key=lambda r: r.kind not in ("Payment", "RefundReceipt"))
        if records:
            return _worst([document_void(ctx, record) for record in records])
        _record_skipped(ctx.shop, order, "cancelled before it was synced")
        return "skipped"
    reason = skip_reason(order, ctx.rules, ctx.mapping)
    if reason:
        _record_skipped(ctx.shop, order, reason)
        return "skipped"
    booked = frozenset(record.kind for record in written if record.source_type == "order")
    try:
        documents = ledger.order_documents(order, ctx.mapping, booked)
    except ledger.LedgerError as exc:
        issue_raise(
            shop=ctx.shop,
            code=exc.code,
            message=str(exc),
            source_type="order",
            source_id=order.id,
            retryable=False,
        )
        return "failed"
    if not documents:
        _record_skipped(ctx.shop, order, f"payment {order.financial_status.lower()}: no money moved")
        return "skipped"
    try:
        documents += ledger.refund_receipts(order, ctx.mapping)
    except ledger.LedgerError as exc:
        issue_raise(shop=ctx.shop, code=exc.code, message=str(exc), source_type="order", source_id=order.id)
    outcomes = [document_write(ctx, document) for document in documents]
    return _worst(outcomes)


def _worst(outcomes: list[str]) -> str:
    for outcome in ("failed", "busy", "written", "updated", "recovered", "voided"):
        if outcome in outcomes:
            return outcome
    return "unchanged"


def order_sync(*, shop_id: int, order_gid: str) -> str:
    """One order, fetched fresh by GraphQL (never booked from a webhook body)."""
    try:
        ctx = context_open(shop_id)
    except ShopNotReady as exc:
        log.info("order %s not synced: %s", order_gid, exc)
        return "not_ready"
    raw = fetch_order(ctx.shopify, order_gid)
    if raw is None:
        _order_not_found(ctx.shop, order_gid)
        return "failed"
    return order_process(ctx, raw)


# --- the queue of orders asked for by webhooks (syncing/pending.py) ------------------------

DRAIN_RETRY_SECONDS = 30


def _task_deadline() -> float:
    """When a drain inside a task stops taking new orders: well before django-q2 kills the
    task, so it never dies mid-write for lack of time; a follow-up drain continues."""
    return time.monotonic() + settings.Q_CLUSTER["timeout"] / 2


def shop_drain(*, shop_id: int) -> dict[str, int]:
    """Sync the shop's queued orders, most urgent first, until the queue is empty."""
    try:
        ctx = context_open(shop_id)
    except ShopNotReady as exc:
        # The rows stay queued; the shop's sweep drains them once it is ready again.
        log.info("queued orders of shop %s wait: %s", shop_id, exc)
        return {"not_ready": pending.waiting(shop_id=shop_id)}
    return _drain(ctx, deadline=_task_deadline())


def _drain(ctx: SyncContext, *, deadline: float) -> dict[str, int]:
    outcomes: dict[str, int] = {}
    while True:
        if time.monotonic() > deadline:
            if pending.waiting(shop_id=ctx.shop.pk):
                pending.enqueue_drain(shop_id=ctx.shop.pk)
            break
        rows = pending.claim(shop_id=ctx.shop.pk, limit=1, lease=claim_lease())
        if not rows:
            break
        for n, row in enumerate(rows):
            try:
                outcome = _drain_one(ctx, row)
            except (ShopifyError, qbo.QboError) as exc:
                # Shopify or the company is unreachable or throttling: give the rows back
                # and come back later instead of hammering it order by order.
                pending.release(rows[n:], until=pending.retry_at(DRAIN_RETRY_SECONDS))
                pending.drain_later(shop_id=ctx.shop.pk, at=pending.retry_at(DRAIN_RETRY_SECONDS))
                log.warning("drain of %s stopped, will retry: %s", ctx.shop.domain, exc)
                outcomes["deferred"] = outcomes.get("deferred", 0) + len(rows) - n
                return outcomes
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes


def _drain_one(ctx: SyncContext, row: PendingSync) -> str:
    if row.announced != UNKNOWN_VERSION and order_is_current(ctx.shop, row.order_gid, row.announced):
        # Every request so far announced a version already booked (a busy day's late
        # repeats): nothing to fetch.
        pending.finish(row, fetched=row.announced)
        return "unchanged"
    if _order_claim_expires(ctx.shop, row.order_gid) is None:
        raw = fetch_order(ctx.shopify, row.order_gid)
        if raw is None:
            _order_not_found(ctx.shop, row.order_gid)
            outcome = "failed"
        else:
            outcome = order_process(ctx, raw)
        if outcome != "busy":
            pending.finish(row, fetched=parse_datetime(raw["updatedAt"]) if raw else None)
            return outcome
    # Another worker is writing this order's documents, or died doing so and its claim
    # has not expired: come back when it has at the latest; never drop the request.
    expires = _order_claim_expires(ctx.shop, row.order_gid) or timezone.now()
    when = min(expires + timedelta(seconds=1), pending.retry_at(DRAIN_RETRY_SECONDS))
    pending.release([row], until=when)
    pending.drain_later(shop_id=ctx.shop.pk, at=when)
    return "busy"


def _order_claim_expires(shop: Shop, order_gid: str) -> datetime | None:
    """When the newest live claim on one of the order's documents expires, or None."""
    live = SyncedRecord.objects.filter(
        shop=shop,
        order_gid=order_gid,
        status=SyncedRecord.Status.WRITING,
        claimed_at__gte=timezone.now() - claim_lease(),
    )
    newest = live.order_by("-claimed_at").values_list("claimed_at", flat=True).first()
    return newest + claim_lease() if newest else None


def _order_not_found(shop: Shop, order_gid: str) -> None:
    issue_raise(
        shop=shop,
        code="order_not_found",
        message=f"Shopify has no order {order_gid} (deleted?)",
        source_type="order",
        source_id=order_gid,
        retryable=False,
    )


@dataclass
class SweepResult:
    run: SyncRun
    outcomes: dict[str, int]


def shop_sweep(*, shop_id: int, full: bool = False) -> SweepResult:
    """Every order updated since the last sweep (all of them the first time), then retries."""
    ctx = context_open(shop_id)
    run = run_start(ctx.shop, kind="full" if full else "sweep")
    outcomes: dict[str, int] = {}
    watermark = None
    since = None if full else _last_watermark(ctx.shop)
    search = f"updated_at:>'{(since - SWEEP_OVERLAP).isoformat()}'" if since else None
    try:
        for gid, updated_at, raw in _changed_orders(ctx, search=search, backfill=full or since is None):
            updated = parse_datetime(updated_at)
            watermark = max(watermark, updated) if watermark else updated
            if not full and order_is_current(ctx.shop, gid, updated):
                # Seen at this version already (the sweep window overlaps): no need to fetch it.
                outcomes["unchanged"] = outcomes.get("unchanged", 0) + 1
                continue
            raw = raw or fetch_order(ctx.shopify, gid)
            if raw is None:
                continue  # deleted between the listing and the fetch
            outcome = order_process(ctx, raw)
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
        for outcome in _recover(ctx, before=run.started_at):
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
        for outcome, count in _drain(ctx, deadline=_task_deadline()).items():
            outcomes[outcome] = outcomes.get(outcome, 0) + count
        for outcome in payouts_sync(ctx):
            key = f"payout {outcome}"
            outcomes[key] = outcomes.get(key, 0) + 1
    except (ShopifyError, qbo.QboError) as exc:
        _run_finish(run, outcomes, watermark or since, SyncRun.Status.FAILED, str(exc))
        issue_raise(shop=ctx.shop, code="sweep_failed", message=f"Sync stopped: {exc}", retryable=True)
        raise
    _run_finish(run, outcomes, watermark or since, SyncRun.Status.SUCCEEDED, "")
    SyncIssue.objects.filter(shop=ctx.shop, code="sweep_failed", resolved_at__isnull=True).update(
        resolved_at=timezone.now()
    )
    return SweepResult(run=run, outcomes=outcomes)


def _changed_orders(
    ctx: SyncContext, *, search: str | None, backfill: bool
) -> Iterator[tuple[str, str, dict[str, Any] | None]]:
    """(gid, updatedAt, the order if already fetched). A backfill reads everything in
    one bulk operation; an incremental sweep lists ids and fetches what changed."""
    if backfill:
        for raw in all_orders(ctx.shopify, search=search):
            yield str(raw["id"]), str(raw["updatedAt"]), raw
    else:
        for gid, updated_at in changed_order_ids(ctx.shopify, search=search):
            yield gid, updated_at, None


class SweepBusy(ShopNotReady):
    """Another pass over this shop is running."""


def run_start(shop: Shop, *, kind: str) -> SyncRun:
    """Start a pass, unless one is running; a pass silent for longer than a task may
    live (its worker died) is closed as abandoned first."""
    stale_before = timezone.now() - timedelta(seconds=settings.Q_CLUSTER["timeout"] * 2)
    SyncRun.objects.filter(shop=shop, status=SyncRun.Status.RUNNING, started_at__lt=stale_before).update(
        status=SyncRun.Status.FAILED, finished_at=timezone.now(), error="abandoned: the worker stopped"
    )
    try:
        with transaction.atomic():
            return SyncRun.objects.create(shop=shop, kind=kind)
    except IntegrityError as exc:
        raise SweepBusy(f"another sync of {shop.domain} is running") from exc


def _recover(ctx: SyncContext, *, before: Any) -> list[str]:
    """Orders left behind: a write that failed before this run (up to MAX_ATTEMPTS tries),
    or a write whose worker died mid-way (its claim expired). Each is fetched again and
    processed; the claim, the stable requestid and the DocNumber lookup keep it exactly once."""
    failed = Q(status=SyncedRecord.Status.FAILED, attempts__lt=MAX_ATTEMPTS, updated_at__lt=before)
    abandoned = Q(status=SyncedRecord.Status.WRITING, claimed_at__lt=timezone.now() - claim_lease())
    order_gids = (
        SyncedRecord.objects.filter(failed | abandoned, shop=ctx.shop)
        .exclude(order_gid="")
        .values_list("order_gid", flat=True)
        .distinct()
    )
    outcomes = []
    for gid in list(order_gids):
        raw = fetch_order(ctx.shopify, gid)
        if raw is not None:
            outcomes.append(order_process(ctx, raw))
    return outcomes


def _last_watermark(shop: Shop) -> Any:
    run = (
        SyncRun.objects.filter(shop=shop, status=SyncRun.Status.SUCCEEDED, watermark__isnull=False)
        .order_by("-watermark")
        .first()
    )
    return run.watermark if run else None


def _run_finish(run: SyncRun, outcomes: dict[str, int], watermark: Any, status: str, error: str) -> None:
    written = ("written", "updated", "recovered", "voided")
    run.status = status
    run.error = error[:2000]
    run.finished_at = timezone.now()
    run.watermark = watermark
    run.orders_seen = sum(n for k, n in outcomes.items() if not k.startswith("payout "))
    run.documents_written = sum(outcomes.get(k, 0) + outcomes.get(f"payout {k}", 0) for k in written)
    run.skipped = outcomes.get("skipped", 0)
    run.failed = outcomes.get("failed", 0) + outcomes.get("payout failed", 0)
    run.save()


def payouts_sync(ctx: SyncContext) -> list[str]:
    """Each paid-out Shopify Payments payout as a Deposit into the bank (exactly once)."""
    outcomes = []
    for raw in shopify_payouts(ctx.shopify):
        payout = parse_payout(raw)
        if payout.status != "PAID":
            continue  # scheduled or in transit: not in the bank yet
        day = payout.issued_at.astimezone(ZoneInfo(ctx.mapping.timezone)).date()
        if ctx.rules.start_date and day < ctx.rules.start_date:
            continue
        try:
            document = ledger.payout_deposit(payout, ctx.mapping)
        except ledger.LedgerError as exc:
            issue_raise(
                shop=ctx.shop,
                code=exc.code,
                message=str(exc),
                source_type="payout",
                source_id=payout.id,
                retryable=False,
            )
            outcomes.append("failed")
            continue
        outcomes.append(document_write(ctx, document))
    return outcomes


def issue_retry(*, issue: SyncIssue) -> bool:
    """Queue the work behind an issue again; False when there is nothing to redo."""
    if issue.source_type == "order" and issue.source_id:
        record = SyncedRecord.objects.filter(
            shop=issue.shop, source_id=issue.source_id, status=SyncedRecord.Status.FAILED
        ).first()
        if record is not None:
            record_retry(record=record)
        else:
            pending.enqueue_order_sync(shop_id=issue.shop_id, order_gid=issue.source_id)
        return True
    if issue.code == "sweep_failed":
        pending.enqueue_sweep(shop_id=issue.shop_id)
        return True
    return False


def record_retry(*, record: SyncedRecord) -> None:
    """Support / merchant retry: give a failed record its attempts back and queue it."""
    SyncedRecord.objects.filter(pk=record.pk, status=SyncedRecord.Status.FAILED).update(attempts=0)
    pending.enqueue_order_sync(shop_id=record.shop_id, order_gid=record.source_id)
