"""A step whose choices come from QuickBooks, when QuickBooks cannot be read: the page says why
under the step's own heading, so the merchant knows which step is waiting and nothing is saved."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import QuickBooksConnection
from mappings.models import AccountRoleMapping, MappingChange, SetupStep
from mappings.views import setup as setup_views
from shopqb_app.integrations.quickbooks.errors import QBOUnavailable
from tests.accounts.factories import make_connection
from tests.factories import session_token

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("app_settings")]

CATALOG_STEPS = [
    ("mappings:what_to_sync", SetupStep.WHAT_TO_SYNC),
    ("mappings:accounts", SetupStep.ACCOUNTS),
    ("mappings:gateways", SetupStep.GATEWAYS),
    ("mappings:taxes", SetupStep.TAXES),
    ("mappings:locations", SetupStep.LOCATIONS),
]


@pytest.mark.parametrize("url_name,step", CATALOG_STEPS, ids=[s.value for _, s in CATALOG_STEPS])
def test_a_step_without_quickbooks_keeps_its_own_heading(client, shop_a, url_name, step):
    make_connection(shop_a, status=QuickBooksConnection.Status.RECONNECT_NEEDED)
    token = session_token(shop_a.domain)

    page = client.get(reverse(url_name), {"id_token": token})

    html = page.content.decode()
    assert page.status_code == 200
    assert f"<h1>{step.label}</h1>" in html
    assert f"<title>ShopQB · {step.label}</title>" in html
    assert "Connect QuickBooks</h1>" not in html
    assert "Connect QuickBooks first: the choices come from your QuickBooks company." in html

    saved = client.post(reverse(url_name), {}, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert saved.status_code == 409 and f"<h1>{step.label}</h1>" in saved.content.decode()
    assert not AccountRoleMapping.objects.exists() and not MappingChange.objects.exists()


def test_quickbooks_unreachable_says_so_under_the_steps_heading(client, shop_a, monkeypatch):
    make_connection(shop_a)

    def unreachable(shop, *, fresh=False):
        raise QBOUnavailable("the service is busy", 503)

    monkeypatch.setattr(setup_views, "_catalog", unreachable)

    page = client.get(reverse("mappings:accounts"), {"id_token": session_token(shop_a.domain)})

    html = page.content.decode()
    assert page.status_code == 200
    assert "<h1>Accounts</h1>" in html
    assert "QuickBooks could not be read: the service is busy" in html
