"""Access tokens for the engine: always call these, never read the columns.

Both providers hand out short-lived access tokens and rotating refresh tokens.
A refresh runs under a row lock (``select_for_update``), so of two workers that
find the token stale only one calls the provider; the other waits, then reads the
token the first one stored. The rotated refresh token is written in the same
transaction as the access token. A refused refresh is final: the shop is paused
(or the QuickBooks connection marked "reconnect needed") with a reason the
merchant and support can see, and ``TokenRevoked`` is raised.

The stored expiry is only our belief: a provider may refuse a token sooner (its
clock, a revocation on its side, a lost refresh answer). A client that gets a 401
passes the token it sent as ``refused=``: that token is replaced whatever its
expiry says, again single-flight (only if it is still the stored one; a worker that
finds a newer token stored uses it without calling the provider).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TypeVar

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import PauseCode, QuickBooksConnection, Shop
from shopqb_app.integrations.quickbooks import oauth as qbo_oauth
from shopqb_app.integrations.quickbooks.errors import QBOGrantRevoked, QBOOAuthError
from shopqb_app.integrations.shopify import oauth as shopify_oauth
from shopqb_app.integrations.shopify.errors import ShopifyGrantRevoked, ShopifyOAuthError

log = logging.getLogger(__name__)

SHOPIFY_REVOKED_REASON = "Shopify access was revoked or has expired: open ShopQB from your Shopify admin to restore it."
QBO_RECONNECT_REASON = "QuickBooks refused our access (revoked or expired): reconnect QuickBooks in ShopQB."


_TokenHolder = TypeVar("_TokenHolder", Shop, QuickBooksConnection)


class TokenRevoked(Exception):
    """The token cannot be refreshed any more: the merchant must reconnect."""


class TokenRefreshFailed(Exception):
    """The provider could not be reached or failed: try again later (nothing changed)."""


def _fresh(token: str, expires_at: datetime | None) -> bool:
    if not token:
        return False
    if expires_at is None:  # a non-expiring token
        return True
    return expires_at > timezone.now() + timedelta(seconds=settings.TOKEN_REFRESH_MARGIN_SECONDS)


def _usable(token: str, expires_at: datetime | None, refused: str) -> bool:
    return token != refused and _fresh(token, expires_at)


def shopify_access_token(shop: Shop, *, refused: str = "") -> str:
    """A usable token; ``refused``: the one Shopify just answered 401 to (see above)."""
    if _usable(shop.access_token, shop.access_token_expires_at, refused):
        return shop.access_token
    revoked = False
    with transaction.atomic():
        locked = Shop.objects.select_for_update().get(pk=shop.pk)
        if not _usable(locked.access_token, locked.access_token_expires_at, refused):
            if not locked.refresh_token:
                raise TokenRevoked(f"{locked.domain} has no usable Shopify token (not installed?)")
            try:
                grant = shopify_oauth.refresh(shop=locked.domain, refresh_token=locked.refresh_token)
            except ShopifyGrantRevoked:
                revoked = True
            except ShopifyOAuthError as exc:
                raise TokenRefreshFailed(str(exc)) from None
            else:
                _store_grant(locked, grant)
                log.info("refreshed the Shopify token of %s", locked.domain)
        _copy_token_fields(locked, shop)
    if revoked:
        # Outside the transaction above, so the pause survives the exception. The dead
        # tokens go too: the next time the merchant opens the app, token exchange
        # installs a fresh one and lifts this pause.
        Shop.objects.filter(pk=shop.pk).update(
            access_token="", refresh_token="", access_token_expires_at=None, refresh_token_expires_at=None
        )
        shop.access_token = shop.refresh_token = ""
        shop.pause(SHOPIFY_REVOKED_REASON, code=PauseCode.SHOPIFY_REVOKED)
        log.warning("Shopify refused the refresh token of %s: sync paused", shop.domain)
        raise TokenRevoked(f"{shop.domain}: {SHOPIFY_REVOKED_REASON}")
    return shop.access_token


def _store_grant(locked: Shop | QuickBooksConnection, grant: shopify_oauth.ShopifyGrant | qbo_oauth.QBOGrant) -> None:
    """Save a refreshed grant on the row we hold locked. Both providers may rotate the
    refresh token: the newest one is always kept, in the same transaction."""
    locked.access_token = grant.access_token
    locked.access_token_expires_at = grant.expires_at
    if grant.refresh_token:
        locked.refresh_token = grant.refresh_token
        locked.refresh_token_expires_at = grant.refresh_token_expires_at
    locked.save(
        update_fields=[
            "access_token",
            "access_token_expires_at",
            "refresh_token",
            "refresh_token_expires_at",
            "updated_at",
        ]
    )


def qbo_access_token(connection: QuickBooksConnection, *, refused: str = "") -> str:
    """A usable token; ``refused``: the one QuickBooks just answered 401 to (see above)."""
    if connection.status != QuickBooksConnection.Status.CONNECTED:
        raise TokenRevoked(f"QuickBooks connection for {connection.shop.domain} needs reconnecting")
    if _usable(connection.access_token, connection.access_token_expires_at, refused):
        return connection.access_token
    revoked = False
    with transaction.atomic():
        locked = QuickBooksConnection.objects.select_for_update().get(pk=connection.pk)
        if locked.status != QuickBooksConnection.Status.CONNECTED:
            _copy_token_fields(locked, connection)
            connection.status, connection.status_reason = locked.status, locked.status_reason
            raise TokenRevoked(f"QuickBooks connection for {connection.shop.domain} needs reconnecting")
        if not _usable(locked.access_token, locked.access_token_expires_at, refused):
            try:
                if not locked.refresh_token:
                    raise QBOGrantRevoked("no refresh token stored")
                grant = qbo_oauth.refresh(refresh_token=locked.refresh_token)
            except QBOGrantRevoked:
                revoked = True
            except QBOOAuthError as exc:
                raise TokenRefreshFailed(str(exc)) from None
            else:
                _store_grant(locked, grant)
                log.info("refreshed the QuickBooks token of realm %s", locked.realm_id)
        _copy_token_fields(locked, connection)
    if revoked:
        qbo_mark_reconnect_needed(connection, QBO_RECONNECT_REASON)
        raise TokenRevoked(f"{connection.shop.domain}: {QBO_RECONNECT_REASON}")
    return connection.access_token


def qbo_mark_reconnect_needed(connection: QuickBooksConnection, reason: str) -> None:
    """The connection is dead: say so on it, pause the shop's sync, drop the tokens."""
    with transaction.atomic():
        QuickBooksConnection.objects.filter(pk=connection.pk).update(
            status=QuickBooksConnection.Status.RECONNECT_NEEDED,
            status_reason=reason[:500],
            access_token="",
            refresh_token="",
            access_token_expires_at=None,
            updated_at=timezone.now(),
        )
        connection.shop.pause(reason, code=PauseCode.QBO_RECONNECT)
    connection.status = QuickBooksConnection.Status.RECONNECT_NEEDED
    connection.status_reason = reason[:500]
    connection.access_token = connection.refresh_token = ""
    log.warning("QuickBooks connection of %s needs reconnecting: sync paused", connection.shop.domain)


def _copy_token_fields(source: _TokenHolder, target: _TokenHolder) -> None:
    for name in ("access_token", "access_token_expires_at", "refresh_token", "refresh_token_expires_at"):
        setattr(target, name, getattr(source, name))
