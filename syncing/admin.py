from typing import TYPE_CHECKING

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from syncing import retries
from syncing.models import PendingSync, SyncedRecord, SyncIssue, SyncIssueQuerySet, SyncRun, WebhookDelivery

if TYPE_CHECKING:
    # django-stubs makes the admin classes generic over their models; Django's own are not
    # subscriptable at run time.
    _RecordAdmin = admin.ModelAdmin[SyncedRecord]
    _PendingAdmin = admin.ModelAdmin[PendingSync]
    _IssueAdmin = admin.ModelAdmin[SyncIssue]
    _RunAdmin = admin.ModelAdmin[SyncRun]
    _DeliveryAdmin = admin.ModelAdmin[WebhookDelivery]
else:
    _RecordAdmin = _PendingAdmin = _IssueAdmin = _RunAdmin = _DeliveryAdmin = admin.ModelAdmin


class _NoAddMixin:
    """Every row here is written by the sync or by Shopify's webhooks; one added by hand would
    stand for no work that happened."""

    def has_add_permission(self, request: HttpRequest) -> bool:  # noqa: ARG002
        return False


@admin.register(SyncedRecord)
class SyncedRecordAdmin(_NoAddMixin, _RecordAdmin):
    list_display = (
        "shop",
        "source_type",
        "source_name",
        "kind",
        "status",
        "doc_number",
        "qbo_id",
        "amount",
        "attempts",
    )
    list_filter = ("status", "kind", "source_type", "qbo_drift", "qbo_drift_resolution")
    search_fields = ("shop__domain", "source_id", "source_name", "doc_number", "qbo_id")
    search_help_text = "Shop domain, order name (#1001), Shopify GID, DocNumber or QuickBooks id"
    list_select_related = ("shop",)
    readonly_fields = [f.name for f in SyncedRecord._meta.fields]
    actions = ["retry"]

    @admin.action(description="Retry failed records")
    def retry(self, request: HttpRequest, queryset: QuerySet[SyncedRecord]) -> None:
        failed = queryset.filter(status=SyncedRecord.Status.FAILED)
        for record in failed:
            retries.record_retry(record=record)
        self.message_user(request, f"Queued {failed.count()} record(s) again.", messages.SUCCESS)


@admin.register(PendingSync)
class PendingSyncAdmin(_NoAddMixin, _PendingAdmin):
    """Orders waiting for a sync: a row that stays here long means the shop is paused,
    QuickBooks or Shopify is unreachable, or its worker died (the sweep picks it up)."""

    list_display = ("shop", "order_gid", "priority", "generation", "requested_at", "not_before", "claimed_at")
    list_filter = ("priority",)
    search_fields = ("shop__domain", "order_gid")
    search_help_text = "Shop domain or order GID"
    list_select_related = ("shop",)
    readonly_fields = [f.name for f in PendingSync._meta.fields]


@admin.register(SyncIssue)
class SyncIssueAdmin(_NoAddMixin, _IssueAdmin):
    list_display = ("shop", "source", "code", "message", "occurrences", "retryable", "updated_at", "resolved_at")
    list_filter = ("code", "retryable", "source_type", ("resolved_at", admin.EmptyFieldListFilter))
    # An issue names its order through its record (#1001) or, before a record exists, by GID.
    search_fields = ("shop__domain", "source_id", "record__source_name", "message")
    search_help_text = "Shop domain, order name (#1001), Shopify GID or message"
    list_select_related = ("shop", "record")
    readonly_fields = [f.name for f in SyncIssue._meta.fields]
    actions = ["retry", "resolve"]

    @admin.display(description="Source")
    def source(self, issue: SyncIssue) -> str:
        if issue.record is not None and issue.record.source_name:
            return issue.record.source_name
        return issue.source_id

    @admin.action(description="Retry the work behind these issues")
    def retry(self, request: HttpRequest, queryset: SyncIssueQuerySet) -> None:
        count = sum(retries.issue_retry(issue=issue) for issue in queryset.open())
        self.message_user(request, f"Queued {count} item(s) again.", messages.SUCCESS)

    @admin.action(description="Mark resolved")
    def resolve(self, request: HttpRequest, queryset: SyncIssueQuerySet) -> None:
        updated = queryset.resolve()
        self.message_user(request, f"Resolved {updated} issue(s).", messages.SUCCESS)


@admin.register(SyncRun)
class SyncRunAdmin(_NoAddMixin, _RunAdmin):
    list_display = ("shop", "kind", "status", "started_at", "finished_at", "orders_seen", "documents_written", "failed")
    list_filter = ("status", "kind")
    search_fields = ("shop__domain",)
    list_select_related = ("shop",)
    readonly_fields = [f.name for f in SyncRun._meta.fields]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(_NoAddMixin, _DeliveryAdmin):
    list_display = ("shop_domain", "topic", "webhook_id", "received_at", "processed_at")
    list_filter = ("topic",)
    search_fields = ("shop_domain", "webhook_id", "event_id")
    # Payloads can hold customer data: shown only on the detail page, read-only.
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]


# The undo's audit (syncing/undo.py) and the change checks (syncing/cdc.py): read-only records.
from syncing.models import QboChangeCheck, UndoEntry, UndoRun  # noqa: E402


class UndoEntryInline(admin.TabularInline):  # type: ignore[type-arg]
    model = UndoEntry
    extra = 0
    can_delete = False
    fields = ("position", "kind", "doc_number", "source_name", "txn_date", "amount", "action", "outcome", "detail")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:  # noqa: ARG002
        return False


@admin.register(UndoRun)
class UndoRunAdmin(_NoAddMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    """Every "Remove what ShopQB posted": who asked, for which dates, and each document's end."""

    list_display = ("shop", "since", "until", "requested_by", "status", "created_at", "finished_at", "resynced_at")
    list_filter = ("status",)
    search_fields = ("shop__domain", "requested_by")
    list_select_related = ("shop",)
    readonly_fields = [f.name for f in UndoRun._meta.fields]
    inlines = [UndoEntryInline]


@admin.register(QboChangeCheck)
class QboChangeCheckAdmin(_NoAddMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("shop", "checked_through", "checked_at", "changed", "deleted")
    search_fields = ("shop__domain",)
    readonly_fields = [f.name for f in QboChangeCheck._meta.fields]
