from django.urls import path

from syncing import (
    setup_views,
    summary_views,
    views,
    views_issues,
    views_orders,
    views_reconcile,
    views_undo,
    webhooks,
)

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("webhooks", webhooks.receive, name="webhooks"),
    path("orders", views_orders.orders, name="orders"),
    path("sync/run", views.sync_now, name="sync_now"),
    path("sync/status", views.sync_status, name="sync_status"),
    path("sync/issues/<int:pk>/retry", views.issue_retry, name="issue_retry"),
    path("issues", views_issues.issues, name="issues"),
    path("issues/retry-all", views_issues.issues_retry_all, name="issues_retry_all"),
    path("reconciliation", views_reconcile.reconciliation, name="reconcile"),
    path("reconciliation/refresh", views_reconcile.reconciliation_refresh, name="reconcile_refresh"),
    path("reconciliation/days.csv", views_reconcile.reconciliation_days_csv, name="reconcile_days_csv"),
    path("reconciliation/documents.csv", views_reconcile.reconciliation_documents_csv, name="reconcile_documents_csv"),
    path("reconciliation/changes", views_undo.drift_page, name="drift"),
    path("reconciliation/changes/<int:pk>/<str:choice>", views_undo.drift_choose, name="drift_choose"),
    path("reconciliation/undo", views_undo.undo_page, name="undo"),
    path("reconciliation/undo/confirm", views_undo.undo_confirm, name="undo_confirm"),
    path("reconciliation/undo/<int:pk>/continue", views_undo.undo_continue, name="undo_continue"),
    path("reconciliation/undo/<int:pk>/resync", views_undo.undo_resync, name="undo_resync"),
    path("summaries", summary_views.summaries, name="summaries"),
    path("summaries/<int:pk>/orders.csv", summary_views.summary_orders_csv, name="summary_orders_csv"),
    path("setup/preview", setup_views.setup_preview, name="setup_preview"),
    path("setup/test-sync", setup_views.setup_test_sync, name="setup_test_sync"),
    path("setup/go-live", setup_views.setup_go_live, name="setup_go_live"),
]
