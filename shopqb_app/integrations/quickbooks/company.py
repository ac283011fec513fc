"""The QuickBooks company read at connect: what the sync must know about the books.

Read with the grant the code exchange just gave, before any connection is stored,
so plain GETs through the shared HTTP wrapper rather than a python-quickbooks client.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import requests
from django.conf import settings

from shopqb_app.integrations.http import TransientHTTPError, request_with_retries
from shopqb_app.integrations.quickbooks import oauth
from shopqb_app.integrations.quickbooks.errors import QBOAccessRefused, QBOOAuthError


@dataclass(frozen=True)
class CompanyDetails:
    company_name: str
    country: str
    home_currency: str
    automated_sales_tax: bool
    multicurrency: bool


def connect_details(*, realm_id: str, grant: oauth.QBOGrant) -> tuple[oauth.QBOGrant, CompanyDetails]:
    """The company details read with the grant the code exchange just gave, and the grant
    to store. QuickBooks may refuse even a new access token (a clock apart from ours):
    then one refresh and one more read; a second refusal is final."""
    try:
        return grant, company_details(realm_id=realm_id, access_token=grant.access_token)
    except QBOAccessRefused:
        # Reference: https://developer.intuit.com/app/developer/qbo/docs/develop/troubleshooting/error-codes
        grant = oauth.refresh(refresh_token=grant.refresh_token)
        return grant, company_details(realm_id=realm_id, access_token=grant.access_token)


def company_details(*, realm_id: str, access_token: str) -> CompanyDetails:
    """CompanyInfo and Preferences: what the sync must know about the books."""
    # Reference: https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/companyinfo
    info = _get(f"companyinfo/{realm_id}", realm_id, access_token).get("CompanyInfo", {})
    # Reference: https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/preferences
    prefs = _get("preferences", realm_id, access_token).get("Preferences", {})
    currency_prefs = prefs.get("CurrencyPrefs") or {}
    tax_prefs = prefs.get("TaxPrefs") or {}
    return CompanyDetails(
        company_name=str(info.get("CompanyName") or info.get("LegalName") or "")[:255],
        country=str(info.get("Country") or "")[:8],
        home_currency=str((currency_prefs.get("HomeCurrency") or {}).get("value") or "")[:3],
        automated_sales_tax=bool(tax_prefs.get("PartnerTaxEnabled")),
        multicurrency=bool(currency_prefs.get("MultiCurrencyEnabled")),
    )


def _get(path: str, realm_id: str, access_token: str) -> dict[str, Any]:
    url = f"{settings.QBO_API_BASE.rstrip('/')}/company/{realm_id}/{path}"
    what = path.split("/")[0]
    try:
        with requests.Session() as session:
            # One attempt: a failed read tells the merchant to try again, and connecting
            # again is harmless.
            response = request_with_retries(
                session,
                "GET",
                url,
                timeout=settings.QBO_HTTP_TIMEOUT,
                attempts=1,
                params={"minorversion": settings.QBO_MINOR_VERSION},
                headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"},
            )
    except (TransientHTTPError, requests.RequestException) as exc:
        raise QBOOAuthError(f"QuickBooks {what} unreachable ({type(exc).__name__})") from None
    if response.status_code == 401:
        raise QBOAccessRefused(f"QuickBooks refused the access token reading {what}")
    if response.status_code != 200:
        raise QBOOAuthError(f"QuickBooks answered HTTP {response.status_code} reading {what}")
    try:
        body = response.json()
    except ValueError:
        raise QBOOAuthError(f"QuickBooks {what} answer is not JSON") from None
    if not isinstance(body, dict):
        raise QBOOAuthError(f"QuickBooks {what} answer is not a JSON object")
    return body
