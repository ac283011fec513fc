"""QuickBooks Online OAuth 2 (intuit-oauth): authorization, code exchange, refresh, revoke.

The company read at connect is ``company.py``; the accounting API proper
(documents, queries, batch) is ``client.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, SupportsInt

import requests
from django.conf import settings
from django.utils import timezone
from intuitlib.client import AuthClient
from intuitlib.enums import Scopes
from intuitlib.exceptions import AuthClientError

from shopqb_app.integrations.quickbooks.errors import QBOGrantRevoked, QBOOAuthError


@dataclass(frozen=True)
class QBOGrant:
    access_token: str = field(repr=False)
    expires_at: datetime | None
    refresh_token: str = field(repr=False)
    refresh_token_expires_at: datetime | None


# intuit-oauth ships no type hints: its AuthClient (a requests.Session) is Any to mypy.
class _AuthClient(AuthClient):  # type: ignore[misc]
    """intuit-oauth sends requests without a timeout: give every one ours."""

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", settings.QBO_HTTP_TIMEOUT)
        response: requests.Response = super().request(method, url, *args, **kwargs)
        return response


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
    url: str = auth_client().get_authorization_url([Scopes.ACCOUNTING], state_token=state)
    return url


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
    # What int() reads; anything else (None, a missing field) means no known expiry.
    if not isinstance(seconds, str | SupportsInt):
        return None
    try:
        return now + timedelta(seconds=int(seconds))
    except (TypeError, ValueError):
        return None
