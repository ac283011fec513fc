"""Alerts in the Django admin: open ones first, filterable by kind and shop; written by the watch
only (operations/watch.py), so nothing is added or edited here."""

from typing import TYPE_CHECKING

from django.contrib import admin
from django.db.models import F
from django.http import HttpRequest

from operations.models import Alert, QuickBooksRequestCount, ReconcileCheck, WorkerHeartbeat

if TYPE_CHECKING:
    _AlertAdmin = admin.ModelAdmin[Alert]
    _CountAdmin = admin.ModelAdmin[QuickBooksRequestCount]
    _CheckAdmin = admin.ModelAdmin[ReconcileCheck]
    _BeatAdmin = admin.ModelAdmin[WorkerHeartbeat]
else:
    _AlertAdmin = _CountAdmin = _CheckAdmin = _BeatAdmin = admin.ModelAdmin


class _ReadOnlyMixin:
    """Every row here stands for something the watch saw or counted."""

    def has_add_permission(self, request: HttpRequest) -> bool:  # noqa: ARG002
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:  # noqa: ARG002
        return False


@admin.register(Alert)
class AlertAdmin(_ReadOnlyMixin, _AlertAdmin):
    list_display = ("title", "shop", "kind", "opened_at", "last_seen_at", "resolved_at", "emailed_at", "email_error")
    list_filter = (("resolved_at", admin.EmptyFieldListFilter), "kind")
    search_fields = ("shop__domain", "title", "message")
    search_help_text = "Shop domain or words of the alert"
    list_select_related = ("shop",)
    readonly_fields = [f.name for f in Alert._meta.fields]
    ordering = (F("resolved_at").asc(nulls_first=True), "-opened_at")  # open alerts first


@admin.register(ReconcileCheck)
class ReconcileCheckAdmin(_ReadOnlyMixin, _CheckAdmin):
    list_display = ("shop", "started_at", "finished_at", "matched", "summary", "error")
    list_filter = ("matched",)
    search_fields = ("shop__domain",)
    list_select_related = ("shop",)
    readonly_fields = [f.name for f in ReconcileCheck._meta.fields]


@admin.register(QuickBooksRequestCount)
class QuickBooksRequestCountAdmin(_ReadOnlyMixin, _CountAdmin):
    list_display = ("realm_id", "day", "requests", "throttled")
    search_fields = ("realm_id",)
    date_hierarchy = "day"
    ordering = ("-day", "realm_id")


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(_ReadOnlyMixin, _BeatAdmin):
    list_display = ("host", "beat_at", "pid")
