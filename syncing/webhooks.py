"""Shopify webhooks: one endpoint, verified first, recorded once, dispatched by topic.

Order of work: size limit, HMAC over the raw body (401 and nothing stored when it
is missing or wrong), the headers, then the body against the headers. Only the
body is signed: ``X-Shopify-Topic`` and ``X-Shopify-Shop-Domain`` could be swapped
on a replayed body, so the body must have the topic's shape and name the same shop
where the topic carries one (401 otherwise, as for a bad signature: the headers'
claim is not backed by anything Shopify signed). Then, in one transaction, the
WebhookDelivery row (unique per ``X-Shopify-Webhook-Id``: a duplicate answers 200
and does nothing) and the topic's handler, which only records and enqueues (ORM
broker: the task commits with the row). Destructive topics (``app/uninstalled``,
``shop/redact``) act in a task, after Shopify confirms. Shopify wants an answer
within 5 s; this path runs one insert, at most one lookup and one enqueue. On
PostgreSQL an order webhook (the busy topics) is a single statement: the delivery,
the order's place in the queue and, for the first order of a burst, the claim on
the shop's one drain task (syncing/pending.py); most deliveries queue no task.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from django_q.tasks import async_task

from accounts.models import Shop
from shopqb_app.integrations.shopify.oauth import valid_shop_domain
from shopqb_app.integrations.shopify.webhook_signature import signature_valid
from syncing import compliance, pending
from syncing.models import WebhookDelivery

log = logging.getLogger(__name__)

Handler = Callable[[str, dict[str, Any], dict[str, str]], None]
Shape = Callable[[dict[str, Any], str], bool]

TOPIC_RE = re.compile(r"^[a-z_]{1,30}/[a-z_]{1,30}\Z")
WEBHOOK_ID_RE = re.compile(r"^[A-Za-z0-9._:-]{1,255}\Z")
ID_RE = re.compile(r"[0-9]{1,18}")  # ASCII digits only: str.isdigit() also takes "١٢٣"
# Shopify's clock and ours differ by seconds; a delivery from further in the future is forged.
FUTURE_SKEW = timedelta(minutes=5)


def numeric_id(value: object) -> int | None:
    """A Shopify numeric id from a JSON body (integer, or a string of ASCII digits), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 < value < 10**18 else None
    if isinstance(value, str) and ID_RE.fullmatch(value):
        return int(value) or None
    return None


def triggered_at_parse(value: str) -> datetime | None:
    """``X-Shopify-Triggered-At`` as an aware datetime, or None when it is not a timestamp."""
    if not value or len(value) > 64:
        return None
    try:
        when = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


# --- What each topic's body looks like -------------------------------------------------
# Reference: https://shopify.dev/docs/api/webhooks?reference=toml (topics and their payloads)
# Reference: https://shopify.dev/docs/apps/build/compliance/privacy-law-compliance (compliance payloads)


def _same_shop(value: object, domain: str) -> bool:
    return valid_shop_domain(value) == domain


def _is_order(payload: dict[str, Any], domain: str) -> bool:  # noqa: ARG001 (an order does not name its shop)
    order_id = numeric_id(payload.get("id"))
    return order_id is not None and payload.get("admin_graphql_api_id") == f"gid://shopify/Order/{order_id}"


def _is_order_edit(payload: dict[str, Any], domain: str) -> bool:  # noqa: ARG001
    # orders/edited carries the edit, not the order: {"order_edit": {"id", "order_id", "line_items", ...}}
    edit = payload.get("order_edit")
    return isinstance(edit, dict) and numeric_id(edit.get("order_id")) is not None


def _is_refund(payload: dict[str, Any], domain: str) -> bool:  # noqa: ARG001
    refund_id = numeric_id(payload.get("id"))
    return (
        refund_id is not None
        and numeric_id(payload.get("order_id")) is not None
        and payload.get("admin_graphql_api_id") == f"gid://shopify/Refund/{refund_id}"
    )


def _is_shop(payload: dict[str, Any], domain: str) -> bool:
    # app/uninstalled carries the shop; ``domain`` is its primary (maybe custom) domain.
    return numeric_id(payload.get("id")) is not None and _same_shop(payload.get("myshopify_domain"), domain)


def _names_shop(payload: dict[str, Any], domain: str) -> bool:
    return numeric_id(payload.get("shop_id")) is not None and _same_shop(payload.get("shop_domain"), domain)


def _is_shop_redact(payload: dict[str, Any], domain: str) -> bool:
    # {"shop_id", "shop_domain"} only: a customers/* body names the shop too, and a customer.
    return _names_shop(payload, domain) and "customer" not in payload


def _is_customer_request(key: str) -> Shape:
    def shape(payload: dict[str, Any], domain: str) -> bool:
        customer = payload.get("customer")
        if not isinstance(customer, dict) or not isinstance(payload.get(key, []), list):
            return False
        customer_id = customer.get("id")
        known = numeric_id(customer_id) is not None or (type(customer_id) is int and customer_id == 0)
        return known and _names_shop(payload, domain)

    return shape


SHAPES: dict[str, Shape] = {
    "orders/create": _is_order,
    "orders/updated": _is_order,
    "orders/paid": _is_order,
    "orders/cancelled": _is_order,
    "orders/edited": _is_order_edit,
    "refunds/create": _is_refund,
    "app/uninstalled": _is_shop,
    "customers/data_request": _is_customer_request("orders_requested"),
    "customers/redact": _is_customer_request("orders_to_redact"),
    "shop/redact": _is_shop_redact,
}


# --- What each topic does (inside the delivery's transaction) ----------------------------


# Topics that only ask for an order's sync: where the body names the order. The shape
# check above has made sure it does, with ASCII digits.
ORDER_OF: dict[str, Callable[[dict[str, Any]], object]] = {
    "orders/create": lambda p: p["id"],
    "orders/updated": lambda p: p["id"],
    "orders/paid": lambda p: p["id"],
    "orders/cancelled": lambda p: p["id"],
    "orders/edited": lambda p: p["order_edit"]["order_id"],
    "refunds/create": lambda p: p["order_id"],
}
# A new order goes ahead of changes to older ones (a busy day's repeats and edits).
NEW_ORDER_TOPICS = frozenset({"orders/create"})


def _order_gid(topic: str, payload: dict[str, Any]) -> str:
    return f"gid://shopify/Order/{numeric_id(ORDER_OF[topic](payload))}"


def _announced(topic: str, payload: dict[str, Any]) -> datetime | None:
    """The order version an order body carries (its updated_at): a drain that already
    fetched that version or a newer one need not fetch the order again."""
    value = payload.get("updated_at") if topic.startswith("orders/") and topic != "orders/edited" else None
    try:
        when = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
    return when if when is not None and when.tzinfo is not None else None


def _order_changed(topic: str) -> Handler:
    def handler(domain: str, payload: dict[str, Any], headers: dict[str, str]) -> None:  # noqa: ARG001
        shop_id = (
            Shop.objects.filter(domain=domain, installed_at__isnull=False, uninstalled_at__isnull=True)
            .values_list("pk", flat=True)
            .first()
        )
        if shop_id is not None:
            new = topic in NEW_ORDER_TOPICS
            gid, announced = _order_gid(topic, payload), _announced(topic, payload)
            pending.enqueue_order_sync(shop_id=shop_id, order_gid=gid, new=new, announced=announced)

    return handler


def _confirm_in_task(func: str) -> Handler:
    """Destructive topics: asking Shopify whether the app is really gone costs an HTTP call,
    so a task does it (and stamps the delivery processed when it acted)."""

    def handler(domain: str, payload: dict[str, Any], headers: dict[str, str]) -> None:  # noqa: ARG001
        async_task(func, headers["webhook_id"])

    return handler


def _customers_data_request(domain: str, payload: dict[str, Any], headers: dict[str, str]) -> None:
    compliance.customer_data_request(shop_domain=domain, webhook_id=headers["webhook_id"], payload=payload)


def _customers_redact(domain: str, payload: dict[str, Any], headers: dict[str, str]) -> None:
    compliance.customer_redact(shop_domain=domain, webhook_id=headers["webhook_id"], payload=payload)


HANDLERS: dict[str, Handler] = {
    **{topic: _order_changed(topic) for topic in ORDER_OF},
    "app/uninstalled": _confirm_in_task("syncing.tasks.app_uninstalled"),
    "customers/data_request": _customers_data_request,
    "customers/redact": _customers_redact,
    "shop/redact": _confirm_in_task("syncing.tasks.shop_redact"),
}
# Their tasks mark the delivery processed; every other delivery is processed in the request.
DEFERRED = frozenset({"app/uninstalled", "shop/redact"})


def _order_ids(p: dict[str, Any]) -> dict[str, Any]:
    customer = p.get("customer")
    kept: dict[str, Any] = {k: p[k] for k in ("id", "admin_graphql_api_id", "name", "updated_at") if k in p}
    if isinstance(customer, dict) and "id" in customer:
        kept["customer"] = {"id": customer["id"]}  # so a data request or redaction finds it
    return kept


# Order bodies name the customer (addresses, email, phone) and are never booked from
# (the sync fetches the order by GraphQL): the delivery row keeps ids only. Compliance
# payloads likewise.
_MINIMISE: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    **dict.fromkeys(("orders/create", "orders/updated", "orders/paid", "orders/cancelled"), _order_ids),
    "orders/edited": lambda p: {
        "order_edit": {k: p["order_edit"][k] for k in ("id", "order_id") if k in p["order_edit"]}
    },
    "refunds/create": lambda p: {k: p[k] for k in ("id", "order_id", "admin_graphql_api_id") if k in p},
    "customers/data_request": lambda p: {
        "customer_id": compliance.customer_id_of(p),
        "orders_requested": compliance.order_ids_of(p, "orders_requested"),
    },
    "customers/redact": lambda p: {
        "customer_id": compliance.customer_id_of(p),
        "orders_to_redact": compliance.order_ids_of(p, "orders_to_redact"),
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
    # Reference: https://shopify.dev/docs/apps/build/webhooks/subscribe/https
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
    domain = valid_shop_domain(request.headers.get("X-Shopify-Shop-Domain"))
    webhook_id = request.headers.get("X-Shopify-Webhook-Id", "").strip()
    if not TOPIC_RE.match(topic) or domain is None or not WEBHOOK_ID_RE.match(webhook_id):
        return _text("missing or malformed headers", 400)
    triggered_at = triggered_at_parse(request.headers.get("X-Shopify-Triggered-At", ""))
    if triggered_at is None:
        return _text("missing or malformed X-Shopify-Triggered-At", 400)
    # Shopify retries with the original timestamp; anything older than the window is a
    # replay (or a retry so late that the sweep has long covered it).
    now = timezone.now()
    if not now - timedelta(seconds=settings.SHOPIFY_WEBHOOK_MAX_AGE_SECONDS) <= triggered_at <= now + FUTURE_SKEW:
        log.warning("refused a %s webhook for %s triggered at %s", topic, domain, triggered_at.isoformat())
        return _text("X-Shopify-Triggered-At is outside the accepted window", 400)
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return _text("body is not JSON", 400)
    if not isinstance(payload, dict):
        return _text("body is not a JSON object", 400)
    shape = SHAPES.get(topic)
    if shape is not None and not shape(payload, domain):
        log.warning("refused a signed %s webhook for %s: the body does not match the headers", topic, domain)
        return _text("the body does not match the topic or the shop", 401)
    return _record_and_dispatch(request, body, topic, domain, webhook_id, payload)


def _record_and_dispatch(
    request: HttpRequest, body: bytes, topic: str, domain: str, webhook_id: str, payload: dict[str, Any]
) -> HttpResponse:
    stored = _MINIMISE[topic](payload) if topic in _MINIMISE else payload
    if b"\\u0000" in body:  # the only way a NUL gets into parsed JSON
        try:
            stored = _storable(stored)
        except RecursionError:
            return _text("body is nested too deeply", 400)
    try:
        return _record(request, topic, domain, webhook_id, payload, stored)
    except RecursionError:  # json.dumps of a body nested almost as deep as json.loads allows
        return _text("body is nested too deeply", 400)


def _record(
    request: HttpRequest, topic: str, domain: str, webhook_id: str, payload: dict[str, Any], stored: Any
) -> HttpResponse:
    if topic in ORDER_OF and connection.vendor == "postgresql":
        return _record_order_trigger(request, topic, domain, webhook_id, payload, stored)
    handler = HANDLERS.get(topic)
    with transaction.atomic():
        try:
            WebhookDelivery.objects.create(
                shop_domain=domain,
                webhook_id=webhook_id,
                event_id=_storable(request.headers.get("X-Shopify-Event-Id", "")[:255]),
                topic=topic,
                api_version=_storable(request.headers.get("X-Shopify-API-Version", "")[:16]),
                triggered_at=request.headers.get("X-Shopify-Triggered-At", "").strip(),
                payload=stored,
                processed_at=None if topic in DEFERRED else timezone.now(),
            )
        except IntegrityError:
            # Seen before. The failed insert marked this transaction for rollback, and
            # it is the first statement in it, so leaving the block undoes nothing else.
            log.info("duplicate webhook %s (%s) for %s", webhook_id, topic, domain)
            return _text("duplicate", 200)
        if handler is not None:
            handler(domain, payload, {"webhook_id": webhook_id})
    return _text("ok", 200)


def _record_order_trigger(
    request: HttpRequest, topic: str, domain: str, webhook_id: str, payload: dict[str, Any], stored: Any
) -> HttpResponse:
    """The busy path on PostgreSQL: the delivery row, the order's place in the queue and
    the shop's drain marker in one statement (syncing.pending.request_with_delivery); a
    drain task only when the shop had none queued or running. Same outcome as the general
    path above."""
    delivery = {
        "domain": domain,
        "webhook_id": webhook_id,
        "event_id": _storable(request.headers.get("X-Shopify-Event-Id", "")[:255]),
        "topic": topic,
        "api_version": _storable(request.headers.get("X-Shopify-API-Version", "")[:16]),
        "triggered_at": request.headers.get("X-Shopify-Triggered-At", "").strip(),
        "payload": stored,
    }
    priority = pending.Priority.NEW if topic in NEW_ORDER_TOPICS else pending.Priority.CHANGED
    # One statement commits on its own (autocommit): no BEGIN and COMMIT round trips. The
    # request that claimed the shop's drain marker (the first of a burst) queues the task
    # right after; should the process die in between, the next order webhook replaces the
    # marker once it is older than the claim lease, and the shop's sweep drains the order
    # before that.
    new_delivery, drain = pending.request_with_delivery(
        delivery=delivery,
        order_gid=_order_gid(topic, payload),
        priority=priority,
        announced=_announced(topic, payload),
    )
    if drain is not None:
        pending.drain_task_queue(shop_id=drain[0], token=drain[1])
    if not new_delivery:
        log.info("duplicate webhook %s (%s) for %s", webhook_id, topic, domain)
        return _text("duplicate", 200)
    return _text("ok", 200)
