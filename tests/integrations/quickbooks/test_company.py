"""The company read at connect, over real HTTP against the QBO emulator: what the sync must know
about the books, and the one refresh a refused new access token gets."""

import pytest

from sandbox.qbo.emulator import QBOEmulator
from sandbox.runner import serve_in_thread
from shopqb_app.integrations.quickbooks.company import CompanyDetails, company_details, connect_details
from shopqb_app.integrations.quickbooks.errors import QBOGrantRevoked, QBOOAuthError
from shopqb_app.integrations.quickbooks.oauth import QBOGrant


@pytest.fixture
def companies(settings, monkeypatch):
    """Two emulated companies by preset; the settings point the app at their Intuit."""
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the emulator serves plain HTTP
    emulator = QBOEmulator(seed=3, companies=["US", "CA"], multicurrency=["CA"])
    running = serve_in_thread(emulator)
    emulator.set_base_url(running.base_url)
    info = emulator.describe()
    settings.QBO_CLIENT_ID = info["app"]["client_id"]
    settings.QBO_CLIENT_SECRET = info["app"]["client_secret"]
    settings.QBO_ENVIRONMENT = info["discovery_url"]
    settings.QBO_API_BASE = info["api_url_v3"]
    settings.QBO_HTTP_TIMEOUT = 10
    yield {company["preset"]: company for company in info["companies"]}
    running.stop()
    emulator.close()


def grant_of(company, *, access_token=None, refresh_token=None):
    return QBOGrant(
        access_token=access_token or company["access_token"],
        expires_at=None,
        refresh_token=refresh_token or company["refresh_token"],
        refresh_token_expires_at=None,
    )


def test_details_name_the_country_currency_sales_tax_and_multicurrency(companies):
    us, ca = companies["US"], companies["CA"]
    assert company_details(realm_id=us["realm_id"], access_token=us["access_token"]) == CompanyDetails(
        company_name=us["name"], country="US", home_currency="USD", automated_sales_tax=True, multicurrency=False
    )
    assert company_details(realm_id=ca["realm_id"], access_token=ca["access_token"]) == CompanyDetails(
        company_name=ca["name"], country="CA", home_currency="CAD", automated_sales_tax=False, multicurrency=True
    )


def test_a_refused_new_access_token_is_refreshed_once_and_the_new_grant_is_the_one_to_store(companies):
    ca = companies["CA"]
    kept, details = connect_details(realm_id=ca["realm_id"], grant=grant_of(ca, access_token="refused-at-intuit"))
    assert details.company_name == ca["name"]
    assert kept.access_token not in ("refused-at-intuit", "") and kept.expires_at is not None
    assert company_details(realm_id=ca["realm_id"], access_token=kept.access_token) == details


def test_a_refused_access_token_whose_refresh_is_refused_connects_nothing(companies):
    ca = companies["CA"]
    refused = grant_of(ca, access_token="refused-at-intuit", refresh_token="revoked-at-intuit")
    with pytest.raises(QBOGrantRevoked):
        connect_details(realm_id=ca["realm_id"], grant=refused)


def test_an_unreachable_company_api_is_an_error_that_says_so(companies, settings):
    settings.QBO_API_BASE = "http://127.0.0.1:9/v3"  # the discard port: nothing listens
    us = companies["US"]
    with pytest.raises(QBOOAuthError, match="unreachable"):
        company_details(realm_id=us["realm_id"], access_token=us["access_token"])
