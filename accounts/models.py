from django.db import models
from django.utils import timezone

from accounts.crypto import EncryptedTextField


class PauseCode(models.TextChoices):
    """Why a shop's sync is paused. The app lifts only the pauses it put on itself."""

    SUPPORT = "support", "Paused by support"
    MERCHANT = "merchant", "Paused by the merchant"
    UNINSTALLED = "uninstalled", "App uninstalled"
    SHOPIFY_REVOKED = "shopify_revoked", "Shopify access revoked"
    QBO_RECONNECT = "qbo_reconnect", "QuickBooks needs reconnecting"


class Shop(models.Model):
    """The tenant: one installed Shopify store."""

    domain = models.CharField(max_length=255, unique=True, help_text="the *.myshopify.com name")
    name = models.CharField(max_length=255, blank=True)
    email = models.EmailField(blank=True, help_text="the shop owner's (Shopify's Shop.email): where alerts go")
    currency = models.CharField(max_length=3, blank=True)
    iana_timezone = models.CharField(max_length=64, default="UTC")
    installed_at = models.DateTimeField(null=True, blank=True)
    uninstalled_at = models.DateTimeField(null=True, blank=True)
    sync_paused = models.BooleanField(default=False)
    paused_reason = models.CharField(max_length=500, blank=True)
    paused_code = models.CharField(max_length=32, choices=PauseCode.choices, blank=True)

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

    def pause(self, reason: str, *, code: str = PauseCode.SUPPORT) -> None:
        reason = reason[:500]
        Shop.objects.filter(pk=self.pk).update(
            sync_paused=True, paused_reason=reason, paused_code=code, updated_at=timezone.now()
        )
        self.sync_paused, self.paused_reason, self.paused_code = True, reason, code

    def resume(self) -> None:
        Shop.objects.filter(pk=self.pk).update(
            sync_paused=False, paused_reason="", paused_code="", updated_at=timezone.now()
        )
        self.sync_paused, self.paused_reason, self.paused_code = False, "", ""

    def resume_if(self, code: str) -> bool:
        """Lift a pause the app put on itself for ``code``; leave any other pause alone."""
        changed = Shop.objects.filter(pk=self.pk, sync_paused=True, paused_code=code).update(
            sync_paused=False, paused_reason="", paused_code="", updated_at=timezone.now()
        )
        if changed:
            self.sync_paused, self.paused_reason, self.paused_code = False, "", ""
        return bool(changed)


class QuickBooksConnection(models.Model):
    """The shop's link to one QuickBooks Online company (realm)."""

    class Status(models.TextChoices):
        CONNECTED = "connected"
        RECONNECT_NEEDED = "reconnect_needed"
        DISCONNECTED = "disconnected"
        # Another store already uses this company: nothing is written until the merchant agrees.
        CONFIRM_SHARED = "confirm_shared", "Waiting for the merchant to confirm a shared company"

    shop = models.OneToOneField(Shop, on_delete=models.CASCADE, related_name="qbo")
    realm_id = models.CharField(max_length=64, db_index=True)
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

    @property
    def is_connected(self) -> bool:
        return self.status == self.Status.CONNECTED

    def shared_with(self) -> list["QuickBooksConnection"]:
        """Other stores' live connections to the same company: their sales go into the same books."""
        return list(
            QuickBooksConnection.objects.filter(realm_id=self.realm_id)
            .exclude(pk=self.pk)
            .exclude(status=self.Status.DISCONNECTED)
            .select_related("shop")
            .order_by("shop__domain")
        )


class OAuthState(models.Model):
    """One OAuth round trip in flight (Shopify install or QuickBooks connect).

    The ``state`` value goes to the provider and, in a first-party cookie, to the
    browser; the callback must present both and consumes the row exactly once.
    """

    class Provider(models.TextChoices):
        SHOPIFY = "shopify"
        QUICKBOOKS = "quickbooks"

    provider = models.CharField(max_length=16, choices=Provider.choices)
    state = models.CharField(max_length=64, unique=True)
    shop_domain = models.CharField(max_length=255)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True, help_text="browser sent to the provider")
    consumed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=500, blank=True, help_text="shown to the merchant when it failed")
    browser_digest = models.CharField(
        max_length=64, blank=True, help_text="sha256 of the nonce in the cookie of the browser that started it"
    )
    succeeded = models.BooleanField(default=False)

    class Meta:
        indexes = [models.Index(fields=["shop_domain", "provider", "created_at"])]

    def __str__(self) -> str:
        return f"{self.provider} for {self.shop_domain} at {self.created_at:%Y-%m-%d %H:%M}"


class ComplianceRequest(models.Model):
    """A GDPR/CCPA request Shopify forwarded, and what we did about it.

    Kept after ``shop/redact`` as the record that the shop's data was deleted (the
    row then holds only the domain and dates).
    """

    class Topic(models.TextChoices):
        DATA_REQUEST = "customers/data_request"
        CUSTOMER_REDACT = "customers/redact"
        SHOP_REDACT = "shop/redact"

    topic = models.CharField(max_length=32, choices=Topic.choices)
    shop_domain = models.CharField(max_length=255)
    webhook_id = models.CharField(max_length=255, unique=True)
    customer_id = models.CharField(max_length=64, blank=True)
    # customers/data_request: everything we hold about the customer, for the merchant.
    export = EncryptedTextField(blank=True, default="")
    summary = models.CharField(max_length=500, blank=True)
    received_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)
    downloaded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at"]
        indexes = [models.Index(fields=["shop_domain", "topic"])]

    def __str__(self) -> str:
        return f"{self.topic} for {self.shop_domain}"
