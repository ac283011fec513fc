"""What summary posting keeps: each order's sale and each refund that is summarised rather than
posted on its own (SummaryEntry), and each summary, a payout's or a day's (Summary), with the
orders it holds and the CSV attached to it in QuickBooks (syncing/summary.py).

Imported by syncing/models.py, so that Django knows these models as the syncing app's own.
"""

from __future__ import annotations

from django.db import models

from accounts.models import Shop


class SummaryEntry(models.Model):
    """One order's sale, or one refund, that goes into a summary instead of its own documents.

    Unique per Shopify object: it belongs to one summary at most (``summary_key`` set once, by a
    conditional UPDATE), so nothing is summarised twice."""

    class Unit(models.TextChoices):
        SALE = "sale"
        REFUND = "refund"

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="summary_entries")
    unit = models.CharField(max_length=8, choices=Unit.choices)
    source_id = models.CharField(max_length=128, help_text="the order's GID for a sale, the refund's for a refund")
    order_gid = models.CharField(max_length=128)
    order_name = models.CharField(max_length=64, blank=True)
    txn_date = models.DateField(help_text="the sale's or refund's day, shop's time zone")
    amount = models.DecimalField(
        max_digits=18, decimal_places=2, help_text="what it adds to the summary: a refund is negative"
    )
    currency = models.CharField(max_length=3, blank=True)
    # The Shopify Payments order transactions (legacy ids) that carry its money: a payout holding
    # one of them as a balance transaction summarises it. Empty: another gateway, summarised per day.
    payment_ids = models.JSONField(default=list, blank=True)
    # The ledger documents per-order posting would write for it (syncing/ledger_json.py), without
    # the buyer (no customer, no ship-to address): its summary is built from them, without reading
    # the order again. Empty: recorded before entries kept them (the summary reads the order).
    documents = models.JSONField(default=list, blank=True)
    summary_key = models.CharField(max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["shop", "unit", "source_id"], name="summary_entry_once"),
        ]
        indexes = [models.Index(fields=["shop", "summary_key", "txn_date"])]
        verbose_name_plural = "summary entries"

    def __str__(self) -> str:
        return f"{self.unit} {self.order_name or self.source_id} -> {self.summary_key or 'not summarised yet'}"


class Summary(models.Model):
    """A payout's or a day's summary: its documents are SyncedRecords of source type "summary"
    whose source id starts with ``key``; the CSV listing its orders is attached to the first."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="summaries")
    key = models.CharField(max_length=64, help_text="payout:<payout GID> or day:<YYYY-MM-DD>")
    label = models.CharField(max_length=64)
    txn_date = models.DateField()
    orders = models.PositiveIntegerField(default=0)
    total = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    currency = models.CharField(max_length=3, blank=True)
    # A payout's summary: the Shopify Payments order transactions it carried (legacy ids), so that a
    # sale or refund seen only after the summary was written goes into a later summary, never this one.
    payment_ids = models.JSONField(default=list, blank=True)
    attachable_id = models.CharField(max_length=64, blank=True, help_text="the QuickBooks Attachable of the CSV")
    written_at = models.DateTimeField(null=True, blank=True, help_text="when all its documents were in QuickBooks")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["shop", "key"], name="summary_once")]
        verbose_name_plural = "summaries"

    def __str__(self) -> str:
        return f"summary {self.label} of {self.shop_id}"

    @property
    def is_day(self) -> bool:
        """A day's summary (other gateways' sales), whose label already names its day."""
        return self.key.startswith("day:")
