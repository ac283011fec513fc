from django.db import models

from accounts.models import Shop


class AccountRole(models.TextChoices):
    """What each QBO reference is used for. The merchant maps each role."""

    SALES_ITEM = "sales_item", "Item for unmapped products"
    SHIPPING_ITEM = "shipping_item", "Item for shipping charges"
    DISCOUNT_ITEM = "discount_item", "Item for discounts"
    TIP_ITEM = "tip_item", "Item for tips"
    GIFT_CARD_ITEM = "gift_card_item", "Item for gift card sales (liability)"
    ROUNDING_ITEM = "rounding_item", "Item for rounding differences"
    CLEARING_SHOPIFY_PAYMENTS = "clearing_shopify_payments", "Clearing account: Shopify Payments"
    CLEARING_PAYPAL = "clearing_paypal", "Clearing account: PayPal"
    CLEARING_GIFT_CARD = "clearing_gift_card", "Clearing account: gift cards"
    CLEARING_OTHER = "clearing_other", "Clearing account: other gateways"
    BANK_ACCOUNT = "bank_account", "Bank account Shopify Payments pays out to"
    PAYOUT_FEES = "payout_fees", "Expense account for Shopify Payments fees"
    CUSTOMER_DEFAULT = "customer_default", "Customer for orders without one"
    TAX_CODE_DEFAULT = "tax_code_default", "Tax code for taxed lines"
    TAX_CODE_EXEMPT = "tax_code_exempt", "Tax code for untaxed lines"


class AccountRoleMapping(models.Model):
    """A QBO object the merchant chose (or the setup created) for one role."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="role_mappings")
    role = models.CharField(max_length=40, choices=AccountRole.choices)
    qbo_id = models.CharField(max_length=64)
    qbo_name = models.CharField(max_length=255, blank=True)
    created_by_app = models.BooleanField(default=False, help_text="we created it in QBO during setup")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["shop", "role"], name="one_mapping_per_role")]

    def __str__(self) -> str:
        return f"{self.role} -> {self.qbo_name or self.qbo_id}"


class SyncSettings(models.Model):
    """The merchant's sync rules."""

    class PostingMode(models.TextChoices):
        PER_ORDER = "per_order", "One document per order"
        DAILY_SUMMARY = "daily_summary", "One summary per day"

    shop = models.OneToOneField(Shop, on_delete=models.CASCADE, related_name="sync_settings")
    start_date = models.DateField(null=True, blank=True, help_text="orders processed before this are not synced")
    posting_mode = models.CharField(max_length=20, choices=PostingMode.choices, default=PostingMode.PER_ORDER)
    sync_test_orders = models.BooleanField(default=False)
    doc_number_prefix = models.CharField(max_length=8, blank=True, default="S")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"sync settings for {self.shop_id}"
