from django.contrib import admin, messages

from accounts.models import QuickBooksConnection, Shop


class QuickBooksInline(admin.StackedInline):
    model = QuickBooksConnection
    can_delete = False
    extra = 0
    # Tokens are never rendered: only their expiry.
    fields = (
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
    readonly_fields = fields


@admin.register(Shop)
class ShopAdmin(admin.ModelAdmin):
    list_display = ("domain", "name", "currency", "installed_at", "uninstalled_at", "sync_paused", "paused_reason", "qbo_state")
    list_filter = ("sync_paused",)
    search_fields = ("domain", "name")
    fields = (
        "domain",
        "name",
        "currency",
        "iana_timezone",
        "installed_at",
        "uninstalled_at",
        "sync_paused",
        "paused_reason",
        "scopes",
        "access_token_expires_at",
        "refresh_token_expires_at",
    )
    readonly_fields = ("installed_at", "uninstalled_at", "scopes", "access_token_expires_at", "refresh_token_expires_at")
    inlines = [QuickBooksInline]
    actions = ["pause_sync", "resume_sync"]

    @admin.display(description="QuickBooks")
    def qbo_state(self, shop: Shop) -> str:
        conn = getattr(shop, "qbo", None)
        return conn.get_status_display() if conn else "not connected"

    @admin.action(description="Pause sync")
    def pause_sync(self, request, queryset):
        for shop in queryset:
            shop.pause(f"paused by support ({request.user})")
        self.message_user(request, f"Paused {queryset.count()} shop(s).", messages.SUCCESS)

    @admin.action(description="Resume sync")
    def resume_sync(self, request, queryset):
        for shop in queryset:
            shop.resume()
        self.message_user(request, f"Resumed {queryset.count()} shop(s).", messages.SUCCESS)
