"""The request budget's rows when it lives in the database (operations/budget_store.py): one per
QuickBooks company or Shopify shop, and its concurrency slots."""

from __future__ import annotations

from django.db import models


class RequestBudget(models.Model):
    """A company's (shop's) token bucket: tokens per lane when last touched (``stamp``, seconds since
    the epoch), and the slower refill a throttle set (``slow_factor`` of the rate until ``slow_until``).
    See shopqb_app/integrations/budget.py for the lanes."""

    key = models.CharField(max_length=200, unique=True)
    t0 = models.FloatField()
    t1 = models.FloatField()
    t2 = models.FloatField()
    t3 = models.FloatField()
    stamp = models.FloatField()
    slow_until = models.FloatField(default=0.0)
    slow_factor = models.FloatField(default=1.0)

    class Meta:
        app_label = "operations"

    def __str__(self) -> str:
        return self.key


class RequestSlot(models.Model):
    """One of a company's concurrent-request slots: free when ``holder`` is empty or ``expires``
    (seconds since the epoch) has passed, so a worker that died holding it loses it."""

    key = models.CharField(max_length=200)
    slot = models.PositiveSmallIntegerField()
    holder = models.CharField(max_length=32, blank=True)
    expires = models.FloatField(default=0.0)

    class Meta:
        app_label = "operations"
        constraints = [models.UniqueConstraint(fields=["key", "slot"], name="request_slot_unique")]

    def __str__(self) -> str:
        return f"{self.key}#{self.slot}"
