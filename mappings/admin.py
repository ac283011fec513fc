"""Support staff's view of each shop's rules. Read-only: a change made here would skip the
version bump and the MappingChange row (mappings/history.py), so documents could no longer say
which rules produced them. Changes go through the app's setup pages."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest

from mappings.models import (
    AccountRoleMapping,
    DimensionMapping,
    GatewayMapping,
    MappingChange,
    ProductMapping,
    SyncSettings,
    TaxMapping,
)

if TYPE_CHECKING:
    # django-stubs makes the admin classes generic over their models; Django's own classes are
    # not subscriptable at run time.
    _ModelAdmin = admin.ModelAdmin[Any]
else:
    _ModelAdmin = admin.ModelAdmin


class ReadOnlyAdmin(_ModelAdmin):
    list_select_related = ("shop",)

    def has_add_permission(self, request: HttpRequest) -> bool:  # noqa: ARG002
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:  # noqa: ARG002
        return False


@admin.register(AccountRoleMapping)
class AccountRoleMappingAdmin(ReadOnlyAdmin):
    list_display = ("shop", "role", "qbo_name", "qbo_id", "confirmed", "created_by_app", "updated_at")
    list_filter = ("role", "confirmed", "created_by_app")
    search_fields = ("shop__domain", "qbo_name", "qbo_id")


@admin.register(GatewayMapping)
class GatewayMappingAdmin(ReadOnlyAdmin):
    list_display = ("shop", "gateway", "qbo_name", "qbo_id", "confirmed", "orders_seen", "updated_at")
    list_filter = ("confirmed", "created_by_app")
    search_fields = ("shop__domain", "gateway", "qbo_name", "qbo_id")


@admin.register(TaxMapping)
class TaxMappingAdmin(ReadOnlyAdmin):
    list_display = ("shop", "title", "rate", "qbo_tax_code_name", "qbo_tax_code_id", "confirmed", "orders_seen")
    list_filter = ("confirmed",)
    search_fields = ("shop__domain", "title", "qbo_tax_code_name", "qbo_tax_code_id")


@admin.register(ProductMapping)
class ProductMappingAdmin(ReadOnlyAdmin):
    list_display = ("shop", "title", "sku", "qbo_item_name", "qbo_item_id", "matched_by", "updated_at")
    list_filter = ("matched_by",)
    search_fields = ("shop__domain", "title", "sku", "variant_gid", "product_gid", "qbo_item_name", "qbo_item_id")


@admin.register(DimensionMapping)
class DimensionMappingAdmin(ReadOnlyAdmin):
    list_display = ("shop", "kind", "name", "class_name", "department_name", "updated_at")
    list_filter = ("kind",)
    search_fields = ("shop__domain", "name", "shopify_id", "class_name", "department_name")


@admin.register(SyncSettings)
class SyncSettingsAdmin(ReadOnlyAdmin):
    list_display = ("shop", "live_at", "posting_mode", "customer_mode", "mapping_version", "scanned_at", "updated_at")
    list_filter = (
        "posting_mode",
        "customer_mode",
        "sync_orders",
        "sync_refunds",
        "sync_payouts",
        "sync_test_orders",
        ("live_at", admin.EmptyFieldListFilter),
    )
    search_fields = ("shop__domain",)


@admin.register(MappingChange)
class MappingChangeAdmin(ReadOnlyAdmin):
    """The audit trail of the rules: who changed which section, from what to what."""

    list_display = ("shop", "version", "section", "changed_by", "changed_at")
    list_filter = ("section",)
    search_fields = ("shop__domain", "changed_by")
    date_hierarchy = "changed_at"
