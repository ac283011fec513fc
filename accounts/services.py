"""Tenant lifecycle: install, QuickBooks connect/disconnect, uninstall.

Views and webhook handlers stay thin and call these. Provider calls happen outside
row locks where they can, and never with a token in a log line.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django_q.models import OrmQ, Schedule
from django_q.signing import BadSignature

from accounts.models import OAuthState, PauseCode, QuickBooksConnection, Shop
from accounts.tokens import TokenRefreshFailed, TokenRevoked, shopify_access_token
from shopqb_app.integrations.quickbooks import company as qbo_company
from shopqb_app.integrations.quickbooks import oauth as qbo_oauth
from shopqb_app.integrations.quickbooks.errors import QBOGrantRevoked, QBOOAuthError
from shopqb_app.integrations.shopify import oauth as shopify_oauth
from shopqb_app.integrations.shopify.client import ShopifyClient, load_query
from shopqb_app.integrations.shopify.errors import ShopifyAuthError, ShopifyError, ShopifyOAuthError

log = logging.getLogger(__name__)
Status = QuickBooksConnection.Status

OAUTH_STATE_TTL = timedelta(minutes=10)
CLOCK_SKEW = timedelta(minutes=2)
UNINSTALLED_REASON = "The app was uninstalled from the Shopify admin."
QBO_DISCONNECTED_REASON = "QuickBooks is disconnected: connect a QuickBooks company to sync."
QBO_SHARED_REASON = "Another store already uses this QuickBooks company: confirm before ShopQB writes to it."


class InstallError(Exception):
    """The shop could not be installed; the message is safe to show the merchant."""


class InvalidState(Exception):
    """An OAuth callback that does not belong to a round trip we started."""


# --- Shopify install -------------------------------------------------------------


def shop_install_by_token_exchange(*, domain: str, session_token: str) -> Shop:
    """Managed install: swap the session token for an expiring offline token (once)."""
    Shop.objects.get_or_create(domain=domain)
    with transaction.atomic():
        # Shopify keeps one expiring offline token per shop: a second exchange would
        # revoke the first, so installs of one shop run one at a time.
        shop = Shop.objects.select_for_update().get(domain=domain)
        if shop.is_installed and shop.access_token:
            return shop
        try:
            grant = shopify_oauth.exchange_session_token(shop=domain, session_token=session_token)
        except ShopifyOAuthError as exc:
            log.warning("token exchange for %s failed: %s", domain, exc)
            raise InstallError("Shopify did not grant ShopQB access to this store. Please try again.") from None
        _apply_grant(shop, grant)
    shop_details_refresh(shop)
    return shop


def shop_install_by_code(*, domain: str, code: str) -> Shop:
    """Authorization code grant (non-managed installs): the callback already checked HMAC and state."""
    try:
        grant = shopify_oauth.exchange_code(shop=domain, code=code)
    except ShopifyOAuthError as exc:
        log.warning("code exchange for %s failed: %s", domain, exc)
        raise InstallError("Shopify did not grant ShopQB access to this store. Please install again.") from None
    Shop.objects.get_or_create(domain=domain)
    with transaction.atomic():
        shop = Shop.objects.select_for_update().get(domain=domain)
        _apply_grant(shop, grant)
    shop_details_refresh(shop)
    return shop


def _apply_grant(shop: Shop, grant: shopify_oauth.ShopifyGrant) -> None:
    missing = shopify_oauth.missing_scopes(grant.scopes)
    if missing:
        log.warning("%s granted too few scopes, missing %s", shop.domain, ",".join(missing))
        raise InstallError(f"The store did not grant the access ShopQB needs ({', '.join(missing)}).")
    shop.access_token = grant.access_token
    shop.access_token_expires_at = grant.expires_at
    shop.refresh_token = grant.refresh_token
    shop.refresh_token_expires_at = grant.refresh_token_expires_at
    shop.scopes = ",".join(sorted(grant.scopes))
    if not shop.is_installed:
        shop.installed_at = timezone.now()
        shop.uninstalled_at = None
        log.info("installed on %s", shop.domain)
    shop.save()
    shop.resume_if(PauseCode.UNINSTALLED)
    shop.resume_if(PauseCode.SHOPIFY_REVOKED)


def shop_details_refresh(shop: Shop) -> None:
    """Name, currency and time zone from the Admin API; best effort (the sync reads them too)."""
    try:
        client = ShopifyClient(
            shop_domain=shop.domain,
            access_token=shopify_access_token(shop),
            admin_base=settings.SHOPIFY_ADMIN_BASE,
            api_version=settings.SHOPIFY_API_VERSION,
            timeout=settings.SHOPIFY_HTTP_TIMEOUT,
            max_throttle_wait=5.0,  # the merchant is waiting for the page
            # A 401 despite a fresh stored expiry: one single-flight refresh, one retry.
            on_unauthorized=lambda refused: shopify_access_token(shop, refused=refused),
        )
        details = client.execute(load_query("shop")).get("shop")
    except (ShopifyError, TokenRevoked, TokenRefreshFailed) as exc:
        log.warning("could not read the details of %s: %s", shop.domain, exc)
        return
    if not isinstance(details, dict):
        log.warning("the details of %s came back empty", shop.domain)
        return
    shop.name = str(details.get("name") or "")[:255]
    shop.currency = str(details.get("currencyCode") or "")[:3]
    shop.iana_timezone = str(details.get("ianaTimezone") or "UTC")[:64]
    Shop.objects.filter(pk=shop.pk).update(name=shop.name, currency=shop.currency, iana_timezone=shop.iana_timezone)


# --- OAuth round trips -------------------------------------------------------------


def oauth_state_create(*, provider: str, shop_domain: str) -> OAuthState:
    return OAuthState.objects.create(provider=provider, shop_domain=shop_domain, state=secrets.token_urlsafe(32))


def oauth_state_consume(*, provider: str, state: str, cookie_state: str, shop_domain: str | None = None) -> OAuthState:
    """The callback's state must match the browser's cookie and a fresh, unused row: exactly once."""
    if not state or not cookie_state or not secrets.compare_digest(state.encode(), cookie_state.encode()):
        raise InvalidState("the sign-in did not start in this browser")
    filters = Q(provider=provider, state=state, consumed_at__isnull=True)
    filters &= Q(created_at__gte=timezone.now() - OAUTH_STATE_TTL)
    if shop_domain is not None:
        filters &= Q(shop_domain=shop_domain)
    if OAuthState.objects.filter(filters).update(consumed_at=timezone.now()) != 1:
        raise InvalidState("the sign-in has expired or was already completed")
    return OAuthState.objects.get(provider=provider, state=state)


def _state_outcome(row: OAuthState, *, succeeded: bool, outcome: str = "") -> None:
    OAuthState.objects.filter(pk=row.pk).update(succeeded=succeeded, outcome=outcome[:500])


# --- QuickBooks ------------------------------------------------------------------------

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
        switching = connection is not None and connection.realm_id != realm_id
        if switching and _has_synced_documents(shop):
            refused = (
                f"ShopQB already wrote documents to the QuickBooks company "
                f"\u201c{connection.company_name or connection.realm_id}\u201d. Connecting a different company "
                f"(\u201c{details.company_name or realm_id}\u201d) would split your books, so it was refused. "
                f"Reconnect the same company, or ask support to move the shop."
            )
        else:
            if switching:
                # Nothing was written to the old company yet: let it go, with the choices
                # the merchant mapped to its items and accounts (ids of that company only;
                # mappings' rows, reached through their foreign key to the shop).
                old_grant = connection.refresh_token
                shop.role_mappings.all().delete()
                log.info("switching %s from realm %s to %s", shop.domain, connection.realm_id, realm_id)
            # Joining a company another store already uses waits for the merchant to agree
            # (two stores' sales in one set of books); getting back the company this store
            # already had does not ask again.
            kept = not switching and connection is not None and connection.status != Status.CONFIRM_SHARED
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


# --- Uninstall and redaction -------------------------------------------------------


class UninstallNotConfirmed(Exception):
    """Shopify still accepts the shop's access (or could not be asked): nothing was deleted."""


def _event_time(triggered_at: str) -> datetime | None:
    try:
        when = parse_datetime(triggered_at) if triggered_at else None
    except ValueError:
        return None
    if when is not None and timezone.is_naive(when):
        when = timezone.make_aware(when, timezone.utc)
    return when


def _reinstalled_since(shop: Shop, when: datetime | None) -> bool:
    # Shopify's clock and ours differ by some seconds: only a reinstall clearly after
    # the event makes it stale. The skew comes off installed_at (a real date), never
    # onto ``when``, which may be as far out as year 9999.
    return (
        when is not None
        and shop.is_installed
        and shop.installed_at is not None
        and shop.installed_at - CLOCK_SKEW > when
    )


def shop_access_works(*, shop: Shop) -> bool:
    """Whether Shopify still accepts the shop's grant: the one proof of an uninstall that a
    replayed webhook cannot forge (Shopify revokes every token before it sends
    ``app/uninstalled``). An expired access token gets 401 too, so a refused token is
    refreshed and tried again: only a refused refresh (or a 401 without a refresh
    token) counts. Raises ``ShopifyUnavailable`` or ``TokenRefreshFailed`` when
    Shopify cannot tell us now."""
    try:
        client = ShopifyClient(
            shop_domain=shop.domain,
            access_token=shopify_access_token(shop),
            admin_base=settings.SHOPIFY_ADMIN_BASE,
            api_version=settings.SHOPIFY_API_VERSION,
            timeout=settings.SHOPIFY_HTTP_TIMEOUT,
            max_throttle_wait=30.0,
            on_unauthorized=lambda refused: shopify_access_token(shop, refused=refused),
        )
        # Reference: https://shopify.dev/docs/api/admin-graphql/latest/queries/shop
        client.execute(load_query("shop"))
    except (TokenRevoked, ShopifyAuthError):
        return False
    return True


def shop_uninstall_confirm(*, shop: Shop, triggered_at: str = "") -> bool:
    """``app/uninstalled`` as a webhook claims it: act only once Shopify refuses the shop's access.

    The webhook's headers are not signed, so a body replayed under this shop's name
    proves nothing. While the token still works the shop stays as it is and
    ``UninstallNotConfirmed`` says so (a failed task support can see).
    """
    if _reinstalled_since(shop, _event_time(triggered_at)):
        log.info("ignoring a stale app/uninstalled for %s (reinstalled since)", shop.domain)
        return False
    if shop.is_installed and shop_access_works(shop=shop):
        log.warning("app/uninstalled for %s, but Shopify still accepts its token: nothing deleted", shop.domain)
        raise UninstallNotConfirmed(f"{shop.domain}: Shopify still accepts the app's token; nothing was deleted")
    return shop_uninstalled(shop=shop, triggered_at=triggered_at)


def shop_uninstalled(*, shop: Shop, triggered_at: str = "") -> bool:
    """The app is gone from the shop (confirmed): idempotent; a late event after a reinstall changes nothing."""
    when = _event_time(triggered_at)
    with transaction.atomic():
        shop = Shop.objects.select_for_update().get(pk=shop.pk)
        if _reinstalled_since(shop, when):
            log.info("ignoring a stale app/uninstalled for %s (reinstalled since)", shop.domain)
            return False
        shop.uninstalled_at = shop.uninstalled_at or timezone.now()
        shop.access_token = shop.refresh_token = ""
        shop.access_token_expires_at = shop.refresh_token_expires_at = None
        shop.save()
        shop.pause(UNINSTALLED_REASON, code=PauseCode.UNINSTALLED)
        shop_stop_work(shop=shop)
    log.info("uninstalled from %s", shop.domain)
    return True


SHOP_GROUP = "shop-{id}"


def shop_stop_work(*, shop: Shop) -> int:
    """Drop the shop's queued tasks (group ``shop-<id>``) and schedules (named ``shop-<id>...``)."""
    group = SHOP_GROUP.format(id=shop.pk)
    doomed = []
    for queued in OrmQ.objects.all().only("id", "payload"):
        try:
            task = queued.task
        except (BadSignature, ValueError, TypeError, AttributeError, EOFError) as exc:
            log.info("skipping an unreadable queued task %s: %s", queued.pk, type(exc).__name__)
            continue
        if isinstance(task, dict) and task.get("group") == group:
            doomed.append(queued.pk)
    deleted = OrmQ.objects.filter(pk__in=doomed).delete()[0]
    pattern = rf"^{re.escape(group)}([^0-9]|$)"
    deleted += Schedule.objects.filter(name__regex=pattern).delete()[0]
    return deleted


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
