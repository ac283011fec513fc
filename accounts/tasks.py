"""django-q2 entry points for accounts. They may run twice."""

import logging

from django.utils import timezone

from accounts import quickbooks_auth, services
from accounts.crypto import decrypt
from accounts.models import Shop
from syncing.models import WebhookDelivery

log = logging.getLogger(__name__)


def qbo_revoke_encrypted(ciphertext: str) -> None:
    """Revoke a QuickBooks token of a deleted shop; the queue only ever saw ciphertext."""
    try:
        quickbooks_auth.revoke(token=decrypt(ciphertext))
    except quickbooks_auth.QBOGrantRevoked:
        return
    except quickbooks_auth.QBOOAuthError as exc:
        log.warning("could not revoke a deleted shop's QuickBooks token: %s", exc)
        raise


def app_uninstalled(webhook_id: str) -> str:
    """``app/uninstalled`` delivered as ``webhook_id``: act once Shopify confirms it.

    Raises ``UninstallNotConfirmed`` while Shopify still accepts the shop's token, and
    Shopify's own errors when it cannot be asked: the delivery stays unprocessed and
    the failed task shows in the admin for support (re-run it from there).
    """
    delivery = WebhookDelivery.objects.filter(webhook_id=webhook_id, processed_at__isnull=True).first()
    if delivery is None:
        return "already processed"
    shop = Shop.objects.filter(domain=delivery.shop_domain).first()
    acted = shop is not None and services.shop_uninstall_confirm(shop=shop, triggered_at=delivery.triggered_at)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(processed_at=timezone.now())
    return "uninstalled" if acted else "nothing to do"


def shop_redact(webhook_id: str) -> str:
    """``shop/redact`` delivered as ``webhook_id`` (may ask Shopify, may delete a lot of rows)."""
    delivery = WebhookDelivery.objects.filter(webhook_id=webhook_id, processed_at__isnull=True).first()
    if delivery is None:
        return "already processed"
    record = services.shop_redact(domain=delivery.shop_domain, webhook_id=webhook_id)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(processed_at=timezone.now())
    return record.summary
