"""The watch's tests: two installed shops (tests/conftest.py), the first connected and live, with an
owner's address and an operator to email."""

from datetime import timedelta

import pytest
from django.utils import timezone

from mappings.models import SyncSettings
from tests.accounts.factories import make_connection

OPERATOR = "ops@shopqb.example"


@pytest.fixture
def watch_settings(app_settings):
    app_settings.ADMINS = [("Ops", OPERATOR)]
    app_settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    app_settings.DEFAULT_FROM_EMAIL = "ShopQB <alerts@shopqb.example>"
    app_settings.ALERT_EMAIL_MERCHANTS = True
    return app_settings


@pytest.fixture
def live_shop(shop_a, watch_settings):
    """Installed, connected, live for a week, with the owner's address Shopify gave."""
    shop_a.email = "owner@alpha-goods.example"
    shop_a.save(update_fields=["email"])
    make_connection(shop_a, connected_at=timezone.now() - timedelta(days=7))
    SyncSettings.objects.create(shop=shop_a, live_at=timezone.now() - timedelta(days=7))
    return shop_a
