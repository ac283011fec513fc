from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from django.db import IntegrityError, models, transaction
from django.db.models import F, Q
from django.db.models.functions import Length
from django.utils import timezone

from accounts.models import Shop
from syncing import ledger
from syncing.ledger import LedgerError


class SourceType(models.TextChoices):
    """The Shopify object a document books."""

    ORDER = "order"
    REFUND = "refund"
    TRANSACTION = "transaction"  # one payment of an invoiced order
    EDIT = "edit"  # what an order edit changed after its sale was booked
    PAYOUT = "payout"
    CUSTOMER = "customer"
    SUMMARY = "summary"  # a payout's or a day's summary of many orders (syncing/summary.py)


class Outcome(StrEnum):
    """What one piece of sync work came to; a pass counts them into its SyncRun."""

    WRITTEN = "written"  # a new document in QuickBooks
    UPDATED = "updated"  # our document changed in place
    RECOVERED = "recovered"  # an earlier attempt's document found again, not written twice
    VOIDED = "voided"  # a cancelled order's document voided (or, where QBO cannot void, deleted)
    UNCHANGED = "unchanged"
    SKIPPED = "skipped"  # kept out of the books; the reason is on the record
    FAILED = "failed"  # an open issue says why
    BUSY = "busy"  # another worker holds the claim: its request waits, never dropped
    NOT_READY = "not_ready"  # the shop is paused, uninstalled or not connected
    DEFERRED = "deferred"  # Shopify or QuickBooks unreachable: the queued orders wait
    SUMMARISED = "summarised"  # posting mode "summary": booked with its payout's or day's summary


class QboDrift(models.TextChoices):
    NONE = "", "as ShopQB wrote it"
    CHANGED = "changed", "changed in QuickBooks"
    DELETED = "deleted", "deleted in QuickBooks"


class DriftResolution(models.TextChoices):
    NONE = "", "waiting for your choice"
    REPOSTED = "reposted", "ShopQB's version posted again"
    ACCEPTED = "accepted", "QuickBooks' version kept"
    IGNORED = "ignored", "ignored"


class SyncedRecord(models.Model):
    """One QuickBooks document we own, per (shop, Shopify object, document kind).

    Saved as pending before the QBO call and updated after it: the unique key is
    the exactly-once guarantee, the claim (a conditional UPDATE) keeps two workers
    from writing the same document.
    """

    class Status(models.TextChoices):
        PENDING = "pending"
        WRITING = "writing"
        SYNCED = "synced"
        FAILED = "failed"
        SKIPPED = "skipped"
        VOIDED = "voided"
        DELETED = "deleted"  # documents QBO cannot void (RefundReceipt), reversed by deleting our own

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="synced_records")
    source_type = models.CharField(max_length=32, choices=SourceType.choices)
    source_id = models.CharField(max_length=128, help_text="Shopify GID")
    source_name = models.CharField(max_length=64, blank=True, help_text="e.g. #1001")
    order_gid = models.CharField(
        max_length=128, blank=True, help_text="the Shopify order the document books (a refund's order); '' for payouts"
    )
    kind = models.CharField(max_length=32, help_text="QBO entity: SalesReceipt, RefundReceipt, Deposit...")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)

    request_id = models.CharField(max_length=50, help_text="stable QBO requestid for the create")
    doc_number = models.CharField(max_length=21, blank=True)
    mapping_version = models.PositiveIntegerField(
        default=0, help_text="the merchant's mapping version (mappings.MappingChange) the document was written with"
    )
    qbo_id = models.CharField(max_length=64, blank=True)
    qbo_sync_token = models.CharField(max_length=32, blank=True)
    content_hash = models.CharField(max_length=64, blank=True)
    amount = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    txn_date = models.DateField(null=True, blank=True)
    source_updated_at = models.DateTimeField(
        null=True, blank=True, help_text="the Shopify object's updatedAt when it was last booked"
    )

    attempts = models.PositiveIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    synced_at = models.DateTimeField(null=True, blank=True)
    # A person changed or deleted the document in QuickBooks (syncing/cdc.py): the sync leaves it
    # alone until the merchant chooses (re-post ours, accept theirs, ignore).
    qbo_drift = models.CharField(max_length=8, blank=True, default="", choices=QboDrift.choices)
    qbo_drift_seen_at = models.DateTimeField(null=True, blank=True)
    qbo_drift_resolution = models.CharField(max_length=8, blank=True, default="", choices=DriftResolution.choices)
    qbo_drift_sync_token = models.CharField(max_length=32, blank=True, help_text="their SyncToken when last seen")
    doc_number_suffix = models.CharField(
        max_length=8, blank=True, help_text="after the DocNumber when the plain one is taken (a voided copy)"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["shop", "source_type", "source_id", "kind"], name="synced_record_once"),
            models.UniqueConstraint(fields=["shop", "request_id"], name="synced_record_request_id"),
        ]
        indexes = [
            models.Index(fields=["shop", "status"]),
            models.Index(fields=["shop", "txn_date"]),
            # The Orders page walks a shop's orders newest first (a longer Shopify id, then a
            # larger one) and finds an order by its name (syncing/orders_page.py).
            models.Index(F("shop"), Length("order_gid"), F("order_gid"), name="synced_record_order_key"),
            models.Index(fields=["shop", "source_name"], name="synced_record_name"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.source_type} {self.source_name or self.source_id} ({self.status})"

    @property
    def drift_holds(self) -> bool:
        """A person's change waits for the merchant's choice, or was kept: the sync writes nothing."""
        return bool(self.qbo_drift) and self.qbo_drift_resolution != DriftResolution.REPOSTED

    def numbered(self, document: ledger.Document) -> ledger.Document:
        """The document with this record's DocNumber (the plain one may be held by a voided copy)."""
        if not self.doc_number_suffix:
            return document
        return dataclasses.replace(document, doc_number=f"{document.doc_number}{self.doc_number_suffix}"[-21:])

    def claim(self, *, lease: timedelta) -> bool:
        """Take the record for writing: True only for the one worker whose UPDATE changed it,
        which then holds the row as it is now. A claim older than ``lease`` belongs to a
        dead worker and is taken over."""
        now = timezone.now()
        status = SyncedRecord.Status
        free = Q(status__in=[status.PENDING, status.FAILED, status.SKIPPED, status.SYNCED])
        abandoned = Q(status=status.WRITING, claimed_at__lt=now - lease)
        changed = (
            SyncedRecord.objects.filter(pk=self.pk)
            .filter(free | abandoned)
            .update(status=status.WRITING, claimed_at=now, attempts=F("attempts") + 1, updated_at=now)
        )
        if changed != 1:
            return False
        self.refresh_from_db()
        return True

    def release(self) -> None:
        """Give a claim back unused: the attempt does not count."""
        status = SyncedRecord.Status.SYNCED if self.qbo_id else SyncedRecord.Status.PENDING
        released = SyncedRecord.objects.filter(pk=self.pk, status=SyncedRecord.Status.WRITING).update(
            status=status, claimed_at=None, attempts=F("attempts") - 1
        )
        if released:
            self.status, self.claimed_at, self.attempts = status, None, self.attempts - 1

    def mark_synced(
        self,
        *,
        qbo_id: str,
        sync_token: str,
        content_hash: str,
        amount: Decimal,
        currency: str,
        txn_date: date,
        doc_number: str,
        source_name: str,
        mapping_version: int = 0,
    ) -> None:
        now = timezone.now()
        self._store(
            mapping_version=mapping_version,
            status=SyncedRecord.Status.SYNCED,
            qbo_id=qbo_id,
            qbo_sync_token=sync_token,
            content_hash=content_hash,
            amount=amount,
            currency=currency,
            txn_date=txn_date,
            doc_number=doc_number,
            source_name=source_name,
            claimed_at=None,
            last_error="",
            synced_at=now,
            updated_at=now,
        )

    def mark_failed(self, *, error: str, amount: Decimal, currency: str, txn_date: date) -> None:
        self._store(
            status=SyncedRecord.Status.FAILED,
            claimed_at=None,
            last_error=error[:2000],
            amount=amount,
            currency=currency,
            txn_date=txn_date,
            updated_at=timezone.now(),
        )

    def mark_skipped(self, *, reason: str) -> None:
        """Why the Shopify object is not in the books; never over a document we wrote."""
        skippable = [SyncedRecord.Status.PENDING, SyncedRecord.Status.FAILED, SyncedRecord.Status.SKIPPED]
        now = timezone.now()
        if SyncedRecord.objects.filter(pk=self.pk, status__in=skippable).update(
            status=SyncedRecord.Status.SKIPPED, last_error=reason, updated_at=now
        ):
            self.status, self.last_error, self.updated_at = SyncedRecord.Status.SKIPPED, reason, now

    def reset_attempts(self) -> None:
        """A person retries failed work: it gets its bounded attempts back."""
        if SyncedRecord.objects.filter(pk=self.pk, status=SyncedRecord.Status.FAILED).update(attempts=0):
            self.attempts = 0

    def _store(self, **fields: Any) -> None:
        # One UPDATE of these columns only: save() would write back every column,
        # including those another worker changed since this instance was read.
        SyncedRecord.objects.filter(pk=self.pk).update(**fields)
        for name, value in fields.items():
            setattr(self, name, value)


# A request that does not say which version of the order it announces (a refund, a
# retry): the order must be fetched again whatever was fetched before.
UNKNOWN_VERSION = datetime(9999, 12, 31, tzinfo=UTC)


class PendingSync(models.Model):
    """One queued sync per order, however many webhooks asked for it.

    Webhooks for an order that already waits only bump ``generation`` (and raise
    ``announced`` to the order version they carry); the worker that drains the shop
    fetches the order as it is then, and deletes the row only if no request came in
    while it worked, or if what it fetched is at least as new as every version
    announced. A worker that dies leaves its claim to expire; the next drain, or the
    shop's sweep, takes the row again.
    """

    class Priority(models.IntegerChoices):
        NEW = 0, "new order"
        CHANGED = 1, "changed order"
        RETRY = 2, "retry or catch-up"

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="pending_syncs")
    order_gid = models.CharField(max_length=128)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.CHANGED)
    generation = models.PositiveIntegerField(default=1, help_text="bumped by every request for the order")
    announced = models.DateTimeField(
        default=UNKNOWN_VERSION, help_text="the newest order updatedAt a request announced (unknown: far future)"
    )
    requested_at = models.DateTimeField(default=timezone.now, help_text="first request still waiting")
    not_before = models.DateTimeField(null=True, blank=True, help_text="deferred: the order's record was busy")
    claimed_at = models.DateTimeField(null=True, blank=True)
    claim = models.CharField(max_length=36, blank=True, help_text="the draining worker's claim token")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["shop", "order_gid"], name="one_pending_sync_per_order")]
        indexes = [models.Index(fields=["shop", "priority", "requested_at"])]

    def __str__(self) -> str:
        return f"{self.order_gid} for {self.shop_id} (generation {self.generation})"


class QueuedDrain(models.Model):
    """The shop has a drain task queued or running (syncing/pending.py): a burst of new
    orders queues one task, not one per order. The task that owns ``token`` deletes the
    row when it finds nothing left to take; a row older than the claim lease belongs to a
    task that died, and the next request queues a new one."""

    shop = models.OneToOneField(Shop, on_delete=models.CASCADE, primary_key=True, related_name="queued_drain")
    token = models.CharField(max_length=32, help_text="the drain task that owns the marker")
    queued_at = models.DateTimeField(default=timezone.now, help_text="queued, or started by its task")

    def __str__(self) -> str:
        return f"drain of {self.shop_id} queued at {self.queued_at:%Y-%m-%d %H:%M:%S}"


class SyncRun(models.Model):
    """One pass of the sync for a shop (sweep, backfill, single order)."""

    class Status(models.TextChoices):
        RUNNING = "running"
        SUCCEEDED = "succeeded"
        FAILED = "failed"

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="sync_runs")
    kind = models.CharField(max_length=32, default="sweep")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    orders_seen = models.PositiveIntegerField(default=0)
    documents_written = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    watermark = models.DateTimeField(null=True, blank=True, help_text="updatedAt reached by this run")
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            # One pass per shop at a time: a scheduled sweep and a manual one never overlap.
            models.UniqueConstraint(
                fields=["shop"], condition=models.Q(status="running"), name="one_running_sync_per_shop"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.shop_id} ({self.status})"


class SyncIssueQuerySet(models.QuerySet["SyncIssue"]):
    def open(self) -> SyncIssueQuerySet:
        return self.filter(resolved_at__isnull=True)

    def resolve(self) -> int:
        return self.open().update(resolved_at=timezone.now())

    def refused(self, *, shop: Shop, refusal: LedgerError, source_type: str, source_id: str) -> SyncIssue:
        """The ledger refused a Shopify object as it stands: its code and message, and a retry only
        repeats it until the merchant fixes the cause."""
        return self.raise_for(
            shop=shop,
            code=refusal.code,
            message=str(refusal),
            source_type=source_type,
            source_id=source_id,
            retryable=False,
        )

    def raise_for(
        self,
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
        open_issue = self.filter(shop=shop, source_type=source_type, source_id=source_id, code=code).open()
        issue = open_issue.first()
        if issue is None:
            try:
                with transaction.atomic():
                    return self.create(
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

    def resolve_for(self, *, shop: Shop, source_type: str, source_id: str) -> int:
        return self.filter(shop=shop, source_type=source_type, source_id=source_id).resolve()


class SyncIssue(models.Model):
    """Something the merchant or support must see: a skip, a rejection, a difference."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="sync_issues")
    record = models.ForeignKey(SyncedRecord, on_delete=models.CASCADE, null=True, blank=True, related_name="issues")
    source_type = models.CharField(
        max_length=32, blank=True, choices=SourceType.choices, help_text="'': the whole shop"
    )
    source_id = models.CharField(max_length=128, blank=True)
    code = models.CharField(max_length=64, help_text="machine-readable reason, e.g. qbo_rejected")
    message = models.TextField()
    detail = models.JSONField(default=dict, blank=True)
    retryable = models.BooleanField(default=True)
    occurrences = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    objects = SyncIssueQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at"]
        indexes = [models.Index(fields=["shop", "resolved_at"])]
        constraints = [
            # One open issue per source and cause, even when two workers raise it at once.
            models.UniqueConstraint(
                fields=["shop", "source_type", "source_id", "code"],
                condition=models.Q(resolved_at__isnull=True),
                name="one_open_issue_per_source_and_code",
            )
        ]

    def __str__(self) -> str:
        return f"{self.code}: {self.message[:80]}"


class WebhookDelivery(models.Model):
    """Every verified webhook, unique per X-Shopify-Webhook-Id."""

    shop_domain = models.CharField(max_length=255)
    webhook_id = models.CharField(max_length=255, unique=True)
    event_id = models.CharField(max_length=255, blank=True)
    topic = models.CharField(max_length=64)
    api_version = models.CharField(max_length=16, blank=True)
    triggered_at = models.CharField(max_length=64, blank=True)
    payload = models.JSONField(default=dict)
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["shop_domain", "topic"])]

    def __str__(self) -> str:
        return f"{self.topic} from {self.shop_domain} ({self.webhook_id})"


# The customers, summaries, change checks and the undo's audit live in their own modules; imported
# here so that Django registers them as this app's models.
from syncing.customer_models import CustomerLink, OrderCustomer  # noqa: E402
from syncing.summary_models import Summary, SummaryEntry  # noqa: E402
from syncing.undo_models import QboChangeCheck, UndoEntry, UndoRun  # noqa: E402

__all__ = ["CustomerLink", "OrderCustomer", "QboChangeCheck", "Summary", "SummaryEntry", "UndoEntry", "UndoRun"]
