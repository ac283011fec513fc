"""Support staff's view of tenants. Tokens are never rendered: only their expiry."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from accounts.models import ComplianceRequest, PauseCode, QuickBooksConnection, Shop

if TYPE_CHECKING:
    # django-stubs makes the admin classes generic over their models; Django's own
    # classes are not subscriptable at run time.
    _ConnectionInline = admin.StackedInline[QuickBooksConnection, Shop]
    _ShopAdmin = admin.ModelAdmin[Shop]
    _ComplianceRequestAdmin = admin.ModelAdmin[ComplianceRequest]
    _ConnectionAdmin = admin.ModelAdmin[QuickBooksConnection]
else:
    _ConnectionInline = admin.StackedInline
    _ShopAdmin = _ComplianceRequestAdmin = _ConnectionAdmin = admin.ModelAdmin


CONNECTION_FIELDS = (
    "realm_id",
    "status",
    "status_reason",
    "company_name",
    "country",
    "home_currency",
    "automated_sales_tax",
    "multicurrency",
    "access_token_expires_at",
    "refresh_token_expires_at",
    "connected_at",
)


class QuickBooksInline(_ConnectionInline):
    model = QuickBooksConnection
    can_delete = False
    extra = 0
    fields = CONNECTION_FIELDS
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Shop | None = None) -> bool:  # noqa: ARG002
        return False


class QBOStateFilter(admin.SimpleListFilter):
    title = "QuickBooks"
    parameter_name = "qbo"

    def lookups(
        self,
        request: HttpRequest,  # noqa: ARG002
        model_admin: admin.ModelAdmin[Any],  # noqa: ARG002
    ) -> list[tuple[str, str]]:
        return [*QuickBooksConnection.Status.choices, ("none", "Not connected")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Shop]) -> QuerySet[Shop]:  # noqa: ARG002
        if self.value() == "none":
            return queryset.filter(qbo__isnull=True)
        if self.value():
            return queryset.filter(qbo__status=self.value())
        return queryset


@admin.register(Shop)
class ShopAdmin(_ShopAdmin):
    list_display = (
        "domain",
        "name",
        "installed",
        "sync_paused",
        "paused_reason",
        "qbo_state",
        "access_token_expires_at",
        "refresh_token_expires_at",
    )
    list_filter = ("sync_paused", "paused_code", QBOStateFilter)
    search_fields = ("domain", "name")
    search_help_text = "Shop domain or name"
    list_select_related = ("qbo",)
    fields = (
        "domain",
        "name",
        "currency",
        "iana_timezone",
        "installed_at",
        "uninstalled_at",
        "sync_paused",
        "paused_code",
        "paused_reason",
        "scopes",
        "access_token_expires_at",
        "refresh_token_expires_at",
    )
    readonly_fields = (
        "domain",
        "installed_at",
        "uninstalled_at",
        "sync_paused",
        "paused_code",
        "paused_reason",
        "scopes",
        "access_token_expires_at",
        "refresh_token_expires_at",
    )
    inlines = [QuickBooksInline]
    actions = ["pause_sync", "resume_sync"]

    def has_add_permission(self, request: HttpRequest) -> bool:  # noqa: ARG002
        return False  # shops come from installs only

    @admin.display(boolean=True, description="Installed")
    def installed(self, shop: Shop) -> bool:
        return shop.is_installed

    @admin.display(description="QuickBooks")
    def qbo_state(self, shop: Shop) -> str:
        conn = getattr(shop, "qbo", None)
        if conn is None:
            return "not connected"
        if conn.status == QuickBooksConnection.Status.RECONNECT_NEEDED:
            return f"\u26a0 reconnect needed: {conn.status_reason}"
        return f"{conn.get_status_display()}: {conn.company_name or conn.realm_id}"

    @admin.action(description="Pause sync")
    def pause_sync(self, request: HttpRequest, queryset: QuerySet[Shop]) -> None:
        for shop in queryset:
            shop.pause(f"Paused by support ({request.user}) on {timezone.now():%Y-%m-%d}.", code=PauseCode.SUPPORT)
        self.message_user(request, f"Paused {queryset.count()} shop(s).", messages.SUCCESS)

    @admin.action(description="Resume sync")
    def resume_sync(self, request: HttpRequest, queryset: QuerySet[Shop]) -> None:
        blocked = 0
        for shop in queryset:
            if shop.paused_code in (PauseCode.UNINSTALLED, PauseCode.SHOPIFY_REVOKED, PauseCode.QBO_RECONNECT):
                blocked += 1  # resuming cannot fix a missing grant: the merchant must act
                continue
            shop.resume()
        self.message_user(request, f"Resumed {queryset.count() - blocked} shop(s).", messages.SUCCESS)
        if blocked:
            self.message_user(
                request,
                f"{blocked} shop(s) stay paused: they need the merchant to reinstall or reconnect.",
                messages.WARNING,
            )


@admin.register(ComplianceRequest)
class ComplianceRequestAdmin(_ComplianceRequestAdmin):
    """What Shopify asked and when we did it; the export itself is for the merchant only."""

    list_display = ("topic", "shop_domain", "customer_id", "received_at", "completed_at", "downloaded_at", "summary")
    list_filter = ("topic",)
    search_fields = ("shop_domain", "customer_id")
    fields = (
        "topic",
        "shop_domain",
        "customer_id",
        "webhook_id",
        "summary",
        "received_at",
        "completed_at",
        "downloaded_at",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:  # noqa: ARG002
        return False

    def has_change_permission(self, request: HttpRequest, obj: ComplianceRequest | None = None) -> bool:  # noqa: ARG002
        return False


@admin.register(QuickBooksConnection)
class QuickBooksConnectionAdmin(_ConnectionAdmin):
    """Which company each shop books into and whether the grant still works. Read-only: a
    connection changes only through the merchant's OAuth consent."""

    list_display = ("shop", "company_name", "realm_id", "status", "home_currency", "refresh_token_expires_at")
    list_filter = ("status", "country", "home_currency", "automated_sales_tax")
    search_fields = ("shop__domain", "realm_id", "company_name")
    search_help_text = "Shop domain, realm id or company name"
    list_select_related = ("shop",)
    fields = ("shop", *CONNECTION_FIELDS)
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:  # noqa: ARG002
        return False

    def has_change_permission(self, request: HttpRequest, obj: QuickBooksConnection | None = None) -> bool:  # noqa: ARG002
        return False
