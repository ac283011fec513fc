from django.db import models
from django.utils import timezone

from accounts.crypto import EncryptedTextField


class Shop(models.Model):
    """The tenant: one installed Shopify store."""

    domain = models.CharField(max_length=255, unique=True, help_text="the *.myshopify.com name")
    name = models.CharField(max_length=255, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    iana_timezone = models.CharField(max_length=64, default="UTC")
    installed_at = models.DateTimeField(null=True, blank=True)
    uninstalled_at = models.DateTimeField(null=True, blank=True)
    sync_paused = models.BooleanField(default=False)
    paused_reason = models.CharField(max_length=500, blank=True)

    # Shopify offline access token (expiring, with a rotating refresh token).
    access_token = EncryptedTextField(blank=True, default="")
    access_token_expires_at = models.DateTimeField(null=True, blank=True)
    refresh_token = EncryptedTextField(blank=True, default="")
    refresh_token_expires_at = models.DateTimeField(null=True, blank=True)
    scopes = models.CharField(max_length=1000, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["domain"]

    def __str__(self) -> str:
        return self.domain

    @property
    def is_installed(self) -> bool:
        return self.installed_at is not None and self.uninstalled_at is None

    def pause(self, reason: str) -> None:
        Shop.objects.filter(pk=self.pk).update(sync_paused=True, paused_reason=reason[:500], updated_at=timezone.now())
        self.sync_paused, self.paused_reason = True, reason[:500]

    def resume(self) -> None:
        Shop.objects.filter(pk=self.pk).update(sync_paused=False, paused_reason="", updated_at=timezone.now())
        self.sync_paused, self.paused_reason = False, ""


class QuickBooksConnection(models.Model):
    """The shop's link to one QuickBooks Online company (realm)."""

    class Status(models.TextChoices):
        CONNECTED = "connected"
        RECONNECT_NEEDED = "reconnect_needed"
        DISCONNECTED = "disconnected"

    shop = models.OneToOneField(Shop, on_delete=models.CASCADE, related_name="qbo")
    realm_id = models.CharField(max_length=64)
    status = models.CharField(max_length=32, choices=Status.choices, default=Status.CONNECTED)
    status_reason = models.CharField(max_length=500, blank=True)
    access_token = EncryptedTextField(blank=True, default="")
    access_token_expires_at = models.DateTimeField(null=True, blank=True)
    refresh_token = EncryptedTextField(blank=True, default="")
    refresh_token_expires_at = models.DateTimeField(null=True, blank=True)

    company_name = models.CharField(max_length=255, blank=True)
    country = models.CharField(max_length=8, blank=True)
    home_currency = models.CharField(max_length=3, blank=True)
    automated_sales_tax = models.BooleanField(default=False)
    multicurrency = models.BooleanField(default=False)

    connected_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.company_name or self.realm_id} ({self.status})"
