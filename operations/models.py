"""What the operations watch keeps: alerts, the worker's heartbeat, QuickBooks request counts per
company, the queue's depth over time and each shop's daily reconciliation check."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Shop


class AlertKind(models.TextChoices):
    SHOP_PAUSED = "shop_paused", "Syncing paused"
    SWEEP_STALE = "sweep_stale", "No sync pass completed"
    QUEUE_BACKLOG = "queue_backlog", "Work waiting in the queue"
    ISSUES_STALE = "issues_stale", "Issues open for more than a day"
    RECONCILE_DIFFERENCE = "reconcile_difference", "Shopify and QuickBooks differ"


class Alert(models.Model):
    """One condition that needs a person, from the check that saw it start until the check that
    saw it end. ``shop`` is empty for the operators' own conditions (the task queue)."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, null=True, blank=True, related_name="alerts")
    kind = models.CharField(max_length=32, choices=AlertKind.choices)
    key = models.CharField(max_length=64, blank=True, help_text="which condition of this kind, e.g. the pause's code")
    title = models.CharField(max_length=200)
    message = models.TextField()
    fix_url_name = models.CharField(max_length=64, blank=True, help_text="the app's page that fixes it (URL name)")
    fix_label = models.CharField(max_length=100, blank=True)
    opened_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True, help_text="when the last email about it was sent")
    emails_sent = models.PositiveIntegerField(default=0)
    email_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-opened_at"]
        indexes = [models.Index(fields=["shop", "resolved_at"]), models.Index(fields=["kind", "key", "emailed_at"])]
        constraints = [
            # One open alert per condition, even when two checks run at once. A shop's and the
            # operators' alerts need one constraint each: NULLs are distinct in a unique index.
            models.UniqueConstraint(
                fields=["shop", "kind", "key"],
                condition=Q(resolved_at__isnull=True, shop__isnull=False),
                name="one_open_alert_per_shop_condition",
            ),
            models.UniqueConstraint(
                fields=["kind", "key"],
                condition=Q(resolved_at__isnull=True, shop__isnull=True),
                name="one_open_operator_alert_per_condition",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.shop or 'operators'})"

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None


class WorkerHeartbeat(models.Model):
    """Written by a django-q2 task every minute: a recent beat proves the scheduler queues work
    and a worker runs it (``/readyz``)."""

    host = models.CharField(max_length=255, unique=True)
    beat_at = models.DateTimeField()
    pid = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.host} at {self.beat_at:%Y-%m-%d %H:%M:%S}"


class QuickBooksRequestCount(models.Model):
    """HTTP requests sent to one QuickBooks company on one day (UTC), and how many of them
    QuickBooks throttled (429, or 403 ThrottleExceeded). Every process adds to the same rows."""

    realm_id = models.CharField(max_length=64)
    day = models.DateField()
    requests = models.PositiveBigIntegerField(default=0)
    throttled = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["realm_id", "day"], name="one_request_count_per_realm_day")]

    def __str__(self) -> str:
        return f"{self.realm_id} on {self.day}: {self.requests} ({self.throttled} throttled)"


class QueueSample(models.Model):
    """The task queue's depth as one check saw it: whether the queue grows is read from these."""

    taken_at = models.DateTimeField(db_index=True)
    depth = models.PositiveIntegerField()

    def __str__(self) -> str:
        return f"{self.depth} at {self.taken_at:%Y-%m-%d %H:%M}"


class ReconcileCheck(models.Model):
    """The shop's last reconciliation run by the watch (at most one a day: it reads QuickBooks)."""

    shop = models.OneToOneField(Shop, on_delete=models.CASCADE, related_name="reconcile_check")
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    matched = models.BooleanField(null=True, help_text="empty: not known (never ran, or it could not run)")
    summary = models.TextField(blank=True)
    error = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"reconciliation check of {self.shop_id}"


# The request budget's rows (operations/budget_store.py).
from operations.budget_models import RequestBudget, RequestSlot  # noqa: E402, F401
