from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("api/status", views.status, name="status"),
    path("auth/install", views.install, name="install"),
    path("auth/callback", views.install_callback, name="install_callback"),
    path("qbo/connect", views.qbo_connect, name="qbo_connect"),
    path("qbo/connect/start", views.qbo_start, name="qbo_start"),
    path("qbo/callback", views.qbo_callback, name="qbo_callback"),
    path("qbo/disconnect", views.qbo_disconnect, name="qbo_disconnect"),
    path("qbo/shared/confirm", views.qbo_shared_confirm, name="qbo_shared_confirm"),
    path("privacy/data-requests/<int:pk>.json", views.data_request_export, name="data_request_export"),
]
