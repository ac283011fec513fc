"""The merchant's rules: which QuickBooks object each role, gateway, tax, product, location and
channel books to, what syncs, and the setup's progress. Every change is versioned (MappingChange)."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import models

from accounts.models import Shop


class AccountRole(models.TextChoices):
    """What each QBO reference is used for. The merchant maps each role."""

    # Accounts the merchant picks from the chart of accounts (mappings/roles.py says which types).
    SALES_INCOME = "sales_income", "Product sales income"
    SHIPPING_INCOME = "shipping_income", "Shipping income"
    DISCOUNTS = "discounts", "Discounts given"
    GIFT_CARD_LIABILITY = "gift_card_liability", "Gift card liability"
    TIPS = "tips", "Tips collected for staff"
    ROUNDING = "rounding", "Rounding differences"
    BANK_ACCOUNT = "bank_account", "Bank account Shopify Payments pays out to"
    PAYOUT_FEES = "payout_fees", "Expense account for Shopify Payments fees"
    CHANNEL_TAX = "channel_tax", "Tax sales channels collect and remit"
    STORE_CREDIT_LIABILITY = "store_credit_liability", "Store credit liability"
    DUTIES = "duties", "Duties and import taxes collected"
    CHARGEBACKS = "chargebacks", "Chargebacks and dispute fees"
    PAYOUT_RESERVE = "payout_reserve", "Shopify Payments reserve"
    CAPITAL_LOAN = "capital_loan", "Shopify Capital advances"
    # Items QBO needs on every sales line; each books to one of the accounts above.
    SALES_ITEM = "sales_item", "Item for unmapped products"
    SHIPPING_ITEM = "shipping_item", "Item for shipping charges"
    DISCOUNT_ITEM = "discount_item", "Item for discounts"
    TIP_ITEM = "tip_item", "Item for tips"
    GIFT_CARD_ITEM = "gift_card_item", "Item for gift card sales (liability)"
    ROUNDING_ITEM = "rounding_item", "Item for rounding differences"
    CHANNEL_TAX_ITEM = "channel_tax_item", "Item for tax sales channels remit"
    DUTIES_ITEM = "duties_item", "Item for duties and import taxes charged"
    # Before per-gateway mappings (GatewayMapping) these four were roles; old rows stay readable.
    CLEARING_SHOPIFY_PAYMENTS = "clearing_shopify_payments", "Clearing account: Shopify Payments"
    CLEARING_PAYPAL = "clearing_paypal", "Clearing account: PayPal"
    CLEARING_GIFT_CARD = "clearing_gift_card", "Clearing account: gift cards"
    CLEARING_OTHER = "clearing_other", "Clearing account: other gateways"
    CUSTOMER_DEFAULT = "customer_default", "Customer for orders without one"
    TAX_CODE_DEFAULT = "tax_code_default", "Tax code for taxed lines"
    TAX_CODE_EXEMPT = "tax_code_exempt", "Tax code for untaxed lines"


class QBORefFields(models.Model):
    """A QuickBooks object chosen by the merchant, or one to create at go-live.

    ``qbo_id`` empty with a ``create_spec`` means: the merchant confirmed "create it for me";
    nothing exists in QuickBooks yet. ``confirmed`` False means: proposed by ShopQB, not yet
    accepted; go-live refuses until every required mapping is confirmed.
    """

    qbo_id = models.CharField(max_length=64, blank=True)
    qbo_name = models.CharField(max_length=255, blank=True)
    create_spec = models.JSONField(default=dict, blank=True, help_text="what to create at go-live")
    confirmed = models.BooleanField(default=True)
    created_by_app = models.BooleanField(default=False, help_text="we created it in QBO")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True

    @property
    def is_set(self) -> bool:
        return bool(self.qbo_id or self.create_spec)

    @property
    def display(self) -> str:
        if self.qbo_id:
            return self.qbo_name or self.qbo_id
        if self.create_spec:
            return f"{self.create_spec.get('Name') or self.create_spec.get('DisplayName', '')} (to be created)"
        return ""


class AccountRoleMapping(QBORefFields):
    """The QBO object for one role."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="role_mappings")
    role = models.CharField(max_length=40, choices=AccountRole.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["shop", "role"], name="one_mapping_per_role")]

    def __str__(self) -> str:
        return f"{self.role} -> {self.display}"


class GatewayMapping(QBORefFields):
    """Where money taken through one payment gateway is deposited (a clearing account, or for
    gift cards and store credit the liability account it reduces)."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="gateway_mappings")
    gateway = models.CharField(max_length=255, help_text="the gateway name as Shopify reports it")
    orders_seen = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["shop", "gateway"], name="one_mapping_per_gateway")]
        ordering = ["gateway"]

    def __str__(self) -> str:
        return f"{self.gateway} -> {self.display}"


def tax_key_digest(pairs: list[list[str]] | tuple[tuple[str, str], ...]) -> str:
    """The unique handle of a tax key (its pairs can be longer than an index allows)."""
    canonical = json.dumps([[str(title), str(rate)] for title, rate in pairs], separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


class TaxMapping(models.Model):
    """One combination of Shopify tax lines found together on an order line (its key: the title
    and rate of each, e.g. GST 5% + PST 7%; no pairs at all for lines Shopify charged no tax on)
    and the QBO tax code that books it. Outside the US the code must hold exactly the key's rates.

    ``create_spec`` non-empty: no code of the company fits, and ShopQB proposes creating one
    through QuickBooks' TaxService (done only when the merchant confirms, on the Taxes page).
    """

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="tax_mappings")
    # The key as stored: [["GST", "0.05"], ["PST", "0.07"]] (sorted, rates as Shopify's fractions
    # without trailing zeros, as syncing.ledger.tax_key makes them); [] = lines without tax.
    pairs = models.JSONField(default=list, blank=True)
    key_digest = models.CharField(max_length=64, editable=False)
    title = models.CharField(max_length=255, help_text="the key's Shopify tax titles, joined by +")
    rate = models.DecimalField(max_digits=9, decimal_places=6, help_text="the key's rates together: 0.12 for 12%")
    qbo_tax_code_id = models.CharField(max_length=64, blank=True)
    qbo_tax_code_name = models.CharField(max_length=255, blank=True)
    # The chosen code's sales rates when it was chosen: [[TaxRate id, percent]], e.g. [["3", "20"]].
    code_rates = models.JSONField(default=list, blank=True)
    create_spec = models.JSONField(default=dict, blank=True, help_text="the TaxService request proposed")
    created_by_app = models.BooleanField(default=False, help_text="we created the code in QBO")
    confirmed = models.BooleanField(default=False)
    orders_seen = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["shop", "key_digest"], name="one_mapping_per_tax_key")]
        ordering = ["title", "rate"]

    def __str__(self) -> str:
        return f"{self.label} -> {self.qbo_tax_code_name or '?'}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.key_digest = tax_key_digest(self.pairs)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "pairs" in update_fields:
            kwargs["update_fields"] = {*update_fields, "key_digest"}
        super().save(*args, **kwargs)

    @property
    def percent(self) -> Decimal:
        return (self.rate * 100).normalize()

    @property
    def untaxed(self) -> bool:
        return not self.pairs

    @property
    def label(self) -> str:
        """“GST 5% + PST 7%”; “No tax charged” for lines without tax."""
        if not self.pairs:
            return "No tax charged"
        return " + ".join(f"{title} {format((Decimal(rate) * 100).normalize(), 'f')}%" for title, rate in self.pairs)


class ProductMapping(models.Model):
    """A Shopify variant and the QBO item its lines book to."""

    class MatchedBy(models.TextChoices):
        NONE = "", "Not mapped"
        SKU = "sku", "Same SKU"
        NAME = "name", "Same name"
        MERCHANT = "merchant", "Chosen by you"
        CREATED = "created", "Created by ShopQB"
        FALLBACK = "fallback", "Mapped to one item for all unmatched"

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="product_mappings")
    variant_gid = models.CharField(max_length=255)
    product_gid = models.CharField(max_length=255, blank=True)
    title = models.CharField(max_length=512)
    sku = models.CharField(max_length=255, blank=True)
    qbo_item_id = models.CharField(max_length=64, blank=True)
    qbo_item_name = models.CharField(max_length=255, blank=True)
    # The item's QuickBooks Type (Inventory, NonInventory, Service) when known: a refund that does
    # not restock an inventory item must not book its quantity back (syncing/ledger/refunds.py).
    qbo_item_type = models.CharField(max_length=20, blank=True, default="")
    matched_by = models.CharField(max_length=10, choices=MatchedBy.choices, blank=True, default="")
    create_spec = models.JSONField(default=dict, blank=True, help_text="the item to create at go-live")
    shopify_updated_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["shop", "variant_gid"], name="one_mapping_per_variant")]
        indexes = [
            models.Index(fields=["shop", "qbo_item_id", "title"], name="product_map_unmatched_first"),
            models.Index(fields=["shop", "sku"], name="product_map_sku"),
        ]
        ordering = ["title"]

    def __str__(self) -> str:
        return f"{self.title} -> {self.qbo_item_name or 'unmapped'}"


class DimensionMapping(models.Model):
    """A Shopify location or sales channel and the QBO Class and/or Department (Location) that
    every document from it carries."""

    class Kind(models.TextChoices):
        LOCATION = "location", "Location"
        CHANNEL = "channel", "Sales channel"

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="dimension_mappings")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    shopify_id = models.CharField(max_length=255, help_text="location gid, or the channel's source name")
    name = models.CharField(max_length=255)
    class_id = models.CharField(max_length=64, blank=True)
    class_name = models.CharField(max_length=255, blank=True)
    department_id = models.CharField(max_length=64, blank=True)
    department_name = models.CharField(max_length=255, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["shop", "kind", "shopify_id"], name="one_mapping_per_dimension")]
        ordering = ["kind", "name"]

    def __str__(self) -> str:
        return f"{self.kind} {self.name}"


class SetupStep(models.TextChoices):
    """The setup, in the order a merchant goes through it."""

    CONNECT = "connect", "Connect QuickBooks"
    WHAT_TO_SYNC = "what_to_sync", "What to sync"
    ACCOUNTS = "accounts", "Accounts"
    GATEWAYS = "gateways", "Payment gateways"
    TAXES = "taxes", "Taxes"
    PRODUCTS = "products", "Products"
    LOCATIONS = "locations", "Locations and channels"
    FILTERS = "filters", "Filters"
    PREVIEW = "preview", "Preview"
    TEST_SYNC = "test_sync", "Test sync"
    GO_LIVE = "go_live", "Go live"


class SyncSettings(models.Model):
    """The merchant's sync rules, filters and the setup's progress."""

    class PostingMode(models.TextChoices):
        PER_ORDER = "per_order", "One document per order"
        SUMMARY = "summary", "One summary per Shopify Payments payout (per day for other gateways)"

    class CustomerMode(models.TextChoices):
        GENERIC = "generic", "One customer for all Shopify orders"
        PER_CUSTOMER = "per_customer", "Match or create each customer by email"

    shop = models.OneToOneField(Shop, on_delete=models.CASCADE, related_name="sync_settings")
    # What to sync
    sync_orders = models.BooleanField(default=True)
    sync_refunds = models.BooleanField(default=True)
    sync_payouts = models.BooleanField(default=True)
    customer_mode = models.CharField(max_length=20, choices=CustomerMode.choices, default=CustomerMode.GENERIC)
    sync_inventory = models.BooleanField(default=False)
    start_date = models.DateField(null=True, blank=True, help_text="orders processed before this are not synced")
    posting_mode = models.CharField(max_length=20, choices=PostingMode.choices, default=PostingMode.PER_ORDER)
    # Posting mode "summary" applies to orders sold on or after this day (shop's time zone); orders
    # sold before it keep their own documents, their later refunds too (syncing/summary.py).
    summary_from = models.DateField(null=True, blank=True, help_text="summary posting applies from this day")
    doc_number_prefix = models.CharField(max_length=8, blank=True, default="S")
    # An order edited after its sale was booked: False books the change as its own document on the
    # day it was seen; True rewrites the sale itself while its date is after QuickBooks' closing date.
    rewrite_edited_sales = models.BooleanField(default=False)
    # Filters
    sync_test_orders = models.BooleanField(default=False)
    min_total = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    max_total = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    only_location_ids = models.JSONField(default=list, blank=True)
    only_channels = models.JSONField(default=list, blank=True)
    only_tags = models.JSONField(default=list, blank=True)
    exclude_tags = models.JSONField(default=list, blank=True)
    # Setup
    steps_done = models.JSONField(default=list, blank=True)
    sample_orders = models.JSONField(default=dict, blank=True, help_text="order kind -> an order gid to preview")
    scanned_at = models.DateTimeField(null=True, blank=True, help_text="when the shop's orders were last scanned")
    live_at = models.DateTimeField(null=True, blank=True, help_text="when the merchant went live")
    mapping_version = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"sync settings for {self.shop_id}"

    @property
    def is_live(self) -> bool:
        return self.live_at is not None

    def skip_reason(
        self, *, test: bool, booked_on: date, total: Decimal, location_id: str, channel: str, tags: tuple[str, ...]
    ) -> str:
        """Why the merchant's rules keep an order out of the books, or ''. Plain language: shown."""
        if test and not self.sync_test_orders:
            return "test order"
        if self.start_date and booked_on < self.start_date:
            return f"processed before the sync start date {self.start_date.isoformat()}"
        if self.min_total is not None and total < self.min_total:
            return f"total {total} is below the minimum {self.min_total}"
        if self.max_total is not None and total > self.max_total:
            return f"total {total} is above the maximum {self.max_total}"
        if self.only_location_ids and location_id not in self.only_location_ids:
            return "its location is not one of the locations you sync"
        if self.only_channels and channel not in self.only_channels:
            return f"sales channel {channel or 'unknown'} is not one of the channels you sync"
        wanted = {t.lower() for t in self.only_tags}
        if wanted and not wanted & {t.lower() for t in tags}:
            return "it has none of the tags you sync (" + ", ".join(self.only_tags) + ")"
        excluded = sorted({t.lower() for t in self.exclude_tags} & {t.lower() for t in tags})
        if excluded:
            return "it is tagged " + ", ".join(excluded) + ", which you excluded"
        return ""


class MappingChange(models.Model):
    """One change to the merchant's rules: who, when, what before and after. Documents record the
    ``version`` they were produced under (SyncedRecord.mapping_version)."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="mapping_changes")
    version = models.PositiveIntegerField()
    section = models.CharField(max_length=20, choices=SetupStep.choices)
    changed_by = models.CharField(max_length=255, help_text="the Shopify staff user, or ShopQB")
    changed_at = models.DateTimeField(auto_now_add=True)
    before = models.JSONField(default=dict)
    after = models.JSONField(default=dict)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["shop", "version"], name="one_change_per_version")]
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"v{self.version} {self.section} by {self.changed_by}"

    @property
    def changed_fields(self) -> list[tuple[str, Any, Any]]:
        keys = sorted(set(self.before) | set(self.after))
        return [(k, self.before.get(k), self.after.get(k)) for k in keys if self.before.get(k) != self.after.get(k)]


class InventoryCheck(models.Model):
    """The last comparison of Shopify's on-hand quantities with QuickBooks' QtyOnHand for the
    shop's inventory items (mappings/inventory.py): the differences found, each left to the
    merchant to adjust; nothing is adjusted on its own."""

    shop = models.OneToOneField(Shop, on_delete=models.CASCADE, related_name="inventory_check")
    checked_at = models.DateTimeField(null=True, blank=True)
    items_checked = models.PositiveIntegerField(default=0)
    # [{"item_id", "item_name", "shopify_qty", "qbo_qty", "variants": [gid...]}], quantities as strings
    differences = models.JSONField(default=list, blank=True)
    # [{"item_id", "item_name", "new_qty", "adjustment_id", "at", "by"}], newest last
    adjusted = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"inventory check of {self.shop_id}: {len(self.differences)} differences"
