"""QuickBooks Online OAuth 2 (intuit-oauth) and the company details read at connect.

The accounting API proper (documents, queries, batch) is ``syncing/quickbooks/``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import requests
from django.conf import settings
from django.utils import timezone
from intuitlib.client import AuthClient
from intuitlib.enums import Scopes
from intuitlib.exceptions import AuthClientError


class QBOOAuthError(Exception):
    """Intuit did not answer as hoped; may pass on a later try."""

    permanent = False


class QBOGrantRevoked(QBOOAuthError):
    """``invalid_grant``: the merchant has to connect again."""

    permanent = True


class QBOAccessRefused(QBOGrantRevoked):
    """A 401 on an API read: this access token is refused (expired early or revoked);
    a refresh may still give a good one."""


@dataclass(frozen=True)
class QBOGrant:
    access_token: str = field(repr=False)
    expires_at: datetime | None
    refresh_token: str = field(repr=False)
    refresh_token_expires_at: datetime | None


@dataclass(frozen=True)
class CompanyDetails:
    company_name: str
    country: str
    home_currency: str
    automated_sales_tax: bool
    multicurrency: bool


class _AuthClient(AuthClient):
    """intuit-oauth sends requests without a timeout: give every one ours."""

    def request(self, method, url, *args, **kwargs):  # type: ignore[override]
        kwargs.setdefault("timeout", settings.QBO_HTTP_TIMEOUT)
        return super().request(method, url, *args, **kwargs)


def auth_client(**kwargs: Any) -> AuthClient:
    # Reference: https://github.com/intuit/oauth-pythonclient (environment may be a discovery URL)
    try:
        return _AuthClient(
            client_id=settings.QBO_CLIENT_ID,
            client_secret=settings.QBO_CLIENT_SECRET,
            redirect_uri=settings.QBO_REDIRECT_URI,
            environment=settings.QBO_ENVIRONMENT,
            **kwargs,
        )
    except (requests.RequestException, AuthClientError, ValueError, KeyError) as exc:
        raise QBOOAuthError(f"QuickBooks OAuth discovery failed ({type(exc).__name__})") from None


def authorize_url(*, state: str) -> str:
    # Reference: https://developer.intuit.com/app/developer/qbo/docs/develop/authentication-and-authorization/oauth-2.0
    return auth_client().get_authorization_url([Scopes.ACCOUNTING], state_token=state)


def exchange_code(*, code: str, realm_id: str) -> QBOGrant:
    client = auth_client()
    _call(client.get_bearer_token, code, realm_id=realm_id)
    return _grant(client)


def refresh(*, refresh_token: str) -> QBOGrant:
    # Reference: https://developer.intuit.com/app/developer/qbo/docs/develop/authentication-and-authorization/oauth-2.0#refresh-the-token
    client = auth_client()
    _call(client.refresh, refresh_token=refresh_token)
    return _grant(client)


def revoke(*, token: str) -> None:
    # Reference: https://developer.intuit.com/app/developer/qbo/docs/develop/authentication-and-authorization/oauth-2.0#revoke-token-disconnect
    client = auth_client()
    _call(client.revoke, token=token)


def connect_details(*, realm_id: str, grant: QBOGrant) -> tuple[QBOGrant, CompanyDetails]:
    """The company details read with the grant the code exchange just gave, and the grant
    to store. QuickBooks may refuse even a new access token (a clock apart from ours):
    then one refresh and one more read; a second refusal is final."""
    try:
        return grant, company_details(realm_id=realm_id, access_token=grant.access_token)
    except QBOAccessRefused:
        # Reference: https://developer.intuit.com/app/developer/qbo/docs/develop/troubleshooting/error-codes
        grant = refresh(refresh_token=grant.refresh_token)
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
    try:
        response = requests.get(
            url,
            params={"minorversion": settings.QBO_MINOR_VERSION},
            headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"},
            timeout=settings.QBO_HTTP_TIMEOUT,
        )
    except requests.RequestException as exc:
        raise QBOOAuthError(f"QuickBooks {path.split('/')[0]} unreachable ({type(exc).__name__})") from None
    if response.status_code == 401:
        raise QBOAccessRefused(f"QuickBooks refused the access token reading {path.split('/')[0]}")
    if response.status_code != 200:
        raise QBOOAuthError(f"QuickBooks answered HTTP {response.status_code} reading {path.split('/')[0]}")
    try:
        return response.json()
    except ValueError:
        raise QBOOAuthError(f"QuickBooks {path.split('/')[0]} answer is not JSON") from None


def _call(method: Any, *args: Any, **kwargs: Any) -> None:
    try:
        method(*args, **kwargs)
    except AuthClientError as exc:
        if exc.status_code in (400, 401) and _error_code(exc) in ("invalid_grant", "invalid_token", "unauthorized"):
            raise QBOGrantRevoked(f"QuickBooks refused the grant ({_error_code(exc)})") from None
        raise QBOOAuthError(f"QuickBooks OAuth answered HTTP {exc.status_code} ({_error_code(exc)})") from None
    except requests.RequestException as exc:
        raise QBOOAuthError(f"QuickBooks OAuth unreachable ({type(exc).__name__})") from None


def _error_code(exc: AuthClientError) -> str:
    try:
        return str(exc.response.json().get("error", ""))[:100]
    except (ValueError, AttributeError):
        return ""


def _grant(client: AuthClient) -> QBOGrant:
    if not client.access_token or not client.refresh_token:
        raise QBOOAuthError("QuickBooks token answer lacks a token")
    now = timezone.now()
    return QBOGrant(
        access_token=client.access_token,
        expires_at=_expiry(now, client.expires_in),
        refresh_token=client.refresh_token,
        refresh_token_expires_at=_expiry(now, client.x_refresh_token_expires_in),
    )


def _expiry(now: datetime, seconds: object) -> datetime | None:
    try:
        return now + timedelta(seconds=int(seconds))  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None
