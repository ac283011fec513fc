"""Connecting a store to a QuickBooks company: the round trip, a shared company, disconnect.

Views stay thin and call these. Intuit is called outside row locks, and never with
a token in a log line.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from datetime import datetime, timedelta

from django.core import signing
from django.db import transaction
from django.utils import timezone

from accounts import tokens
from accounts.models import OAuthState, PauseCode, QuickBooksConnection, Shop
from accounts.oauth_state import OAUTH_STATE_TTL, InvalidState, oauth_state_create
from accounts.signals import quickbooks_connected
from shopqb_app.integrations.quickbooks import company as qbo_company
from shopqb_app.integrations.quickbooks import oauth as qbo_oauth
from shopqb_app.integrations.quickbooks.errors import QBOAccessRefused, QBOGrantRevoked, QBOOAuthError

log = logging.getLogger(__name__)
Status = QuickBooksConnection.Status

QBO_DISCONNECTED_REASON = "QuickBooks is disconnected: connect a QuickBooks company to sync."
QBO_SHARED_REASON = "Another store already uses this QuickBooks company: confirm before ShopQB writes to it."

# The connect round trip, bound to the merchant at both ends:
# 1. the embedded page (session token) gets a start ticket, signed and short-lived;
# 2. the ticket, opened top-level, is consumed once; the browser gets a signed
#    cookie (state, shop, nonce) and the row keeps the nonce's digest;
# 3. the callback needs that cookie: same state, same shop, same browser, once.
# A forwarded start link is spent or expired; a callback URL (code + state) opened
# in another browser, or with the cookie of another round trip, connects nothing.
# Reference: https://datatracker.ietf.org/doc/html/rfc6749#section-10.12
# Reference: https://shopify.dev/docs/apps/build/authentication-authorization/session-tokens
QBO_START_TTL = timedelta(seconds=60)
_QBO_START_SALT = "accounts.qbo_connect.start"
_QBO_BROWSER_SALT = "accounts.qbo_connect.browser"


def qbo_connect_ticket(*, shop: Shop) -> str:
    """A start ticket for the merchant who just asked with a valid session token.

    It is all a browser needs to begin, so it lives only as long as the page needs
    to open it and is spent on first use.
    """
    row = oauth_state_create(provider=OAuthState.Provider.QUICKBOOKS, shop_domain=shop.domain)
    return signing.dumps({"state": row.state, "shop": shop.domain}, salt=_QBO_START_SALT)


def qbo_connect_start(*, ticket: str) -> tuple[OAuthState, str]:
    """Spend the ticket and bind the round trip to this browser: the row and the cookie value."""
    try:
        claim = signing.loads(ticket, salt=_QBO_START_SALT, max_age=QBO_START_TTL)
    except signing.BadSignature:  # also SignatureExpired
        raise InvalidState("it has expired or did not come from ShopQB") from None
    nonce = secrets.token_urlsafe(32)
    claimed = OAuthState.objects.filter(
        provider=OAuthState.Provider.QUICKBOOKS,
        state=claim["state"],
        shop_domain=claim["shop"],
        started_at__isnull=True,
        consumed_at__isnull=True,
        created_at__gte=timezone.now() - OAUTH_STATE_TTL,
    ).update(started_at=timezone.now(), browser_digest=_digest(nonce))
    if claimed != 1:
        raise InvalidState("it was already used")
    row = OAuthState.objects.get(provider=OAuthState.Provider.QUICKBOOKS, state=claim["state"])
    cookie = signing.dumps({"state": row.state, "shop": row.shop_domain, "nonce": nonce}, salt=_QBO_BROWSER_SALT)
    return row, cookie


def qbo_callback_verify(*, state: str, cookie: str) -> OAuthState:
    """The callback must reach the browser that started this round trip, exactly once."""
    try:
        binding = signing.loads(cookie, salt=_QBO_BROWSER_SALT, max_age=OAUTH_STATE_TTL)
    except signing.BadSignature:
        raise InvalidState("the sign-in did not start in this browser") from None
    if not secrets.compare_digest(state.encode(), binding["state"].encode()):
        raise InvalidState("this browser started a different QuickBooks sign-in")
    consumed = OAuthState.objects.filter(
        provider=OAuthState.Provider.QUICKBOOKS,
        state=state,
        shop_domain=binding["shop"],
        browser_digest=_digest(binding["nonce"]),
        started_at__isnull=False,
        consumed_at__isnull=True,
        created_at__gte=timezone.now() - OAUTH_STATE_TTL,
    ).update(consumed_at=timezone.now())
    if consumed != 1:
        raise InvalidState("the sign-in has expired or was already completed")
    return OAuthState.objects.get(provider=OAuthState.Provider.QUICKBOOKS, state=state)


def _digest(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()


def qbo_connect_complete(*, row: OAuthState, code: str, realm_id: str, error: str) -> Shop:
    """Finish the QuickBooks authorization-code round trip for ``row.shop_domain``."""
    shop = Shop.objects.get(domain=row.shop_domain)
    if error or not code or not realm_id:
        _state_outcome(row, succeeded=False, outcome="QuickBooks was not connected (the connection was cancelled).")
        return shop
    if not re.fullmatch(r"[0-9A-Za-z]{1,64}", realm_id):
        _state_outcome(row, succeeded=False, outcome="QuickBooks sent an invalid company id.")
        return shop
    try:
        grant = qbo_oauth.exchange_code(code=code, realm_id=realm_id)
        grant, details = qbo_company.connect_details(realm_id=realm_id, grant=grant)
    except QBOOAuthError as exc:
        log.warning("QuickBooks connect for %s failed: %s", shop.domain, exc)
        _state_outcome(row, succeeded=False, outcome="QuickBooks did not complete the connection. Please try again.")
        return shop

    refused = ""
    old_grant = ""
    shared: list[QuickBooksConnection] = []
    with transaction.atomic():
        connection = QuickBooksConnection.objects.select_for_update().filter(shop=shop).first()
        # The company this store is connected to, when the merchant picked another one.
        leaving = connection if connection is not None and connection.realm_id != realm_id else None
        if leaving is not None and _has_synced_documents(shop):
            refused = (
                f"ShopQB already wrote documents to the QuickBooks company "
                f"\u201c{leaving.company_name or leaving.realm_id}\u201d. Connecting a different company "
                f"(\u201c{details.company_name or realm_id}\u201d) would split your books, so it was refused. "
                f"Reconnect the same company, or ask support to move the shop."
            )
        else:
            if leaving is not None:
                # Nothing was written to the old company yet: let it go, with the choices
                # the merchant mapped to its items and accounts (ids of that company only;
                # mappings' rows, reached through their foreign key to the shop).
                old_grant = leaving.refresh_token
                shop.role_mappings.all().delete()
                log.info("switching %s from realm %s to %s", shop.domain, leaving.realm_id, realm_id)
            # Joining a company another store already uses waits for the merchant to agree
            # (two stores' sales in one set of books); getting back the company this store
            # already had does not ask again.
            kept = leaving is None and connection is not None and connection.status != Status.CONFIRM_SHARED
            connection = connection or QuickBooksConnection(shop=shop)
            connection.realm_id = realm_id
            shared = [] if kept else connection.shared_with()
            connection.status = Status.CONFIRM_SHARED if shared else Status.CONNECTED
            connection.status_reason = QBO_SHARED_REASON if shared else ""
            connection.access_token = grant.access_token
            connection.access_token_expires_at = grant.expires_at
            connection.refresh_token = grant.refresh_token
            connection.refresh_token_expires_at = grant.refresh_token_expires_at
            connection.company_name = details.company_name
            connection.country = details.country
            connection.home_currency = details.home_currency
            connection.automated_sales_tax = details.automated_sales_tax
            connection.multicurrency = details.multicurrency
            connection.connected_at = timezone.now()
            connection.save()
            if not shared:
                shop.resume_if(PauseCode.QBO_RECONNECT)
    if refused:
        _qbo_revoke_quietly(grant.refresh_token)
        _state_outcome(row, succeeded=False, outcome=refused)
        log.warning("refused to switch %s to another QuickBooks company", shop.domain)
    else:
        if old_grant:
            _qbo_revoke_quietly(old_grant)
        _state_outcome(row, succeeded=True)
        if not shared:
            quickbooks_connected.send(sender=QuickBooksConnection, shop=shop)
        if shared:
            others = ", ".join(other.shop.domain for other in shared)
            log.warning(
                "%s connected QuickBooks realm %s, also used by %s: waiting for a confirmation",
                shop.domain,
                realm_id,
                others,
            )
        else:
            log.info("connected %s to QuickBooks realm %s", shop.domain, realm_id)
    return shop


def qbo_company_refresh(*, connection: QuickBooksConnection) -> QuickBooksConnection:
    """Read the company's facts again (CompanyInfo and Preferences): a merchant can turn
    multicurrency on, or change the home currency before that, after connecting.

    Raises tokens.TokenRevoked / TokenRefreshFailed or QBOOAuthError when QuickBooks cannot be
    read; the stored facts are then left as they were.
    """
    token = tokens.qbo_access_token(connection)
    try:
        details = qbo_company.company_details(realm_id=connection.realm_id, access_token=token)
    except QBOAccessRefused:
        # Refused before its stored expiry: one single-flight renewal, then one more read.
        token = tokens.qbo_access_token(connection, refused=token)
        details = qbo_company.company_details(realm_id=connection.realm_id, access_token=token)
    QuickBooksConnection.objects.filter(pk=connection.pk).update(
        company_name=details.company_name or connection.company_name,
        country=details.country or connection.country,
        home_currency=details.home_currency or connection.home_currency,
        automated_sales_tax=details.automated_sales_tax,
        multicurrency=details.multicurrency,
        updated_at=timezone.now(),
    )
    connection.refresh_from_db()
    return connection


def _state_outcome(row: OAuthState, *, succeeded: bool, outcome: str = "") -> None:
    OAuthState.objects.filter(pk=row.pk).update(succeeded=succeeded, outcome=outcome[:500])


def qbo_connect_outcome(*, shop: Shop, since: datetime | None = None) -> OAuthState | None:
    """The latest failed QuickBooks round trip, if nothing succeeded after it (shown on the home page)."""
    since = since or timezone.now() - timedelta(hours=1)
    latest = (
        OAuthState.objects.filter(
            provider=OAuthState.Provider.QUICKBOOKS, shop_domain=shop.domain, consumed_at__isnull=False
        )
        .filter(created_at__gte=since)
        .order_by("-consumed_at")
        .first()
    )
    return latest if latest is not None and not latest.succeeded and latest.outcome else None


def qbo_shared_confirm(*, shop: Shop, realm_id: str) -> bool:
    """The merchant agrees that this store's sales go into a company another store uses too.

    ``realm_id`` is the company the page showed: a confirmation never applies to a
    different company connected since.
    """
    with transaction.atomic():
        confirmed = QuickBooksConnection.objects.filter(
            shop=shop, realm_id=realm_id, status=Status.CONFIRM_SHARED
        ).update(status=Status.CONNECTED, status_reason="", updated_at=timezone.now())
        if confirmed:
            shop.resume_if(PauseCode.QBO_RECONNECT)
    if confirmed:
        log.info("%s confirmed sharing QuickBooks realm %s", shop.domain, realm_id)
        quickbooks_connected.send(sender=QuickBooksConnection, shop=shop)
    return bool(confirmed)


def _has_synced_documents(shop: Shop) -> bool:
    # The sync's records, reached through their foreign key to the shop: accounts sits
    # below syncing and imports none of it.
    return shop.synced_records.exclude(qbo_id="").exists()


def qbo_disconnect(*, shop: Shop) -> None:
    """Revoke at Intuit, then forget the tokens; the company details stay for reference."""
    connection = QuickBooksConnection.objects.filter(shop=shop).first()
    if connection is None:
        return
    if connection.refresh_token:
        _qbo_revoke_quietly(connection.refresh_token)
    QuickBooksConnection.objects.filter(pk=connection.pk).update(
        status=QuickBooksConnection.Status.DISCONNECTED,
        status_reason="Disconnected by the merchant.",
        access_token="",
        refresh_token="",
        access_token_expires_at=None,
        refresh_token_expires_at=None,
        updated_at=timezone.now(),
    )
    shop.pause(QBO_DISCONNECTED_REASON, code=PauseCode.QBO_RECONNECT)
    log.info("disconnected %s from QuickBooks", shop.domain)


def _qbo_revoke_quietly(token: str) -> bool:
    try:
        qbo_oauth.revoke(token=token)
    except QBOGrantRevoked:
        return True  # already dead
    except QBOOAuthError as exc:
        log.warning("could not revoke a QuickBooks token: %s", exc)
        return False
    return True
