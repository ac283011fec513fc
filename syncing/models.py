from django.db import models
from django.utils import timezone

from accounts.models import Shop


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
    source_type = models.CharField(max_length=32, help_text="order, refund, payout, customer...")
    source_id = models.CharField(max_length=128, help_text="Shopify GID")
    source_name = models.CharField(max_length=64, blank=True, help_text="e.g. #1001")
    kind = models.CharField(max_length=32, help_text="QBO entity: SalesReceipt, RefundReceipt, Deposit...")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)

    request_id = models.CharField(max_length=50, help_text="stable QBO requestid for the create")
    doc_number = models.CharField(max_length=21, blank=True)
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
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["shop", "source_type", "source_id", "kind"], name="synced_record_once"),
            models.UniqueConstraint(fields=["shop", "request_id"], name="synced_record_request_id"),
        ]
        indexes = [models.Index(fields=["shop", "status"]), models.Index(fields=["shop", "txn_date"])]

    def __str__(self) -> str:
        return f"{self.kind} for {self.source_type} {self.source_name or self.source_id} ({self.status})"


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


class SyncIssue(models.Model):
    """Something the merchant or support must see: a skip, a rejection, a difference."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="sync_issues")
    record = models.ForeignKey(SyncedRecord, on_delete=models.CASCADE, null=True, blank=True, related_name="issues")
    source_type = models.CharField(max_length=32, blank=True)
    source_id = models.CharField(max_length=128, blank=True)
    code = models.CharField(max_length=64, help_text="machine-readable reason, e.g. qbo_rejected")
    message = models.TextField()
    detail = models.JSONField(default=dict, blank=True)
    retryable = models.BooleanField(default=True)
    occurrences = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-updated_at"]
        indexes = [models.Index(fields=["shop", "resolved_at"])]

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
