"""The QuickBooks customers ShopQB books to: each Shopify customer's own (CustomerLink, the
per-customer mode) and the one each order was booked to (OrderCustomer), syncing/customers.py.

Imported by syncing/models.py, so that Django knows these models as the syncing app's own.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import Shop


class CustomerLink(models.Model):
    """The QuickBooks customer of one Shopify customer (the per-customer mode of
    mappings.SyncSettings.customer_mode), one row per (shop, Shopify customer).

    Claimed with a conditional UPDATE before QuickBooks is asked (as SyncedRecord is), so two
    orders of one new customer make one QuickBooks customer. ``name``, ``email``, ``phone`` and
    ``display_name`` are ShopQB's own copy (erased by customers/redact); the QuickBooks customer
    itself is the merchant's record (syncing/customers.py).
    """

    class Status(models.TextChoices):
        PENDING = "pending"
        WRITING = "writing"
        LINKED = "linked"
        FAILED = "failed"

    class Origin(models.TextChoices):
        CREATED = "created", "created by ShopQB"
        EMAIL = "email", "matched by email"
        GID = "gid", "matched by the Shopify customer id"
        NAME = "name", "matched by name"

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="customer_links")
    customer_gid = models.CharField(max_length=128, help_text="Shopify customer GID")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    origin = models.CharField(max_length=16, choices=Origin.choices, blank=True)
    qbo_id = models.CharField(max_length=64, blank=True)
    display_name = models.CharField(max_length=500, blank=True, help_text="the QuickBooks customer's DisplayName")
    name = models.CharField(max_length=255, blank=True)
    email = models.CharField(max_length=255, blank=True)
    phone = models.CharField(max_length=64, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["shop", "customer_gid"], name="one_customer_link")]

    def __str__(self) -> str:
        return f"{self.customer_gid} -> QuickBooks customer {self.qbo_id or '?'} ({self.status})"

    def claim(self, *, lease: timedelta) -> bool:
        """Take the link to find or create its QuickBooks customer: True only for the one worker
        whose UPDATE changed it. A claim older than ``lease`` belongs to a dead worker."""
        now = timezone.now()
        status = CustomerLink.Status
        free = Q(status__in=[status.PENDING, status.FAILED])
        abandoned = Q(status=status.WRITING, claimed_at__lt=now - lease)
        changed = (
            CustomerLink.objects.filter(pk=self.pk)
            .filter(free | abandoned)
            .update(status=status.WRITING, claimed_at=now, attempts=F("attempts") + 1, updated_at=now)
        )
        if changed != 1:
            return False
        self.refresh_from_db()
        return True

    def mark_linked(self, *, qbo_id: str, display_name: str, origin: str) -> None:
        fields: dict[str, Any] = {
            "status": CustomerLink.Status.LINKED,
            "qbo_id": qbo_id,
            "display_name": display_name,
            "origin": origin,
            "claimed_at": None,
            "last_error": "",
            "updated_at": timezone.now(),
        }
        CustomerLink.objects.filter(pk=self.pk).update(**fields)
        for name, value in fields.items():
            setattr(self, name, value)

    def mark_failed(self, *, error: str) -> None:
        CustomerLink.objects.filter(pk=self.pk, status=CustomerLink.Status.WRITING).update(
            status=CustomerLink.Status.FAILED, claimed_at=None, last_error=error[:2000], updated_at=timezone.now()
        )
        self.status, self.claimed_at, self.last_error = CustomerLink.Status.FAILED, None, error[:2000]


class OrderCustomer(models.Model):
    """The QuickBooks customer an order's documents are booked to, fixed when ShopQB first books
    the order: its payments, refunds, credit memos, edits and receivable journal lines name the
    same one, whatever the merchant's customer setting says later (receivables stay per customer).
    ``qbo_name`` is kept only for the generic customer (as mapped); a person's own customer is
    referred to by its id alone, so ShopQB keeps no second copy of their name."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="order_customers")
    order_gid = models.CharField(max_length=128)
    qbo_id = models.CharField(max_length=64)
    qbo_name = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["shop", "order_gid"], name="one_customer_per_order")]

    def __str__(self) -> str:
        return f"{self.order_gid} -> QuickBooks customer {self.qbo_id}"
