from django.urls import path

from syncing import views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
]
