from django.urls import path

from syncing import setup_views, views, views_issues, views_orders, webhooks

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
    path("setup/preview", setup_views.setup_preview, name="setup_preview"),
    path("setup/test-sync", setup_views.setup_test_sync, name="setup_test_sync"),
    path("setup/go-live", setup_views.setup_go_live, name="setup_go_live"),
]
