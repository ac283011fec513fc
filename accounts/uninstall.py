"""The app leaves a Shopify store: confirm ``app/uninstalled``, forget the grant, stop the work.

``syncing/compliance.py`` (shop redaction) reuses the access probe and the task
clean-up. Nothing here deletes sync data: that is the sync's own business.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django_q.models import OrmQ, Schedule
from django_q.signing import BadSignature

from accounts.models import PauseCode, Shop
from accounts.tokens import TokenRevoked, shopify_access_token
from shopqb_app.integrations.shopify.client import ShopifyClient, load_query
from shopqb_app.integrations.shopify.errors import ShopifyAuthError

log = logging.getLogger(__name__)

CLOCK_SKEW = timedelta(minutes=2)
UNINSTALLED_REASON = "The app was uninstalled from the Shopify admin."
SHOP_GROUP = "shop-{id}"


class UninstallNotConfirmed(Exception):
    """Shopify still accepts the shop's access (or could not be asked): nothing was deleted."""


def _event_time(triggered_at: str) -> datetime | None:
    try:
        when = parse_datetime(triggered_at) if triggered_at else None
    except ValueError:
        return None
    if when is not None and timezone.is_naive(when):
        when = timezone.make_aware(when, UTC)
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
    deleted: int = OrmQ.objects.filter(pk__in=doomed).delete()[0]
    pattern = rf"^{re.escape(group)}([^0-9]|$)"
    deleted += Schedule.objects.filter(name__regex=pattern).delete()[0]
    return deleted
