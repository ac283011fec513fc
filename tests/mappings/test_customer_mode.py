"""The setup's "What to sync" page lets the merchant book each Shopify customer to a QuickBooks
customer of their own (syncing/customers.py); one generic customer stays the default."""

from __future__ import annotations

import pytest
from django.urls import reverse

from mappings.forms import WhatToSyncForm
from mappings.models import SyncSettings
from tests.mappings.test_setup import auth, shop  # noqa: F401 (the page's shop fixture)

pytestmark = [pytest.mark.django_db(transaction=True)]


def form(mode: str) -> dict[str, str]:
    return {
        "sync_orders": "on",
        "customer_mode": mode,
        "posting_mode": "per_order",
        "start_date": "2026-01-01",
        "doc_number_prefix": "S",
    }


def test_the_page_saves_each_customer_and_offers_both_choices(client, shop):  # noqa: F811
    page = client.get(reverse("mappings:what_to_sync"), **auth(shop)).content.decode()
    assert 'value="per_customer"' in page and 'value="generic"' in page
    response = client.post(reverse("mappings:what_to_sync"), form("per_customer"), **auth(shop))
    assert response.status_code == 200, response.content
    assert SyncSettings.objects.get(shop=shop).customer_mode == SyncSettings.CustomerMode.PER_CUSTOMER

    response = client.post(reverse("mappings:what_to_sync"), form("generic"), **auth(shop))
    assert response.status_code == 200
    assert SyncSettings.objects.get(shop=shop).customer_mode == SyncSettings.CustomerMode.GENERIC


def test_an_unknown_customer_mode_is_refused():
    bound = WhatToSyncForm(data=form("per_email_domain"))
    assert not bound.is_valid() and "customer_mode" in bound.errors
