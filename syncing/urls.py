from django.urls import path

from syncing import views, webhooks

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("webhooks", webhooks.receive, name="webhooks"),
    path("sync/run", views.sync_now, name="sync_now"),
    path("sync/issues/<int:pk>/retry", views.issue_retry, name="issue_retry"),
]
