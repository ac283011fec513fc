"""Shopify webhooks: one endpoint, verified first, recorded once, dispatched by topic.

Order of work: size limit, HMAC over the raw body (401 and nothing stored when it
is missing or wrong), then in one transaction the WebhookDelivery row (unique per
``X-Shopify-Webhook-Id``: a duplicate answers 200 and does nothing) and the
topic's handler, which only records and enqueues (ORM broker: the task commits
with the row). Shopify wants an answer within 5 s.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import re
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from accounts import services, shopify_auth
from accounts.models import Shop

log = logging.getLogger(__name__)

Handler = Callable[[str, dict[str, Any], dict[str, str]], None]

TOPIC_RE = re.compile(r"^[a-z_]{1,30}/[a-z_]{1,30}\Z")
WEBHOOK_ID_RE = re.compile(r"^[A-Za-z0-9._:-]{1,255}\Z")


def signature_valid(body: bytes, header: str) -> bool:
    # Reference: https://shopify.dev/docs/apps/build/webhooks/subscribe/https#step-5-verify-the-webhook
    secret = settings.SHOPIFY_API_SECRET
    if not secret or not header:
        return False
    expected = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest())
    return hmac.compare_digest(expected, header.strip().encode("ascii", "replace"))


def _installed_shop(domain: str) -> Shop | None:
    return Shop.objects.filter(domain=domain, installed_at__isnull=False, uninstalled_at__isnull=True).first()


def _order_changed(domain: str, payload: dict[str, Any], headers: dict[str, str]) -> None:  # noqa: ARG001
    _enqueue_order(domain, payload.get("id"))


def _refund_created(domain: str, payload: dict[str, Any], headers: dict[str, str]) -> None:  # noqa: ARG001
    _enqueue_order(domain, payload.get("order_id"))


def _enqueue_order(domain: str, order_id: object) -> None:
    from syncing.tasks import enqueue_order_sync

    if isinstance(order_id, bool) or not isinstance(order_id, int | str) or not str(order_id).isdigit():
        log.info("webhook for %s carries no order id", domain)
        return
    shop = _installed_shop(domain)
    if shop is None:
        return
    enqueue_order_sync(shop_id=shop.pk, order_gid=f"gid://shopify/Order/{order_id}")


def _app_uninstalled(domain: str, payload: dict[str, Any], headers: dict[str, str]) -> None:  # noqa: ARG001
    shop = Shop.objects.filter(domain=domain).first()
    if shop is not None:
        services.shop_uninstalled(shop=shop, triggered_at=headers.get("triggered_at", ""))


def _customers_data_request(domain: str, payload: dict[str, Any], headers: dict[str, str]) -> None:
    services.customer_data_request(shop_domain=domain, webhook_id=headers["webhook_id"], payload=payload)


def _customers_redact(domain: str, payload: dict[str, Any], headers: dict[str, str]) -> None:
    services.customer_redact(shop_domain=domain, webhook_id=headers["webhook_id"], payload=payload)


def _shop_redact(domain: str, payload: dict[str, Any], headers: dict[str, str]) -> None:  # noqa: ARG001
    services.shop_redact(domain=domain, webhook_id=headers["webhook_id"])


HANDLERS: dict[str, Handler] = {
    "orders/create": _order_changed,
    "orders/updated": _order_changed,
    "orders/paid": _order_changed,
    "orders/cancelled": _order_changed,
    "orders/edited": _order_changed,
    "refunds/create": _refund_created,
    "app/uninstalled": _app_uninstalled,
    "customers/data_request": _customers_data_request,
    "customers/redact": _customers_redact,
    "shop/redact": _shop_redact,
}

# Compliance payloads name the customer (email, phone): the delivery row keeps ids only.
_MINIMISE: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "customers/data_request": lambda p: {
        "customer_id": services.customer_id_of(p),
        "orders_requested": services.order_ids_of(p, "orders_requested"),
    },
    "customers/redact": lambda p: {
        "customer_id": services.customer_id_of(p),
        "orders_to_redact": services.order_ids_of(p, "orders_to_redact"),
    },
}


def _storable(value: Any) -> Any:
    """PostgreSQL's jsonb refuses NUL characters: replace them before storing."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, list):
        return [_storable(v) for v in value]
    if isinstance(value, dict):
        return {_storable(k): _storable(v) for k, v in value.items()}
    return value


def _text(response: str, status: int) -> HttpResponse:
    return HttpResponse(response, status=status, content_type="text/plain")


@csrf_exempt
@require_POST
def receive(request: HttpRequest) -> HttpResponse:
    limit = settings.SHOPIFY_WEBHOOK_MAX_BYTES
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return _text("bad length", 400)
    if declared > limit:
        return _text("too large", 413)
    body = request.read(limit + 1)
    if len(body) > limit:
        return _text("too large", 413)
    if not signature_valid(body, request.headers.get("X-Shopify-Hmac-Sha256", "")):
        return _text("invalid signature", 401)

    topic = request.headers.get("X-Shopify-Topic", "").strip()
    domain = shopify_auth.valid_shop_domain(request.headers.get("X-Shopify-Shop-Domain"))
    webhook_id = request.headers.get("X-Shopify-Webhook-Id", "").strip()
    if not TOPIC_RE.match(topic) or domain is None or not WEBHOOK_ID_RE.match(webhook_id):
        return _text("missing or malformed headers", 400)
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return _text("body is not JSON", 400)
    if not isinstance(payload, dict):
        return _text("body is not a JSON object", 400)
    return _record_and_dispatch(request, topic, domain, webhook_id, payload)


def _record_and_dispatch(
    request: HttpRequest, topic: str, domain: str, webhook_id: str, payload: dict[str, Any]
) -> HttpResponse:
    from syncing.models import WebhookDelivery

    headers = {
        "webhook_id": webhook_id,
        "triggered_at": _storable(request.headers.get("X-Shopify-Triggered-At", "")[:64]),
    }
    try:
        stored = _storable(_MINIMISE.get(topic, lambda p: p)(payload))
    except RecursionError:
        return _text("body is nested too deeply", 400)
    with transaction.atomic():
        try:
            with transaction.atomic():
                delivery = WebhookDelivery.objects.create(
                    shop_domain=domain,
                    webhook_id=webhook_id,
                    event_id=_storable(request.headers.get("X-Shopify-Event-Id", "")[:255]),
                    topic=topic,
                    api_version=_storable(request.headers.get("X-Shopify-API-Version", "")[:16]),
                    triggered_at=headers["triggered_at"],
                    payload=stored,
                )
        except IntegrityError:
            log.info("duplicate webhook %s (%s) for %s", webhook_id, topic, domain)
            return _text("duplicate", 200)
        handler = HANDLERS.get(topic)
        if handler is not None:
            handler(domain, payload, headers)
        WebhookDelivery.objects.filter(pk=delivery.pk).update(processed_at=timezone.now())
    return _text("ok", 200)
